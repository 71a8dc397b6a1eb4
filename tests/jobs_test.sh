#!/usr/bin/env bash
# jobs_test.sh -- replay --jobs N prints what --jobs 1 prints, byte for byte
# (rows predicted on threads, printed in file order): the committed Hopper
# shape traces with their launch configuration and with --auto-config, a
# trace of repeated rows, and one that stops at a row no kernel model runs
# (the same lines, the same message, exit 2). --out is the same file.
# Run by ctest as: bash tests/jobs_test.sh PATH/TO/gbsim
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
gbsim=$1
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
same() { # name, args...: --jobs 1 and --jobs 3 agree on stdout, stderr and status
  local name=$1
  shift
  "$gbsim" replay --jobs 1 "$@" > "$tmp/o1" 2> "$tmp/e1"
  local r1=$?
  "$gbsim" replay --jobs 3 "$@" > "$tmp/o3" 2> "$tmp/e3"
  local r3=$?
  if [ "$r1" = "$r3" ] && cmp -s "$tmp/o1" "$tmp/o3" && cmp -s "$tmp/e1" "$tmp/e3"; then
    echo "ok $name"
  else
    echo "FAIL $name: status $r1 vs $r3"; diff "$tmp/o1" "$tmp/o3" | head -5; fail=1
  fi
}
for arch in h100 h200; do
  same "$arch trace config" --arch $arch "$root/traces/hopper/${arch}_shapes.csv"
  same "$arch auto config" --arch $arch --auto-config "$root/traces/hopper/${arch}_shapes.csv"
done
H='op,kind,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,bytes,measured_us'
{
  echo "$H"
  for i in $(seq 1 200); do
    echo "qkv,gemm,$((i % 7 + 1)),5120,2880,,bf16,bf16,,,,,,12.5"
    echo "attn,attention,1,,,,bf16,,$((1024 * (i % 3 + 1))),64,8,64,,"
  done
} > "$tmp/rep.csv"
same "repeated rows" --arch h100 "$tmp/rep.csv"
{ echo "$H"; head -40 "$tmp/rep.csv" | tail -n +2; echo "moe,grouped_gemm,4,5760,2880,4,mxfp8,mxfp4,,,,,,";
  tail -n 20 "$tmp/rep.csv"; } > "$tmp/stop.csv"
same "a failing row" --arch h100 "$tmp/stop.csv"
"$gbsim" replay --jobs 1 --arch h200 "$root/traces/hopper/h200_shapes.csv" --out "$tmp/p1.csv" > /dev/null &&
  "$gbsim" replay --jobs 2 --arch h200 "$root/traces/hopper/h200_shapes.csv" --out "$tmp/p2.csv" > /dev/null &&
  cmp -s "$tmp/p1.csv" "$tmp/p2.csv"
if [ $? = 0 ]; then echo "ok --out"; else echo "FAIL --out differs"; fail=1; fi
"$gbsim" replay --jobs 0 "$tmp/rep.csv" > "$tmp/o" 2> "$tmp/e"
if [ $? = 2 ] && [ ! -s "$tmp/o" ] && grep -q -- "--jobs" "$tmp/e"; then echo "ok --jobs 0 refused"; else
  echo "FAIL --jobs 0: $(cat "$tmp/e")"; fail=1; fi
[ "$fail" = 0 ] && echo "ok jobs"
[ "$fail" = 0 ]
