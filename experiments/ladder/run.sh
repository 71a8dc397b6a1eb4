#!/usr/bin/env bash
# From today's vLLM to the physical limit on GB10: gpt-oss-120b on the
# vllm-cutlass stack (the seeds' path), one change at a time, each kept for the
# next rung: CUDA graphs, lm_head in MXFP4, the dense projections in MXFP4, an
# FP8 KV cache, the MoE tile 128x32x256 swap-AB, FP4 activations for the MoE
# GEMMs (W4A4). Each rung is a stack file (the shipped one with that change),
# so one sweep draws them side by side with the DRAM floor of each. Writes
# result.csv here and plots/exp_ladder.png.
# usage: experiments/ladder/run.sh [path/to/gbsim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
g=${1:-$root/build/gbsim}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# patch IN OUT KEY=VALUE...: a stack-wide key, or OP.COLUMN for every row of OP
patch() {
  local in=$1 out=$2; shift 2
  awk -F, -v OFS=, -v sets="$*" '
    BEGIN { n = split(sets, s, " ") }
    FNR == 1 { sec = 1 }
    sec == 2 && $1 == "op" && !hdr { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; print; next }
    /^$/ { sec = 2; print; next }
    { for (j = 1; j <= n; j++) { split(s[j], kv, "="); k = kv[1]; v = kv[2]
        if (sec == 1 && $1 == k) $2 = v
        if (sec == 2 && hdr && index(k, ".")) { split(k, of, "."); if ($1 == of[1]) $col[of[2]] = v } }
      print }' "$in" > "$out"
}
cp "$root/models/data/stack/vllm-cutlass.csv" "$tmp/r0_today.csv"
rung() { # N NAME SETS...: rung N = rung N-1 with SETS
  local n=$1 name=$2 prev; shift 2
  prev=$(ls "$tmp"/r$((n - 1))_*.csv)
  patch "$prev" "$tmp/r${n}_${name}.csv" "$@"
}
rung 1 graphs graphs=on
rung 2 lm_head_mxfp4 lm_head.weights=mxfp4
rung 3 dense_mxfp4 qkv_proj.weights=mxfp4 o_proj.weights=mxfp4 router.weights=mxfp4
rung 4 kv_fp8 kv_dtype=fp8e4m3
rung 5 moe_tile_128x32x256 moe_fc1.tile=128x32x256 moe_fc1.swap_ab=1 moe_fc2.tile=128x32x256 moe_fc2.swap_ab=1
rung 6 fp4_activations moe_fc1.acts=mxfp4 moe_fc2.acts=mxfp4 moe_quant.acts=mxfp4 moe_expand.acts=mxfp4 moe_act.acts=mxfp4
files=$(ls "$tmp"/r*_*.csv | sort -V | paste -sd, -)
(cd "$tmp" && "$g" sweep --grid "stack=$(printf '%s' "$files" | sed "s|$tmp/||g")" --jobs 2 \
    --out "$here/result.csv" --plot "$root/plots/exp_ladder.png" --plot-kind bars)
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         { printf "%-28s %8.2f tok/s   limit %6.2f   (%s)\n", $c["stack"], $c["tok_per_s"], $c["limit_tok_per_s"], $c["status"] }' \
    "$here/result.csv"
