/* ksmall.c -- critical-path model of latency-bound small kernels (ksmall.h).
 *
 * FAMILIES[] holds one row per kernel family: the kernel as CUPTI names it, the
 * function that turns a launch's shape into counts, and the sources the launch
 * rule and the counts were read from (pytorch/pytorch at the 2.11 era; cuBLAS
 * and cuDNN are closed and their rows say "assumption:"). Counts are never
 * adjusted to a measured duration. */
#include "models/ksmall.h"

#include "models/preset.h"
#include "sim/csvrec.h"
#include "sim/table.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT "pytorch/pytorch aten/src/ATen/native/cuda/"

/* ------------------------------------------------------- step costs -- */

/* The barrier, shared-memory, shuffle and L1 step costs and the cost per
 * instruction are arch keys (ks_..._cyc in models/data/arch/ files, each with its
 * GPU and source; presets not measured carry H100's cycles by a stated
 * transfer rule and a range). Barrier and tree steps are measured at 32, 128
 * and 512 threads per CTA; between them the cost is interpolated linearly in
 * threads, beyond 512 extrapolated from the 128..512 slope. Warp schedulers
 * per SM: issue_warp_inst_per_clk_sm (one instruction per scheduler per
 * clock). */

static double interp_sync(const arch_t *a, int threads, int tree)
{
    const double x[3] = {32, 128, 512};
    const double y[3] = {tree ? a->ks_tree_32thr_cyc : a->ks_bar_32thr_cyc,
                         tree ? a->ks_tree_128thr_cyc : a->ks_bar_128thr_cyc,
                         tree ? a->ks_tree_512thr_cyc : a->ks_bar_512thr_cyc};
    int i = threads > x[1] ? 2 : 1;
    double t = threads < x[0] ? x[0] : (double)threads;
    return y[i - 1] + (y[i] - y[i - 1]) * (t - x[i - 1]) / (x[i] - x[i - 1]);
}

/* ----------------------------------------------------------- helpers -- */

static int64_t cdiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int ilog2(int64_t n)  /* floor(log2(n)), n >= 1 */
{
    int r = 0;
    while (n > 1) {
        n >>= 1;
        r++;
    }
    return r;
}

static int64_t last_pow2(int64_t n)  /* Reduce.cuh last_pow2: largest power of 2 <= n, >= 1 */
{
    return n < 1 ? 1 : (int64_t)1 << ilog2(n);
}

static int64_t next_pow2(int64_t n)
{
    int64_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static ks_level_t slower(ks_level_t a, ks_level_t b)
{
    return a > b ? a : b;
}

/* n round trips served at level lv (KS_NONE adds nothing) */
static void add_rt(ksmall_counts_t *c, ks_level_t lv, double n)
{
    switch (lv) {
    case KS_DRAM: c->rt_dram += n; break;
    case KS_L2: c->rt_l2 += n; break;
    case KS_L1: c->rt_l1 += n; break;
    case KS_NONE: break;
    }
}

static void add_bytes(ksmall_counts_t *c, ks_level_t lv, double bytes)
{
    if (lv == KS_DRAM)
        c->dram_bytes += bytes;
    else if (lv != KS_NONE)
        c->l2_bytes += bytes;
}

/* bytes of an elementwise launch: the first input at main, the others at
 * side when there is one, the output written to L2 */
static void ew_bytes(const ksmall_shape_t *s, ksmall_counts_t *c)
{
    double n = (double)s->n;
    add_bytes(c, s->main, n * s->in_bytes);
    if (s->n_in > 1)
        add_bytes(c, s->side != KS_NONE ? s->side : s->main, n * s->in_bytes * (s->n_in - 1));
    add_bytes(c, KS_L2, n * s->out_bytes);
}

static int need(int ok, const char *what, char *err, size_t errlen)
{
    if (!ok)
        snprintf(err, errlen, "ksmall: %s", what);
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------ rules -- */

/* rms_norm: vectorized_layer_norm_kernel<T, T_ACC, rms_norm=true>. */
static int counts_rms_norm(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                           char *err, size_t errlen)
{
    (void)a;
    if (need(s->rows >= 1 && s->cols >= 1, "rms_norm needs rows and cols", err, errlen))
        return -1;
    const int vec = 4, threads = 128, warps = threads / 32;
    int64_t iters = cdiv(cdiv(s->cols, vec), threads);
    c->ctas = s->rows;
    c->threads = threads;
    c->trips = (double)iters;
    add_rt(c, s->main, (double)iters);                     /* compute_stats loop over X */
    c->shfl = 5;                                           /* intra-warp WARP_SHFL_DOWN 16..1 */
    c->tree = ilog2(warps);                                /* inter-warp offsets 2, 1 */
    c->bar = ilog2(warps) + 1;                             /* second barrier per offset + final */
    c->smem = 1;                                           /* read back meansigmabuf */
    add_rt(c, slower(s->side, KS_L1), (double)iters);      /* gamma after the last Y store; X hits L1 */
    double n = (double)s->rows * (double)s->cols;
    add_bytes(c, s->main, n * s->in_bytes);
    add_bytes(c, s->side, (double)s->cols * s->in_bytes);
    add_bytes(c, KS_L2, n * s->out_bytes);
    return 0;
}

/* elementwise_kernel<128, vt> of a non-contiguous TensorIterator. */
static int counts_ew_strided(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                             char *err, size_t errlen)
{
    (void)a;
    if (need(s->n >= 1, "ew_strided needs n", err, errlen))
        return -1;
    const int nt = 128, vt = s->out_bytes >= 4 ? 2 : 4;
    int64_t iters = cdiv(s->n, nt) < vt ? cdiv(s->n, nt) : vt;
    c->ctas = cdiv(s->n, (int64_t)nt * vt);
    c->threads = nt;
    add_rt(c, slower(s->main, s->side), 1);     /* the first load waits for both operands */
    add_rt(c, s->main, (double)(iters - 1));    /* each later load waits behind the last store */
    ew_bytes(s, c);
    return 0;
}

/* vectorized_elementwise_kernel<vec> (8 elements per thread) and
 * unrolled_elementwise_kernel (4): one round trip, no loop. */
static int ew_flat(const ksmall_shape_t *s, ksmall_counts_t *c, int per_thread, const char *what,
                   char *err, size_t errlen)
{
    if (need(s->n >= 1, what, err, errlen))
        return -1;
    const int nt = 128;
    c->ctas = cdiv(s->n, (int64_t)nt * per_thread);
    c->threads = nt;
    add_rt(c, slower(s->main, s->side), 1);
    ew_bytes(s, c);
    return 0;
}

static int counts_ew_vector(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                            char *err, size_t errlen)
{
    (void)a;
    return ew_flat(s, c, 8, "ew_vector needs n", err, errlen);
}

static int counts_ew_unrolled(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                              char *err, size_t errlen)
{
    (void)a;
    return ew_flat(s, c, 4, "ew_unrolled needs n", err, errlen);
}

/* sbtopk::gatherTopK: radixSelect, then the two gather passes. */
static int counts_gather_topk(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                              char *err, size_t errlen)
{
    (void)a;
    if (need(s->rows >= 1 && s->cols >= 1 && s->sel >= 1 && s->in_bytes >= 1,
             "gather_topk needs rows, cols, sel and in_bytes", err, errlen))
        return -1;
    int threads = (int)(cdiv(s->cols, 32) * 32);
    if (threads > 1024)
        threads = 1024;
    const int radix_bits = 2, warps = threads / 32;
    int passes = s->in_bytes * 8 / radix_bits;
    int64_t iters = cdiv(s->cols, threads);
    c->ctas = s->rows;
    c->threads = threads;
    c->trips = warps;
    /* countRadixUsingMask per digit: barrier, iters loads, lane-0 shared
     * atomics (independent per digit), barrier, shared read, barrier */
    add_rt(c, s->main, 1);                                  /* the slice's first read */
    add_rt(c, KS_L1, (double)(passes * iters - 1));        /* doLdg re-reads hit L1 */
    c->bar += 3.0 * passes;
    c->smem_atomic += passes;
    c->smem += passes;
    /* gather phases 1 and 2: per iteration a load and exclusiveBinaryPrefixScan
     * (3 barriers; thread 0 walks the warp counts; each thread reads its carry) */
    add_rt(c, KS_L1, 2.0 * (double)iters);
    c->bar += 2.0 * 3.0 * (double)iters;
    c->smem += 2.0 * (double)iters * (warps + 1);
    double n = (double)s->rows * (double)s->cols;
    add_bytes(c, s->main, n * s->in_bytes);
    add_bytes(c, KS_L2, (double)s->rows * (double)s->sel * (s->out_bytes + 8));
    return 0;
}

/* bitonicSortKVInPlace<KeyDims, ValueDims, 16, 16> (sorts of <= 32). */
static int counts_bitonic_sort(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                               char *err, size_t errlen)
{
    if (need(s->rows >= 1 && s->sel >= 1, "bitonic_sort needs rows and sel", err, errlen))
        return -1;
    if (s->sel > 32) {
        snprintf(err, errlen, "ksmall: bitonic_sort covers sorts of <= 32 keys, got %lld "
                 "(PyTorch switches to warpMergeSortKVInPlace)", (long long)s->sel);
        return -1;
    }
    const int sort_size = 32, block_x = sort_size / 2, max_block_y = 16;
    /* SmallBitonicSort: block_y = min(16, max(1, slices / min_grid)), min_grid =
     * the grid that fills the device at full occupancy of 16 x 16 threads
     * (registers not counted) */
    int64_t min_grid = (int64_t)a->n_sm * (int64_t)(a->max_threads_per_sm / (block_x * max_block_y));
    int64_t batch = s->rows / (min_grid > 0 ? min_grid : 1);
    int block_y = batch < 1 ? 1 : batch > max_block_y ? max_block_y : (int)batch;
    c->ctas = cdiv(s->rows, block_y);
    c->threads = block_x * block_y;
    add_rt(c, s->main, 1);                    /* keys and values, 2 items per thread */
    for (int size = 2; size < sort_size; size *= 2)
        c->tree += ilog2(size);               /* strides size/2 .. 1 */
    c->tree += ilog2(sort_size);              /* final merge, strides 16 .. 1 */
    c->smem += 5.0 * c->tree;                 /* bitonicSwap's 6 dependent loads, 1 in the tree step */
    c->bar = 1;                               /* barrier before the store */
    double n = (double)s->rows * (double)s->sel;
    add_bytes(c, s->main, n * (s->in_bytes + 8));
    add_bytes(c, KS_L2, n * (s->out_bytes + 8));
    return 0;
}

/* softmax_warp_forward<input, output, acc, log2_elements, ...>. */
static int counts_softmax_warp(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                               char *err, size_t errlen)
{
    (void)a;
    if (need(s->rows >= 1 && s->n >= s->rows, "softmax_warp needs rows and n", err, errlen))
        return -1;
    int64_t len = s->n / s->rows;
    if (need(len <= 2048, "softmax_warp covers rows of <= 2048", err, errlen))
        return -1;
    int64_t p2 = next_pow2(len);
    int warp = p2 < 32 ? (int)p2 : 32;
    int batch = p2 <= 128 ? 2 : 1;
    const int threads = 128;
    c->ctas = cdiv(s->rows, (int64_t)(threads / warp) * batch);
    c->threads = threads;
    add_rt(c, s->main, 1);            /* WARP_BATCH x WARP_ITERATIONS loads, unrolled */
    c->shfl = 2.0 * ilog2(warp);      /* warp_reduce Max, then Add */
    ew_bytes(s, c);
    return 0;
}

/* Reduce.cuh setReduceConfig for a contiguous input, reduced either over the
 * fastest-moving dimension (inner) or over a strided one (outer). */
typedef struct {
    int block_width, block_height, threads, output_vec, input_vec;
    int split_x, split_y;                 /* input_mult[BLOCK_X], [BLOCK_Y] set */
    int64_t step_input, step_output, ctas_per_output, grid_x, values_per_thread;
} reduce_cfg_t;

static void reduce_config(int64_t outputs, int64_t inputs, int inner, int n_sm,
                          int max_threads_per_sm, reduce_cfg_t *r)
{
    const int vt0 = 4, warp = 32, mnt = 512;
    memset(r, 0, sizeof *r);
    r->output_vec = 1;
    r->input_vec = 1;
    r->step_input = 1;
    r->step_output = 1;
    r->ctas_per_output = 1;
    int64_t dim0 = inner ? inputs : outputs, dim1 = inner ? outputs : inputs;
    if (inner && dim0 >= 128) {          /* "vectorize along input" */
        r->input_vec = vt0;
        dim0 /= vt0;
    } else if (!inner) {                 /* "vectorize along output" (get_output_vec_size) */
        r->output_vec = 4;
        while (outputs % r->output_vec != 0)
            r->output_vec /= 2;
        dim0 /= r->output_vec;
    }
    int64_t max_nt = mnt / r->output_vec;   /* set_block_dimension */
    int64_t d0 = dim0 < max_nt ? last_pow2(dim0) : max_nt;
    int64_t d1 = dim1 < max_nt ? last_pow2(dim1) : max_nt;
    int64_t bw = d0 < warp ? d0 : warp;
    int64_t bh = d1 < max_nt / bw ? d1 : max_nt / bw;
    bw = d0 < max_nt / bh ? d0 : max_nt / bh;
    r->block_width = (int)bw;
    r->block_height = (int)bh;
    r->threads = (int)(bw * bh);
    if (inner) {
        r->split_x = 1;
        r->step_input *= bw;
    } else {
        r->step_output *= bw;
    }
    int64_t thr = bh * 16 < 256 ? bh * 16 : 256;
    if (cdiv(inputs, r->step_input) >= thr) {
        r->split_y = 1;
        r->step_input *= bh;
    } else {
        r->step_output *= bh;
    }
    r->grid_x = cdiv(outputs / r->output_vec, r->step_output);
    int64_t target = (int64_t)n_sm * (max_threads_per_sm / r->threads);
    int64_t vpt = cdiv(inputs, r->step_input);
    if (r->split_y && vpt >= 256 && r->grid_x <= target) {
        int64_t c1 = cdiv(target, r->grid_x), c2 = cdiv(vpt, 16), c3 = cdiv(vpt, 256);
        int64_t m = c1 < c2 ? c1 : c2;
        r->ctas_per_output = m > c3 ? m : c3;
        if (r->ctas_per_output > 1)
            r->step_input *= r->ctas_per_output;
    }
    r->values_per_thread = cdiv(inputs, r->step_input);
}

/* block_y_reduce and block_x_reduce of ReduceOp */
static void reduce_block(const reduce_cfg_t *r, ksmall_counts_t *c)
{
    if (r->split_y)
        c->tree += ilog2(r->block_height);
    if (r->split_x) {
        if (r->block_width > 32)
            c->tree += ilog2(r->block_width / 32);
        c->bar += 1;
        c->shfl += ilog2(r->block_width < 32 ? r->block_width : 32);
    }
}

/* The launch rule reads multiProcessorCount and maxThreadsPerMultiProcessor
 * off the device: the arch's n_sm and max_threads_per_sm. */
static int reduce_counts(const arch_t *a, const ksmall_shape_t *s, int inner, ksmall_counts_t *c,
                         char *err, size_t errlen)
{
    if (need(s->rows >= 1 && s->cols >= 1, "reduce needs rows (outputs) and cols (inputs)",
             err, errlen))
        return -1;
    reduce_cfg_t r;
    reduce_config(s->rows, s->cols, inner, (int)a->n_sm, (int)a->max_threads_per_sm, &r);
    c->ctas = r.grid_x * r.ctas_per_output;
    c->threads = r.threads;
    int per_iter = inner ? r.input_vec : 4;           /* a vector, or vt0 unrolled loads */
    c->trips = (double)cdiv(r.values_per_thread, per_iter);
    add_rt(c, s->main, c->trips);
    reduce_block(&r, c);
    if (r.ctas_per_output > 1) {
        /* global_reduce: staging store + __threadfence, mark_block_finished
         * (barrier, global atomicAdd, barrier, shared flag); the last CTA
         * re-reads the staged partials and reduces them again */
        add_rt(c, KS_L2, 1 + 1 + (double)cdiv(r.ctas_per_output, r.threads));
        c->bar += 3;
        c->smem += 1;
        reduce_block(&r, c);
    }
    double n = (double)s->rows * (double)s->cols;
    add_bytes(c, s->main, n * s->in_bytes);
    add_bytes(c, KS_L2, (double)s->rows * s->out_bytes);
    return 0;
}

static int counts_reduce_outer(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                               char *err, size_t errlen)
{
    return reduce_counts(a, s, 0, c, err, errlen);
}

static int counts_reduce_inner(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                               char *err, size_t errlen)
{
    return reduce_counts(a, s, 1, c, err, errlen);
}

/* prepare_grouped_gemm_data<<<1, group_count>>>. */
static int counts_prepare_grouped(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                                  char *err, size_t errlen)
{
    (void)a;
    if (need(s->cols >= 1 && s->cols <= 1024, "prepare_grouped needs 1..1024 groups (cols)",
             err, errlen))
        return -1;
    c->ctas = 1;
    c->threads = (int)s->cols;
    add_rt(c, slower(s->main, s->side), 1);   /* offs[tid-1], offs[tid]: independent */
    add_bytes(c, slower(s->main, s->side), (double)s->cols * 4);
    add_bytes(c, KS_L2, (double)s->cols * (3 * 8 + 3 * 8 + 12));  /* pointers, strides, shape */
    return 0;
}

/* cublasLt::splitKreduce_kernel<32, 16, ...>: closed source. */
static int counts_splitk_reduce(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                                char *err, size_t errlen)
{
    (void)a;
    if (need(s->rows >= 1 && s->cols >= 1 && s->sel >= 1,
             "splitk_reduce needs rows, cols (outputs) and sel (K splits)", err, errlen))
        return -1;
    c->ctas = cdiv(s->rows, 16) * cdiv(s->cols, 32);
    c->threads = 32 * 16;
    add_rt(c, slower(s->main, s->side), 1);   /* partials and bias, independent */
    c->tree = ilog2(16);                      /* the 16 thread rows combine in shared memory */
    double n = (double)s->rows * (double)s->cols;
    add_bytes(c, s->main, n * 4.0 * (double)s->sel);
    add_bytes(c, s->side, (double)s->cols * s->in_bytes);
    add_bytes(c, KS_L2, n * s->out_bytes);
    return 0;
}

/* cudnn::fusion::lean_reduction_kernel: closed source. */
static int counts_lean_reduction(const arch_t *a, const ksmall_shape_t *s, ksmall_counts_t *c,
                                 char *err, size_t errlen)
{
    (void)a;
    if (need(s->rows >= 1 && s->cols >= 1 && s->sel >= 1,
             "lean_reduction needs rows (heads), cols (head_dim) and sel (KV splits)", err, errlen))
        return -1;
    const int threads = 256;
    c->ctas = s->rows;
    c->threads = threads;
    c->trips = (double)s->sel;
    add_rt(c, s->main, 2);            /* split statistics, then the rescaled partial outputs */
    c->shfl = 5;                      /* max / sum over splits: a warp, */
    c->tree = ilog2(threads / 32);    /* then across the CTA's warps */
    double n = (double)s->rows * (double)s->cols;
    add_bytes(c, s->main, n * 4.0 * (double)s->sel + (double)s->rows * 8.0 * (double)s->sel);
    add_bytes(c, KS_L2, n * s->out_bytes);
    return 0;
}

/* ------------------------------------------------------------- table -- */

static const ksmall_family_t FAMILIES[] = {
    {"rms_norm", "vectorized_layer_norm_kernel", counts_rms_norm,
     PT "layer_norm_kernel.cu launch_vectorized_layer_norm_kernel: blocks(M), threads(warp_size, "
        "num_threads()/warp_size) = 32 x 4 (thread_constants.h num_threads() = 4 warps)",
     PT "layer_norm_kernel.cu vectorized_layer_norm_kernel_impl<T, T_ACC, rms_norm=true>: "
        "compute_stats loop `for (i = thrx; i < N/vec_size; i += numx)` (vec_size 4) has a "
        "run-time trip count and no #pragma unroll, so it is not unrolled (CUDA C++ Programming "
        "Guide, #pragma unroll: 'the compiler unrolls small loops with a known trip count'): "
        "ceil(N/512) round trips on X; 5 WARP_SHFL_DOWN steps; inter-warp loop offset = 2, 1 "
        "(tree step + second __syncthreads each), final __syncthreads, shared read-back; the "
        "output loop, same trip count, loads gamma_vec[i] after the previous iteration's Y_vec "
        "store (gamma and Y are not __restrict__), so ceil(N/512) more round trips on gamma (X "
        "re-read hits L1)"},
    {"ew_strided", "elementwise_kernel<128,", counts_ew_strided,
     PT "CUDALoops.cuh gpu_kernel_impl_nocast: a non-contiguous iterator (strided view, "
        "broadcast, expand) -> launch_legacy_kernel<128, unroll_factor>, unroll_factor = "
        "sizeof(out) >= 4 ? 2 : 4; grid ceil(N / (128 vt))",
     PT "CUDALoops.cuh elementwise_kernel<nt, vt>: `#pragma unroll for i < vt: f(idx)`, f loads "
        "through offset_calc and stores *out; out is not restrict-qualified against the inputs, "
        "so load i+1 cannot move above store i, which waits for load i: min(vt, ceil(N/128)) "
        "dependent round trips; the first also waits for a broadcast operand, whose later "
        "re-reads hit L1"},
    {"ew_vector", "vectorized_elementwise_kernel", counts_ew_vector,
     PT "CUDALoops.cuh launch_vectorized_kernel (contiguous iterator): grid ceil(N / "
        "io_block_work_size), io_block_work_size = num_threads() 128 x elems_per_thread 8 "
        "(io_size > 1)",
     PT "CUDALoops.cuh vectorized_elementwise_kernel -> elementwise_kernel_helper: "
        "policies::vectorized (full blocks) and policies::unroll (the tail block) load every "
        "element of the thread in #pragma unroll loops of compile-time trip count before "
        "computing and storing: one round trip, at the slower operand"},
    {"ew_unrolled", "unrolled_elementwise_kernel", counts_ew_unrolled,
     PT "CUDALoops.cuh gpu_kernel_impl (dynamic casting, e.g. bf16 -> fp32 copy) -> "
        "launch_unrolled_kernel: grid ceil(N / block_work_size()), block_work_size = 4 x 128",
     PT "CUDALoops.cuh unrolled_elementwise_kernel: policies::unroll loads all thread_work_size "
        "elements (#pragma unroll) before computing and storing: one round trip"},
    {"gather_topk", "gatherTopK", counts_gather_topk,
     PT "TensorTopK.cu launch_gather_topk_kernel (sbtopk): grid = slices, block = "
        "min(round_up(slice, warp), 1024)",
     PT "SortingRadixSelect.cuh radixSelect: digit loop from sizeof(T)*8 - RADIX_BITS down by "
        "RADIX_BITS = 2 (8 passes for 16-bit keys; an early found_unique exit swaps the rest for "
        "one findPattern pass of the same shape), each countRadixUsingMask: __syncthreads, "
        "ceil(slice/threads) doLdg (the first from the operand, then L1), lane-0 shared "
        "atomicAdd per digit, __syncthreads, shared read, __syncthreads; then TensorTopK.cu "
        "gatherTopK phases 1 and 2: per iteration a doLdg and at::cuda::exclusiveBinaryPrefixScan "
        "(ScanUtils.cuh: 3 __syncthreads, thread 0 walks blockDim/32 warp counts, one carry read)"},
    {"bitonic_sort", "bitonicSortKVInPlace", counts_bitonic_sort,
     PT "Sort.cpp SmallBitonicSort (sort sizes <= 32): block (16, min(16, slices/min_grid)), 2 "
        "items per thread",
     PT "SortUtils.cuh bitonicSortKVInPlace: keys and values loaded together (one round trip), "
        "bitonicSort<32>: for size 2..16 log2(size) compare-exchange steps, then log2(32) merge "
        "steps, each a __syncthreads and a shared read/compare/write (15 tree steps), final "
        "__syncthreads, store; bitonicSwap evaluates `(comp(kA, kB) && validA) || !validB` "
        "(GTOp<T, true>: `(_isnan(a) && !_isnan(b)) || a > b`) with short-circuit branches on "
        "operands that live in shared memory, then swaps values and valid flags, so each step "
        "waits on 6 shared loads in turn: kA, kB, validA, validB, the values, the flags (the "
        "order read in the kernel's SASS, ncu SourceCounters on nvidia-h200, 2026-12-03: "
        "LDS kA -> FSETP -> BRA -> LDS kB -> ... -> LDS.64 x2 -> STS.64 x2 -> LDS.U8 x2 -> "
        "STS.U8 x2 -> BAR); the tree step holds one, 5 more per step are smem steps"},
    {"softmax_warp", "softmax_warp_forward", counts_softmax_warp,
     PT "PersistentSoftmax.cuh dispatch_softmax_forward: warp_size = min(next_pow2(dim), 32), "
        "WARP_BATCH = next_pow2 <= 128 ? 2 : 1, 128 threads as (warp_size, 128/warp_size), grid "
        "ceil(rows / (128/warp_size x WARP_BATCH))",
     PT "PersistentSoftmax.cuh softmax_warp_forward: unrolled loads (one round trip), "
        "warp_reduce<Max> and warp_reduce<Add>: log2(warp_size) shfl_xor steps each, store"},
    {"reduce_outer", "reduce_kernel<128, 4", counts_reduce_outer,
     PT "Reduce.cuh setReduceConfig, reduction over a strided dim: block.x over outputs with "
        "output_vec_size (get_output_vec_size, <= 4), block.y over inputs only if "
        "values_per_thread >= min(16 block_height, 256) (else over outputs); grid "
        "ceil(outputs/output_vec / step_output); reduce_kernel<512/output_vec, output_vec>",
     PT "Reduce.cuh ReduceOp::thread_reduce_impl: a run-time-bound while loop loading vt0 = 4 "
        "values per iteration (unrolled): ceil(values_per_thread/4) round trips; block_y_reduce "
        "(log2(block_height) tree steps) only when split across warps; store"},
    {"reduce_inner", "reduce_kernel<512, 1", counts_reduce_inner,
     PT "Reduce.cuh setReduceConfig, reduction over the contiguous dim: vectorize_input "
        "(input_vec_size 4) when >= 128 inputs, block.x (<= 512) over inputs, ctas_per_output = "
        "max(min(ceil(target_grid/grid), ceil(vpt/16)), ceil(vpt/256)) when vpt >= 256",
     PT "Reduce.cuh ReduceOp::input_vectorized_thread_reduce_impl: run-time-bound loop, one "
        "4-wide vector per iteration: ceil(values_per_thread/4) round trips; block_x_reduce: "
        "log2(block_width/32) tree steps, __syncthreads, 5 shuffle steps; global_reduce when "
        "ctas_per_output > 1: staging store + __threadfence (L2 round trip), "
        "mark_block_finished (__syncthreads, global atomicAdd: L2 round trip, __syncthreads, "
        "shared flag), the last CTA re-reads the partials (L2) and repeats block_x_reduce"},
    {"prepare_grouped", "prepare_grouped_gemm_data", counts_prepare_grouped,
     PT "GroupMM.cu / ScaledGroupMM.cu: prepare_grouped_gemm_data<<<1, group_count>>>",
     PT "GroupMMCommon.cuh prepare_grouped_gemm_data: each thread loads offs[tid-1] and "
        "offs[tid] (independent: one round trip on the offsets), then stores its pointers, "
        "strides and problem shape"},
    {"splitk_reduce", "splitKreduce_kernel", counts_splitk_reduce,
     "assumption: cuBLASLt is closed; launch read off the CUPTI records "
     "(traces/hopper/h100_decode_step_trace.csv and h100_cuda_gpu_trace.csv: block 32 x 16, "
     "grid ceil(N/32) x ceil(M/16): 90 x 1 for N = 2880 at M <= 16, 4 x 1 / 4 x 4 / 4 x 16 "
     "for N = 128 at M <= 16 / 64 / 256)",
     "assumption: closed source; thread (x, y) sums the fp32 partials of output x over split "
     "rows y, y+16, ... (one round trip, partials and bias in parallel), the 16 rows combine "
     "in shared memory (log2(16) tree steps), bias added, bf16 stored"},
    {"lean_reduction", "lean_reduction_kernel", counts_lean_reduction,
     "assumption: cuDNN is closed; launch read off the CUPTI records "
     "(traces/hopper/h100_decode_step_trace.csv: grid (1, heads = 64), block 256)",
     "assumption: closed source; per head the split statistics are read (one round trip), "
     "their max and sum reduced (5 shuffle steps, then log2(8 warps) tree steps), then the "
     "partial outputs rescaled (a second round trip) and stored in bf16"},
};

const ksmall_family_t *ksmall_find(const char *name)
{
    return TABLE_FIND(FAMILIES, name);
}

size_t ksmall_n_families(void)
{
    return sizeof FAMILIES / sizeof FAMILIES[0];
}

const ksmall_family_t *ksmall_family_at(size_t i)
{
    assert(i < ksmall_n_families());
    return &FAMILIES[i];
}

/* ------------------------------------------------------ code table -- */

/* The code table (ksmall.h): one row per family and functor, parsed by
 * sim/csvrec.h so that every row knows its line. */

#define CODE_HEADER \
    "family,functor,fixed_warp_inst,per_trip_warp_inst,code_sm,source,code_fetches,fetch_source"
enum { C_FAMILY, C_FUNCTOR, C_FIXED, C_PER_TRIP, C_CODE_SM, C_SOURCE, C_FETCHES, C_FETCH_SOURCE,
       C_N };
static const char *const CODE_COLUMNS[C_N] = {"family", "functor", "fixed_warp_inst",
                                              "per_trip_warp_inst", "code_sm", "source",
                                              "code_fetches", "fetch_source"};

void ksmall_code_free(ksmall_code_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        ksmall_code_row_t *r = &t->rows[i];
        free(r->family);
        free(r->functor);
        free(r->code_sm);
        free(r->source);
        free(r->fetch_source);
    }
    free(t->rows);
    free(t->path);
    memset(t, 0, sizeof *t);
}

const ksmall_code_row_t *ksmall_code_find(const ksmall_code_t *t, const char *family,
                                          const char *functor)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].family, family) == 0 &&
            strcmp(t->rows[i].functor, functor ? functor : "") == 0)
            return &t->rows[i];
    return NULL;
}

/* A decimal number (only [0-9.eE+-], wholly consumed by strtod, finite),
 * >= 0 (> 0 when positive); 0 or -1. */
static int code_number(const char *v, int positive, double *out)
{
    if (v[0] == '\0' || strspn(v, "0123456789.eE+-") != strlen(v))
        return -1;
    char *end;
    double x = strtod(v, &end);
    if (*end != '\0' || !isfinite(x) || x < 0 || (positive && x == 0))
        return -1;
    *out = x;
    return 0;
}

/* sm_ followed by digits and at most one letter (sm_90, sm_90a, sm_121a) */
static int code_sm_ok(const char *v)
{
    if (strncmp(v, "sm_", 3) != 0)
        return 0;
    size_t d = strspn(v + 3, "0123456789");
    const char *rest = v + 3 + d;
    return d >= 2 && (rest[0] == '\0' || (rest[0] >= 'a' && rest[0] <= 'z' && rest[1] == '\0'));
}

static void family_names(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ksmall_n_families() && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
                                 ksmall_family_at(i)->name);
}

/* Checks record r (a data row) and appends it to t, taking its fields. */
static int code_take(ksmall_code_t *t, csvrec_t *r, size_t *cap, const char *fname, char *err,
                     size_t errlen)
{
    char **f = r->fields;
    char names[512];
    if (r->n != C_N) {
        snprintf(err, errlen, "%s:%d: row has %zu fields; expected %d (" CODE_HEADER ")", fname,
                 r->line, r->n, C_N);
        return -1;
    }
    if (ksmall_find(f[C_FAMILY]) == NULL) {
        family_names(names, sizeof names);
        snprintf(err, errlen, "%s:%d: column 'family': '%s' is not valid; expected a family of "
                 "models/ksmall.c FAMILIES: %s", fname, r->line, f[C_FAMILY], names);
        return -1;
    }
    const ksmall_code_row_t *dup = ksmall_code_find(t, f[C_FAMILY], f[C_FUNCTOR]);
    if (dup != NULL) {
        snprintf(err, errlen, "%s:%d: family '%s' functor '%s' given twice (first on line %d); "
                 "expected one row per family and functor", fname, r->line, f[C_FAMILY],
                 f[C_FUNCTOR], dup->line);
        return -1;
    }
    ksmall_code_row_t row = {0};
    static const struct {
        int col, positive;
        const char *expect;
    } NUMS[] = {
        {C_FIXED, 1, "a finite number > 0 (warp instructions per warp)"},
        {C_PER_TRIP, 0, "a finite number >= 0 (warp instructions per warp per trip)"},
        {C_FETCHES, 0, "a finite number >= 0 (serialized code fetches)"},
    };
    double *num[C_N] = {[C_FIXED] = &row.fixed_warp_inst, [C_PER_TRIP] = &row.per_trip_warp_inst,
                        [C_FETCHES] = &row.code_fetches};
    for (size_t i = 0; i < sizeof NUMS / sizeof NUMS[0]; i++) {
        int c = NUMS[i].col;
        if (code_number(f[c], NUMS[i].positive, num[c]) != 0) {
            snprintf(err, errlen, "%s:%d: column '%s': '%s' is not valid; expected %s", fname,
                     r->line, CODE_COLUMNS[c], f[c], NUMS[i].expect);
            return -1;
        }
    }
    if (!code_sm_ok(f[C_CODE_SM])) {
        snprintf(err, errlen, "%s:%d: column 'code_sm': '%s' is not valid; expected the ISA the "
                 "counts were measured on, sm_ and its number (sm_90)", fname, r->line,
                 f[C_CODE_SM]);
        return -1;
    }
    if (f[C_SOURCE][0] == '\0') {
        snprintf(err, errlen, "%s:%d: column 'source': empty; expected where the counts were "
                 "measured", fname, r->line);
        return -1;
    }
    if (row.code_fetches > 0 && f[C_FETCH_SOURCE][0] == '\0') {
        snprintf(err, errlen, "%s:%d: column 'fetch_source': empty; expected where code_fetches "
                 "%s was measured (or code_fetches 0: not measured)", fname, r->line,
                 f[C_FETCHES]);
        return -1;
    }
    if (t->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 32;
        ksmall_code_row_t *p = realloc(t->rows, nc * sizeof *p);
        assert(p != NULL);
        t->rows = p;
        *cap = nc;
    }
    row.family = f[C_FAMILY];
    row.functor = f[C_FUNCTOR];
    row.code_sm = f[C_CODE_SM];
    row.source = f[C_SOURCE];
    row.fetch_source = f[C_FETCH_SOURCE];
    row.line = r->line;
    t->rows[t->n++] = row;
    free(f[C_FIXED]);
    free(f[C_PER_TRIP]);
    free(f[C_FETCHES]);
    free(f);   /* the other strings now belong to the row */
    r->fields = NULL;
    r->n = 0;
    return 0;
}

int ksmall_code_load(ksmall_code_t *t, const char *fname, const char *text, size_t len,
                     char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    csvrec_list_t rd = {0};
    int rc = csvrec_parse(fname, text, len, 0, 1, NULL, &rd, err, errlen);
    size_t cap = 0, i = 0;
    if (rc == 0 && rd.nrecs == 0) {
        snprintf(err, errlen, "%s: empty file; expected the header " CODE_HEADER, fname);
        rc = -1;
    }
    if (rc == 0) {
        const csvrec_t *h = &rd.recs[i++];
        int ok = h->n == C_N;
        for (size_t c = 0; ok && c < C_N; c++)
            ok = strcmp(h->fields[c], CODE_COLUMNS[c]) == 0;
        if (!ok) {
            snprintf(err, errlen, "%s:%d: header is not valid; expected exactly " CODE_HEADER,
                     fname, h->line);
            rc = -1;
        }
    }
    for (; rc == 0 && i < rd.nrecs; i++)
        if (!(rd.recs[i].n >= 1 && rd.recs[i].fields[0][0] == '#'))
            rc = code_take(t, &rd.recs[i], &cap, fname, err, errlen);
    csvrec_free(&rd);
    for (size_t k = 0; rc == 0 && k < ksmall_n_families(); k++)
        if (ksmall_code_find(t, ksmall_family_at(k)->name, "") == NULL) {
            snprintf(err, errlen, "%s: family '%s' has no row with an empty functor; expected "
                     "one (its default) for every family of models/ksmall.c FAMILIES", fname,
                     ksmall_family_at(k)->name);
            rc = -1;
        }
    if (rc == 0) {
        t->path = csvrec_strndup(fname, strlen(fname));
        assert(t->path != NULL);
    } else {
        ksmall_code_free(t);
    }
    return rc;
}

int ksmall_code_load_default(ksmall_code_t *t, char *err, size_t errlen)
{
    const preset_file_t *f = preset_find("kcode", KSMALL_CODE_DEFAULT);
    if (f == NULL) {
        memset(t, 0, sizeof *t);
        snprintf(err, errlen, "models/data/kcode/" KSMALL_CODE_DEFAULT ".csv is not embedded; "
                 "expected it among the presets (re-run cmake)");
        return -1;
    }
    return ksmall_code_load(t, f->path, f->text, f->len, err, errlen);
}

/* ------------------------------------------------------------ timing -- */

int ksmall_counts(const arch_t *a, const ksmall_desc_t *d, ksmall_counts_t *c, char *err,
                  size_t errlen)
{
    assert(d->family != NULL && d->code != NULL);
    memset(c, 0, sizeof *c);
    if (d->family->counts(a, &d->shape, c, err, errlen) != 0)
        return -1;
    assert(c->ctas >= 1 && c->threads >= 1);
    c->inst = (d->code->fixed_warp_inst + d->code->per_trip_warp_inst * c->trips) * a->ks_inst_scale;
    c->code_level = d->shape.code;
    c->code_fetches = d->shape.code == KS_NONE ? 0 : d->code->code_fetches;
    return 0;
}

int ksmall_parse(const ksmall_code_t *code, const char *spec, ksmall_desc_t *d, char *err,
                 size_t errlen)
{
    const char *colon = strchr(spec, ':');
    char fam[64];
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n >= sizeof fam) {
        snprintf(err, errlen, "ksmall: '%s' is not a family name", spec);
        return -1;
    }
    memcpy(fam, spec, n);
    fam[n] = '\0';
    d->family = ksmall_find(fam);
    d->functor = colon ? colon + 1 : NULL;
    if (d->family == NULL) {
        snprintf(err, errlen, "ksmall: no family '%s'", fam);
        return -1;
    }
    d->code = ksmall_code_find(code, fam, d->functor);
    if (d->code == NULL) {
        snprintf(err, errlen, "ksmall: family '%s' has no functor '%s' (%s counts one row per "
                 "functor)", fam, d->functor ? d->functor : "", code->path);
        return -1;
    }
    return 0;
}

/* ceil(CTAs / resident CTAs), residency limited by threads and the CTA cap */
static int64_t waves_of(const arch_t *a, const ksmall_counts_t *c)
{
    int64_t per_sm = (int64_t)(a->max_threads_per_sm / c->threads);
    if (per_sm > (int64_t)a->max_ctas_per_sm)
        per_sm = (int64_t)a->max_ctas_per_sm;
    if (per_sm < 1)
        per_sm = 1;
    return cdiv(c->ctas, (int64_t)a->n_sm * per_sm);
}

double ksmall_issue_cyc(const arch_t *a, int64_t ctas_per_sm, int threads)
{
    assert(ctas_per_sm >= 1 && threads >= 1);
    double warps_per_sched = ceil((double)(ctas_per_sm * cdiv(threads, 32)) /
                                  a->issue_warp_inst_per_clk_sm);
    return a->ks_issue_cyc > warps_per_sched ? a->ks_issue_cyc : warps_per_sched;
}

double ksmall_path_ns(const arch_t *a, const ksmall_counts_t *c)
{
    double ns_per_cyc = 1e3 / a->sm_clock_mhz;
    int64_t waves = waves_of(a, c);   /* a grid larger than one wave repeats the path */
    /* CTAs per SM in a wave (at most the resident ones) */
    double issue = ksmall_issue_cyc(a, cdiv(c->ctas, (int64_t)a->n_sm * waves), c->threads);
    double cyc = c->rt_l1 * a->ks_l1_cyc + c->bar * interp_sync(a, c->threads, 0) +
                 c->tree * interp_sync(a, c->threads, 1) + c->shfl * a->ks_shfl_cyc +
                 c->smem * a->ks_smem_cyc + c->smem_atomic * a->ks_smem_atomic_cyc +
                 c->inst * issue;
    double path = c->rt_dram * a->dram_latency_ns + c->rt_l2 * a->l2_latency_ns + cyc * ns_per_cyc;
    /* the first wave fetches the code; later waves find it in the caches */
    assert(c->code_level != KS_L1);   /* code is in the SM's caches, in L2 or in DRAM */
    double code = c->code_fetches * (c->code_level == KS_DRAM ? a->dram_latency_ns : a->l2_latency_ns);
    double bytes_ns = c->dram_bytes / (arch_dram_bw_bytes_per_ps(a) * 1e3) +
                      c->l2_bytes / (arch_l2_bw_bytes_per_ps(a) * 1e3);
    return (double)waves * path + code + bytes_ns;
}

int ksmall_run(const arch_t *a, const ksmall_desc_t *d, kresult_t *r, char *err, size_t errlen)
{
    ksmall_counts_t c;
    if (ksmall_counts(a, d, &c, err, errlen) != 0)
        return -1;
    memset(r, 0, sizeof *r);
    double ns = ksmall_path_ns(a, &c);
    r->dur_ps = (sim_ps_t)llround(ns * 1e3);
    if (r->dur_ps < 1)
        r->dur_ps = 1;
    r->dram_bytes = c.dram_bytes;
    r->l2_bytes = c.l2_bytes;
    r->dram_busy_ps = (sim_ps_t)llround(c.dram_bytes / arch_dram_bw_bytes_per_ps(a));
    r->waves = (int)waves_of(a, &c);
    return 0;
}
