#!/usr/bin/env bash
# compare_calibrate_test.sh -- command-line tests of `gbsim compare` and
# `gbsim calibrate` (cli/cmd_compare.c, cli/cmd_calibrate.c), run by ctest as
#     bash tests/compare_calibrate_test.sh PATH/TO/gbsim
# from the source root. Every check prints "ok NAME" or "FAIL NAME: details";
# the last line is "N passed, M failed"; the exit status is 1 if any failed.
# Until cli/main.c dispatches the two commands, the script skips (0 passed).
set -u
export LC_ALL=C
# headline figures only: no uncertainty draws (tests/uncert_cli_test.sh covers them)
export GBSIM_SAMPLES=0

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: bash tests/compare_calibrate_test.sh PATH/TO/gbsim" >&2
    exit 2
fi
GBSIM=$1
case $GBSIM in /*) ;; *) GBSIM=$PWD/$GBSIM ;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

if "$GBSIM" compare --help 2>&1 | grep -q "unknown command"; then
    echo "skip: this gbsim has no compare command yet (cli/main.c)"
    echo "0 passed, 0 failed"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-cmp.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
npass=0
nfail=0
pass() { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
run() { "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; RC=$?; }
lastline() { tail -n 1 "$tmp/out"; }

# want_ok NAME CMD...: exit 0 and stdout ending in classified_pct:
want_ok() {
    local name=$1
    shift
    run "$@"
    if [ "$RC" -ne 0 ]; then
        fail "$name" "exit $RC: $(head -c 300 "$tmp/err")"
    elif ! lastline | grep -Eq '^classified_pct: [0-9]+\.[0-9]+$'; then
        fail "$name" "last line '$(lastline)'; expected classified_pct: <n>"
    else
        pass "$name"
    fi
}

# want_bad NAME PATTERN OUTFILE CMD...: exit 2, message matching PATTERN on
# stderr, nothing on stdout, OUTFILE (may be -) not created, no temp files.
want_bad() {
    local name=$1 pat=$2 outf=$3
    shift 3
    run "$@"
    if [ "$RC" -ne 2 ]; then
        fail "$name" "exit $RC; expected 2"
    elif ! grep -Eq "$pat" "$tmp/err"; then
        fail "$name" "stderr '$(head -c 300 "$tmp/err")' lacks /$pat/"
    elif [ -s "$tmp/out" ]; then
        fail "$name" "stdout not empty"
    elif [ "$outf" != - ] && { [ -e "$outf" ] || ls "$outf".tmp.* >/dev/null 2>&1; }; then
        fail "$name" "output file $outf (or a temporary) was written"
    else
        pass "$name"
    fi
}

run "$GBSIM" compare --help
[ "$RC" -eq 0 ] && grep -q -- "--nsys" "$tmp/out" && pass compare_help_exits_0 || fail compare_help_exits_0 "exit $RC"

# the seed 004 kernel table: steps derived from per-layer ops (175)
want_ok compare_seed_kern_sum "$GBSIM" compare --nsys traces/gb10_seed004_kern_sum.csv --arch gb10 --model gpt-oss-120b --stack vllm-cutlass --out "$tmp/seed.csv"
if grep -q '^# steps: 175.00 ' "$tmp/out" && grep -q '^moe_gemm .*moe_fc1+moe_fc2' "$tmp/out" &&
   [ "$(lastline)" = "classified_pct: 100.00" ]; then
    pass compare_seed_finds_175_steps_and_combines_moe_gemm
else
    fail compare_seed_finds_175_steps_and_combines_moe_gemm "$(head -c 600 "$tmp/out")"
fi
if head -n 1 "$tmp/seed.csv" | grep -q '^class,sim_ops,meas_calls_per_step,sim_calls_per_step,meas_us_per_call,sim_us_per_call,meas_us_per_step,sim_us_per_step,err_pct$' &&
   grep -q '^moe_act,moe_act,36.0000,36.0000,18.0000,' "$tmp/seed.csv"; then
    pass compare_out_writes_csv
else
    fail compare_out_writes_csv "$(head -c 400 "$tmp/seed.csv" 2>/dev/null)"
fi

# the H100 capture (shape microbenchmarks, 20 calls each): --steps
want_ok compare_h100_trace_with_steps "$GBSIM" compare --nsys traces/hopper/h100_cuda_gpu_trace.csv --steps 20
if grep -q '^gemm ' "$tmp/out" && grep -q '^moe_gemm ' "$tmp/out" && grep -q '^attention ' "$tmp/out"; then
    pass compare_h100_classes_gemm_moe_attention
else
    fail compare_h100_classes_gemm_moe_attention "$(head -c 600 "$tmp/out")"
fi

# a synthetic vLLM decode timeline: period detection and call-order mapping
want_ok compare_timeline_autodetects_steps "$GBSIM" compare --nsys traces/testdata/nsys/decode_timeline.csv --stack vllm-cutlass --set n_layers=2
if grep -q '^# steps: 3.00 ' "$tmp/out" && grep -q '^qkv_proj ' "$tmp/out" && grep -q '^lm_head ' "$tmp/out" &&
   grep -q '^moe_fc2 ' "$tmp/out" && grep -q 'my_custom_sampler_kernel' "$tmp/out"; then
    pass compare_timeline_maps_gemms_by_call_order_and_lists_unknowns
else
    fail compare_timeline_maps_gemms_by_call_order_and_lists_unknowns "$(head -c 800 "$tmp/out")"
fi

want_bad compare_summary_needs_steps_or_stack 'expected --steps N' - \
    "$GBSIM" compare --nsys traces/gb10_seed004_kern_sum.csv
want_bad compare_truncated_file_names_line 'truncated.csv:3:' "$tmp/t.csv" \
    "$GBSIM" compare --nsys traces/testdata/nsys/truncated.csv --steps 1 --out "$tmp/t.csv"
want_bad compare_missing_file 'cannot open' "$tmp/m.csv" \
    "$GBSIM" compare --nsys "$tmp/nope.csv" --steps 1 --out "$tmp/m.csv"
want_bad compare_needs_nsys 'needs --nsys' - "$GBSIM" compare --steps 3
want_bad compare_bad_steps 'steps' - "$GBSIM" compare --nsys traces/gb10_seed004_kern_sum.csv --steps 0
want_bad compare_unknown_stack "unknown stack 'vllm'" - \
    "$GBSIM" compare --nsys traces/gb10_seed004_kern_sum.csv --stack vllm

# calibrate: the fast rows of the H100 capture (the whole file takes minutes)
{ head -n 1 traces/hopper/h100_shapes.csv
  grep -E '^(qkv_proj|o_proj|router|attn)_|^add_(2880|184320|1048576),' traces/hopper/h100_shapes.csv; } >"$tmp/h100_fast.csv"
# the preset's own values: the fit does not predict the held-out rows better,
# so no override file is written (exit 1, the numbers on stderr)
run "$GBSIM" calibrate --arch h100 --trace "$tmp/h100_fast.csv" --max-iter 2 --out "$tmp/ov0.csv"
if [ "$RC" -eq 1 ] && tail -n 1 "$tmp/out" | grep -Eq '^holdout_mape_pct: [0-9.]+$' &&
   tail -n 2 "$tmp/out" | head -n 1 | grep -Eq '^fit_mape_pct: [0-9.]+$' &&
   grep -q 'no better than the preset (hold-out MAPE [0-9.]* % fitted vs [0-9.]* % preset)' "$tmp/err" &&
   [ ! -e "$tmp/ov0.csv" ]; then
    pass calibrate_refuses_an_override_worse_on_holdout
else
    fail calibrate_refuses_an_override_worse_on_holdout "exit $RC: $(head -c 300 "$tmp/err") $(tail -n 3 "$tmp/out")"
fi
# a preset put off on purpose (half the achievable bandwidth): the fit moves it
# back, predicts the held-out rows better, and writes a loadable override file
run "$GBSIM" calibrate --arch h100 --trace "$tmp/h100_fast.csv" --max-iter 4 \
    --set dram_achievable_frac=0.45 --fit dram_achievable_frac --out "$tmp/ov.csv"
if [ "$RC" -eq 0 ] && tail -n 1 "$tmp/out" | grep -Eq '^holdout_mape_pct: [0-9.]+$'; then
    pass calibrate_reports_fit_and_holdout_mape
else
    fail calibrate_reports_fit_and_holdout_mape "exit $RC: $(head -c 300 "$tmp/err") $(tail -n 3 "$tmp/out")"
fi
ovok=1
[ "$(head -n 1 "$tmp/ov.csv" 2>/dev/null)" = "key,value,unit,source" ] || ovok=0
[ "$(tail -n +2 "$tmp/ov.csv" 2>/dev/null | wc -l)" -eq 1 ] || ovok=0
grep -q 'measured:.*(gbsim calibrate, fit on [0-9]* rows, hold-out MAPE [0-9.]*%)' "$tmp/ov.csv" || ovok=0
while IFS=, read -r key value unit rest; do
    "$GBSIM" decode --arch h100 --stack llamacpp --layers 1 --set "$key=$value" >/dev/null 2>"$tmp/err2" || {
        ovok=0
        echo "  --set $key=$value: $(head -c 200 "$tmp/err2")"
    }
done < <(tail -n +2 "$tmp/ov.csv" 2>/dev/null)
[ $ovok -eq 1 ] && pass calibrate_override_file_is_loadable_by_set || fail calibrate_override_file_is_loadable_by_set "$(cat "$tmp/ov.csv" 2>/dev/null)"
# a key the solver drives to a bound of its range is flagged
run "$GBSIM" calibrate --arch h100 --trace "$tmp/h100_fast.csv" --max-iter 8 --fit dram_latency_ns,kernel_fixed_ns
if grep -Eq '^dram_latency_ns .* AT_LOWER_BOUND$' "$tmp/out" &&
   grep -q '^# warning: .* ended at a bound' "$tmp/out" &&
   ! grep -Eq '^kernel_fixed_ns .*(BOUND|UNDETERMINED)$' "$tmp/out"; then
    pass calibrate_flags_a_key_at_its_bound
else
    fail calibrate_flags_a_key_at_its_bound "$(grep -E '^(dram_latency_ns|kernel_fixed_ns) ' "$tmp/out")"
fi

want_bad calibrate_unknown_key "unknown arch key 'dram_speed'" "$tmp/o1.csv" \
    "$GBSIM" calibrate --arch h100 --trace "$tmp/h100_fast.csv" --fit dram_speed --out "$tmp/o1.csv"
want_bad calibrate_needs_trace 'needs at least one --trace' - "$GBSIM" calibrate --arch h100
want_bad calibrate_needs_measured_rows 'expected more rows than parameters' "$tmp/o2.csv" \
    "$GBSIM" calibrate --arch h100 --trace traces/testdata/valid.csv --out "$tmp/o2.csv"
want_bad calibrate_bad_holdout 'holdout-every' - \
    "$GBSIM" calibrate --arch h100 --trace "$tmp/h100_fast.csv" --holdout-every 1

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
