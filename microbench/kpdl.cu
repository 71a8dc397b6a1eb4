// kpdl.cu -- what a small kernel spends outside its warps (microbench/kpdl.py).
//
// microbench/kstall_digest.py finds cuBLAS's splitKreduce_kernel lasting
// 0.6-0.8 us longer than an empty kernel plus its warps' lifetime; its SASS
// holds ACQBULK and PREEXIT (griddepcontrol.wait / launch_dependents: a
// programmatic dependent launch). These kernels separate the candidates:
//
//   k_store<W>   every thread stores W words (the launch shape and the stores
//                alone);
//   k_spin       a producer that keeps its SMs busy for `cycles` SM cycles,
//                then stores (the GEMV before the reduce); k_spin_early the
//                same after griddepcontrol.launch_dependents; k_spin_bulk the
//                same ending in a 4-KB bulk asynchronous store per CTA;
//   k_wait_store griddepcontrol.wait, then one store per thread (the reduce's
//                shape: launched with or without the programmatic-serialization
//                attribute behind k_spin); k_wait_copy the same reading what
//                the producer wrote first.
//
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -shared -Xcompiler -fPIC \
//          -o kpdl.so microbench/kpdl.cu
#include <cuda_runtime.h>

template <int W>
__global__ void k_store(int *p)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    int n = gridDim.x * blockDim.x;
#pragma unroll
    for (int w = 0; w < W; w++)
        p[w * n + i] = i + w;
}

__global__ void k_spin(int *p, long long cycles)
{
    long long t0 = clock64();
    while (clock64() - t0 < cycles) {
    }
    p[blockIdx.x * blockDim.x + threadIdx.x] = (int)threadIdx.x;
}

// k_spin that lets its dependents launch at once (griddepcontrol.launch_dependents)
__global__ void k_spin_early(int *p, long long cycles)
{
    asm volatile("griddepcontrol.launch_dependents;");
    long long t0 = clock64();
    while (clock64() - t0 < cycles) {
    }
    p[blockIdx.x * blockDim.x + threadIdx.x] = (int)threadIdx.x;
}

// k_spin whose CTAs end with a bulk asynchronous store of 4 KB from shared
// memory (cp.async.bulk, waited for as a bulk group): the epilogue of a TMA
// GEMM such as nvjet, whose partials splitKreduce then reads
__global__ void k_spin_bulk(int *p, long long cycles)
{
    __shared__ __align__(128) int buf[1024];
    for (int i = threadIdx.x; i < 1024; i += blockDim.x)
        buf[i] = i;
    long long t0 = clock64();
    while (clock64() - t0 < cycles) {
    }
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned src = (unsigned)__cvta_generic_to_shared(buf);
        asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], 4096;"
                     ::"l"(p + 1024 * blockIdx.x), "r"(src) : "memory");
        asm volatile("cp.async.bulk.commit_group;" ::: "memory");
        asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
    }
}

__global__ void k_wait_store(int *p)
{
    asm volatile("griddepcontrol.wait;" ::: "memory");
    p[blockIdx.x * blockDim.x + threadIdx.x] = (int)threadIdx.x;
}

// k_wait_store that first reads what the producer wrote (as splitKreduce reads
// the partials nvjet stored)
__global__ void k_wait_copy(const int *in, int *p)
{
    asm volatile("griddepcontrol.wait;" ::: "memory");
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    p[i] = in[i] + 1;
}

// launch k on grid x block, with the programmatic-serialization attribute if pdl
template <typename... P, typename... A>
static int launch(void (*k)(P...), int grid, int block, int pdl, void *stream, A... args)
{
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(grid);
    cfg.blockDim = dim3(block);
    cfg.stream = (cudaStream_t)stream;
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    at[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = at;
    cfg.numAttrs = pdl ? 1 : 0;
    cudaError_t e = cudaLaunchKernelEx(&cfg, k, args...);
    return e != cudaSuccess ? (int)e : (int)cudaGetLastError();
}

extern "C" {
int kp_store(int words, int grid, int block, int pdl, void *p, void *stream)
{
    switch (words) {
    case 1: return launch(k_store<1>, grid, block, pdl, stream, (int *)p);
    case 4: return launch(k_store<4>, grid, block, pdl, stream, (int *)p);
    case 16: return launch(k_store<16>, grid, block, pdl, stream, (int *)p);
    default: return -1;
    }
}
int kp_wait_copy(int grid, int block, int pdl, const void *in, void *p, void *stream)
{
    return launch(k_wait_copy, grid, block, pdl, stream, (const int *)in, (int *)p);
}
int kp_wait_store(int grid, int block, int pdl, void *p, void *stream)
{
    return launch(k_wait_store, grid, block, pdl, stream, (int *)p);
}
int kp_spin(int grid, int block, long long cycles, int early, void *p, void *stream)
{
    if (early == 2)
        k_spin_bulk<<<grid, block, 0, (cudaStream_t)stream>>>((int *)p, cycles);
    else if (early)
        k_spin_early<<<grid, block, 0, (cudaStream_t)stream>>>((int *)p, cycles);
    else
        k_spin<<<grid, block, 0, (cudaStream_t)stream>>>((int *)p, cycles);
    return (int)cudaGetLastError();
}
}
