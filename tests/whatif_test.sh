#!/usr/bin/env bash
# whatif_test.sh -- the decode what-ifs as a user asks them (run by ctest as
#     bash tests/whatif_test.sh PATH/TO/gbsim
# from the source root): each prints "ok NAME" or "FAIL NAME: details"; the last
# line is "N passed, M failed". Small steps (--layers) keep it fast.
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
export LC_ALL=C
G=$1
npass=0 nfail=0
pass() { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-whatif.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

val() { # KEY FILE: the value of a "KEY: value" line
    sed -n "s/^$1: //p" "$2" | head -n 1
}
# run NAME ARGS...: decode, output in $tmp/NAME, status in RC
run() {
    local name=$1; shift
    "$G" decode "$@" >"$tmp/$name" 2>"$tmp/$name.err"
    RC=$?
}
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# --draft ngram is free: the same tok/s as no drafting cost
run ng --layers 2 --spec 4 --accept 0.7 --draft ngram
run nd --layers 2 --spec 4 --accept 0.7
[ "$(val tok_per_s "$tmp/ng")" = "$(val tok_per_s "$tmp/nd")" ] && pass draft-ngram-is-free ||
    fail draft-ngram-is-free "$(val tok_per_s "$tmp/ng") vs $(val tok_per_s "$tmp/nd")"
# an EAGLE head and a small draft model cost their simulated steps
run eg --layers 2 --spec 4 --accept 0.7 --draft eagle
run sm --layers 2 --spec 4 --accept 0.7 --draft gpt-oss-20b
if gt "$(val tok_per_s "$tmp/nd")" "$(val tok_per_s "$tmp/eg")" &&
   gt "$(val tok_per_s "$tmp/eg")" "$(val tok_per_s "$tmp/sm")" &&
   grep -q '^# draft_us_per_step=' "$tmp/eg"; then pass draft-cost-is-simulated
else fail draft-cost-is-simulated "ngram $(val tok_per_s "$tmp/nd") eagle $(val tok_per_s "$tmp/eg") 20b $(val tok_per_s "$tmp/sm")"; fi
run bad --draft eagle
[ $RC = 2 ] && grep -q 'need --spec' "$tmp/bad.err" && pass draft-needs-spec || fail draft-needs-spec "rc $RC"
run bad --spec 3 --accept 0.5 --draft no-such-model
[ $RC = 2 ] && grep -q "unknown model 'no-such-model'" "$tmp/bad.err" && pass draft-unknown-model ||
    fail draft-unknown-model "rc $RC $(cat "$tmp/bad.err")"

# --batch B: B sequences, each with its own KV: attention time grows with B
# at a long context, and tok/s counts B tokens
run b1 --layers 2 --ctx 16384
run b4 --layers 2 --ctx 16384 --batch 4
a1=$(awk '$1 == "attention" { print $(NF-2) }' "$tmp/b1") a4=$(awk '$1 == "attention" { print $(NF-2) }' "$tmp/b4")
if gt "$a4" "$(awk -v a="$a1" 'BEGIN { print 3 * a }')" && grep -q 'tokens_per_step=4.000' "$tmp/b4"; then
    pass batch-is-sequences
else fail batch-is-sequences "attention $a1 -> $a4 us"; fi

# --skew concentrates routing: fewer distinct experts, a shorter MoE step at batch 16
run u --layers 2 --batch 16
run z --layers 2 --batch 16 --skew 1.2
gt "$(val step_us "$tmp/u")" "$(val step_us "$tmp/z")" && pass skew-shortens-moe ||
    fail skew-shortens-moe "$(val step_us "$tmp/u") vs $(val step_us "$tmp/z")"

# --experts: a measured expert-popularity histogram; a concentrated one touches
# fewer distinct experts than uniform routing (a flat histogram) and shortens
# the MoE step; bad files name their line and write nothing
ex() { sed -n 's/^# routing: .*: \([0-9.]*\) distinct experts per layer$/\1/p' "$tmp/$1"; }
{ echo "# source: flat, the load-balanced router"; echo "expert,share"
  for i in $(seq 0 31); do echo "$i,1"; done; } > "$tmp/flat.csv"
{ echo "# source: test, 8 experts take every token"; echo "expert,count"
  for i in $(seq 0 31); do echo "$i,$([ "$i" -lt 8 ] && echo 100 || echo 0)"; done; } > "$tmp/hot.csv"
run hf --model gpt-oss-20b --layers 4 --batch 16 --experts "$tmp/flat.csv"
run hm --model gpt-oss-20b --layers 4 --batch 16 --experts gpt-oss-20b
run hh --model gpt-oss-20b --layers 4 --batch 16 --experts "$tmp/hot.csv"
run hu --model gpt-oss-20b --layers 4 --batch 16
if [ "$(val step_us "$tmp/hf")" = "$(val step_us "$tmp/hu")" ] && gt "$(ex hf)" "$(ex hm)" &&
   gt "$(ex hm)" "$(ex hh)" && [ "$(ex hh)" = 8.00 ] &&
   gt "$(val step_us "$tmp/hf")" "$(val step_us "$tmp/hm")" &&
   gt "$(val step_us "$tmp/hm")" "$(val step_us "$tmp/hh")"; then pass experts-histogram-moves-moe
else fail experts-histogram-moves-moe "experts $(ex hf) $(ex hm) $(ex hh), step $(val step_us "$tmp/hf") \
$(val step_us "$tmp/hm") $(val step_us "$tmp/hh") uniform $(val step_us "$tmp/hu")"; fi
{ echo "# source: test"; echo "expert,share"; echo "0,1"; echo "32,1"; } > "$tmp/bad.csv"
"$G" decode --model gpt-oss-20b --layers 1 --experts "$tmp/bad.csv" --out "$tmp/bad.out" \
    >/dev/null 2>"$tmp/bad.err"
RC=$?
[ $RC = 2 ] && grep -q "bad.csv:4: expert '32': expected an integer in \[0, 31\]" "$tmp/bad.err" &&
    [ ! -e "$tmp/bad.out" ] && pass experts-bad-file || fail experts-bad-file "rc $RC $(cat "$tmp/bad.err")"
run bad --model gpt-oss-20b --layers 1 --experts gpt-oss-20b --skew 1
[ $RC = 2 ] && grep -q 'give one' "$tmp/bad.err" && pass experts-or-skew || fail experts-or-skew "rc $RC"
run bad --layers 1 --experts gpt-oss-20b
[ $RC = 2 ] && grep -q 'no row for expert 32' "$tmp/bad.err" && pass experts-other-model ||
    fail experts-other-model "rc $RC $(cat "$tmp/bad.err")"

# vLLM's Triton attention: the split-KV 3D kernel up to seq_threshold_3D
# sequences (128 / KV heads: 16 for gpt-oss, 32 for qwen3's 4 KV heads), the 2D
# kernel above it and for more than one query per sequence
kern() { awk '$1 == "attention" { print $2 }' "$tmp/$1"; }
run a16 --stack vllm-marlin --layers 1 --batch 16
run a17 --stack vllm-marlin --layers 1 --batch 17
run q32 --stack vllm-marlin --layers 1 --batch 32 --model qwen3-30b-a3b
run q33 --stack vllm-marlin --layers 1 --batch 33 --model qwen3-30b-a3b
run sp2 --stack vllm-marlin --layers 1 --spec 2 --accept 0.5
if [ "$(kern a16)" = kernel_unified_attention_3d ] && [ "$(kern a17)" = kernel_unified_attention_2d ] &&
   [ "$(kern q32)" = kernel_unified_attention_3d ] && [ "$(kern q33)" = kernel_unified_attention_2d ] &&
   [ "$(kern sp2)" = kernel_unified_attention_2d ]; then pass triton-attn-2d-above-threshold
else fail triton-attn-2d-above-threshold "$(kern a16) $(kern a17) $(kern q32) $(kern q33) $(kern sp2)"; fi

# a forbidden tile is refused with its rule, and simulated as hypothetical when relaxed
run t1 --layers 1 --set moe_fc1.tile=64x128x128
[ $RC = 2 ] && grep -q block_scaled_tile_m_whole_sf_atoms "$tmp/t1.err" && pass relax-refused ||
    fail relax-refused "rc $RC $(head -c 300 "$tmp/t1.err")"
run t2 --layers 1 --set moe_fc1.tile=64x128x128 --relax all
[ $RC = 0 ] && grep -q '^hypothetical: yes' "$tmp/t2" && grep -q '^relaxed_rules: ' "$tmp/t2" &&
    pass relax-hypothetical || fail relax-hypothetical "rc $RC $(head -c 300 "$tmp/t2.err")"

# every model runs on GB10 on a stack that holds it; llama-3.3-70b in bf16 does not fit
for m in gpt-oss-120b gpt-oss-20b llama-3.1-8b qwen3-30b-a3b; do
    run m --layers 2 --model $m
    [ $RC = 0 ] && pass "model-$m" || fail "model-$m" "$(cat "$tmp/m.err")"
done
run big --model llama-3.3-70b
[ $RC = 2 ] && grep -q 'does not fit' "$tmp/big.err" && pass capacity-refused || fail capacity-refused "rc $RC"
run big --model llama-3.3-70b --stack llamacpp --layers 4
[ $RC = 0 ] && pass capacity-q8-fits || fail capacity-q8-fits "$(cat "$tmp/big.err")"

# a stack file runs like its preset
"$G" decode --layers 2 --stack llamacpp >"$tmp/p" 2>&1
"$G" decode --layers 2 --stack models/data/stack/llamacpp.csv >"$tmp/f" 2>&1
[ "$(tail -n 3 "$tmp/p")" = "$(tail -n 3 "$tmp/f")" ] && pass stack-file || fail stack-file "$(tail -n 3 "$tmp/f")"

echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
