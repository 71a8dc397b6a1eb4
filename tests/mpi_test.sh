#!/usr/bin/env bash
# mpi_test.sh -- `mpirun -np N gbsim sweep|replay` writes what one process
# writes, byte for byte (cli/par.h: ranks take every N-th point or row, rank 0
# writes in grid or file order), and prints its messages once: a decode sweep
# with a failing point, a tile sweep on threads, replay of the committed Hopper
# trace with --out, a trace longer than one chunk of rows (with --plot), a
# replay stopped by a row no kernel model runs, more ranks than rows or points,
# --help and bad input. A failure on rank 1 alone (a file its node lacks: its
# working directory) stops every rank with exit 2 and rank 0's one message,
# within a minute. Registered only in a build with -DGBSIM_MPI=ON. Run by
# ctest as: bash tests/mpi_test.sh PATH/TO/gbsim MPIEXEC
set -u
gbsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")   # absolute: ranks start elsewhere below
mpiexec=${2:-mpirun}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# CI runs as root; more ranks than cores is fine for a test
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail=0
check() { # name, status (0 = ok), details
  if [ "$2" = 0 ]; then echo "ok $1"; else echo "FAIL $1: $3"; fail=1; fi
}
# one process and NP ranks: the same stdout, exit status, files and error
# messages (mpirun adds its own lines to stderr)
same() { # name, NP, FILE (written by the command, or -), gbsim arguments with @OUT@ for FILE
  local name=$1 np=$2 file=$3
  shift 3
  local a1=() an=()
  for x in "$@"; do a1+=("${x//@OUT@/$tmp/one.$file}"); an+=("${x//@OUT@/$tmp/mpi.$file}"); done
  "$gbsim" "${a1[@]}" > "$tmp/o1" 2> "$tmp/e1"
  local r1=$?
  timeout 120 "$mpiexec" --oversubscribe -np "$np" "$gbsim" "${an[@]}" > "$tmp/on" 2> "$tmp/en"
  local rn=$?
  local ok=0
  [ "$r1" = "$rn" ] && cmp -s "$tmp/o1" "$tmp/on" || ok=1
  cmp -s <(grep '^gbsim: error:' "$tmp/e1") <(grep '^gbsim: error:' "$tmp/en") || ok=1
  if [ "$file" != - ] && [ "$ok" = 0 ]; then
    if [ -e "$tmp/one.$file" ]; then cmp -s "$tmp/one.$file" "$tmp/mpi.$file" || ok=1
    else [ ! -e "$tmp/mpi.$file" ] || ok=1; fi
  fi
  check "$name (-np $np)" "$ok" "status $r1 vs $rn; $(diff "$tmp/o1" "$tmp/on" | head -4) $(head -3 "$tmp/en")"
}

# a sweep: 7 points over 2 or 3 ranks, one of them failing (it does not fit)
same "decode sweep" 2 csv sweep --grid batch=1,2,4,8,16,32 --grid stack=vllm-cutlass --out @OUT@
same "decode sweep, a failing point" 3 csv sweep --grid batch=1,4,16,4096 \
  --grid stack=vllm-cutlass,llamacpp --out @OUT@
same "decode sweep to stdout" 2 - sweep --grid ctx=128,1024,8192 --grid graphs=off,on
same "tile sweep on threads" 3 csv sweep tile --model gpt-oss-120b --n 5760 --k 2880 \
  --grid tokens=1,4,16 --grid tile=128x32x128,128x64x128,128x128x128 --jobs 2 --out @OUT@
same "bad input, every rank" 2 - sweep --grid batch=0,1
same "sweep --help" 3 - sweep --help
same "sweep tile --help" 2 - sweep tile --help

# replay: the committed trace, its --out file, and a trace of several chunks
for arch in h100 h200; do
  same "$arch replay --out" 2 csv replay --arch "$arch" "$root/traces/hopper/${arch}_shapes.csv" --out @OUT@
done
same "replay --auto-config on threads" 3 - replay --arch h100 --auto-config --jobs 2 \
  "$root/traces/hopper/h100_shapes.csv"
same "replay --samples (rank 0 draws)" 2 - replay --arch h100 --samples 4 \
  "$root/traces/hopper/h100_shapes.csv"
H='op,kind,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,bytes,measured_us'
{
  echo "$H"
  for i in $(seq 1 3000); do
    echo "qkv,gemm,$((i % 5 + 1)),5120,2880,,bf16,bf16,,,,,,12.5"
    echo "attn,attention,1,,,,bf16,,$((1024 * (i % 3 + 1))),64,8,64,,"
    echo "norm,elementwise,,,,,,,,,,,$((17280 * (i % 4 + 1))),"
  done
} > "$tmp/long.csv"
same "replay of 9000 rows" 3 csv replay --arch h100 "$tmp/long.csv" --out @OUT@
same "replay of 9000 rows, --plot" 3 svg replay --arch h100 "$tmp/long.csv" --plot @OUT@
{ echo "$H"; sed -n 2,5001p "$tmp/long.csv"; echo "moe,grouped_gemm,4,5760,2880,4,mxfp8,mxfp4,,,,,,";
  tail -n 20 "$tmp/long.csv"; } > "$tmp/stop.csv"
same "replay stopped by a failing row" 2 - replay --arch h100 "$tmp/stop.csv"
same "replay stopped, --out not written" 2 csv replay --arch h100 "$tmp/stop.csv" --out @OUT@
same "replay --help" 3 - replay --help
same "replay, bad input" 3 - replay --arch h100 --set no_such_key=1 "$tmp/long.csv"

# more ranks than rows or points: the ranks without any still take part
head -n 3 "$root/traces/hopper/h100_shapes.csv" > "$tmp/two.csv"
same "replay of 2 rows" 3 csv replay --arch h100 "$tmp/two.csv" --out @OUT@
same "sweep of 2 points" 3 csv sweep --grid batch=1,2 --out @OUT@
same "tile sweep of 2 points" 3 - sweep tile --m 4 --n 5760 --k 2880 \
  --grid tile=128x32x128,128x64x128

# a failure on rank 1 alone: rank 0 runs in node0, rank 1 in node1, which
# lacks a file (or holds another copy of it); every rank exits 2, rank 0
# prints the one message, and no output file is written
mkdir -p "$tmp/node0" "$tmp/node1"
cp "$root/traces/hopper/h100_shapes.csv" "$tmp/node0/t.csv"
cp "$root/models/data/arch/gb10.csv" "$tmp/node0/my_arch.csv"
split() { # name, the message expected, gbsim arguments (paths relative to the node)
  local name=$1 want=$2
  shift 2
  timeout 60 "$mpiexec" --oversubscribe -np 1 -wdir "$tmp/node0" "$gbsim" "$@" : \
    -np 1 -wdir "$tmp/node1" "$gbsim" "$@" > "$tmp/o" 2> "$tmp/e"
  local rc=$? ok=0
  [ "$rc" = 2 ] && [ ! -s "$tmp/o" ] && [ "$(grep -c '^gbsim: error:' "$tmp/e")" = 1 ] &&
    grep -qF -- "$want" "$tmp/e" && [ ! -e "$tmp/node0/out.csv" ] || ok=1
  check "$name" "$ok" "status $rc (124: hung); $(grep '^gbsim' "$tmp/e" | head -3)"
}
split "replay, the trace missing on rank 1" "gbsim: error: MPI rank 1 of 2: t.csv: cannot open" \
  replay --arch h100 t.csv --out out.csv
split "sweep, an arch file missing on rank 1" "gbsim: error: MPI rank 1 of 2: --grid arch: my_arch.csv" \
  sweep --grid arch=gb10,my_arch.csv --grid batch=1,2 --out out.csv
head -n 20 "$tmp/node0/t.csv" > "$tmp/node1/t.csv"
split "replay, another trace on rank 1" "t.csv: rank 1 of the MPI job read another trace than rank 0" \
  replay --arch h100 t.csv --out out.csv

[ "$fail" = 0 ] && echo "ok mpi"
[ "$fail" = 0 ]
