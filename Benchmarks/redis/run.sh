#!/usr/bin/env bash
# Benchmarks RedisRateLimiter against its floor: redis-benchmark running the same EVALSHA.
#
#   Benchmarks/redis/run.sh [results.md]
#
# Starts a private redis-server (loopback, free port, persistence off), then for each
# concurrency C runs, back to back on the same server:
#   1. ratelimit-bench run --engines redis: C concurrent callers of RedisRateLimiter.acquire,
#      connection pool of $POOL, requests pipelined on each connection;
#   2. redis-benchmark -c C -P 1            (C connections, one request in flight on each);
#   3. redis-benchmark -c $POOL -P C/$POOL  (the limiter's shape: $POOL connections, C/$POOL
#                                            requests pipelined on each; from C >= $POOL).
# The floor for a concurrency is the faster of 2 and 3 ("best floor"); ratios are against it.
# Each measurement is repeated $REPEAT times, the three runs interleaved, and the table shows the
# median of each column (the machine may be shared: medians resist one disturbed run).
#
# Environment: BENCH (the ratelimit-bench binary, default: .build/release/ratelimit-bench, from
# `swift build -c release --product ratelimit-bench`), DURATION (seconds per limiter run, 5),
# POOL (2), CONCURRENCY ("1 2 4 8 16 32 64"), REQUESTS (redis-benchmark -n, 100000), REPEAT (3).
set -euo pipefail

OUT=${1:-/dev/stdout}
BENCH=${BENCH:-.build/release/ratelimit-bench}
DURATION=${DURATION:-5}
POOL=${POOL:-2}
CONCURRENCY=${CONCURRENCY:-"1 2 4 8 16 32 64"}
REQUESTS=${REQUESTS:-100000}
REPEAT=${REPEAT:-3}

command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark not found (apt-get install redis-tools)" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "ratelimit-bench not found at $BENCH (swift build -c release --product ratelimit-bench, or set BENCH)" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    --dir "$DIR" --logfile "$DIR/redis.log" &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null; wait $REDIS_PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

URL="redis://127.0.0.1:$PORT"
RAW="${OUT%.md}.raw.txt"; [ "$OUT" = /dev/stdout ] && RAW=/dev/null; : > "$RAW"
EVALSHA=$("$BENCH" redis-evalsha)   # EVALSHA <sha> 1 bench:{__rand_int__} <policy…> 1 ""
# One limiter run: "ops p50_us p99_us" from ratelimit-bench's CSV (opsPerSecond, p50Nanoseconds
# and p99Nanoseconds are columns 6, 9 and 10).
limiter() { # callers seconds
    "$BENCH" run --engines redis --redis "$URL" --redis-pool "$POOL" --threads "$1" --keys 1000 \
        --duration "$2s" --repetitions 1 --format csv --output "" 2>/dev/null \
        | tail -1 | awk -F, '{ printf "%.0f %.1f %.1f\n", $6, $9 / 1000, $10 / 1000 }'
}
# The limiter loads its script when it connects; load it for redis-benchmark's first run too.
limiter 1 0.2 >/dev/null

# redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
# "p95_latency_ms","p99_latency_ms","max_latency_ms"
# The median of each column over "ops p50 p99" lines ("-" passes through).
median() {
    printf '%s\n' "$@" | awk '{ for (i = 1; i <= 3; i++) v[i, NR] = $i } END {
        for (i = 1; i <= 3; i++) {
            n = 0; for (r = 1; r <= NR; r++) if (v[i, r] != "-") a[++n] = v[i, r] + 0
            if (n == 0) { printf "- "; continue }
            for (x = 1; x <= n; x++) for (y = x + 1; y <= n; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
            m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            printf (i == 1 ? "%.0f " : "%.1f "), m
        }
        print "" }'
}

rb() { # clients pipeline -> "ops p50_us p99_us"
    eval redis-benchmark -h 127.0.0.1 -p "$PORT" -c "$1" -P "$2" -n "$REQUESTS" -r 1000 --csv "$EVALSHA" \
        | tail -1 | awk -F'","' '{ printf "%.0f %.1f %.1f\n", $2, $5 * 1000, $7 * 1000 }'
}

{
    echo "# RedisRateLimiter vs redis-benchmark ($(date -u +%Y-%m-%d))"
    echo
    echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
    echo "- load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $(redis-server --version | cut -d' ' -f1-3), $(swift --version 2>/dev/null | head -1)"
    echo "- redis-server $URL: --save \"\" --appendonly no (persistence off), loopback"
    echo "- limiter: \`ratelimit-bench run --engines redis --redis $URL --redis-pool $POOL --threads C --keys 1000 --duration ${DURATION}s --repetitions 1 --format csv\` (after a 0.3 s warm-up)"
    echo "  (policy: capacity 1000, 1000 per second, smooth; 1000 keys chosen at random per request)"
    echo "- floor A: \`redis-benchmark -h 127.0.0.1 -p $PORT -c C -P 1 -n $REQUESTS -r 1000 --csv $EVALSHA\`"
    echo "- floor B: the same with \`-c $POOL -P C/$POOL\` (the limiter's connections and pipelining)"
    echo "- each cell: the median of $REPEAT interleaved runs (all runs: $(basename "$RAW"))"
    echo
    echo "| C | limiter ops/s | p50 µs | p99 µs | A ops/s | A p50 | A p99 | B ops/s | B p50 | B p99 | ops ratio (vs best floor) | p99 ratio (vs that floor) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    for C in $CONCURRENCY; do
        L=(); A=(); B=()
        for _ in $(seq "$REPEAT"); do
            L+=("$(limiter "$C" "$DURATION")")
            A+=("$(rb "$C" 1)")
            if [ "$C" -ge "$POOL" ]; then B+=("$(rb "$POOL" $((C / POOL)))"); else B+=("0 - -"); fi
        done
        read -r OPS P50 P99 < <(median "${L[@]}")
        read -r AOPS AP50 AP99 < <(median "${A[@]}")
        read -r BOPS BP50 BP99 < <(median "${B[@]}")
        if [ "$BOPS" -gt "$AOPS" ]; then FOPS=$BOPS; FP99=$BP99; else FOPS=$AOPS; FP99=$AP99; fi
        RATIO=$(awk -v a="$OPS" -v b="$FOPS" 'BEGIN { printf "%.2f", a / b }')
        P99RATIO=$(awk -v a="$P99" -v b="$FP99" 'BEGIN { printf "%.2f", a / b }')
        echo "| $C | $OPS | $P50 | $P99 | $AOPS | $AP50 | $AP99 | $BOPS | $BP50 | $BP99 | $RATIO | $P99RATIO |"
        echo "$C limiter: ${L[*]} | A: ${A[*]} | B: ${B[*]}" >> "$RAW"
    done
} > "$OUT"
