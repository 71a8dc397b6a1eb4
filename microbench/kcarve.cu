// kcarve.cu -- does a small kernel pay when the kernel before it on its SMs
// ran with a large shared-memory carveout?
//
// A: 132 CTAs x 128 threads, `smem` bytes of dynamic shared memory, each
//    thread writes one word of it (a stand-in for a GEMM's pipeline buffers;
//    it moves no global memory to speak of).
// X: 6 CTAs x 128 threads, each thread loads 4 bf16-sized values of a 23-KB
//    buffer, sums them and stores one word (the shape of the decode step's
//    outer sum).
// Per A-smem setting, a CUDA graph of ITER x [A, X] and one of ITER x [A]
// (cudaEvent timed, third launch); the per-iteration difference is X's cost
// after A, the graph's gap included. The same with X's preferred carveout set to the
// maximum shared memory (cudaFuncAttributePreferredSharedMemoryCarveout =
// 100), so that X wants the split A left.
//
// nvcc -O3 -arch=sm_90 -o kcarve microbench/kcarve.cu && ./kcarve
#include <cstdio>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
    fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); return 1; } } while (0)

__global__ void k_a(int *out)
{
    extern __shared__ int sm[];
    sm[threadIdx.x] = threadIdx.x;
    __syncthreads();
    if (threadIdx.x == 0 && sm[5] == -1)
        out[blockIdx.x] = sm[7];
}

__global__ void k_x(const unsigned short *in, float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    float s = 0;
#pragma unroll
    for (int j = 0; j < 4; j++) {
        int k = i + j * (gridDim.x * blockDim.x);
        if (k < n)
            s += (float)in[k];
    }
    out[i] = s;
}

static float period_us(cudaStream_t st, int smem, int with_x, const unsigned short *in, float *out,
                       int *aout, int n, int iters)
{
    cudaGraph_t g;
    cudaGraphExec_t ge;
    cudaStreamBeginCapture(st, cudaStreamCaptureModeGlobal);
    for (int i = 0; i < iters; i++) {
        k_a<<<132, 128, smem, st>>>(aout);
        if (with_x)
            k_x<<<6, 128, 0, st>>>(in, out, n);
    }
    cudaStreamEndCapture(st, &g);
    cudaGraphInstantiate(&ge, g, 0);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    for (int w = 0; w < 3; w++) {
        cudaEventRecord(e0, st);
        cudaGraphLaunch(ge, st);
        cudaEventRecord(e1, st);
        cudaEventSynchronize(e1);
    }
    float ms;
    cudaEventElapsedTime(&ms, e0, e1);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cudaGraphExecDestroy(ge);
    cudaGraphDestroy(g);
    return ms * 1e3f / iters;
}

int main()
{
    cudaDeviceProp p;
    CK(cudaGetDeviceProperties(&p, 0));
    printf("# microbench/kcarve.cu on %s (%d SMs, %zu B shared per block opt-in)\n", p.name,
           p.multiProcessorCount, p.sharedMemPerBlockOptin);
    const int n = 4 * 2880, iters = 500;
    unsigned short *in;
    float *out;
    int *aout;
    CK(cudaMalloc(&in, n * 2));
    CK(cudaMalloc(&out, 6 * 128 * 4));
    CK(cudaMalloc(&aout, 132 * 4));
    CK(cudaMemset(in, 0, n * 2));
    CK(cudaFuncSetAttribute(k_a, cudaFuncAttributeMaxDynamicSharedMemorySize,
                            (int)p.sharedMemPerBlockOptin));
    cudaStream_t st;
    CK(cudaStreamCreate(&st));
    const int smems[] = {1 << 10, 16 << 10, 48 << 10, 100 << 10, 164 << 10, (int)p.sharedMemPerBlockOptin};
    for (int pref = 0; pref < 2; pref++) {
        CK(cudaFuncSetAttribute(k_x, cudaFuncAttributePreferredSharedMemoryCarveout, pref ? 100 : -1));
        printf("# X preferred carveout: %s\n", pref ? "100 (max shared)" : "default");
        printf("# A_smem_bytes period_A_X_us period_A_us X_after_A_us\n");
        for (int smem : smems) {
            float pax = period_us(st, smem, 1, in, out, aout, n, iters);
            float pa = period_us(st, smem, 0, in, out, aout, n, iters);
            printf("%d %.3f %.3f %.3f\n", smem, pax, pa, pax - pa);
        }
    }
    CK(cudaGetLastError());
    return 0;
}
