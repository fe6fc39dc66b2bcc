#!/usr/bin/env bash
# Compares two builds of ratelimit-bench fairly on a noisy host: ROUNDS rounds of one run per
# build, in ABBA order (the build that runs first alternates, so drift and "second run" effects
# fall on both sides), each side's runs pooled, then `ratelimit-bench compare`.
#
#   Benchmarks/compare/abba.sh BASE_BINARY NEW_BINARY OUTPUT_DIR [ROUNDS] [-- run flags…]
#
# Exits as `compare` does: 0, 1 for a significant regression beyond --threshold (5 %), 64 for
# bad input. Same binary twice is an A/A test of the host.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 BASE_BINARY NEW_BINARY OUTPUT_DIR [ROUNDS] [-- run flags…]" >&2
    exit 64
fi
base_binary=$1 new_binary=$2 output=$3
shift 3
rounds=4
if [ $# -gt 0 ] && [ "$1" != "--" ]; then rounds=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi
flags=("$@")
if [ ${#flags[@]} -eq 0 ]; then
    flags=(--engines mutex,atomic,sharded --workloads hot-allow,uniform-allow,zipf-allow --threads 1,2
        --duration 200ms --repetitions 3 --skip-memory)
fi
case $rounds in '' | *[!0-9]* | 0) echo "invalid ROUNDS '$rounds': must be a whole number ≥ 1" >&2; exit 64 ;; esac
for binary in "$base_binary" "$new_binary"; do
    [ -x "$binary" ] || { echo "not an executable: '$binary'" >&2; exit 64; }
done
mkdir -p "$output"
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
    for side in $order; do
        binary=$base_binary
        [ "$side" = new ] && binary=$new_binary
        echo "round $round: $side" >&2
        "$binary" run "${flags[@]}" --output "$output" --label "$side-$round" > /dev/null
    done
done
base_files=$(ls "$output"/*/*-base-*.json | paste -sd,)
new_files=$(ls "$output"/*/*-new-*.json | paste -sd,)
"$new_binary" compare --markdown "$base_files" "$new_files" | tee "$output/compare.md"
