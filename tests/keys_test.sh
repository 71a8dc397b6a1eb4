#!/usr/bin/env bash
# keys_test.sh -- every arch and model key moves what it names (run by ctest as
#     bash tests/keys_test.sh PATH/TO/gbsim
# from the source root).
#
# One row per key of the description files (models/data/arch/*.csv,
# models/data/model/*.csv, models/data/link/*.csv): the regime where the key matters (a gbsim command
# line; many keys matter only in one: a TMA loop on Hopper, a compute-bound
# GEMM, a step whose bytes fit L2, ...), the value tried, the output that must
# move, the direction, and why. The command runs as written and again with
# --set KEY=VALUE; FIELD is read from both:
#     step_us, tok_per_s, limit_tok_per_s   decode's "key: value" lines
#     us:OP                                 decode's us/step of op OP (its rows summed)
#     predicted_us, valid, stages, ...      tile's "key=value" lines
#     rc                                    the exit status
# and DIRECTION is up, down (numbers) or =V (the new value is V, the old one
# was not). A key of a preset without a row fails the test, and so does a row
# for a key no preset has: a new key cannot go untested.
#
# Prints "ok KEY" or "FAIL KEY: details" per row; the last line is
# "N passed, M failed".
set -u
export GBSIM_SAMPLES=0   # no uncertainty draws: this test reads the central figures
export LC_ALL=C
G=$1
npass=0 nfail=0
pass() { echo "ok $1"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gbsim-keys.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

H100="decode --arch h100 --stack torch-bf16 --layers 2"
BIG="tile --m 4096 --n 4096 --k 4096"
# key | value | regime | field | direction | why
ROWS=$(cat <<EOF
cc | 90 | tile --cluster 2x1 | valid | =yes | CUTLASS's rules are per arch: SM12x has no TMA multicast and refuses a 2x1 cluster, an SM90 part takes it
n_sm | 24 | $BIG | predicted_us | up | a compute-bound GEMM on half the SMs
sm_clock_mhz | 1209 | $BIG | predicted_us | up | every cycle of a compute-bound GEMM takes twice as long
dram_peak_gbps | 136.5 | decode --layers 2 | step_us | up | a DRAM-bound step at half the bandwidth
dram_capacity_gb | 32 | decode | rc | =2 | 65 GB of gpt-oss-120b weights no longer fit
dram_achievable_frac | 0.425 | decode --layers 2 | step_us | up | half the sustained bandwidth
dram_latency_ns | 1400 | decode --layers 2 | step_us | up | every load's first byte arrives later
dram_run_eff_32 | 0.3 | decode --layers 2 --set lm_head.weights=mxfp4 | us:lm_head | up | MXFP4 weights in cuBLAS's 64-element k-tiles are 32-B DRAM runs
dram_run_eff_64 | 0.33 | decode --layers 2 | us:moe_fc1 | up | 128-deep FP4 k-tiles of the MoE GEMM are 64-B runs
dram_run_eff_128 | 0.4 | decode --layers 2 | us:qkv_proj | up | bf16 weights in 64-element k-tiles are 128-B runs
dram_run_eff_256 | 0.4 | decode --layers 2 --set lm_head.weights=fp32 | us:lm_head | up | fp32 weights in 64-element k-tiles are 256-B runs
dram_run_eff_512 | 0.4 | tile --arch h100 --set dram_tma_eff=0 --a bf16 --b bf16 --tile 64x64x256 --schedule pingpong --swap-ab --m 8 --n 8192 --k 8192 | predicted_us | up | 256-deep bf16 k-tiles are 512-B runs (TMA charged the run curve)
dram_tma_eff | 0.5 | decode --layers 2 | step_us | up | GB10's TMA k-tiles charged 0.5 instead of the run curve
dram_tma_eff_64r | 0.4 | $H100 --batch 4 | step_us | up | cuBLAS's nvjet k-tiles arrive in 64-row boxes
dram_tma_eff_256r | 0.4 | tile --arch h100 --a bf16 --b bf16 --tile 256x128x64 --swap-ab --m 8 --n 8192 --k 8192 | predicted_us | up | a 256-row weight tile loads in 256-row boxes
tma_mc_eff_32kb | 0.3 | tile --arch h100 --a bf16 --b bf16 --tile 128x128x64 --cluster 2x1 --stages 2 --m 512 --n 8192 --k 8192 | predicted_us | up | a multicast 16-KiB weight tile 2 stages deep: 32 KiB in flight
tma_mc_eff_64kb | 0.3 | tile --arch h100 --a bf16 --b bf16 --tile 128x128x64 --cluster 2x1 --m 512 --n 8192 --k 8192 | predicted_us | up | the same tile 6 stages deep: 96 KiB in flight, between the 64 and 128 KiB points
tma_mc_eff_128kb | 0.3 | tile --arch h100 --a bf16 --b bf16 --tile 128x256x64 --cluster 2x1 --m 512 --n 8192 --k 8192 | predicted_us | up | a 32-KiB multicast tile 4 stages deep: 128 KiB in flight
tma_oob_gbps | 300 | $H100 | step_us | up | the 8-token boxes of a 64-row TMA tile are mostly zero fill at one token
tma_stage_issue_ns | 500 | $H100 | step_us | up | one producer thread arms every stage's barrier
tma_box_issue_ns | 500 | $H100 | step_us | up | one producer thread issues every box
sm_load_gbps | 20 | decode --layers 2 --stack llamacpp | step_us | up | llama.cpp's MMVQ loads with threads through each SM's load path
sm_tma_gbps | 40 | $H100 | step_us | up | nvjet's TMA loads through each SM's TMA path
tma_latency_ns | 3000 | $H100 | step_us | up | a TMA stage lands no sooner than its round trip
l2_bytes | 10000000000 | $H100 --graphs on | step_us | down | a step that fits L2 keeps small kernels' code and graph node state hot
l2_bw_gbps | 300 | $BIG | predicted_us | up | a 4096-cube GEMM re-reads its tiles from L2
l2_latency_ns | 232 | decode --layers 2 | step_us | up | small kernels wait on L2 round trips
smem_per_sm_bytes | 65536 | tile --arch h100 --a bf16 --b bf16 --stages 2 --tile 64x64x64 --schedule pingpong --set regs_per_sm=262144 | ctas_per_sm | =1 | with registers for four, shared memory holds one 2-stage CTA
smem_per_cta_max_bytes | 70000 | tile --tile 128x32x128 | stages | down | fewer stages fit one CTA's shared memory
max_threads_per_sm | 384 | decode --layers 2 --stack llamacpp | step_us | up | three 128-thread MMVQ CTAs per SM instead of twelve
max_ctas_per_sm | 1 | decode --layers 2 --stack llamacpp | step_us | up | one-row MMVQ CTAs, one resident per SM
regs_per_sm | 32768 | tile | valid | =no | CUTLASS's CTA holds 64512 registers (setmaxnreg 40 + 232 per thread)
issue_warp_inst_per_clk_sm | 1 | decode --layers 2 --batch 8 | step_us | up | GEMV instructions of 8 token columns issue at a quarter of the rate
fp32_flop_per_clk_sm | 16 | decode --layers 2 --batch 16 | us:router | up | the bf16 GEMV's FFMAs of 16 token columns on a sixteenth of the fp32 lanes
mma_bf16_flop_per_clk_sm | 256 | tile --a bf16 --b bf16 --m 4096 --n 4096 --k 4096 --tile 128x64x64 | predicted_us | up | a compute-bound bf16 GEMM
mma_fp8_flop_per_clk_sm | 1024 | tile --a fp8e4m3 --b fp8e4m3 --m 4096 --n 4096 --k 4096 --tile 128x128x128 | predicted_us | up | a compute-bound fp8 GEMM
mma_mxf8f6f4_flop_per_clk_sm | 512 | $BIG | predicted_us | up | a compute-bound MXFP8 x MXFP4 GEMM (kind::mxf8f6f4)
mma_mxf4nvf4_flop_per_clk_sm | 1024 | tile --a nvfp4 --b nvfp4 --m 4096 --n 4096 --k 4096 --tile 128x128x256 | predicted_us | up | a compute-bound NVFP4 x NVFP4 GEMM (kind::mxf4nvf4)
launch_api_us | 20 | decode --layers 2 | step_us | up | an eager step waits on the host's launches
launch_gap_ns | 1800 | decode --layers 2 | step_us | up | eager kernels idle the device between them
graph_gap_ns | 1000 | $H100 --graphs on --set l2_bytes=10000000000 | step_us | up | a CUDA graph whose node state stays in L2
graph_gap_cold_ns | 1000 | decode --layers 2 --graphs on | step_us | up | a CUDA graph of a step streaming more than L2
kernel_fixed_ns | 1100 | decode --layers 2 | step_us | up | every kernel's fixed cost
tma_desc_update_cycles | 10000 | decode --layers 2 | step_us | up | the grouped MoE GEMM rewrites its tensormaps per group
ks_bar_32thr_cyc | 2000 | $H100 --graphs on | step_us | up | PyTorch's small kernels of <= 128 threads wait on their barriers (graph: no host time hides them)
ks_bar_128thr_cyc | 2000 | $H100 --graphs on | step_us | up | the same, 32..512-thread CTAs
ks_bar_512thr_cyc | 2000 | $H100 --graphs on | step_us | up | the same, 128..1024-thread CTAs
ks_tree_32thr_cyc | 2000 | $H100 --graphs on | step_us | up | block reductions' tree steps (rms_norm, reduce, top-k) in small CTAs
ks_tree_128thr_cyc | 2000 | $H100 --graphs on | step_us | up | the same, 32..512-thread CTAs
ks_tree_512thr_cyc | 2000 | $H100 --graphs on | step_us | up | the same, 128..1024-thread CTAs
ks_shfl_cyc | 2000 | $H100 --graphs on | step_us | up | warp-shuffle reductions of the small kernels
ks_smem_cyc | 2000 | $H100 --graphs on | step_us | up | dependent shared-memory loads of the top-k and reduce kernels
ks_smem_atomic_cyc | 2000 | $H100 --graphs on | step_us | up | the top-k radix select counts digits with shared atomics
ks_l1_cyc | 2000 | $H100 --graphs on | step_us | up | dependent L1 loads of the small kernels
ks_issue_cyc | 20 | $H100 --graphs on | step_us | up | every small-kernel instruction issues slower
ks_inst_scale | 3 | $H100 --graphs on | step_us | up | three times the small kernels' instructions
mma_wait_cyc | 500 | $H100 --spec 4 --accept 1 | us:attention | up | cuDNN's sm90 attention at 4 query rows waits for two wgmma groups a KV tile
n_layers | 18 | decode | step_us | down | half the layers
hidden | 5760 | decode --layers 2 | step_us | up | every projection twice as wide
n_heads_q | 32 | decode --layers 2 | step_us | down | half the query projection and attention rows
n_heads_kv | 16 | decode --layers 2 | step_us | up | twice the KV projection and cache
head_dim | 128 | decode --layers 2 | step_us | up | wider heads: more projection and KV bytes
ffn_inter | 2880 | decode --layers 2 | step_us | up | gpt-oss gains a dense (shared-expert) FFN
n_experts | 64 | decode --layers 2 --batch 16 | step_us | down | 16 tokens touch fewer distinct experts of 64
top_k | 2 | decode --layers 2 | step_us | down | two experts per token instead of four
expert_inter | 1440 | decode --layers 2 | us:moe_fc1 | down | half-width experts
sliding_window | 4096 | decode --layers 2 --ctx 8192 | us:attention | up | sliding layers read 4096 tokens instead of 128
sliding_layer_period | 0 | decode --layers 2 --ctx 8192 | us:attention | up | no layer slides: every layer reads the whole context
vocab | 100544 | decode --layers 2 | us:lm_head | down | half the unembedding rows
tied_embeddings | 1 | decode --set dram_capacity_gb=64.7 | rc | =0 | one table for embedding and lm_head: 64.1 GB instead of 65.3 fit 64.7
max_positions | 2048 | decode --layers 1 --ctx 4096 | rc | =2 | a context past the model's maximum is refused
link_bw_gbps | 5 | decode --layers 2 --tp 2 --link gb10-cx7 | us:allreduce | up | the tensor-parallel all-reduces move their bytes at a fifth of the rate
link_latency_us | 20 | decode --layers 2 --tp 2 --link gb10-cx7 | us:allreduce | up | each ring step of an all-reduce waits out the link's latency
msg_overhead_us | 100 | decode --layers 2 --tp 2 --link gb10-cx7 | us:allreduce | up | every collective pays its per-message cost
max_gpus | 1 | decode --layers 2 --tp 2 --link gb10-cx7 | rc | =2 | two GPUs over a link that joins one are refused
EOF
)

# FIELD OUT RC: the field's value
field() {
    case $1 in
    rc) echo "$3" ;;
    us:*) awk -v op="${1#us:}" '$1 == op { s += $(NF - 2); n++ } END { if (n) print s }' "$2" ;;
    *) sed -n "s/^$1[:=] *//p" "$2" | head -n 1 ;;
    esac
}

# keys of the presets
keys=$(awk -F, 'FNR > 1 && $1 != "" && $1 !~ /^#/ { print $1 }' models/data/arch/*.csv \
       models/data/model/*.csv models/data/link/*.csv | sort -u)
rowkeys=$(echo "$ROWS" | awk -F' [|] ' '{ print $1 }' | sort)
for k in $keys; do
    echo "$rowkeys" | grep -qx "$k" || fail "$k" "a preset has key $k but this table has no row for it: add one"
done
for k in $rowkeys; do
    echo "$keys" | grep -qx "$k" || fail "$k" "no preset has key $k: remove its row"
done
dups=$(echo "$rowkeys" | uniq -d)
[ -z "$dups" ] || fail table "keys with two rows: $dups"

while IFS='|' read -r key value regime fld dir why; do
    key=$(echo $key) value=$(echo $value) fld=$(echo $fld) dir=$(echo $dir)
    # shellcheck disable=SC2086  # the regime is a word list
    "$G" $regime >"$tmp/a" 2>"$tmp/a.err"
    ra=$?
    # shellcheck disable=SC2086
    "$G" $regime --set "$key=$value" >"$tmp/b" 2>"$tmp/b.err"
    rb=$?
    if [ "$fld" != rc ] && { [ $ra != 0 ] || [ $rb != 0 ]; }; then
        fail "$key" "gbsim$regime [--set $key=$value]: exit $ra/$rb: $(head -c 300 "$tmp/a.err" "$tmp/b.err")"
        continue
    fi
    a=$(field "$fld" "$tmp/a" $ra) b=$(field "$fld" "$tmp/b" $rb)
    case $dir in
    up) ok=$(awk -v a="$a" -v b="$b" 'BEGIN { print (a != "" && b != "" && b + 0 > a + 0) }') ;;
    down) ok=$(awk -v a="$a" -v b="$b" 'BEGIN { print (a != "" && b != "" && b + 0 < a + 0) }') ;;
    =*) ok=$([ "$b" = "${dir#=}" ] && [ "$a" != "$b" ] && echo 1 || echo 0) ;;
    *) ok=0 ;;
    esac
    if [ "$ok" = 1 ]; then pass "$key"
    else fail "$key" "$fld $a -> $b with $key=$value, want $dir ($(echo $why)); regime: gbsim$regime"; fi
done <<<"$ROWS"

echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
