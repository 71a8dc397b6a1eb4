// Microbenchmarks for gbsim arch parameters: DRAM/L2 chase latency, L2 read
// bandwidth, launch API time, eager back-to-back kernel period, graph period.
// ubench kit (microbench/kit.sh) leaves out the 256 MiB and 2 GiB chases (DRAM
// latency comes from membench.cu test 2), which take most of the run.
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a ubench.cu -o ubench
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <chrono>
#include <algorithm>
#include <random>
#include <string>
#define CK(x) do{cudaError_t e=(x); if(e){printf("ERR %s line %d: %s\n",#x,__LINE__,cudaGetErrorString(e)); exit(1);}}while(0)
__global__ void chase(const unsigned *p, unsigned start, long n, unsigned *out){
  unsigned j=start; for(long i=0;i<n;i++) j=__ldcg(p+j); *out=j; }
__global__ void empty(){}
__global__ void spin(long long cyc){ long long t=clock64(); while(clock64()-t<cyc); }
__global__ void rd(const int4 *p, size_t n, size_t iters, int *out){
  int4 acc={0,0,0,0}; size_t tid=blockIdx.x*(size_t)blockDim.x+threadIdx.x, st=(size_t)gridDim.x*blockDim.x;
  for(size_t it=0;it<iters;it++) for(size_t i=tid;i<n;i+=st){int4 v=__ldcg(p+i); acc.x^=v.x; acc.y^=v.y; acc.z^=v.z; acc.w^=v.w;}
  if((acc.x^acc.y^acc.z^acc.w)==0x12345) *out=1; }
static float ms(cudaEvent_t a, cudaEvent_t b){float t; CK(cudaEventElapsedTime(&t,a,b)); return t;}
int main(int argc, char **argv){
  const bool kit = argc > 1 && std::string(argv[1]) == "kit";
  cudaDeviceProp pr; CK(cudaGetDeviceProperties(&pr,0));
  printf("dev %s sms %d l2 %d clk? \n",pr.name,pr.multiProcessorCount,pr.l2CacheSize);
  cudaEvent_t a,b; CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
  unsigned *out; CK(cudaMalloc(&out,64));
  // chase: random cyclic permutation over lines of 'stride' bytes in 'bytes'
  size_t sizes[]={1<<20, 4<<20, 16<<20, 256u<<20, 2048ull<<20};
  for(size_t bytes: sizes){
    if(kit && bytes > (16u<<20)) continue;
    size_t stride=256/4, nl=bytes/256; std::vector<unsigned> h(bytes/4,0), perm(nl);
    for(size_t i=0;i<nl;i++) perm[i]=i; std::mt19937 g(1); std::shuffle(perm.begin()+1,perm.end(),g);
    for(size_t i=0;i<nl;i++) h[perm[i]*stride]=perm[(i+1)%nl]*stride;
    unsigned *d; CK(cudaMalloc(&d,bytes)); CK(cudaMemcpy(d,h.data(),bytes,cudaMemcpyHostToDevice));
    long n=200000; chase<<<1,1>>>(d,0,std::min<long>(n,(long)nl),out); CK(cudaDeviceSynchronize());
    CK(cudaEventRecord(a)); chase<<<1,1>>>(d,0,n,out); CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    printf("chase %zu MiB: %.1f ns/load\n",bytes>>20, ms(a,b)*1e6/n); CK(cudaFree(d));
  }
  // L2 read bandwidth on a buffer well inside L2
  for(size_t bytes: {8ull<<20, 16ull<<20}){
    int4 *d; CK(cudaMalloc(&d,bytes)); CK(cudaMemset(d,1,bytes)); size_t n=bytes/16, it=200;
    rd<<<pr.multiProcessorCount*4,512>>>(d,n,2,(int*)out); CK(cudaDeviceSynchronize());
    CK(cudaEventRecord(a)); rd<<<pr.multiProcessorCount*4,512>>>(d,n,it,(int*)out); CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    printf("L2 read %zu MiB: %.0f GB/s\n",bytes>>20, bytes*(double)it/ms(a,b)/1e6); CK(cudaFree(d));
  }
  // DRAM read bandwidth (2 GiB)
  { size_t bytes=2048ull<<20; int4 *d; CK(cudaMalloc(&d,bytes)); CK(cudaMemset(d,1,bytes)); size_t n=bytes/16;
    rd<<<pr.multiProcessorCount*4,512>>>(d,n,1,(int*)out); CK(cudaDeviceSynchronize());
    CK(cudaEventRecord(a)); rd<<<pr.multiProcessorCount*4,512>>>(d,n,5,(int*)out); CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    printf("DRAM read 2 GiB: %.0f GB/s\n",bytes*5.0/ms(a,b)/1e6); CK(cudaFree(d)); }
  // launch API time and eager period
  const int N=20000; for(int i=0;i<1000;i++) empty<<<1,32>>>(); CK(cudaDeviceSynchronize());
  for(int rep=0;rep<3;rep++){
    auto t0=std::chrono::steady_clock::now(); CK(cudaEventRecord(a));
    for(int i=0;i<N;i++) empty<<<1,32>>>();
    auto t1=std::chrono::steady_clock::now(); CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    printf("eager: host %.2f us/launch, device %.0f ns/kernel\n", std::chrono::duration<double,std::micro>(t1-t0).count()/N, ms(a,b)*1e6/N);
  }
  // device period with the queue pre-filled behind a spin kernel
  for(int M: {200, 1000}) for(int rep=0;rep<2;rep++){
    spin<<<1,1>>>(200000000LL); CK(cudaEventRecord(a)); for(int i=0;i<M;i++) empty<<<1,32>>>(); CK(cudaEventRecord(b)); CK(cudaEventSynchronize(b));
    printf("prefilled eager queue (%d kernels): %.0f ns/kernel\n", M, ms(a,b)*1e6/M); }
  cudaStream_t s; CK(cudaStreamCreate(&s)); cudaGraph_t gr; cudaGraphExec_t ge; const int G=2000;
  CK(cudaStreamBeginCapture(s,cudaStreamCaptureModeGlobal)); for(int i=0;i<G;i++) empty<<<1,32,0,s>>>(); CK(cudaStreamEndCapture(s,&gr));
  CK(cudaGraphInstantiate(&ge,gr,0)); CK(cudaGraphLaunch(ge,s)); CK(cudaStreamSynchronize(s));
  for(int rep=0;rep<3;rep++){ CK(cudaEventRecord(a,s)); CK(cudaGraphLaunch(ge,s)); CK(cudaEventRecord(b,s)); CK(cudaEventSynchronize(b));
    printf("graph: %.0f ns/kernel\n", ms(a,b)*1e6/G); }
  return 0;
}
