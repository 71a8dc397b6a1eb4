#!/usr/bin/env bash
# fc_tile_sweep.sh -- which valid CUTLASS tile / schedule / swap-AB is fastest
# for gpt-oss-120b's MoE FC1 and FC2 on an arch, at M = 1, 4, 16, 64 decode
# tokens (top-4 of 128 experts; distinct experts per layer = E(1-(1-k/E)^M)),
# against the seeds' 128x128x128 cooperative kernel. Prints a markdown table.
# usage: experiments/moe_tile_sweep/run.sh [path/to/gbsim] [arch] [extra gbsim tile options]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gbsim=${1:-$here/../../build/gbsim}
arch=${2:-gb10}
shift 2 2>/dev/null || shift $#
tiles="128x8x128 128x16x128 128x32x128 128x64x128 128x128x128 128x256x128 256x128x128 128x32x256 128x64x256"
echo "| M | GEMM | groups | 128x128x128 coop (us) | fastest valid config | its us | speedup |"
echo "|---:|---|---:|---:|---|---:|---:|"
for M in 1 4 16 64; do
  groups=$(awk -v m=$M 'BEGIN { g = 128 * (1 - (1 - 4 / 128) ^ m); g = int(g + 0.5); if (g > 4 * m) g = 4 * m; print g }')
  for op in FC1 FC2; do
    if [ $op = FC1 ]; then n=5760; else n=2880; fi
    run() { "$gbsim" tile --arch "$arch" --grouped --m $((4 * M)) --n $n --k 2880 --groups "$groups" "$@" |
            awk -F= '/^valid=/{v=$2} /^predicted_us=/{p=$2} END { if (v == "yes") print p }'; }
    base=$(run --tile 128x128x128 "$@")
    best=$base bestcfg="128x128x128 coop"
    for t in $tiles; do
      for sched in coop pingpong; do
        for swap in "" --swap-ab; do
          us=$(run --tile $t --schedule $sched $swap "$@")
          [ -z "$us" ] && continue
          if awk -v a="$us" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$us bestcfg="$t $sched${swap:+ swap-AB}"
          fi
        done
      done
    done
    awk -v M=$M -v op=$op -v g=$groups -v b="$base" -v c="$bestcfg" -v u="$best" \
      'BEGIN { printf "| %d | %s | %d | %.1f | %s | %.1f | %.2fx |\n", M, op, g, b, c, u, b / u }'
  done
done

# The FC1 launch over tile x decode tokens as one heatmap (plots/exp_moe_tile_fc1.png,
# experiments/moe_tile_sweep/result_fc1.csv), and the seed 002 heuristic
# select_tile_mn_for_sm120 (< 64 tokens: 64x128 swapped; >= 256: 256x64; else
# 128x128) against the fastest valid tile at each M (--relax lets its TileM-64
# pick run, marked hypothetical).
root=$(cd "$here/../.." && pwd)
"$gbsim" sweep tile --arch "$arch" --model gpt-oss-120b --n 5760 --k 2880 \
    --grid tokens=1,4,16,64 \
    --grid tile=128x16x128,128x32x128,128x64x128,128x128x128,128x32x256,128x64x256,64x128x128 \
    --grid swap-ab=no,yes --jobs 2 --out "$here/result_fc1.csv" --plot "$root/plots/exp_moe_tile_fc1.png" >/dev/null
echo
echo "| M | seed 002 heuristic | valid in stock CUTLASS | its us (relaxed) | fastest valid | its us |"
echo "|---:|---|---|---:|---|---:|"
for M in 1 4 16 64; do
  groups=$(awk -v m=$M 'BEGIN { g = 128 * (1 - (1 - 4 / 128) ^ m); g = int(g + 0.5); if (g > 4 * m) g = 4 * m; print g }')
  if [ $((4 * M)) -lt 64 ]; then h="64x128x128 --swap-ab --schedule pingpong"; elif [ $((4 * M)) -ge 256 ]; then h="256x64x128"; else h="128x128x128"; fi
  val=$("$gbsim" tile --arch "$arch" --grouped --m $((4 * M)) --n 5760 --k 2880 --groups "$groups" --tile $h |
        awk -F= '/^valid=/{v=$2} /^rule=/{r=$2} END { print (v == "yes" ? "yes" : "no (" r ")") }')
  rel=$("$gbsim" tile --arch "$arch" --grouped --m $((4 * M)) --n 5760 --k 2880 --groups "$groups" --tile $h --relax all |
        awk -F= '/^predicted_us=/{print $2}')
  best=$(awk -F, -v t=$M 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["tokens"] == t && $c["valid"] == "yes" && (b == "" || $c["predicted_us"] + 0 < b) { b = $c["predicted_us"] + 0; cfg = $c["tile"] ($c["swap-ab"] == "yes" ? " swap-AB" : "") }
    END { printf "%s | %.1f", cfg, b }' "$here/result_fc1.csv")
  hn=$(printf '%s' "$h" | sed 's/ --swap-ab/ swap-AB/; s/ --schedule / /')
  echo "| $M | $hn | $val | ${rel:--} | $best |"
done
