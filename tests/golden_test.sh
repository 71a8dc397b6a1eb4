#!/usr/bin/env bash
# golden_test.sh -- byte-exact golden outputs of `gbsim decode` (the default
# preset and the llamacpp stack) and of `gbsim replay` on the committed H100
# trace, with its launch configuration and with --auto-config (the default
# decode with its uncertainty draws, the others without). The simulator
# is deterministic (integer ps time, total event order), so any change in
# these files is a change in the model: review the diff and
# regenerate with GBSIM_UPDATE_GOLDEN=1 bash tests/golden_test.sh build/gbsim.
set -u
gbsim=$1
dir=$(cd "$(dirname "$0")" && pwd)/golden
fail=0 pass=0
check() { # name, command...
  local name=$1; shift
  local got
  got=$("$@" 2>&1)
  if [ "${GBSIM_UPDATE_GOLDEN:-0}" = 1 ]; then
    printf '%s\n' "$got" > "$dir/$name.txt"
  fi
  if [ "$got" = "$(cat "$dir/$name.txt" 2>/dev/null)" ]; then
    echo "ok $name"; pass=$((pass + 1))
  else
    echo "FAIL $name: output differs from tests/golden/$name.txt:"
    diff <(printf '%s\n' "$got") "$dir/$name.txt" | head -20
    fail=$((fail + 1))
  fi
}
check decode_default "$gbsim" decode
check decode_llamacpp "$gbsim" decode --stack llamacpp --ctx 16 --samples 0
check replay_h100 "$gbsim" replay --arch h100 traces/hopper/h100_shapes.csv
check replay_h100_auto "$gbsim" replay --arch h100 --auto-config traces/hopper/h100_shapes.csv
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
