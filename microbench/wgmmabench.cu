// wgmmabench.cu -- the latency a Hopper warpgroup waits for a group of
// wgmma.mma_async instructions (commit_group, then wait_group 0) beyond their
// issue: what a kernel pays per dependent GEMM when the next instructions need
// its result (FlashAttention-style attention: S = Q K^T is waited for before
// the softmax, O += P V before the next tile's rescale).
//
// One CTA (an otherwise idle SM) of W warpgroups (128 threads each); every
// warpgroup runs ITERS rounds of: G wgmma m64nNk16 (bf16 x bf16 -> f32,
// operands in shared memory, no swizzle, accumulating into the same
// registers), commit_group, wait_group 0. clock64 before and after; cycles per
// round, the median of 5 launches. G is a template parameter, so the G
// wgmma of a round are issued back to back behind one wgmma.fence. With cycles(G) = L + G x T, T is the issue
// interval of one wgmma (the tensor cores' rate) and L what each wait adds.
//
// Output, one line per configuration:
//   wgmma n N wg W group G cyc_per_group C cyc_per_mma C/G
//   wgmma_fit n N wg W latency_cyc L mma_cyc T   (least squares over G)
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -o wgmmabench microbench/wgmmabench.cu
#include <cuda_runtime.h>
#include <stdint.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CK(x)                                                                                     \
    do {                                                                                          \
        cudaError_t e_ = (x);                                                                     \
        if (e_) {                                                                                 \
            fprintf(stderr, "wgmmabench: %s line %d: %s\n", #x, __LINE__, cudaGetErrorString(e_)); \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

// A shared-memory matrix descriptor (PTX ISA, "Matrix Descriptor Format"): start
// address >> 4 (bits 0-13), leading byte offset >> 4 (16-29), stride byte offset
// >> 4 (32-45), no swizzle (bits 62-63 = 0). Core matrices are 8 rows x 16 B.
__device__ static uint64_t smem_desc(const void *p, uint32_t lbo, uint32_t sbo)
{
    uint64_t a = (uint64_t)__cvta_generic_to_shared(p);
    return ((a >> 4) & 0x3fff) | ((uint64_t)((lbo >> 4) & 0x3fff) << 16) | ((uint64_t)((sbo >> 4) & 0x3fff) << 32);
}

template <int N> __device__ void wg_mma(float *d, uint64_t da, uint64_t db);
template <> __device__ __forceinline__ void wg_mma<64>(float *d, uint64_t da, uint64_t db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "l"(da), "l"(db), "r"(1));
}
template <> __device__ __forceinline__ void wg_mma<128>(float *d, uint64_t da, uint64_t db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(da), "l"(db), "r"(1));
}

template <int N, int G>
__global__ void __launch_bounds__(256) k_chain(int iters, long long *cyc, float *sink)
{
    // A: 64 x 16 bf16 (2 KiB), B: N x 16 bf16; zeros (the values do not change the time)
    __shared__ __align__(128) uint16_t sa[64 * 16];
    __shared__ __align__(128) uint16_t sb[128 * 16];
    for (int i = threadIdx.x; i < 64 * 16; i += blockDim.x)
        sa[i] = 0;
    for (int i = threadIdx.x; i < 128 * 16; i += blockDim.x)
        sb[i] = 0;
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    __syncthreads();
    const uint64_t da = smem_desc(sa, 128, 256), db = smem_desc(sb, 128, 256);
    float d[N / 2];
    for (int i = 0; i < N / 2; i++)
        d[i] = 0.f;
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
    __syncthreads();
    long long t0 = clock64();
    for (int it = 0; it < iters; it++) {
        asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
        for (int g = 0; g < G; g++)
            wg_mma<N>(d, da, db);
        asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
        asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
    }
    long long t1 = clock64();
    float s = 0.f;
    for (int i = 0; i < N / 2; i++)
        s += d[i];
    if (s != 0.f)
        sink[threadIdx.x] = s;
    if (threadIdx.x % 128 == 0)
        cyc[threadIdx.x / 128] = t1 - t0;
}

template <int N, int G>
static double cycles_per_group(int wg, long long *dcyc, float *sink)
{
    const int iters = 2000;
    std::vector<double> v;
    for (int r = 0; r < 6; r++) {
        k_chain<N, G><<<1, 128 * wg>>>(iters, dcyc, sink);
        CK(cudaGetLastError());
        CK(cudaDeviceSynchronize());
        long long h[2];
        CK(cudaMemcpy(h, dcyc, sizeof(long long) * wg, cudaMemcpyDeviceToHost));
        long long mx = 0;
        for (int w = 0; w < wg; w++)
            mx = std::max(mx, h[w]);
        if (r > 0)                       // the first launch warms the code
            v.push_back((double)mx / iters);
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <int N>
static void run(int wg, long long *dcyc, float *sink)
{
    const int groups[] = {1, 2, 4, 8, 16};
    const double cs[] = {cycles_per_group<N, 1>(wg, dcyc, sink), cycles_per_group<N, 2>(wg, dcyc, sink),
                         cycles_per_group<N, 4>(wg, dcyc, sink), cycles_per_group<N, 8>(wg, dcyc, sink),
                         cycles_per_group<N, 16>(wg, dcyc, sink)};
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const int n = sizeof groups / sizeof groups[0];
    for (int i = 0; i < n; i++) {
        const int g = groups[i];
        const double c = cs[i];
        printf("wgmma n %d wg %d group %d cyc_per_group %.1f cyc_per_mma %.2f\n", N, wg, g, c, c / g);
        sx += g, sy += c, sxx += (double)g * g, sxy += g * c;
    }
    double t = (n * sxy - sx * sy) / (n * sxx - sx * sx), l = (sy - t * sx) / n;
    printf("wgmma_fit n %d wg %d latency_cyc %.1f mma_cyc %.2f\n", N, wg, l, t);
    fflush(stdout);
}

int main()
{
    cudaDeviceProp pr;
    CK(cudaGetDeviceProperties(&pr, 0));
    int clk_khz = 0;
    CK(cudaDeviceGetAttribute(&clk_khz, cudaDevAttrClockRate, 0));
    printf("# microbench/wgmmabench.cu on %s (%d SMs, sm_%d%d, clock %d MHz)\n", pr.name, pr.multiProcessorCount,
           pr.major, pr.minor, clk_khz / 1000);
    long long *dcyc;
    float *sink;
    CK(cudaMalloc(&dcyc, 4 * sizeof(long long)));
    CK(cudaMalloc(&sink, 512 * sizeof(float)));
    for (int wg = 1; wg <= 2; wg++) {
        run<64>(wg, dcyc, sink);
        run<128>(wg, dcyc, sink);
    }
    return 0;
}
