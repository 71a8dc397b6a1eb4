#!/usr/bin/env bash
# llamacpp_gb10.sh -- gbsim's llamacpp stack on GB10 against llama-bench tg32
# at depth d (experiments/llamacpp_gb10/measured.csv). The simulated step sits at the
# middle of the 32 generated tokens: ctx = d + 16. Prints a markdown table and
# exits 1 if any error exceeds MAX_ERR_PCT (default 10).
# usage: experiments/llamacpp_gb10/run.sh [path/to/gbsim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gbsim=${1:-$here/../../build/gbsim}
max=${MAX_ERR_PCT:-10}
bad=0
echo "| model | depth | llama-bench tg32 tok/s | gbsim tok/s | error |"
echo "|---|---:|---:|---:|---:|"
while IFS=, read -r model depth meas src; do
  pred=$("$gbsim" decode --arch gb10 --model "$model" --stack llamacpp --ctx $((depth + 16)) |
         awk '/^tok_per_s:/{print $2}')
  err=$(awk -v p="$pred" -v m="$meas" 'BEGIN { printf "%+.1f", 100 * (p - m) / m }')
  echo "| $model | $depth | $meas | $pred | $err% |"
  if awk -v e="$err" -v x="$max" 'BEGIN { exit !(e > x || e < -x) }'; then bad=1; fi
done < <(tail -n +2 "$here/measured.csv")
exit $bad
