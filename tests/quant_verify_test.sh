#!/usr/bin/env bash
# quant_verify_test.sh -- command-line tests of `gbsim quant` and `gbsim verify`
# (run by ctest as  bash tests/quant_verify_test.sh PATH/TO/gbsim  from the
# source root).
#
# Every check prints "ok NAME" or "FAIL NAME: details"; the last line is
# "N passed, M failed" and the exit status is 1 if any check failed. Until
# cli/main.c dispatches quant and verify, the script skips ("0 passed, 0
# failed", exit 0) when `gbsim quant --help` answers "unknown command".
#
# The conventions under test (cli/cli.h, cli/cmd_quant.c, cli/cmd_verify.c):
#   - bad input: "gbsim: error: ..." naming the file/line/option and the
#     expected value, exit status 2, no OUT file and no OUT.tmp.* left over;
#   - quant: OUT = IN's columns + code,scale,xq (+global_scale for nvfp4);
#     elements round to nearest even; MX ocp/nvidia scale rules; a block with
#     NaN/Inf gets the NaN scale;
#   - verify: one row per configuration, a fault line that says DETECTED on the
#     default (gpt-oss FC2) shape, "verify: ok" last.
set -u
export LC_ALL=C

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: bash tests/quant_verify_test.sh PATH/TO/gbsim" >&2
    exit 2
fi
GBSIM=$1
case $GBSIM in /*) ;; *) GBSIM=$PWD/$GBSIM ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-qv.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
W=$tmp/w
mkdir -p "$W"

npass=0
nfail=0
RC=0
pass() { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }

# run CMD...: stdout to $tmp/out, stderr to $tmp/err, status in RC.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    RC=$?
}

# The binary may not dispatch quant yet (cli/main.c is wired by its owner).
run "$GBSIM" quant --help
if [ "$RC" -ne 0 ] && grep -q "unknown command" "$tmp/err"; then
    echo "skip: this gbsim has no 'quant' command yet"
    echo "0 passed, 0 failed"
    exit 0
fi

# check_rc NAME WANT: the last run's status.
check_rc() {
    if [ "$RC" -eq "$2" ]; then pass "$1"; else fail "$1" "exit $RC, expected $2; stderr: $(head -c 300 "$tmp/err")"; fi
}

# check_bad NAME PATTERN OUT -- CMD...: exit 2, stderr matches PATTERN, no OUT, no OUT.tmp.*
check_bad() {
    local name=$1 pat=$2 out=$3
    shift 4
    run "$@"
    if [ "$RC" -ne 2 ]; then
        fail "$name" "exit $RC, expected 2"
    elif ! grep -q -- "$pat" "$tmp/err"; then
        fail "$name" "stderr lacks '$pat': $(head -c 300 "$tmp/err")"
    elif [ -e "$out" ] || ls "$out".tmp.* >/dev/null 2>&1; then
        fail "$name" "output file left behind"
    else
        pass "$name"
    fi
}

# column NAME FILE: the values of column NAME (no header), one per line; NAME
# must be one of the columns quant appends (counted from the end of the row,
# so quoted commas in the input columns do not shift it).
column() {
    awk -F, -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = NF - i; next } { print $(NF - k) }' "$2"
}

# ---- help -----------------------------------------------------------------
run "$GBSIM" quant --help
check_rc quant_help_exits_0 0
miss=""
for o in --fmt --rule mxfp4 mxfp8e4m3 mxfp8e5m2 nvfp4 ocp nvidia code scale xq; do
    grep -q -- "$o" "$tmp/out" || miss="$miss $o"
done
[ -z "$miss" ] && pass quant_help_explains_every_option || fail quant_help_explains_every_option "missing:$miss"

run "$GBSIM" verify --help
check_rc verify_help_exits_0 0
miss=""
for o in --m --n --k --seed --data --fault --format --out gaussian outliers padded-sf; do
    grep -q -- "$o" "$tmp/out" || miss="$miss $o"
done
[ -z "$miss" ] && pass verify_help_explains_every_option || fail verify_help_explains_every_option "missing:$miss"

# ---- quant: values --------------------------------------------------------
# one MXFP4 block, amax 5 -> ocp scale 2^0 (byte 127); ties go to even
printf 'id,x,note\n1,4,a\n2,0.25,b\n3,0.75,"c,d"\n4,1.25,e\n5,1.75,f\n6,2.5,g\n7,3.5,h\n8,5,i\n9,-0.75,j\n' >"$W/in.csv"
run "$GBSIM" quant --fmt mxfp4 --rule ocp "$W/in.csv" "$W/out.csv"
check_rc quant_mxfp4_ocp_exits_0 0
got=$(column code "$W/out.csv" | tr '\n' ' ')
[ "$got" = "6 0 2 2 4 4 6 6 10 " ] && pass quant_mxfp4_codes_round_ties_to_even || fail quant_mxfp4_codes_round_ties_to_even "codes: $got"
got=$(column xq "$W/out.csv" | tr '\n' ' ')
[ "$got" = "4 0 1 1 2 2 4 4 -1 " ] && pass quant_mxfp4_xq_dequantizes || fail quant_mxfp4_xq_dequantizes "xq: $got"
got=$(column scale "$W/out.csv" | sort -u | tr '\n' ' ')
[ "$got" = "127 " ] && pass quant_mxfp4_ocp_scale_byte || fail quant_mxfp4_ocp_scale_byte "scales: $got"
if head -1 "$W/out.csv" | grep -qx 'id,x,note,code,scale,xq' && grep -q '^3,0.75,"c,d",2,127,1$' "$W/out.csv"; then
    pass quant_keeps_every_input_column
else
    fail quant_keeps_every_input_column "$(head -c 200 "$W/out.csv" | tr '\n' '|')"
fi

# amax 7: ocp keeps byte 127 and clamps 7 to 6; nvidia rounds the scale up (byte 128)
printf 'x\n7\n1\n' >"$W/b7.csv"
run "$GBSIM" quant --fmt mxfp4 --rule ocp "$W/b7.csv" "$W/o7.csv"
a=$(column xq "$W/o7.csv" | tr '\n' ' ')
run "$GBSIM" quant --fmt mxfp4 --rule nvidia "$W/b7.csv" "$W/n7.csv"
b=$(column xq "$W/n7.csv" | tr '\n' ' ')
s=$(column scale "$W/n7.csv" | head -1)
if [ "$a" = "6 1 " ] && [ "$b" = "8 1 " ] && [ "$s" = 128 ]; then
    pass quant_rules_differ_ocp_clamps_nvidia_rounds_up
else
    fail quant_rules_differ_ocp_clamps_nvidia_rounds_up "ocp xq '$a', nvidia xq '$b' scale $s"
fi

# NaN in a block: NaN scale (255) and NaN element codes (E4M3 0x7F = 127)
printf 'x\n1\nnan\n-2\n' >"$W/nan.csv"
run "$GBSIM" quant --fmt mxfp8e4m3 --rule ocp "$W/nan.csv" "$W/onan.csv"
if [ "$RC" -eq 0 ] && [ "$(column scale "$W/onan.csv" | sort -u)" = 255 ] &&
    [ "$(column code "$W/onan.csv" | tr '\n' ' ')" = "127 127 255 " ] &&
    [ "$(column xq "$W/onan.csv" | sort -u)" = nan ]; then
    pass quant_nan_block_gets_nan_scale
else
    fail quant_nan_block_gets_nan_scale "rc $RC: $(tr '\n' '|' <"$W/onan.csv" 2>/dev/null)"
fi

# nvfp4 adds global_scale = 2688/amax (amax 16 -> 168)
printf 'x\n16\n8\n' >"$W/nv.csv"
run "$GBSIM" quant --fmt nvfp4 --rule nvidia "$W/nv.csv" "$W/onv.csv"
if [ "$RC" -eq 0 ] && head -1 "$W/onv.csv" | grep -qx 'x,code,scale,xq,global_scale' &&
    [ "$(column global_scale "$W/onv.csv" | sort -u)" = 168 ] &&
    [ "$(column xq "$W/onv.csv" | tr '\n' ' ')" = "16 8 " ]; then
    pass quant_nvfp4_reports_global_scale
else
    fail quant_nvfp4_reports_global_scale "rc $RC: $(tr '\n' '|' <"$W/onv.csv" 2>/dev/null)"
fi

# 40 rows: two blocks, the second partial with its own scale
{ echo x; for i in $(seq 1 32); do echo 100; done; for i in $(seq 1 8); do echo 1; done; } >"$W/p.csv"
run "$GBSIM" quant --fmt mxfp4 "$W/p.csv" "$W/op.csv"
if [ "$RC" -eq 0 ] && [ "$(column scale "$W/op.csv" | sed -n 40p)" = 125 ] &&
    [ "$(column scale "$W/op.csv" | sed -n 1p)" = 131 ] && [ "$(column xq "$W/op.csv" | sed -n 40p)" = 1 ]; then
    pass quant_partial_last_block_has_its_own_scale
else
    fail quant_partial_last_block_has_its_own_scale "rc $RC"
fi

# ---- quant: bad input -----------------------------------------------------
printf 'x\n1\nabc\n' >"$W/bad.csv"
check_bad quant_non_numeric_x_names_file_line "bad.csv:3: column 'x': 'abc'" "$W/o1.csv" -- \
    "$GBSIM" quant --fmt mxfp4 "$W/bad.csv" "$W/o1.csv"
printf 'y\n1\n' >"$W/nox.csv"
check_bad quant_missing_x_column "nox.csv:1: the header has no column 'x'" "$W/o2.csv" -- \
    "$GBSIM" quant --fmt mxfp4 "$W/nox.csv" "$W/o2.csv"
check_bad quant_unknown_fmt "--fmt 'mxfp6' is not valid; expected one of mxfp4" "$W/o3.csv" -- \
    "$GBSIM" quant --fmt mxfp6 "$W/in.csv" "$W/o3.csv"
check_bad quant_unknown_rule "--rule 'amd' is not valid; expected one of ocp, nvidia" "$W/o4.csv" -- \
    "$GBSIM" quant --fmt mxfp4 --rule amd "$W/in.csv" "$W/o4.csv"
printf 'x,y\n1,2\n3\n' >"$W/rag.csv"
check_bad quant_ragged_row "rag.csv:3: 1 fields; expected 2" "$W/o5.csv" -- \
    "$GBSIM" quant --fmt mxfp4 "$W/rag.csv" "$W/o5.csv"
printf 'x\n1e39\n' >"$W/big.csv"
check_bad quant_x_beyond_fp32_range "big.csv:2: column 'x': '1e39'" "$W/o6.csv" -- \
    "$GBSIM" quant --fmt mxfp4 "$W/big.csv" "$W/o6.csv"
check_bad quant_missing_input_file "nosuch.csv: cannot open" "$W/o9.csv" -- \
    "$GBSIM" quant --fmt mxfp4 "$W/nosuch.csv" "$W/o9.csv"
check_bad quant_fmt_required "--fmt is required" "$W/o8.csv" -- \
    "$GBSIM" quant "$W/in.csv" "$W/o8.csv"

# ---- verify ---------------------------------------------------------------
run "$GBSIM" verify
check_rc verify_default_exits_0 0
if grep -q '^fault padded-sf .*DETECTED$' "$tmp/out" && ! grep -q 'NOT DETECTED' "$tmp/out"; then
    pass verify_detects_seed_002_fault
else
    fail verify_detects_seed_002_fault "$(grep '^fault' "$tmp/out")"
fi
[ "$(tail -1 "$tmp/out")" = "verify: ok" ] && pass verify_ends_with_ok || fail verify_ends_with_ok "$(tail -1 "$tmp/out")"
rows=$(grep -c '^mx\|^nv' "$tmp/out")
[ "$rows" -eq 120 ] && pass verify_reports_every_configuration || fail verify_reports_every_configuration "$rows rows"
if grep -q '^mxfp8e4m3  mxfp4      ocp    64\* ' "$tmp/out" && grep -q '^nvfp4      nvfp4      ocp    16  ' "$tmp/out"; then
    pass verify_marks_hypothetical_sf_vectors
else
    fail verify_marks_hypothetical_sf_vectors "no '64*' / plain nvfp4 16 row"
fi

run "$GBSIM" verify --format csv --k 4096 --n 256 --m 2
if [ "$RC" -eq 0 ] && head -1 "$tmp/out" | grep -qx 'a_fmt,b_fmt,rule,sf_vec,hypothetical,tile,swap_ab,fault,rel_fro_err,max_abs_err,cosine,d_tile,status' &&
    grep -q ',padded-sf,.*,not observable$' "$tmp/out"; then
    pass verify_csv_and_fault_not_observable_when_layouts_coincide
else
    fail verify_csv_and_fault_not_observable_when_layouts_coincide "rc $RC: $(grep padded "$tmp/out")"
fi

run "$GBSIM" verify --data outliers --seed 7 --out "$W/v.txt"
if [ "$RC" -eq 0 ] && [ ! -s "$tmp/out" ] && grep -q 'data=outliers, seed=7' "$W/v.txt"; then
    pass verify_out_writes_the_file
else
    fail verify_out_writes_the_file "rc $RC"
fi

check_bad verify_bad_data "--data 'uniform' is not valid; expected gaussian or outliers" "$W/v2.txt" -- \
    "$GBSIM" verify --data uniform --out "$W/v2.txt"
check_bad verify_bad_k "--k" "$W/v3.txt" -- "$GBSIM" verify --k 0 --out "$W/v3.txt"
check_bad verify_bad_fault "--fault 'x' is not valid; expected none or padded-sf" "$W/v4.txt" -- \
    "$GBSIM" verify --fault x --out "$W/v4.txt"

run "$GBSIM" verify --fault padded-sf --m 2 --n 256 --k 2880
if grep -q 'fault=padded-sf' "$tmp/out"; then
    pass verify_fault_option_runs_every_configuration_faulty
else
    fail verify_fault_option_runs_every_configuration_faulty "no fault=padded-sf rows"
fi

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
