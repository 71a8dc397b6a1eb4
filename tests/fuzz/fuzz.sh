#!/usr/bin/env bash
# fuzz.sh SECONDS [NAME...] -- builds the libFuzzer harnesses (clang,
# -DGBSIM_FUZZ=ON, in build-fuzz/) and runs each fuzz_NAME for SECONDS
# (-max_total_time), one after another: every harness tests/fuzz/fuzz_*.c, or
# the NAMEs given. Each run starts from the committed seeds
# tests/fuzz/corpus/NAME/ (replayed first, crash inputs included) plus what
# earlier runs in this build-fuzz/ found; new inputs go to
# build-fuzz/fuzz/NAME/corpus/, never to the committed seeds.
#
# Prints one line per target:
#   fuzz_NAME: ok, S s, E execs, C corpus inputs
#   fuzz_NAME: FAIL (<what>), log build-fuzz/fuzz/NAME/log, input <artifact>
# and, for a failure, the sanitizer or libFuzzer report on stderr. Exit status:
# 0 when every target ran SECONDS without a crash, leak, timeout, out-of-memory
# or sanitizer report; 1 if any did; 2 for bad arguments or a failed build.
set -u
cd "$(dirname "$0")/../.."

usage="usage: bash tests/fuzz/fuzz.sh SECONDS [NAME...]"
if [ $# -lt 1 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz.sh: SECONDS '${1-}' is not valid; expected a positive integer. $usage" >&2
    exit 2
fi
secs=$1
shift
if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang not found; expected Debian's clang (apt-get install clang)" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in tests/fuzz/fuzz_*.c; do
        n=${f#tests/fuzz/fuzz_}
        names+=("${n%.c}")
    done
fi
for n in "${names[@]}"; do
    if [ ! -f "tests/fuzz/fuzz_$n.c" ] || [ ! -d "tests/fuzz/corpus/$n" ]; then
        echo "fuzz.sh: target '$n' is not valid; expected a name with tests/fuzz/fuzz_$n.c and tests/fuzz/corpus/$n/" >&2
        exit 2
    fi
done

B=build-fuzz
mkdir -p "$B"
jobs=$(nproc 2>/dev/null || echo 2)
if ! { cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DGBSIM_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build "$B" --target fuzz -j"$jobs"; } \
        >"$B/build.log" 2>&1; then
    tail -n 40 "$B/build.log" >&2
    echo "fuzz.sh: build failed; log $B/build.log" >&2
    exit 2
fi

# Sanitizer reports stop the run (libFuzzer then saves the input); leaks are
# checked after every input that allocated.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed=0
for n in "${names[@]}"; do
    exe=$B/fuzz_$n
    work=$B/fuzz/$n
    mkdir -p "$work/corpus" "$work/artifacts"
    if [ ! -x "$exe" ]; then
        echo "fuzz_$n: FAIL (not built: expected a line gbsim_fuzz($n) in CMakeLists.txt)"
        failed=1
        continue
    fi
    rm -f "$work/artifacts/"*
    "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" "tests/fuzz/corpus/$n" \
        >"$work/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
    time_s=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$work/log" | tail -n 1)
    ncorpus=$(find "$work/corpus" -type f | wc -l)
    report=$(grep -m 1 -E 'Assertion .* failed|^==[0-9]+== ?ERROR|runtime error:|^SUMMARY: ' "$work/log")
    if [ "$rc" -eq 0 ] && [ -z "$report" ]; then
        echo "fuzz_$n: ok, ${time_s:-?} s, ${execs:-?} execs, $ncorpus corpus inputs"
    else
        input=$(ls "$work/artifacts/" 2>/dev/null | head -n 1)
        echo "fuzz_$n: FAIL (exit $rc: ${report:-no report}), log $work/log, input ${input:+$work/artifacts/$input}"
        grep -E -A 40 'Assertion .* failed|^==[0-9]+== ?ERROR|runtime error:' "$work/log" \
            | head -n 60 >&2
        failed=1
    fi
done
exit "$failed"
