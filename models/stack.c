/* stack.c -- the vllm-cutlass, llamacpp and torch-bf16 decode stacks. */
#include "models/stack.h"

#include "sim/table.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define VLLM_SRC "vllm-project/vllm vllm/model_executor/models/gpt_oss.py (eager decode)"
#define FI_MOE "flashinfer-ai/flashinfer csrc/fused_moe/cutlass_backend/cutlass_fused_moe_kernels.cuh"
#define LCPP "ggml-org/llama.cpp src/models/openai-moe-iswa.cpp + ggml/src/ggml-cuda"

/* vLLM + FlashInfer CUTLASS MXFP8 x MXFP4 MoE on SM12x: the seeds' path
 * (../shared/seeds/004: FC1, FC2, expand rows, activation, GEMVs). */
static const stack_kernel_t VLLM_CUTLASS[] = {
    {"norm", "fused_add_rms_norm_kernel", AT_LAYER, SH_NORM, KM_ELEMENTWISE, NULL,
     VLLM_SRC ": input_layernorm (vllm csrc/layernorm_kernels.cu)"},
    {"qkv_proj", "gemv (cuBLAS bf16)", AT_LAYER, SH_QKV, KM_GEMV, "cublas-gemv",
     VLLM_SRC ": QKVParallelLinear, bf16 (seed 004 'GEMV (attn proj)')"},
    {"rope", "rotary_embedding_kernel", AT_LAYER, SH_ROPE, KM_ELEMENTWISE, NULL,
     "vllm csrc/pos_encoding_kernels.cu"},
    {"kv_write", "reshape_and_cache_flash_kernel", AT_LAYER, SH_KV_WRITE, KM_ELEMENTWISE, NULL,
     "vllm csrc/cache_kernels.cu"},
    {"attention", "BatchPrefillWithPagedKVCacheKernel (FA2, sinks)", AT_LAYER, SH_ATTN,
     KM_ATTENTION, "flashinfer-fa2", "seed 004: FlashInfer FA2 with attention sinks on SM121"},
    {"o_proj", "gemv (cuBLAS bf16)", AT_LAYER, SH_O, KM_GEMV, "cublas-gemv",
     VLLM_SRC ": RowParallelLinear o_proj, bf16 (seed 004 'GEMV (attn proj)')"},
    {"norm", "fused_add_rms_norm_kernel", AT_LAYER, SH_NORM, KM_ELEMENTWISE, NULL,
     VLLM_SRC ": post_attention_layernorm"},
    {"router", "gemv (cuBLAS bf16)", AT_LAYER, SH_ROUTER, KM_GEMV, "cublas-gemv",
     VLLM_SRC ": router ReplicatedLinear, bf16 (seed 004 'GEMV (other)')"},
    {"topk", "topkGatingSoftmax", AT_LAYER, SH_TOPK, KM_ELEMENTWISE, NULL,
     "vllm csrc/moe/topk_softmax_kernels.cu (fused_topk, renormalize)"},
    {"moe_quant", "mxfp8_quantize", AT_LAYER, SH_MOE_QUANT, KM_ELEMENTWISE, NULL,
     "seed 003/004: BF16 -> mxfp8_quantize() -> FP8xFP4 CUTLASS kernel"},
    {"moe_maps", "fusedBuildExpertMapsSortFirstTokenKernel", AT_LAYER, SH_MOE_MAPS,
     KM_ELEMENTWISE, NULL, FI_MOE},
    {"moe_expand", "expandInputRowsKernel", AT_LAYER, SH_MOE_EXPAND, KM_ELEMENTWISE, NULL,
     FI_MOE " (seed 004 'Expand input rows')"},
    {"moe_fc1", "CUTLASS sm120 grouped block-scaled GEMM (FC1)", AT_LAYER, SH_FC1,
     KM_GROUPED_GEMM, NULL, FI_MOE " + seed 004 'CUTLASS MoE (FC1)'"},
    {"moe_act", "doActivationKernel (SwiGLU + MXFP8 quant)", AT_LAYER, SH_MOE_ACT,
     KM_ELEMENTWISE, NULL, FI_MOE " (seed 004 'Activation (FP8)')"},
    {"moe_fc2", "CUTLASS sm120 grouped block-scaled GEMM (FC2)", AT_LAYER, SH_FC2,
     KM_GROUPED_GEMM, NULL, FI_MOE " + seed 004 'CUTLASS MoE (FC2)'"},
    {"moe_finalize", "finalizeMoeRoutingKernel", AT_LAYER, SH_MOE_FINALIZE, KM_ELEMENTWISE,
     NULL, FI_MOE},
    {"embed", "embedding gather", AT_STEP, SH_EMBED, KM_ELEMENTWISE, NULL,
     VLLM_SRC ": VocabParallelEmbedding"},
    {"norm", "rms_norm_kernel", AT_STEP, SH_NORM, KM_ELEMENTWISE, NULL, VLLM_SRC ": final norm"},
    {"lm_head", "gemv (cuBLAS bf16)", AT_STEP, SH_LM_HEAD, KM_GEMV, "cublas-gemv",
     VLLM_SRC ": ParallelLMHead, bf16 (seed 004 'GEMV (other)')"},
    {"sample", "argmax/softmax over vocab", AT_STEP, SH_SAMPLE, KM_ELEMENTWISE, NULL,
     "vllm/v1/sample/sampler.py"},
};

/* llama.cpp CUDA decode (MMVQ at batch <= 8, CUDA graphs on by default):
 * ../shared/research/workload_facts.md 4.1. */
static const stack_kernel_t LLAMACPP[] = {
    {"norm", "rms_norm_f32 (+mul)", AT_LAYER, SH_NORM, KM_ELEMENTWISE, NULL, LCPP "/norm.cu"},
    {"quant_q8_1", "quantize_q8_1", AT_LAYER, SH_QUANT_HIDDEN, KM_ELEMENTWISE, NULL,
     LCPP "/quantize.cu (activations for MMVQ)"},
    {"q_proj", "mul_mat_vec_q (q8_0)", AT_LAYER, SH_Q, KM_GEMV, "llamacpp-mmvq", LCPP "/mmvq.cu"},
    {"k_proj", "mul_mat_vec_q (q8_0)", AT_LAYER, SH_K, KM_GEMV, "llamacpp-mmvq", LCPP "/mmvq.cu"},
    {"v_proj", "mul_mat_vec_q (q8_0)", AT_LAYER, SH_V, KM_GEMV, "llamacpp-mmvq", LCPP "/mmvq.cu"},
    {"rope", "rope_neox", AT_LAYER, SH_ROPE, KM_ELEMENTWISE, NULL, LCPP "/rope.cu (q and k)"},
    {"kv_write", "k_set_rows", AT_LAYER, SH_KV_WRITE, KM_ELEMENTWISE, NULL, LCPP "/set-rows.cu"},
    {"attention", "flash_attn_ext_vec (+combine)", AT_LAYER, SH_ATTN, KM_ATTENTION,
     "llamacpp-fattn-vec", LCPP "/fattn-vec.cuh"},
    {"quant_q8_1", "quantize_q8_1", AT_LAYER, SH_QUANT_ATTN, KM_ELEMENTWISE, NULL, LCPP "/quantize.cu"},
    {"o_proj", "mul_mat_vec_q (q8_0)", AT_LAYER, SH_O, KM_GEMV, "llamacpp-mmvq", LCPP "/mmvq.cu"},
    {"residual", "k_bin_bcast (add)", AT_LAYER, SH_RESIDUAL, KM_ELEMENTWISE, NULL, LCPP "/binbcast.cu"},
    {"norm", "rms_norm_f32 (+mul)", AT_LAYER, SH_NORM, KM_ELEMENTWISE, NULL, LCPP "/norm.cu"},
    {"router", "mul_mat_vec_q (q8_0)", AT_LAYER, SH_ROUTER, KM_GEMV, "llamacpp-mmvq", LCPP "/mmvq.cu"},
    {"topk", "topk_moe (softmax + argsort + weights)", AT_LAYER, SH_TOPK, KM_ELEMENTWISE, NULL,
     LCPP "/topk-moe.cu"},
    {"quant_q8_1", "quantize_q8_1", AT_LAYER, SH_QUANT_HIDDEN, KM_ELEMENTWISE, NULL, LCPP "/quantize.cu"},
    {"moe_gate", "mul_mat_vec_q (mxfp4, ids)", AT_LAYER, SH_FC1_GATE, KM_GEMV, "llamacpp-mmvq",
     LCPP "/mmvq.cu: ffn_gate_exps"},
    {"moe_up", "mul_mat_vec_q (mxfp4, ids)", AT_LAYER, SH_FC1_UP, KM_GEMV, "llamacpp-mmvq",
     LCPP "/mmvq.cu: ffn_up_exps"},
    {"moe_act", "swiglu_oai", AT_LAYER, SH_MOE_ACT, KM_ELEMENTWISE, NULL, LCPP "/unary.cu"},
    {"quant_q8_1", "quantize_q8_1", AT_LAYER, SH_QUANT_INTER, KM_ELEMENTWISE, NULL, LCPP "/quantize.cu"},
    {"moe_down", "mul_mat_vec_q (mxfp4, ids)", AT_LAYER, SH_FC2, KM_GEMV, "llamacpp-mmvq",
     LCPP "/mmvq.cu: ffn_down_exps"},
    {"moe_bias", "add_id", AT_LAYER, SH_MOE_BIAS, KM_ELEMENTWISE, NULL, LCPP "/add-id.cu: expert biases"},
    {"moe_sum", "k_bin_bcast (mul + add over experts)", AT_LAYER, SH_MOE_WEIGHT_SUM,
     KM_ELEMENTWISE, NULL, LCPP "/binbcast.cu"},
    {"residual", "k_bin_bcast (add)", AT_LAYER, SH_RESIDUAL, KM_ELEMENTWISE, NULL, LCPP "/binbcast.cu"},
    {"embed", "k_get_rows", AT_STEP, SH_EMBED, KM_ELEMENTWISE, NULL, LCPP "/getrows.cu"},
    {"norm", "rms_norm_f32 (+mul)", AT_STEP, SH_NORM, KM_ELEMENTWISE, NULL, LCPP "/norm.cu"},
    {"quant_q8_1", "quantize_q8_1", AT_STEP, SH_QUANT_HIDDEN, KM_ELEMENTWISE, NULL, LCPP "/quantize.cu"},
    {"lm_head", "mul_mat_vec_q (q8_0)", AT_STEP, SH_LM_HEAD, KM_GEMV, "llamacpp-mmvq", LCPP "/mmvq.cu"},
    {"sample", "argmax", AT_STEP, SH_SAMPLE, KM_ELEMENTWISE, NULL, LCPP "/argmax.cu"},
};


#define TORCH "traces/capture/capture_decode_step.py (PyTorch 2.11 eager, bf16)"

/* cuBLAS's nvjet kernels for the bf16 dense GEMVs at M = 1..8, as
 * traces/hopper/{h100,h200}_shapes.csv record them (kernel names and grids
 * decoded by traces/capture/launch_config.py; the same on both GPUs); their
 * split-K partials are summed by the splitKreduce rows below */
static const stack_op_launch_t TORCH_BF16_LAUNCHES[] = {
    /* op          tile_m tile_n tile_k stages swap cluster split grid */
    {"qkv_proj", {64, 8, 64, 16, 1, 4, 1, 1, 80}},
    {"o_proj", {64, 8, 64, 16, 1, 4, 1, 2, 96}},
    {"router", {64, 8, 64, 16, 1, 2, 1, 2, 4}},
    {"lm_head", {512, 8, 64, 3, 1, 2, 1, 1, 132}},
};

/* Plain PyTorch bf16 decode of gpt-oss-shaped layers, exactly the kernels
 * traces/capture/capture_decode_step.py launches (its profile:
 * traces/hopper/h100_decode_step_kernels.csv): cuBLAS nvjet GEMVs with fused
 * bias (split-K + reduce where cuBLAS picks it), cuDNN SDPA + its reduction,
 * torch._grouped_mm (CUTLASS sm90 grouped bf16) with its prepare kernel, and
 * the elementwise kernels of SwiGLU, top-k and the weighted sum. The small
 * kernels name their ksmall family (models/ksmall.c) in impl; small_shape()
 * says where their operands are. */
static const stack_kernel_t TORCH_BF16[] = {
    {"norm", "vectorized_layer_norm_kernel (rms)", AT_LAYER, SH_NORM, KM_ELEMENTWISE,
     "rms_norm", TORCH},
    {"qkv_proj", "nvjet_sm90 64x8 bias", AT_LAYER, SH_QKV, KM_GEMV, "cublas-gemv", TORCH},
    {"kv_write", "direct_copy_kernel (k)", AT_LAYER, SH_KV_WRITE, KM_ELEMENTWISE,
     "ew_strided", TORCH},
    {"kv_write", "direct_copy_kernel (v)", AT_LAYER, SH_KV_WRITE, KM_ELEMENTWISE,
     "ew_strided", TORCH},
    {"attention", "cudnn sdpa fprop + lean_reduction", AT_LAYER, SH_ATTN, KM_ATTENTION,
     "cudnn-sdpa-16x128x64", TORCH "; the cuDNN row of models/kmodel.c (16 x 8 CTAs at ctx 2048 in "
     "traces/hopper/h100_decode_step_trace.csv, as its split rule gives)"},
    {"o_proj", "nvjet_sm90 64x8 splitK bias", AT_LAYER, SH_O, KM_GEMV, "cublas-gemv", TORCH},
    {"o_proj", "cublasLt splitKreduce_kernel", AT_LAYER, SH_SPLITK_O, KM_ELEMENTWISE,
     "splitk_reduce", TORCH},
    {"residual", "vectorized add", AT_LAYER, SH_RESIDUAL, KM_ELEMENTWISE, "ew_vector", TORCH},
    {"norm", "vectorized_layer_norm_kernel (rms)", AT_LAYER, SH_NORM, KM_ELEMENTWISE,
     "rms_norm", TORCH},
    {"router", "nvjet_sm90 64x8 splitK bias", AT_LAYER, SH_ROUTER, KM_GEMV, "cublas-gemv", TORCH},
    {"router", "cublasLt splitKreduce_kernel", AT_LAYER, SH_SPLITK_ROUTER, KM_ELEMENTWISE,
     "splitk_reduce", TORCH},
    {"topk", "gatherTopK", AT_LAYER, SH_TINY_TOPK, KM_ELEMENTWISE, "gather_topk", TORCH},
    {"topk", "bitonicSortKVInPlace", AT_LAYER, SH_TINY_TOPK, KM_ELEMENTWISE, "bitonic_sort", TORCH},
    {"topk", "cast to fp32", AT_LAYER, SH_TINY_TOPK, KM_ELEMENTWISE, "ew_unrolled", TORCH},
    {"topk", "softmax_warp_forward", AT_LAYER, SH_TINY_TOPK, KM_ELEMENTWISE, "softmax_warp", TORCH},
    {"topk", "cast to bf16", AT_LAYER, SH_TINY_TOPK, KM_ELEMENTWISE, "ew_vector:cast", TORCH},
    {"moe_expand", "direct_copy_kernel (expand)", AT_LAYER, SH_MOE_EXPAND, KM_ELEMENTWISE,
     "ew_strided", TORCH},
    {"moe_maps", "prepare_grouped_gemm_data (FC1)", AT_LAYER, SH_MOE_MAPS, KM_ELEMENTWISE,
     "prepare_grouped", TORCH},
    {"moe_fc1", "CUTLASS sm90 grouped bf16 GEMM (FC1)", AT_LAYER, SH_FC1, KM_GROUPED_GEMM, NULL, TORCH},
    {"moe_act", "clamp (gate)", AT_LAYER, SH_MOE_EW, KM_ELEMENTWISE, "ew_strided:clamp", TORCH},
    {"moe_act", "clamp (up)", AT_LAYER, SH_MOE_EW, KM_ELEMENTWISE, "ew_strided:clamp", TORCH},
    {"moe_act", "mul by 1.702", AT_LAYER, SH_MOE_EW, KM_ELEMENTWISE, "ew_vector:mul_scalar", TORCH},
    {"moe_act", "sigmoid", AT_LAYER, SH_MOE_EW, KM_ELEMENTWISE, "ew_vector:sigmoid", TORCH},
    {"moe_act", "mul (gate x sigmoid)", AT_LAYER, SH_MOE_EW, KM_ELEMENTWISE, "ew_vector:mul", TORCH},
    {"moe_act", "add 1 (up)", AT_LAYER, SH_MOE_EW, KM_ELEMENTWISE, "ew_vector:add_scalar", TORCH},
    {"moe_act", "mul (x (up+1))", AT_LAYER, SH_MOE_EW, KM_ELEMENTWISE, "ew_vector:mul", TORCH},
    {"moe_maps", "prepare_grouped_gemm_data (FC2)", AT_LAYER, SH_MOE_MAPS, KM_ELEMENTWISE,
     "prepare_grouped", TORCH},
    {"moe_fc2", "CUTLASS sm90 grouped bf16 GEMM (FC2)", AT_LAYER, SH_FC2, KM_GROUPED_GEMM, NULL, TORCH},
    {"moe_sum", "mul by routing weights", AT_LAYER, SH_MOE_WEIGHT_SUM, KM_ELEMENTWISE,
     "ew_strided:mul", TORCH},
    {"moe_sum", "reduce_kernel sum", AT_LAYER, SH_MOE_WEIGHT_SUM, KM_ELEMENTWISE,
     "reduce_outer", TORCH},
    {"residual", "vectorized add", AT_LAYER, SH_RESIDUAL, KM_ELEMENTWISE, "ew_vector", TORCH},
    {"norm", "vectorized_layer_norm_kernel (rms)", AT_STEP, SH_NORM, KM_ELEMENTWISE,
     "rms_norm", TORCH},
    {"lm_head", "nvjet_sm90 512x8", AT_STEP, SH_LM_HEAD, KM_GEMV, "cublas-gemv", TORCH},
    {"sample", "reduce_kernel argmax", AT_STEP, SH_SAMPLE, KM_ELEMENTWISE, "reduce_inner", TORCH},
};

static const stack_t STACKS[] = {
    {"vllm-cutlass",
     "vLLM + FlashInfer: bf16 GEMVs, FA2 decode with sinks, MXFP8 x MXFP4 CUTLASS grouped "
     "GEMMs 128x128x128 (seeds' GB10 path)",
     VLLM_CUTLASS, sizeof VLLM_CUTLASS / sizeof VLLM_CUTLASS[0], DT_BF16, DT_MXFP8, DT_MXFP4, DT_BF16, 2,
     {128, 128, 128, 0, 0, 0, 0, 0, 0}, 0, 5.0,
     "seed 004 (enforce-eager); host_us_per_kernel: assumption, vLLM module/custom-op Python "
     "time per kernel on top of the arch's measured eager torch-op cost (launch_api_us); "
     "seed 004 saw CUDA graphs not help, so the host is not the bottleneck", NULL, 0, 0},
    {"llamacpp",
     "llama.cpp CUDA: q8_0 dense weights (ggml-org GGUF), q8_1 activations, MXFP4 dp4a MMVQ "
     "for experts, no tensor cores at M <= 8, CUDA graphs",
     LLAMACPP, sizeof LLAMACPP / sizeof LLAMACPP[0], DT_Q8_0, DT_Q8_1, DT_MXFP4, DT_Q8_1, 4,
     {0, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 0.0,
     "workload_facts.md 3.1/4.1; 59.02 GiB GGUF implies ~8.5-bit non-expert tensors (q8_0); "
     "host_us_per_kernel 0: ggml builds the graph once and replays it as a CUDA graph", NULL, 0, 0},
    {"torch-bf16",
     "plain PyTorch eager, bf16 weights (experts too), cuBLAS/cuDNN/torch._grouped_mm: the "
     "validation stack of traces/capture/capture_decode_step.py",
     TORCH_BF16, sizeof TORCH_BF16 / sizeof TORCH_BF16[0], DT_BF16, DT_BF16, DT_BF16, DT_BF16, 2,
     {64, 128, 128, 4, 0, 2, 1, 0, 0}, 0, 0.0,
     TORCH "; expert GEMM 64x128x128, 4 stages, cluster 2x1 (pingpong): the torch._grouped_mm "
     "kernel's template arguments in traces/hopper/h100_decode_step_trace.csv (decoded by "
     "traces/capture/launch_config.py); host_us_per_kernel 0: the arch's launch_api_us is the "
     "measured eager torch-op cost",
     TORCH_BF16_LAUNCHES, sizeof TORCH_BF16_LAUNCHES / sizeof TORCH_BF16_LAUNCHES[0],
     90 /* recorded on H100 and H200 (sm_90) */},
};

const stack_t *stack_find(const char *name)
{
    return TABLE_FIND(STACKS, name);
}

void stack_names(char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof STACKS / sizeof STACKS[0]; i++) {
        int w = snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "", STACKS[i].name);
        if (w < 0 || (size_t)w >= buflen - used)
            return;
        used += (size_t)w;
    }
}

void stack_geom(const llm_t *m, int64_t tokens, int64_t ctx, step_geom_t *g)
{
    g->tokens = tokens;
    g->ctx = ctx;
    g->routed_rows = tokens * (int64_t)m->top_k;
    /* expected distinct experts when each token picks top_k of E uniformly
     * (assumption: a load-balanced router): E * (1 - (1 - k/E)^M) */
    double e = m->n_experts, k = m->top_k;
    g->experts_active = e * (1.0 - pow(1.0 - k / e, (double)tokens));
}

static int64_t groups_of(const step_geom_t *g)
{
    int64_t gr = (int64_t)llround(g->experts_active);
    if (gr < 1)
        gr = 1;
    if (gr > g->routed_rows)
        gr = g->routed_rows;
    return gr;
}

static void set_ew(kdesc_t *d, double bytes, int64_t rows, int hot)
{
    d->kind = KM_ELEMENTWISE;
    d->bytes = bytes;
    d->rows = rows;
    d->inst_per_byte = 1.0;
    d->hot_in_l2 = hot;
}

/* The launch shape of a small kernel that names a ksmall family, and where its
 * operands are when it runs, from the data flow of
 * traces/capture/capture_decode_step.py: an activation written by one of the
 * last few kernels sits in L2; a weight (norm gamma, projection bias), the
 * residual stream and the routing weights were last touched before the layer's
 * projection weights (QKV + O: 53 MB at gpt-oss-120b) or the selected experts'
 * weights (FC1 + FC2: 199 MB at top-4) streamed through L2 (50 MB on H100,
 * 60 MB on H200) and come from DRAM, as do the grouped GEMM's group offsets
 * (written once, read once per GEMM). Per shape: */
/* K splits of op's recorded launch (TORCH_BF16_LAUNCHES); 4 where none is
 * recorded (assumption) */
static int64_t splits_of(const stack_t *s, const char *op)
{
    for (size_t i = 0; i < s->n_launches; i++)
        if (strcmp(s->launches[i].op, op) == 0 && s->launches[i].launch.split_k > 1)
            return s->launches[i].launch.split_k;
    return 4;
}

static int set_small(kdesc_t *d, const stack_t *s, const stack_kernel_t *r, const llm_t *mo, const step_geom_t *g,
                     int act_bytes, ks_level_t code, char *err, size_t errlen)
{
    ksmall_desc_t kd;
    char kerr[160];
    if (ksmall_parse(r->impl, &kd, kerr, sizeof kerr) != 0) {
        snprintf(err, errlen, "%s (%s): %s", r->op, r->kernel, kerr);
        return -1;
    }
    int64_t M = g->tokens, H = (int64_t)mo->hidden, E = (int64_t)mo->n_experts;
    int64_t K = (int64_t)mo->top_k, routed = g->routed_rows;
    ksmall_shape_t sh = {.in_bytes = act_bytes, .out_bytes = act_bytes, .n_in = 1,
                         .main = KS_L2, .side = KS_NONE, .code = code};
    switch (r->shape) {
    case SH_NORM:            /* x just written by the residual add; gamma from DRAM */
        sh.rows = M;
        sh.cols = H;
        sh.side = KS_DRAM;
        break;
    case SH_KV_WRITE:        /* k or v slice of the QKV output into the cache */
        sh.n = M * (int64_t)(mo->n_heads_kv * mo->head_dim);
        break;
    case SH_SPLITK_O:        /* fp32 partials just written; bias from DRAM */
    case SH_SPLITK_ROUTER:
        sh.rows = M;
        sh.cols = r->shape == SH_SPLITK_O ? H : E;
        sh.sel = splits_of(s, r->op);   /* K splits of the op's recorded launch */
        sh.side = KS_DRAM;
        break;
    case SH_RESIDUAL:        /* the new branch output in L2, the residual from DRAM */
        sh.n = M * H;
        sh.n_in = 2;
        sh.side = KS_DRAM;
        break;
    case SH_TINY_TOPK:       /* router logits -> top-k -> casts and softmax over k */
        sh.rows = M;
        sh.cols = E;
        sh.sel = K;
        sh.n = M * K;
        break;
    case SH_MOE_EXPAND:      /* the normed hidden state copied once per selected expert */
        sh.n = routed * H;
        break;
    case SH_MOE_MAPS:        /* one thread per group (expert) */
        sh.cols = E;
        sh.main = KS_DRAM;
        break;
    case SH_MOE_EW:          /* SwiGLU on the FC1 output, just written */
        sh.n = routed * (int64_t)mo->expert_inter;
        break;
    case SH_MOE_WEIGHT_SUM:  /* y * weights (broadcast, weights from DRAM), then sum over k */
        sh.n = routed * H;
        sh.n_in = 2;
        sh.side = KS_DRAM;
        sh.rows = M * H;
        sh.cols = routed / (M > 0 ? M : 1);
        break;
    case SH_SAMPLE:          /* argmax over the logits lm_head just wrote */
        sh.rows = M;
        sh.cols = (int64_t)mo->vocab;
        break;
    default:
        snprintf(err, errlen, "%s (%s): ksmall family '%s' has no shape for this row", r->op,
                 r->kernel, r->impl);
        return -1;
    }
    kd.shape = sh;
    d->small = kd;
    return 0;
}

/* Launch l's tiled-kernel configuration into d. */
static void set_launch(kdesc_t *d, const stack_launch_t *l)
{
    d->tile_m = l->tile_m;
    d->tile_n = l->tile_n;
    d->tile_k = l->tile_k;
    d->stages = l->stages;
    d->swap_ab = l->swap_ab;
    d->cluster_m = l->cluster_m;
    d->cluster_n = l->cluster_n;
    d->split_k = l->split_k;
    d->grid_ctas = l->grid;
}

static void set_dense(kdesc_t *d, const stack_t *s, const stack_kernel_t *r, int recorded,
                      int64_t m, int64_t n, int64_t k)
{
    d->m = m;
    d->n = n;
    d->k = k;
    d->a_dt = s->dense_a;
    d->b_dt = s->dense_w;
    d->out_bytes = s->act_bytes;
    d->a_in_l2 = 1;
    d->kind = r->model;
    if (r->model != KM_GEMV)
        return;
    d->gemv = gemv_impl_find(r->impl);
    for (size_t i = 0; recorded && i < s->n_launches; i++) {
        const stack_launch_t *l = &s->launches[i].launch;
        if (strcmp(s->launches[i].op, r->op) != 0 || m > (l->swap_ab ? l->tile_n : l->tile_m))
            continue;
        /* the library's tiled kernel, as it launched it */
        d->kind = KM_GEMM;
        set_launch(d, l);
        return;
    }
    if (m > d->gemv->max_cols) /* a tuned library switches to a tiled GEMM */
        d->kind = KM_GEMM;
}

int stack_kdesc(const stack_t *s, const stack_kernel_t *r, const arch_t *a, const llm_t *mo,
                const step_geom_t *g, int sliding, kdesc_t *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    int recorded = s->launches_cc == 0 || s->launches_cc == a->cc;
    int64_t M = g->tokens, H = (int64_t)mo->hidden, I = (int64_t)mo->expert_inter;
    int64_t hq = (int64_t)mo->n_heads_q, hkv = (int64_t)mo->n_heads_kv, hd = (int64_t)mo->head_dim;
    int64_t q = hq * hd, kv = hkv * hd, rows = g->routed_rows, G = groups_of(g);
    double ab = s->act_bytes, kvb = mo->kv_bits / 8.0;
    switch (r->shape) {
    case SH_NORM:
        set_ew(d, (double)M * H * ab * 3.0, M, 1);
        break;
    case SH_QUANT_HIDDEN:
        set_ew(d, (double)M * H * (ab + 1.125), M, 1);
        break;
    case SH_QUANT_ATTN:
        set_ew(d, (double)M * q * (ab + 1.125), M, 1);
        break;
    case SH_QUANT_INTER:
        set_ew(d, (double)rows * I * (ab + 1.125), rows, 1);
        break;
    case SH_QKV:
        set_dense(d, s, r, recorded, M, q + 2 * kv, H);
        break;
    case SH_Q:
        set_dense(d, s, r, recorded, M, q, H);
        break;
    case SH_K:
    case SH_V:
        set_dense(d, s, r, recorded, M, kv, H);
        break;
    case SH_O:
        set_dense(d, s, r, recorded, M, H, q);
        break;
    case SH_ROUTER:
        set_dense(d, s, r, recorded, M, (int64_t)mo->n_experts, H);
        break;
    case SH_LM_HEAD:
        set_dense(d, s, r, recorded, M, (int64_t)mo->vocab, H);
        d->out_bytes = 4;
        break;
    case SH_ROPE:
        set_ew(d, (double)M * (q + kv) * ab * 2.0, M * (hq + hkv), 1);
        break;
    case SH_KV_WRITE:
        set_ew(d, (double)M * 2 * kv * (ab + kvb), M * hkv, 1);
        break;
    case SH_ATTN: {
        int64_t len = g->ctx + M;
        if (sliding && mo->sliding_window > 0 && len > (int64_t)mo->sliding_window)
            len = (int64_t)mo->sliding_window;
        d->kind = KM_ATTENTION;
        d->m = M;
        d->ctx = len;
        d->heads_q = hq;
        d->heads_kv = hkv;
        d->head_dim = hd;
        d->kv_dt = DT_BF16;
        d->attn = attn_impl_find(r->impl);
        break;
    }
    case SH_RESIDUAL:
        set_ew(d, (double)M * H * ab * 3.0, M, 1);
        break;
    case SH_TOPK:
        set_ew(d, (double)M * mo->n_experts * 4.0 * 2.0, M, 1);
        break;
    case SH_MOE_QUANT:
        set_ew(d, (double)M * H * (ab + 1.03125), M, 1);
        break;
    case SH_MOE_MAPS:
        set_ew(d, (double)rows * 16.0 + mo->n_experts * 8.0, 1, 1);
        break;
    case SH_MOE_EXPAND:
        set_ew(d, (double)rows * H * 2.0 * 1.03125, rows, 1);
        break;
    case SH_FC1:
    case SH_FC2:
    case SH_FC1_GATE:
    case SH_FC1_UP: {
        int64_t n = r->shape == SH_FC1 ? 2 * I : r->shape == SH_FC2 ? H : I;
        int64_t k = r->shape == SH_FC2 ? I : H;
        d->a_dt = s->expert_a;
        d->b_dt = s->expert_w;
        d->out_bytes = s->act_bytes;
        d->a_in_l2 = 1;
        if (r->model == KM_GEMV) {
            /* one launch covers every selected expert: G experts x n rows,
             * each row seeing its expert's tokens (mmvq with ids) */
            d->kind = KM_GEMV;
            d->gemv = gemv_impl_find(r->impl);
            d->m = (rows + G - 1) / G;
            d->n = n * G;
            d->k = k;
            if (d->m > d->gemv->max_cols) {
                snprintf(err, errlen, "stack %s: %s runs MMVQ only up to %d tokens per expert "
                         "(its MMQ path is not modelled); got %lld", s->name, r->op,
                         d->gemv->max_cols, (long long)d->m);
                return -1;
            }
            break;
        }
        d->kind = KM_GROUPED_GEMM;
        d->m = rows;
        d->groups = G;
        d->n = n;
        d->k = k;
        d->out_bytes = 2;
        if (recorded)
            set_launch(d, &s->fc);
        break;
    }
    case SH_MOE_ACT:
        /* read gate+up (2I) and write I, per routed row */
        set_ew(d, (double)rows * I * (2.0 * ab + (s->expert_a == DT_MXFP8 ? 1.03125 : ab)), rows, 1);
        break;
    case SH_MOE_FINALIZE:
        set_ew(d, (double)rows * H * 2.0 + (double)M * H * ab * 2.0, M, 1);
        break;
    case SH_MOE_BIAS:
        set_ew(d, (double)rows * H * ab * 3.0, rows, 1);
        break;
    case SH_MOE_WEIGHT_SUM:
        set_ew(d, (double)rows * H * ab * 2.0 + (double)M * H * ab, M, 1);
        break;
    case SH_EMBED:
        /* one row gathered per token from a table in DRAM */
        set_ew(d, (double)M * H * (mo->dense_weight_bits / 8.0 + ab), M, 0);
        break;
    case SH_SAMPLE:
        set_ew(d, (double)M * mo->vocab * 4.0, M, 1);
        break;
    case SH_SPLITK_O:       /* fp32 partials of a few K slices, reduced to bf16 */
        set_ew(d, (double)M * H * (4.0 * 4 + ab), M, 1);
        break;
    case SH_SPLITK_ROUTER:
        set_ew(d, (double)M * mo->n_experts * (4.0 * 4 + ab), M, 1);
        break;
    case SH_TINY_TOPK:      /* top-k of E logits: a few hundred bytes */
        set_ew(d, (double)M * mo->n_experts * ab * 2.0, M, 1);
        break;
    case SH_MOE_EW:         /* one elementwise pass over the routed rows' intermediate */
        set_ew(d, (double)rows * I * ab * 3.0, rows, 1);
        break;
    }
    if (r->model == KM_ELEMENTWISE && r->impl != NULL) {
        /* a small kernel runs once per layer: the kernels between evict its code
         * from the SM's instruction caches, and from L2 too when the step streams
         * more than L2 holds; right after a launch of the same kernel its code is
         * in the caches, as in the back-to-back runs the hot costs were measured
         * on (microbench/ksmall_probe.py) */
        ks_level_t code = stack_streams_past_l2(s, mo, g, a) ? KS_DRAM : KS_L2;
        assert(r >= s->kernels && r < s->kernels + s->n_kernels);
        if (r > s->kernels && r[-1].impl != NULL && strcmp(r[-1].impl, r->impl) == 0)
            code = KS_NONE;
        return set_small(d, s, r, mo, g, s->act_bytes, code, err, errlen);
    }
    return 0;
}

double stack_min_bytes(const stack_t *s, const llm_t *mo, const step_geom_t *g)
{
    double H = mo->hidden, I = mo->expert_inter, E = mo->n_experts;
    double q = mo->n_heads_q * mo->head_dim, kv = mo->n_heads_kv * mo->head_dim;
    double dense = dtype_bytes_per_elem(s->dense_w);
    double expert = (2.0 * I * H + I * H) *
                    (mo->expert_weight_bits + (mo->expert_scale_block > 0
                                                   ? mo->expert_scale_bits / mo->expert_scale_block
                                                   : 0)) / 8.0;
    double per_layer = (H * (q + 2 * kv) + q * H + E * H) * dense + g->experts_active * expert;
    double kv_bytes = 0;
    for (int l = 0; l < (int)mo->n_layers; l++) {
        double len = (double)(g->ctx + g->tokens);
        int sliding = mo->sliding_layer_period > 0 && l % (int)mo->sliding_layer_period == 0;
        if (sliding && mo->sliding_window > 0 && len > mo->sliding_window)
            len = mo->sliding_window;
        kv_bytes += len * 2.0 * kv * mo->kv_bits / 8.0;
    }
    return mo->n_layers * per_layer + kv_bytes + mo->vocab * H * dense;
}

int stack_streams_past_l2(const stack_t *s, const llm_t *mo, const step_geom_t *g, const arch_t *a)
{
    return stack_min_bytes(s, mo, g) > a->l2_bytes;
}
