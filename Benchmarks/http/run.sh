#!/usr/bin/env bash
# HTTP overhead of RateLimitMiddleware: the release ratelimit-demo with a never-dry limiter versus
# the same server with no limiter at all (--engine none), driven by wrk over loopback.
#
#   Benchmarks/http/run.sh                     # build, measure, print a Markdown report
#   RESULTS=results/http/run.md Benchmarks/http/run.sh
#
# Rounds alternate the two servers (off, on, on, off, ...) so that drift on a shared machine does
# not favour one side; the report gives every run and the median of each side. Settings, all
# optional, from the environment:
#
#   DURATION=10s THREADS=2 CONNECTIONS=50 ROUNDS=5 WARMUP=2s PORT=18080 ENGINE=atomic ROUTE=/
#   MAX_FOREIGN_PCT=3      runs where other processes took more of the machine are not counted
#   PIN=1                  server on CPU 0, wrk on the other CPUs (taskset): less noise, fewer cores
#   RETRIES=3              times a disturbed run is repeated (after waiting for a quiet machine)
#   HEADERS=both           rate-limit header style of the limited server
#   PACKAGE_DIR=<repo>     package to build ratelimit-demo from; SCRATCH_PATH=<dir> its build dir
#   DEMO=<path>            use this release binary instead of building
#   RESULTS=<file>         also write the report there
#   PROBE=<path>           the release HTTPOverheadProbe (the middleware's in-process cost per
#                          request), built when unset; PROBE=none skips it
#
# Needs wrk (installed with apt-get when missing) and curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-50}
ROUNDS=${ROUNDS:-5}
MAX_FOREIGN_PCT=${MAX_FOREIGN_PCT:-3}
PIN=${PIN:-0}
RETRIES=${RETRIES:-3}
WARMUP=${WARMUP:-2s}
PORT=${PORT:-18080}
ENGINE=${ENGINE:-atomic}
ROUTE=${ROUTE:-/}
HEADERS=${HEADERS:-both}
PACKAGE_DIR=${PACKAGE_DIR:-$ROOT}
SCRATCH_PATH=${SCRATCH_PATH:-$PACKAGE_DIR/.build}
RESULTS=${RESULTS:-}
# A bucket that cannot run dry during the run: 10^12 tokens, refilled at 10^9 per second. Every
# request still takes a token, so the limiter does all of its work.
NEVER_DRY=(--capacity 1000000000000 --refill 1000000000 --interval 1s)

die() { echo "run.sh: $*" >&2; exit 1; }

if ! command -v wrk >/dev/null; then
    echo "run.sh: installing wrk" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null || die "could not install wrk"
fi
command -v curl >/dev/null || die "curl is required"

if [ -z "${DEMO:-}" ]; then
    echo "run.sh: building ratelimit-demo (release) in $PACKAGE_DIR" >&2
    (cd "$PACKAGE_DIR" && swift build -c release --product ratelimit-demo --scratch-path "$SCRATCH_PATH" >&2)
    DEMO="$SCRATCH_PATH/release/ratelimit-demo"
fi
[ -x "$DEMO" ] || die "no executable at $DEMO"

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local status=0
        wait "$SERVER_PID" || status=$?
        SERVER_PID=""
        [ "$status" -eq 0 ] || echo "run.sh: server exited with status $status after SIGTERM" >&2
    fi
}
WRK_OUTPUT=$(mktemp)
TIMES_OUTPUT=$(mktemp)
trap 'stop_server; rm -f "$WRK_OUTPUT" "$TIMES_OUTPUT" "$TIMES_OUTPUT".[01]' EXIT

SERVER_CPUS=() WRK_CPUS=()
if [ "$PIN" = 1 ]; then
    command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"
    [ "$(nproc)" -ge 2 ] || die "PIN=1 needs at least 2 CPUs"
    SERVER_CPUS=(taskset -c 0) WRK_CPUS=(taskset -c "1-$(($(nproc) - 1))")
fi

start_server() {
    "${SERVER_CPUS[@]}" "$DEMO" --port "$PORT" --log-level warning "$@" >&2 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "server did not start: $DEMO $*"
}

HZ=$(getconf CLK_TCK)
CPUS=$(nproc)
# CPU time in ticks: of the whole machine (busy and stolen), and of one process.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
process_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU seconds of this shell's finished children (the second line of `times`). `times` must run in
# this shell, not in a $(...) subshell, which has no children of its own.
children_seconds() {
    times >"$TIMES_OUTPUT"
    awk 'NR == 2 { total = 0; for (i = 1; i <= NF; i++) { f = $i; sub("s$", "", f); split(f, p, "m"); total += p[1] * 60 + p[2] }; print total }' "$TIMES_OUTPUT"
}

# One wrk run. Sets RPS, P99_MS (milliseconds), ERRORS (non-2xx responses), and the CPU split:
# SERVER_CPU and WRK_CPU (seconds) and FOREIGN_PCT, the share of the machine that other processes
# or the hypervisor (steal) took meanwhile. The machine is shared, so that share is reported and
# disturbed runs are left out of the medians.
measure() {
    local p99 requests machine0 server0 children0 start machine1 server1 children1 elapsed
    children_seconds >"$TIMES_OUTPUT.0"
    machine0=$(machine_ticks); server0=$(process_ticks "$SERVER_PID"); start=$(date +%s.%N)
    "${WRK_CPUS[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT$ROUTE" >"$WRK_OUTPUT"
    machine1=$(machine_ticks); server1=$(process_ticks "$SERVER_PID")
    children_seconds >"$TIMES_OUTPUT.1"
    children0=$(cat "$TIMES_OUTPUT.0"); children1=$(cat "$TIMES_OUTPUT.1")
    elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
    sed 's/^/    /' "$WRK_OUTPUT" >&2
    RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$WRK_OUTPUT")
    p99=$(awk '$1 == "99%" { print $2 }' "$WRK_OUTPUT")
    ERRORS=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$WRK_OUTPUT")
    ERRORS=${ERRORS:-0}
    # wrk prints latencies with a unit: us, ms or s.
    P99_MS=$(echo "$p99" | awk '/us$/ { sub("us", ""); print $1 / 1000; next } /ms$/ { sub("ms", ""); print $1; next } /s$/ { sub("s", ""); print $1 * 1000 }')
    SERVER_CPU=$(awk -v a="$server0" -v b="$server1" -v hz="$HZ" 'BEGIN { printf "%.1f", (b - a) / hz }')
    # Server CPU per request: what throughput is inversely proportional to when CPU-bound, and
    # steadier than throughput on a shared machine.
    requests=$(awk '/requests in/ { print $1 }' "$WRK_OUTPUT")
    US_PER_REQUEST=$(awk -v a="$server0" -v b="$server1" -v hz="$HZ" -v n="$requests" 'BEGIN { printf "%.1f", (b - a) / hz * 1000000 / n }')
    WRK_CPU=$(awk -v a="$children0" -v b="$children1" 'BEGIN { printf "%.1f", b - a }')
    FOREIGN_PCT=$(awk -v m0="$machine0" -v m1="$machine1" -v s="$SERVER_CPU" -v w="$WRK_CPU" -v hz="$HZ" -v t="$elapsed" -v n="$CPUS" \
        'BEGIN { f = ((m1 - m0) / hz - s - w) / (n * t) * 100; if (f < 0) f = 0; printf "%.1f", f }')
}

# Waits, up to a minute, until other processes use less than 5% of the machine for 2 s.
wait_for_quiet() {
    local before after busy
    for _ in $(seq 1 30); do
        before=$(machine_ticks); sleep 2; after=$(machine_ticks)
        busy=$(awk -v a="$before" -v b="$after" -v hz="$HZ" -v n="$CPUS" 'BEGIN { printf "%.1f", (b - a) / hz / (2 * n) * 100 }')
        awk -v b="$busy" 'BEGIN { exit !(b < 5) }' && return 0
        echo "run.sh: machine busy ($busy%), waiting" >&2
    done
}

# Starts one server (side: off | on), warms it up, measures it and stops it.
run_side() {
    local side=$1
    if [ "$side" = on ]; then
        start_server --engine "$ENGINE" --headers "$HEADERS" "${NEVER_DRY[@]}"
    else
        start_server --engine none
    fi
    "${WRK_CPUS[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:$PORT$ROUTE" >/dev/null
    echo "run.sh: measuring limiter $side" >&2
    measure
    stop_server
}

median() { sort -g | awk '{ values[NR] = $1 } END { if (NR % 2) print values[(NR + 1) / 2]; else print (values[NR / 2] + values[NR / 2 + 1]) / 2 }'; }

OFF_RPS=() OFF_P99=() OFF_US=() ON_RPS=() ON_P99=() ON_US=() ROWS=()
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
    for side in $order; do
        for attempt in $(seq 0 "$RETRIES"); do
            wait_for_quiet
            run_side "$side"
            echo "run.sh: round $round, limiter $side: $RPS requests/s, p99 $P99_MS ms, CPU server $SERVER_CPU s ($US_PER_REQUEST µs/request), wrk $WRK_CPU s, other $FOREIGN_PCT%" >&2
            [ "$ERRORS" = 0 ] || die "limiter $side: $ERRORS non-2xx responses: the bucket ran dry or the server failed"
            if awk -v f="$FOREIGN_PCT" -v max="$MAX_FOREIGN_PCT" 'BEGIN { exit !(f > max) }'; then
                ROWS+=("| $round | $side | $RPS | $P99_MS | $SERVER_CPU | $US_PER_REQUEST | $WRK_CPU | $FOREIGN_PCT | no (disturbed) |")
                continue
            fi
            if [ "$side" = on ]; then
                ON_RPS+=("$RPS"); ON_P99+=("$P99_MS"); ON_US+=("$US_PER_REQUEST")
            else
                OFF_RPS+=("$RPS"); OFF_P99+=("$P99_MS"); OFF_US+=("$US_PER_REQUEST")
            fi
            ROWS+=("| $round | $side | $RPS | $P99_MS | $SERVER_CPU | $US_PER_REQUEST | $WRK_CPU | $FOREIGN_PCT | yes |")
            break
        done
    done
done
[ "${#ON_RPS[@]}" -gt 0 ] && [ "${#OFF_RPS[@]}" -gt 0 ] ||
    die "every run of one side was disturbed by other load (more than $MAX_FOREIGN_PCT% of the machine); rerun when the machine is quieter or raise MAX_FOREIGN_PCT"

off_rps=$(printf '%s\n' "${OFF_RPS[@]}" | median)
on_rps=$(printf '%s\n' "${ON_RPS[@]}" | median)
off_p99=$(printf '%s\n' "${OFF_P99[@]}" | median)
off_us=$(printf '%s\n' "${OFF_US[@]}" | median)
on_us=$(printf '%s\n' "${ON_US[@]}" | median)
cpu_ratio=$(awk -v on="$on_us" -v off="$off_us" 'BEGIN { printf "%.3f", off / on }')
on_p99=$(printf '%s\n' "${ON_P99[@]}" | median)
ratio=$(awk -v on="$on_rps" -v off="$off_rps" 'BEGIN { printf "%.3f", on / off }')
verdict=$(awk -v r="$ratio" 'BEGIN { if (r >= 0.95) print "met"; else printf "missed by %.1f points", (0.95 - r) * 100 }')

report() {
    cat <<EOF
# HTTP overhead of RateLimitMiddleware

- Date: $(date -u +"%Y-%m-%d %H:%M UTC")
- Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)
- Toolchain: $(swift --version 2>/dev/null | head -1)
- Load: $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }'), \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency http://127.0.0.1:$PORT$ROUTE\` after a $WARMUP warm-up, $ROUNDS alternating rounds. $(if [ "$PIN" = 1 ]; then echo "Server pinned to CPU 0, wrk to the others."; else echo "wrk and the server share the machine's CPUs (not pinned)."; fi)
- Limiter on: \`ratelimit-demo --engine $ENGINE --headers $HEADERS ${NEVER_DRY[*]} --log-level warning\` (every request takes a token; the bucket never runs dry)
- Limiter off: \`ratelimit-demo --engine none --log-level warning\` (no middleware at all)

Server and wrk CPU are seconds of CPU time during the run; "other" is the share of the machine
that other processes or the hypervisor took meanwhile. Runs where it exceeds $MAX_FOREIGN_PCT% are listed
but not counted, and repeated (up to $RETRIES times) once the machine is quiet again.

| Round | Limiter | Requests/s | p99 (ms) | Server CPU (s) | Server CPU/request (µs) | wrk CPU (s) | Other (%) | Counted |
|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

| | Limiter off | Limiter on |
|---|---|---|
| Runs counted | ${#OFF_RPS[@]} | ${#ON_RPS[@]} |
| Median requests/s | $off_rps | $on_rps |
| Median p99 (ms) | $off_p99 | $on_p99 |
| Median server CPU per request (µs) | $off_us | $on_us |

**Throughput ratio (on / off): $ratio** — goal ≥ 0.95: $verdict.
Server CPU per request, off / on (the throughput ratio a CPU-bound server would reach): $cpu_ratio.
EOF
    if [ -n "$PROBE_OUTPUT" ]; then
        cat <<EOF

## In-process cost of the middleware (\`$(basename "$PROBE")\`)

One thread calls \`RateLimitMiddleware.handle\` in a loop with a handler that returns an empty
\`200\` (no network, no HTTP parsing); minimum of 7 interleaved repetitions of 200,000 calls.
"next only" is the handler alone.

\`\`\`
$PROBE_OUTPUT
\`\`\`
EOF
    fi
}

PROBE_OUTPUT=""
if [ -z "${PROBE:-}" ]; then
    (cd "$PACKAGE_DIR" && swift build -c release --product HTTPOverheadProbe --scratch-path "$SCRATCH_PATH" >&2)
    PROBE="$SCRATCH_PATH/release/HTTPOverheadProbe"
fi
if [ "$PROBE" != none ]; then
    echo "run.sh: running $PROBE" >&2
    wait_for_quiet
    PROBE_OUTPUT=$("$PROBE")
fi
REPORT=$(report)
echo "$REPORT"
if [ -n "$RESULTS" ]; then
    mkdir -p "$(dirname "$RESULTS")"
    echo "$REPORT" >"$RESULTS"
    echo "run.sh: wrote $RESULTS" >&2
fi
