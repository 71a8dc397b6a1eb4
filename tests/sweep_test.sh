#!/usr/bin/env bash
# sweep_test.sh -- command-line tests of `gbsim sweep` and `gbsim sweep tile`
# (cli/cmd_sweep.c), run by ctest as
#     bash tests/sweep_test.sh PATH/TO/gbsim
# from the source root. Every check prints "ok NAME" or "FAIL NAME: details";
# the last line is "N passed, M failed" and the exit status is 1 if any failed.
#
# What is checked:
#   - every row of a decode sweep equals `gbsim decode` run alone with the
#     point's options (step_us, tok_per_s, limit_tok_per_s and each op's us),
#     for decode-option keys and --set keys;
#   - the CSV is byte-identical for --jobs 1, 2 and 3;
#   - a failing point is a row (status = its message) in a rectangular CSV;
#     a sweep where every point fails exits 2 with no output file;
#   - bad grid keys and values exit 2 with a message naming them and leave no
#     output file; so does a description file a grid names that does not load
#     (file:line), before any point runs;
#   - a tp sweep with --link runs tp 1 on one GPU (link_used none);
#   - a tile sweep has a row per configuration, invalid ones with their rule,
#     valid ones equal to `gbsim tile`; tokens with --model sets m and groups;
#   - with gnuplot installed: bars, curves and heatmap plots are written (PNG),
#     the plot kind can be forced, and bars of a tile sweep are refused.
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
export LC_ALL=C

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: bash tests/sweep_test.sh PATH/TO/gbsim" >&2
    exit 2
fi
GBSIM=$1
case $GBSIM in /*) ;; *) GBSIM=$PWD/$GBSIM ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-sweep.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

npass=0
nfail=0
pass() { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
snip() { head -c "${2:-400}" "$1" | tr '\n' '|'; }

RC=0
run() { "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; RC=$?; }

# bad NAME WORD... -- CMD: exit 2, "gbsim: error:" naming each WORD, no
# stdout, and neither $tmp/bad.csv nor $tmp/bad.png (nor a .tmp file) left.
bad() {
    local name=$1
    shift
    local words=()
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    rm -f "$tmp"/bad.*
    run "$@"
    if [ "$RC" -ne 2 ]; then
        fail "$name" "exit $RC, expected 2 [$*] stderr: $(snip "$tmp/err")"
        return
    fi
    # one error line (progress lines may come before it on a slow machine)
    if [ "$(grep -c '^gbsim: error: .' "$tmp/err")" -ne 1 ]; then
        fail "$name" "not one 'gbsim: error:' line: $(snip "$tmp/err")"
        return
    fi
    for w in "${words[@]}"; do
        if ! grep -qF -- "$w" "$tmp/err"; then
            fail "$name" "message does not name '$w': $(snip "$tmp/err")"
            return
        fi
    done
    if [ -s "$tmp/out" ] || ls "$tmp"/bad.* >/dev/null 2>&1; then
        fail "$name" "output written: $(ls "$tmp")"
        return
    fi
    pass "$name"
}

# CSV fields of each line (quoted fields may hold commas), one count a line.
field_counts() {
    awk '{ n = 1; q = 0
           for (i = 1; i <= length($0); i++) {
               c = substr($0, i, 1)
               if (c == "\"") q = !q
               else if (c == "," && !q) n++
           }
           print n }' "$1"
}

# col FILE NAME ROW: the value of column NAME in data row ROW (1 = first),
# for rows without quoted fields.
col() {
    awk -F, -v name="$2" -v row="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
                                      NR == row + 1 { print $c }' "$1"
}

# ---- help ------------------------------------------------------------------------------

run "$GBSIM" sweep --help
[ "$RC" -eq 0 ] && grep -q -- '--grid' "$tmp/out" && grep -q -- '--batch' "$tmp/out" && pass help ||
    fail help "exit $RC: $(snip "$tmp/out")"
run "$GBSIM" sweep tile --help
[ "$RC" -eq 0 ] && grep -q -- '--swap-ab' "$tmp/out" && grep -q -- '--model' "$tmp/out" && pass tile-help ||
    fail tile-help "exit $RC: $(snip "$tmp/out")"
run "$GBSIM" help
grep -q '^  sweep ' "$tmp/out" && pass listed-in-gbsim-help || fail listed-in-gbsim-help "$(snip "$tmp/out")"

# ---- a decode sweep equals gbsim decode at each point ------------------------------

L="--layers 2"
run "$GBSIM" sweep $L --grid batch=1,3 --grid stack=vllm-cutlass,llamacpp --out "$tmp/s.csv"
if [ "$RC" -eq 0 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/s.csv")" -eq 5 ]; then
    pass decode-sweep-runs
else
    fail decode-sweep-runs "exit $RC: $(snip "$tmp/err") $(snip "$tmp/s.csv")"
fi
head -n 1 "$tmp/s.csv" | grep -q '^batch,stack,status,step_us,tok_per_s,limit_tok_per_s,dram_floor_us,' &&
    pass decode-sweep-header || fail decode-sweep-header "$(head -n 1 "$tmp/s.csv")"

# same_as_decode NAME CSV ROW DECODE-OPTIONS...: row ROW of CSV against decode
same_as_decode() {
    local name=$1 csv=$2 row=$3
    shift 3
    "$GBSIM" decode "$@" >"$tmp/d.txt" 2>"$tmp/err" && "$GBSIM" decode --format csv "$@" >"$tmp/d.csv" 2>>"$tmp/err"
    if [ $? -ne 0 ]; then
        fail "$name" "decode $*: $(snip "$tmp/err")"
        return
    fi
    local bad=""
    for k in step_us tok_per_s limit_tok_per_s; do
        local want got fmt=%.2f
        [ $k = step_us ] && fmt=%.1f
        want=$(awk -v k="$k:" '$1 == k { print $2 }' "$tmp/d.txt")
        got=$(printf "$fmt" "$(col "$csv" $k "$row")")
        [ "$want" = "$got" ] || bad="$bad $k: sweep $got, decode $want;"
    done
    # each op: the sum of its decode rows (3 decimals each) against us_<op>
    while read -r op us; do
        local s
        s=$(col "$csv" "us_$op" "$row")
        awk -v a="$s" -v b="$us" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.01 + 1e-6 * b) }' ||
            bad="$bad us_$op: sweep $s, decode $us;"
    done < <(awk -F'"' '!/^#/ && !/^op,/ { split($1, a, ","); split($3, b, ","); us[a[1]] += b[4] }
                        END { for (o in us) printf "%s %.3f\n", o, us[o] }' "$tmp/d.csv")
    [ -z "$bad" ] && pass "$name" || fail "$name" "$bad"
}
same_as_decode decode-sweep-row1-equals-decode "$tmp/s.csv" 1 $L --batch 1 --stack vllm-cutlass
same_as_decode decode-sweep-row4-equals-decode "$tmp/s.csv" 4 $L --batch 3 --stack llamacpp

# a --set key (an op's field) and a model key as grid keys
run "$GBSIM" sweep $L --grid moe_fc1.tile=128x128x128,128x64x128 --grid hidden=2880 --out "$tmp/t.csv"
[ "$RC" -eq 0 ] && pass set-key-sweep-runs || fail set-key-sweep-runs "exit $RC: $(snip "$tmp/err")"
same_as_decode set-key-sweep-row2-equals-decode "$tmp/t.csv" 2 $L --set moe_fc1.tile=128x64x128 --set hidden=2880
# '_' stands for '-' in a decode option; the column keeps the key as given
run "$GBSIM" sweep --layers 1 --grid draft_us=0,100 --spec 2 --accept 0.5
[ "$RC" -eq 0 ] && head -n 1 "$tmp/out" | grep -q '^draft_us,status,' && pass underscore-option-key ||
    fail underscore-option-key "exit $RC: $(snip "$tmp/err") $(snip "$tmp/out")"

# ---- --jobs: the same bytes for any N ---------------------------------------------------

G="--layers 2 --grid batch=1,2,4 --grid stack=vllm-cutlass,vllm-marlin --grid moe_fc1.tile=128x128x128,64x64x128"
for j in 1 2 3; do
    "$GBSIM" sweep $G --jobs $j >"$tmp/j$j.csv" 2>"$tmp/err" || fail "jobs-$j-runs" "$(snip "$tmp/err")"
done
if cmp -s "$tmp/j1.csv" "$tmp/j2.csv" && cmp -s "$tmp/j1.csv" "$tmp/j3.csv" && [ -s "$tmp/j1.csv" ]; then
    pass jobs-1-2-3-byte-identical
else
    fail jobs-1-2-3-byte-identical "$(diff "$tmp/j1.csv" "$tmp/j2.csv" | head -c 400)"
fi

# ---- failing points are rows; the CSV stays rectangular ----------------------------------

# vllm-marlin runs moe_fc1 as Marlin (no tile field): its rows fail, with the reason
nbad=$(grep -c ',"[^"]*tile[^"]*",' "$tmp/j1.csv")
nok=$(grep -c ',ok,' "$tmp/j1.csv")
if [ "$nbad" -ge 3 ] && [ "$nok" -ge 3 ]; then
    pass failing-points-are-rows-with-status
else
    fail failing-points-are-rows-with-status "ok rows $nok, failed rows $nbad: $(snip "$tmp/j1.csv" 600)"
fi
if [ "$(field_counts "$tmp/j1.csv" | sort -u | wc -l)" -eq 1 ]; then
    pass csv-rectangular
else
    fail csv-rectangular "field counts: $(field_counts "$tmp/j1.csv" | sort | uniq -c | tr '\n' ' ')"
fi
bad every-point-fails 'every point failed' 'point 1' 64x64x128 -- \
    "$GBSIM" sweep --layers 1 --grid moe_fc1.tile=64x64x128,64x32x128 --out "$tmp/bad.csv"

# ---- bad grids: exit 2, no output --------------------------------------------------------

bad unknown-key 'no_such_key' 'unknown key' -- "$GBSIM" sweep --grid no_such_key=1,2 --out "$tmp/bad.csv"
bad unknown-op 'nosuchop.tile' -- "$GBSIM" sweep --grid nosuchop.tile=128x64x128 --out "$tmp/bad.csv"
bad set-is-not-a-key '--grid set' -- "$GBSIM" sweep --grid set=hidden=1 --out "$tmp/bad.csv"
bad no-values 'batch' 'no values' -- "$GBSIM" sweep --grid batch= --out "$tmp/bad.csv"
bad no-equals "--grid 'batch'" 'KEY=V1,V2' -- "$GBSIM" sweep --grid batch --out "$tmp/bad.csv"
bad empty-value 'batch' 'empty value' -- "$GBSIM" sweep --grid batch=1,,4 --out "$tmp/bad.csv"
bad repeated-value "'4'" 'twice' -- "$GBSIM" sweep --grid batch=4,1,4 --out "$tmp/bad.csv"
bad key-twice 'batch' 'twice' -- "$GBSIM" sweep --grid batch=1 --grid batch=2 --out "$tmp/bad.csv"
bad key-also-option '--batch' 'grid key' -- "$GBSIM" sweep --batch 2 --grid batch=1,4 --out "$tmp/bad.csv"
bad set-key-also-set 'hidden' 'grid key' -- "$GBSIM" sweep --set hidden=2880 --grid hidden=1024 --out "$tmp/bad.csv"
bad bad-option-value '--batch' "'0'" '[1, 4096]' -- "$GBSIM" sweep --grid batch=1,0 --out "$tmp/bad.csv"
bad bad-graphs-value '--graphs' 'maybe' -- "$GBSIM" sweep --grid graphs=on,maybe --out "$tmp/bad.csv"
bad no-grid '--grid' -- "$GBSIM" sweep --batch 2 --out "$tmp/bad.csv"
bad too-many-points 'more than' -- "$GBSIM" sweep --grid ctx=$(seq -s, 1 200) --grid batch=$(seq -s, 1 100) --out "$tmp/bad.csv"
# a description a grid names must load before any point runs: file:line, exit 2
sed '5s/^\([^,]*\),[^,]*,/\1,abc,/' models/data/arch/gb10.csv >"$tmp/badarch.csv"
bad malformed-arch-file "$tmp/badarch.csv:5" 'dram_peak_gbps' -- \
    "$GBSIM" sweep --layers 1 --grid arch=gb10,"$tmp/badarch.csv" --out "$tmp/bad.csv"
printf 'expert,share\n0,abc\n' >"$tmp/badexperts.csv"
bad malformed-experts-file "$tmp/badexperts.csv:1" -- \
    "$GBSIM" sweep --layers 1 --model gpt-oss-20b --grid experts=gpt-oss-20b,"$tmp/badexperts.csv" \
    --out "$tmp/bad.csv"
bad unknown-stack-value '--grid stack' 'nosuch' -- \
    "$GBSIM" sweep --layers 1 --grid stack=vllm-cutlass,nosuch --out "$tmp/bad.csv"
bad malformed-arch-file-tile "$tmp/badarch.csv:5" -- \
    "$GBSIM" sweep tile --m 4 --n 5760 --k 2880 --grid arch=gb10,"$tmp/badarch.csv" --out "$tmp/bad.csv"

# ---- a tp sweep with a link: one GPU uses no link, and the CSV says so -----------------

run "$GBSIM" sweep --layers 2 --grid tp=1,2 --link gb10-cx7
if [ "$RC" -eq 0 ] && head -n 1 "$tmp/out" | grep -q '^tp,link_used,status,' &&
   [ "$(col "$tmp/out" link_used 1),$(col "$tmp/out" status 1)" = "none,ok" ] &&
   [ "$(col "$tmp/out" link_used 2),$(col "$tmp/out" status 2)" = "gb10-cx7,ok" ]; then
    pass tp-sweep-link-unused-at-tp1
else
    fail tp-sweep-link-unused-at-tp1 "exit $RC: $(snip "$tmp/err") $(snip "$tmp/out")"
fi
"$GBSIM" decode --layers 2 --format csv >/dev/null 2>&1 &&
    same_as_decode tp-sweep-tp1-equals-one-gpu "$tmp/out" 1 --layers 2
# one column per figure: the device idle between kernels is us_launch alone
head -n 1 "$tmp/out" | grep -q ',us_launch' && ! head -n 1 "$tmp/out" | grep -q 'idle_us' &&
    pass idle-time-one-column || fail idle-time-one-column "$(head -n 1 "$tmp/out")"
bad jobs-zero '--jobs' -- "$GBSIM" sweep --jobs 0 --grid batch=1 --out "$tmp/bad.csv"
bad plot-kind-unknown 'pie' -- "$GBSIM" sweep --grid batch=1 --plot-kind pie --out "$tmp/bad.csv"
bad plot-bad-extension '.png' -- "$GBSIM" sweep --grid batch=1 --plot "$tmp/bad.bmp" --out "$tmp/bad.csv"
bad tokens-without-model 'tokens' '--model' -- "$GBSIM" sweep tile --grid tokens=1,4 --out "$tmp/bad.csv"
bad tile-unknown-key 'foo' 'tile option' -- "$GBSIM" sweep tile --grid foo=1 --out "$tmp/bad.csv"
bad tile-flag-value 'swap-ab' 'yes or no' -- "$GBSIM" sweep tile --grid swap-ab=yes,maybe --out "$tmp/bad.csv"
bad tile-malformed-point 'point 2' 'tile=128x64' -- "$GBSIM" sweep tile --m 4 --n 256 --k 256 --grid tile=128x64x128,128x64 --out "$tmp/bad.csv"
bad tile-dense-model 'llama-3.1-8b' 'experts' -- "$GBSIM" sweep tile --model llama-3.1-8b --n 256 --k 256 --grid tokens=1 --out "$tmp/bad.csv"

# ---- tile sweeps ---------------------------------------------------------------------------

run "$GBSIM" sweep tile --grouped --m 16 --groups 4 --n 2880 --k 2880 \
    --grid tile=128x64x128,64x64x128,128x8x128 --grid schedule=coop,pingpong --out "$tmp/tile.csv"
[ "$RC" -eq 0 ] && [ "$(wc -l <"$tmp/tile.csv")" -eq 7 ] && pass tile-sweep-runs ||
    fail tile-sweep-runs "exit $RC: $(snip "$tmp/err") $(snip "$tmp/tile.csv")"
head -n 1 "$tmp/tile.csv" | grep -q '^tile,schedule,valid,rule,' && pass tile-sweep-header ||
    fail tile-sweep-header "$(head -n 1 "$tmp/tile.csv")"
grep -q '^64x64x128,coop,no,cooperative_tile_m_at_least_128,' "$tmp/tile.csv" &&
    grep -q '^128x8x128,pingpong,no,pingpong_tile_n_at_least_16,' "$tmp/tile.csv" &&
    pass tile-sweep-invalid-rows-name-their-rule ||
    fail tile-sweep-invalid-rows-name-their-rule "$(cat "$tmp/tile.csv" | tr '\n' '|')"
"$GBSIM" tile --grouped --m 16 --groups 4 --n 2880 --k 2880 --tile 128x64x128 --schedule pingpong >"$tmp/one.txt"
want=$(sed -n 's/^predicted_us=//p' "$tmp/one.txt")
got=$(col "$tmp/tile.csv" predicted_us 2)
[ -n "$want" ] && [ "$want" = "$got" ] && pass tile-sweep-row-equals-tile ||
    fail tile-sweep-row-equals-tile "sweep $got, tile $want"
# tokens T with --model: m = T x top_k rows over E (1 - (1 - k/E)^T) experts
# (gpt-oss-120b: E = 128, k = 4; T = 16: 64 rows, 51 groups)
run "$GBSIM" sweep tile --model gpt-oss-120b --n 5760 --k 2880 --grid tokens=1,16 --grid tile=128x64x128
if [ "$RC" -eq 0 ] && grep -q '^1,128x64x128,4,4,yes,' "$tmp/out" && grep -q '^16,128x64x128,64,51,yes,' "$tmp/out"; then
    pass tile-sweep-tokens-route-over-experts
else
    fail tile-sweep-tokens-route-over-experts "exit $RC: $(snip "$tmp/err") $(snip "$tmp/out")"
fi
"$GBSIM" tile --grouped --m 64 --groups 51 --n 5760 --k 2880 --tile 128x64x128 >"$tmp/one.txt"
want=$(sed -n 's/^predicted_us=//p' "$tmp/one.txt")
got=$(col "$tmp/out" predicted_us 2)
[ "$want" = "$got" ] && pass tile-sweep-tokens-row-equals-tile || fail tile-sweep-tokens-row-equals-tile "sweep $got, tile $want"

# ---- plots -----------------------------------------------------------------------------------

png() {
    local name=$1 f=$2
    shift 2
    rm -f "$f"
    run "$@"
    if [ "$RC" -eq 0 ] && [ -s "$f" ] && [ "$(head -c 4 "$f" | tail -c 3)" = PNG ]; then
        pass "$name"
    else
        fail "$name" "exit $RC, $(ls -l "$f" 2>&1): $(snip "$tmp/err")"
    fi
}
if command -v gnuplot >/dev/null 2>&1; then
    png plot-bars "$tmp/bars.png" "$GBSIM" sweep --layers 1 --grid stack=vllm-cutlass,llamacpp --plot "$tmp/bars.png" --out "$tmp/p.csv"
    png plot-curves "$tmp/curves.png" "$GBSIM" sweep --layers 1 --grid batch=1,4 --grid stack=vllm-cutlass,llamacpp --plot "$tmp/curves.png"
    png plot-bars-forced "$tmp/bars2.png" "$GBSIM" sweep --layers 1 --grid batch=1,4 --plot-kind bars --plot "$tmp/bars2.png"
    png plot-heatmap-tile "$tmp/heat.png" "$GBSIM" sweep tile --grouped --groups 4 --n 2880 --k 2880 --grid m=4,16 --grid tile=128x64x128,64x64x128 --plot "$tmp/heat.png"
    png plot-heatmap-one-key "$tmp/heat1.png" "$GBSIM" sweep tile --m 4 --n 2880 --k 2880 --grid tile=128x64x128,64x64x128 --plot "$tmp/heat1.png"
    png plot-heatmap-decode "$tmp/heat2.png" "$GBSIM" sweep --layers 1 --grid batch=1,4 --grid stack=vllm-cutlass,llamacpp --plot-kind heatmap --plot "$tmp/heat2.png"
    png plot-curves-tile "$tmp/tc.png" "$GBSIM" sweep tile --n 2880 --k 2880 --grid m=1,8,64 --grid tile=128x64x128,128x128x128 --plot-kind curves --plot "$tmp/tc.png"
    bad plot-bars-of-tile-sweep 'bars' -- "$GBSIM" sweep tile --m 4 --n 256 --k 256 --grid tile=128x64x128 --plot-kind bars --plot "$tmp/bad.png" --out "$tmp/bad.csv"
    bad plot-curves-without-numeric-key 'numeric' -- "$GBSIM" sweep --layers 1 --grid stack=vllm-cutlass --plot-kind curves --plot "$tmp/bad.png" --out "$tmp/bad.csv"
else
    echo "skip: gnuplot not installed (plot checks)"
fi
bad plot-without-gnuplot 'gnuplot' -- env PATH=/nonexistent "$GBSIM" sweep --layers 1 --grid batch=1 --plot "$tmp/bad.png" --out "$tmp/bad.csv"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
