#!/usr/bin/env bash
# Fuzzes the codec with cargo-fuzz (libFuzzer): the decoder fed any bytes
# while it holds a frame, the ingest (publish) parser, and the encode/decode
# round trip, SECONDS each (default 60). The corpus grows in
# crates/codec/fuzz/corpus/ between runs; a crash stops here with the input
# in crates/codec/fuzz/artifacts/TARGET/ and libFuzzer's report.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/../crates/codec/fuzz"
mkdir -p ../../../target/fuzz
for target in decode ingest roundtrip; do
    log=../../../target/fuzz/$target.log
    echo "fuzz: $target for $seconds s (log: target/fuzz/$target.log)"
    # cargo-fuzz passes -Z flags to rustc: RUSTC_BOOTSTRAP lets stable take them.
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" -- \
        -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $target failed; the input that crashed it is in crates/codec/fuzz/artifacts/$target/"
        exit 1
    fi
    grep -E "^stat::number_of_executed_units" "$log" | sed "s/^/fuzz: $target: /"
done
