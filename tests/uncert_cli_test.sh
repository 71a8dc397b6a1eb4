#!/usr/bin/env bash
# uncert_cli_test.sh -- the intervals of decode, tile and replay (models/uncert.h)
# and the range columns of description files, through the CLI:
#   - decode --samples N prints step_us_range, tok_per_s_range and
#     most_sensitive before the last three lines, the interval holds the
#     headline, a fixed seed repeats it byte for byte, --samples 0 prints none;
#   - most_sensitive names the key that moves tok/s (a synthetic H100 file
#     whose only wide range is dram_achievable_frac);
#   - CSV keeps its header first and gives the interval as # lines;
#   - tile prints predicted_us_range, replay total_predicted_us_range (only
#     when asked);
#   - bad --samples / GBSIM_SAMPLES, an assumption row without a range and a
#     range that does not hold its value exit 2 naming the option or file:line.
# Usage: bash tests/uncert_cli_test.sh PATH/TO/gbsim (from the source root).
set -u
export LC_ALL=C
unset GBSIM_SAMPLES
gbsim=$1
case $gbsim in /*) ;; *) gbsim=$PWD/$gbsim ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-uncert.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
val() { sed -n "s/^$1: //p" "$2" | tail -n 1; }
# within LO HI X: LO <= X <= HI
within() { awk -v l="$1" -v h="$2" -v x="$3" 'BEGIN { exit !(l + 0 <= x + 0 && x + 0 <= h + 0 && l + 0 < h + 0) }'; }

# H100 with every range removed, then two: dram_achievable_frac 0.5..0.93
# (moves a DRAM-bound step) and l2_latency_ns 140..150 (barely).
arch=$tmp/h100u.csv
sed -E -e 's/,[0-9.]+,[0-9.]+$/,,/' \
    -e 's/^(dram_achievable_frac,.*),,$/\1,0.5,0.93/' \
    -e 's/^(l2_latency_ns,.*),,$/\1,140,150/' models/data/arch/h100.csv >"$arch"
D=(decode --arch "$arch" --model gpt-oss-20b --stack torch-bf16 --layers 1)

"$gbsim" "${D[@]}" --samples 5 >"$tmp/a.txt" 2>"$tmp/err" || bad decode-samples "exit $?: $(cat "$tmp/err")"
"$gbsim" "${D[@]}" --samples 5 >"$tmp/b.txt" 2>&1
if cmp -s "$tmp/a.txt" "$tmp/b.txt"; then ok decode-fixed-seed-repeats; else bad decode-fixed-seed-repeats "two runs differ"; fi
read -r slo shi <<<"$(val step_us_range "$tmp/a.txt")"
read -r tlo thi <<<"$(val tok_per_s_range "$tmp/a.txt")"
step=$(val step_us "$tmp/a.txt") tok=$(val tok_per_s "$tmp/a.txt")
if within "$slo" "$shi" "$step" && within "$tlo" "$thi" "$tok"; then ok decode-interval-holds-headline
else bad decode-interval-holds-headline "step $step in [$slo, $shi], tok $tok in [$tlo, $thi]"; fi
if tail -n 3 "$tmp/a.txt" | cut -d: -f1 | tr '\n' ' ' | grep -qx 'step_us tok_per_s limit_tok_per_s '; then
    ok decode-last-three-lines-kept
else bad decode-last-three-lines-kept "$(tail -n 3 "$tmp/a.txt" | tr '\n' '|')"; fi
if grep -q '^# uncertainty: 5 draws of 2 ranged keys' "$tmp/a.txt"; then ok decode-says-draws-and-keys
else bad decode-says-draws-and-keys "$(grep uncertainty "$tmp/a.txt")"; fi
ms=$(val most_sensitive "$tmp/a.txt")
case $ms in "dram_achievable_frac ("*" tok/s at 0.5..0.93 ratio)") ok decode-most-sensitive-names-key ;;
    *) bad decode-most-sensitive-names-key "most_sensitive: $ms" ;; esac
# the swing it reports: tok/s with the key at each end, the low end slower
read -r lo_end hi_end <<<"$(sed -E 's/.*\(([0-9.]+)\.\.([0-9.]+) tok.*/\1 \2/' <<<"$ms")"
"$gbsim" "${D[@]}" --samples 0 --set dram_achievable_frac=0.5 >"$tmp/lo.txt" 2>&1
"$gbsim" "${D[@]}" --samples 0 --set dram_achievable_frac=0.93 >"$tmp/hi.txt" 2>&1
if [ "$(val tok_per_s "$tmp/lo.txt")" = "$lo_end" ] && [ "$(val tok_per_s "$tmp/hi.txt")" = "$hi_end" ] &&
    awk -v a="$lo_end" -v b="$hi_end" 'BEGIN { exit !(a + 0 < b + 0) }'; then ok decode-swing-is-one-at-a-time
else bad decode-swing-is-one-at-a-time "swing $lo_end..$hi_end, --set gives $(val tok_per_s "$tmp/lo.txt")..$(val tok_per_s "$tmp/hi.txt")"; fi

"$gbsim" "${D[@]}" --samples 0 >"$tmp/z.txt" 2>&1
if ! grep -q '_range:\|^most_sensitive\|uncertainty' "$tmp/z.txt" &&
    [ "$(grep -v '_range:\|^most_sensitive\|uncertainty' "$tmp/a.txt")" = "$(cat "$tmp/z.txt")" ]; then
    ok decode-samples-0-prints-no-interval-only
else bad decode-samples-0-prints-no-interval-only "$(diff "$tmp/z.txt" "$tmp/a.txt" | head -5)"; fi
GBSIM_SAMPLES=0 "$gbsim" "${D[@]}" >"$tmp/e.txt" 2>&1
if cmp -s "$tmp/z.txt" "$tmp/e.txt"; then ok decode-env-sets-default; else bad decode-env-sets-default "differs"; fi
"$gbsim" "${D[@]}" >"$tmp/d.txt" 2>&1
if grep -q '^# uncertainty: 32 draws' "$tmp/d.txt" && grep -q '^tok_per_s_range: ' "$tmp/d.txt"; then
    ok decode-default-32-draws
else bad decode-default-32-draws "$(grep -c _range "$tmp/d.txt") range lines"; fi
# a key set by hand is pinned: no longer drawn
"$gbsim" "${D[@]}" --samples 2 --set dram_achievable_frac=0.9 >"$tmp/p.txt" 2>&1
if grep -q '^# uncertainty: 2 draws of 1 ranged keys' "$tmp/p.txt" &&
    grep -q '^most_sensitive: l2_latency_ns' "$tmp/p.txt"; then ok decode-set-pins-key
else bad decode-set-pins-key "$(grep 'uncertainty\|most_sens' "$tmp/p.txt" | tr '\n' '|')"; fi

"$gbsim" "${D[@]}" --samples 3 --format csv >"$tmp/c.csv" 2>&1
hdr=$(head -n 1 "$tmp/c.csv")
nf=$(grep -v '^#' "$tmp/c.csv" | sed -e 's/"\([^"]\|""\)*"/Q/g' | awk -F, '{ print NF }' | sort -u | tr '\n' ' ')
if [ "$hdr" = "op,kernel,calls_per_step,us_per_call,us_per_step,share_pct,bound" ] && [ "$nf" = "7 " ] &&
    grep -q '^# tok_per_s_range: ' "$tmp/c.csv" && grep -q '^# step_us_range: ' "$tmp/c.csv" &&
    grep -q '^# most_sensitive: dram_achievable_frac' "$tmp/c.csv"; then ok decode-csv-comment-lines
else bad decode-csv-comment-lines "header '$hdr', field counts '$nf'"; fi

# tile
T=(tile --arch "$arch" --a bf16 --b bf16 --tile 128x8x64 --swap-ab --m 1 --n 8192 --k 4096)
"$gbsim" "${T[@]}" --samples 6 >"$tmp/t.txt" 2>&1
read -r plo phi <<<"$(sed -n 's/^predicted_us_range=//p' "$tmp/t.txt")"
pus=$(sed -n 's/^predicted_us=//p' "$tmp/t.txt")
if within "$plo" "$phi" "$pus" && grep -q '^most_sensitive=dram_achievable_frac (' "$tmp/t.txt"; then
    ok tile-interval
else bad tile-interval "predicted_us $pus in [$plo, $phi]; $(grep most_sens "$tmp/t.txt")"; fi
"$gbsim" "${T[@]}" --samples 0 >"$tmp/t0.txt" 2>&1
if ! grep -q '_range=\|^most_sensitive\|^uncertainty' "$tmp/t0.txt" &&
    [ "$(grep -v '_range=\|^most_sensitive\|^uncertainty' "$tmp/t.txt")" = "$(cat "$tmp/t0.txt")" ]; then
    ok tile-samples-0
else bad tile-samples-0 "$(diff "$tmp/t0.txt" "$tmp/t.txt" | head -5)"; fi

# replay: no interval unless asked
R=(replay --arch "$arch" traces/hopper/h100_shapes.csv)
"$gbsim" "${R[@]}" >"$tmp/r0.txt" 2>&1
"$gbsim" "${R[@]}" --samples 2 >"$tmp/r2.txt" 2>&1
read -r rlo rhi <<<"$(val total_predicted_us_range "$tmp/r2.txt")"
rtot=$(val total_predicted_us "$tmp/r2.txt")
if ! grep -q '_range:' "$tmp/r0.txt" && within "$rlo" "$rhi" "$rtot" &&
    [ "$(grep -v '_range:\|^most_sensitive\|uncertainty' "$tmp/r2.txt")" = "$(cat "$tmp/r0.txt")" ] &&
    [ "$(tail -n 2 "$tmp/r2.txt" | cut -d: -f1 | tr '\n' ' ')" = "total_predicted_us mape_pct " ]; then
    ok replay-interval-only-when-asked
else bad replay-interval-only-when-asked "total $rtot in [$rlo, $rhi]"; fi

# bad input
expect2() { # name, needle, command...
    local name=$1 needle=$2
    shift 2
    "$@" >"$tmp/o" 2>"$tmp/e"
    local rc=$?
    if [ $rc = 2 ] && [ ! -s "$tmp/o" ] && grep -qF -- "$needle" "$tmp/e"; then ok "$name"
    else bad "$name" "exit $rc, stderr '$(head -c 300 "$tmp/e")', stdout $(wc -c <"$tmp/o") bytes"; fi
}
for v in -1 10001 abc 1.5 ''; do
    expect2 "decode-samples[$v]" "--samples '$v': expected an integer in [0, 10000]" "$gbsim" "${D[@]}" --samples "$v"
done
expect2 tile-samples-bad "--samples 'x'" "$gbsim" "${T[@]}" --samples x
expect2 replay-samples-bad "--samples '-2'" "$gbsim" "${R[@]}" --samples -2
GBSIM_SAMPLES=lots expect2 env-samples-bad "GBSIM_SAMPLES 'lots': expected an integer in [0, 10000]" "$gbsim" "${D[@]}"
sed -E 's/^(graph_gap_ns,[^,]*,ns,)"measured:/\1"assumption:/' "$arch" >"$tmp/assume.csv"
line=$(grep -n '^graph_gap_ns,' "$tmp/assume.csv" | cut -d: -f1)
expect2 assumption-without-range "$tmp/assume.csv:$line: key 'graph_gap_ns': an assumption without a range" \
    "$gbsim" "${D[@]/$arch/$tmp/assume.csv}" --samples 0
sed -E 's/^(l2_latency_ns,.*),140,150$/\1,150,160/' "$arch" >"$tmp/range.csv"
line=$(grep -n '^l2_latency_ns,' "$tmp/range.csv" | cut -d: -f1)
expect2 range-not-holding-value "$tmp/range.csv:$line: key 'l2_latency_ns': range [150, 160] does not hold the value 143" \
    "$gbsim" "${T[@]/$arch/$tmp/range.csv}"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
