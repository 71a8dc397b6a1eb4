// tlbbench.cu -- what a load costs when its page is not in the GPU's TLBs.
//
// A single thread chases pointers through `range` bytes of a buffer, one hop
// per `stride` bytes, in a random cyclic order, and reports the mean
// latency per hop of up to 4096 hops (clock64 around the chase). Each chain is
// timed twice after a 256-MiB sweep has evicted it from L2: "warm", after one
// pass over its first 4096 hops (chains of <= ~1024 hops then hit the SM's
// L1: ~22 ns; longer ones are only partly warmed), and "cold", with no pass:
// every hop a DRAM access, and, with stride = 2 MiB (the page size cudaMalloc
// uses for large buffers), every hop another page, so ranges past a TLB
// level's reach would add its miss penalty. stride 64 KiB: 32 hops per page.
// The cold column is the measurement.
//
// test1 stride_bytes range_bytes pages warm_ns_per_hop cold <cold_ns_per_hop>
//       (tlbbench_h100.txt's header line predates the cold column)
// test2: the first load of a kernel (1 thread) to a page of `range` no kernel
//        touched for a while (41 launches rotate over the range's pages: at
//        32 MiB they cycle over 16), L2 cold, as capture_shapes.py's operand
//        copies are: ns for that load, vs another line of the same page.
//
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a tlbbench.cu -o tlbbench
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { \
    fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e)); exit(1); } } while (0)

// hops dependent loads from start, timed; warm: after one untimed pass
__global__ void chase(const uint64_t *buf, uint64_t start, long hops, int warm, uint64_t *out, long long *cyc)
{
    uint64_t p = start;
    for (long i = 0; warm && i < hops; i++)
        p = buf[p];
    long long t0 = clock64();
    for (long i = 0; i < hops; i++)
        p = buf[p];
    long long t1 = clock64();
    out[0] = p;
    cyc[0] = t1 - t0;
}

__global__ void sweep(const uint4 *b, size_t n, uint4 *sink)
{
    uint4 acc = {0, 0, 0, 0};
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        uint4 v = __ldcg(b + i);
        acc.x ^= v.x;
    }
    if (acc.x == 0x12345678)
        sink[0] = acc;
}

// one thread: cycles from before the kernel's first load to its value
__global__ void first_load(const uint64_t *p, uint64_t *out, unsigned long long *cyc)
{
    long long t0 = clock64();
    uint64_t v = *(volatile const uint64_t *)p;
    out[0] = v;
    long long t1 = clock64();
    cyc[0] = (unsigned long long)(t1 - t0);
}

int main()
{
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    int clk_khz = 0;
    CK(cudaDeviceGetAttribute(&clk_khz, cudaDevAttrClockRate, 0));
    printf("device %s sms %d l2 %d\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize);
    const size_t total = 16ull << 30;
    uint64_t *buf;
    CK(cudaMalloc(&buf, total));
    CK(cudaMemset(buf, 0, total));
    const size_t flush_n = (256ull << 20) / 16;
    uint4 *flush, *sink;
    CK(cudaMalloc(&flush, flush_n * 16));
    CK(cudaMemset(flush, 1, flush_n * 16));
    CK(cudaMalloc(&sink, 64));
    uint64_t *dout;
    long long *dcyc;
    CK(cudaMalloc(&dout, 8));
    CK(cudaMalloc(&dcyc, 8));
    double ghz = clk_khz * 1e-6;
    srand(4321);
    printf("# test1 stride_bytes range_bytes pages warm_ns_per_hop cold cold_ns_per_hop\n");
    const size_t strides[] = {2ull << 20, 64ull << 10};
    for (size_t stride : strides) {
        for (size_t range = 4ull << 20; range <= total; range *= 2) {
            size_t n = range / stride;
            if (n < 2 || n > (1u << 16))
                continue;
            std::vector<uint64_t> order(n);
            for (size_t i = 0; i < n; i++)
                order[i] = i;
            for (size_t i = n - 1; i > 0; i--)
                std::swap(order[i], order[(size_t)rand() % (i + 1)]);
            // element index of hop i: stride-aligned slot plus a line offset that varies
            auto idx = [&](size_t i) { return (order[i] * stride + (order[i] % 16) * 128) / 8; };
            for (size_t i = 0; i < n; i++) {
                uint64_t nxt = idx((i + 1) % n);
                CK(cudaMemcpy(buf + idx(i), &nxt, 8, cudaMemcpyHostToDevice));
            }
            long hops = (long)std::min<size_t>(n, 4096);
            sweep<<<528, 512>>>(flush, flush_n, sink);
            chase<<<1, 1>>>(buf, idx(0), hops, 1, dout, dcyc);
            CK(cudaDeviceSynchronize());
            long long cyc;
            CK(cudaMemcpy(&cyc, dcyc, 8, cudaMemcpyDeviceToHost));
            // the warm-up pass brought the chain's lines into L2 when they fit: report
            // the cold pass too (no warm-up, after the sweep)
            sweep<<<528, 512>>>(flush, flush_n, sink);
            chase<<<1, 1>>>(buf, idx(0), hops, 0, dout, dcyc);
            CK(cudaDeviceSynchronize());
            long long cyc_cold;
            CK(cudaMemcpy(&cyc_cold, dcyc, 8, cudaMemcpyDeviceToHost));
            printf("test1 %zu %zu %zu %.1f cold %.1f\n", stride, range, n, cyc / (double)hops / ghz,
                   cyc_cold / (double)hops / ghz);
            for (size_t i = 0; i < n; i++) {
                uint64_t z = 0;
                CK(cudaMemcpy(buf + idx(i), &z, 8, cudaMemcpyHostToDevice));
            }
        }
    }
    // test2: first load of a fresh kernel, rotating over pages of `range`
    printf("# test2 range_bytes first_load_ns_median (new page each launch, L2 cold) same_page_l2_cold_ns\n");
    unsigned long long *dns;
    CK(cudaMalloc(&dns, 8));
    for (size_t range = 32ull << 20; range <= total; range *= 4) {
        size_t pages = range / (2ull << 20);
        std::vector<double> fresh, same;
        for (int r = 0; r < 41; r++) {
            size_t pg = ((size_t)r * 7919) % pages;
            const uint64_t *p = buf + pg * (2ull << 20) / 8 + (r % 16) * 16;
            sweep<<<528, 512>>>(flush, flush_n, sink);
            first_load<<<1, 1>>>(p, dout, dns);
            unsigned long long ns;
            CK(cudaMemcpy(&ns, dns, 8, cudaMemcpyDeviceToHost));
            fresh.push_back(ns / ghz);
            sweep<<<528, 512>>>(flush, flush_n, sink);
            first_load<<<1, 1>>>(p + 32, dout, dns);
            CK(cudaMemcpy(&ns, dns, 8, cudaMemcpyDeviceToHost));
            same.push_back(ns / ghz);
        }
        std::sort(fresh.begin(), fresh.end());
        std::sort(same.begin(), same.end());
        printf("test2 %zu %.0f %.0f\n", range, fresh[20], same[20]);
    }
    return 0;
}
