// membench.cu -- DRAM microbenchmarks that parametrize gbsim's memory model.
//
// 1. bandwidth vs active SMs: k CTAs of 1024 threads (one per SM), each
//    streaming its own contiguous slice with 16-B loads, 8 in flight per
//    thread; k = 1 .. 2*SMs. Gives the per-SM bandwidth a single SM can pull
//    and where the DRAM saturates.
// 2. bandwidth vs loads in flight per SM: 1 CTA per SM on every SM, threads
//    per CTA varied (32 .. 1024) with 1 load in flight each: bytes in flight
//    per SM vs bandwidth (Little's law).
// 3. latency: one thread chasing a random permutation over 1 GiB (2-MB pages,
//    stride-randomized 64-B lines), alone and while every other SM streams.
// 4. bandwidth vs contiguous run length: a weight matrix of 1440-B rows (the
//    FP4 rows of gpt-oss FC1/FC2, K = 2880) read the way a TMA k-tile loop
//    reads it: each CTA owns 128 rows and walks K in chunks of RUN bytes, so
//    every DRAM row-buffer visit moves RUN contiguous bytes (64 B is the
//    CUTLASS 128x128x128 FP4 k-tile). RUN = 1440 reads whole rows.
// 5. bandwidth vs run length x pipeline depth: rows of ROW bytes (5760 = a bf16
//    K = 2880 row, 1440 = its FP4 form), each CTA owning R rows and walking K
//    in RUN-byte k-tiles through a D-stage cp.async ring in shared memory (the
//    sm80 CUTLASS/cuBLAS mainloop shape: stage kt+D-1 is issued before stage
//    kt is consumed). D = 1 is test 4's access order; does keeping D k-tiles
//    of the same rows in flight let the DRAM serve D*RUN bytes per row visit?
//    Whole-row streaming (test 4's 1440 row) is the reference.
//    Result (microbench/results/membench5_h100.txt): one CTA per SM with a
//    cp.async ring tops out at 12-19 GB/s per CTA on H100 and H200 alike, so
//    this measures the SM side, not the DRAM; the DRAM question is answered
//    with TMA by tmabench.cu. Not used by any preset.
// 6. test 5 with the L2 fetch size cp.async asks for (.L2::128B/256B): no
//    effect (microbench/results/membench6_h200.txt, H200). Not used.
// Run some tests: membench N [N ...] (default: all); microbench/kit.sh runs
// membench 1 2 4.
// Buffers are 2 GiB and rotated so nothing is served from L2 (50-60 MB).
// Tests 5 and 6 pad each CTA's shared memory past half the SM's (116 KB on
// sm_90, 52 KB on sm_12x) so one CTA runs per SM; a ring that does not fit
// the device's per-block limit prints 0.
// Build: nvcc -O3 -gencode=arch=compute_90,code=sm_90 membench.cu -o membench
//        (sm_121a on a DGX Spark; microbench/kit.sh builds for the local GPU)
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { \
    fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e)); exit(1); } } while (0)

__global__ void stream_read(const int4 *__restrict__ buf, size_t per_cta, int4 *sink)
{
    const int4 *p = buf + (size_t)blockIdx.x * per_cta;
    int4 acc = {0, 0, 0, 0};
    for (size_t i = threadIdx.x; i < per_cta; i += 8 * blockDim.x) {
        int4 v[8];
#pragma unroll
        for (int u = 0; u < 8; u++) {
            size_t j = i + (size_t)u * blockDim.x;
            v[u] = j < per_cta ? __ldcs(p + j) : int4{0, 0, 0, 0};
        }
#pragma unroll
        for (int u = 0; u < 8; u++)
            acc.x ^= v[u].x, acc.y ^= v[u].y, acc.z ^= v[u].z, acc.w ^= v[u].w;
    }
    if (acc.x == 0x12345678 && acc.y == 1)
        sink[0] = acc;
}

__global__ void stream_read1(const int4 *__restrict__ buf, size_t per_cta, int4 *sink)
{
    const int4 *p = buf + (size_t)blockIdx.x * per_cta;
    int4 acc = {0, 0, 0, 0};
    for (size_t i = threadIdx.x; i < per_cta; i += blockDim.x) {
        int4 v = __ldcs(p + i);
        acc.x ^= v.x, acc.y ^= v.y, acc.z ^= v.z, acc.w ^= v.w;
    }
    if (acc.x == 0x12345678 && acc.y == 1)
        sink[0] = acc;
}

__global__ void chase(const uint32_t *next, int hops, uint32_t start, uint32_t *out, long long *cyc)
{
    uint32_t i = start;
    long long t0 = clock64();
    for (int h = 0; h < hops; h++)
        i = __ldcg(next + i);
    long long t1 = clock64();
    out[0] = i;
    cyc[0] = t1 - t0;
}

__global__ void spin_stream(const int4 *__restrict__ buf, size_t per_cta, int rounds, int4 *sink)
{
    int4 acc = {0, 0, 0, 0};
    for (int r = 0; r < rounds; r++) {
        const int4 *p = buf + (size_t)blockIdx.x * per_cta;
        for (size_t i = threadIdx.x; i < per_cta; i += blockDim.x) {
            int4 v = __ldcs(p + i);
            acc.x ^= v.x;
        }
    }
    if (acc.x == 0x12345678)
        sink[0] = acc;
}

__global__ void tiled_rows(const uint8_t *__restrict__ m, int row_bytes, int run, int4 *sink)
{
    const uint8_t *base = m + (size_t)blockIdx.x * 128 * row_bytes;
    int vec_per_row = run / 16;
    int4 acc = {0, 0, 0, 0};
    for (int k0 = 0; k0 < row_bytes; k0 += run) {
        int n = 128 * vec_per_row;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            int r = i / vec_per_row, v = i % vec_per_row;
            int off = k0 + v * 16;
            if (off + 16 <= row_bytes) {
                int4 x = __ldcs((const int4 *)(base + (size_t)r * row_bytes + off));
                acc.x ^= x.x, acc.y ^= x.y;
            }
        }
    }
    if (acc.x == 0x12345678 && acc.y == 1)
        sink[0] = acc;
}

template <int D, int PF>
__global__ void pipe_rows(const uint8_t *__restrict__ m, int row_bytes, int run, int rows_per_cta,
                          int4 *sink)
{
    extern __shared__ int4 ring[];
    const int vec = run / 16, per_stage = rows_per_cta * vec;
    const uint8_t *base = m + (size_t)blockIdx.x * rows_per_cta * row_bytes;
    const int nk = row_bytes / run;
    auto issue = [&](int kt) {
        if (kt < nk) {
            int4 *dst = ring + (kt % D) * per_stage;
            for (int i = threadIdx.x; i < per_stage; i += blockDim.x) {
                int r = i / vec, v = i % vec;
                const void *src = base + (size_t)r * row_bytes + (size_t)kt * run + v * 16;
                unsigned sa = (unsigned)__cvta_generic_to_shared(dst + i);
                if (PF == 256)
                    asm volatile("cp.async.cg.shared.global.L2::256B [%0], [%1], 16;\n" ::"r"(sa), "l"(src));
                else if (PF == 128)
                    asm volatile("cp.async.cg.shared.global.L2::128B [%0], [%1], 16;\n" ::"r"(sa), "l"(src));
                else
                    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(sa), "l"(src));
            }
        }
        asm volatile("cp.async.commit_group;\n" ::);
    };
    for (int kt = 0; kt < D - 1; kt++)
        issue(kt);
    int4 acc = {0, 0, 0, 0};
    for (int kt = 0; kt < nk; kt++) {
        issue(kt + D - 1);
        asm volatile("cp.async.wait_group %0;\n" ::"n"(D - 1));
        __syncthreads();
        const int4 *src = ring + (kt % D) * per_stage;
        for (int i = threadIdx.x; i < per_stage; i += blockDim.x)
            acc.x ^= src[i].x, acc.y ^= src[i].w;
        __syncthreads();
    }
    if (acc.x == 0x12345678 && acc.y == 1)
        sink[0] = acc;
}

// Dynamic shared memory that keeps one CTA per SM: more than half the SM's
// (116 KB on sm_90's 228 KB, as every committed result used), at least need.
static size_t one_cta_smem(size_t need)
{
    int per_sm = 0;
    CK(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, 0));
    return std::max(need, (size_t)per_sm / 2 + 2048);
}

// The largest ring a test may ask for: 200 KB, or less where the device's
// per-block opt-in limit (less 2 KB of static shared memory) is lower.
static size_t ring_limit()
{
    int optin = 0;
    CK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0));
    return std::min((size_t)200 * 1024, (size_t)optin - 2048);
}

template <int D, int PF = 0>
static float run_pipe(const uint8_t *buf, size_t half, int row_bytes, int run, int rows_per_cta,
                      int4 *sink, cudaEvent_t a, cudaEvent_t b)
{
    size_t need = (size_t)D * rows_per_cta * run;
    if (need > ring_limit())
        return 0;
    size_t smem = one_cta_smem(need);
    CK(cudaFuncSetAttribute(pipe_rows<D, PF>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    size_t ctas = half / ((size_t)row_bytes * rows_per_cta);
    float best = 0;
    for (int rep = 0; rep < 4; rep++) {
        const uint8_t *p = buf + (rep % 2) * half;
        CK(cudaEventRecord(a));
        pipe_rows<D, PF><<<(unsigned)ctas, 128, smem>>>(p, row_bytes, run, rows_per_cta, sink);
        CK(cudaGetLastError());
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        float ms;
        CK(cudaEventElapsedTime(&ms, a, b));
        best = std::max(best, (float)(ctas * rows_per_cta * (double)row_bytes / (ms * 1e-3) / 1e9));
    }
    return best;
}

int main(int argc, char **argv)
{
    // the tests named on the command line, or all of them
    bool want[7] = {argc <= 1, argc <= 1, argc <= 1, argc <= 1, argc <= 1, argc <= 1, argc <= 1};
    for (int i = 1; i < argc; i++) {
        int t = atoi(argv[i]);
        if (t < 1 || t > 6) {
            fprintf(stderr, "membench: test '%s': expected a number 1-6\n", argv[i]);
            return 2;
        }
        want[t] = true;
    }
    cudaDeviceProp pr;
    CK(cudaGetDeviceProperties(&pr, 0));
    int sms = pr.multiProcessorCount;
    int clk_khz = 0;
    CK(cudaDeviceGetAttribute(&clk_khz, cudaDevAttrClockRate, 0));
    printf("device %s sms %d l2 %d\n", pr.name, sms, pr.l2CacheSize);
    const size_t total = 2ull << 30;
    int4 *buf, *sink;
    CK(cudaMalloc(&buf, total));
    CK(cudaMalloc(&sink, 64));
    CK(cudaMemset(buf, 1, total));
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));

    if (want[1]) {
    // 1. bandwidth vs active SMs (1 CTA per SM, 1024 threads, 8 x 16 B in flight per thread)
    printf("# test1 ctas bytes_per_cta gbps\n");
    int ks[] = {1, 2, 4, 8, 16, 24, 33, 48, 66, 80, 92, 99, 116, 132, 264};
    for (int k : ks) {
        if (k > 2 * sms) continue;
        size_t per_cta = std::min((size_t)(64ull << 20), total / 2 / k) / 16; // int4s
        float best = 0;
        for (int rep = 0; rep < 5; rep++) {
            const int4 *p = buf + (rep % 2) * (total / 2 / 16);
            CK(cudaEventRecord(a));
            stream_read<<<k, 1024>>>(p, per_cta, sink);
            CK(cudaEventRecord(b));
            CK(cudaEventSynchronize(b));
            float ms;
            CK(cudaEventElapsedTime(&ms, a, b));
            float gbps = (float)(per_cta * 16.0 * k / (ms * 1e-3) / 1e9);
            best = std::max(best, gbps);
        }
        printf("test1 %d %zu %.1f\n", k, per_cta * 16, best);
    }

    }
    if (want[2]) {
    // 2. bandwidth vs bytes in flight per SM: one CTA per SM, T threads, 1 load of 16 B each
    printf("# test2 threads_per_sm inflight_bytes_per_sm gbps\n");
    int ts[] = {32, 64, 128, 256, 512, 1024};
    for (int t : ts) {
        size_t per_cta = (total / 2 / sms) / 16;
        float best = 0;
        for (int rep = 0; rep < 3; rep++) {
            const int4 *p = buf + (rep % 2) * (total / 2 / 16);
            CK(cudaEventRecord(a));
            stream_read1<<<sms, t>>>(p, per_cta, sink);
            CK(cudaEventRecord(b));
            CK(cudaEventSynchronize(b));
            float ms;
            CK(cudaEventElapsedTime(&ms, a, b));
            best = std::max(best, (float)(per_cta * 16.0 * sms / (ms * 1e-3) / 1e9));
        }
        printf("test2 %d %d %.1f\n", t, t * 16, best);
    }

    }
    if (want[3]) {
    // 3. latency: random cyclic permutation of 64-B lines over 1 GiB
    const size_t lines = (1ull << 30) / 64;
    std::vector<uint32_t> perm(lines);
    for (size_t i = 0; i < lines; i++) perm[i] = (uint32_t)i;
    srand(12345);
    for (size_t i = lines - 1; i > 0; i--) {
        size_t j = ((size_t)rand() * RAND_MAX + rand()) % (i + 1);
        std::swap(perm[i], perm[j]);
    }
    std::vector<uint32_t> next(lines * 16, 0);
    for (size_t i = 0; i < lines; i++)
        next[(size_t)perm[i] * 16] = perm[(i + 1) % lines] * 16;
    uint32_t *dnext, *dout;
    long long *dcyc;
    CK(cudaMalloc(&dnext, next.size() * 4));
    CK(cudaMemcpy(dnext, next.data(), next.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMalloc(&dout, 4));
    CK(cudaMalloc(&dcyc, 8));
    const int hops = 20000;
    chase<<<1, 1>>>(dnext, 1000, perm[0] * 16, dout, dcyc);  // warm TLB path once
    CK(cudaDeviceSynchronize());
    long long cyc;
    chase<<<1, 1>>>(dnext, hops, perm[5] * 16, dout, dcyc);
    CK(cudaDeviceSynchronize());
    CK(cudaMemcpy(&cyc, dcyc, 8, cudaMemcpyDeviceToHost));
    double clk_ghz = clk_khz * 1e-6;
    printf("test3 idle_latency_ns %.1f (cycles %.1f at %.3f GHz)\n", cyc / (double)hops / clk_ghz,
           cyc / (double)hops, clk_ghz);
    cudaStream_t s1, s2;
    CK(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking));
    CK(cudaStreamCreateWithFlags(&s2, cudaStreamNonBlocking));
    size_t per_cta = (total / 2 / (sms - 1)) / 16;
    spin_stream<<<sms - 1, 1024, 0, s1>>>(buf, per_cta, 40, sink);
    chase<<<1, 1, 0, s2>>>(dnext, hops, perm[9] * 16, dout, dcyc);
    CK(cudaStreamSynchronize(s2));
    CK(cudaMemcpy(&cyc, dcyc, 8, cudaMemcpyDeviceToHost));
    CK(cudaDeviceSynchronize());
    printf("test3 loaded_latency_ns %.1f (cycles %.1f)\n", cyc / (double)hops / clk_ghz,
           cyc / (double)hops);
    }
    if (want[4]) {
    // 4. run-length sweep
    printf("# test4 run_bytes gbps (1440-B rows, 128 rows per CTA)\n");
    const int row_bytes = 1440;
    size_t rows = (size_t)(1ull << 30) / row_bytes / 128 * 128;
    int runs[] = {32, 64, 128, 256, 480, 1440};
    for (int run : runs) {
        float best = 0;
        for (int rep = 0; rep < 4; rep++) {
            const uint8_t *p = (const uint8_t *)buf + (rep % 2) * (total / 2);
            CK(cudaEventRecord(a));
            tiled_rows<<<(unsigned)(rows / 128), 256>>>(p, row_bytes, run, sink);
            CK(cudaEventRecord(b));
            CK(cudaEventSynchronize(b));
            float ms;
            CK(cudaEventElapsedTime(&ms, a, b));
            best = std::max(best, (float)(rows * row_bytes / (ms * 1e-3) / 1e9));
        }
        printf("test4 %d %.1f\n", run, best);
    }
    }
    const uint8_t *b8 = (const uint8_t *)buf;
    const size_t half = total / 2;
    if (want[5]) {
    // 5. run length x pipeline depth (cp.async ring, 128 threads per CTA)
    printf("# test5 row_bytes rows_per_cta run_bytes depth gbps (1 CTA per SM)\n");
    // one CTA per SM (the ring is padded to >= 116 KB), as a TMA GEMV kernel runs
    struct { int row, rows, run, depth; } cfg[] = {
        {5760, 64, 64, 1}, {5760, 64, 64, 2}, {5760, 64, 64, 4}, {5760, 64, 64, 8}, {5760, 64, 64, 16},
        {5760, 64, 128, 1}, {5760, 64, 128, 2}, {5760, 64, 128, 4}, {5760, 64, 128, 8}, {5760, 64, 128, 16},
        {5760, 64, 384, 1}, {5760, 64, 384, 2}, {5760, 64, 384, 4}, {5760, 64, 1152, 1}, {5760, 64, 1152, 2},
        {5760, 128, 128, 1}, {5760, 128, 128, 4}, {5760, 128, 128, 8}, {5760, 128, 576, 1}, {5760, 128, 1152, 1},
        {5760, 512, 128, 1}, {5760, 512, 128, 2}, {5760, 512, 128, 3}, {5760, 512, 384, 1},
        {1440, 128, 64, 1}, {1440, 128, 64, 2}, {1440, 128, 64, 4}, {1440, 128, 64, 8}, {1440, 128, 288, 1},
        {1440, 128, 720, 2}};
    for (auto c : cfg) {
        float g = 0;
        switch (c.depth) {
        case 1: g = run_pipe<1>(b8, half, c.row, c.run, c.rows, sink, a, b); break;
        case 2: g = run_pipe<2>(b8, half, c.row, c.run, c.rows, sink, a, b); break;
        case 3: g = run_pipe<3>(b8, half, c.row, c.run, c.rows, sink, a, b); break;
        case 4: g = run_pipe<4>(b8, half, c.row, c.run, c.rows, sink, a, b); break;
        case 8: g = run_pipe<8>(b8, half, c.row, c.run, c.rows, sink, a, b); break;
        case 16: g = run_pipe<16>(b8, half, c.row, c.run, c.rows, sink, a, b); break;
        }
        printf("test5 %d %d %d %d %.1f\n", c.row, c.rows, c.run, c.depth, g);
    }
    }
    if (want[6]) {
    // 6. test 5 with the L2 fetch size the copy asks for (cp.async .L2::128B / ::256B,
    //    what a TMA descriptor's l2Promotion sets): does promotion turn the next
    //    k-tile's DRAM visit into an L2 hit?
    printf("# test6 row_bytes rows_per_cta run_bytes depth l2_fetch_bytes gbps (1 CTA per SM)\n");
    struct { int row, rows, run; } c6[] = {{5760, 64, 64}, {5760, 64, 128}, {5760, 512, 128}, {1440, 128, 64}, {1440, 128, 32}};
    for (auto c : c6) {
        printf("test6 %d %d %d 4 0 %.1f\n", c.row, c.rows, c.run, run_pipe<4, 0>(b8, half, c.row, c.run, c.rows, sink, a, b));
        printf("test6 %d %d %d 4 128 %.1f\n", c.row, c.rows, c.run, run_pipe<4, 128>(b8, half, c.row, c.run, c.rows, sink, a, b));
        printf("test6 %d %d %d 4 256 %.1f\n", c.row, c.rows, c.run, run_pipe<4, 256>(b8, half, c.row, c.run, c.rows, sink, a, b));
        printf("test6 %d %d %d 2 256 %.1f\n", c.row, c.rows, c.run, run_pipe<2, 256>(b8, half, c.row, c.run, c.rows, sink, a, b));
    }
    }
    return 0;
}
