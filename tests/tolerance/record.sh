#!/usr/bin/env bash
# record.sh -- write the reference values that tests/tolerance_test.sh checks:
# replay_ref.csv (predicted_us of every row of the committed Hopper shape
# traces, with the trace's launch configuration and with --auto-config) and
# decode_ref.csv (step_us and tok_per_s of decode cases). Usage:
#   bash tests/tolerance/record.sh GBSIM [COMMIT]
# COMMIT names the source the binary was built from (written into the headers).
set -eu
gbsim=$1
commit=${2:-unknown}
dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$dir/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$dir/cases.sh"

{
  echo "# predicted_us per row recorded by tests/tolerance/record.sh from gbsim built at $commit"
  echo "arch,config,row,op,predicted_us"
  for arch in $REPLAY_ARCHS; do
    for config in trace auto; do
      flag=""
      [ "$config" = auto ] && flag=--auto-config
      "$gbsim" replay --arch "$arch" $flag "$root/traces/hopper/${arch}_shapes.csv" \
        --out "$tmp/pred.csv" > /dev/null
      awk -F, -v a="$arch" -v c="$config" 'NR > 1 { print a "," c "," NR - 1 "," $1 "," $NF }' \
        "$tmp/pred.csv"
    done
  done
} > "$dir/replay_ref.csv"

{
  echo "# step_us and tok_per_s recorded by tests/tolerance/record.sh from gbsim built at $commit;"
  echo "# error: the case exits 2 (the stack's kernels do not run on the arch)"
  echo "args,step_us,tok_per_s"
  decode_cases | while IFS= read -r args; do
    if out=$("$gbsim" decode $args 2> /dev/null); then
      step=$(printf '%s\n' "$out" | awk '/^step_us:/ { print $2 }')
      tok=$(printf '%s\n' "$out" | awk '/^tok_per_s:/ { print $2 }')
      echo "$args,$step,$tok"
    else
      echo "$args,error,error"
    fi
  done
} > "$dir/decode_ref.csv"
