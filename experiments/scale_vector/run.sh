#!/usr/bin/env bash
# Scale vector 16/32/64/128 for the MoE GEMMs of vllm-cutlass on GB10: decode
# time (sweep over moe_fc1.sf_vec and moe_fc2.sf_vec together) beside the
# numeric error of MXFP8 x MXFP4 with that vector (`gbsim verify`, gaussian and
# heavy-tailed data). 16 is NVFP4's vector (MX's own is 32); 64 and 128 are
# formats no GB10 instruction has (hypothetical). Writes result.csv here and
# plots/exp_scale_vector.png.
# usage: experiments/scale_vector/run.sh [path/to/gbsim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
g=${1:-$root/build/gbsim}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "sf_vec,tok_per_s,us_moe_fc1,us_moe_fc2,hypothetical,rel_err_gaussian,rel_err_outliers" > "$tmp/out.csv"
for v in 16 32 64 128; do
  "$g" sweep --grid "moe_fc1.sf_vec=$v" --set "moe_fc2.sf_vec=$v" --relax all --out "$tmp/s.csv" 2>/dev/null
  line=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                  { print $c["tok_per_s"] "," $c["us_moe_fc1"] "," $c["us_moe_fc2"] "," $c["hypothetical"] }' "$tmp/s.csv")
  errs=""
  for dist in gaussian outliers; do
    "$g" verify --data "$dist" --format csv --out "$tmp/v.csv" > /dev/null
    e=$(awk -F, -v v="$v" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
          $c["a_fmt"] == "mxfp8e4m3" && $c["b_fmt"] == "mxfp4" && $c["rule"] == "ocp" &&
          ($c["sf_vec"] + 0) == v && $c["fault"] == "none" { print $c["rel_fro_err"]; exit }' "$tmp/v.csv")
    errs="$errs,${e:-}"
  done
  echo "$v,$line$errs" >> "$tmp/out.csv"
done
cp "$tmp/out.csv" "$here/result.csv"
"$g" sweep --grid moe_fc1.sf_vec=16,32,64,128 --relax all --out "$tmp/p.csv" \
    --plot "$root/plots/exp_scale_vector.png" --plot-kind curves 2>/dev/null || true
column -s, -t "$here/result.csv"
