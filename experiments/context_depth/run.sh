#!/usr/bin/env bash
# Context depth 0..128k on GB10 for every stack (gpt-oss-120b, one sequence):
# tok/s against ctx, one curve per stack. Writes result.csv here and
# plots/exp_context_depth.png.
# usage: experiments/context_depth/run.sh [path/to/gbsim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
g=${1:-$root/build/gbsim}
"$g" sweep --grid ctx=0,4096,16384,32768,65536,131000 --grid stack=vllm-cutlass,vllm-marlin,llamacpp \
    --jobs 2 --out "$here/result.csv" --plot "$root/plots/exp_context_depth.png" --plot-kind curves
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         { printf "%-13s ctx %6s: %6.2f tok/s (attention %7.1f us/step)\n", $c["stack"], $c["ctx"], $c["tok_per_s"], $c["us_attention"] }' \
    "$here/result.csv"
