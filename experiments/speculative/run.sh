#!/usr/bin/env bash
# Speculative decoding on GB10 (vllm-cutlass, gpt-oss-120b, ctx 2048): tok/s
# against the acceptance rate, one curve per K (positions verified per step),
# with the drafter's cost simulated: an EAGLE-style head (one target layer and
# the target's lm_head) and, for comparison, a free n-gram drafter. Writes
# result_eagle.csv and result_ngram.csv here and plots/exp_speculative_*.png.
# usage: experiments/speculative/run.sh [path/to/gbsim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
g=${1:-$root/build/gbsim}
for d in eagle ngram; do
  "$g" sweep --draft "$d" --grid accept=0.2,0.4,0.6,0.7,0.8,0.9 --grid spec=2,3,4,6,8 --jobs 2 \
      --out "$here/result_$d.csv" --plot "$root/plots/exp_speculative_$d.png" --plot-kind curves
done
"$g" decode | awk '/^tok_per_s:/ { print "no speculation: " $2 " tok/s" }'
for d in eagle ngram; do
  awk -F, -v d="$d" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["tok_per_s"] > best[$c["accept"]] { best[$c["accept"]] = $c["tok_per_s"]; k[$c["accept"]] = $c["spec"] }
    END { for (a in best) printf "%s drafter, acceptance %s: best K=%s, %.2f tok/s\n", d, a, k[a], best[a] }' \
    "$here/result_$d.csv" | sort -t, -k1,1
done
