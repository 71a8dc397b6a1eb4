// ksmall_ubench.cu -- Hopper microbenchmarks for the step costs that
// models/ksmall.c charges on a small kernel's critical path: a CTA barrier,
// a warp shuffle step, a shared-memory tree-reduction step, shared-memory and
// L1 load latency, a shared-memory atomic; and, at kernel level (CUDA-graph
// period, as microbench/ubench.cu measured kernel_fixed_ns), the cost of R
// dependent L2 / DRAM round trips in a one-CTA kernel and of kernel parameters
// spread over K distinct 128-B lines of the parameter bank.
//
// Build and run (on the device machine):
//   nvcc -O3 -arch=sm_90 -o ksmall_ubench microbench/ksmall_ubench.cu && ./ksmall_ubench
// Output: one "key value unit" line per measurement (microbench/results/ksmall_ubench_h100.txt).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#define CK(x) do { cudaError_t e_ = (x); if (e_) { printf("ERR %s line %d: %s\n", #x, __LINE__, \
    cudaGetErrorString(e_)); exit(1); } } while (0)

// ---- in-kernel step latencies (clock64 cycles, one CTA) ----

__global__ void k_clock(long long *out)
{
    unsigned long long g0, g1;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(g0));
    long long c0 = clock64();
    while (clock64() - c0 < 40000000LL) {}
    long long c1 = clock64();
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(g1));
    out[0] = c1 - c0;
    out[1] = (long long)(g1 - g0);
}

__global__ void k_bar(int n, long long *out)
{
    __syncthreads();
    long long t0 = clock64();
    for (int i = 0; i < n; i++)
        __syncthreads();
    long long t1 = clock64();
    if (threadIdx.x == 0)
        out[0] = t1 - t0;
}

// block_y_reduce / compute_stats step: barrier, read a partner's partial from
// shared memory, combine, write back
__global__ void k_tree(int n, float *sink, long long *out)
{
    __shared__ float s[1024];
    int t = threadIdx.x;
    float v = (float)t;
    s[t] = v;
    __syncthreads();
    long long t0 = clock64();
    for (int i = 0; i < n; i++) {
        __syncthreads();
        v += s[(t + 32) & (blockDim.x - 1)];
        s[t] = v;
    }
    long long t1 = clock64();
    sink[t] = v;
    if (t == 0)
        out[0] = t1 - t0;
}

__global__ void k_shfl(int n, float *sink, long long *out)
{
    float v = (float)threadIdx.x;
    long long t0 = clock64();
    for (int i = 0; i < n; i++)
        v += __shfl_xor_sync(0xffffffffu, v, 1);
    long long t1 = clock64();
    sink[threadIdx.x] = v;
    if (threadIdx.x == 0)
        out[0] = t1 - t0;
}

__global__ void k_smem_chase(int n, unsigned *sink, long long *out)
{
    __shared__ unsigned s[1024];
    for (int i = threadIdx.x; i < 1024; i += blockDim.x)
        s[i] = (unsigned)((i * 97 + 13) & 1023);
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned j = 0;
        long long t0 = clock64();
        for (int i = 0; i < n; i++)
            j = s[j];
        long long t1 = clock64();
        sink[0] = j;
        out[0] = t1 - t0;
    }
}

__global__ void k_smem_atomic(int n, unsigned *sink, long long *out)
{
    __shared__ unsigned s[32];
    if (threadIdx.x < 32)
        s[threadIdx.x] = 0;
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned j = 0;
        long long t0 = clock64();
        for (int i = 0; i < n; i++)
            j = atomicAdd(&s[j & 1], 1u);
        long long t1 = clock64();
        sink[0] = j;
        out[0] = t1 - t0;
    }
}

// pointer chase through global memory: ld.ca (L1) or ld.cg (L2), warmed first
__global__ void k_gchase(const unsigned *p, int n, int l1, unsigned *sink, long long *out)
{
    if (threadIdx.x != 0)
        return;
    unsigned j = 0;
    for (int i = 0; i < 2048; i++)
        j = l1 ? __ldca(p + j) : __ldcg(p + j);
    j = 0;
    long long t0 = clock64();
    for (int i = 0; i < n; i++)
        j = l1 ? __ldca(p + j) : __ldcg(p + j);
    long long t1 = clock64();
    sink[0] = j;
    out[0] = t1 - t0;
}

// ---- kernel-level costs (CUDA-graph period) ----

__global__ void k_empty() {}

// one CTA of 128 threads; thread 0 follows R dependent loads, then stores
__global__ void k_chase_r(const unsigned *p, unsigned start, int r, unsigned *o)
{
    if (threadIdx.x != 0)
        return;
    unsigned j = start;
    for (int i = 0; i < r; i++)
        j = __ldcg(p + j);
    o[0] = j;
}

struct big_param { unsigned w[1024]; };  // 4 KB by value, like TensorInfo/OffsetCalculator structs

template <int K>
__global__ void k_param(big_param b, unsigned *o)
{
    if (threadIdx.x != 0)
        return;
    unsigned s = 0;
#pragma unroll
    for (int k = 0; k < K; k++)
        s = s * 3u + b.w[k * 32];   // static offsets 128 B apart, dependent uses
    o[0] = s;
}

static float ms(cudaEvent_t a, cudaEvent_t b)
{
    float t;
    CK(cudaEventElapsedTime(&t, a, b));
    return t;
}

static void *g_flush;  // 512 MB, written between timed replays when cold

template <typename F>
static double graph_period_ns(cudaStream_t s, F launch, int nodes, bool cold = false)
{
    cudaGraph_t gr;
    cudaGraphExec_t ge;
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
    for (int i = 0; i < nodes; i++)
        launch(s, i);
    CK(cudaStreamEndCapture(s, &gr));
    CK(cudaGraphInstantiate(&ge, gr, 0));
    CK(cudaGraphUpload(ge, s));
    if (!cold)
        CK(cudaGraphLaunch(ge, s));
    CK(cudaStreamSynchronize(s));
    std::vector<double> v;
    for (int rep = 0; rep < 5; rep++) {
        if (cold) {
            CK(cudaMemsetAsync(g_flush, rep, 512ull << 20, s));
            CK(cudaStreamSynchronize(s));
        }
        CK(cudaEventRecord(a, s));
        CK(cudaGraphLaunch(ge, s));
        CK(cudaEventRecord(b, s));
        CK(cudaEventSynchronize(b));
        v.push_back(ms(a, b) * 1e6 / nodes);
    }
    std::sort(v.begin(), v.end());
    CK(cudaGraphExecDestroy(ge));
    CK(cudaGraphDestroy(gr));
    return v[v.size() / 2];
}

static unsigned *make_chase(size_t bytes, size_t stride_bytes, std::vector<unsigned> *starts = nullptr)
{
    size_t stride = stride_bytes / 4, nl = bytes / stride_bytes;
    std::vector<unsigned> h(bytes / 4, 0), perm(nl);
    for (size_t i = 0; i < nl; i++)
        perm[i] = (unsigned)i;
    std::mt19937 g(1);
    std::shuffle(perm.begin() + 1, perm.end(), g);
    for (size_t i = 0; i < nl; i++)
        h[perm[i] * stride] = (unsigned)(perm[(i + 1) % nl] * stride);
    if (starts)  // 1024 starting points spread along the cycle
        for (size_t i = 0; i < 1024; i++)
            starts->push_back((unsigned)(perm[(i * (nl / 1024)) % nl] * stride));
    unsigned *d;
    CK(cudaMalloc(&d, bytes));
    CK(cudaMemcpy(d, h.data(), bytes, cudaMemcpyHostToDevice));
    return d;
}

int main()
{
    cudaDeviceProp pr;
    CK(cudaGetDeviceProperties(&pr, 0));
    printf("device %s sms %d\n", pr.name, pr.multiProcessorCount);
    long long *dout, hout[2];
    float *fs;
    unsigned *us;
    CK(cudaMalloc(&dout, 64));
    CK(cudaMalloc(&fs, 4096 * 4));
    CK(cudaMalloc(&us, 4096 * 4));

    k_clock<<<1, 1>>>(dout);
    CK(cudaMemcpy(hout, dout, 16, cudaMemcpyDeviceToHost));
    double mhz = (double)hout[0] / (double)hout[1] * 1e3;
    printf("sm_clock_mhz %.0f MHz (clock64 over globaltimer, 40M cycles)\n", mhz);
    const int n = 4096;
    auto cyc = [&](const char *key, const char *what) {
        CK(cudaDeviceSynchronize());
        CK(cudaMemcpy(hout, dout, 8, cudaMemcpyDeviceToHost));
        double c = (double)hout[0] / n;
        printf("%s %.1f cycles (%.1f ns) %s\n", key, c, c / mhz * 1e3, what);
    };
    for (int thr : {16, 32, 128, 512}) {
        k_bar<<<1, thr>>>(n, dout); k_bar<<<1, thr>>>(n, dout);
        char key[64];
        snprintf(key, sizeof key, "bar_sync_%dthr", thr);
        cyc(key, "per __syncthreads, back to back");
    }
    for (int thr : {32, 128, 512}) {
        k_tree<<<1, thr>>>(n, fs, dout); k_tree<<<1, thr>>>(n, fs, dout);
        char key[64];
        snprintf(key, sizeof key, "smem_tree_step_%dthr", thr);
        cyc(key, "per step: __syncthreads + shared load + add + shared store");
    }
    k_shfl<<<1, 32>>>(n, fs, dout); k_shfl<<<1, 32>>>(n, fs, dout);
    cyc("shfl_step", "per step: shfl.sync.bfly + dependent fadd");
    k_smem_chase<<<1, 128>>>(n, us, dout); k_smem_chase<<<1, 128>>>(n, us, dout);
    cyc("smem_load", "dependent shared-memory load (pointer chase)");
    k_smem_atomic<<<1, 128>>>(n, us, dout); k_smem_atomic<<<1, 128>>>(n, us, dout);
    cyc("smem_atomic", "dependent shared-memory atomicAdd");
    unsigned *l1buf = make_chase(16 << 10, 128);
    k_gchase<<<1, 32>>>(l1buf, n, 1, us, dout);
    cyc("l1_load", "dependent ld.global.ca over 16 KB (L1 hit)");
    std::vector<unsigned> l2starts, dramstarts;
    unsigned *l2buf = make_chase(4 << 20, 128, &l2starts);
    k_gchase<<<1, 32>>>(l2buf, n, 0, us, dout);
    cyc("l2_load", "dependent ld.global.cg over 4 MB (L2 hit)");

    // kernel level, CUDA-graph period per kernel
    cudaStream_t s;
    CK(cudaStreamCreate(&s));
    const int G = 400;
    CK(cudaMalloc(&g_flush, 512ull << 20));
    double e = graph_period_ns(s, [&](cudaStream_t st, int) { k_empty<<<1, 128, 0, st>>>(); }, G);
    printf("graph_period_empty %.0f ns (k_empty, 1 CTA x 128)\n", e);
    unsigned *dram = make_chase(2048ull << 20, 4096, &dramstarts);
    for (int pass = 0; pass < 2; pass++) {
        unsigned *buf = pass ? dram : l2buf;
        const std::vector<unsigned> &st0 = pass ? dramstarts : l2starts;
        const char *lvl = pass ? "dram" : "l2";
        for (int r : {0, 1, 2, 4, 8, 16, 32}) {
            double p = graph_period_ns(s, [&](cudaStream_t st, int i) {
                k_chase_r<<<1, 128, 0, st>>>(buf, st0[i % 1024], r, us); }, G, pass == 1);
            printf("graph_period_chase_%s_r%d %.0f ns (minus empty %.0f)\n", lvl, r, p, p - e);
        }
    }
    big_param bp;
    for (int i = 0; i < 1024; i++)
        bp.w[i] = (unsigned)i;
    double p1 = graph_period_ns(s, [&](cudaStream_t st, int) { k_param<1><<<1, 128, 0, st>>>(bp, us); }, G);
    double p2 = graph_period_ns(s, [&](cudaStream_t st, int) { k_param<2><<<1, 128, 0, st>>>(bp, us); }, G);
    double p4 = graph_period_ns(s, [&](cudaStream_t st, int) { k_param<4><<<1, 128, 0, st>>>(bp, us); }, G);
    double p8 = graph_period_ns(s, [&](cudaStream_t st, int) { k_param<8><<<1, 128, 0, st>>>(bp, us); }, G);
    double p16 = graph_period_ns(s, [&](cudaStream_t st, int) { k_param<16><<<1, 128, 0, st>>>(bp, us); }, G);
    double p32 = graph_period_ns(s, [&](cudaStream_t st, int) { k_param<32><<<1, 128, 0, st>>>(bp, us); }, G);
    printf("graph_period_param_lines k1 %.0f k2 %.0f k4 %.0f k8 %.0f k16 %.0f k32 %.0f ns "
           "(4-KB by-value param, K words 128 B apart, dependent uses, then one store)\n",
           p1, p2, p4, p8, p16, p32);
    return 0;
}
