#!/usr/bin/env bash
# kit.sh -- measure this machine's GPU for gbsim in one command (docs/kit.md).
#
#   bash microbench/kit.sh OUTDIR [--arch-base NAME|FILE.csv] [--sm sm_XXa|native]
#                                 [--repeats N] [--no-torch]
#
# Builds membench.cu, tmabench.cu, ubench.cu, kcold.cu (its CUPTI program,
# KCOLD_MAIN) and, on sm_9x, wgmmabench.cu for the local GPU with nvcc, runs them N times (default 5); where
# python3 imports torch with a GPU, runs kcold.py --kit and
# kgap_probe.py N times (the graph gaps) and traces/capture/torch_launch.py once,
# and digests the outputs (microbench/kit_digest.py) into
#   OUTDIR/arch.csv     the base arch file with every measured key replaced: source
#                       'measured:<run id> ...', low,high = the samples' min and max;
#                       use it as gbsim decode --arch OUTDIR/arch.csv
#   OUTDIR/set.txt      the measured values as --set key=value words
#   OUTDIR/compare.txt  base against measured, key by key
#   OUTDIR/raw.txt      every program's output, '#@run N' before each run
#   OUTDIR/kit.log      the build and the programs' stderr
# --arch-base: the preset (models/data/arch/NAME.csv) or file whose other keys
# the output keeps; default from the GPU's name (GB10, H100, H200). --sm: the
# nvcc target; default sm_<cc>a from nvidia-smi's compute capability (sm_121a
# on a DGX Spark, sm_90a on H100/H200), 'native' for nvcc -arch=native.
# Needs CUDA (nvcc, the driver, nvidia-smi) and python3; on an H100 one run with
# the PyTorch programs took 52 s after the build. Nothing outside OUTDIR is
# written but a build folder under $TMPDIR,
# removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
usage="usage: bash microbench/kit.sh OUTDIR [--arch-base NAME|FILE.csv] [--sm sm_XXa|native] [--repeats N] [--no-torch]"
die() { echo "kit.sh: $*" >&2; exit 2; }

out="" base="" sm="" repeats=5 torch=1
while [ $# -gt 0 ]; do
  case $1 in
    --arch-base) [ $# -ge 2 ] || die "--arch-base needs a value; $usage"; base=$2; shift 2 ;;
    --sm) [ $# -ge 2 ] || die "--sm needs a value; $usage"; sm=$2; shift 2 ;;
    --repeats) [ $# -ge 2 ] || die "--repeats needs a value; $usage"; repeats=$2; shift 2 ;;
    --no-torch) torch=0; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) die "unknown option '$1'; $usage" ;;
    *) [ -z "$out" ] || die "one OUTDIR expected, got '$out' and '$1'; $usage"; out=$1; shift ;;
  esac
done
[ -n "$out" ] || die "no OUTDIR; $usage"
case $repeats in ''|*[!0-9]*|0) die "--repeats '$repeats': expected a whole number >= 1" ;; esac
command -v nvcc >/dev/null || die "nvcc not found on PATH; install the CUDA toolkit"
command -v python3 >/dev/null || die "python3 not found on PATH"

# 1. the GPU: name and compute capability
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader -i 0 2>/dev/null || true)
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader -i 0 2>/dev/null || true)
[ -n "$gpu" ] || gpu=unknown
if [ -z "$base" ]; then
  case $gpu in
    *GB10*) base=gb10 ;;
    *H200*) base=h200 ;;
    *H100*) base=h100 ;;
    *) die "no preset for GPU '$gpu'; pass --arch-base NAME (models/data/arch/) or FILE.csv" ;;
  esac
fi
if [ -f "$base" ]; then base_csv=$base; else base_csv=$root/models/data/arch/$base.csv; fi
if [ ! -f "$base_csv" ]; then
  names=""
  for f in "$root"/models/data/arch/*.csv; do names="$names ${f##*/}"; done
  die "--arch-base '$base': neither a file nor a preset (models/data/arch:${names//.csv/})"
fi
if [ -z "$sm" ]; then
  case $cc in
    [0-9]*.[0-9]*) sm=sm_${cc/./}; if [ "${cc%%.*}" -ge 9 ]; then sm=${sm}a; fi ;;
    *) sm=native ;;
  esac
fi
case $sm in
  native) arch="-arch=native" ;;
  sm_[0-9]*) arch="-gencode=arch=compute_${sm#sm_},code=$sm" ;;
  *) die "--sm '$sm': expected sm_XX[a] (sm_121a, sm_90a) or native" ;;
esac

mkdir -p "$out"
out=$(cd "$out" && pwd)
raw=$out/raw.txt log=$out/kit.log
: >"$raw"
: >"$log"
build=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-kit.XXXXXX")
trap 'rm -rf "$build"' EXIT
slug=$(echo "${gpu#NVIDIA }" | tr -c 'A-Za-z0-9\n' '-' | tr -s '-' | sed 's/^-//; s/-$//' | cut -c1-24)
id=kit-$(date -u +%Y%m%dT%H%MZ)-${slug:-gpu}
note() { echo "kit.sh: $*" | tee -a "$log" >&2; }
note "$id: $gpu (compute capability ${cc:-?}), nvcc $arch, base $base_csv, $repeats run(s)"

# 2. CUPTI for kcold's program: the toolkit's extras/CUPTI, include/ + lib64/, or targets/*
cupti_inc="" cupti_lib=""
nvcc_root=$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)
for d in "$nvcc_root/extras/CUPTI" "$nvcc_root" "$nvcc_root"/targets/* /usr/local/cuda/extras/CUPTI /usr/local/cuda; do
  [ -f "$d/include/cupti_activity.h" ] || continue
  for l in lib64 lib; do
    if ls "$d/$l"/libcupti.so* >/dev/null 2>&1; then cupti_inc=$d/include cupti_lib=$d/$l; break 2; fi
  done
done

# 3. build, the four programs side by side
build_one() {  # name, then nvcc's arguments after the source
  local name=$1; shift
  # shellcheck disable=SC2086  # $arch is one word or -gencode=...: never split
  if nvcc -O3 $arch "$here/$name.cu" -o "$build/$name" "$@" >"$build/$name.log" 2>&1; then
    return 0
  fi
  return 1
}
pids=()
build_one membench & pids+=($!)
build_one tmabench -lcuda & pids+=($!)
build_one ubench & pids+=($!)
case $sm in
  sm_9*a) build_one wgmmabench & pids+=($!) ;;   # wgmma: sm_90a only
  *) note "no wgmma on $sm (wgmma.mma_async needs sm_90a): mma_wait_cyc is not measured" ;;
esac
if [ -n "$cupti_lib" ]; then
  for f in "$cupti_lib"/libcupti.so*; do cupti_so=${f##*/}; break; done
  # shellcheck disable=SC2086
  nvcc -O3 $arch -DKCOLD_MAIN "$here/kcold.cu" -o "$build/kcold" -I"$cupti_inc" -L"$cupti_lib" -l:"$cupti_so" \
    -lcuda -Xlinker -rpath,"$cupti_lib" >"$build/kcold.log" 2>&1 & pids+=($!)
else
  note "no CUPTI (cupti_activity.h and libcupti) under $nvcc_root: kernel_fixed_ns and launch_gap_ns are not measured"
fi
for p in "${pids[@]}"; do wait "$p" || true; done
progs=()
for name in membench tmabench ubench kcold wgmmabench; do
  if [ -x "$build/$name" ]; then
    progs+=("$name")
  elif [ -f "$build/$name.log" ]; then
    note "$name.cu did not build for $arch (its keys are not measured):"
    tail -n 20 "$build/$name.log" | tee -a "$log" >&2
  fi
done
cat "$build"/*.log >>"$log" 2>/dev/null || true
[ ${#progs[@]} -gt 0 ] || { note "nothing built"; exit 1; }

# 4. run: every program once per run
{
  echo "# gbsim microbench/kit.sh raw outputs (microbench/kit_digest.py reads them; docs/kit.md)"
  echo "#@kit id=$id gpu=${gpu// /_} cc=${cc:-?} sm=$sm base=$(basename "$base_csv") date=$(date -u +%Y-%m-%dT%H:%M:%SZ) nvcc=$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader -i 0 2>/dev/null || echo ?)"
} >>"$raw"
args_of() { case $1 in membench) echo "1 2 4" ;; tmabench|ubench) echo kit ;; *) echo "" ;; esac; }
t0=$(date +%s)
for r in $(seq 1 "$repeats"); do
  echo "#@run $r" >>"$raw"
  for name in "${progs[@]}"; do
    echo "# $name $(args_of "$name")" | sed "s/ *$//" >>"$raw"
    # shellcheck disable=SC2046
    if ! timeout 300 "$build/$name" $(args_of "$name") >>"$raw" 2>>"$log"; then
      note "run $r: $name $(args_of "$name") failed (see kit.log); the run keeps what it printed"
      echo "# $name failed" >>"$raw"
    fi
  done
  note "run $r of $repeats done ($(( $(date +%s) - t0 )) s)"
done
# under PyTorch: the graph gaps as torch.profiler records them in a PyTorch
# process, as the traces were taken (docs/kit.md), and the host launch time
if [ "$torch" = 1 ] && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  # shellcheck disable=SC2086
  if nvcc -O3 $arch -shared -Xcompiler -fPIC "$here/kcold.cu" -o "$build/kcold.so" -lcuda >>"$log" 2>&1; then
    for r in $(seq 1 "$repeats"); do
      echo "#@run $r" >>"$raw"
      echo "# microbench/kcold.py --kit" >>"$raw"
      timeout 300 python3 "$here/kcold.py" "$build/kcold.so" --kit >>"$raw" 2>>"$log" ||
        note "run $r: kcold.py failed (see kit.log)"
      echo "# microbench/kgap_probe.py" >>"$raw"
      timeout 300 python3 "$here/kgap_probe.py" >>"$raw" 2>>"$log" || note "run $r: kgap_probe.py failed (see kit.log)"
    done
  else
    note "kcold.cu did not build as a shared library: graph_gap_ns and graph_gap_cold_ns are not measured"
  fi
  echo "#@run 1" >>"$raw"
  echo "# traces/capture/torch_launch.py" >>"$raw"
  timeout 300 python3 "$root/traces/capture/torch_launch.py" >>"$raw" 2>>"$log" || note "torch_launch.py failed (see kit.log)"
else
  note "no PyTorch with a GPU (or --no-torch): launch_api_us, graph_gap_ns and graph_gap_cold_ns are not measured"
fi

# 5. digest
python3 "$here/kit_digest.py" --base "$base_csv" --id "$id" --out "$out/arch.csv" --set-out "$out/set.txt" \
  --compare "$out/compare.txt" "$raw"
note "wrote $out/arch.csv (gbsim decode --arch $out/arch.csv), set.txt, compare.txt, raw.txt, kit.log in $(( $(date +%s) - t0 )) s of runs"
