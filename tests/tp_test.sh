#!/usr/bin/env bash
# tp_test.sh -- command-line tests of tensor parallel decode (--tp, --link;
# docs/tp.md), run by ctest as
#     bash tests/tp_test.sh PATH/TO/gbsim
# from the source root. Prints "ok NAME" or "FAIL NAME: details" per check and
# "N passed, M failed" last; exits 1 if any check failed.
#
# Under test: --tp 1 prints what no --tp prints; --tp N names its link in the
# header and adds allreduce/allgather rows bound by the link; bad input (tp
# without a link, a link without tp, an unknown link, a tp that does not
# divide the heads or exceeds the link's max_gpus, a link key without a link,
# a malformed link file) exits 2 with "gbsim: error: " and nothing on stdout
# and no --out file.
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
export LC_ALL=C

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: bash tests/tp_test.sh PATH/TO/gbsim" >&2
    exit 2
fi
GBSIM=$1
case $GBSIM in /*) ;; *) GBSIM=$PWD/$GBSIM ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-tp.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
npass=0
nfail=0
pass() { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }

# run CMD...: stdout to $tmp/out, stderr to $tmp/err, status in RC.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    RC=$?
}

# bad NAME TEXT -- CMD...: exit 2, stderr starts "gbsim: error: " and
# contains TEXT, stdout empty, no file $tmp/o.txt.
bad() {
    local name=$1 text=$2
    shift 3
    rm -f "$tmp/o.txt"
    run "$@" --out "$tmp/o.txt"
    if [ "$RC" -ne 2 ]; then
        fail "$name" "exit $RC, expected 2: $(head -c 200 "$tmp/err")"
    elif ! head -n 1 "$tmp/err" | grep -q '^gbsim: error: '; then
        fail "$name" "stderr does not start with 'gbsim: error: ': $(head -c 200 "$tmp/err")"
    elif ! grep -qF -- "$text" "$tmp/err"; then
        fail "$name" "stderr lacks '$text': $(head -c 300 "$tmp/err")"
    elif [ -s "$tmp/out" ] || ls "$tmp"/o.txt* >/dev/null 2>&1; then
        fail "$name" "output written on bad input"
    else
        pass "$name"
    fi
}

D=("$GBSIM" decode --layers 1)

# --tp 1 is the one-GPU report, byte for byte
run "${D[@]}"
cp "$tmp/out" "$tmp/one.txt"
run "${D[@]}" --tp 1
if [ "$RC" -eq 0 ] && cmp -s "$tmp/out" "$tmp/one.txt"; then
    pass tp1-identical
else
    fail tp1-identical "exit $RC or output differs from decode without --tp"
fi

# --tp 2 over two Sparks: header, collective rows, a shorter step
run "${D[@]}" --tp 2 --link gb10-cx7
if [ "$RC" -ne 0 ]; then
    fail tp2-runs "exit $RC: $(head -c 300 "$tmp/err")"
else
    pass tp2-runs
    if head -n 1 "$tmp/out" | grep -q ' tp=2 link=gb10-cx7$'; then
        pass tp2-header
    else
        fail tp2-header "$(head -n 1 "$tmp/out")"
    fi
    if grep -Eq '^allreduce +ring all-reduce, 5760 B over 2 GPUs +3 .* link$' "$tmp/out" &&
       grep -Eq '^allgather +ring all-gather of logits, .* 1 .* link$' "$tmp/out"; then
        pass tp2-collective-rows
    else
        fail tp2-collective-rows "$(grep -E '^all' "$tmp/out" | tr '\n' '|')"
    fi
    one=$(sed -n 's/^step_us: //p' "$tmp/one.txt")
    two=$(sed -n 's/^step_us: //p' "$tmp/out")
    if awk -v a="$one" -v b="$two" 'BEGIN { exit !(b < a) }'; then
        pass tp2-shorter-step
    else
        fail tp2-shorter-step "step $two us at tp 2, $one at tp 1"
    fi
fi

# csv: the collective rows too
run "${D[@]}" --tp 2 --link gb10-cx7 --format csv
if [ "$RC" -eq 0 ] && grep -q '^allreduce,"ring all-reduce, 5760 B over 2 GPUs",3,' "$tmp/out"; then
    pass tp2-csv
else
    fail tp2-csv "exit $RC: $(grep '^all' "$tmp/out" | tr '\n' '|')"
fi

# a link key moves the all-reduce
run "${D[@]}" --tp 2 --link gb10-cx7 --set msg_overhead_us=100
if [ "$RC" -eq 0 ] && grep -Eq '^allreduce .* 3 +10[0-9]\.[0-9]+ ' "$tmp/out"; then
    pass tp2-set-link-key
else
    fail tp2-set-link-key "exit $RC: $(grep '^allreduce' "$tmp/out")"
fi

# a link description file
printf 'key,value,unit,source\nlink_bw_gbps,12.5,GB/s,test\nlink_latency_us,1,us,test\nmsg_overhead_us,10,us,test\nmax_gpus,4,count,test\n' \
    >"$tmp/link.csv"
run "${D[@]}" --model llama-3.1-8b --tp 4 --link "$tmp/link.csv"
if [ "$RC" -eq 0 ] && grep -Eq '^allreduce +ring all-reduce, 8192 B over 4 GPUs' "$tmp/out"; then
    pass tp4-link-file
else
    fail tp4-link-file "exit $RC: $(head -c 300 "$tmp/err")$(grep '^allreduce' "$tmp/out")"
fi

# bad input
bad tp-without-link "--link" -- "${D[@]}" --tp 2
bad link-without-tp "needs --tp" -- "${D[@]}" --link gb10-cx7
bad link-unknown "unknown link 'bogus'; valid: gb10-cx7, h100-nvlink" -- \
    "${D[@]}" --tp 2 --link bogus
bad tp-not-dividing-heads "n_heads_q=64" -- "${D[@]}" --tp 3 --link h100-nvlink
bad tp-over-max-gpus "max_gpus" -- "${D[@]}" --tp 4 --link gb10-cx7
bad tp-zero "--tp '0'" -- "${D[@]}" --tp 0 --link gb10-cx7
bad link-key-without-link "--tp N > 1 and --link" -- "${D[@]}" --set link_bw_gbps=10
bad link-key-bad-value "link_bw_gbps" -- "${D[@]}" --tp 2 --link gb10-cx7 --set link_bw_gbps=0
printf 'key,value,unit,source\nlink_bw_gbps,12.5,Gb/s,test\n' >"$tmp/bad.csv"
bad link-file-bad-unit "bad.csv:2" -- "${D[@]}" --tp 2 --link "$tmp/bad.csv"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
