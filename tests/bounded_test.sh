#!/usr/bin/env bash
# bounded_test.sh -- bounded work and streaming (issue 17 item 4): replay
# predicts identical rows once and prints the same line for each; without
# --out and --plot it streams (a row no kernel model can run stops the replay
# after the lines before it, exit 2, file:line on stderr); launches past the
# simulated limits (models/kexec.h KEXEC_MAX_COUNT) are refused with the limit
# in the message, in replay and in tile; sizes below the limits fold. No
# timing is checked. Run by ctest as: bash tests/bounded_test.sh PATH/TO/gbsim
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
gbsim=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name, status (0 = ok), details
  if [ "$2" = 0 ]; then echo "ok $1"; else echo "FAIL $1: $3"; fail=1; fi
}
H='op,kind,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,bytes,measured_us'

# 3000 copies of two rows, then a third: one line per row, copies alike
{
  echo "$H"
  for i in $(seq 1 3000); do
    echo "qkv,gemm,1,5120,2880,,bf16,bf16,,,,,,12.5"
    echo "norm,elementwise,,,,,,,,,,,17280,"
  done
  echo "attn,attention,1,,,,bf16,,4096,64,8,64,,9.0"
} > "$tmp/rep.csv"
"$gbsim" replay --arch h100 "$tmp/rep.csv" > "$tmp/rep.out" 2> "$tmp/rep.err"
check "repeated rows replay" $? "$(cat "$tmp/rep.err")"
[ "$(grep -c ' qkv ' "$tmp/rep.out")" = 3000 ] && [ "$(grep ' qkv ' "$tmp/rep.out" | awk '{print $4}' | sort -u | wc -l)" = 1 ] &&
  [ "$(grep ' norm ' "$tmp/rep.out" | awk '{print $4}' | sort -u | wc -l)" = 1 ]
check "identical rows, identical lines" $? "$(grep -c ' qkv ' "$tmp/rep.out") qkv lines"
awk '/^[0-9]/ { s += $4 } /^total_predicted_us:/ { t = $2 } END { d = s - t; exit !(d < 1 && d > -1) }' "$tmp/rep.out"
check "total is the sum of the lines" $? "$(tail -2 "$tmp/rep.out")"

# streaming: the third row cannot run on h100 (an MX GEMM): two lines, then exit 2
{
  echo "$H"
  echo "qkv,gemm,1,5120,2880,,bf16,bf16,,,,,,12.5"
  echo "norm,elementwise,,,,,,,,,,,17280,"
  echo "moe,grouped_gemm,4,5760,2880,4,mxfp8,mxfp4,,,,,,"
} > "$tmp/mid.csv"
"$gbsim" replay --arch h100 "$tmp/mid.csv" > "$tmp/mid.out" 2> "$tmp/mid.err"
rc=$?
[ "$rc" = 2 ] && [ "$(grep -c '^[0-9]' "$tmp/mid.out")" = 2 ] && grep -q "mid.csv:4:" "$tmp/mid.err" &&
  ! grep -q total_predicted_us "$tmp/mid.out"
check "a failing row stops a streamed replay after the rows before it" $? "rc $rc: $(cat "$tmp/mid.out" "$tmp/mid.err")"
"$gbsim" replay --arch h100 "$tmp/mid.csv" --out "$tmp/mid_pred.csv" > "$tmp/mid2.out" 2> /dev/null
rc=$?
[ "$rc" = 2 ] && [ ! -s "$tmp/mid2.out" ] && [ ! -e "$tmp/mid_pred.csv" ]
check "with --out nothing is printed or written" $? "rc $rc"

# past the limits: refused with the limit, file:line in replay
for row in "big,gemm,1000000000000,5120,2880,,bf16,bf16,,,,,," \
           "bigk,gemm,16,5120,1000000000000,,bf16,bf16,,,,,,"; do
  printf '%s\n%s\n' "$H" "$row" > "$tmp/big.csv"
  "$gbsim" replay --arch h100 "$tmp/big.csv" > /dev/null 2> "$tmp/big.err"
  rc=$?
  [ "$rc" = 2 ] && grep -q "big.csv:2:" "$tmp/big.err" && grep -q "at most 1073741824" "$tmp/big.err"
  check "replay refuses ${row%%,*} with the limit" $? "rc $rc: $(cat "$tmp/big.err")"
done
# a given grid of one CTA walks every tile: the limit is per CTA of that grid
printf '%s\n%s\n' "op,kind,m,n,k,groups,a_dtype,b_dtype,tile,split_k,grid_ctas,impl" \
  "one,gemm,274877906944,128,64,,bf16,bf16,128x128x64,1,1,cutlass" > "$tmp/grid1.csv"
"$gbsim" replay --arch h100 "$tmp/grid1.csv" > /dev/null 2> "$tmp/grid1.err"
rc=$?
[ "$rc" = 2 ] && grep -q "grid1.csv:2:" "$tmp/grid1.err" && grep -q "at most 1073741824" "$tmp/grid1.err"
check "replay refuses 2^31 tiles on a given grid of one CTA" $? "rc $rc: $(cat "$tmp/grid1.err")"
"$gbsim" tile --m 1000000000 --n 1000000000 --k 1000000000 > "$tmp/t.out" 2> "$tmp/t.err"
rc=$?
[ "$rc" = 2 ] && [ ! -s "$tmp/t.out" ] && grep -q "at most 1073741824" "$tmp/t.err"
check "tile refuses a launch past the limit" $? "rc $rc: $(cat "$tmp/t.err")"

# the trace's own limits (ctx, bytes at most 1e12) are below the simulated ones:
# such rows fold
printf '%s\n%s\n%s\n' "$H" "ctx,attention,1,,,,bf16,,1000000000000,64,8,64,," \
  "bytes,elementwise,,,,,,,,,,,1000000000000," > "$tmp/huge.csv"
"$gbsim" replay --arch h100 "$tmp/huge.csv" > "$tmp/huge.out" 2> "$tmp/huge.err"
check "replay of ctx 1e12 and 1e12 bytes" $? "$(cat "$tmp/huge.err")"

# the Hopper trace's own launches (cold activations, a given grid, split-K) at
# m = 1e6 and 1e7 tokens: they fold (models/gemm.c "long launches") and the
# second takes 10 x the first
L='op,kind,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,bytes,tile,stages,swap_ab,cluster,split_k,grid_ctas,impl'
for m in 1000000 10000000; do
  printf '%s\n%s\n%s\n' "$L" "qkv,gemm,$m,5120,2880,,bf16,bf16,,,,,,64x8x64,16,1,4x1,1,80,cublas-nvjet" \
    "o_proj,gemm,$m,2880,4096,,bf16,bf16,,,,,,64x8x64,16,1,4x1,2,96,cublas-nvjet" > "$tmp/long$m.csv"
  "$gbsim" replay --arch h100 "$tmp/long$m.csv" > "$tmp/long$m.out" 2> "$tmp/long$m.err"
  check "replay of the trace's launches at m $m" $? "$(cat "$tmp/long$m.err")"
done
for op in qkv o_proj; do
  a=$(awk -v op=$op '$2 == op { print $4 }' "$tmp/long1000000.out")
  b=$(awk -v op=$op '$2 == op { print $4 }' "$tmp/long10000000.out")
  awk -v a="$a" -v b="$b" 'BEGIN { r = b / a; exit !(r > 9.9 && r < 10.1) }'
  check "$op at m 1e7 takes 10 x m 1e6" $? "$a vs $b us"
done

# below the limits, long launches fold: they finish and scale with their size
a=$("$gbsim" tile --m 1000000 --n 5120 --k 2880 | awk -F= '/^predicted_us=/ { print $2 }')
b=$("$gbsim" tile --m 1000000000 --n 5120 --k 2880 | awk -F= '/^predicted_us=/ { print $2 }')
awk -v a="$a" -v b="$b" 'BEGIN { r = b / a; exit !(r > 990 && r < 1010) }'
check "tile m 1e9 takes 1000 x m 1e6" $? "$a vs $b us"

[ "$fail" = 0 ] && echo "ok bounded"
[ "$fail" = 0 ]
