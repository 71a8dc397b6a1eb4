// kpdl.cu -- what a small kernel spends outside its warps (experiments/kpdl.py).
//
// experiments/kstall_digest.py finds cuBLAS's splitKreduce_kernel lasting
// 0.6-0.8 us longer than an empty kernel plus its warps' lifetime; its SASS
// holds ACQBULK and PREEXIT (griddepcontrol.wait / launch_dependents: a
// programmatic dependent launch). These kernels separate the candidates:
//
//   k_store<W>   every thread stores W words (the launch shape and the stores
//                alone);
//   k_spin       a producer that keeps its SMs busy for `cycles` SM cycles,
//                then stores (the GEMV before the reduce);
//   k_wait_store griddepcontrol.wait, then one store per thread (the reduce's
//                shape: launched with or without the programmatic-serialization
//                attribute behind k_spin).
//
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -shared -Xcompiler -fPIC \
//          -o kpdl.so experiments/kpdl.cu
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

__global__ void k_wait_store(int *p)
{
    asm volatile("griddepcontrol.wait;" ::: "memory");
    p[blockIdx.x * blockDim.x + threadIdx.x] = (int)threadIdx.x;
}

static int launch(void (*k)(int *), int grid, int block, int pdl, void *p, void *stream)
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
    cudaError_t e = cudaLaunchKernelEx(&cfg, k, (int *)p);
    return e != cudaSuccess ? (int)e : (int)cudaGetLastError();
}

extern "C" {
int kp_store(int words, int grid, int block, int pdl, void *p, void *stream)
{
    switch (words) {
    case 1: return launch(k_store<1>, grid, block, pdl, p, stream);
    case 4: return launch(k_store<4>, grid, block, pdl, p, stream);
    case 16: return launch(k_store<16>, grid, block, pdl, p, stream);
    default: return -1;
    }
}
int kp_wait_store(int grid, int block, int pdl, void *p, void *stream)
{
    return launch(k_wait_store, grid, block, pdl, p, stream);
}
int kp_spin(int grid, int block, long long cycles, void *p, void *stream)
{
    k_spin<<<grid, block, 0, (cudaStream_t)stream>>>((int *)p, cycles);
    return (int)cudaGetLastError();
}
}
