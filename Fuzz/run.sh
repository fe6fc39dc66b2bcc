#!/usr/bin/env bash
# Builds the libFuzzer targets (AddressSanitizer + SanitizerCoverage) and runs each for a while.
#
#   Fuzz/run.sh [seconds-per-target] [target ...]     # default: 60 s, every target
#   RESULTS=results/fuzz/run.md Fuzz/run.sh 600       # also write the summary there
#
# Seeds come from Fuzz/Corpus/<target> (committed) and the inputs libFuzzer finds are kept in
# Fuzz/.corpus/<target> (ignored) across runs. A failed check saves its input as
# Fuzz/artifacts/<target>-crash-… and this script exits 1. FuzzRedisScript needs redis-server:
# the script starts one on a Unix socket (no network traffic at all).
set -euo pipefail
CALLER_DIR=$PWD
cd "$(dirname "$0")"

SECONDS_PER_TARGET=${1:-60}
shift || true
ALL_TARGETS=(FuzzForwardingHeaders FuzzIPAddress FuzzRESP FuzzRedisScript)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

# libFuzzer without its own main, from the toolchain that builds the targets.
TOOLCHAIN_LIB="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/swift/clang/lib/linux"
FUZZER_LIB="$TOOLCHAIN_LIB/libclang_rt.fuzzer_no_main-$(uname -m).a"
[ -f "$FUZZER_LIB" ] || { echo "Fuzz/run.sh: $FUZZER_LIB not found (needs a Swift toolchain for Linux)" >&2; exit 1; }

BUILD_FLAGS=(--scratch-path .build --sanitize=address
    -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
    -Xlinker "$FUZZER_LIB" -Xlinker -lstdc++)
for target in "${TARGETS[@]}"; do  # one --product per build: SwiftPM keeps only the last
    echo "=== building $target with ASan and coverage"
    mkdir -p .build
    if ! swift build "${BUILD_FLAGS[@]}" --product "$target" > ".build/build-$target.log" 2>&1; then
        tail -40 ".build/build-$target.log"
        exit 1
    fi
    tail -1 ".build/build-$target.log"
done
BIN=$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)

REDIS_PID=""
cleanup() { [ -z "$REDIS_PID" ] || kill "$REDIS_PID" 2>/dev/null || true; }
trap cleanup EXIT
if printf '%s\n' "${TARGETS[@]}" | grep -qx FuzzRedisScript; then
    command -v redis-server > /dev/null || { echo "Fuzz/run.sh: FuzzRedisScript needs redis-server" >&2; exit 1; }
    # A Unix socket, no TCP port: nothing to collide with, nothing reachable from outside.
    REDIS_SOCKET="$PWD/.build/fuzz-redis.sock"
    rm -f "$REDIS_SOCKET"
    redis-server --port 0 --unixsocket "$REDIS_SOCKET" --save "" --appendonly no > .build/redis.log 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 100); do [ -S "$REDIS_SOCKET" ] && break; sleep 0.1; done
    [ -S "$REDIS_SOCKET" ] || { cat .build/redis.log; echo "Fuzz/run.sh: redis-server did not start" >&2; exit 1; }
    export FUZZ_REDIS_SOCKET=$REDIS_SOCKET
fi

mkdir -p artifacts
summary="| target | seconds | executions | exec/s | corpus | new units | peak RSS MB | findings |
|---|---:|---:|---:|---:|---:|---:|---|"
status=0
for target in "${TARGETS[@]}"; do
    echo "=== $target: ${SECONDS_PER_TARGET}s"
    mkdir -p ".corpus/$target"
    dict=()
    [ -f "Dictionaries/$target.dict" ] && dict=(-dict="Dictionaries/$target.dict")
    log=".build/$target.log"
    set +e
    "$BIN/$target" ".corpus/$target" "Corpus/$target" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" \
        -print_final_stats=1 -artifact_prefix="artifacts/$target-" -max_len=8192 -timeout=10 -rss_limit_mb=4096 \
        > "$log" 2>&1
    code=$?
    set -e
    stat() { grep -E "^stat::$1:" "$log" | awk '{print $2}' | tail -1; }
    findings="none"
    if [ $code -ne 0 ]; then
        findings="exit $code: $(grep -m1 -E 'ERROR|Fatal error|Precondition failed|deadly signal|timeout' "$log" | cut -c1-120)"
        status=1
        tail -40 "$log"
    fi
    corpus=$(ls ".corpus/$target" | wc -l)
    summary+="
| $target | $SECONDS_PER_TARGET | $(stat number_of_executed_units) | $(stat average_exec_per_sec) | $corpus | $(stat new_units_added) | $(stat peak_rss_mb) | $findings |"
done
echo
echo "$summary"
if [ -n "${RESULTS:-}" ]; then
    case $RESULTS in /*) results_file=$RESULTS ;; *) results_file=$CALLER_DIR/$RESULTS ;; esac
    {
        echo "# Fuzz/run.sh $SECONDS_PER_TARGET ${TARGETS[*]}"
        echo
        echo "$(date -u +%F) on $(uname -m), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), commit $(git rev-parse --short HEAD), $(swift --version 2>&1 | head -1)"
        echo
        echo "$summary"
    } > "$results_file"
fi
exit $status
