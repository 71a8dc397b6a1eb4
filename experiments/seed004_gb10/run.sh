#!/usr/bin/env bash
# seed004_gb10.sh -- the GB10 comparison of docs/validation.md: gbsim's
# vllm-cutlass decode step next to the nsys kernel table of seed 004
# (experiments/seed004_gb10/measured.csv). Prints a markdown table.
# usage: experiments/seed004_gb10/run.sh [path/to/gbsim] [extra gbsim decode options]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gbsim=${1:-$here/../../build/gbsim}
shift || true
sim=$("$gbsim" decode --arch gb10 --model gpt-oss-120b --stack vllm-cutlass --batch 1 --format csv "$@")
step=$("$gbsim" decode --arch gb10 --model gpt-oss-120b --stack vllm-cutlass --batch 1 "$@" | awk '/^tok_per_s:/{print $2}')
echo "| seed 004 class | gbsim ops | measured us/call | gbsim us/call | error |"
echo "|---|---|---:|---:|---:|"
tail -n +2 "$here/measured.csv" | while IFS=, read -r class ops meas calls src; do
  pred=$(echo "$sim" | awk -F, -v ops="$ops" '
    BEGIN { n = split(ops, want, "+") }
    NR > 1 { for (i = 1; i <= n; i++) if ($1 == want[i]) { us += $5; c += $3 } }
    END { printf "%.1f", us / c }')
  err=$(awk -v p="$pred" -v m="$meas" 'BEGIN { printf "%+.0f%%", 100 * (p - m) / m }')
  echo "| $class | $ops | $meas | $pred | $err |"
done
awk -v p="$step" 'BEGIN { printf "| **decode** | whole step | **29.54 tok/s** | **%.2f tok/s** | %+.0f%% |\n", p, 100 * (p - 29.54) / 29.54 }'
