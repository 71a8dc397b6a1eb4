#!/usr/bin/env bash
# Where does vLLM lose to llama.cpp on GB10, op by op? gpt-oss-120b, one
# sequence at ctx 2048, each stack as shipped (vllm-cutlass: the seeds' eager
# FlashInfer CUTLASS path; vllm-marlin: vLLM's default Marlin path with CUDA
# graphs; llamacpp: MMVQ with CUDA graphs). Writes result.csv here and
# plots/exp_vllm_vs_llamacpp.png, then prints the op-by-op difference.
# usage: experiments/vllm_vs_llamacpp/run.sh [path/to/gbsim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
g=${1:-$root/build/gbsim}
"$g" sweep --grid stack=vllm-cutlass,vllm-marlin,llamacpp --jobs 2 \
    --out "$here/result.csv" --plot "$root/plots/exp_vllm_vs_llamacpp.png"
# op by op: us per step of each stack, and vllm-cutlass minus llamacpp
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^us_/) col[i] = substr($i, 4); next }
         { for (i in col) us[$1, col[i]] = $i; tok[$1] = $4; stacks[++n] = $1 }
         END { for (i in col) { o = col[i]; d = us["vllm-cutlass", o] - us["llamacpp", o]
                 printf "%-14s %12.1f %12.1f %12.1f %+12.1f\n", o, us["vllm-cutlass", o], us["vllm-marlin", o], us["llamacpp", o], d }
               printf "%-14s %12.2f %12.2f %12.2f\n", "tok_per_s", tok["vllm-cutlass"], tok["vllm-marlin"], tok["llamacpp"] }' \
    "$here/result.csv" > "$here/result_by_op.txt"
printf "%-14s %12s %12s %12s %12s\n" op vllm-cutlass vllm-marlin llamacpp cutlass-lcpp
grep -v '^tok_per_s' "$here/result_by_op.txt" | sort -k5 -g -r
grep '^tok_per_s' "$here/result_by_op.txt"
rm -f "$here/result_by_op.txt"
