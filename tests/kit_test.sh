#!/usr/bin/env bash
# kit_test.sh -- the measurement kit's digest (microbench/kit_digest.py) on the
# committed raw outputs of microbench/results, as microbench/kit.sh would feed them:
#  - for H100 and H200, the arch file it writes loads in `gbsim decode --arch`, every
#    measured row says measured:<run id>, and every measured value agrees with the
#    committed preset (--check: within the preset's range, or its value, widened by
#    the key's tolerance);
#  - two runs (the kit's '#@run' format; the second is membench5_h100.txt's repeat of
#    test 4) give the median and the runs' spread;
#  - each derivation follows its input: a faster whole-row read lowers every
#    dram_run_eff_* and dram_tma_eff and nothing else, a slower test 2 doubles
#    dram_latency_ns and a longer wgmma wait doubles mma_wait_cyc alone, which
#    --check then refuses (exit 1);
#  - bad input exits 2 naming file:line, and writes no file.
# Skipped (77) where python3 is missing.
set -u
gbsim=$1
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
R=microbench/results
digest="python3 microbench/kit_digest.py"
fail=0 pass=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# value KEY FILE: the value column of KEY in an arch file
value() { awk -F, -v k="$1" '$1 == k { print $2 }' "$2"; }
# moved A B KEY...: the KEYs whose values differ between arch files A and B, each after a space
moved() {
  local a=$1 b=$2 k m=""
  shift 2
  for k in "$@"; do [ "$(value "$k" "$a")" = "$(value "$k" "$b")" ] || m="$m $k"; done
  echo "$m"
}
raw_of() {
  echo "$R/membench_$1.txt $R/tmabench_$1.txt $R/tmabench13_$1.txt $R/tmabench14_$1.txt $R/kcold_$1.txt $R/kgap_probe_$1.txt"
  [ ! -f "$R/wgmmabench_$1.txt" ] || echo "$R/wgmmabench_$1.txt"
}
# keys_of ARCH: the keys its committed raw outputs give
keys_of() { echo $KEYS; [ ! -f "$R/wgmmabench_$1.txt" ] || echo mma_wait_cyc; }
# the keys the committed raw outputs give (ubench.cu's and torch_launch.py's are not committed)
KEYS="n_sm l2_bytes dram_latency_ns dram_run_eff_32 dram_run_eff_64 dram_run_eff_128 dram_run_eff_256
dram_run_eff_512 dram_tma_eff dram_tma_eff_64r dram_tma_eff_256r tma_mc_eff_32kb tma_mc_eff_64kb
tma_mc_eff_128kb tma_oob_gbps tma_stage_issue_ns tma_box_issue_ns sm_load_gbps sm_tma_gbps tma_latency_ns
graph_gap_ns graph_gap_cold_ns kernel_fixed_ns"

for a in h100 h200; do
  # shellcheck disable=SC2046
  if $digest --base models/data/arch/$a.csv --id results-$a --check --out "$tmp/$a.csv" \
       --set-out "$tmp/$a.set" --compare "$tmp/$a.cmp" $(raw_of $a) >"$tmp/$a.out" 2>&1; then
    ok "$a: every measured key agrees with the preset"
  else
    bad "$a: digest --check" "$(cat "$tmp/$a.out")"
  fi
  if "$gbsim" decode --arch "$tmp/$a.csv" --stack torch-bf16 --layers 2 >"$tmp/$a.dec" 2>&1 &&
     grep -q '^tok_per_s: ' "$tmp/$a.dec"; then
    ok "$a: gbsim decode --arch loads the kit's file"
  else
    bad "$a: decode --arch" "$(cat "$tmp/$a.dec")"
  fi
  n=0
  for k in $(keys_of $a); do
    src=$(grep "^$k," "$tmp/$a.csv" | cut -d, -f4-)
    case $src in *measured:results-$a\ *) n=$((n + 1)) ;; *) bad "$a: $k" "source '$src' is not measured:results-$a" ;; esac
  done
  [ "$n" = "$(keys_of $a | wc -w)" ] && ok "$a: $n rows say measured:results-$a"
  # shellcheck disable=SC2046
  set -- $(cat "$tmp/$a.set")
  if "$gbsim" decode --arch $a "$@" --stack torch-bf16 --layers 2 >"$tmp/$a.dset" 2>&1 &&
     [ "$(grep '^step_us' "$tmp/$a.dset")" = "$(grep '^step_us' "$tmp/$a.dec")" ]; then
    ok "$a: --set words give the same step as --arch FILE"
  else
    bad "$a: --set words" "$(head -c 400 "$tmp/$a.dset")"
  fi
done
# the keys the digest does not measure keep the preset's row, verbatim
if diff <(grep -v '^#' models/data/arch/h100.csv | grep -vE "^($(keys_of h100 | tr ' \n' '||' | sed 's/|$//')),") \
        <(grep -v '^#' "$tmp/h100.csv" | grep -vE "^($(keys_of h100 | tr ' \n' '||' | sed 's/|$//')),") >/dev/null; then
  ok "h100: unmeasured rows unchanged"
else
  bad "h100: unmeasured rows" "differ from models/data/arch/h100.csv"
fi

# two runs in the kit's raw format: the median and the spread
# shellcheck disable=SC2046
{ echo "#@kit id=kit-two-runs"; echo "#@run 1"; cat $(raw_of h100); echo "#@run 2"; cat $R/membench5_h100.txt; } >"$tmp/two.txt"
$digest --base models/data/arch/h100.csv --out "$tmp/two.csv" "$tmp/two.txt" >/dev/null 2>&1
r1=$(awk '$1 == "test4" && $2 == 128 { print $3 }' $R/membench_h100.txt)
w1=$(awk '$1 == "test4" && $2 == 1440 { print $3 }' $R/membench_h100.txt)
r2=$(awk '$1 == "test4" && $2 == 128 { print $3 }' $R/membench5_h100.txt)
w2=$(awk '$1 == "test4" && $2 == 1440 { print $3 }' $R/membench5_h100.txt)
want=$(awk -v a="$r1" -v b="$w1" -v c="$r2" -v d="$w2" 'BEGIN { printf "%.3f", (a / b + c / d) / 2 }')
row=$(grep '^dram_run_eff_128,' "$tmp/two.csv")
case $row in
  *"0.$(echo "$want" | cut -d. -f2),"*"measured:kit-two-runs "*"median of 2 over 2 runs"*) ok "two runs: median $want and its spread" ;;
  *) bad "two runs" "dram_run_eff_128 row '$row', expected $want over 2 runs" ;;
esac
[ "$(value dram_tma_eff "$tmp/two.csv")" = "$(value dram_tma_eff "$tmp/h100.csv")" ] &&
  ok "two runs: a key only run 1 gives is run 1's" || bad "two runs" "dram_tma_eff moved"

# each derivation follows its input
sed 's/^test4 1440 .*/test4 1440 3200.0/' $R/membench_h100.txt >"$tmp/membench_fast.txt"
# shellcheck disable=SC2046
$digest --base models/data/arch/h100.csv --id results-h100 --out "$tmp/fast.csv" "$tmp/membench_fast.txt" \
  $(raw_of h100 | cut -d' ' -f2-) >/dev/null 2>&1
moved=$(moved "$tmp/fast.csv" "$tmp/h100.csv" $KEYS)
[ "$moved" = " dram_run_eff_32 dram_run_eff_64 dram_run_eff_128 dram_run_eff_256 dram_run_eff_512 dram_tma_eff dram_tma_eff_64r dram_tma_eff_256r" ] &&
  ok "whole-row read moves the run-length and TMA efficiencies only" || bad "whole-row read" "moved:$moved"
sed 's/^test2 32 512 .*/test2 32 512 80.5/' $R/membench_h100.txt >"$tmp/membench_slow.txt"
# shellcheck disable=SC2046
$digest --base models/data/arch/h100.csv --check --out "$tmp/slow.csv" "$tmp/membench_slow.txt" \
  $(raw_of h100 | cut -d' ' -f2-) >"$tmp/slow.out" 2>&1
rc=$?
lat=$(value dram_latency_ns "$tmp/slow.csv")
[ "$rc" = 1 ] && [ "$lat" = "839.6" ] && grep -q 'dram_latency_ns .*DISAGREES' "$tmp/slow.out" &&
  ok "half the test-2 rate doubles dram_latency_ns (839.6), and --check refuses it" ||
  bad "slow test 2" "rc $rc, dram_latency_ns $lat"
sed 's/^wgmma_fit n 128 wg 1 latency_cyc [0-9.]* /wgmma_fit n 128 wg 1 latency_cyc 109.8 /' $R/wgmmabench_h100.txt >"$tmp/wgmma_slow.txt"
# shellcheck disable=SC2046
$digest --base models/data/arch/h100.csv --check --out "$tmp/wslow.csv" "$tmp/wgmma_slow.txt" \
  $(raw_of h100 | grep -v wgmmabench) >"$tmp/wslow.out" 2>&1
rc=$?
w=$(value mma_wait_cyc "$tmp/wslow.csv")
moved=$(moved "$tmp/wslow.csv" "$tmp/h100.csv" $(keys_of h100))
[ "$rc" = 1 ] && [ "$w" = "109.8" ] && [ "$moved" = " mma_wait_cyc" ] &&
  grep -q 'mma_wait_cyc .*DISAGREES' "$tmp/wslow.out" &&
  ok "a wait twice as long gives mma_wait_cyc 109.8 and moves nothing else, and --check refuses it" ||
  bad "slow wgmma wait" "rc $rc, mma_wait_cyc $w, moved:$moved"

# kit.sh's own output on a lent H100: every key it resolves agrees (--check); the
# graph gaps its CUPTI program records as 0 ns are not readings, so they keep the preset's
$digest --base models/data/arch/h100.csv --id kit-h100 --check --out "$tmp/kit.csv" \
  "$R/kit_raw_h100.txt" >"$tmp/kit.out" 2>&1
rc=$?
src=$(awk -F, '$1 == "graph_gap_ns" { print $4 }' "$tmp/kit.csv")
[ "$rc" = 0 ] && [ "$(value graph_gap_ns "$tmp/kit.csv")" = 256 ] && [ "${src#measured}" = "$src" ] &&
  [ "$(grep -c 'measured:kit-h100' "$tmp/kit.csv")" -ge 26 ] &&
  ok "kit.sh's H100 output: 26 keys agree, graph gaps of 0 ns kept as the preset's" ||
  bad "kit.sh H100 output" "rc $rc, graph_gap_ns $(value graph_gap_ns "$tmp/kit.csv") from '$src'"

# kit.sh with PyTorch on a lent H100: every key measured, graph gaps from
# torch.profiler's mean (kcold.py --kit 257.2 ns, kgap_probe.py 434.7), all agreeing
$digest --base models/data/arch/h100.csv --id kit-torch --check --out "$tmp/kt.csv" \
  "$R/kit_raw_torch_h100.txt" >"$tmp/kt.out" 2>&1
rc=$?
n=$(grep -c '^[a-z_0-9]*,.*measured:kit-torch' "$tmp/kt.csv")
[ "$rc" = 0 ] && [ "$n" = 29 ] && [ "$(value graph_gap_ns "$tmp/kt.csv")" = 257 ] &&
  [ "$(value graph_gap_cold_ns "$tmp/kt.csv")" = 435 ] && [ "$(value mma_wait_cyc "$tmp/kt.csv")" = 54.9 ] &&
  ok "kit.sh's H100 output with PyTorch: 29 keys measured and agree, graph gaps 257 and 435 ns" ||
  bad "kit.sh H100 output with PyTorch" "rc $rc, $n measured, graph_gap_ns $(value graph_gap_ns "$tmp/kt.csv")"

# bad input: file:line, exit 2, nothing written
printf 'device X sms 132 l2 1\ntest4 32 fast\n' >"$tmp/bad.txt"
$digest --base models/data/arch/h100.csv --out "$tmp/bad.csv" "$tmp/bad.txt" >/dev/null 2>"$tmp/bad.err"
rc=$?
[ "$rc" = 2 ] && grep -q "bad.txt:2: 'test4 32 fast'" "$tmp/bad.err" && [ ! -e "$tmp/bad.csv" ] &&
  ok "a malformed line: file:line, exit 2, no file" || bad "malformed line" "rc $rc: $(cat "$tmp/bad.err")"
printf 'test4 32 1.0\ntest4 32 2.0\n' >"$tmp/twice.txt"
$digest --base models/data/arch/h100.csv --out "$tmp/twice.csv" "$tmp/twice.txt" >/dev/null 2>"$tmp/twice.err"
rc=$?
[ "$rc" = 2 ] && grep -q "twice.txt:2: test4 (32,) given twice in one run" "$tmp/twice.err" && [ ! -e "$tmp/twice.csv" ] &&
  ok "a test twice in one run: exit 2" || bad "test twice" "rc $rc: $(cat "$tmp/twice.err")"
$digest --base models/data/arch/h100.csv --out "$tmp/none.csv" README.md >/dev/null 2>"$tmp/none.err"
rc=$?
[ "$rc" = 2 ] && [ ! -e "$tmp/none.csv" ] && ok "no measurement at all: exit 2" || bad "no measurement" "rc $rc"
bash microbench/kit.sh >/dev/null 2>"$tmp/kit.err"
rc=$?
[ "$rc" = 2 ] && grep -q "no OUTDIR" "$tmp/kit.err" && ok "kit.sh without OUTDIR: usage, exit 2" ||
  bad "kit.sh usage" "rc $rc: $(cat "$tmp/kit.err")"

echo "kit_test: $pass passed, $fail failed"
[ "$fail" = 0 ]
