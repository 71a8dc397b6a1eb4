/* kmodel.c -- kernel models on top of kexec. */
#include "models/kmodel.h"

#include "models/gemm.h"
#include "sim/htab.h"
#include "sim/table.h"

#include <assert.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GEMV kernels. Structure from the named source; where the source is closed
 * (cuBLAS) the row says so and gives what it assumes. */
static const gemv_impl_t GEMV_IMPLS[] = {
    /* name, kernel;  thr rows vec infl inst/vec ffma/vec maxM k_tile tma(box rows) */
    {"cublas-gemv", "gemv (warp per row, the cuBLAS-style model)",
     128, 4, 16, 4, 17.0, 8.0, 16, 64, 64,
     "assumption: cuBLAS gemv is closed source; a warp-per-row bf16 GEMV with 16-B loads, "
     "4 loads in flight per thread, 8 cvt + 8 FFMA + 1 LDG per vector; k_tile 64 as the "
     "nvjet_sm90_tst_64x8_64x16 kernels cuBLAS picks at M=1 (traces/hopper/h100_shapes.csv), "
     "which load k-tiles with TMA in 64-row boxes (Hopper nvjet kernels are TMA "
     "warp-specialized; their tile M is 64)"},
    {"llamacpp-mmvq", "mul_mat_vec_q", 128, 1, 8, 2, 20.0, 0.0, 8, 0, 0,
     "ggml-org/llama.cpp ggml/src/ggml-cuda/mmvq.cu: mul_mat_vec_q, calc_nwarps=4 and "
     "calc_rows_per_block=1 for ncols_dst=1 on NVIDIA; VDR_MXFP4_Q8_1_MMVQ=2 ints per thread "
     "(vecdotq.cuh); ~20 instr per 8 B (LUT __byte_perm decode + 4 dp4a + scale)"},
};

#define CUDNN_SM90_WAITS                                                                          \
    "measured: microbench/kcudnn_sass.py under ncu (microbench/results/kcudnn_sass_h100.txt, the " \
    "kernels' SASS): the KV-tile loop issues two wgmma groups, S = Q K^T (8 HGMMA 64x128x16 at "    \
    "head dim 128, 4 at 64) and O += P V (8), each followed by WARPGROUP.DEPBAR.LE gsb0, 0x0 "      \
    "(FlashAttention-3, arXiv:2407.08608, Algorithm 1); assumption: no other warpgroup issues "    \
    "during them (microbench/wgmmabench.cu: a second one hides them, 0.8-10.6 cycles)"

/* Decode attention kernels. q_tile 16 for the first two rows is the m16 of
 * their mma.sync MMAs (the padding gbsim has always applied). smem_bytes: the
 * shared memory per CTA CUPTI recorded (its "MB" = 1e6 B: kcudnn_times_h100.csv
 * smem_mb, traces/hopper/h100_cuda_gpu_trace.csv), as each row's source says. */
static const attn_impl_t ATTN_IMPLS[] = {
    /* name                 tile stages thr chunk merge q_tile merge_family source
     *                      inst_fixed inst_per_tile inst_source max_splits split_min_ctx max_ctas
     *                      per_q_head head_dim library
     *                      launch_2d min_grid_2d launch_source kernel
     *                      mma_waits_per_tile waits_source smem_bytes */
    {"flashinfer-fa2",        64, 2, 128, 256, 1, 16, NULL,
     "flashinfer-ai/flashinfer include/flashinfer/attention/prefill.cuh (FA2 template used by "
     "vLLM decode with sinks on SM12x): CTA_TILE_KV=64, cp.async double buffer; split-KV with "
     "a separate merge_states kernel", 0, 0, "not measured", 0, 0, 0, 0, 0, 0, NULL, 0, NULL, NULL, 0, NULL, 0},
    {"llamacpp-fattn-vec",   128, 2, 128, 256, 1, 16, NULL,
     "ggml-org/llama.cpp ggml/src/ggml-cuda/fattn-vec.cuh: flash_attn_ext_vec, nthreads=128, "
     "parallel_blocks over KV combined by flash_attn_combine_results", 0, 0, "not measured", 0, 0, 0, 0, 0, 0,
     NULL, 0, NULL, NULL, 0, NULL, 0},
    {"triton-attn",           16, 3, 128, 16, 1, 16, NULL,
     "vllm-project/vllm 7291d1b2 v1/attention/ops/triton_unified_attention.py "
     "kernel_unified_attention_3d + reduce_segments (vLLM's backend for gpt-oss on SM12x, "
     "models/data/stack/vllm-marlin.md): TILE_SIZE_DECODE 16 KV tokens, BLOCK_M 16 query rows, "
     "num_warps 4 (Triton default), num_stages 3 (Triton default: assumption that the tile loop "
     "is pipelined), NUM_PAR_SOFTMAX_SEGMENTS 16 segments of >= 16 tokens merged by "
     "reduce_segments. Not expressed: sliding layers launching 16 segments of which 1-2 work",
     0, 0, "not measured", 16, 0, 0, 0, 0, 0,
     /* the 2D kernel above the threshold (attn_impl_launched) */
     "triton-attn-2d", 128,
     "vllm-project/vllm v1/attention/ops/triton_unified_attention.py unified_attention: "
     "use_3d = not (max_seqlen_q > 1 or num_seqs > seq_threshold_3D); "
     "v1/attention/backends/triton_attn.py: seq_threshold_3D = MIN_LAUNCH_GRID_SIZE_2D (128) // "
     "num_heads_kv (per GPU), snapped to the nearest CUDA-graph capture size "
     "(config/vllm.py _set_cudagraph_sizes: [1, 2, 4] + range(8, 256, 8) + range(256, ..., 16))",
     NULL, 0, NULL, 0},
    {"triton-attn-2d",        32, 3, 128, 32, 0, 16, NULL,
     "vllm-project/vllm v1/attention/ops/triton_unified_attention.py kernel_unified_attention "
     "with IS_3D false (the 2D launch vLLM picks for more than seq_threshold_3D sequences or "
     "more than one query per sequence): grid (q blocks, heads_kv), one CTA per sequence and "
     "KV head over the whole context, TILE_SIZE_PREFILL 32 KV tokens even at decode, BLOCK_M 16 "
     "query rows, num_warps 4 and num_stages 3 (Triton defaults), no segments, no "
     "reduce_segments", 0, 0, "not measured", 1, 0, 0, 0, 0, 0, NULL, 0, NULL,
     "kernel_unified_attention_2d", 0, NULL, 0},
    {"cudnn-sdpa-16x128x64", 128, 1, 128, 128, 1, 16, "lean_reduction",
     "closed source (cuDNN 9 via PyTorch SDPA, H100/H200 at ctx >= 320); what the kernel name "
     "and its CUPTI records show (traces/hopper/h100_cuda_gpu_trace.csv): "
     "cudnn_generated_fort_native_sdpa_sm80_flash_fprop_wmma_f16_knob_35_16x128x64_1x4x1 = 16 "
     "query rows x 128-token KV tile x head dim 64, warps 1x4x1 (128 threads, BlkX 128), an sm80 "
     "mma.sync (wmma) kernel; 0.045 MB of shared memory holds the 2 KB Q tile and one 32 KB "
     "K+V tile, not two (stages 1); split-KV over grid X (8x8 CTAs at ctx 1024, 32x8 at ctx "
     "4096-65536 for 8 KV heads: 128-token chunks at ctx 1024 and 4096, min_chunk 128); splits "
     "merged by cudnn::fusion::lean_reduction_kernel (grid 1 x 64 query heads, 256 threads). "
     "Its MMAs are priced at mma_bf16_flop_per_clk_sm, the wgmma peak on Hopper, which an "
     "mma.sync kernel does not reach (optimistic)",
     604.3, 366.3,
     "measured: microbench/kattn_probe.py under ncu (microbench/results/kattn_ncu_raw_h100.csv, H100): "
     "971.4 / 1335.7 / 2069.8 warp instructions per warp at 1 / 2 / 4 full 128-token tiles per CTA "
     "(ctx 2048, 8192, 512), least squares; 1797.7 at 2.5 tiles (ctx 320); a part-filled tile "
     "is charged its share",
     /* split rule: the grids CUPTI recorded, 8 KV heads x 1 / 8 / 16 / 32 / 32 splits at
      * ctx 512 / 1024 / 2049 / 4096 / 8192..131072 (traces/hopper/h100_shapes.csv,
      * h100_decode_step_trace.csv, microbench/results/kattn_ncu_raw_h100.csv); 16 KV
      * heads x 16 and 4 x 64 at ctx 16384 (microbench/results/kcudnn_times_h100.csv):
      * at most 256 CTAs */
     256, 1024, 256, 0, 64, 0, NULL, 0, NULL, "cudnn sdpa sm80 16x128x64 + lean_reduction", 0, NULL, 45e3},
    {"cudnn-sdpa-64x64x64",   64, 1, 128, 128, 1, 64, "lean_reduction",
     "closed source (cuDNN 9 via PyTorch SDPA, H100/H200 at ctx 128); what the kernel name and "
     "its CUPTI records show (traces/hopper/h100_cuda_gpu_trace.csv): "
     "cudnn_generated_fort_native_sdpa_sm80_flash_fprop_wmma_f16_knob_3_64x64x64_4x1x1 = 64 "
     "query rows (4 warps along M) x 64-token KV tile x head dim 64, 128 threads, sm80 mma.sync; "
     "0.025 MB of shared memory = 8 KB Q tile + one 16 KB K+V tile (stages 1); ran unsplit "
     "(grid 1 x 8 KV heads) at ctx 128, so min_chunk >= 128 (128 taken); merge kernel assumed "
     "as the 16x128x64 variant's (never observed split). MMA rate as that row (optimistic)",
     500.0, 443.0,
     "measured: microbench/kattn_probe.py under ncu (microbench/results/kattn_ncu_raw_h100.csv, H100): "
     "1829.0 / 2272.0 warp instructions per warp at 3 / 4 64-token tiles per CTA (ctx 192, 256)",
     /* assumption: the 16x128x64 variant's split rule (this variant never ran split) */
     256, 1024, 256, 0, 64, 0, NULL, 0, NULL, "cudnn sdpa sm80 64x64x64 + lean_reduction", 0, NULL, 25e3},
    {"cudnn-sdpa-16x128x128", 128, 1, 128, 128, 1, 16, "lean_reduction",
     "closed source (cuDNN 9.19 via PyTorch 2.11 SDPA, H100, one query row, head dim 128); what "
     "its CUPTI records show (microbench/kcudnn_probe.py -> microbench/results/"
     "kcudnn_times_h100.csv): cudnn_generated_fort_native_sdpa_sm80_flash_fprop_wmma_f16_knob_35_"
     "16x128x128_1x4x1 = 16 query rows x 128-token KV tile x head dim 128, 128 threads, sm80 "
     "mma.sync; 0.086 MB of shared memory = 4 KB Q tile + one 64 KB K+V tile (stages 1); the "
     "16x128x64 variant's split rule (1 split at ctx 512, ctx / 128 above, at most 256 CTAs: "
     "8 KV heads x 32, 4 x 64) and lean_reduction merge. MMA rate as the 16x128x64 row "
     "(optimistic)",
     889.5, 554.97,
     "measured: microbench/kcudnn_probe.py under ncu (microbench/results/kcudnn_ncu_raw_h100.csv, "
     "H100): warp instructions per warp at 1, 2, 4, 8, 16 KV tiles per CTA (GQA 40/8 and 16/4, "
     "ctx 512..65536), least squares, residuals <= 0.8 %",
     256, 1024, 256, 0, 128, 0, NULL, 0, NULL, "cudnn sdpa sm80 16x128x128 + lean_reduction", 0, NULL, 86e3},
    {"cudnn-sdpa-sm90-64x128x64", 128, 3, 384, 128, 0, 64, NULL,
     "closed source (cuDNN 9.19 via PyTorch 2.11 SDPA, H100, 2..64 query rows, head dim 64); "
     "what its CUPTI records show (microbench/kcudnn_probe.py -> microbench/results/"
     "kcudnn_times_h100.csv): cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_7_"
     "64x128x64_4x1x1, a Hopper wgmma kernel: grid = query heads (one CTA per query head, its "
     "query rows padded to the 64-row wgmma tile; GQA 64/8 and 16/16 both give grid = heads_q), "
     "384 threads, no KV split and no merge kernel at any ctx (512..65536), 0.134 MB of shared "
     "memory = 8 KB Q + 3 x 32 KB K+V tiles + 30 KB (stages 3, assumption: the remainder is the "
     "softmax and output staging)",
     228.4, 346.91,
     "measured: microbench/kcudnn_probe.py under ncu (microbench/results/kcudnn_ncu_raw_h100.csv, "
     "H100): warp instructions per warp at 4..512 KV tiles per CTA (q 3 and 6), least squares, "
     "residuals <= 0.2 %",
     1, 0, 0, 1, 64, 0, NULL, 0, NULL, "cudnn sdpa sm90 wgmma 64x128x64 (no split)",   /* max_splits 1: never split */
     2, CUDNN_SM90_WAITS, 134e3},
    {"cudnn-sdpa-sm90-64x128x128", 128, 3, 384, 128, 0, 64, NULL,
     "closed source (cuDNN 9.19 via PyTorch 2.11 SDPA, H100, 2..64 query rows, head dim 128); "
     "what its CUPTI records show (microbench/kcudnn_probe.py -> microbench/results/"
     "kcudnn_times_h100.csv): cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_7_"
     "64x128x128_4x1x1: grid = query heads (GQA 40/8 and 16/4), 384 threads, no KV split, no "
     "merge kernel; 0.232 MB of shared memory = 16 KB Q + 3 x 64 KB K+V tiles + 24 KB (stages 3)",
     287.2, 389.00,
     "measured: microbench/kcudnn_probe.py under ncu (microbench/results/kcudnn_ncu_raw_h100.csv, "
     "H100): warp instructions per warp at 4..512 KV tiles per CTA (q 3 and 6), least squares, "
     "residuals <= 0.6 %",
     1, 0, 0, 1, 128, 0, NULL, 0, NULL, "cudnn sdpa sm90 wgmma 64x128x128 (no split)",  /* max_splits 1: never split */
     2, CUDNN_SM90_WAITS, 232e3},
    {"cudnn-sdpa", 0, 0, 0, 0, 0, 0, NULL,
     "PyTorch SDPA's cuDNN backend (the default on Hopper in PyTorch 2.11): the kernel is cuDNN's "
     "choice, CUDNN_SDPA_RULES below",
     0, 0, NULL, 0, 0, 0, 0, 0, 1, NULL, 0, NULL, NULL, 0, NULL, 0},
};

typedef struct {
    int cc_min, cc_max;                  /* the arch's compute capability (x10) */
    int64_t m_min, m_max, head_dim, ctx_min;
    const char *impl;
    const char *source;
} cudnn_rule_t;

/* cuDNN's choice among its SDPA kernels for decode (one sequence or several,
 * no mask), first matching row: what microbench/results/kcudnn_times_h100.csv
 * (q 1, 3, 6; head dim 64 and 128; ctx 512..65536) and the development traces
 * (ctx 128: traces/hopper/h100_shapes.csv) recorded. Closed source: the rows
 * are observations, not cuDNN's heuristic itself; shapes outside them (head
 * dims other than 64 and 128, more than 4096 query rows) are refused. */
static const cudnn_rule_t CUDNN_SDPA_RULES[] = {
    {90, 99, 1, 1, 64, 320, "cudnn-sdpa-16x128x64", "kcudnn_times_h100.csv: q 1, ctx 512..65536; "
                                                    "h100_shapes.csv: ctx >= 320"},
    {90, 99, 1, 1, 64, 0, "cudnn-sdpa-64x64x64", "traces/hopper/h100_shapes.csv: ctx 128 (and 192, "
                                                 "256 in kattn_ncu_raw_h100.csv)"},
    {90, 99, 1, 1, 128, 0, "cudnn-sdpa-16x128x128", "kcudnn_times_h100.csv: q 1, ctx 512..65536"},
    {90, 99, 2, 4096, 64, 0, "cudnn-sdpa-sm90-64x128x64", "kcudnn_times_h100.csv: q 3 and 6, ctx "
                                                          "512..65536; assumption: the same kernel "
                                                          "up to 4096 rows (not observed above 8), "
                                                          "one CTA per 64 query rows of a head"},
    {90, 99, 2, 4096, 128, 0, "cudnn-sdpa-sm90-64x128x128", "kcudnn_times_h100.csv: q 3 and 6, ctx "
                                                            "512..65536; assumption: as the row "
                                                            "above"},
    /* no wgmma off sm_90: cuDNN's sm80 (mma.sync) kernels, split as on sm_90 */
    {80, 89, 1, 4096, 64, 0, "cudnn-sdpa-16x128x64", "assumption: not observed off sm_90; the "
                                                     "sm80 kernel cuDNN runs on sm_90 at one query"},
    {80, 89, 1, 4096, 128, 0, "cudnn-sdpa-16x128x128", "assumption: as the row above"},
    {100, 999, 1, 4096, 64, 0, "cudnn-sdpa-16x128x64", "assumption: as the row above (sm_10x and "
                                                       "sm_12x run sm80 mma.sync code)"},
    {100, 999, 1, 4096, 128, 0, "cudnn-sdpa-16x128x128", "assumption: as the row above"},
};

/* ------------------------------------------------- libraries' choices -- */

/* gbsim's generic CUTLASS set, for a GEMM no library's list covers (a format
 * the libraries below do not ship, or an impl without a list of its own):
 * TRT-LLM CutlassTileConfigSM120 shapes with K 128 and the CUTLASS sm90 bf16
 * example defaults (K 64), each with and without swap-AB, cooperative and
 * pingpong. Not a library's list: the fastest of what CUTLASS could build. */
static const gemm_cand_t CUTLASS_GENERIC_CANDS[] = {
#define CG(tm, tn, tk, src)     {tm, tn, tk, 0, 0, 0, 0, 0, 0, 0, 1, src}, {tm, tn, tk, 0, 1, 0, 0, 0, 0, 0, 1, src}
    CG(128, 8, 128, "TRT-LLM CutlassTileConfigSM120"), CG(128, 16, 128, "TRT-LLM CutlassTileConfigSM120"),
    CG(128, 32, 128, "TRT-LLM CutlassTileConfigSM120"), CG(128, 64, 128, "TRT-LLM CutlassTileConfigSM120"),
    CG(128, 128, 128, "TRT-LLM CutlassTileConfigSM120"),
    CG(128, 256, 128, "TRT-LLM CutlassTileConfigSM120"),
    CG(256, 128, 128, "TRT-LLM CutlassTileConfigSM120"), CG(64, 64, 64, "CUTLASS sm90 bf16 default"),
    CG(128, 64, 64, "CUTLASS sm90 bf16 default"), CG(128, 128, 64, "CUTLASS sm90 bf16 default"),
    CG(128, 256, 64, "CUTLASS sm90 bf16 default"), CG(64, 128, 64, "CUTLASS sm90 bf16 default"),
#undef CG
};

/* cuBLAS/cuBLASLt 13 on Hopper (closed source: its heuristic is not
 * observable, only the kernels it launched): every nvjet_sm90_tst_* (bf16,
 * K 64) and nvjet_sm90_qqtst_* (fp8, K 128) configuration in the development
 * traces traces/hopper/h100_shapes.csv and h200_shapes.csv (the kernel name's
 * AxB_KxS_CMxCN gives tile, stages and cluster; _splitK_ split-K 2; as the
 * trace parser maps them). The held-out test set (traces/testset) does not
 * enter the list. Selection: the fastest of these (a stand-in for the
 * heuristic, which picks among them). */
static const gemm_cand_t NVJET_SM90_CANDS[] = {
    /* tile_m, tile_n, tile_k, a_bits, swap_ab, stream_k, sched, cluster_m, cluster_n, stages,
     * split_k, source */
#define NVJ(tm, tn, tk, bits, swap, cm, cn, st, sk, src) \
    {tm, tn, tk, bits, swap, 0, 0, cm, cn, st, sk, "nvjet: " src}
    NVJ(64, 8, 64, 16, 1, 2, 1, 16, 2, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 8, 64, 16, 1, 4, 1, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 8, 64, 16, 1, 4, 1, 16, 2, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 16, 64, 16, 1, 2, 1, 16, 2, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 16, 64, 16, 1, 4, 1, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 16, 64, 16, 1, 4, 1, 16, 2, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 32, 64, 16, 1, 2, 2, 16, 2, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 32, 64, 16, 1, 2, 4, 16, 2, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 32, 64, 16, 1, 4, 2, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 64, 64, 16, 1, 4, 1, 13, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 96, 64, 16, 0, 4, 2, 10, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(128, 80, 64, 16, 0, 1, 2, 8, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(512, 8, 64, 16, 1, 2, 1, 3, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(512, 16, 64, 16, 1, 2, 1, 3, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 8, 128, 8, 0, 1, 4, 16, 1, "h100_shapes.csv"),
    NVJ(64, 8, 128, 8, 1, 2, 1, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 8, 128, 8, 1, 2, 2, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 8, 128, 8, 1, 2, 4, 16, 1, "h200_shapes.csv"),
    NVJ(64, 8, 128, 8, 0, 2, 4, 16, 1, "h100_shapes.csv"),
    NVJ(64, 8, 128, 8, 1, 4, 1, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 8, 128, 8, 1, 4, 2, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 16, 128, 8, 1, 4, 1, 16, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(64, 32, 128, 8, 1, 4, 2, 16, 1, "h200_shapes.csv"),
    NVJ(64, 40, 128, 8, 0, 1, 4, 16, 1, "h100_shapes.csv"),
    NVJ(64, 56, 128, 8, 0, 1, 4, 14, 1, "h200_shapes.csv"),
    NVJ(64, 64, 128, 8, 1, 4, 1, 13, 1, "h100_shapes.csv"),
    NVJ(64, 96, 128, 8, 0, 4, 2, 10, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(128, 80, 128, 8, 0, 1, 2, 8, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(512, 8, 128, 8, 1, 2, 1, 3, 1, "h100_shapes.csv+h200_shapes.csv"),
    NVJ(512, 16, 128, 8, 1, 2, 1, 3, 1, "h100_shapes.csv+h200_shapes.csv"),
#undef NVJ
};

/* FlashInfer mm_fp4 (backend cutlass) on SM120/SM121: flashinfer-ai/flashinfer
 * fb28d724 include/flashinfer/gemm/fp4_gemm_cutlass_template_sm120.h
 * CutlassFp4GemmRunner::getConfigs: eight CutlassTileConfigSM120 tiles, each
 * with swap_ab true and false, each on the data-parallel and the stream-K
 * scheduler, cluster 1x1x1; dispatchNVFP4xNVFP4GemmCTAShapeSm120 gives the
 * tile in elements (CtaShape128x32x64B -> 128x32x128: K in bytes of FP4);
 * mainloop KernelTmaWarpSpecializedCooperative (fp4_gemm_template_sm120.h).
 * Selection: FlashInfer's autotuner profiles every tactic and keeps the
 * fastest (an untuned call runs 128x128x256, fp4_gemm_cutlass_sm120.cu). */
static const gemm_cand_t FLASHINFER_MM_FP4_SM120_CANDS[] = {
#define FI(tm, tn, tk, swap, sk, cfg) \
    {tm, tn, tk, 4, swap, sk, -1, 1, 1, 0, 1, "fp4_gemm_cutlass_template_sm120.h getConfigs " cfg}
#define FI4(tm, tn, tk, cfg) \
    FI(tm, tn, tk, 1, 0, cfg), FI(tm, tn, tk, 0, 0, cfg), FI(tm, tn, tk, 1, 1, cfg), \
    FI(tm, tn, tk, 0, 1, cfg)
    FI4(128, 32, 128, "CtaShape128x32x64B"),   FI4(128, 32, 256, "CtaShape128x32x128B"),
    FI4(128, 64, 128, "CtaShape128x64x64B"),   FI4(128, 64, 256, "CtaShape128x64x128B"),
    FI4(128, 128, 128, "CtaShape128x128x64B"), FI4(128, 128, 256, "CtaShape128x128x128B"),
    FI4(256, 128, 128, "CtaShape256x128x64B"), FI4(128, 256, 128, "CtaShape128x256x64B"),
#undef FI4
#undef FI
};

/* FlashInfer cutlass_fused_moe on SM120/SM121 (nvfp4 only): flashinfer-ai/
 * flashinfer fb28d724 csrc/nv_internal/tensorrt_llm/kernels/cutlass_kernels/
 * cutlass_heuristic.cpp get_candidate_configs_sm120 lists ten tiles (cluster
 * 1x1x1, swap_ab false: the min-latency path alone sets it, not the tuned
 * one); moe_gemm/moe_gemm_template_dispatch_tma_ws.h dispatches the eight of
 * them below (SHAPE_CASE 120, K in bytes of FP4 -> elements;
 * are_tile_shapes_supported_sm120) and skips 128x128x256B and 256x128x128B.
 * No stream-K. Selection: the MoE runner's autotuner profiles each tactic. */
static const gemm_cand_t FLASHINFER_MOE_SM120_CANDS[] = {
#define FM(tm, tn, tk, cfg) \
    {tm, tn, tk, 4, 0, 0, -1, 1, 1, 0, 1, "cutlass_heuristic.cpp get_candidate_configs_sm120 " cfg}
    FM(128, 128, 256, "CtaShape128x128x128B"), FM(128, 128, 128, "CtaShape128x128x64B"),
    FM(256, 128, 128, "CtaShape256x128x64B"),  FM(128, 256, 128, "CtaShape128x256x64B"),
    FM(128, 32, 256, "CtaShape128x32x128B"),   FM(128, 32, 128, "CtaShape128x32x64B"),
    FM(128, 64, 256, "CtaShape128x64x128B"),   FM(128, 64, 128, "CtaShape128x64x64B"),
#undef FM
};

/* PyTorch torch._grouped_mm (bf16), pytorch/pytorch 06c0cf01
 * aten/src/ATen/native/cuda/GroupMM.cu dispatch_bf16_grouped_kernel_on_tile_size:
 * with 2D activations and 3D weights M = rows / group_count, small = (M <= 128
 * || N <= 128); SM10x: 64x128x128 (1SM); SM9x small: 64x128x128 pingpong, else
 * 128x256x64 cooperative; cluster 2x1x1 and StageCountAutoCarveout (as many
 * stages as fit) throughout. group_count there is every expert; gbsim's groups
 * are the non-empty ones, so M here is at least torch's. */
static int torch_grouped_mm_rule(int cc, int64_t m, int64_t n, int64_t k, int64_t groups,
                                 gemm_cand_t *out)
{
    (void)k;
    int64_t per_group = m / (groups > 0 ? groups : 1);
    int small = per_group <= 128 || n <= 128;
    if (cc >= 100 || small)
        *out = (gemm_cand_t){64, 128, 128, 16, 0, 0, 1, 2, 1, 0, 1,
                             "GroupMM.cu: sm10x, or small (M <= 128 || N <= 128): 64x128x128 pong"};
    else
        *out = (gemm_cand_t){128, 256, 64, 16, 0, 0, -1, 2, 1, 0, 1,
                             "GroupMM.cu: sm9x, not small: 128x256x64 cooperative"};
    return 0;
}

#define CANDS(t) t, (int)(sizeof t / sizeof t[0])

/* Tiled-GEMM implementations around gemm.c's main kernel. */
static const gemm_impl_t GEMM_IMPLS[] = {
    /* name          reduce kernel, prepare kernel, source, pad_hidden, pad_inter, moe_align,
     *               pad_source */
    {"cutlass",      0, 0,
     "gbsim's CUTLASS 3.x kernel model (models/gemm.c); with split-K the main kernel writes "
     "fp32 partials and their in-kernel reduction is not modelled. The default", 0, 0, 0, NULL,
     CANDS(CUTLASS_GENERIC_CANDS), NULL, "the fastest of CUTLASS_GENERIC_CANDS (no library's "
     "list)"},
    {"marlin",       0, 0,
     "vllm-project/vllm 7291d1b2 csrc/moe/marlin_moe_wna16 (models/data/stack/vllm-marlin.md): "
     "W4A16, FP4 weights dequantized to bf16 in registers before mma.sync m16n8k16; stream-K "
     "partials reduced in the kernel (no reduce kernel); its set-up kernels "
     "(moe_align_block_size) are the stack's own rows",
     256, 128, 1,
     "vllm-project/vllm model_executor/layers/quantization/mxfp4.py Mxfp4MoEMethod.create_weights "
     "for Mxfp4Backend.MARLIN: intermediate_size_per_partition round_up(., 128), hidden_size "
     "round_up(., 256) ('the moe marlin kernel requires that for each linear n % 256 == 0 and "
     "k % 128 == 0'; gpt-oss: 2880 -> 3072 and 2944, 9 % more expert bytes); "
     "fused_moe/fused_marlin_moe.py fused_marlin_moe: moe_align_block_size(topk_ids, "
     "block_size_m, ...) pads each expert's rows to whole blocks of block_size_m, and "
     "moe_wna16_marlin_gemm runs one work unit per block (sorted_token_ids, expert_ids)",
     NULL, 0, NULL, "not modelled (its thread configurations are not gemm.c tiles): "
     "gemm_impl_chooser's arch default"},
    {"cublas-nvjet", 1, 0,
     "closed source (cuBLAS/cuBLASLt 13 nvjet_sm90_tst_* kernels); inferred from the kernel "
     "names and grids in traces/hopper/h100_cuda_gpu_trace.csv: a _splitK_ kernel writes fp32 "
     "partials (split x m x n x 4 B) and a second kernel, cublasLt::splitKreduce_kernel "
     "(grid 4..90 CTAs x 32 threads, 1.5-1.8 us per call on H100), sums them and writes the "
     "bf16 output", 0, 0, 0, NULL,
     CANDS(NVJET_SM90_CANDS), NULL, "closed-source heuristic: the fastest of the configurations "
     "observed (NVJET_SM90_CANDS)"},
    {"torch-grouped-mm", 0, 1,
     "pytorch/pytorch aten/src/ATen/native/cuda/GroupMM.cu (torch._grouped_mm): "
     "at::cuda::detail::prepare_grouped_gemm_data<<<1, group_count>>> writes the per-group "
     "A/B/C pointers, strides and problem shapes (GroupMMCommon.cuh), then the CUTLASS sm90 "
     "ptr-array kernel (gemm.c) reads them; both kernels are in every call's CUPTI records "
     "(traces/hopper/h100_cuda_gpu_trace.csv)", 0, 0, 0, NULL,
     NULL, 0, torch_grouped_mm_rule, "GroupMM.cu's size rule (torch_grouped_mm_rule)"},
    {"flashinfer-mm-fp4", 0, 0,
     "FlashInfer mm_fp4, backend cutlass, on SM120/SM121: the CUTLASS sm120 block-scaled "
     "kernel (gemm.c)", 0, 0, 0, NULL,
     CANDS(FLASHINFER_MM_FP4_SM120_CANDS), NULL, "autotune: the fastest of its 32 tactics"},
    {"flashinfer-cutlass-moe", 0, 0,
     "FlashInfer cutlass_fused_moe on SM120/SM121: the CUTLASS sm120 grouped block-scaled "
     "kernel (gemm.c)", 0, 0, 0, NULL,
     CANDS(FLASHINFER_MOE_SM120_CANDS), NULL, "autotune: the fastest of its 8 tactics"},
};

/* vllm-project/vllm fused_moe/fused_marlin_moe.py fused_marlin_moe: "for
 * block_size_m in [8, 16, 32, 48, 64]: if M * topk / E / block_size_m < 0.9:
 * break", then at least 16 when the activations are 8-bit (input_dtype
 * itemsize 1) */
int gemm_impl_moe_block(const gemm_impl_t *im, int64_t tokens, int top_k, int experts,
                        dtype_t acts)
{
    static const int BLOCKS[] = {8, 16, 32, 48, 64};
    assert(im != NULL && im->moe_align && experts > 0);
    int bs = BLOCKS[0];
    for (size_t i = 0; i < sizeof BLOCKS / sizeof BLOCKS[0]; i++) {
        bs = BLOCKS[i];
        if ((double)tokens * top_k / experts / bs < 0.9)
            break;
    }
    if (dtype_info(acts)->elem_bits == 8 && bs < 16)
        bs = 16;
    return bs;
}

const gemv_impl_t *gemv_impl_find(const char *name)
{
    return TABLE_FIND(GEMV_IMPLS, name);
}

const attn_impl_t *attn_impl_find(const char *name)
{
    return TABLE_FIND(ATTN_IMPLS, name);
}

/* vLLM's unified_attention launches the 3D (split-KV) kernel only while
 * every sequence has one query and the sequences are at most
 * seq_threshold_3D = min_grid_2d / heads_kv snapped to the nearest CUDA-graph
 * capture size (ties to the smaller; launch_source) */
const attn_impl_t *attn_impl_launched(const attn_impl_t *im, int64_t seqs, int64_t q_len,
                                      int64_t heads_kv)
{
    assert(im != NULL && heads_kv > 0);
    if (im->launch_2d == NULL)
        return im;
    int64_t raw = im->min_grid_2d / heads_kv, thr = 1;
    for (int64_t c = 1; c <= 512; c = c < 4 ? 2 * c : c < 256 ? c + 8 - c % 8 : c + 16)
        if (llabs(c - raw) < llabs(thr - raw))
            thr = c;
    if (q_len == 1 && seqs <= thr)
        return im;
    const attn_impl_t *alt = attn_impl_find(im->launch_2d);
    assert(alt != NULL);
    return alt;
}

const attn_impl_t *attn_impl_at(size_t i)
{
    return i < sizeof ATTN_IMPLS / sizeof ATTN_IMPLS[0] ? &ATTN_IMPLS[i] : NULL;
}

/* kmodel_test checks that these lists name every row, in order. */
const char *attn_impl_names(void)
{
    return "flashinfer-fa2, llamacpp-fattn-vec, triton-attn, triton-attn-2d, cudnn-sdpa-16x128x64, cudnn-sdpa-64x64x64, "
           "cudnn-sdpa-16x128x128, cudnn-sdpa-sm90-64x128x64, cudnn-sdpa-sm90-64x128x128, cudnn-sdpa";
}

const attn_impl_t *attn_impl_pick(const attn_impl_t *im, int cc, int64_t m, int64_t head_dim,
                                  int64_t ctx, char *err, size_t errlen)
{
    assert(im != NULL);
    if (!im->library) {
        if (im->head_dim > 0 && im->head_dim != head_dim) {
            snprintf(err, errlen, "%s is built for head_dim %d, not %lld", im->name, im->head_dim,
                     (long long)head_dim);
            return NULL;
        }
        return im;
    }
    for (size_t i = 0; i < sizeof CUDNN_SDPA_RULES / sizeof CUDNN_SDPA_RULES[0]; i++) {
        const cudnn_rule_t *r = &CUDNN_SDPA_RULES[i];
        if (cc >= r->cc_min && cc <= r->cc_max && m >= r->m_min && m <= r->m_max &&
            head_dim == r->head_dim && ctx >= r->ctx_min) {
            const attn_impl_t *k = attn_impl_find(r->impl);
            assert(k != NULL && k->head_dim == head_dim && !k->library);
            return k;
        }
    }
    snprintf(err, errlen, "%s: no kernel for %lld query rows at head_dim %lld on cc %d (cuDNN's "
             "decode kernels in models/kmodel.c CUDNN_SDPA_RULES: 1..4096 rows, head_dim 64 or 128, "
             "cc 80 and above)", im->name, (long long)m, (long long)head_dim, cc);
    return NULL;
}

const gemm_impl_t *gemm_impl_find(const char *name)
{
    return TABLE_FIND(GEMM_IMPLS, name);
}

const gemm_impl_t *gemm_impl_at(size_t i)
{
    return i < sizeof GEMM_IMPLS / sizeof GEMM_IMPLS[0] ? &GEMM_IMPLS[i] : NULL;
}

typedef struct {
    int cc_min, cc_max, grouped;
    int a_bits;               /* activation element bits (0: any) */
    const char *impl;
    const char *source;
} gemm_default_t;

/* The library that chooses a GEMM's configuration where the caller names
 * neither a tile nor an impl with a list or rule of its own (cutlass,
 * marlin, none): what the development traces run on each family, first
 * matching row. */
static const gemm_default_t GEMM_DEFAULT_LIBS[] = {
    {0, 119, 0, 16, "cublas-nvjet", "traces/hopper: PyTorch dense bf16/fp8 GEMMs on H100/H200 are "
                                "cuBLASLt nvjet kernels"},
    {0, 119, 0, 8, "cublas-nvjet", "traces/hopper: fp8 dense GEMMs (torch._scaled_mm) are "
                                   "cuBLASLt nvjet qqtst kernels"},
    {0, 119, 1, 16, "torch-grouped-mm", "traces/hopper: PyTorch grouped GEMMs are torch._grouped_mm"},
    {120, 129, 0, 4, "flashinfer-mm-fp4", "vLLM/SGLang on SM12x: NVFP4 dense GEMMs through FlashInfer "
                                       "mm_fp4 (CUTLASS backend)"},
    {120, 129, 1, 4, "flashinfer-cutlass-moe", "vLLM/SGLang on SM12x: NVFP4 MoE through "
                                               "FlashInfer cutlass_fused_moe"},
    {0, 999, 0, 0, "cutlass", "no library's list known for the format: gbsim's generic set"},
    {0, 999, 1, 0, "cutlass", "no library's list known for the format: gbsim's generic set"},
};

const gemm_impl_t *gemm_impl_chooser(const gemm_impl_t *im, int cc, int grouped, int a_bits)
{
    if (im != NULL && strcmp(im->name, "cutlass") != 0 && (im->cands != NULL || im->rule != NULL))
        return im;
    for (size_t i = 0; i < sizeof GEMM_DEFAULT_LIBS / sizeof GEMM_DEFAULT_LIBS[0]; i++) {
        const gemm_default_t *r = &GEMM_DEFAULT_LIBS[i];
        if (cc >= r->cc_min && cc <= r->cc_max && grouped == r->grouped &&
            (r->a_bits == 0 || r->a_bits == a_bits)) {
            const gemm_impl_t *d = gemm_impl_find(r->impl);
            assert(d != NULL && (d->cands != NULL || d->rule != NULL));
            return d;
        }
    }
    return NULL;
}

const char *gemm_impl_names(void)
{
    return "cutlass, marlin, cublas-nvjet, torch-grouped-mm, flashinfer-mm-fp4, flashinfer-cutlass-moe";
}

const char *bound_name(bound_t b)
{
    static const char *const names[] = {"dram", "compute", "l2", "latency"};
    assert(b >= 0 && b < BOUND_COUNT);
    return names[b];
}

bound_t kresult_bound(const kresult_t *r)
{
    double dur = (double)(r->dur_ps > 0 ? r->dur_ps : 1);
    double f[] = {[BOUND_DRAM] = (double)r->dram_busy_ps / dur,
                  [BOUND_COMPUTE] = (double)r->unit_busy_max_ps / dur,
                  [BOUND_L2] = (double)r->l2_busy_ps / dur};
    bound_t b = BOUND_DRAM;
    for (int k = BOUND_COMPUTE; k <= BOUND_L2; k++)
        if (f[k] > f[b])
            b = (bound_t)k;
    return f[b] >= 0.6 ? b : BOUND_LATENCY;
}

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

/* Resident CTAs per SM allowed by threads and the CTA limit. */
static int occupancy(const arch_t *a, int threads, double smem_bytes)
{
    int by_threads = (int)(a->max_threads_per_sm / threads);
    int by_smem = smem_bytes > 0 ? (int)(a->smem_per_sm_bytes / smem_bytes) : by_threads;
    return imax(1, imin(imin(by_threads, by_smem), (int)a->max_ctas_per_sm));
}

/* ---------------------------------------------------------------- GEMV -- */

typedef struct {
    int n_ctas;
    int64_t rows;
    kitem_t full, last;   /* items of full and of the last (partial) CTA */
} gemv_ctx_t;

static int gemv_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    const gemv_ctx_t *g = k->ctx;
    if (idx > 0)
        return 0;
    *out = cta == g->n_ctas - 1 ? g->last : g->full;
    return 1;
}

/* Units are CTAs (one item each): all but the last CTA carry full rows. */
static int64_t gemv_repeat(const kspec_t *k, int64_t u, int64_t *period)
{
    const gemv_ctx_t *g = k->ctx;
    *period = 1;
    if (u >= g->n_ctas)
        return INT64_MAX;   /* no second items */
    int same = kexec_item_equal(&g->full, &g->last);
    return u < g->n_ctas - 1 && !same ? g->n_ctas - 1 : g->n_ctas;
}

static kitem_t gemv_make_item(const arch_t *a, const kdesc_t *d, int64_t rows)
{
    const gemv_impl_t *im = d->gemv;
    double row_bytes = (double)d->k * dtype_bytes_per_elem(d->b_dt);
    double bytes = row_bytes * (double)rows;
    double step_bytes = (double)im->threads * im->vec_bytes;
    int steps = (int)fmax(1, ceil(bytes / step_bytes));
    double x_bytes = (double)d->m * (double)d->k * dtype_bytes_per_elem(d->a_dt);
    kitem_t it = {
        .n_steps = steps,
        .dram_bytes = bytes / steps,
        .dram_run_bytes = im->k_tile > 0 ? im->k_tile * dtype_bytes_per_elem(d->b_dt) : 0,
        .tma = im->tma > 0,
        .tma_box_rows = im->tma,
        .l2_bytes = x_bytes / steps,
        .compute_cyc = (im->threads / 32.0) * (double)d->m *
                       fmax(im->inst_per_vec / a->issue_warp_inst_per_clk_sm,
                            im->ffma_per_vec / (a->fp32_flop_per_clk_sm / 64.0)),
        .epi_cyc = 64.0 + 16.0 * (double)rows * (double)d->m,
        .epi_dram_bytes = (double)rows * (double)d->m * d->out_bytes,
    };
    return it;
}

static int run_gemv(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    const gemv_impl_t *im = d->gemv;
    assert(im != NULL);
    if (d->m > im->max_cols) {
        snprintf(err, errlen, "%s handles at most %d token columns, got m=%lld", im->name,
                 im->max_cols, (long long)d->m);
        return -1;
    }
    double ctas = ceil((double)d->n / im->rows_per_cta);
    double steps = ceil((double)im->rows_per_cta * (double)d->k * dtype_bytes_per_elem(d->b_dt) /
                        ((double)im->threads * im->vec_bytes));
    if (ctas > KEXEC_MAX_COUNT || steps > KEXEC_MAX_COUNT) {
        snprintf(err, errlen, "%s: n=%lld k=%lld makes %.3g CTAs of %.3g steps; gbsim simulates at "
                 "most %d of each", im->name, (long long)d->n, (long long)d->k, ctas, steps,
                 KEXEC_MAX_COUNT);
        return -1;
    }
    gemv_ctx_t g = {.rows = d->n};
    g.n_ctas = (int)cdiv(d->n, im->rows_per_cta);
    int64_t last_rows = d->n - (int64_t)(g.n_ctas - 1) * im->rows_per_cta;
    g.full = gemv_make_item(a, d, im->rows_per_cta);
    g.last = gemv_make_item(a, d, last_rows);
    kspec_t k = {.n_ctas = g.n_ctas, .ctas_per_sm = occupancy(a, im->threads, 0),
                 .stages = im->loads_in_flight, .item = gemv_item, .repeat = gemv_repeat,
                 .ctx = &g};
    return kexec_run(a, &k, &o->r, err, errlen);
}

/* ---------------------------------------------------------- tiled GEMM -- */

static void gemm_opts_of(const kdesc_t *d, int tm, int tn, int tk, int swap, gemm_opts_t *o)
{
    *o = (gemm_opts_t){.a_dt = d->a_dt, .b_dt = d->b_dt, .out_bytes = d->out_bytes,
                       .tile_m = tm, .tile_n = tn, .tile_k = tk,
                       .sched = d->pingpong > 0 ? GEMM_PINGPONG : GEMM_COOP, .swap_ab = swap,
                       .relax = d->relax,
                       .sf_vec = d->sf_vec, .grouped = d->kind == KM_GROUPED_GEMM,
                       .split_k = d->split_k > 1 ? d->split_k : 1, .stages = d->stages,
                       .grid = d->grid_ctas, .cluster_m = d->cluster_m, .cluster_n = d->cluster_n};
}

/* Options for candidate c of a library's list (pingpong when pp), with the
 * descriptor's format and relaxations. */
static void cand_opts(const kdesc_t *d, const gemm_cand_t *c, int pp, gemm_opts_t *o)
{
    gemm_opts_of(d, c->tile_m, c->tile_n, c->tile_k, c->swap_ab, o);
    o->sched = pp ? GEMM_PINGPONG : GEMM_COOP;
    o->stream_k = c->stream_k;
    o->split_k = c->split_k > 1 ? c->split_k : 1;
    o->stages = c->stages;
    o->cluster_m = c->cluster_m;
    o->cluster_n = c->cluster_n;
}

/* One launch of the ksmall family named (a library's second kernel: split-K
 * reduce, group set-up, split-KV merge) with shape sh and the family's default
 * row of the embedded code table, in us including its own fixed per-kernel
 * cost. */
static int small_us(const arch_t *a, const char *family, ksmall_shape_t sh, double *us,
                    uint64_t *events, char *err, size_t errlen)
{
    ksmall_code_t code;
    if (ksmall_code_load_default(&code, err, errlen) != 0)
        return -1;
    kdesc_t k = {.kind = KM_ELEMENTWISE};
    int rc = ksmall_parse(&code, family, &k.small, err, errlen);
    assert(rc == 0 && "a second kernel names a family, which has a default row");
    k.small.shape = sh;
    kmodel_out_t o;
    rc = kmodel_run(a, &k, &o, err, errlen);
    ksmall_code_free(&code);
    if (rc != 0)
        return -1;
    *us = o.us;
    *events += o.events;
    return 0;
}

static int run_tgemm(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    gemm_problem_t p = {.m = d->m, .n = d->n, .k = d->k,
                        .groups = d->kind == KM_GROUPED_GEMM ? d->groups : 1, .a_in_l2 = d->a_in_l2};
    gemm_opts_t go;
    gemm_out_t g;
    /* the impl whose extra kernels run, and the main kernel's split-K */
    const gemm_impl_t *extra = d->gemm_impl;
    int split = d->split_k;
    if (d->tile_m) {
        /* a named tile without a schedule: the faster valid one of cooperative
         * and pingpong (e.g. TileM 64 exists only as pingpong) */
        gemm_opts_of(d, d->tile_m, d->tile_n, d->tile_k, d->swap_ab, &go);
        int ok = gemm_run(a, &go, &p, &g, err, errlen) == 0;
        o->events += ok ? g.r.events : 0;
        if (d->pingpong == 0) {
            gemm_out_t pp;
            char e[640];
            go.sched = GEMM_PINGPONG;
            /* only a faster pingpong matters: stop it at the cooperative's end */
            go.deadline_ps = ok ? g.r.dur_ps : 0;
            int pp_ok = gemm_run(a, &go, &p, &pp, e, sizeof e) == 0;
            o->events += pp_ok ? pp.r.events : 0;
            if (pp_ok && !pp.r.cut && (!ok || pp.r.dur_ps < g.r.dur_ps)) {
                g = pp;
                ok = 1;
            } else if (!ok && strcmp(g.cfg.rule, "cooperative_tile_m_at_least_128") == 0) {
                /* the tile exists only as pingpong: its reason is the one that matters */
                snprintf(err, errlen, "%s", e);
            }
        }
        if (!ok)
            return -1;
    } else {
        /* the library's rule: its heuristic's one configuration, or autotune
         * over its list; branch and bound: the valid candidates in order of
         * their lower bound (kexec_bound_ps); each runs only until the best
         * one so far ends, and none runs whose bound is not below it. Exact:
         * the result is the first candidate in list order of least duration. */
        int abits = dtype_info(d->a_dt)->elem_bits;
        const gemm_impl_t *ch = gemm_impl_chooser(d->gemm_impl, (int)a->cc,
                                                  d->kind == KM_GROUPED_GEMM, abits);
        assert(ch != NULL);
        const gemm_impl_t *lib = d->gemm_impl ? d->gemm_impl : ch;
        gemm_cand_t one;
        const gemm_cand_t *list = ch->cands;
        int nlist = ch->n_cands;
        if (ch->rule) {
            int rc = ch->rule((int)a->cc, d->m, d->n, d->k,
                              d->kind == KM_GROUPED_GEMM ? d->groups : 1, &one);
            assert(rc == 0);
            list = &one;
            nlist = 1;
        }
        enum { NCAND = 2 * 64 };
        assert(2 * nlist <= NCAND);
        struct {
            int idx;
            sim_ps_t bound;
        } cand[NCAND];
        int nc = 0, too_large = 0;
        char e[640], big[640] = "";
        for (int ci = 0; ci < 2 * nlist; ci++) {
            const gemm_cand_t *c = &list[ci / 2];
            int pp = ci % 2;
            if ((c->sched > 0 && !pp) || (c->sched < 0 && pp))
                continue;
            if (c->a_bits && c->a_bits != abits)
                continue;
            /* split-K partials need the library's reduce kernel */
            if (c->split_k > 1 && (d->kind == KM_GROUPED_GEMM || !lib->splitk_reduce_kernel))
                continue;
            cand_opts(d, c, pp, &go);
            sim_ps_t lb;
            int brc = gemm_bound(a, &go, &p, &lb, e, sizeof e);
            if (brc == GEMM_TOO_LARGE && !too_large++)
                snprintf(big, sizeof big, "%s", e);
            if (brc != 0)
                continue;
            /* insertion sort by (bound, list order) */
            int j = nc++;
            while (j > 0 && cand[j - 1].bound > lb) {
                cand[j] = cand[j - 1];
                j--;
            }
            cand[j].idx = ci;
            cand[j].bound = lb;
        }
        int found = 0, best_idx = 0;
        gemm_out_t best = {0};
        for (int j = 0; j < nc; j++) {
            int ci = cand[j].idx;
            if (found && (cand[j].bound > best.r.dur_ps ||
                          (cand[j].bound == best.r.dur_ps && ci > best_idx)))
                continue;
            cand_opts(d, &list[ci / 2], ci % 2, &go);
            /* still running at the best one's end: slower, stop there */
            go.deadline_ps = found ? best.r.dur_ps : 0;
            if (gemm_run(a, &go, &p, &g, e, sizeof e) != 0)
                continue;
            o->events += g.r.events;
            if (g.r.cut)
                continue;
            if (!found || g.r.dur_ps < best.r.dur_ps ||
                (g.r.dur_ps == best.r.dur_ps && ci < best_idx)) {
                best = g;
                best_idx = ci;
            }
            found = 1;
        }
        if (!found) {
            /* every valid candidate past the simulated limits: say so */
            if (too_large)
                snprintf(err, errlen, "%s", big);
            else
                snprintf(err, errlen, "%s: none of its configurations (models/kmodel.c) is valid "
                         "for %s x %s", ch->name, dtype_info(d->a_dt)->name,
                         dtype_info(d->b_dt)->name);
            return -1;
        }
        split = list[best_idx / 2].split_k;
        extra = lib;
        g = best;
    }
    o->r = g.r;
    o->hypothetical = g.cfg.hypothetical;
    o->tile_m = g.cfg.tile_m;
    o->tile_n = g.cfg.tile_n;
    o->tile_k = g.cfg.tile_k;
    o->stages = g.cfg.stages;
    /* a library that reduces split-K partials in a second kernel; the main
     * kernel (gemm.c) only wrote them, so nothing is counted twice */
    if (extra && extra->splitk_reduce_kernel && split > 1) {
        /* cublasLt::splitKreduce_kernel: the fp32 partials were just written,
         * so they sit in L2; no bias in a trace row */
        ksmall_shape_t sh = {.rows = d->m, .cols = d->n, .sel = split, .in_bytes = 2,
                             .out_bytes = d->out_bytes, .main = KS_L2};
        double us;
        if (small_us(a, "splitk_reduce", sh, &us, &o->events, err, errlen) != 0)
            return -1;
        o->extra_kernels += 1;
        o->extra_us += us;
    }
    if (extra && extra->prepare_kernel) {
        /* one thread per group reads the group offsets (written before the
         * call: DRAM in an isolated launch) and writes pointers and shapes */
        ksmall_shape_t sh = {.cols = d->kind == KM_GROUPED_GEMM ? d->groups : 1, .main = KS_DRAM};
        double us;
        if (small_us(a, "prepare_grouped", sh, &us, &o->events, err, errlen) != 0)
            return -1;
        o->extra_kernels += 1;
        o->extra_us += us;
    }
    return 0;
}

/* ----------------------------------------------------------- attention -- */

typedef struct {
    int n_ctas;
    kitem_t full, last;
    int per_head;
} attn_ctx_t;

static int attn_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    const attn_ctx_t *g = k->ctx;
    if (idx > 0)
        return 0;
    *out = (cta % g->per_head) == g->per_head - 1 ? g->last : g->full;
    return 1;
}

static kitem_t attn_make_item(const arch_t *a, const kdesc_t *d, int64_t tokens, int n_ctas,
                              int ctas_per_sm)
{
    const attn_impl_t *im = d->attn;
    double kv_elem = dtype_bytes_per_elem(d->kv_dt);
    int64_t group = d->heads_q / d->heads_kv;
    /* a CTA's query rows, padded to the MMA's M: a KV head's group x m, or one
     * query head's m */
    int64_t q_rows = im->per_q_head ? cdiv(d->m, cdiv(d->m, im->q_tile)) : group * d->m;
    double rows = fmax((double)im->q_tile, (double)q_rows);
    int steps = (int)fmax(1, (double)cdiv(tokens, im->kv_tile));
    double tile_tokens = (double)tokens / steps;
    double flop = 2.0 * 2.0 * rows * tile_tokens * (double)d->head_dim;
    double softmax_inst = rows * tile_tokens * 8.0 / 32.0;
    /* measured instruction counts: each warp issues its own at the lone-warp
     * rate (ksmall_issue_cyc for the CTAs sharing the SM). The set-up part runs
     * on each CTA's own producer, in parallel; the per-tile part runs on the
     * SM's execution unit, which serializes co-resident CTAs' steps, so a step
     * carries its share; a part-filled tile its share of a full one */
    double inst_cyc = 0, pre_cyc = 0;
    double per_sm = fmax(1.0, fmin((double)ctas_per_sm, ceil((double)n_ctas / a->n_sm)));
    if (im->inst_per_tile > 0) {
        double cpi = ksmall_issue_cyc(a, (int64_t)per_sm, im->threads);
        inst_cyc = im->inst_per_tile * fmin(1.0, tile_tokens / im->kv_tile) * cpi / per_sm;
        pre_cyc = im->inst_fixed * cpi;
    } else {
        inst_cyc = softmax_inst / a->issue_warp_inst_per_clk_sm;
    }
    /* a tile's waits for its dependent MMA groups: latency, exposed in a CTA
     * alone on its SM; another CTA's warpgroups issue during it (wgmmabench.cu:
     * a second issuing warpgroup hides it) */
    double wait_cyc = per_sm > 1 ? 0 : im->mma_waits_per_tile * a->mma_wait_cyc;
    double kv_bytes = tile_tokens * (double)d->head_dim * 2.0 * kv_elem;
    /* per query head: the group's CTAs read one KV head, one from DRAM and the
     * others from L2 (each CTA carries its share of both) */
    double dram_share = im->per_q_head ? 1.0 / (double)group : 1.0;
    kitem_t it = {
        .n_steps = steps,
        .dram_bytes = kv_bytes * dram_share,
        /* mma_bf16_flop_per_clk_sm is the wgmma dense peak on Hopper; the mma.sync
         * kernels here (FA2, cuDNN sm80) reach less, by no number cited yet */
        .compute_cyc = flop / a->mma_bf16_flop_per_clk_sm + inst_cyc + wait_cyc,
        .pre_cyc = pre_cyc,
        .l2_bytes = kv_bytes * (1.0 - dram_share),
        .epi_cyc = 64.0 + rows * (double)d->head_dim / 32.0,
        .epi_dram_bytes = (double)(q_rows * d->head_dim) * 4.0,
    };
    return it;
}

static int run_attention(const arch_t *a, const kdesc_t *d0, kmodel_out_t *o, char *err,
                         size_t errlen)
{
    assert(d0->attn != NULL);
    const attn_impl_t *im = attn_impl_pick(d0->attn, (int)a->cc, d0->m, d0->head_dim, d0->ctx, err,
                                           errlen);
    if (im == NULL)
        return -1;
    kdesc_t dd = *d0;
    dd.attn = im;
    const kdesc_t *d = &dd;
    int64_t splits, seqs = d->seqs > 0 ? d->seqs : 1;
    /* per query head: a CTA per q_tile query rows of each head */
    int64_t heads = seqs * (im->per_q_head ? d->heads_q * cdiv(d->m, im->q_tile) : d->heads_kv);
    if (d->grid_ctas > 0) {
        /* the grid the kernel launched: sequences x heads_kv (or heads_q) x splits CTAs */
        if (d->grid_ctas % heads != 0) {
            snprintf(err, errlen, "grid of %d CTAs is not a multiple of sequences x %s (%lld)",
                     d->grid_ctas, im->per_q_head ? "heads_q" : "heads_kv", (long long)heads);
            return -1;
        }
        splits = d->grid_ctas / heads;
    } else {
        if (im->max_splits > 0) {
            /* the library's own rule (attn_impl_t) */
            splits = d->ctx < im->split_min_ctx ? 1 : d->ctx / im->min_chunk;
            if (splits > im->max_splits)
                splits = im->max_splits;
            if (im->max_ctas > 0 && splits > im->max_ctas / heads)
                splits = im->max_ctas / heads;
        } else {
            /* split the KV sequence so that sequences x heads_kv x splits CTAs
             * fill the SMs, but never below min_chunk tokens per CTA */
            splits = cdiv((int64_t)a->n_sm, heads);
            int64_t max_splits = cdiv(d->ctx, im->min_chunk);
            if (splits > max_splits)
                splits = max_splits;
        }
        if (splits < 1)
            splits = 1;
    }
    if ((double)heads * (double)splits > KEXEC_MAX_COUNT ||
        (double)d->ctx / (double)splits / im->kv_tile > KEXEC_MAX_COUNT) {
        snprintf(err, errlen, "%s: ctx=%lld over %lld heads x %lld splits makes %.3g CTAs of "
                 "%.3g KV tiles; gbsim simulates at most %d of each", im->name, (long long)d->ctx,
                 (long long)heads, (long long)splits, (double)heads * (double)splits,
                 ceil((double)d->ctx / (double)splits / im->kv_tile), KEXEC_MAX_COUNT);
        return -1;
    }
    int64_t chunk = cdiv(d->ctx, splits);
    /* splits past the end of the context get no KV (a given grid may have
     * more than ctx allows): they exit at once and are not simulated */
    splits = cdiv(d->ctx, chunk);
    attn_ctx_t g = {.per_head = (int)splits};
    g.n_ctas = (int)(heads * splits);
    int per_sm = occupancy(a, im->threads, im->smem_bytes);
    g.full = attn_make_item(a, d, chunk, g.n_ctas, per_sm);
    g.last = attn_make_item(a, d, d->ctx - chunk * (splits - 1), g.n_ctas, per_sm);
    kspec_t k = {.n_ctas = g.n_ctas, .ctas_per_sm = per_sm,
                 .stages = im->stages, .item = attn_item, .ctx = &g};
    if (kexec_run(a, &k, &o->r, err, errlen) != 0)
        return -1;
    if (splits > 1 && im->merge_kernel) {
        o->extra_kernels = 1;
        if (im->merge_family) {
            /* partial outputs and statistics were just written: L2 */
            ksmall_shape_t sh = {.rows = seqs * d->heads_q * d->m, .cols = d->head_dim, .sel = splits,
                                 .in_bytes = 4, .out_bytes = 2, .main = KS_L2};
            return small_us(a, im->merge_family, sh, &o->extra_us, &o->events, err, errlen);
        }
        kdesc_t m = {.kind = KM_ELEMENTWISE,
                     .bytes = (double)(splits + 1) * (double)(seqs * d->heads_q * d->m * d->head_dim) * 4.0,
                     .rows = seqs * d->heads_q * d->m, .inst_per_byte = 0.5, .hot_in_l2 = 1};
        kmodel_out_t mo = {0};
        if (kmodel_run(a, &m, &mo, err, errlen) != 0)
            return -1;
        o->extra_us = mo.us;
        o->events += mo.events;
    }
    return 0;
}

/* --------------------------------------------------------- elementwise -- */

typedef struct {
    kitem_t it;
} ew_ctx_t;

static int ew_item(const kspec_t *k, int cta, int idx, kitem_t *out)
{
    (void)cta;
    if (idx > 0)
        return 0;
    *out = ((const ew_ctx_t *)k->ctx)->it;
    return 1;
}

static int run_elementwise(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    const int threads = 256, vec = 16, in_flight = 4;
    double step_bytes = threads * vec;
    int64_t ctas = d->rows > 0 ? d->rows : (int64_t)ceil(d->bytes / (step_bytes * in_flight));
    int64_t max_ctas = (int64_t)a->n_sm * 8;
    if (ctas > max_ctas)
        ctas = max_ctas;
    if (ctas < 1)
        ctas = 1;
    double per_cta = d->bytes / (double)ctas;
    if (per_cta / step_bytes > KEXEC_MAX_COUNT) {
        snprintf(err, errlen, "elementwise: %.6g bytes over %lld CTAs makes %.3g steps per CTA; "
                 "gbsim simulates at most %d", d->bytes, (long long)ctas, ceil(per_cta / step_bytes),
                 KEXEC_MAX_COUNT);
        return -1;
    }
    int steps = (int)fmax(1, ceil(per_cta / step_bytes));
    ew_ctx_t g = {.it = {
        .n_steps = steps,
        .dram_bytes = d->hot_in_l2 ? 0 : per_cta / steps,
        .l2_bytes = d->hot_in_l2 ? per_cta / steps : 0,
        .compute_cyc = d->inst_per_byte * (per_cta / steps) / 32.0 / a->issue_warp_inst_per_clk_sm,
        .epi_cyc = 100.0, /* block-wide reduction or final barrier */
    }};
    kspec_t k = {.n_ctas = (int)ctas, .ctas_per_sm = occupancy(a, threads, 0), .stages = in_flight,
                 .item = ew_item, .ctx = &g};
    return kexec_run(a, &k, &o->r, err, errlen);
}

/* ------------------------------------------------------------ dispatch -- */

int kmodel_run(const arch_t *a, const kdesc_t *d, kmodel_out_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    int rc;
    double unique = 0;
    switch (d->kind) {
    case KM_GEMV:
        rc = run_gemv(a, d, o, err, errlen);
        unique = (double)d->n * (double)d->k * dtype_bytes_per_elem(d->b_dt);
        break;
    case KM_GEMM:
    case KM_GROUPED_GEMM:
        rc = run_tgemm(a, d, o, err, errlen);
        unique = (double)d->n * (double)d->k * dtype_bytes_per_elem(d->b_dt) *
                 (d->kind == KM_GROUPED_GEMM ? (double)d->groups : 1.0);
        break;
    case KM_ATTENTION:
        rc = run_attention(a, d, o, err, errlen);
        unique = (double)(d->seqs > 0 ? d->seqs : 1) * (double)d->ctx *
                 (double)(d->heads_kv * d->head_dim) * 2.0 * dtype_bytes_per_elem(d->kv_dt);
        break;
    case KM_ELEMENTWISE:
        rc = d->small.family ? ksmall_run(a, &d->small, &o->r, err, errlen)
                             : run_elementwise(a, d, o, err, errlen);
        /* a small-kernel family counts its own DRAM bytes */
        unique = d->small.family ? o->r.dram_bytes : d->hot_in_l2 ? 0 : d->bytes;
        break;
    default:
        assert(0 && "unknown kernel model kind");
        return -1;
    }
    if (rc != 0)
        return rc;
    if (d->kind != KM_GEMM && d->kind != KM_GROUPED_GEMM)
        o->events += o->r.events;  /* the GEMM search counts its own */
    double dur_us = (double)o->r.dur_ps * 1e-6;
    o->us = dur_us + a->kernel_fixed_ns * 1e-3 + o->extra_us;
    o->ideal_us = unique / (arch_dram_bw_bytes_per_ps(a) * 1e6);
    o->bound = kresult_bound(&o->r);
    return 0;
}

/* --------------------------------------------------------------- memo -- */

/* An entry's key: the arch and the descriptor as bytes, the functor's text
 * and the code-table row's counts in place of their pointers (into the
 * caller's string and table). Equal bytes are equal inputs; unequal bytes from
 * differing padding only cost a run. */
typedef struct {
    arch_t arch;
    kdesc_t desc;
    char functor[64];
    double code[3];   /* fixed_warp_inst, per_trip_warp_inst, code_fetches */
} memo_key_t;

struct kmodel_memo {
    pthread_mutex_t mu;      /* guards everything below; not held while a kernel runs */
    htab_t *out;             /* memo_key_t bytes -> kmodel_out_t, at most max of them */
    size_t max;
    uint64_t hits, misses;
};

kmodel_memo_t *kmodel_memo_create(size_t max_entries)
{
    kmodel_memo_t *m = calloc(1, sizeof *m);
    assert(m != NULL);
    pthread_mutex_init(&m->mu, NULL);
    m->out = htab_create(sizeof(kmodel_out_t));
    assert(m->out != NULL);
    m->max = max_entries;
    return m;
}

void kmodel_memo_free(kmodel_memo_t *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->mu);
    htab_free(m->out);
    free(m);
}

void kmodel_memo_counts(kmodel_memo_t *m, uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&m->mu);
    *hits = m->hits;
    *misses = m->misses;
    pthread_mutex_unlock(&m->mu);
}

int kmodel_run_memo(kmodel_memo_t *m, const arch_t *a, const kdesc_t *d, kmodel_out_t *out,
                    char *err, size_t errlen)
{
    if (m == NULL)
        return kmodel_run(a, d, out, err, errlen);
    memo_key_t *k = calloc(1, sizeof *k);
    assert(k != NULL);
    memcpy(&k->arch, a, sizeof *a);
    memcpy(&k->desc, d, sizeof *d);
    k->desc.small.functor = NULL;
    k->desc.small.code = NULL;
    if (d->small.code != NULL) {
        k->code[0] = d->small.code->fixed_warp_inst;
        k->code[1] = d->small.code->per_trip_warp_inst;
        k->code[2] = d->small.code->code_fetches;
    }
    int fits = 1;
    if (d->small.functor != NULL)
        fits = snprintf(k->functor, sizeof k->functor, "%s", d->small.functor) < (int)sizeof k->functor;
    pthread_mutex_lock(&m->mu);
    const kmodel_out_t *kept = fits ? htab_find(m->out, k, sizeof *k) : NULL;
    if (kept != NULL) {
        *out = *kept;
        out->events = 0;
        m->hits++;
        pthread_mutex_unlock(&m->mu);
        free(k);
        return 0;
    }
    m->misses++;
    pthread_mutex_unlock(&m->mu);
    /* another thread may run the same kernel meanwhile: the same output */
    int rc = kmodel_run(a, d, out, err, errlen);
    pthread_mutex_lock(&m->mu);
    /* out of memory keeps nothing: an equal call runs again */
    kmodel_out_t *v;
    int added;
    if (rc == 0 && fits && htab_count(m->out) < m->max &&
        (v = htab_put(m->out, k, sizeof *k, &added)) != NULL && added)
        *v = *out;
    pthread_mutex_unlock(&m->mu);
    free(k);
    return rc;
}
