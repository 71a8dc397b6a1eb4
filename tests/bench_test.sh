#!/usr/bin/env bash
# bench_test.sh -- the format of `gbsim bench` (never its speed): --quick in
# csv has the documented header and one row per quick case, every measured
# cell a non-negative number and the baseline ratios present where the
# baseline has the case; the table has the same rows; bad options exit 2.
# Run by ctest as: bash tests/bench_test.sh PATH/TO/gbsim
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
gbsim=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name, condition result (0 = ok), details
  if [ "$2" = 0 ]; then echo "ok $1"; else echo "FAIL $1: $3"; fail=1; fi
}

"$gbsim" bench --quick --format csv > "$tmp/csv" 2> "$tmp/err"
check "quick csv exits 0" $? "$(cat "$tmp/err")"
header="case,wall_ms,cpu_ms,peak_rss_kb,events,mevents_per_s,evals_per_min,base_cpu_ms,cpu_x,base_wall_ms,wall_x"
got=$(grep -v '^#' "$tmp/csv" | head -1)
[ "$got" = "$header" ]
check "csv header" $? "got '$got'"
grep -v '^#' "$tmp/csv" | tail -n +2 > "$tmp/rows"
[ "$(wc -l < "$tmp/rows")" = 3 ]
check "three quick cases" $? "$(cat "$tmp/rows")"
awk -F, 'NF != 11 { bad = 1 }
         { for (i = 2; i <= 6; i++) if ($i !~ /^[0-9]+(\.[0-9]+)?$/) bad = 1
           if ($7 != "") bad = 1      # no tile grid among the quick cases
           for (i = 8; i <= 11; i++) if ($i !~ /^[0-9]+(\.[0-9]+)?$/) bad = 1 }
         END { exit bad }' "$tmp/rows"
check "quick rows: measured cells and baseline ratios are numbers" $? "$(cat "$tmp/rows")"
awk -F, '$1 == "decode/gb10/vllm-cutlass/gpt-oss-120b" && $5 > 0 { found = 1 } END { exit !found }' "$tmp/rows"
check "decode counts its events" $? "$(cat "$tmp/rows")"

"$gbsim" bench --quick > "$tmp/table" 2> "$tmp/err"
check "quick table exits 0" $? "$(cat "$tmp/err")"
[ "$(grep -v '^#' "$tmp/table" | wc -l)" = 4 ] && grep -q '^case  *wall_ms  *cpu_ms' "$tmp/table"
check "table: header and three rows" $? "$(cat "$tmp/table")"

for bad in "--format xml" "--runs 0" "--baseline $tmp/none.csv" "extra"; do
  "$gbsim" bench --quick $bad > "$tmp/out" 2> "$tmp/err"
  rc=$?
  [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && grep -q "gbsim: error:" "$tmp/err"
  check "bench $bad exits 2 with a message" $? "rc $rc: $(cat "$tmp/err")"
done
printf 'case,wall_ms\nx,1\n' > "$tmp/bad.csv"
"$gbsim" bench --quick --baseline "$tmp/bad.csv" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "bad.csv:1: expected a header" "$tmp/err"
check "a baseline without the columns names file:line" $? "$(cat "$tmp/err")"

[ "$fail" = 0 ] && echo "ok bench format"
[ "$fail" = 0 ]
