#!/usr/bin/env bash
# tolerance_test.sh -- predictions stay within 0.5 % of the reference values in
# tests/tolerance/ (recorded by tests/tolerance/record.sh from the binary
# before the engine folds repeated work): predicted_us of every row of the
# committed Hopper shape traces, with their launch configuration and with
# --auto-config, and step_us and tok_per_s of the decode cases in
# tests/tolerance/cases.sh. A case recorded as error must still exit 2.
# Prints the largest deviation of each group.
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
gbsim=$1
dir=$(cd "$(dirname "$0")" && pwd)/tolerance
root=$(cd "$dir/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$dir/cases.sh"
fail=0
tol=0.005

# compare REF GOT LABEL: both files hold key,value lines in the same order
compare() {
  paste -d, "$1" "$2" | awk -F, -v tol="$tol" -v label="$3" '
    { n = NF / 2; key = $1; want = $n; got = $NF
      if ($1 != $(n + 1)) { print "FAIL " label ": row " NR " is " $(n + 1) ", expected " $1; bad++; next }
      if (want == "error" || got == "error") {
        if (want != got) { print "FAIL " label " " key ": got " got ", expected " want; bad++ }
        next }
      d = (got - want) / want; if (d < 0) d = -d
      if (d > worst) { worst = d; wkey = key }
      if (d > tol) { printf "FAIL %s %s: %s, expected %s (%.3f %%)\n", label, key, got, want, 100 * d; bad++ } }
    END { printf "%s: %d values, largest deviation %.4f %% (%s)\n", label, NR, 100 * worst, wkey
          exit bad > 0 }'
}

for arch in $REPLAY_ARCHS; do
  for config in trace auto; do
    flag=""
    [ "$config" = auto ] && flag=--auto-config
    "$gbsim" replay --arch "$arch" $flag "$root/traces/hopper/${arch}_shapes.csv" \
      --out "$tmp/pred.csv" > /dev/null
    rc=$?
    if [ "$rc" != 0 ]; then
      echo "FAIL replay $arch $config: exit status $rc"; fail=1; continue
    fi
    awk -F, -v a="$arch" -v c="$config" '!/^#/ && NR > 2 && $1 == a && $2 == c { print $4 "_" $3 "," $5 }' \
      "$dir/replay_ref.csv" > "$tmp/want"
    awk -F, 'NR > 1 { print $1 "_" NR - 1 "," $NF }' "$tmp/pred.csv" > "$tmp/got"
    if [ "$(wc -l < "$tmp/want")" != "$(wc -l < "$tmp/got")" ]; then
      echo "FAIL replay $arch $config: $(wc -l < "$tmp/got") rows, expected $(wc -l < "$tmp/want")"
      fail=1; continue
    fi
    compare "$tmp/want" "$tmp/got" "replay $arch $config" || fail=1
  done
done

# The reference predates two decode changes that leave kernel times alone: its
# --batch M meant M tokens of one sequence (now --spec M --accept 1), and no
# capacity check refused a stack larger than the device (lifted here).
decode_cases | while IFS= read -r args; do
  now=$(printf '%s\n' "$args" | sed 's/--batch \([0-9]*\)/--spec \1 --accept 1/')
  # shellcheck disable=SC2086
  if out=$("$gbsim" decode $now --set dram_capacity_gb=100000 2> /dev/null); then
    step=$(printf '%s\n' "$out" | awk '/^step_us:/ { print $2 }')
    tok=$(printf '%s\n' "$out" | awk '/^tok_per_s:/ { print $2 }')
    echo "$args step_us,$step"
    echo "$args tok_per_s,$tok"
  else
    echo "$args step_us,error"
    echo "$args tok_per_s,error"
  fi
done > "$tmp/got"
awk -F, '!/^#/ && !/^args,/ { print $1 " step_us," $2; print $1 " tok_per_s," $3 }' \
  "$dir/decode_ref.csv" > "$tmp/want"
compare "$tmp/want" "$tmp/got" "decode" || fail=1

[ "$fail" = 0 ] && echo "ok tolerance"
[ "$fail" = 0 ]
