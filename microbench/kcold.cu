// kcold.cu -- what a kernel pays at start when its code and parameters are not
// in the SM's caches, or not even in L2 (the state of a small kernel in a decode
// step, after a weight stream larger than L2 ran between two of its uses).
// Built as a shared library; microbench/kcold.py launches these kernels through
// ctypes on PyTorch's stream and times them under torch.profiler (CUPTI, as the
// committed traces were timed).
//
//   k_empty              no parameter, no store: one instruction line (EXIT)
//   k_store(p)           one parameter line and one store per thread
//   k_copy(in, out)      two parameters, one dependent load, one store
//   k_store_smem(p)      k_store with dynamic shared memory (kc_store_smem sets it)
//   k_param<P>(b, p)     k_store with a P-byte by-value parameter
//   k_tma(map, nbox, st) one thread loads nbox 8-KB TMA boxes (64 rows x 128 B of a
//                        bf16 tensor of 5760-B rows, as cuBLAS's 64x8 GEMVs load
//                        one k-tile) one after the other, each waited for on an
//                        mbarrier; st = 1 then stores the last box back with a
//                        TMA store and waits for it (bulk_group): a TMA GEMM's
//                        prologue, first stage and epilogue with nothing between
//   k_code<N>(out, s)    straight-line code: 4 independent FFMA chains of N
//                        steps each, every FFMA with its own immediate, so the
//                        executed code is 4N instructions (16 B each, 64N bytes)
//                        run once, then one store; k_codeb<N> is the same code as
//                        a distinct function (it evicts k_code from the SMs'
//                        instruction caches without touching L2 much)
//
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -shared -Xcompiler -fPIC \
//          -o kcold.so microbench/kcold.cu -lcuda
//
// Built with -DKCOLD_MAIN it is instead a program that times, with CUPTI's
// activity API directly (no PyTorch), what kcold.py and kgap_probe.py time
// (microbench/kit.sh runs it; docs/kit.md). Its graph gaps are printed under
// names of their own (cupti_graph, cupti_PRE): between storing kernels they
// read shorter than kcold.py's in a PyTorch process (docs/kit.md), the kind of
// process the traces gbsim uses come from, so the kit takes graph_gap_ns and
// graph_gap_cold_ns from kcold.py and kgap_probe.py:
//   k_empty 1 128 - hot_ns - -     CUPTI duration of k_empty<<<1,128>>> run 30
//                                  times back to back, median (kernel_fixed_ns)
//   cupti_graph NAME n 512 period_ns - cupti_dur_ns D cupti_gap_ns G cupti_gap_mean_ns A
//                                  a CUDA graph of 512 k_empty or k_store
//                                  (1 CTA), replayed 3 times: median duration,
//                                  median gap, and mean gap
//   cupti_PRE n_pre gap_ns dur_a_ns dur_b_ns first_gap_ns gap_mean_ns A
//                                  kgap_probe.py's probe with kcold's kernels:
//                                  a graph of 8 small kernels (k_param<512> and
//                                  k_copy, 4 CTAs, alternating) after nothing
//                                  (none) or after a fill of max(256 MB, 5x L2)
//                                  (fill), 20 replays; median and mean gap
//                                  between the 8
// CUPTI's graph-kernel timestamps come in steps (0 or 256 ns on the lent H100,
// docs/kit.md): a median lands on a step, a mean of many gaps does not.
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -DKCOLD_MAIN -o kcold \
//          microbench/kcold.cu -lcuda -I$CUPTI/include -L$CUPTI/lib64 -lcupti
#include <cuda.h>
#include <cuda_runtime.h>
#include <stdint.h>

__global__ void k_empty() {}

__global__ void k_store(int *p) { p[blockIdx.x * blockDim.x + threadIdx.x] = threadIdx.x; }

__global__ void k_copy(const int *in, int *out)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    out[i] = in[i] + 1;
}

// k_store with SMEM bytes of dynamic shared memory (touched once, so the
// allocation is real): launching it after a kernel with none makes the SM
// change its L1/shared split
__global__ void k_store_smem(int *p)
{
    extern __shared__ int sm[];
    sm[threadIdx.x] = threadIdx.x;
    __syncthreads();
    p[blockIdx.x * blockDim.x + threadIdx.x] = sm[(threadIdx.x + 1) % blockDim.x];
}

// a by-value parameter of P bytes (as PyTorch's TensorIterator kernels pass
// their offset calculators); one word of it is used
template <int P>
struct blob {
    int w[P / 4];
};
template <int P>
__global__ void k_param(blob<P> b, int *p)
{
    p[blockIdx.x * blockDim.x + threadIdx.x] = b.w[threadIdx.x % (P / 4)];
}

template <int N, int SALT>
__global__ void k_code(float *out, float s)
{
    float a = s, b = s + 1.0f, c = s + 2.0f, d = s + 3.0f;
#pragma unroll
    for (int i = 0; i < N; i++) {
        a = fmaf(a, 1.00001f, (float)(4 * i + SALT));
        b = fmaf(b, 0.99999f, (float)(4 * i + 1 + SALT));
        c = fmaf(c, 1.00002f, (float)(4 * i + 2 + SALT));
        d = fmaf(d, 0.99998f, (float)(4 * i + 3 + SALT));
    }
    out[blockIdx.x * blockDim.x + threadIdx.x] = a + b + c + d;
}

__global__ void k_tma(const __grid_constant__ CUtensorMap map, int nbox, int st, int *p)
{
    __shared__ __align__(1024) uint8_t box[8192];
    __shared__ uint64_t bar;
    if (threadIdx.x != 0)
        return;
    unsigned b = (unsigned)__cvta_generic_to_shared(&bar);
    unsigned d = (unsigned)__cvta_generic_to_shared(box);
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\n" ::"r"(b));
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::);
    for (int i = 0; i < nbox; i++) {
        asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], 8192;\n" ::"r"(b));
        asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
                     " [%0], [%1, {%2, %3}], [%4];\n" ::"r"(d), "l"((uint64_t)&map), "r"(0),
                     "r"(64 * (int)blockIdx.x + 64 * (int)gridDim.x * i), "r"(b)
                     : "memory");
        asm volatile("{\n.reg .pred q;\nW: mbarrier.try_wait.parity.shared::cta.b64 q, [%0], %1;\n"
                     "@!q bra W;\n}\n" ::"r"(b), "r"(i & 1));
    }
    if (st) {
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%1, %2}], [%3];\n"
                     ::"l"((uint64_t)&map), "r"(0), "r"(64 * (int)blockIdx.x), "r"(d) : "memory");
        asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
        asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory");
    }
    p[blockIdx.x] = box[blockIdx.x & 63];
}

#define CODE_SIZES(X) X(16) X(64) X(256) X(1024) X(4096)

#ifndef KCOLD_MAIN
extern "C" {
int kc_empty(int grid, int block, void *stream)
{
    k_empty<<<grid, block, 0, (cudaStream_t)stream>>>();
    return (int)cudaGetLastError();
}
int kc_store(int grid, int block, void *p, void *stream)
{
    k_store<<<grid, block, 0, (cudaStream_t)stream>>>((int *)p);
    return (int)cudaGetLastError();
}
int kc_copy(int grid, int block, void *in, void *out, void *stream)
{
    k_copy<<<grid, block, 0, (cudaStream_t)stream>>>((const int *)in, (int *)out);
    return (int)cudaGetLastError();
}
int kc_store_smem(int grid, int block, int smem_bytes, void *p, void *stream)
{
    cudaError_t e = cudaFuncSetAttribute(k_store_smem, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         smem_bytes);
    if (e != cudaSuccess)
        return (int)e;
    k_store_smem<<<grid, block, smem_bytes, (cudaStream_t)stream>>>((int *)p);
    return (int)cudaGetLastError();
}
#define DEFP(n)                                                              \
    int kc_param_##n(int grid, int block, void *p, void *stream)              \
    {                                                                         \
        blob<n> b;                                                            \
        for (int i = 0; i < n / 4; i++)                                       \
            b.w[i] = i;                                                       \
        k_param<n><<<grid, block, 0, (cudaStream_t)stream>>>(b, (int *)p);    \
        return (int)cudaGetLastError();                                       \
    }
DEFP(64) DEFP(512) DEFP(1024) DEFP(4096)
// k_store_smem launched as thread-block clusters of cx CTAs (cx = 1: no
// cluster attribute) with smem_bytes of dynamic shared memory
int kc_cluster(int grid, int block, int cx, int smem_bytes, void *p, void *stream)
{
    cudaError_t e = cudaFuncSetAttribute(k_store_smem, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         smem_bytes);
    if (e != cudaSuccess)
        return (int)e;
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(grid);
    cfg.blockDim = dim3(block);
    cfg.dynamicSmemBytes = smem_bytes;
    cfg.stream = (cudaStream_t)stream;
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeClusterDimension;
    at[0].val.clusterDim.x = cx;
    at[0].val.clusterDim.y = 1;
    at[0].val.clusterDim.z = 1;
    cfg.attrs = at;
    cfg.numAttrs = cx > 1 ? 1 : 0;
    e = cudaLaunchKernelEx(&cfg, k_store_smem, (int *)p);
    return e != cudaSuccess ? (int)e : (int)cudaGetLastError();
}
/* k_tma over rows of 5760 B of buf (n_rows rows of bf16), 64-row boxes of 128 B */
int kc_tma(int grid, int nbox, int st, void *buf, long n_rows, void *p, void *stream)
{
    CUtensorMap map;
    cuuint64_t dims[2] = {2880, (cuuint64_t)n_rows};
    cuuint64_t strides[1] = {5760};
    cuuint32_t boxd[2] = {64, 64};
    cuuint32_t estr[2] = {1, 1};
    CUresult r = cuTensorMapEncodeTiled(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, buf, dims, strides,
                                        boxd, estr, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                        CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                                        CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS)
        return 1000 + (int)r;
    k_tma<<<grid, 32, 0, (cudaStream_t)stream>>>(map, nbox, st, (int *)p);
    return (int)cudaGetLastError();
}
#define DEF(n)                                                                          \
    int kc_code_##n(int grid, int block, int variant, void *out, void *stream)         \
    {                                                                                   \
        if (variant == 0)                                                               \
            k_code<n, 0><<<grid, block, 0, (cudaStream_t)stream>>>((float *)out, 0.5f); \
        else                                                                            \
            k_code<n, 7><<<grid, block, 0, (cudaStream_t)stream>>>((float *)out, 0.5f); \
        return (int)cudaGetLastError();                                                 \
    }
CODE_SIZES(DEF)
}
#endif /* !KCOLD_MAIN */

#ifdef KCOLD_MAIN
#include <cupti.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
    fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); exit(1); } } while (0)
#define CP(x) do { CUptiResult e_ = (x); if (e_ != CUPTI_SUCCESS) { const char *m_ = "?"; \
    cuptiGetResultString(e_, &m_); fprintf(stderr, "%s:%d CUPTI: %s\n", __FILE__, __LINE__, m_); exit(1); } } while (0)

#if CUPTI_API_VERSION >= 130000
typedef CUpti_ActivityKernel10 kc_kernel_rec;
#else
typedef CUpti_ActivityKernel9 kc_kernel_rec;
#endif

// One kernel as CUPTI saw it: start and end in ns on CUPTI's clock.
struct kc_span {
    unsigned long long start, end;
    int grid;
};

// CUPTI's buffer callbacks take no user pointer, so the records of the
// current window go to this one list (the program's only global state).
static std::vector<kc_span> kc_recs;

static void CUPTIAPI kc_buf_request(uint8_t **buf, size_t *size, size_t *max_recs)
{
    *size = 8u << 20;
    *buf = (uint8_t *)aligned_alloc(8, *size);
    *max_recs = 0;
    if (!*buf)
        exit(1);
}

static void CUPTIAPI kc_buf_done(CUcontext, uint32_t, uint8_t *buf, size_t, size_t valid)
{
    CUpti_Activity *rec = NULL;
    while (cuptiActivityGetNextRecord(buf, valid, &rec) == CUPTI_SUCCESS)
        if (rec->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || rec->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
            const kc_kernel_rec *k = (const kc_kernel_rec *)rec;
            kc_recs.push_back({k->start, k->end, k->gridX});
        }
    free(buf);
}

// Run fn under CUPTI and return its kernels sorted by start.
template <class F>
static std::vector<kc_span> kernels_of(F fn)
{
    CK(cudaDeviceSynchronize());
    CP(cuptiActivityFlushAll(1));
    kc_recs.clear();
    fn();
    CK(cudaDeviceSynchronize());
    CP(cuptiActivityFlushAll(1));
    std::vector<kc_span> v = kc_recs;
    std::sort(v.begin(), v.end(), [](const kc_span &a, const kc_span &b) { return a.start < b.start; });
    return v;
}

static double median(std::vector<double> v)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double mean(const std::vector<double> &v)
{
    double s = 0;
    for (double x : v)
        s += x;
    return v.empty() ? -1 : s / (double)v.size();
}

// A comment line with every distinct gap and how often it came: the steps of the
// timestamps, for docs/kit.md.
static void gap_steps(const char *name, std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    printf("# %s gaps (ns x count):", name);
    for (size_t i = 0, j; i < v.size(); i = j) {
        for (j = i; j < v.size() && v[j] == v[i]; j++)
            ;
        printf(" %.0f x%zu", v[i], j - i);
    }
    printf("\n");
}

__global__ void k_fill(int4 *p, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        p[i] = make_int4(1, 1, 1, 1);
}

// A graph of the launches body(stream) makes, instantiated and replayed 3 times.
template <class F>
static cudaGraphExec_t graph_of(cudaStream_t s, F body)
{
    cudaGraph_t g;
    cudaGraphExec_t ge;
    CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
    body(s);
    CK(cudaStreamEndCapture(s, &g));
    CK(cudaGraphInstantiate(&ge, g, 0));
    for (int i = 0; i < 3; i++)
        CK(cudaGraphLaunch(ge, s));
    CK(cudaStreamSynchronize(s));
    return ge;
}

// kcold.py's graph_stats: n launches of one kernel in a graph, 3 replays.
template <class F>
static void graph_stats(const char *name, cudaStream_t s, F launch)
{
    const int n = 512;
    cudaGraphExec_t ge = graph_of(s, [&](cudaStream_t st) {
        for (int i = 0; i < n; i++)
            launch(st);
    });
    std::vector<kc_span> ks = kernels_of([&] {
        for (int r = 0; r < 3; r++)
            CK(cudaGraphLaunch(ge, s));
    });
    std::vector<double> dur, gap;
    for (size_t i = 0; i < ks.size(); i++) {
        dur.push_back((double)(ks[i].end - ks[i].start));
        if (i + 1 < ks.size() && (i + 1) % n != 0)
            gap.push_back((double)ks[i + 1].start - (double)ks[i].end);
    }
    printf("cupti_graph %s n %d period_ns - cupti_dur_ns %.0f cupti_gap_ns %.0f cupti_gap_mean_ns %.1f\n", name, n,
           median(dur), median(gap), mean(gap));
    gap_steps(name, gap);
    fflush(stdout);
}

int main()
{
    cudaDeviceProp pr;
    CK(cudaGetDeviceProperties(&pr, 0));
    printf("# microbench/kcold.cu (KCOLD_MAIN, CUPTI %d) on %s (%d SMs), l2 %d\n", (int)CUPTI_API_VERSION, pr.name,
           pr.multiProcessorCount, pr.l2CacheSize);
    CP(cuptiActivityRegisterCallbacks(kc_buf_request, kc_buf_done));
    CP(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
    cudaStream_t s;
    CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    int *out, *in;
    CK(cudaMalloc(&out, 132 * 1024 * 4));
    CK(cudaMalloc(&in, 132 * 1024 * 4));
    CK(cudaMemset(in, 0, 132 * 1024 * 4));
    const size_t fill_bytes = std::max((size_t)256 << 20, (size_t)pr.l2CacheSize * 5);
    int4 *fbuf;
    CK(cudaMalloc(&fbuf, fill_bytes));

    // a kernel's fixed cost: k_empty back to back, hot
    printf("# kernel grid block code_bytes hot_ns icold_ns cold_ns (medians of 30 CUPTI durations)\n");
    for (int i = 0; i < 3; i++)
        k_empty<<<1, 128, 0, s>>>();
    std::vector<kc_span> ks = kernels_of([&] {
        for (int i = 0; i < 30; i++)
            k_empty<<<1, 128, 0, s>>>();
    });
    std::vector<double> dur;
    for (auto &k : ks)
        dur.push_back((double)(k.end - k.start));
    printf("k_empty 1 128 - %.0f - -\n", median(dur));

    // the gap between kernels of a graph, warm
    printf("# graph name n period_ns (unprofiled, per kernel) cupti_dur_ns cupti_gap_ns (profiled medians) "
           "cupti_gap_mean_ns (mean gap)\n");
    graph_stats("empty_g1", s, [&](cudaStream_t st) { k_empty<<<1, 128, 0, st>>>(); });
    graph_stats("store_g1", s, [&](cudaStream_t st) { k_store<<<1, 128, 0, st>>>(out); });

    // the gap when the graph's node state was evicted from L2 (kgap_probe.py)
    printf("# pre n_pre_kernels gap_ns (median, between the 8 small kernels) dur_a_ns dur_b_ns "
           "first_gap_ns (pre -> first small kernel) gap_mean_ns (mean of the same gaps)\n");
    blob<512> b;
    for (int i = 0; i < 128; i++)
        b.w[i] = i;
    for (int fill = 0; fill < 2; fill++) {
        cudaGraphExec_t ge = graph_of(s, [&](cudaStream_t st) {
            if (fill)
                k_fill<<<pr.multiProcessorCount * 4, 512, 0, st>>>(fbuf, fill_bytes / 16);
            for (int i = 0; i < 4; i++) {
                k_param<512><<<4, 128, 0, st>>>(b, out);
                k_copy<<<4, 128, 0, st>>>(in, out + 4 * 128);
            }
        });
        const int reps = 20;
        ks = kernels_of([&] {
            for (int r = 0; r < reps; r++)
                CK(cudaGraphLaunch(ge, s));
        });
        const int per = (int)ks.size() / reps, npre = per - 8;
        if (per * reps != (int)ks.size() || npre != fill) {
            fprintf(stderr, "kcold: %zu kernel records for %d replays of %d kernels\n", ks.size(), reps, 8 + fill);
            return 1;
        }
        std::vector<double> gap, first, da, db;
        for (int r = 0; r < reps; r++) {
            const kc_span *rk = &ks[(size_t)r * per];
            if (npre)
                first.push_back((double)rk[npre].start - (double)rk[npre - 1].end);
            for (int i = npre; i < per - 1; i++)
                gap.push_back((double)rk[i + 1].start - (double)rk[i].end);
            for (int i = npre; i < per; i++)
                ((i - npre) % 2 == 0 ? da : db).push_back((double)(rk[i].end - rk[i].start));
        }
        char fs[32] = "-";
        if (npre)
            snprintf(fs, sizeof fs, "%.0f", median(first));
        printf("cupti_%s %d %.0f %.0f %.0f %s gap_mean_ns %.1f\n", fill ? "fill" : "none", npre, median(gap), median(da),
               median(db), fs, mean(gap));
        gap_steps(fill ? "fill" : "none", gap);
        fflush(stdout);
    }
    CP(cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
    return 0;
}
#endif /* KCOLD_MAIN */
