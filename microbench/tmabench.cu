// tmabench.cu -- DRAM efficiency and throughput of TMA (cp.async.bulk.tensor)
// k-tile loops, the way cuBLAS nvjet and CUTLASS sm90+ GEMV/GEMM mainloops
// read weights.
//
// A weight matrix of ROW-byte rows (5760 = bf16 K = 2880; 1440 = its FP4 form)
// is read by persistent CTAs (one per SM: shared memory padded past half the
// SM). Each CTA takes blocks of R rows and walks K in RUN-byte k-tiles: one
// elected thread issues 2-D TMA boxes (R rows x RUN bytes, at most 256 rows a
// box) per k-tile into a D-stage shared-memory ring guarded by full/empty
// mbarriers; a consumer warp releases each stage as soon as it lands (no math:
// the loads alone).
//   test7  uint8 tensor map: depth, rows per box, run length, L2 promotion
//   test12 (tmabench 12 runs it alone) the row pitch: 5760 B (K 2880 bf16)
//          against power-of-two pitches (8192 B: o_proj's K 4096) and others;
//          12b L2 promotion; 12c 1, 2 or 4 independent pipelines per CTA;
//          12d a stage as 1-8 boxes
//          (none / 128 B / 256 B; CUTLASS's make_tma_copy uses 128 B,
//          include/cute/atom/copy_traits_sm90_tma.hpp), and fewer CTAs;
//   test8  the same with a bf16 tensor map;
//   test9  bf16 with the 64/128-B shared-memory swizzle CUTLASS uses;
//   test10 clusters of 2 CTAs sharing each stage by .multicast::cluster (half
//          the rows each, a stage refilled after both consumers released it,
//          as a CUTLASS cluster-2x1 mainloop shares B) against the same tile
//          per CTA without a cluster. Prints unique bytes per second;
//   test11 (tmabench 11 runs it alone) a B box beside an A box of A_ROWS rows
//          of which one is in the tensor (a grouped GEMM's A tile at one token
//          per group): ns per stage per CTA. Run under ncu for the bytes
//          (microbench/results/ncu_tmabench11_h100.csv): the out-of-bounds rows read
//          no DRAM but cross the L2-to-SM path (l1tex__m_xbar2l1tex_read_bytes =
//          whole boxes), and an all-but-one-row-OOB box costs a stage like a
//          full one (microbench/results/tmabench11_h100.txt).
//   test13 (tmabench 13 runs it alone) the grouped GEMM's mainloop at one
//          token per group (tma_gg below): multicast B, A tiles of one token,
//          half or all rows in bounds, no cluster, A alone; ns per stage.
//   test14 (tmabench 14 runs it alone) a burst of stages with no consumer
//          (tma_burst): when each stage lands, by boxes per stage, box rows,
//          issuing warps, L2 or DRAM, 1 or 132 CTAs.
//   test15 (tmabench 15 runs it alone) test 7's loop with clock64 stamps on
//          CTA 0's first 96 k-tiles (tma_trace): where a stage's time goes.
//   test16 (tmabench 16 runs it alone) test 13's grouped stage in kernels of
//          3-22 rounds, after idle or behind a busy kernel;
//   test17 (tmabench 17 runs it alone) a 1-round kernel after 0-20000 us idle.
// Findings (microbench/results/tmabench_h100.txt, tmabench_h200.txt; 2026-11-22,
// after the ring-position fix below): with 128-row boxes, 128-B runs stream at
// 0.91 (H100) / 0.93 (H200) of whole rows (the presets' dram_tma_eff); a stage's
// round trip is 773 / 807 ns (tma_latency_ns); multicast clusters keep 0.89 /
// 0.79 of the DRAM throughput at 4 stages (tma_mc_eff_*); one producer/consumer
// pipeline moves ~35 GB/s at any depth, two in one CTA twice that (test 12c).
// The runs before the fix (tmabench_div64_*.txt) had one pipeline at ~25 GB/s:
// the 64-bit % and / of the old loop, not the hardware.
// Test 13 (traces/hopper/tmabench13_{h100,h200}.txt): zero fill is not free.
// 132 CTAs loading only one-token A tiles (127 of 128 rows out of bounds) take
// 653 / 667 ns per stage, the same tiles in bounds (L2 hits) 260 / 259: on both
// GPUs alike, zero fill moves ~3.2 TB/s (the presets' tma_oob_gbps). Beside a
// multicast weight tile from DRAM the stage takes 908 / 888 ns against 762 /
// 540 without A -- the sum, not the larger, of the two: DRAM fills, L2 hits
// and zero fill share the L2's return path. The multicast loss follows the
// bytes in flight: 4 stages of a 32-KiB tile lose what 8 of a 16-KiB tile do.
// Test 14 (traces/hopper/tmabench14_{h100,h200}.txt): one issuing thread lands
// one stage per 107 ns whatever the box (8-128 rows), 2-box stages per 147 ns,
// 4-box per 224-233 ns; two issuing warps twice as many (the presets'
// tma_stage_issue_ns 68 + tma_box_issue_ns 39 per box). Test 7's steady-state
// loop (one CTA, 1-box stages) runs at ~230 ns per stage, half that rate.
// Test 15 (microbench/results/tmabench15_h100.txt) splits it: the producer's loop
// takes ~155 ns per stage before the ring wraps and ~190-205 after, where the
// empty-barrier wait it then does costs ~61 ns even when the slot is long free
// (19 ns before the wrap); arming + issuing 46 ns; the rest is the loop and the
// stamps' stores. One-CTA runs also showed one ~385 us stall mid-kernel (both
// depths; the 80-CTA runs none): something outside the kernel.
// Test 16 (traces/hopper/tmabench16_{h100,h200}.txt): behind a busy kernel the
// grouped stage takes 863-893 ns in kernels of 3 to 22 rounds (3.3 %; the real
// M=16 kernel runs 37), so kernel length is not visibly why the grouped GEMM
// streams faster per stage at M=16 than at M=4 (929 vs 818 ns under ncu with
// identical bytes per stage, microbench/results/ncu_gemm_moe_h100.csv). After a
// 20-ms usleep the event-timed kernels took 19-40 us longer. Test 17 idles the
// GPU by spinning the host instead: on one H100 machine (tmabench17_h100.txt)
// nothing up to 5 ms and +3 us at 20 ms; on another (tmabench17b_h100.txt)
// +4-13 us after 1-5 ms and +20-30 us after 20 ms. So idle can slow the next
// kernel, by an amount that varies between machines; the traces are taken
// with the GPU busy.
//
// tmabench kit runs only the configurations the presets' TMA keys come from
// (run_kit below; microbench/kit.sh). Rings are padded past half the SM's
// shared memory (one CTA per SM) and a ring larger than the device allows
// prints 0, so the program also runs on sm_12x (100 KB per SM).
//
// Prints: testN row_bytes rows_per_cta run_bytes depth <l2_promo|swizzle|multicast> ctas gbps
// Build: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a tmabench.cu -lcuda -o tmabench
//        (compute_121a/sm_121a on a DGX Spark)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <chrono>
#include <unistd.h>
#include <cuda.h>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { \
    fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e)); exit(1); } } while (0)
#define CU(x) do { CUresult e = (x); if (e != CUDA_SUCCESS) { \
    fprintf(stderr, "%s:%d CUresult %d\n", __FILE__, __LINE__, (int)e); exit(1); } } while (0)

__device__ __forceinline__ void bar_init(uint64_t *b, int count)
{
    unsigned a = (unsigned)__cvta_generic_to_shared(b);
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(a), "r"(count));
}

__device__ __forceinline__ void bar_expect(uint64_t *b, unsigned bytes)
{
    unsigned a = (unsigned)__cvta_generic_to_shared(b);
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(a), "r"(bytes));
}

__device__ __forceinline__ void bar_arrive(uint64_t *b)
{
    unsigned a = (unsigned)__cvta_generic_to_shared(b);
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(a));
}

// TMAB_SPIN=1: the waits spin on try_wait with no suspend-time hint (how every
// result before 2026-11-22 was taken); default: CUTLASS's ClusterBarrier::wait
// (try_wait with suspendTimeHint 0x989680), which cuBLAS's nvjet kernels also
// do in their own way (SASS: TRYWAIT, then NANOSLEEP.SYNCS until the phase flips)
#ifndef TMAB_SPIN
#define TMAB_SPIN 0
#endif
__device__ __forceinline__ void bar_wait(uint64_t *b, unsigned parity)
{
    unsigned a = (unsigned)__cvta_generic_to_shared(b);
#if TMAB_SPIN
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "W: mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n"
        "@!p bra W;\n"
        "}\n" ::"r"(a), "r"(parity));
#else
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "W: mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1, 0x989680;\n"
        "@!p bra W;\n"
        "}\n" ::"r"(a), "r"(parity));
#endif
}

// One thread arms a depth-deep ring: each full barrier waits for its
// producer's arrive (and the stage's bytes), each empty barrier for
// empty_arrivals consumer releases; the fence makes the inits visible to the
// cluster (and so to the TMA unit) before the caller's CTA or cluster sync.
__device__ __forceinline__ void ring_init(uint64_t *full, uint64_t *empty, int depth, int empty_arrivals)
{
    for (int s = 0; s < depth; s++) {
        bar_init(&full[s], 1);
        bar_init(&empty[s], empty_arrivals);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::);
}

__device__ __forceinline__ void tma_2d(void *dst, const CUtensorMap *map, int x, int y, uint64_t *bar)
{
    unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    unsigned b = (unsigned)__cvta_generic_to_shared(bar);
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%2, %3}], [%4];\n" ::"r"(d), "l"((uint64_t)map), "r"(x), "r"(y), "r"(b)
        : "memory");
}


__device__ __forceinline__ void tma_3d(void *dst, const CUtensorMap *map, int x, int y, int z, uint64_t *bar)
{
    unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    unsigned b = (unsigned)__cvta_generic_to_shared(bar);
    asm volatile(
        "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(d), "l"((uint64_t)map), "r"(x), "r"(y), "r"(z), "r"(b)
        : "memory");
}

constexpr int MAXD = 16;

// The k-tile loop's ring position (stage, phase parity, wrapped once) advances
// by one add and one compare per k-tile, as CUTLASS's PipelineState does.
// TMAB_DIV64=1 recomputes it from a 64-bit k-tile count with % and / instead,
// as every result before 2026-11-22 did: that 64-bit division (a software
// routine on the GPU) in both the producer's and the consumer's loop held one
// pipeline to ~325 ns per stage whatever the depth and box size (test 12c:
// two pipelines in one CTA moved twice as much).
#ifndef TMAB_DIV64
#define TMAB_DIV64 0
#endif
// TMAB_TX_AFTER=1: tma_rows's producer arms the stage's barrier (arrive.expect_tx)
// after issuing its boxes, as cuBLAS's nvjet kernels do (SASS: UTMALDG, then
// SYNCS.ARRIVE.TRANS64.RED), instead of before, as CUTLASS's producer_acquire does
#ifndef TMAB_TX_AFTER
#define TMAB_TX_AFTER 0
#endif
struct ring_pos {
    long long it;    // k-tiles so far
    int s;           // stage
    unsigned ph;     // parity of the current round
    int wrapped;     // 1 once every stage has been used
};
__device__ __forceinline__ void ring_at(ring_pos &r, int depth)
{
#if TMAB_DIV64
    r.s = (int)(r.it % depth);
    r.ph = (unsigned)(r.it / depth) & 1;
    r.wrapped = r.it >= depth;
#else
    (void)depth;
#endif
}
__device__ __forceinline__ void ring_next(ring_pos &r, int depth)
{
    r.it++;
#if !TMAB_DIV64
    if (++r.s == depth) {
        r.s = 0;
        r.ph ^= 1;
        r.wrapped = 1;
    }
#else
    (void)depth;
#endif
}

// blockDim 64 x np: np independent pipelines per CTA; pipeline p's producer is
// thread 64p (warp 2p), its consumer thread 64p + 32 (warp 2p + 1), each with its
// own depth-deep ring and barriers, walking its own blocks (np = 1: one
// producer and one consumer, as every result before test 12c).
// row and run in elements of eb bytes (the TMA coordinates); smem offsets in bytes
__global__ void tma_rows(const __grid_constant__ CUtensorMap map, int row_elems, int run_elems, int rows_per_cta,
                         int box_rows, int depth, int n_blocks, int *sink, int eb)
{
    const int run = run_elems * eb;
    extern __shared__ __align__(1024) uint8_t ring_all[];
    __shared__ uint64_t full_all[4 * MAXD], empty_all[4 * MAXD];
    const int np = blockDim.x / 64, p = threadIdx.x / 64, lane = threadIdx.x % 64;
    const int stage_bytes = rows_per_cta * run;
    uint8_t *ring = ring_all + (size_t)p * depth * stage_bytes;
    uint64_t *full = full_all + p * MAXD, *empty = empty_all + p * MAXD;
    const int nk = row_elems / run_elems;
    if (lane == 0)
        ring_init(full, empty, depth, 1);
    __syncthreads();
    int acc = 0;
    ring_pos rp = {0, 0, 0, 0};  // k-tiles issued (producer) / consumed (consumer), over all blocks
    for (int blk = blockIdx.x * np + p; blk < n_blocks; blk += gridDim.x * np) {
        for (int kt = 0; kt < nk; kt++, ring_next(rp, depth)) {
            ring_at(rp, depth);
            const int s = rp.s;
            if (lane == 0) {
                if (rp.wrapped)
                    bar_wait(&empty[s], rp.ph ^ 1);
#if !TMAB_TX_AFTER
                bar_expect(&full[s], (unsigned)stage_bytes);
#endif
                for (int r0 = 0; r0 < rows_per_cta; r0 += box_rows)
                    tma_2d(ring + (size_t)s * stage_bytes + (size_t)r0 * run, &map, kt * run_elems,
                           blk * rows_per_cta + r0, &full[s]);
#if TMAB_TX_AFTER
                bar_expect(&full[s], (unsigned)stage_bytes);
#endif
            } else if (lane == 32) {
                bar_wait(&full[s], rp.ph);
                acc ^= ring[(size_t)s * stage_bytes + (kt & 63)];
                bar_arrive(&empty[s]);
            }
        }
    }
    if (acc == 0x7fffffff)
        sink[0] = acc;
}

__device__ __forceinline__ void tma_2d_mc(void *dst, const CUtensorMap *map, int x, int y, uint64_t *bar,
                                          uint16_t mask)
{
    unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    unsigned b = (unsigned)__cvta_generic_to_shared(bar);
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster"
        " [%0], [%1, {%2, %3}], [%4], %5;\n" ::"r"(d), "l"((uint64_t)map), "r"(x), "r"(y), "r"(b), "h"(mask)
        : "memory");
}

__device__ __forceinline__ void bar_arrive_cta(uint64_t *b, unsigned rank)
{
    unsigned a = (unsigned)__cvta_generic_to_shared(b), ra;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(ra) : "r"(a), "r"(rank));
    asm volatile("mbarrier.arrive.shared::cluster.b64 _, [%0];\n" ::"r"(ra) : "memory");  // as CUTLASS ClusterBarrier::arrive(cta_id)
}

__device__ __forceinline__ void cluster_sync()
{
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::: "memory");
}

// Clusters of 2 CTAs share one operand tile the way a CUTLASS sm90 cluster
// 2x1 mainloop shares B: each CTA loads half of the stage's rows with
// .multicast::cluster to both, each stage's full barrier expects the whole
// tile, and a stage is refilled only after BOTH CTAs' consumers released it
// (remote mbarrier arrives). rows_per_cta = rows of the shared tile.
__global__ void __cluster_dims__(2, 1, 1)
tma_rows_mc(const __grid_constant__ CUtensorMap map, int row_elems, int run_elems, int rows_per_cta,
            int depth, int n_blocks, int *sink, int eb)
{
    extern __shared__ __align__(1024) uint8_t ring[];
    __shared__ uint64_t full[MAXD], empty[MAXD];
    const int run = run_elems * eb, stage_bytes = rows_per_cta * run, half_rows = rows_per_cta / 2;
    const int nk = row_elems / run_elems;
    unsigned rank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(rank));
    if (threadIdx.x == 0)
        ring_init(full, empty, depth, 2);
    cluster_sync();
    int acc = 0;
    ring_pos rp = {0, 0, 0, 0};
    const int cluster = blockIdx.x / 2, clusters = gridDim.x / 2;
    for (int blk = cluster; blk < n_blocks; blk += clusters) {
        for (int kt = 0; kt < nk; kt++, ring_next(rp, depth)) {
            ring_at(rp, depth);
            const int s = rp.s;
            if (threadIdx.x == 0) {
                if (rp.wrapped)
                    bar_wait(&empty[s], rp.ph ^ 1);
                bar_expect(&full[s], (unsigned)stage_bytes);
                int r0 = (int)rank * half_rows;
                tma_2d_mc(ring + (size_t)s * stage_bytes + (size_t)r0 * run, &map, kt * run_elems,
                          blk * rows_per_cta + r0, &full[s], (uint16_t)0x3);
            } else if (threadIdx.x == 32) {
                bar_wait(&full[s], rp.ph);
                acc ^= ring[(size_t)s * stage_bytes + (kt & 63)];
                bar_arrive_cta(&empty[s], 0);
                bar_arrive_cta(&empty[s], 1);
            }
        }
    }
    cluster_sync();
    if (acc == 0x7fffffff)
        sink[0] = acc;
}


// Test 13: the mainloop of torch._grouped_mm's CUTLASS sm90 bf16 kernel at one
// token per group (traces/hopper/*_shapes.csv moe rows: tile 64x128x128,
// cluster 2x1, 4 stages). Per k-tile each CTA of a 2-CTA cluster issues
// B, the weight tile (128 rows of 256 B = 2 k-boxes of 128 B): mc=1 half of
// its rows multicast to both CTAs, mc=0 all of a tile of its own; and, with_a,
// its A tile (64 rows x 2 k-boxes) from a 3-D tensor [a_groups][a_valid][K]:
// CTA rank r reads rows 64r..64r+63 of group (cluster % a_groups), so rows at
// or past a_valid are out of bounds (TMA zero-fills them; a_valid = 1 is one
// token per group, the second CTA's M tile wholly out of bounds, as the
// kernel's cluster rounding leaves it). No math: the loads alone.
__global__ void __cluster_dims__(2, 1, 1)
tma_gg(const __grid_constant__ CUtensorMap bmap, const __grid_constant__ CUtensorMap amap, int nk,
       int n_blocks, int depth, int mc, int with_a, int with_b, int a_groups, int *sink)
{
    extern __shared__ __align__(1024) uint8_t ring[];
    __shared__ uint64_t full[MAXD], empty[MAXD];
    const int b_bytes = with_b ? 128 * 256 : 0, a_bytes = with_a ? 64 * 256 : 0, stage_bytes = b_bytes + a_bytes;
    unsigned rank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(rank));
    if (threadIdx.x == 0)
        ring_init(full, empty, depth, mc ? 2 : 1);
    cluster_sync();
    int acc = 0;
    ring_pos rp = {0, 0, 0, 0};
    const int cluster = blockIdx.x / 2, clusters = gridDim.x / 2;
    const int first = mc ? cluster : (int)blockIdx.x, stride = mc ? clusters : (int)gridDim.x;
    const int grp = cluster % a_groups;
    for (int blk = first; blk < n_blocks; blk += stride) {
        for (int kt = 0; kt < nk; kt++, ring_next(rp, depth)) {
            ring_at(rp, depth);
            const int s = rp.s;
            if (threadIdx.x == 0) {
                if (rp.wrapped)
                    bar_wait(&empty[s], rp.ph ^ 1);
                bar_expect(&full[s], (unsigned)stage_bytes);
                uint8_t *st = ring + (size_t)s * stage_bytes;
                for (int j = 0; j < 2; j++) {  // the k-tile's two 128-B k-boxes
                    uint8_t *bj = st + (size_t)j * (b_bytes / 2);
                    if (!with_b)
                        ;
                    else if (mc)
                        tma_2d_mc(bj + (size_t)rank * 64 * 128, &bmap, kt * 128 + j * 64,
                                  blk * 128 + (int)rank * 64, &full[s], (uint16_t)0x3);
                    else
                        tma_2d(bj, &bmap, kt * 128 + j * 64, blk * 128, &full[s]);
                    if (with_a)
                        tma_3d(st + b_bytes + (size_t)j * (a_bytes / 2), &amap, kt * 128 + j * 64,
                               (int)rank * 64, grp, &full[s]);
                }
            } else if (threadIdx.x == 32) {
                bar_wait(&full[s], rp.ph);
                acc ^= ring[(size_t)s * stage_bytes + (kt & 63)];
                if (mc) {
                    bar_arrive_cta(&empty[s], 0);
                    bar_arrive_cta(&empty[s], 1);
                } else {
                    bar_arrive(&empty[s]);
                }
            }
        }
    }
    cluster_sync();
    if (acc == 0x7fffffff)
        sink[0] = acc;
}


// Test 14: a burst with no consumer. Warp w's lane 0 (w < issuers) issues
// stages w, w + issuers, ... of `nst` stages (each `boxes` boxes of box_rows rows
// x 128 B, bf16 map) as fast as it can, each stage on its own full barrier;
// thread 32 * issuers then waits for every stage in order and records when
// each landed (clock64, SM cycles since the first issue). Does a pipeline's
// ~230 ns per stage come from the TMA unit (stages land one by one at that
// interval even with nothing to wait for) or from the loop around it?
__global__ void tma_burst(const __grid_constant__ CUtensorMap map, int nst, int boxes, int box_rows, int issuers,
                          long long *t_out, int row_block0, int n_rows)
{
    extern __shared__ __align__(1024) uint8_t ring[];
    __shared__ uint64_t full[64];
    __shared__ long long t0s;
    const int stage_bytes = boxes * box_rows * 128;
    if (threadIdx.x == 0) {
        for (int s = 0; s < nst; s++)
            bar_init(&full[s], 1);
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::);
        t0s = clock64();
    }
    __syncthreads();
    const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int rows0 = (int)(((long long)(row_block0 + blockIdx.x) * box_rows * boxes) % (n_rows - box_rows * boxes));
    if (w < issuers && lane == 0) {
        for (int s = w; s < nst; s += issuers) {
            bar_expect(&full[s], (unsigned)stage_bytes);
            for (int b = 0; b < boxes; b++)
                tma_2d(ring + (size_t)s * stage_bytes + (size_t)b * box_rows * 128, &map, s * 64,
                       rows0 + b * box_rows, &full[s]);
        }
    } else if (w == issuers && lane == 0) {
        for (int s = 0; s < nst; s++) {
            bar_wait(&full[s], 0);
            if (blockIdx.x == 0)
                t_out[s] = clock64() - t0s;
        }
    }
}


// Test 15: where a steady-state pipeline's time goes. tma_rows's loop (one
// producer, one consumer, depth-deep ring of 1-box stages) with clock64 stamps
// for the first TRACE_N k-tiles of CTA 0: producer before its empty wait,
// after it, after arming + issuing; consumer after its full wait, after its
// release.
constexpr int TRACE_N = 96;
__global__ void tma_trace(const __grid_constant__ CUtensorMap map, int row_elems, int run_elems, int rows_per_cta,
                          int depth, int n_blocks, int *sink, long long *st)
{
    const int run = run_elems * 2;
    extern __shared__ __align__(1024) uint8_t ring[];
    __shared__ uint64_t full[MAXD], empty[MAXD];
    __shared__ long long t0s;
    const int stage_bytes = rows_per_cta * run, nk = row_elems / run_elems;
    if (threadIdx.x == 0) {
        ring_init(full, empty, depth, 1);
        t0s = clock64();
    }
    __syncthreads();
    const bool rec = blockIdx.x == 0;
    int acc = 0, i = 0;
    ring_pos rp = {0, 0, 0, 0};
    for (int blk = blockIdx.x; blk < n_blocks; blk += gridDim.x) {
        for (int kt = 0; kt < nk; kt++, i++, ring_next(rp, depth)) {
            ring_at(rp, depth);
            const int s = rp.s;
            if (threadIdx.x == 0) {
                long long a = clock64();
                if (rp.wrapped)
                    bar_wait(&empty[s], rp.ph ^ 1);
                long long b = clock64();
                bar_expect(&full[s], (unsigned)stage_bytes);
                tma_2d(ring + (size_t)s * stage_bytes, &map, kt * run_elems, blk * rows_per_cta, &full[s]);
                long long c = clock64();
                if (rec && i < TRACE_N) {
                    st[i * 5 + 0] = a - t0s;
                    st[i * 5 + 1] = b - t0s;
                    st[i * 5 + 2] = c - t0s;
                }
            } else if (threadIdx.x == 32) {
                bar_wait(&full[s], rp.ph);
                long long d = clock64();
                acc ^= ring[(size_t)s * stage_bytes + (kt & 63)];
                bar_arrive(&empty[s]);
                long long e = clock64();
                if (rec && i < TRACE_N) {
                    st[i * 5 + 3] = d - t0s;
                    st[i * 5 + 4] = e - t0s;
                }
            }
        }
    }
    if (acc == 0x7fffffff)
        sink[0] = acc;
}

// A 2-D tensor map over rows of row_bytes (elements of eb bytes, uint8 or
// bf16), n_rows rows, boxes of box_bytes x box_rows.
static CUtensorMap tensor_map(void *base, int eb, int row_bytes, size_t n_rows, int box_bytes, int box_rows,
                              CUtensorMapSwizzle swz, CUtensorMapL2promotion promo)
{
    CUtensorMap map;
    cuuint64_t dims[2] = {(cuuint64_t)(row_bytes / eb), (cuuint64_t)n_rows};
    cuuint64_t strides[1] = {(cuuint64_t)row_bytes};
    cuuint32_t box[2] = {(cuuint32_t)(box_bytes / eb), (cuuint32_t)box_rows};
    cuuint32_t estr[2] = {1, 1};
    CU(cuTensorMapEncodeTiled(&map, eb == 2 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_UINT8,
                              2, base, dims, strides, box, estr, CU_TENSOR_MAP_INTERLEAVE_NONE, swz, promo,
                              CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE));
    return map;
}

static CUtensorMapSwizzle swizzle_of(int bytes)
{
    return bytes == 128 ? CU_TENSOR_MAP_SWIZZLE_128B
           : bytes == 64 ? CU_TENSOR_MAP_SWIZZLE_64B
           : bytes == 32 ? CU_TENSOR_MAP_SWIZZLE_32B
                         : CU_TENSOR_MAP_SWIZZLE_NONE;
}

static CUtensorMapL2promotion promotion_of(int bytes)
{
    return bytes == 256 ? CU_TENSOR_MAP_L2_PROMOTION_L2_256B
           : bytes == 128 ? CU_TENSOR_MAP_L2_PROMOTION_L2_128B
                          : CU_TENSOR_MAP_L2_PROMOTION_NONE;
}

// Dynamic shared memory that keeps one CTA per SM: more than half the SM's
// (116 KB on sm_90's 228 KB, as every committed result used; 52 KB on
// sm_12x's 100 KB), at least need.
static size_t one_cta_smem(size_t need)
{
    int per_sm = 0;
    CK(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, 0));
    return std::max(need, (size_t)per_sm / 2 + 2048);
}

// The largest ring a configuration may ask for: 200 KB, or less where the
// device's per-block opt-in limit (less 2 KB of static shared memory) is
// lower (97 KB on sm_12x). A configuration above it prints 0.
static size_t ring_limit()
{
    int optin = 0;
    CK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0));
    return std::min((size_t)200 * 1024, (size_t)optin - 2048);
}

// The fastest of 4 launches, in ms: launch(rep) encodes its maps over the
// half of the buffer rep % 2 selects (so L2 never holds the data) and launches.
template <class F>
static float best_ms(F launch)
{
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    float best = 1e30f;
    for (int rep = 0; rep < 4; rep++) {
        CK(cudaEventRecord(a));
        launch(rep);
        CK(cudaGetLastError());
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        float ms;
        CK(cudaEventElapsedTime(&ms, a, b));
        best = std::min(best, ms);
    }
    CK(cudaEventDestroy(a));
    CK(cudaEventDestroy(b));
    return best;
}

// unique bytes per second through tma_rows_mc (clusters of 2 sharing each tile)
static float run_mc(uint8_t *buf, size_t half, int row_bytes, int rows, int run, int depth, int ctas,
                    int *sink)
{
    const int eb = 2;
    if ((size_t)depth * rows * run > ring_limit())
        return 0;
    size_t smem = one_cta_smem((size_t)depth * rows * run);
    CK(cudaFuncSetAttribute(tma_rows_mc, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    size_t n_rows = half / row_bytes / rows * rows;
    int n_blocks = (int)(n_rows / rows);
    float ms = best_ms([&](int rep) {
        CUtensorMap map = tensor_map(buf + (rep % 2) * half, eb, row_bytes, n_rows, run, rows / 2,
                                     CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
        tma_rows_mc<<<ctas, 64, smem>>>(map, row_bytes / eb, run / eb, rows, depth, n_blocks, sink, eb);
    });
    return (float)((double)n_rows * row_bytes / (ms * 1e-3) / 1e9);
}

// Test 11: a stage of B (R real rows x RUN bytes) plus an A box of A_ROWS rows
// of which only the first is in the tensor (the rest out of bounds, filled
// with zeros by TMA), as a grouped GEMM's 64-row A tile holds one token at M=1.
// with_a / with_b choose the boxes; the full-barrier expects every box's bytes.
__global__ void tma_rows_ab(const __grid_constant__ CUtensorMap map, const __grid_constant__ CUtensorMap amap,
                            int row_elems, int run_elems, int rows_per_cta, int a_rows, int depth,
                            int n_blocks, int with_a, int with_b, int *sink)
{
    extern __shared__ __align__(1024) uint8_t ring[];
    __shared__ uint64_t full[MAXD], empty[MAXD];
    const int run = run_elems * 2, b_bytes = with_b ? rows_per_cta * run : 0;
    const int a_bytes = with_a ? a_rows * run : 0, stage_bytes = b_bytes + a_bytes;
    const int nk = row_elems / run_elems;
    if (threadIdx.x == 0)
        ring_init(full, empty, depth, 1);
    __syncthreads();
    int acc = 0;
    ring_pos rp = {0, 0, 0, 0};
    for (int blk = blockIdx.x; blk < n_blocks; blk += gridDim.x) {
        for (int kt = 0; kt < nk; kt++, ring_next(rp, depth)) {
            ring_at(rp, depth);
            const int s = rp.s;
            if (threadIdx.x == 0) {
                if (rp.wrapped)
                    bar_wait(&empty[s], rp.ph ^ 1);
                bar_expect(&full[s], (unsigned)stage_bytes);
                uint8_t *st = ring + (size_t)s * stage_bytes;
                if (with_b)
                    tma_2d(st, &map, kt * run_elems, blk * rows_per_cta, &full[s]);
                if (with_a)
                    tma_2d(st + b_bytes, &amap, kt * run_elems, 0, &full[s]);
            } else if (threadIdx.x == 32) {
                bar_wait(&full[s], rp.ph);
                acc ^= ring[(size_t)s * stage_bytes + (kt & 63)];
                bar_arrive(&empty[s]);
            }
        }
    }
    if (acc == 0x7fffffff)
        sink[0] = acc;
}

// ns per stage per CTA through tma_rows_ab
static float run_ab(uint8_t *buf, uint8_t *abuf, size_t half, int row_bytes, int rows, int run, int a_rows,
                    int depth, int ctas, int with_a, int with_b, int *sink)
{
    const int eb = 2;
    size_t need = (size_t)depth * ((with_b ? rows : 0) + (with_a ? a_rows : 0)) * run;
    if (need > ring_limit())
        return 0;
    size_t smem = one_cta_smem(need);
    CK(cudaFuncSetAttribute(tma_rows_ab, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    size_t n_rows = half / row_bytes / rows * rows;
    int n_blocks = (int)(n_rows / rows);
    float ms = best_ms([&](int rep) {
        CUtensorMap map = tensor_map(buf + (rep % 2) * half, eb, row_bytes, n_rows, run, rows,
                                     CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
        CUtensorMap amap = tensor_map(abuf, eb, row_bytes, 1, run, a_rows, CU_TENSOR_MAP_SWIZZLE_128B,
                                      CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
        tma_rows_ab<<<ctas, 64, smem>>>(map, amap, row_bytes / eb, run / eb, rows, a_rows, depth, n_blocks,
                                        with_a, with_b, sink);
    });
    // every CTA walks n_blocks / ctas blocks of row_bytes / run stages
    double stages = (double)n_blocks / ctas * (row_bytes / run);
    return (float)(ms * 1e6 / stages);
}

// bytes per second through tma_rows (GB/s), or 0 for a configuration that
// does not fit (shared memory, depth, box width, whole k-tiles)
static float run_cfg(uint8_t *buf, size_t half, int row_bytes, int rows_per_cta, int run, int depth,
                     int promo, int ctas, int *sink, int ebytes = 1, int swz = 0, int np = 1,
                     int box_rows_max = 256)
{
    size_t need = (size_t)np * depth * rows_per_cta * run;
    if (need > ring_limit() || depth > MAXD || np > 4 || row_bytes % run || run / ebytes > 256)
        return 0;
    size_t smem = one_cta_smem(need);
    CK(cudaFuncSetAttribute(tma_rows, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    size_t n_rows = half / row_bytes / rows_per_cta * rows_per_cta;
    int n_blocks = (int)(n_rows / rows_per_cta);
    int box_rows = std::min(rows_per_cta, box_rows_max);
    float ms = best_ms([&](int rep) {
        CUtensorMap map = tensor_map(buf + (rep % 2) * half, ebytes, row_bytes, n_rows, run, box_rows,
                                     swizzle_of(swz), promotion_of(promo));
        tma_rows<<<ctas, 64 * np, smem>>>(map, row_bytes / ebytes, run / ebytes, rows_per_cta, box_rows, depth,
                                          n_blocks, sink, ebytes);
    });
    return (float)((double)n_rows * row_bytes / (ms * 1e-3) / 1e9);
}


// The one-token A tensor of test 13: [a_groups][a_valid rows][K] bf16 rows of
// row_bytes, 64-row x 128-B boxes; rows at or past a_valid are out of bounds.
static CUtensorMap a_tile_map(uint8_t *abuf, int row_bytes, int a_valid, int a_groups)
{
    CUtensorMap amap;
    cuuint64_t dims[3] = {(cuuint64_t)(row_bytes / 2), (cuuint64_t)a_valid, (cuuint64_t)a_groups};
    cuuint64_t strides[2] = {(cuuint64_t)row_bytes, (cuuint64_t)row_bytes * a_valid};
    cuuint32_t box[3] = {64, 64, 1}, estr[3] = {1, 1, 1};
    CU(cuTensorMapEncodeTiled(&amap, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, abuf, dims, strides, box, estr,
                              CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                              CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE));
    return amap;
}

// Tests 16 and 17: one event-timed launch (ms) of test 13's grouped stage --
// multicast B over rows [row0, row0 + 128 n_blocks) of buf, one-token A of 4
// groups, 4 stages, 132 CTAs
static float gg_stage_ms(uint8_t *buf, uint8_t *abuf, size_t row0, int n_blocks, int *sink, cudaEvent_t a,
                         cudaEvent_t b, void (*before)(void *), void *arg)
{
    const int row_bytes = 5760, nk = row_bytes / 256, ctas = 132, depth = 4;
    const size_t smem = (size_t)depth * (128 * 256 + 64 * 256);
    CK(cudaFuncSetAttribute(tma_gg, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    CUtensorMap bmap = tensor_map(buf + row0 * row_bytes, 2, row_bytes, (size_t)n_blocks * 128, 128, 64,
                                  CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
    CUtensorMap amap = a_tile_map(abuf, row_bytes, 1, 4);
    before(arg);  // what the GPU does (or does not) right before the timed kernel
    CK(cudaEventRecord(a));
    tma_gg<<<ctas, 64, smem>>>(bmap, amap, nk, n_blocks, depth, 1, 1, 1, 4, sink);
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms;
    CK(cudaEventElapsedTime(&ms, a, b));
    return ms;
}

// ns per stage per CTA and unique weight GB/s through tma_gg (test 13)
static void run_gg(uint8_t *buf, uint8_t *abuf, size_t half, int depth, int ctas, int mc, int with_a,
                   int with_b, int a_valid, int a_groups, int *sink)
{
    const int row_bytes = 5760, nk = row_bytes / 256;
    size_t need = (size_t)depth * ((with_b ? 128 * 256 : 0) + (with_a ? 64 * 256 : 0));
    if (need > ring_limit()) {
        printf("# test13 %d %d %d %d %d %d %d: %zu B of stages do not fit\n", mc, with_a, with_b, a_valid,
               a_groups, depth, ctas, need);
        return;
    }
    size_t smem = one_cta_smem(need);
    CK(cudaFuncSetAttribute(tma_gg, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    size_t n_rows = half / row_bytes / 128 * 128;
    int n_blocks = (int)(n_rows / 128);
    float ms = best_ms([&](int rep) {
        CUtensorMap bmap = tensor_map(buf + (rep % 2) * half, 2, row_bytes, n_rows, 128, mc ? 64 : 128,
                                      CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
        CUtensorMap amap = a_tile_map(abuf, row_bytes, a_valid, a_groups);
        tma_gg<<<ctas, 64, smem>>>(bmap, amap, nk, n_blocks, depth, mc, with_a, with_b, a_groups, sink);
    });
    // a cluster (mc) or a CTA (mc=0) walks n_blocks / (clusters or CTAs) B tiles of nk stages
    int walkers = mc ? ctas / 2 : ctas;
    double stages = (double)n_blocks / walkers * nk;
    double unique = (double)n_blocks * 128 * nk * 256;
    // unique weight bytes per second (0 for rows without B; the committed
    // tmabench13_*.txt files print a meaningless B-equivalent there)
    printf("test13 %d %d %d %d %d %d %d %.1f %.1f\n", mc, with_a, with_b, a_valid, a_groups, depth, ctas,
           ms * 1e6 / stages, with_b ? unique / (ms * 1e-3) / 1e9 : 0.0);
}


__global__ void spin_all(long long cycles, int *sink)
{
    long long t0 = clock64();
    while (clock64() - t0 < cycles) {
    }
    if (threadIdx.x == 0 && blockIdx.x == 100000)
        sink[0] = 1;
}

// Test 16: test 13's grouped stage (multicast B + one-token A, 4 stages, 132
// CTAs) in kernels of 3, 10 and 22 rounds of 66 B tiles (the grouped GEMM's
// FC1 at M = 1, 4, 16 has 3, 11, 37), launched after the GPU idled 20 ms or
// right behind a 2-ms kernel on every SM: ns per stage, median of 5. Is the
// shorter kernel slower per stage (clocks ramping, start-up), or the same?
struct pre16 {
    int warm, clk_khz;
    int *sink;
};
static void before16(void *p)
{
    pre16 *q = (pre16 *)p;
    CK(cudaDeviceSynchronize());
    if (q->warm)
        spin_all<<<132, 128>>>((long long)q->clk_khz * 2, q->sink);  // 2 ms at the rated clock
    else
        usleep(20000);
}

static void run_gg_len(uint8_t *buf, uint8_t *abuf, size_t half, int rounds, int warm, int *sink, int clk_khz)
{
    const int row_bytes = 5760, nk = row_bytes / 256;
    size_t n_rows = half / row_bytes / 128 * 128;
    int n_blocks = rounds * 66;
    std::vector<float> v;
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    pre16 pre = {warm, clk_khz, sink};
    for (int rep = 0; rep < 5; rep++) {
        // each rep reads rows no earlier rep read (cold in L2)
        size_t row0 = ((size_t)rep * n_blocks * 128) % (n_rows - (size_t)n_blocks * 128);
        v.push_back(gg_stage_ms(buf, abuf, row0, n_blocks, sink, a, b, before16, &pre));
    }
    std::sort(v.begin(), v.end());
    double stages = (double)rounds * nk;
    printf("test16 %d %s %.1f us %.1f ns_per_stage\n", rounds, warm ? "after_2ms_kernel" : "after_20ms_idle",
           v[2] * 1e3, v[2] * 1e6 / stages);
}

// Test 17: how long an idle makes the next kernel slow. The grouped stage
// kernel of 1 round (22 stages, ~20 us busy) after the host waited `idle_us`
// (spinning on the host clock, the GPU idle), median of 7 event-timed runs.
struct pre17 {
    int idle_us;
    int *sink;
};
static void before17(void *p)
{
    pre17 *q = (pre17 *)p;
    spin_all<<<132, 128>>>(2000000, q->sink);  // ~1 ms busy, then idle_us of nothing
    CK(cudaDeviceSynchronize());
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() < q->idle_us) {
    }
}

static void run_idle(uint8_t *buf, uint8_t *abuf, size_t half, int *sink)
{
    const int row_bytes = 5760, n_blocks = 66;  // 1 round
    size_t n_rows = half / row_bytes / 128 * 128;
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    int rep_all = 0;
    for (int idle_us : {0, 5, 20, 50, 200, 1000, 5000, 20000}) {
        std::vector<float> v;
        pre17 pre = {idle_us, sink};
        for (int rep = 0; rep < 7; rep++, rep_all++) {
            size_t row0 = ((size_t)rep_all * n_blocks * 128) % (n_rows - (size_t)n_blocks * 128);
            v.push_back(gg_stage_ms(buf, abuf, row0, n_blocks, sink, a, b, before17, &pre));
        }
        std::sort(v.begin(), v.end());
        printf("test17 idle_us %d kernel_us %.1f\n", idle_us, v[3] * 1e3);
    }
}

// Test 14: one configuration of tma_burst, timed 5 times (the first launch
// warms L2 for the hot rows); prints when each stage of CTA 0 landed, in ns
// at the rated SM clock, for the launch whose last stage landed first. Rows
// of 16384 B (8192 bf16): stage s reads column block s (128 B) of box_rows-row
// blocks; each configuration reads fresh rows (cold: DRAM) or, hot, repeats
// the same rows in every launch after the first (L2).
struct burst_cfg {
    int ctas, nst, boxes, rows, issuers, hot;
};
struct burster {
    uint8_t *buf;
    size_t n_rows;
    long long *dt;
    int clk_khz = 0, block = 0;
    burster(uint8_t *b, size_t half) : buf(b), n_rows(half / 16384)
    {
        CK(cudaMalloc(&dt, 64 * 8));
        CK(cudaDeviceGetAttribute(&clk_khz, cudaDevAttrClockRate, 0));
    }
    ~burster() { cudaFree(dt); }
    void run(const burst_cfg &c)
    {
        size_t need = (size_t)c.nst * c.boxes * c.rows * 128;
        if (need > ring_limit() || c.nst > 64) {
            printf("# test14 %d %d %d %d %d %d: %zu B of stages do not fit\n", c.ctas, c.nst, c.boxes, c.rows,
                   c.issuers, c.hot, need);
            return;
        }
        size_t smem = one_cta_smem(need);
        CK(cudaFuncSetAttribute(tma_burst, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
        CUtensorMap map = tensor_map(buf, 2, 16384, n_rows, 128, c.rows, CU_TENSOR_MAP_SWIZZLE_128B,
                                     CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
        std::vector<long long> best(c.nst, 1ll << 60);
        for (int rep = 0; rep < 5; rep++) {
            // hot: the same rows as the previous launch (in L2); cold: fresh rows
            if (!c.hot || rep == 0)
                block += c.ctas;
            tma_burst<<<c.ctas, 32 * (c.issuers + 1), smem>>>(map, c.nst, c.boxes, c.rows, c.issuers, dt, block,
                                                              (int)n_rows);
            CK(cudaGetLastError());
            CK(cudaDeviceSynchronize());
            std::vector<long long> t(c.nst);
            CK(cudaMemcpy(t.data(), dt, c.nst * 8, cudaMemcpyDeviceToHost));
            if (rep > 0 && t[c.nst - 1] < best[c.nst - 1])
                best = t;
        }
        printf("test14 %d %d %d %d %d %d", c.ctas, c.nst, c.boxes, c.rows, c.issuers, c.hot);
        for (int s2 = 0; s2 < c.nst; s2++)
            printf(" %.0f", best[s2] / (clk_khz * 1e-6));
        printf("\n");
    }
};

// tmabench kit: only the configurations behind the presets' TMA keys, in the
// tests' own line formats (microbench/kit_digest.py reads them; docs/kit.md):
//   test7/8/9 a CTA per SM, 128-row boxes of 128-B runs, 4 stages (dram_tma_eff),
//             64-row boxes x 16 stages (_64r), 256-row boxes x 4 (_256r), and
//             x 8 and x 3, which fit sm_12x's 99 KB where those do not;
//             one CTA with 2 stages of 8 KB (tma_latency_ns);
//   test8     one CTA, the largest stages that fit (sm_tma_gbps);
//   test10    multicast tiles of 128 rows, 2/4/8 stages (tma_mc_eff_*), on
//             sm_9x and sm_10x only (SM12x kernels use no multicast);
//   test13    one-token A tiles alone (tma_oob_gbps), where clusters launch;
//   test14    hot bursts of 1- and 2-box stages (tma_stage/box_issue_ns), the
//             committed configurations plus smaller rings that fit sm_12x.
static void run_kit(uint8_t *buf, size_t half, int sms, int *sink)
{
    int cc_major = 0, cluster_ok = 0;
    CK(cudaDeviceGetAttribute(&cc_major, cudaDevAttrComputeCapabilityMajor, 0));
    CK(cudaDeviceGetAttribute(&cluster_ok, cudaDevAttrClusterLaunch, 0));
    struct { int test, row, rows, run, depth, ctas; } k[] = {
        {7, 5760, 64, 128, 16, 0}, {7, 5760, 64, 128, 8, 0}, {7, 5760, 128, 128, 4, 0}, {7, 5760, 256, 128, 4, 0},
        {7, 5760, 256, 128, 3, 0}, {7, 5760, 64, 128, 2, 1},
        {8, 5760, 128, 128, 4, 0}, {8, 5760, 512, 128, 3, 1}, {8, 5760, 256, 128, 3, 1}, {8, 5760, 128, 128, 4, 1},
        {9, 5760, 128, 128, 4, 0}};
    int shown = 0;
    for (auto c : k) {
        if (c.test != shown) {
            printf("# test%d%s row_bytes rows_per_cta run_bytes depth %s ctas gbps\n", c.test,
                   c.test == 7 ? "" : c.test == 8 ? " (bf16 tensor map)" : " (bf16, swizzle)",
                   c.test == 9 ? "swizzle_bytes" : "l2_promo_bytes");
            shown = c.test;
        }
        int ctas = c.ctas ? c.ctas : sms;
        size_t h = c.ctas ? half / 16 : half;
        int eb = c.test == 7 ? 1 : 2, swz = c.test == 9 ? 128 : 0;
        printf("test%d %d %d %d %d %d %d %.1f\n", c.test, c.row, c.rows, c.run, c.depth, 128, ctas,
               run_cfg(buf, h, c.row, c.rows, c.run, c.depth, 128, ctas, sink, eb, swz));
        fflush(stdout);
    }
    if (cc_major == 9 || cc_major == 10) {
        printf("# test10 row_bytes tile_rows run_bytes depth multicast ctas unique_gbps\n");
        for (int depth : {2, 4, 8}) {
            printf("test10 5760 128 128 %d 1 %d %.1f\n", depth, sms, run_mc(buf, half, 5760, 128, 128, depth, sms, sink));
            printf("test10 5760 128 128 %d 0 %d %.1f\n", depth, sms,
                   run_cfg(buf, half, 5760, 128, 128, depth, 128, sms, sink, 2, 128));
        }
    }
    printf("# test14 ctas nst boxes box_rows issuers l2 landing_ns_of_stage[0..nst-1] (CTA 0)\n");
    const burst_cfg c14[] = {{1, 16, 1, 64, 1, 1}, {1, 12, 1, 128, 1, 1}, {1, 24, 1, 32, 1, 1}, {1, 24, 1, 8, 1, 1},
                             {1, 12, 2, 64, 1, 1}, {1, 12, 1, 64, 1, 1},  {1, 12, 2, 32, 1, 1}};
    burster bu(buf, half);
    for (auto c : c14)
        bu.run(c);
    fflush(stdout);
    if (cluster_ok) {
        printf("# test13 mc with_a with_b a_valid a_groups depth ctas ns_per_stage unique_gbps\n");
        uint8_t *abuf;
        CK(cudaMalloc(&abuf, 8 << 20));
        CK(cudaMemset(abuf, 1, 8 << 20));
        run_gg(buf, abuf, half, 4, sms & ~1, 1, 1, 0, 1, 4, sink);
        CK(cudaFree(abuf));
    } else {
        printf("# test13 skipped: the device launches no thread-block clusters\n");
    }
}

int main(int argc, char **argv)
{
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    int sms = prop.multiProcessorCount;
    printf("device %s sms %d l2 %d\n", prop.name, sms, prop.l2CacheSize);
    const size_t total = 2ull << 30, half = total / 2;
    uint8_t *buf;
    int *sink;
    CK(cudaMalloc(&buf, total));
    CK(cudaMalloc(&sink, 64));
    CK(cudaMemset(buf, 1, total));
    if (argc > 1 && strcmp(argv[1], "kit") == 0) {       // tmabench kit: microbench/kit.sh
        run_kit(buf, half, sms, sink);
        return 0;
    }
    const bool only11 = argc > 1 && atoi(argv[1]) == 11;  // tmabench 11: test 11 alone
    if (argc > 1 && atoi(argv[1]) == 17) {                 // tmabench 17: test 17 alone
        printf("# test17 idle_us kernel_us (1-round grouped stage kernel after the GPU idled)\n");
        uint8_t *abuf;
        CK(cudaMalloc(&abuf, 8 << 20));
        CK(cudaMemset(abuf, 1, 8 << 20));
        run_idle(buf, abuf, half, sink);
        return 0;
    }
    if (argc > 1 && atoi(argv[1]) == 16) {                 // tmabench 16: test 16 alone
        printf("# test16 rounds condition kernel_us ns_per_stage\n");
        uint8_t *abuf;
        CK(cudaMalloc(&abuf, 8 << 20));
        CK(cudaMemset(abuf, 1, 8 << 20));
        int clk_khz = 0;
        CK(cudaDeviceGetAttribute(&clk_khz, cudaDevAttrClockRate, 0));
        for (int warm : {0, 1})
            for (int rounds : {3, 10, 22})
                run_gg_len(buf, abuf, half, rounds, warm, sink, clk_khz);
        return 0;
    }
    if (argc > 1 && atoi(argv[1]) == 15) {                 // tmabench 15: test 15 alone
        printf("# test15 ctas depth k-tile: producer_wait_start wait_end issued consumer_full released (ns, CTA 0)\n");
        long long *dst;
        CK(cudaMalloc(&dst, TRACE_N * 5 * 8));
        int clk_khz = 0;
        CK(cudaDeviceGetAttribute(&clk_khz, cudaDevAttrClockRate, 0));
        const int row_bytes = 5760, rows = 64, run = 128;
        for (int ctas : {1, 80}) {
            for (int depth : {4, 16}) {
                size_t h = ctas == 1 ? half / 16 : half;
                size_t n_rows = h / row_bytes / rows * rows;
                size_t smem = one_cta_smem((size_t)depth * rows * run);
                CK(cudaFuncSetAttribute(tma_trace, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
                for (int rep = 0; rep < 3; rep++) {
                    CK(cudaMemset(dst, 0, TRACE_N * 5 * 8));
                    CUtensorMap map = tensor_map(buf + (rep % 2) * half, 2, row_bytes, n_rows, run, rows,
                                                 CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
                    cudaEvent_t a, b;
                    CK(cudaEventCreate(&a));
                    CK(cudaEventCreate(&b));
                    CK(cudaEventRecord(a));
                    tma_trace<<<ctas, 64, smem>>>(map, row_bytes / 2, run / 2, rows, depth, (int)(n_rows / rows),
                                                  sink, dst);
                    CK(cudaEventRecord(b));
                    CK(cudaDeviceSynchronize());
                    float ms;
                    CK(cudaEventElapsedTime(&ms, a, b));
                    if (rep < 2)
                        continue;
                    std::vector<long long> t(TRACE_N * 5);
                    CK(cudaMemcpy(t.data(), dst, t.size() * 8, cudaMemcpyDeviceToHost));
                    double stages = (double)(n_rows / rows) / ctas * (row_bytes / run);
                    printf("test15 %d %d overall_ns_per_stage %.1f\n", ctas, depth, ms * 1e6 / stages);
                    for (int k = 0; k < TRACE_N; k++)
                        printf("test15 %d %d %d %.0f %.0f %.0f %.0f %.0f\n", ctas, depth, k,
                               t[k * 5] / (clk_khz * 1e-6), t[k * 5 + 1] / (clk_khz * 1e-6),
                               t[k * 5 + 2] / (clk_khz * 1e-6), t[k * 5 + 3] / (clk_khz * 1e-6),
                               t[k * 5 + 4] / (clk_khz * 1e-6));
                }
            }
        }
        return 0;
    }
    if (argc > 1 && atoi(argv[1]) == 14) {                 // tmabench 14: test 14 alone
        printf("# test14 ctas nst boxes box_rows issuers l2 landing_ns_of_stage[0..nst-1] (CTA 0)\n");
        const burst_cfg c14[] = {
            {1, 16, 1, 64, 1, 0}, {1, 16, 1, 64, 1, 1}, {1, 12, 2, 64, 1, 0}, {1, 16, 1, 64, 2, 0},
            {1, 16, 1, 64, 4, 0}, {1, 6, 4, 64, 1, 0}, {1, 24, 1, 64, 1, 0}, {1, 12, 1, 128, 1, 0},
            {1, 12, 1, 128, 1, 1}, {1, 24, 1, 32, 1, 0}, {1, 24, 1, 32, 1, 1}, {1, 24, 1, 8, 1, 1},
            {1, 12, 2, 64, 1, 1}, {1, 16, 1, 64, 2, 1}, {132, 16, 1, 64, 1, 0}, {132, 16, 1, 64, 2, 0},
            {132, 16, 1, 64, 1, 1}};
        burster bu(buf, half);
        for (auto c : c14)
            bu.run(c);
        return 0;
    }
    if (argc > 1 && atoi(argv[1]) == 13) {                 // tmabench 13: test 13 alone
        printf("# test13 mc with_a with_b a_valid a_groups depth ctas ns_per_stage unique_gbps\n");
        uint8_t *abuf;  // A tensors: <= 6 MB, stay in L2
        CK(cudaMalloc(&abuf, 8 << 20));
        CK(cudaMemset(abuf, 1, 8 << 20));
        struct { int mc, wa, av, ag, depth, ctas, wb = 1; } c13[] = {
            {1, 0, 1, 4, 4, 0}, {1, 1, 1, 4, 4, 0}, {1, 1, 128, 4, 4, 0}, {1, 1, 1, 66, 4, 0},
            {1, 1, 128, 8, 4, 0}, {0, 0, 1, 4, 4, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, 128, 8, 4, 0},
            {1, 1, 1, 4, 2, 0}, {1, 0, 1, 4, 2, 0}, {1, 1, 1, 4, 4, 2}, {1, 0, 1, 4, 4, 2},
            {1, 1, 128, 4, 4, 2}, {0, 1, 1, 4, 4, 2}, {1, 1, 1, 4, 4, 32}, {1, 0, 1, 4, 4, 32},
            {1, 1, 1, 4, 4, 66}, {1, 0, 1, 4, 4, 66}, {1, 1, 64, 4, 4, 0}, {1, 1, 32, 4, 4, 0},
            {1, 1, 1, 4, 4, 0, 0}, {1, 1, 128, 4, 4, 0, 0}, {1, 1, 64, 4, 4, 0, 0}, {1, 1, 1, 4, 4, 66, 0},
            {1, 1, 1, 4, 4, 32, 0}, {1, 1, 1, 4, 4, 2, 0}};
        for (auto c : c13) {
            int ctas = c.ctas ? c.ctas : sms;
            size_t h = c.ctas ? half / 16 : half;
            run_gg(buf, abuf, h, c.depth, ctas, c.mc, c.wa, c.wb, c.av, c.ag, sink);
        }
        return 0;
    }
    if (argc > 1 && atoi(argv[1]) == 12) {                 // tmabench 12: test 12 alone
        // row pitch: a power-of-two pitch (o_proj's 4096 bf16 = 8192 B) against
        // gpt-oss's 2880 bf16 = 5760 B, as the nvjet 64x8 GEMVs load (64-row
        // boxes of 128-B runs, 16 stages), on 80, 96 and all SMs (bf16 map)
        printf("# test12 (bf16 tensor map) row_bytes rows_per_cta run_bytes depth ctas gbps\n");
        const int rows12[] = {5760, 6144, 8192, 16384, 4096, 11520};
        const int ctas12[] = {80, 96, 0};
        for (int r : rows12)
            for (int ct : ctas12) {
                int ctas = ct ? ct : sms;
                printf("test12 %d 64 128 16 %d %.1f\n", r, ctas,
                       run_cfg(buf, half, r, 64, 128, 16, 128, ctas, sink, 2));
            }
        // L2 promotion of each 128-B row request (none, 128, 256 B), one CTA and 80
        printf("# test12b (bf16 tensor map) row_bytes rows_per_cta run_bytes depth l2_promo_bytes ctas gbps\n");
        for (int promo : {0, 128, 256})
            for (int ct : {1, 80}) {
                size_t h = ct == 1 ? half / 16 : half;
                printf("test12b 5760 64 128 16 %d %d %.1f\n", promo, ct,
                       run_cfg(buf, h, 5760, 64, 128, 16, promo, ct, sink, 2));
            }
        // np independent producer/consumer pipelines in one CTA (same stage shape,
        // 4 stages each): is one CTA's rate a per-pipeline or a per-SM limit?
        printf("# test12c (bf16 tensor map) row_bytes rows_per_cta run_bytes depth pipelines ctas gbps\n");
        for (int np : {1, 2, 4})
            for (int ct : {1, 16, 132}) {
                size_t h = ct == 132 ? half : half / 16;
                printf("test12c 5760 64 128 4 %d %d %.1f\n", np, ct,
                       run_cfg(buf, h, 5760, 64, 128, 4, 128, ct, sink, 2, 0, np));
            }
        // one pipeline, one CTA: the stage's 64 rows as 1, 2, 4 or 8 boxes (per-box
        // or per-stage cost?), 8 stages
        printf("# test12d (bf16 tensor map) row_bytes rows_per_cta run_bytes depth box_rows ctas gbps\n");
        for (int br : {64, 32, 16, 8})
            printf("test12d 5760 64 128 8 %d 1 %.1f\n", br,
                   run_cfg(buf, half / 16, 5760, 64, 128, 8, 128, 1, sink, 2, 0, 1, br));
        return 0;
    }
    if (!only11) {
    printf("# test7 row_bytes rows_per_cta run_bytes depth l2_promo_bytes ctas gbps\n");
    struct { int row, rows, run, depth, promo, ctas; } cfg[] = {
        // depth sweep, 128-B runs (bf16 BK 64), 64-row boxes (nvjet 64x8)
        {5760, 64, 128, 1, 128, 0}, {5760, 64, 128, 2, 128, 0}, {5760, 64, 128, 3, 128, 0},
        {5760, 64, 128, 4, 128, 0}, {5760, 64, 128, 6, 128, 0}, {5760, 64, 128, 8, 128, 0},
        {5760, 64, 128, 16, 128, 0},
        // rows per box x depth (lm_head 512x8 x 3 stages; grouped 128-row B tiles x 4)
        {5760, 128, 128, 2, 128, 0}, {5760, 128, 128, 4, 128, 0}, {5760, 256, 128, 2, 128, 0},
        {5760, 256, 128, 4, 128, 0}, {5760, 512, 128, 2, 128, 0}, {5760, 512, 128, 3, 128, 0},
        // run length at depth 8 (and 16)
        {5760, 64, 32, 16, 128, 0}, {5760, 64, 64, 8, 128, 0}, {5760, 64, 64, 16, 0, 0},
        {5760, 64, 64, 16, 256, 0}, {5760, 64, 96, 8, 128, 0}, {5760, 64, 192, 8, 128, 0},
        {5760, 64, 240, 8, 128, 0}, {5760, 64, 240, 16, 128, 0},
        // FP4 rows (1440 B): CUTLASS 128x128x128 FP4 k-tiles are 64 B
        {1536, 128, 64, 4, 128, 0}, {1536, 128, 64, 8, 128, 0}, {1440, 128, 32, 8, 128, 0},
        {1440, 128, 96, 8, 128, 0}, {1440, 128, 160, 8, 128, 0}, {1440, 128, 240, 8, 128, 0},
        // per-SM TMA throughput: fewer CTAs
        {5760, 64, 128, 16, 128, 1}, {5760, 64, 128, 16, 128, 2}, {5760, 64, 128, 16, 128, 4},
        {5760, 64, 128, 16, 128, 16}, {5760, 64, 128, 16, 128, 66}, {5760, 64, 128, 2, 128, 1},
        {5760, 64, 128, 2, 128, 16}, {5760, 64, 128, 4, 128, 1}, {5760, 64, 128, 4, 128, 16},
        {5760, 128, 128, 4, 128, 1}, {5760, 128, 128, 4, 128, 16}};
    for (auto c : cfg) {
        int ctas = c.ctas ? c.ctas : sms;
        size_t h = c.ctas ? half / 16 : half;
        printf("test7 %d %d %d %d %d %d %.1f\n", c.row, c.rows, c.run, c.depth, c.promo, ctas,
               run_cfg(buf, h, c.row, c.rows, c.run, c.depth, c.promo, ctas, sink));
    }
    // the same boxes with 2-byte (bf16) elements, as cuBLAS/CUTLASS bf16 kernels describe them
    printf("# test8 (bf16 tensor map) row_bytes rows_per_cta run_bytes depth l2_promo_bytes ctas gbps\n");
    struct { int row, rows, run, depth, ctas; } c8[] = {
        {5760, 64, 128, 16, 1}, {5760, 64, 128, 4, 1}, {5760, 128, 128, 4, 1}, {5760, 512, 128, 3, 1},
        {5760, 64, 128, 16, 0}, {5760, 64, 128, 4, 0}, {5760, 64, 128, 2, 0}, {5760, 128, 128, 4, 0},
        {5760, 512, 128, 3, 0}, {5760, 64, 256, 8, 0}, {5760, 64, 64, 16, 0}, {5760, 64, 64, 16, 1}};
    for (auto c : c8) {
        int ctas = c.ctas ? c.ctas : sms;
        size_t h = c.ctas ? half / 16 : half;
        printf("test8 %d %d %d %d %d %d %.1f\n", c.row, c.rows, c.run, c.depth, 128, ctas,
               run_cfg(buf, h, c.row, c.rows, c.run, c.depth, 128, ctas, sink, 2));
    }
    // 9. shared-memory swizzle of the box (cuBLAS/CUTLASS use 128B swizzle for 128-B k-tiles)
    printf("# test9 (bf16, swizzle) row_bytes rows_per_cta run_bytes depth swizzle_bytes ctas gbps\n");
    struct { int row, rows, run, depth, swz, ctas; } c9[] = {
        {5760, 64, 128, 8, 0, 1}, {5760, 64, 128, 8, 128, 1}, {5760, 64, 128, 16, 128, 1},
        {5760, 128, 128, 4, 128, 1}, {5760, 64, 64, 8, 64, 1}, {5760, 64, 64, 8, 0, 1},
        {5760, 64, 128, 8, 128, 4}, {5760, 64, 128, 8, 128, 0}, {5760, 64, 128, 16, 128, 0},
        {5760, 64, 128, 4, 128, 0}, {5760, 64, 128, 2, 128, 0}, {5760, 64, 64, 8, 64, 0},
        {5760, 64, 64, 16, 64, 0}, {5760, 128, 128, 4, 128, 0}, {1536, 128, 64, 8, 64, 0}};
    for (auto c : c9) {
        int ctas = c.ctas ? c.ctas : sms;
        size_t h = c.ctas ? half / 16 : half;
        printf("test9 %d %d %d %d %d %d %.1f\n", c.row, c.rows, c.run, c.depth, c.swz, ctas,
               run_cfg(buf, h, c.row, c.rows, c.run, c.depth, 128, ctas, sink, 2, c.swz));
    }
    // 10. cluster 2x1 multicast pipeline (CUTLASS sm90 grouped bf16 GEMM's B operand:
    //     128-row x 128-B tiles, 4 stages) against the same tile per CTA without a cluster
    printf("# test10 row_bytes tile_rows run_bytes depth multicast ctas unique_gbps\n");
    struct { int rows, depth, ctas; } c10[] = {{128, 4, 0}, {128, 8, 0}, {128, 2, 0}, {128, 4, 2},
                                               {128, 8, 2}, {128, 4, 16}, {64, 4, 0}, {64, 16, 0}};
    for (auto c : c10) {
        int ctas = c.ctas ? c.ctas : sms;
        size_t h = c.ctas ? half / 16 : half;
        printf("test10 %d %d %d %d 1 %d %.1f\n", 5760, c.rows, 128, c.depth, ctas,
               run_mc(buf, h, 5760, c.rows, 128, c.depth, ctas, sink));
        printf("test10 %d %d %d %d 0 %d %.1f\n", 5760, c.rows, 128, c.depth, ctas,
               run_cfg(buf, h, 5760, c.rows, 128, c.depth, 128, ctas, sink, 2, 128));
    }
    }
    // 11. a one-token A box (1 row in the tensor, the rest out of bounds) beside B
    printf("# test11 row_bytes b_rows run_bytes a_rows depth with_a with_b ctas ns_per_stage\n");
    struct { int a_rows, depth, wa, wb, ctas; } c11[] = {
        {64, 4, 0, 1, 1}, {64, 4, 1, 0, 1}, {64, 4, 1, 1, 1}, {64, 4, 0, 1, 0}, {64, 4, 1, 0, 0},
        {64, 4, 1, 1, 0}, {128, 4, 1, 0, 1}, {8, 4, 1, 0, 1}, {64, 8, 1, 1, 1}, {64, 8, 1, 1, 0}};
    for (auto c : c11) {
        int ctas = c.ctas ? c.ctas : sms;
        size_t h = c.ctas ? half / 16 : half;
        printf("test11 %d %d %d %d %d %d %d %d %.1f\n", 5760, 128, 128, c.a_rows, c.depth, c.wa, c.wb, ctas,
               run_ab(buf, buf + total - (1 << 20), h, 5760, 128, 128, c.a_rows, c.depth, ctas, c.wa, c.wb,
                      sink));
    }
    return 0;
}
