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
