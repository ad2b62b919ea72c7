#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after another, one process at a time, and
# prints the executions and the crashes found per target.
#
#   fuzz/run.sh 60            # needs `cargo install cargo-fuzz` and the nightly toolchain
#   TARGETS="csv time" fuzz/run.sh 300
#
# New inputs go to a scratch corpus (the committed corpus under fuzz/corpus is only read);
# crashing inputs are kept under $FUZZ_OUT/artifacts/TARGET. A target that crashes early is
# started again for the rest of its time, so one known crash does not end its run.
set -euo pipefail

seconds=${1:?usage: fuzz/run.sh SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/recibo-fuzz}
targets=${TARGETS:-csv xlsx jsonl amount time job query gateway pdf_text}
# The sanitizer build cannot share a target directory with ordinary builds.
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$here/target}
# The bundled SQLite amalgamation defines a few same-named static tables in separate
# scopes, which AddressSanitizer's one-definition check takes for a violation at start-up.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
mkdir -p "$out"

cd "$here"
for t in $targets; do
    cargo +nightly fuzz build -O "$t" >&2
done

bin="$CARGO_TARGET_DIR/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

failed=0
printf '%-8s %10s %8s %6s %8s\n' target execs exec/s runs crashes
for t in $targets; do
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t" "$out/logs/$t"
    left=$seconds execs=0 runs=0
    while (( left > 0 && runs < 10 )); do
        runs=$((runs + 1))
        start=$(date +%s)
        log="$out/logs/$t/run-$runs.log"
        # -jobs=1 runs the fuzzer in a child that logs to fuzz-0.log in the current folder.
        (cd "$out/logs/$t" && rm -f fuzz-0.log &&
            "$bin/$t" "$out/corpus/$t" "$here/corpus/$t" \
                -jobs=1 -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -detect_leaks=0 -artifact_prefix="$out/artifacts/$t/" \
                >"$log.driver" 2>&1 || true
            cat fuzz-0.log >"$log" 2>/dev/null || true)
        n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
        execs=$((execs + ${n:-0}))
        left=$((left - ($(date +%s) - start)))
        # Stop restarting once the fuzzer ran out its time rather than crashing.
        grep -q 'Done [0-9]* runs in' "$log" && break
        # Nor restart one that did not start: say so, since its zero counts mean nothing.
        if [[ -z $n ]]; then
            echo "$t did not start: see $log.driver" >&2
            failed=1
            break
        fi
    done
    crashes=$(find "$out/artifacts/$t" -type f | wc -l)
    rate=$((execs / (seconds > 0 ? seconds : 1)))
    printf '%-8s %10d %8d %6d %8d\n' "$t" "$execs" "$rate" "$runs" "$crashes"
done
echo "crash inputs: $out/artifacts/TARGET; logs: $out/logs/TARGET" >&2
exit $failed
