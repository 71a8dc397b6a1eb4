#!/usr/bin/env bash
# cli_test.sh -- command-line tests of gbsim (run by ctest as
#     bash tests/cli_test.sh PATH/TO/gbsim
# from the source root).
#
# Every check prints "ok NAME" or "FAIL NAME: details"; the last line is
# "N passed, M failed" and the exit status is 1 if any check failed.
#
# The conventions under test (cli/cli.h, cli/main.c):
#   - bad input: a message "gbsim: error: ..." on stderr that names the
#     offending file/line/option and the expected value, exit status 2, nothing
#     on stdout and NO output file (no partial file, no PATH.tmp.* left over);
#   - gbsim help / gbsim CMD --help exit 0;
#   - decode's table ends with step_us:, tok_per_s:, limit_tok_per_s: lines;
#     its csv starts with op,kernel,calls_per_step,us_per_call,us_per_step,share_pct,bound;
#   - replay ends with total_predicted_us: (and mape_pct: when rows have
#     measured_us); --out writes the input columns plus predicted_us; --plot
#     needs a row with measured_us and draws every such row, across chunks.
set -u
export LC_ALL=C
# headline figures only: no uncertainty draws (tests/uncert_cli_test.sh covers them)
export GBSIM_SAMPLES=0

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: bash tests/cli_test.sh PATH/TO/gbsim" >&2
    exit 2
fi
GBSIM=$1
case $GBSIM in /*) ;; *) GBSIM=$PWD/$GBSIM ;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
CAP=$tmp/cap      # captured stdout/stderr of the last command
W=$tmp/w          # where the commands write their output files
T=$tmp/traces     # trace fixtures written by this script
mkdir -p "$CAP" "$W" "$T"

npass=0
nfail=0
RC=0
LAST=""           # the command line of the last run, for messages

pass() { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }

# First bytes of a file on one line, for messages.
snip() { head -c "${2:-300}" "$1" | tr '\n' '|'; }

# run CMD...: run it, stdout to $CAP/out, stderr to $CAP/err, status in RC.
run() {
    LAST="$*"
    "$@" >"$CAP/out" 2>"$CAP/err" </dev/null
    RC=$?
}

# check NAME STATUS -- CMD...: run CMD and check its exit status.
check() {
    local name=$1 want=$2
    shift 2
    [ "${1-}" = -- ] && shift
    run "$@"
    if [ "$RC" -eq "$want" ]; then
        pass "$name"
    else
        fail "$name" "exit $RC, expected $want [$LAST] stderr: $(snip "$CAP/err")"
    fi
}

# bad_input NAME -- CMD...: status 2, the error convention, and nothing on
# stdout (bad input must be rejected before any report is printed).
bad_input() {
    local name=$1
    shift
    check "$name" 2 "$@"
    if head -n 1 "$CAP/err" | grep -q '^gbsim: error: .'; then
        pass "$name/error-prefix"
    else
        fail "$name/error-prefix" "stderr does not start with 'gbsim: error: ': $(snip "$CAP/err")"
    fi
    if [ ! -s "$CAP/out" ]; then
        pass "$name/no-stdout"
    else
        fail "$name/no-stdout" "bad input, yet stdout has $(wc -l <"$CAP/out") lines: $(snip "$CAP/out" 120)"
    fi
}

# has_all NAME FILE WHAT TEXT...: FILE contains every TEXT; WHAT (stdout, stderr) names
# FILE in the message.
has_all() {
    local name=$1 file=$2 what=$3 t missing=""
    shift 3
    for t in "$@"; do
        grep -qF -- "$t" "$file" || missing="$missing '$t'"
    done
    if [ -z "$missing" ]; then
        pass "$name"
    else
        fail "$name" "$what lacks$missing: $(snip "$file")"
    fi
}

# err_has NAME TEXT...: the last command's stderr contains every TEXT.
err_has() { local name=$1; shift; has_all "$name" "$CAP/err" stderr "$@"; }

# err_lacks NAME REGEX: the last command's stderr does not match REGEX.
err_lacks() {
    if grep -qE -- "$2" "$CAP/err"; then
        fail "$1" "stderr matches /$2/: $(snip "$CAP/err")"
    else
        pass "$1"
    fi
}

# out_has NAME TEXT...: the last command's stdout contains every TEXT.
out_has() { local name=$1; shift; has_all "$name" "$CAP/out" stdout "$@"; }

# absent NAME PATH: no file PATH (nor PATH.tmp.*, PATH.gp.* ...).
absent() {
    local left
    left=$(ls -d -- "$2" "$2".* 2>/dev/null | tr '\n' ' ')
    if [ -z "$left" ]; then
        pass "$1"
    else
        fail "$1" "left behind: $left"
    fi
}

# exists NAME PATH: a non-empty file PATH.
exists() {
    if [ -s "$2" ]; then pass "$1"; else fail "$1" "no non-empty file $2"; fi
}

# no_stray NAME DIR: no temporary files (*.tmp.*, *.gp.*, *.log.*, *.dat.*)
# anywhere under DIR.
no_stray() {
    local left
    left=$(find "$2" \( -name '*.tmp.*' -o -name '*.gp.*' -o -name '*.log.*' -o -name '*.dat.*' \) \
        -print 2>/dev/null | tr '\n' ' ')
    if [ -z "$left" ]; then
        pass "$1"
    else
        fail "$1" "temporary files left: $left"
    fi
}

# same NAME A B: files A and B are byte-identical.
same() {
    if cmp -s "$2" "$3"; then
        pass "$1"
    else
        fail "$1" "$2 and $3 differ: $(cmp "$2" "$3" 2>&1 | head -n 1)"
    fi
}

# in_dir DIR CMD...: run CMD with DIR as working directory.
in_dir() { (cd "$1" && shift && "$@"); }

# The decode table's last three lines, in order and exactly.
decode_tail_ok() {
    local name=$1 f=$2 l1 l2 l3
    l1=$(tail -n 3 "$f" | sed -n 1p)
    l2=$(tail -n 3 "$f" | sed -n 2p)
    l3=$(tail -n 3 "$f" | sed -n 3p)
    if [[ $l1 =~ ^step_us:\ [0-9]+(\.[0-9]+)?$ ]] && [[ $l2 =~ ^tok_per_s:\ [0-9]+(\.[0-9]+)?$ ]] &&
        [[ $l3 =~ ^limit_tok_per_s:\ [0-9]+(\.[0-9]+)?$ ]]; then
        pass "$name"
    else
        fail "$name" "last three lines are '$l1' '$l2' '$l3'"
    fi
}

# A value "key: v" from a report.
val() { sed -n "s/^$1: //p" "$2" | tail -n 1; }

# Number of fields of each line of a CSV without embedded line breaks, quoted
# fields (with doubled quotes) counted as one.
csv_nf() { sed -e 's/"\([^"]\|""\)*"/Q/g' "$1" | awk -F, '{ print NF }'; }

have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

DECODE_OPTS="--arch --model --stack --batch --ctx --layers --graphs --set --format --out --plot"
REPLAY_OPTS="--arch --set --out --plot --auto-config"

###########################################################################
# top level
###########################################################################
check help 0 -- "$GBSIM" help
out_has help/lists-commands decode replay
check dash-dash-help 0 -- "$GBSIM" --help
out_has dash-dash-help/lists-commands decode replay
check dash-h 0 -- "$GBSIM" -h
check no-args 2 -- "$GBSIM"
# usage errors belong on stderr, like every other bad input
err_has no-args/usage-on-stderr decode replay
bad_input unknown-command -- "$GBSIM" bogus
err_has unknown-command/message "'bogus'" decode replay help

###########################################################################
# --help of the subcommands
###########################################################################
check decode-help 0 -- "$GBSIM" decode --help
# shellcheck disable=SC2086
out_has decode-help/every-option $DECODE_OPTS
out_has decode-help/documents-tail step_us: tok_per_s: limit_tok_per_s: \
    op,kernel,calls_per_step,us_per_call,us_per_step,share_pct,bound
if grep -q '%%' "$CAP/out"; then
    fail decode-help/no-printf-escapes "help shows a literal '%%': $(grep -m1 '%%' "$CAP/out")"
else
    pass decode-help/no-printf-escapes
fi
check replay-help 0 -- "$GBSIM" replay --help
# shellcheck disable=SC2086
out_has replay-help/every-option $REPLAY_OPTS
out_has replay-help/documents-tail total_predicted_us: mape_pct:
check decode-help-wins 0 -- "$GBSIM" decode --layers 2 --help
bad_input decode-help-with-value -- "$GBSIM" decode --help=yes
err_has decode-help-with-value/message "--help" "no value"

###########################################################################
# decode: bad options
###########################################################################
bad_input decode-arch-unknown -- "$GBSIM" decode --arch bogus
err_has decode-arch-unknown/lists "'bogus'" gb10 h100 h200 rtx5090
bad_input decode-model-unknown -- "$GBSIM" decode --model bogus
err_has decode-model-unknown/lists "'bogus'" gpt-oss-120b gpt-oss-20b
bad_input decode-stack-unknown -- "$GBSIM" decode --stack bogus
err_has decode-stack-unknown/lists "'bogus'" vllm-cutlass llamacpp

for v in 0 -1 abc 1.5 1e3 99999 "" +1 0x10 " 1"; do
    bad_input "decode-batch[$v]" -- "$GBSIM" decode --batch "$v"
    err_has "decode-batch[$v]/message" --batch "'$v'" "[1, 4096]"
done
bad_input decode-batch-huge -- "$GBSIM" decode --batch 99999999999999999999999
err_has decode-batch-huge/message --batch "[1, 4096]"

bad_input decode-ctx-abc -- "$GBSIM" decode --ctx abc
err_has decode-ctx-abc/message --ctx "'abc'" "[0, 131071]"
bad_input decode-ctx-beyond-max -- "$GBSIM" decode --ctx 131072
err_has decode-ctx-beyond-max/message --ctx "'131072'" "[0, 131071]"
# the limit is max_positions - batch
bad_input decode-ctx-plus-spec-beyond-max -- "$GBSIM" decode --spec 8 --accept 0.5 --ctx 131065
err_has decode-ctx-plus-spec-beyond-max/message --ctx "[0, 131064]"
bad_input decode-ctx-negative -- "$GBSIM" decode --ctx -1
err_has decode-ctx-negative/message --ctx

bad_input decode-layers-0 -- "$GBSIM" decode --layers 0
err_has decode-layers-0/message --layers "'0'" "[1, 36]"
bad_input decode-layers-999 -- "$GBSIM" decode --layers 999
err_has decode-layers-999/message --layers "'999'" "[1, 36]"
bad_input decode-layers-20b-25 -- "$GBSIM" decode --model gpt-oss-20b --layers 25
err_has decode-layers-20b-25/message --layers "[1, 24]"

bad_input decode-graphs-maybe -- "$GBSIM" decode --graphs maybe
err_has decode-graphs-maybe/message --graphs "'maybe'" on off
bad_input decode-format-xml -- "$GBSIM" decode --format xml
err_has decode-format-xml/message --format "'xml'" table csv
bad_input decode-unknown-option -- "$GBSIM" decode --frobnicate
err_has decode-unknown-option/message "--frobnicate"
bad_input decode-unknown-option-eq -- "$GBSIM" decode --frobnicate=1
err_has decode-unknown-option-eq/message "--frobnicate"
bad_input decode-positional -- "$GBSIM" decode gpt-oss-120b
err_has decode-positional/message "'gpt-oss-120b'" positional
bad_input decode-missing-value -- "$GBSIM" decode --layers
err_has decode-missing-value/message --layers value

bad_input decode-set-unknown-key -- "$GBSIM" decode --set bogus=1
err_has decode-set-unknown-key/message "'bogus'" key
for v in nan inf -inf -5 0 abc 1e9 ""; do
    bad_input "decode-set-dram[$v]" -- "$GBSIM" decode --set "dram_peak_gbps=$v"
    err_has "decode-set-dram[$v]/message" dram_peak_gbps "'$v'" "[1, 100000]"
done
bad_input decode-set-int-key-real -- "$GBSIM" decode --set n_sm=1.5
err_has decode-set-int-key-real/message n_sm "'1.5'" integer
bad_input decode-set-noequals -- "$GBSIM" decode --set noequals
err_has decode-set-noequals/message "'noequals'" key=value
bad_input decode-set-empty-key -- "$GBSIM" decode --set =5
err_has decode-set-empty-key/message key=value
bad_input decode-set-spaces -- "$GBSIM" decode --set "n_sm = 96"
err_has decode-set-spaces/message n_sm

# --set values that are each in range but together describe no possible model
# or step must be refused like any other bad input (the trace reader refuses
# heads_q % heads_kv != 0, docs/formats.md "Value rules").
bad_input decode-set-heads-kv-not-divisor -- "$GBSIM" decode --layers 1 --set n_heads_kv=7
err_has decode-set-heads-kv-not-divisor/message n_heads_kv
bad_input decode-set-top-k-above-experts -- "$GBSIM" decode --model gpt-oss-20b --layers 1 --set top_k=64
err_has decode-set-top-k-above-experts/message top_k
bad_input decode-default-ctx-beyond-max-positions -- "$GBSIM" decode --layers 1 --set max_positions=1024
err_has decode-default-ctx-beyond-max-positions/message ctx max_positions
# a parameter that leaves no valid kernel tile: a clear message, no negative sizes
bad_input decode-set-tiny-smem -- "$GBSIM" decode --layers 1 --set smem_per_cta_max_bytes=1024
err_lacks decode-set-tiny-smem/no-negative-sizes '(^|[^0-9A-Za-z_])-[0-9]+ (B|stage)'

###########################################################################
# decode: output
###########################################################################
check decode-default 0 -- "$GBSIM" decode
cp "$CAP/out" "$tmp/full.txt"
decode_tail_ok decode-default/last-three-lines "$tmp/full.txt"
if [ ! -s "$CAP/err" ]; then pass decode-default/quiet-stderr; else
    fail decode-default/quiet-stderr "$(snip "$CAP/err")"; fi
tok=$(val tok_per_s "$tmp/full.txt")
lim=$(val limit_tok_per_s "$tmp/full.txt")
if awk -v a="$tok" -v b="$lim" 'BEGIN { exit !(a + 0 > 0 && a + 0 < b + 0) }'; then
    pass decode-default/below-dram-limit
else
    fail decode-default/below-dram-limit "tok_per_s '$tok' is not in (0, limit_tok_per_s '$lim')"
fi
out_has decode-default/header "# gbsim decode: arch=gb10 model=gpt-oss-120b stack=vllm-cutlass batch=1 ctx=2048 layers=36"
# table rows: between the column header ("op ...") and "# kernels/step"
awk '/^op[ \t]/ { f = 1; next } /^# kernels/ { f = 0 } f' "$tmp/full.txt" >"$tmp/rows.txt"
nrows=$(wc -l <"$tmp/rows.txt")
if [ "$nrows" -ge 5 ]; then pass decode-default/has-rows; else
    fail decode-default/has-rows "$nrows table rows"; fi
badrow=$(awk '$(NF-1) !~ /^[0-9]+\.[0-9]+$/ { print; exit }' "$tmp/rows.txt")
if [ -z "$badrow" ]; then pass decode-default/share-is-number; else
    fail decode-default/share-is-number "row '$badrow'"; fi
badrow=$(awk '$NF !~ /^(dram|compute|latency|launch)$/ { print; exit }' "$tmp/rows.txt")
if [ -z "$badrow" ]; then pass decode-default/bound-is-known; else
    fail decode-default/bound-is-known "row '$badrow'"; fi
sum=$(awk '{ s += $(NF-1) } END { printf "%.2f", s }' "$tmp/rows.txt")
if awk -v s="$sum" 'BEGIN { exit !(s > 99.7 && s < 100.3) }'; then
    pass decode-default/shares-sum-to-100
else
    fail decode-default/shares-sum-to-100 "share% column sums to $sum"
fi
ussum=$(awk '{ s += $(NF-2) } END { printf "%.1f", s }' "$tmp/rows.txt")
step=$(val step_us "$tmp/full.txt")
if awk -v a="$ussum" -v b="$step" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.001 * b + 2) }'; then
    pass decode-default/us-per-step-sums-to-step-us
else
    fail decode-default/us-per-step-sums-to-step-us "us/step column sums to $ussum, step_us is $step"
fi

check decode-csv 0 -- "$GBSIM" decode --layers 2 --format csv
cp "$CAP/out" "$tmp/l2.csv"
hdr=$(head -n 1 "$tmp/l2.csv")
if [ "$hdr" = "op,kernel,calls_per_step,us_per_call,us_per_step,share_pct,bound" ]; then
    pass decode-csv/header
else
    fail decode-csv/header "header is '$hdr'"
fi
nf=$(tail -n +2 "$tmp/l2.csv" | csv_nf /dev/stdin | sort -u | tr '\n' ' ')
if [ "$nf" = "7 " ]; then pass decode-csv/seven-fields; else
    fail decode-csv/seven-fields "field counts seen: $nf"; fi
unq=$(tail -n +2 "$tmp/l2.csv" | awk -F, '$2 !~ /^"/ { print; exit }')
if [ -z "$unq" ]; then pass decode-csv/kernel-quoted; else
    fail decode-csv/kernel-quoted "line '$unq'"; fi
ncsv=$(($(wc -l <"$tmp/l2.csv") - 1))
if [ "$ncsv" -ge 5 ]; then pass decode-csv/has-rows; else fail decode-csv/has-rows "$ncsv rows"; fi
sum=$(tail -n +2 "$tmp/l2.csv" | sed -e 's/"\([^"]\|""\)*"/Q/g' | awk -F, '{ s += $6 } END { printf "%.3f", s }')
if awk -v s="$sum" 'BEGIN { exit !(s > 99.9 && s < 100.1) }'; then
    pass decode-csv/shares-sum-to-100
else
    fail decode-csv/shares-sum-to-100 "share_pct sums to $sum"
fi

# determinism, and the same rows in table and csv
check decode-l2-run1 0 -- "$GBSIM" decode --layers 2
cp "$CAP/out" "$tmp/l2a.txt"
check decode-l2-run2 0 -- "$GBSIM" decode --layers 2
cp "$CAP/out" "$tmp/l2b.txt"
same decode-deterministic "$tmp/l2a.txt" "$tmp/l2b.txt"
decode_tail_ok decode-l2/last-three-lines "$tmp/l2a.txt"
ops_t=$(awk '/^op[ \t]/ { f = 1; next } /^# kernels/ { f = 0 } f { print $1 }' "$tmp/l2a.txt" | tr '\n' ' ')
ops_c=$(tail -n +2 "$tmp/l2.csv" | cut -d, -f1 | tr '\n' ' ')
if [ "$ops_t" = "$ops_c" ]; then pass decode-table-csv-same-rows; else
    fail decode-table-csv-same-rows "table ops '$ops_t' vs csv ops '$ops_c'"; fi

# presets are embedded: runs from any working directory
check decode-other-cwd 0 -- in_dir "$tmp" "$GBSIM" decode --layers 2
same decode-other-cwd/same-output "$CAP/out" "$tmp/l2a.txt"

# options that change the result
check decode-set-n-sm 0 -- "$GBSIM" decode --layers 2 --set n_sm=96
s96=$(val step_us "$CAP/out")
s48=$(val step_us "$tmp/l2a.txt")
if [ -n "$s96" ] && [ "$s96" != "$s48" ]; then pass decode-set-n-sm/changes-step; else
    fail decode-set-n-sm/changes-step "step_us '$s96' with n_sm=96, '$s48' by default"; fi
check decode-graphs-on 0 -- "$GBSIM" decode --layers 2 --graphs on
out_has decode-graphs-on/header "graphs=on"
sg=$(val step_us "$CAP/out")
if awk -v a="$sg" -v b="$s48" 'BEGIN { exit !(a + 0 > 0 && a + 0 < b + 0) }'; then
    pass decode-graphs-on/faster-than-eager
else
    fail decode-graphs-on/faster-than-eager "step_us '$sg' with graphs, '$s48' eager"
fi
check decode-eq-syntax 0 -- "$GBSIM" decode --layers=1 --batch=8 --ctx=100
out_has decode-eq-syntax/header "batch=8 ctx=100 layers=1"
check decode-ctx-max 0 -- "$GBSIM" decode --layers 1 --ctx 131071
decode_tail_ok decode-ctx-max/last-three-lines "$CAP/out"

###########################################################################
# decode: --out
###########################################################################
check decode-out 0 -- "$GBSIM" decode --layers 2 --out "$W/r.txt"
exists decode-out/file "$W/r.txt"
[ -s "$W/r.txt" ] && same decode-out/equals-stdout "$W/r.txt" "$tmp/l2a.txt"
if [ ! -s "$CAP/out" ]; then pass decode-out/stdout-empty; else
    fail decode-out/stdout-empty "$(snip "$CAP/out" 120)"; fi
check decode-out-csv 0 -- "$GBSIM" decode --layers 2 --format csv --out "$W/r.csv"
[ -s "$W/r.csv" ] && same decode-out-csv/equals-stdout "$W/r.csv" "$tmp/l2.csv"

bad_input decode-out-bad-arch -- "$GBSIM" decode --arch bogus --out "$W/bad.txt"
absent decode-out-bad-arch/no-file "$W/bad.txt"
bad_input decode-out-bad-layers -- "$GBSIM" decode --layers 999 --out "$W/bad.txt"
absent decode-out-bad-layers/no-file "$W/bad.txt"
bad_input decode-out-bad-set -- "$GBSIM" decode --set dram_peak_gbps=nan --out "$W/bad.txt"
absent decode-out-bad-set/no-file "$W/bad.txt"
bad_input decode-out-impossible-stack -- "$GBSIM" decode --arch h100 --layers 1 --out "$W/bad.txt"
absent decode-out-impossible-stack/no-file "$W/bad.txt"
bad_input decode-out-nonexistent-dir -- "$GBSIM" decode --layers 1 --out /nonexistent_dir/x.txt
err_has decode-out-nonexistent-dir/message /nonexistent_dir/x.txt
bad_input decode-out-is-directory -- "$GBSIM" decode --layers 1 --out "$W"
err_has decode-out-is-directory/message "$W"
# a failed run leaves an existing file as it was
echo old >"$W/keep.txt"
bad_input decode-out-keeps-old -- "$GBSIM" decode --arch bogus --out "$W/keep.txt"
if [ "$(cat "$W/keep.txt")" = old ]; then pass decode-out-keeps-old/unchanged; else
    fail decode-out-keeps-old/unchanged "content now: $(snip "$W/keep.txt" 80)"; fi
# a bad --plot is bad input too: the --out report must not be written
bad_input decode-out-with-bad-plot -- "$GBSIM" decode --layers 1 --out "$W/op.txt" --plot "$W/op.txt.bmp"
absent decode-out-with-bad-plot/no-out-file "$W/op.txt"
absent decode-out-with-bad-plot/no-plot-file "$W/op.txt.bmp"
no_stray decode-out/no-temp-files "$W"

###########################################################################
# decode: --plot
###########################################################################
bad_input decode-plot-bad-extension -- "$GBSIM" decode --layers 1 --plot "$W/p.txt"
err_has decode-plot-bad-extension/message "$W/p.txt" .png .svg
absent decode-plot-bad-extension/no-file "$W/p.txt"
bad_input decode-plot-nonexistent-dir -- "$GBSIM" decode --layers 1 --plot /nonexistent_dir/x.png
err_has decode-plot-nonexistent-dir/message /nonexistent_dir/x.png "No such file or directory"
# gnuplot missing: a clear error, no plot file, and no --out report either
bad_input decode-plot-no-gnuplot -- env PATH=/nonexistent "$GBSIM" decode --layers 1 --plot "$W/ng.png" --out "$W/ng.txt"
err_has decode-plot-no-gnuplot/message "$W/ng.png" gnuplot
absent decode-plot-no-gnuplot/no-plot-file "$W/ng.png"
absent decode-plot-no-gnuplot/no-out-file "$W/ng.txt"
# the plot path must never reach a shell: a quote in it is just a character
# (any exit status; what matters is that no shell command ran)
# (relative names: the plot's directory must exist for the data file)
run in_dir "$W" "$GBSIM" decode --layers 1 --plot "x'; touch INJECTED; echo '.png"
absent decode-plot-no-shell-injection "$W/INJECTED"
rm -f "$W/INJECTED" "$W/x"
if [ "$have_gnuplot" = 1 ]; then
    check decode-plot-png 0 -- "$GBSIM" decode --layers 2 --plot "$W/p.png"
    if [ "$(head -c 4 "$W/p.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e47 ]; then
        pass decode-plot-png/magic
    else
        fail decode-plot-png/magic "$W/p.png does not start with \\x89PNG"
    fi
    same decode-plot-png/stdout-is-report "$CAP/out" "$tmp/l2a.txt"
    check decode-plot-svg 0 -- "$GBSIM" decode --layers 2 --plot "$W/p.svg"
    if grep -q '<svg' "$W/p.svg" 2>/dev/null; then pass decode-plot-svg/has-svg; else
        fail decode-plot-svg/has-svg "$W/p.svg has no <svg"; fi
    check decode-plot-quote-in-name 0 -- "$GBSIM" decode --layers 1 --plot "$W/it's.png"
    exists decode-plot-quote-in-name/file "$W/it's.png"
    check decode-plot-space-in-name 0 -- "$GBSIM" decode --layers 1 --plot "$W/a b.svg"
    exists decode-plot-space-in-name/file "$W/a b.svg"
else
    echo "# gnuplot not found: skipping the checks that draw a plot"
fi
no_stray decode-plot/no-temp-files "$W"

###########################################################################
# decode: every arch x stack x model, one layer
###########################################################################
for arch in gb10 h100 h200 rtx5090; do
    for stack in vllm-cutlass llamacpp; do
        for model in gpt-oss-20b gpt-oss-120b; do
            name="decode-combo[$arch,$stack,$model]"
            if [ "$stack" = vllm-cutlass ] && { [ "$arch" = h100 ] || [ "$arch" = h200 ]; }; then
                # the CUTLASS sm120 block-scaled MoE GEMM needs the
                # kind::mxf8f6f4 MMA, which Hopper lacks: impossible, exit 2
                bad_input "$name" -- "$GBSIM" decode --arch "$arch" --stack "$stack" --model "$model" --layers 1
                err_has "$name/message" vllm-cutlass
                err_has "$name/names-arch" "$arch"
            else
                check "$name" 0 -- "$GBSIM" decode --arch "$arch" --stack "$stack" --model "$model" --layers 1
                decode_tail_ok "$name/last-three-lines" "$CAP/out"
                tok=$(val tok_per_s "$CAP/out")
                lim=$(val limit_tok_per_s "$CAP/out")
                if awk -v a="$tok" -v b="$lim" 'BEGIN { exit !(a + 0 > 0 && a + 0 < b + 0) }'; then
                    pass "$name/below-dram-limit"
                else
                    fail "$name/below-dram-limit" "tok_per_s '$tok', limit '$lim'"
                fi
            fi
        done
    done
done

###########################################################################
# replay
###########################################################################
bad_input replay-no-trace -- "$GBSIM" replay
err_has replay-no-trace/message TRACE
bad_input replay-two-traces -- "$GBSIM" replay "$ROOT/traces/testdata/valid.csv" "$T/other.csv"
err_has replay-two-traces/message "$ROOT/traces/testdata/valid.csv" "$T/other.csv"
bad_input replay-missing-file -- "$GBSIM" replay "$T/does_not_exist.csv" --out "$W/pred.csv"
err_has replay-missing-file/message "$T/does_not_exist.csv"
absent replay-missing-file/no-out "$W/pred.csv"
bad_input replay-arch-unknown -- "$GBSIM" replay --arch bogus "$ROOT/traces/testdata/valid.csv"
err_has replay-arch-unknown/lists "'bogus'" gb10 h100 h200 rtx5090
bad_input replay-set-unknown-key -- "$GBSIM" replay --set bogus=1 "$ROOT/traces/testdata/valid.csv"
err_has replay-set-unknown-key/message "'bogus'"
bad_input replay-unknown-option -- "$GBSIM" replay --frobnicate "$ROOT/traces/testdata/valid.csv"
err_has replay-unknown-option/message --frobnicate

# malformed traces: NAME, expected "file:line:" line, a text the message has,
# then the trace
H='op,kind,m,n,k,groups,a_dtype,b_dtype,bytes,measured_us'
G1='g0,gemm,1,64,64,,bf16,bf16,,'
bad_trace() {
    local name=$1 line=$2 text=$3 body=$4
    printf '%s' "$body" >"$T/$name.csv"
    bad_input "replay-bad[$name]" -- "$GBSIM" replay "$T/$name.csv" --out "$W/pred.csv"
    if [ "$line" = - ]; then
        err_has "replay-bad[$name]/message" "$T/$name.csv" "$text"
    else
        err_has "replay-bad[$name]/message" "$T/$name.csv:$line:" "$text"
    fi
    absent "replay-bad[$name]/no-out" "$W/pred.csv"
}
bad_trace m-zero 3 "'m'" "$H
$G1
g1,gemm,0,64,64,,bf16,bf16,,
"
bad_trace ragged 3 fields "$H
$G1
g1,gemm,1,64
"
bad_trace bad-kind 4 "'gemn'" "$H
$G1
$G1
g2,gemn,1,64,64,,bf16,bf16,,
"
bad_trace bad-dtype 3 "'bf17'" "$H
$G1
g1,gemm,1,64,64,,bf17,bf16,,
"
bad_trace nan-measured 3 "'nan'" "$H
$G1
g1,gemm,1,64,64,,bf16,bf16,,nan
"
bad_trace inf-bytes 3 "'inf'" "$H
$G1
e1,elementwise,,,,,,,inf,
"
bad_trace exponent-int 3 "'1e3'" "$H
$G1
g1,gemm,1e3,64,64,,bf16,bf16,,
"
bad_trace negative-measured 2 "'-1'" "$H
g1,gemm,1,64,64,,bf16,bf16,,-1
"
bad_trace groups-above-m 3 "'groups'" "$H
$G1
g1,grouped_gemm,2,64,64,4,mxfp8,mxfp4,,
"
bad_trace missing-column 2 "'ctx'" "$H
a1,attention,1,,,,bf16,,,
"
bad_trace empty-op 3 "'op'" "$H
$G1
,gemm,1,64,64,,bf16,bf16,,
"
bad_trace bad-quote 3 quot "$H
$G1
g\"1,gemm,1,64,64,,bf16,bf16,,
"
bad_trace duplicate-header 1 duplicate "op,kind,kind
e,elementwise,elementwise
"
bad_trace header-only 1 "no data rows" "$H
"
bad_trace empty - empty ""
# the launch-configuration columns (docs/formats.md)
HC='op,kind,m,n,k,a_dtype,b_dtype,tile,stages,swap_ab,split_k,grid_ctas,impl'
bad_trace bad-stages 3 "column 'stages': '1.5' is not valid; expected a positive integer" "$HC
o1,gemm,1,2880,4096,bf16,bf16,64x8x64,16,1,2,96,cublas-nvjet
o2,gemm,1,2880,4096,bf16,bf16,64x8x64,1.5,1,2,96,cublas-nvjet
"
bad_trace bad-swap-ab 2 "column 'swap_ab': '2' is not valid; expected 0" "$HC
o1,gemm,1,2880,4096,bf16,bf16,64x8x64,16,2,2,96,cublas-nvjet
"
bad_trace bad-impl 2 "column 'impl': 'cublas' is not valid; expected one of cutlass, marlin, cublas-nvjet" "$HC
o1,gemm,1,2880,4096,bf16,bf16,64x8x64,16,1,2,96,cublas
"
bad_trace bad-cluster 2 "column 'cluster': '2x1x1' is not valid; expected MxN of positive integers" "op,kind,m,n,k,a_dtype,b_dtype,tile,cluster
o1,gemm,1,2880,4096,bf16,bf16,64x8x64,2x1x1
"
bad_trace stages-without-tile 2 "column 'stages': '16' is not valid; expected empty, or a tile" "$HC
o1,gemm,1,2880,4096,bf16,bf16,,16,,,,
"
bad_trace attn-grid 2 "column 'grid_ctas': '60' is not valid; expected a multiple of heads_kv (8)" \
    "op,kind,ctx,heads_q,heads_kv,head_dim,grid_ctas,impl
a1,attention,1024,64,8,64,60,cudnn-sdpa-16x128x64
"
bad_trace attn-impl 2 "column 'impl': 'cudnn' is not valid; expected one of flashinfer-fa2" \
    "op,kind,ctx,heads_q,heads_kv,head_dim,grid_ctas,impl
a1,attention,1024,64,8,64,64,cudnn
"
# a well-formed configuration the arch cannot hold: the gemm rule, with file:line
bad_trace stages-do-not-fit 3 "stages_fit_in_smem" "$HC
o1,gemm,1,2880,4096,bf16,bf16,64x16x64,4,1,2,96,cublas-nvjet
o2,gemm,1,2880,4096,bf16,bf16,64x16x64,99,1,2,96,cublas-nvjet
"
# the line is the physical line where the row starts (blank lines and line
# breaks inside quoted fields count)
bad_trace line-count 6 "'x'" "op,kind,bytes

\"a
b\",elementwise,10
c,elementwise,20
d,elementwise,x
"
printf 'op,kind,bytes\ne,elementwise,1\0000\n' >"$T/nul.csv"
bad_input replay-bad[nul] -- "$GBSIM" replay "$T/nul.csv" --out "$W/pred.csv"
err_has replay-bad[nul]/message "$T/nul.csv:2:" NUL
absent replay-bad[nul]/no-out "$W/pred.csv"
# an existing --out file survives a failed replay
echo old >"$W/keep.csv"
bad_input replay-out-keeps-old -- "$GBSIM" replay "$T/m-zero.csv" --out "$W/keep.csv"
if [ "$(cat "$W/keep.csv")" = old ]; then pass replay-out-keeps-old/unchanged; else
    fail replay-out-keeps-old/unchanged "content now: $(snip "$W/keep.csv" 80)"; fi

# the example of docs/formats.md, traces/testdata/valid.csv, must replay
VALID=$ROOT/traces/testdata/valid.csv
check replay-valid 0 -- "$GBSIM" replay "$VALID" --out "$W/valid_pred.csv"
if tail -n 2 "$CAP/out" | grep -q '^total_predicted_us: [0-9.]*$'; then
    pass replay-valid/total-line
else
    fail replay-valid/total-line "stdout ends: $(tail -n 2 "$CAP/out" | tr '\n' '|')"
fi
if [ -s "$W/valid_pred.csv" ]; then
    if [ "$(head -n 1 "$W/valid_pred.csv")" = "$(head -n 1 "$VALID"),predicted_us" ]; then
        pass replay-valid/out-header
    else
        fail replay-valid/out-header "header '$(head -n 1 "$W/valid_pred.csv")'"
    fi
    nin=$(grep -c . "$VALID")
    nout=$(grep -c . "$W/valid_pred.csv")
    if [ "$nin" = "$nout" ]; then pass replay-valid/out-rows; else
        fail replay-valid/out-rows "input has $nin lines, output $nout"; fi
else
    fail replay-valid/out-file "no $W/valid_pred.csv"
fi

# a valid trace that this arch can run (bf16 x bf16 gemm, mxfp8 x mxfp4 MoE,
# attention, elementwise; quoted cells; an unknown column kept verbatim)
cat >"$T/ok.csv" <<'EOF'
kind,op,note,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,bytes,tile,measured_us
gemm,"qkv_proj, layer 0","fused q,k,v",1,5120,2880,,bf16,bf16,,,,,,,12.5
grouped_gemm,"moe_fc1, layer 0",gpt-oss-120b M=1 decode,4,5760,2880,4,mxfp8,mxfp4,,,,,,,21.75
attention,"attn ""decode"", layer 0",,,,,,fp8e4m3,,4096,64,8,64,,,
elementwise,"rmsnorm, layer 0",,,,,,,,,,,,17280,,2
gemm,o_proj,,1,2880,4096,,bf16,bf16,,,,,,64x64x64,
EOF
for arch in gb10 rtx5090; do
    name="replay-ok[$arch]"
    check "$name" 0 -- "$GBSIM" replay --arch "$arch" "$T/ok.csv" --out "$W/ok_$arch.csv"
    l1=$(tail -n 2 "$CAP/out" | sed -n 1p)
    l2=$(tail -n 2 "$CAP/out" | sed -n 2p)
    if [[ $l1 =~ ^total_predicted_us:\ [0-9]+(\.[0-9]+)?$ ]] && [[ $l2 =~ ^mape_pct:\ [0-9]+(\.[0-9]+)?$ ]]; then
        pass "$name/tail"
    else
        fail "$name/tail" "last two lines '$l1' '$l2'"
    fi
    out_has "$name/row-lines" "qkv_proj, layer 0" "attn \"decode\", layer 0" o_proj
    f=$W/ok_$arch.csv
    if [ "$(head -n 1 "$f" 2>/dev/null)" = "$(head -n 1 "$T/ok.csv"),predicted_us" ]; then
        pass "$name/out-header"
    else
        fail "$name/out-header" "header '$(head -n 1 "$f" 2>/dev/null)'"
    fi
    # every data line is the input line plus ,<prediction>
    diffs=$(paste -d '\t' <(tail -n +2 "$T/ok.csv") <(tail -n +2 "$f" 2>/dev/null) |
        awk -F'\t' '{ n = length($1); if (substr($2, 1, n + 1) != $1 "," || substr($2, n + 2) !~ /^[0-9]+\.[0-9][0-9][0-9]$/) print NR }' |
        tr '\n' ' ')
    nin=$(($(wc -l <"$T/ok.csv") - 1))
    nout=$(($(wc -l <"$f" 2>/dev/null || echo 0) - 1))
    if [ -z "$diffs" ] && [ "$nin" = "$nout" ]; then
        pass "$name/out-rows"
    else
        fail "$name/out-rows" "$nout output rows for $nin input rows; rows differing: $diffs"
    fi
    # total = sum of the predictions
    tot=$(val total_predicted_us "$CAP/out")
    sum=$(tail -n +2 "$f" 2>/dev/null | awk -F, '{ s += $NF } END { printf "%.3f", s }')
    if awk -v a="$tot" -v b="$sum" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a + 0 > 0 && d < 0.01) }'; then
        pass "$name/total-is-sum"
    else
        fail "$name/total-is-sum" "total_predicted_us $tot, sum of predicted_us $sum"
    fi
done
# Hopper has no block-scaled MMA: an mxfp8 x mxfp4 row is refused clearly
bad_input replay-ok[h100] -- "$GBSIM" replay --arch h100 "$T/ok.csv" --out "$W/ok_h100.csv"
err_has replay-ok[h100]/message "$T/ok.csv:3:" "moe_fc1, layer 0" mxfp4
absent replay-ok[h100]/no-out "$W/ok_h100.csv"

# no measured_us anywhere: no mape_pct line; an existing predicted_us column
# is replaced where it stands; CRLF line ends and a BOM are accepted
printf '\357\273\277op,kind,bytes,predicted_us,x\r\ne1,elementwise,1000,,a\r\ne2,elementwise,2000,99,b\r\n' >"$T/pin.csv"
check replay-predicted-in-place 0 -- "$GBSIM" replay "$T/pin.csv" --out "$W/pin_out.csv"
last=$(tail -n 1 "$CAP/out")
if [[ $last =~ ^total_predicted_us:\ [0-9]+(\.[0-9]+)?$ ]]; then pass replay-no-measured/no-mape; else
    fail replay-no-measured/no-mape "last line '$last'"; fi
if [ "$(head -n 1 "$W/pin_out.csv" 2>/dev/null | tr -d '\r')" = "op,kind,bytes,predicted_us,x" ]; then
    pass replay-predicted-in-place/header
else
    fail replay-predicted-in-place/header "header '$(head -n 1 "$W/pin_out.csv" 2>/dev/null)'"
fi
badl=$(tail -n +2 "$W/pin_out.csv" 2>/dev/null | tr -d '\r' | awk -F, 'NF != 5 || $4 !~ /^[0-9]+\.[0-9]+$/ || $4 == "99" || $5 !~ /^[ab]$/' | head -n 1)
if [ -z "$badl" ] && [ "$(grep -c . "$W/pin_out.csv" 2>/dev/null)" = 3 ]; then
    pass replay-predicted-in-place/rows
else
    fail replay-predicted-in-place/rows "$(snip "$W/pin_out.csv" 200)"
fi

for arch in h100 h200; do
    shapes=$ROOT/traces/hopper/${arch}_shapes.csv
    [ -f "$shapes" ] || continue
    name="replay-hopper[$arch]"
    check "$name" 0 -- "$GBSIM" replay --arch "$arch" "$shapes" --out "$W/${arch}_pred.csv"
    last=$(tail -n 1 "$CAP/out")
    if [[ $last =~ ^mape_pct:\ [0-9]+(\.[0-9]+)?$ ]]; then pass "$name/mape-line"; else
        fail "$name/mape-line" "last line '$last'"; fi
    if tail -n 2 "$CAP/out" | head -n 1 | grep -q '^total_predicted_us: [0-9.]*$'; then
        pass "$name/total-line"
    else
        fail "$name/total-line" "stdout ends: $(tail -n 2 "$CAP/out" | tr '\n' '|')"
    fi
    rows=$(sed -n 's/^# gbsim replay: .* rows=\([0-9]*\)$/\1/p' "$CAP/out")
    nout=$(($(grep -c . "$W/${arch}_pred.csv" 2>/dev/null || echo 0) - 1))
    if [ -n "$rows" ] && [ "$rows" = "$nout" ]; then pass "$name/out-rows"; else
        fail "$name/out-rows" "replay read '$rows' rows, wrote $nout"; fi
    if [ "$(head -n 1 "$W/${arch}_pred.csv" 2>/dev/null | tr -d '\r')" = "$(head -n 1 "$shapes" | tr -d '\r'),predicted_us" ]; then
        pass "$name/out-header"
    else
        fail "$name/out-header" "header '$(head -n 1 "$W/${arch}_pred.csv" 2>/dev/null)'"
    fi
done

# --auto-config ignores tile, stages, swap_ab, cluster, split_k, grid_ctas and impl:
# the configured rows then replay exactly as rows without those columns
cat >"$T/cfg.csv" <<'EOF'
op,kind,m,n,k,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,tile,stages,swap_ab,cluster,split_k,grid_ctas,impl,measured_us
o_proj,gemm,1,2880,4096,bf16,bf16,,,,,64x8x64,16,1,4x1,2,96,cublas-nvjet,12.96
lm_head,gemm,1,201088,2880,bf16,bf16,,,,,512x8x64,3,1,2x1,1,132,cublas-nvjet,403.944
attn,attention,1,,,bf16,,1024,64,8,64,,,,,,64,cudnn-sdpa-16x128x64,6.257
EOF
cat >"$T/plain.csv" <<'EOF'
op,kind,m,n,k,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,impl,measured_us
o_proj,gemm,1,2880,4096,bf16,bf16,,,,,,12.96
lm_head,gemm,1,201088,2880,bf16,bf16,,,,,,403.944
attn,attention,1,,,bf16,,1024,64,8,64,cudnn-sdpa,6.257
EOF
# (--auto-config keeps the attention row's library, cuDNN, and lets its rule
# pick the kernel: the plain row names the library and no kernel)
check replay-config-trace 0 -- "$GBSIM" replay --arch h100 "$T/cfg.csv"
out_has replay-config-trace/header "config=trace"
sed 1d "$CAP/out" >"$W/cfg_trace.txt"
check replay-config-auto 0 -- "$GBSIM" replay --arch h100 --auto-config "$T/cfg.csv"
out_has replay-config-auto/header "config=auto"
sed 1d "$CAP/out" >"$W/cfg_auto.txt"
check replay-config-plain 0 -- "$GBSIM" replay --arch h100 "$T/plain.csv"
sed 1d "$CAP/out" >"$W/plain.txt"
if cmp -s "$W/cfg_auto.txt" "$W/plain.txt"; then pass replay-auto-config/equals-no-config; else
    fail replay-auto-config/equals-no-config "$(diff "$W/cfg_auto.txt" "$W/plain.txt" | head -5 | tr '\n' '|')"; fi
if cmp -s "$W/cfg_trace.txt" "$W/plain.txt"; then
    fail replay-config-trace/differs "the trace's configuration changed nothing"
else pass replay-config-trace/differs; fi

# replay: --plot (predicted vs measured us of the rows with measured_us)
bad_input replay-plot-bad-extension -- "$GBSIM" replay "$T/ok.csv" --plot "$W/rp.txt"
err_has replay-plot-bad-extension/message "$W/rp.txt" .png .svg
absent replay-plot-bad-extension/no-file "$W/rp.txt"
bad_input replay-plot-nonexistent-dir -- "$GBSIM" replay "$T/ok.csv" --plot /nonexistent_dir/x.png
err_has replay-plot-nonexistent-dir/message /nonexistent_dir/x.png "No such file or directory"
# no row has measured_us: nothing to compare, a clear error and no file
bad_input replay-plot-no-measured -- "$GBSIM" replay "$T/pin.csv" --plot "$W/rp_nm.png"
err_has replay-plot-no-measured/message --plot "$T/pin.csv" measured_us
absent replay-plot-no-measured/no-file "$W/rp_nm.png"
# gnuplot missing: a clear error, no plot file, and no --out file either
bad_input replay-plot-no-gnuplot -- env PATH=/nonexistent "$GBSIM" replay "$T/ok.csv" --plot "$W/rp_ng.png" --out "$W/rp_ng.csv"
err_has replay-plot-no-gnuplot/message "$W/rp_ng.png" gnuplot
absent replay-plot-no-gnuplot/no-plot-file "$W/rp_ng.png"
absent replay-plot-no-gnuplot/no-out-file "$W/rp_ng.csv"
if [ "$have_gnuplot" = 1 ]; then
    check replay-plot-png 0 -- "$GBSIM" replay "$T/ok.csv" --plot "$W/rp.png"
    if [ "$(head -c 4 "$W/rp.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e47 ]; then
        pass replay-plot-png/magic
    else
        fail replay-plot-png/magic "$W/rp.png does not start with \\x89PNG"
    fi
    # the report is the same with and without --plot
    cp "$CAP/out" "$W/rp_report.txt"
    check replay-plot-png/no-plot 0 -- "$GBSIM" replay "$T/ok.csv"
    same replay-plot-png/stdout-is-report "$CAP/out" "$W/rp_report.txt"
    check replay-plot-svg 0 -- "$GBSIM" replay --arch h100 "$ROOT/traces/hopper/h100_shapes.csv" --plot "$W/rp.svg"
    if grep -q '<svg' "$W/rp.svg" 2>/dev/null; then pass replay-plot-svg/has-svg; else
        fail replay-plot-svg/has-svg "$W/rp.svg has no <svg"; fi
    # the title names the arch, the trace and the MAPE of the report
    mape=$(val mape_pct "$CAP/out")
    # mape_pct is printed to 0.01: the title's 0.1 may round the unprinted digits
    # either way (11.95 printed can be 11.9 or 12.0 in the title)
    mape1=$(awk -v m="$mape" 'BEGIN { printf "%.1f", m - 0.005 }')
    mape2=$(awk -v m="$mape" 'BEGIN { printf "%.1f", m + 0.005 }')
    if grep -qF "h100_shapes.csv" "$W/rp.svg" && grep -qF "arch h100" "$W/rp.svg" &&
        { grep -qF "MAPE $mape1 %" "$W/rp.svg" || grep -qF "MAPE $mape2 %" "$W/rp.svg"; }; then
        pass replay-plot-svg/title
    else
        fail replay-plot-svg/title "no 'arch h100', 'h100_shapes.csv' and 'MAPE $mape1 %' (or $mape2) in $W/rp.svg"
    fi
    # a trace of three chunks (4096 rows each): the plot draws every measured
    # row of every chunk, one point each (and one per kind in the legend), and
    # its title counts them and gives the report's MAPE
    H='op,kind,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,bytes,measured_us'
    { echo "$H"
      for i in $(seq 1 3000); do
        echo "qkv,gemm,$((i % 5 + 1)),5120,2880,,bf16,bf16,,,,,,$((10 + i % 7)).5"
        echo "attn,attention,1,,,,bf16,,$((1024 * (i % 3 + 1))),64,8,64,,$((20 + i % 3))"
        echo "norm,elementwise,,,,,,,,,,,$((17280 * (i % 4 + 1))),"
      done; } >"$T/chunks.csv"
    check replay-plot-chunks 0 -- "$GBSIM" replay --arch h100 "$T/chunks.csv" --plot "$W/chunks.svg"
    mape=$(val mape_pct "$CAP/out")   # to 0.01; the title's 0.1 may round either way
    mape1=$(awk -v m="$mape" 'BEGIN { printf "%.1f", m - 0.005 }')
    mape2=$(awk -v m="$mape" 'BEGIN { printf "%.1f", m + 0.005 }')
    points=$(grep -c "<use xlink:href='#gpPt[0-9]*' transform='translate" "$W/chunks.svg")
    if [ "$points" = 6002 ] && grep -qF "gemm: 3000 rows" "$W/chunks.svg" &&
        grep -qF "attention: 3000 rows" "$W/chunks.svg" &&
        { grep -qF "6000 rows with measured_us: MAPE $mape1 %" "$W/chunks.svg" ||
          grep -qF "6000 rows with measured_us: MAPE $mape2 %" "$W/chunks.svg"; }; then
        pass replay-plot-chunks/every-row
    else
        fail replay-plot-chunks/every-row "$points points (expected 6000 rows + 2 legend marks), or no '6000 rows with measured_us: MAPE $mape1 %' (or $mape2) and per-kind counts in $W/chunks.svg"
    fi
    check replay-plot-quote-in-name 0 -- "$GBSIM" replay "$T/ok.csv" --plot "$W/it's replay.png"
    exists replay-plot-quote-in-name/file "$W/it's replay.png"
    # a failed --out removes the plot it drew: no partial result
    bad_input replay-plot-bad-out -- "$GBSIM" replay "$T/ok.csv" --plot "$W/rp_bo.png" --out /nonexistent_dir/pred.csv
    absent replay-plot-bad-out/no-plot-file "$W/rp_bo.png"
else
    echo "# gnuplot not found: skipping the replay checks that draw a plot"
fi
no_stray replay-plot/no-temp-files "$W"

bad_input replay-out-nonexistent-dir -- "$GBSIM" replay "$T/ok.csv" --out /nonexistent_dir/pred.csv
err_has replay-out-nonexistent-dir/message /nonexistent_dir/pred.csv
check replay-other-cwd 0 -- in_dir "$tmp" "$GBSIM" replay traces/ok.csv
no_stray replay/no-temp-files "$W"
no_stray all/no-temp-files-in-tmp "$tmp"

###########################################################################
# every command: options (cli/cli.h cli_parse) and output files
###########################################################################
# an option given twice is an error unless it is repeatable (--set, --trace)
bad_input repeat[replay-arch] -- "$GBSIM" replay --arch gb10 --arch h100 "$T/ok.csv"
err_has repeat[replay-arch]/message --arch "given twice" "'gb10'" "'h100'"
bad_input repeat[tile-flag] -- "$GBSIM" tile --grouped --grouped
err_has repeat[tile-flag]/message --grouped "given twice"
# tile --c: the source operand's type is one of four; anything else is bad input
bad_input tile-c-unknown -- "$GBSIM" tile --c int8
err_has tile-c-unknown/message --c "'int8'" void bf16 fp16 fp32
bad_input tile-c-empty -- "$GBSIM" tile --c ""
bad_input tile-c-case -- "$GBSIM" tile --c BF16
check tile-c-fp32 0 -- "$GBSIM" tile --c fp32
out_has tile-c-fp32/keys c=fp32 epilogue_stages_c= tma_c_bytes_per_subtile=8192
bad_input repeat[verify-out] -- "$GBSIM" verify --m 1 --n 8 --k 32 --out "$W/rep1.txt" --out "$W/rep2.txt"
err_has repeat[verify-out]/message --out "given twice"
absent repeat[verify-out]/no-first-file "$W/rep1.txt"
absent repeat[verify-out]/no-second-file "$W/rep2.txt"
check repeat[set-is-repeatable] 0 -- "$GBSIM" tile --set n_sm=40 --set sm_clock_mhz=1000
# --out and --plot naming one file (as text, through another path, or as an
# existing file reached by a link): refused before anything is written
bad_input same-file[replay] -- "$GBSIM" replay "$T/ok.csv" --out "$W/same.png" --plot "$W/same.png"
err_has same-file[replay]/message --out --plot "same file"
absent same-file[replay]/no-file "$W/same.png"
bad_input same-file[replay-dot] -- "$GBSIM" replay "$T/ok.csv" --out "$W/same.png" --plot "$W/./same.png"
absent same-file[replay-dot]/no-file "$W/same.png"
echo old >"$W/same_old.png"
ln -s same_old.png "$W/same_link.png"
bad_input same-file[replay-link] -- "$GBSIM" replay "$T/ok.csv" --out "$W/same_link.png" --plot "$W/same_old.png"
if [ "$(cat "$W/same_old.png")" = old ]; then pass same-file[replay-link]/kept; else
    fail same-file[replay-link]/kept "$W/same_old.png was overwritten"; fi
rm -f "$W/same_link.png" "$W/same_old.png"
bad_input same-file[compare] -- "$GBSIM" compare --nsys "$ROOT/traces/testdata/nsys/decode_timeline.csv" \
    --stack vllm-cutlass --out "$W/same.svg" --plot "$W/same.svg"
err_has same-file[compare]/message --out --plot "same file"
absent same-file[compare]/no-file "$W/same.svg"
# an output that cannot be written names what failed: creating the temporary
# file beside it, or renaming it over a directory
if [ -e /proc/version ]; then
    for cmd in "verify --m 1 --n 8 --k 32" "replay $T/ok.csv" "decode --layers 1"; do
        name="out-cause[${cmd%% *}]"
        # shellcheck disable=SC2086
        bad_input "$name" -- "$GBSIM" $cmd --out /proc/version
        err_has "$name/message" \
            "/proc/version: cannot write: cannot create the temporary file /proc/version.tmp."
    done
fi
mkdir -p "$W/outdir"
bad_input out-cause[directory] -- "$GBSIM" verify --m 1 --n 8 --k 32 --out "$W/outdir"
err_has out-cause[directory]/message "$W/outdir: cannot write: cannot rename the temporary file"
no_stray out-cause/no-temp-files "$W"
# compare on a trace that is not of decode steps (the nsys trace of the
# shapes capture: each kernel timed 20 times in turn) says so
for stack in "" "--stack torch-bf16 --set n_layers=4"; do
    name="compare-not-decode-steps[${stack:-no-stack}]"
    # shellcheck disable=SC2086
    bad_input "$name" -- "$GBSIM" compare --nsys "$ROOT/traces/hopper/h100_cuda_gpu_trace.csv" --arch h100 $stack
    err_has "$name/message" h100_cuda_gpu_trace.csv "not a trace of decode steps" "--steps N"
done

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
