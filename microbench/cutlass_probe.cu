// cutlass_probe.cu -- host-only probe of CUTLASS's SM120/SM121 block-scaled GEMM builders (own code;
// it only includes CUTLASS headers). It prints, for ONE configuration chosen by -D macros, the constants
// derived by cutlass::gemm::collective::CollectiveBuilder<Sm120, OpClassBlockScaledTensorOp, ...>,
// the SM120 epilogue builder (C of PROBE_C, bf16 D, EpilogueTileAuto) and kernel::GemmUniversal.
// No kernel is launched and no GPU is needed: the binary only prints constexpr values.
//
// Build + run (one configuration per translation unit, so a failing static_assert only kills that one):
//   git clone https://github.com/NVIDIA/cutlass /tmp/cutlass   # used: commit 7107b05535f8
//   nvcc -std=c++17 -arch=sm_121a --expt-relaxed-constexpr -diag-suppress 20012 \
//        -I/tmp/cutlass/include -I/tmp/cutlass/tools/util/include \
//        -DPROBE_A=PROBE_MXF8 -DPROBE_B=PROBE_MXF4 -DPROBE_M=128 -DPROBE_N=128 -DPROBE_K=128 \
//        -DPROBE_GROUPED=0 -DPROBE_PINGPONG=0 -DPROBE_C=PROBE_C_BF16 cutlass_probe.cu -o probe && ./probe
//   (about 40 s per configuration on 1 CPU core; nvcc 13.0 V13.0.88)
// Macros:
//   PROBE_A/PROBE_B   PROBE_MXF8 (mx_float8_t<e4m3>, align 16), PROBE_MXF4 (mx_float4_t<e2m1>, align 32),
//                     PROBE_NVF4 (nv_float4_t<e2m1>, align 32); A RowMajor, B ColumnMajor (TN)
//   PROBE_M/N/K       CTA tile in elements; cluster is 1x1x1
//   PROBE_GROUPED     0 = dense (Shape<int,int,int,int>), 1 = grouped ptr-array (GroupProblemShape, Layout* tags)
//   PROBE_PINGPONG    0 = cooperative, 1 = pingpong (generic Kernel[PtrArray]TmaWarpSpecialized{Cooperative,Pingpong})
//   PROBE_C           source operand C of D = alpha.A.B + beta.C (default fusion LinearCombination, RowMajor,
//                     128-bit aligned): PROBE_C_VOID (default: D = A.B), PROBE_C_BF16, PROBE_C_FP16, PROBE_C_FP32
//   PROBE_BUILDER_ONLY=1   print only the builder's PipelineStages/reserved bytes (works when the collective
//                          static_asserts "Stages >= 2")
//   PROBE_SCHED_EXPLICIT=1 dense only: use KernelTmaWarpSpecialized[Pingpong]{Nvf4,Mxf4,Mxf8f6f4}Sm120
//   PROBE_ALIGN_A/B        override alignments (the explicit Mxf8f6f4 schedule needs 128 for an FP4 operand)
//   PROBE_DEVICE=1         also instantiate cutlass::device_kernel<GemmKernel> (add -Xptxas -v for registers)
// Output: "ROW,<a>,<b>,<c>,M,N,K,kernel,schedule,yes,stages,mainloop_smem,epilogue_smem,kernel_smem,tma_bytes,threads,min_blocks"
//         followed by "KV key=value" detail lines.

#include <cstdio>
#include <cstdint>
#include <utility>
#include "cutlass/cutlass.h"
#include "cute/tensor.hpp"
#include "cutlass/numeric_types.h"
#include "cutlass/float_subbyte.h"
#include "cutlass/gemm/dispatch_policy.hpp"
#include "cutlass/gemm/group_array_problem_shape.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/gemm/kernel/gemm_universal.hpp"

#define PROBE_MXF8 1
#define PROBE_MXF4 2
#define PROBE_NVF4 3

#define PROBE_C_VOID 0
#define PROBE_C_BF16 1
#define PROBE_C_FP16 2
#define PROBE_C_FP32 3
#ifndef PROBE_C
#define PROBE_C PROBE_C_VOID
#endif

template <int T> struct ProbeType;
template <> struct ProbeType<PROBE_MXF8> { using type = cutlass::mx_float8_t<cutlass::float_e4m3_t>; static constexpr int align = 16; static constexpr const char* name = "mxfp8"; };
template <> struct ProbeType<PROBE_MXF4> { using type = cutlass::mx_float4_t<cutlass::float_e2m1_t>; static constexpr int align = 32; static constexpr const char* name = "mxfp4"; };
template <> struct ProbeType<PROBE_NVF4> { using type = cutlass::nv_float4_t<cutlass::float_e2m1_t>; static constexpr int align = 32; static constexpr const char* name = "nvfp4"; };

template <int T> struct ProbeC;
template <> struct ProbeC<PROBE_C_VOID> { using type = void; static constexpr const char* name = "void"; };
template <> struct ProbeC<PROBE_C_BF16> { using type = cutlass::bfloat16_t; static constexpr const char* name = "bf16"; };
template <> struct ProbeC<PROBE_C_FP16> { using type = cutlass::half_t; static constexpr const char* name = "fp16"; };
template <> struct ProbeC<PROBE_C_FP32> { using type = float; static constexpr const char* name = "fp32"; };

using namespace cute;

// PROBE_ALIGN_A / PROBE_ALIGN_B override the operand alignments (elements). The explicit
// KernelTmaWarpSpecialized*Mxf8f6f4Sm120 schedules need 128-element alignment for an FP4 operand.
#ifndef PROBE_ALIGN_A
#define PROBE_ALIGN_A ProbeType<PROBE_A>::align
#endif
#ifndef PROBE_ALIGN_B
#define PROBE_ALIGN_B ProbeType<PROBE_B>::align
#endif
using TA = ProbeType<PROBE_A>;
using TB = ProbeType<PROBE_B>;
using TileShape    = Shape<Int<PROBE_M>, Int<PROBE_N>, Int<PROBE_K>>;
using ClusterShape = Shape<_1, _1, _1>;
constexpr bool kGrouped  = PROBE_GROUPED != 0;
constexpr bool kPingpong = PROBE_PINGPONG != 0;

using LayoutATag = cutlass::layout::RowMajor;
using LayoutBTag = cutlass::layout::ColumnMajor;
using LayoutCTag = cutlass::layout::RowMajor;
using LayoutATagArg = cute::conditional_t<kGrouped, LayoutATag*, LayoutATag>;
using LayoutBTagArg = cute::conditional_t<kGrouped, LayoutBTag*, LayoutBTag>;
using LayoutCTagArg = cute::conditional_t<kGrouped, LayoutCTag*, LayoutCTag>;

using ElementD = cutlass::bfloat16_t;
constexpr int AlignD = 128 / cutlass::sizeof_bits<ElementD>::value;   // 8
using ElementC = typename ProbeC<PROBE_C>::type;
constexpr int AlignC = cute::is_void_v<ElementC> ? AlignD                 // C is void
                     : 128 / cutlass::sizeof_bits<cute::conditional_t<cute::is_void_v<ElementC>, ElementD, ElementC>>::value;

using MainloopSchedule = cute::conditional_t<kGrouped,
    cute::conditional_t<kPingpong, cutlass::gemm::KernelPtrArrayTmaWarpSpecializedPingpong,
                                   cutlass::gemm::KernelPtrArrayTmaWarpSpecializedCooperative>,
    cute::conditional_t<kPingpong, cutlass::gemm::KernelTmaWarpSpecializedPingpong,
                                   cutlass::gemm::KernelTmaWarpSpecializedCooperative>>;
#if PROBE_SCHED_EXPLICIT
// Optional: dense only, use the explicit per-instruction SM120 schedule tags instead of the generic ones.
using ExplicitCoop = cute::conditional_t<PROBE_A == PROBE_NVF4, cutlass::gemm::KernelTmaWarpSpecializedNvf4Sm120,
                     cute::conditional_t<(PROBE_A == PROBE_MXF4 && PROBE_B == PROBE_MXF4), cutlass::gemm::KernelTmaWarpSpecializedMxf4Sm120,
                                         cutlass::gemm::KernelTmaWarpSpecializedMxf8f6f4Sm120>>;
using ExplicitPing = cute::conditional_t<PROBE_A == PROBE_NVF4, cutlass::gemm::KernelTmaWarpSpecializedPingpongNvf4Sm120,
                     cute::conditional_t<(PROBE_A == PROBE_MXF4 && PROBE_B == PROBE_MXF4), cutlass::gemm::KernelTmaWarpSpecializedPingpongMxf4Sm120,
                                         cutlass::gemm::KernelTmaWarpSpecializedPingpongMxf8f6f4Sm120>>;
using MainloopScheduleUsed = cute::conditional_t<kPingpong, ExplicitPing, ExplicitCoop>;
#else
using MainloopScheduleUsed = MainloopSchedule;
#endif
using EpilogueSchedule = cute::conditional_t<kGrouped,
    cute::conditional_t<kPingpong, cutlass::epilogue::PtrArrayTmaWarpSpecializedPingpong,
                                   cutlass::epilogue::PtrArrayTmaWarpSpecializedCooperative>,
    cutlass::epilogue::collective::EpilogueScheduleAuto>;

using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
    cutlass::arch::Sm120, cutlass::arch::OpClassTensorOp,
    TileShape, ClusterShape, cutlass::epilogue::collective::EpilogueTileAuto,
    float, float,
    ElementC, LayoutCTagArg, AlignC,
    ElementD, LayoutCTagArg, AlignD,
    EpilogueSchedule>::CollectiveOp;

using MainloopBuilder = cutlass::gemm::collective::CollectiveBuilder<
    cutlass::arch::Sm120, cutlass::arch::OpClassBlockScaledTensorOp,
    typename TA::type, LayoutATagArg, PROBE_ALIGN_A,
    typename TB::type, LayoutBTagArg, PROBE_ALIGN_B,
    float, TileShape, ClusterShape,
    cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(sizeof(typename CollectiveEpilogue::SharedStorage))>,
    MainloopScheduleUsed>;
#if !PROBE_BUILDER_ONLY
using CollectiveMainloop = typename MainloopBuilder::CollectiveOp;

using ProblemShape = cute::conditional_t<kGrouped,
    cutlass::gemm::GroupProblemShape<Shape<int, int, int>>,
    Shape<int, int, int, int>>;

using GemmKernel = cutlass::gemm::kernel::GemmUniversal<ProblemShape, CollectiveMainloop, CollectiveEpilogue>;
#endif

// Recover the epilogue's StagesC/StagesD from its (public) dispatch-policy template argument.
template <class T> struct EpiPolicyOf;
template <template <class...> class X, class P, class... R> struct EpiPolicyOf<X<P, R...>> { using type = P; };
template <class P> struct EpiStages { static constexpr int C = -1, D = -1, Reuse = -1, Delay = -1; };
template <int C_, int D_, int F_, bool R_, bool DL_>
struct EpiStages<cutlass::epilogue::Sm90TmaWarpSpecialized<C_, D_, F_, R_, DL_>> { static constexpr int C = C_, D = D_, Reuse = R_, Delay = DL_; };
template <int C_, int D_, int F_, bool R_, bool DL_, int N_>
struct EpiStages<cutlass::epilogue::Sm90PtrArrayTmaWarpSpecialized<C_, D_, F_, R_, DL_, N_>> { static constexpr int C = C_, D = D_, Reuse = R_, Delay = DL_; };

#if PROBE_DEVICE
// Optional: force instantiation of the kernel body so device-side static_asserts are checked too.
auto probe_kernel_ptr = &cutlass::device_kernel<GemmKernel>;
#endif

#if PROBE_BUILDER_ONLY
// Builder-only mode: never touches CollectiveOp, so configurations rejected by the collective's
// "Stages >= 2" static_assert still report the builder's derived stage count and reserved bytes.
int main() {
  printf("BUILDER C=%s PipelineStages=%d ReducedSmemCapacityBytes=%d carveout(epilogue SharedStorage)=%zu SchedulerPipelineStorage=%zu CLCResponseStorage=%zu TensorMapStorage=%zu TensorMapReadyPipelineStorage=%zu UseMxf8f6f4=%d\n",
         ProbeC<PROBE_C>::name, MainloopBuilder::PipelineStages, MainloopBuilder::ReducedSmemCapacityBytes, sizeof(typename CollectiveEpilogue::SharedStorage),
         (size_t)MainloopBuilder::SchedulerPipelineStorage, (size_t)MainloopBuilder::CLCResponseStorage,
         (size_t)MainloopBuilder::TensorMapStorage, (size_t)MainloopBuilder::TensorMapReadyPipelineStorage, (int)MainloopBuilder::UseMxf8f6f4);
  return 0;
}
#else
int main() {
  using CM = CollectiveMainloop;
  using CE = CollectiveEpilogue;
  using K  = GemmKernel;
  constexpr int stages = CM::DispatchPolicy::Stages;

  // Per-stage smem allocation sizes (bytes) of each operand, from the collective's own smem layouts.
  constexpr long a_smem_total   = long(cosize_v<typename CM::SmemLayoutA>) * sizeof(typename CM::SmemAllocTypeA);
  constexpr long b_smem_total   = long(cosize_v<typename CM::SmemLayoutB>) * sizeof(typename CM::SmemAllocTypeB);
  constexpr long sfa_smem_total = long(cosize_v<typename CM::SmemLayoutSFA>) * sizeof(typename CM::ElementSF);
  constexpr long sfb_smem_total = long(cosize_v<typename CM::SmemLayoutSFB>) * sizeof(typename CM::ElementSF);

  // TMA transaction split (same expressions as the collective's MK/NK sums, separated by operand).
  constexpr long tma_a   = cutlass::bits_to_bytes(long(size(take<0,2>(typename CM::SmemLayoutA{}))) * cutlass::sizeof_bits<typename CM::ElementA>::value);
  constexpr long tma_b   = cutlass::bits_to_bytes(long(size(take<0,2>(typename CM::SmemLayoutB{}))) * cutlass::sizeof_bits<typename CM::ElementB>::value);
  constexpr long tma_sfa = cutlass::bits_to_bytes(long(cosize(take<0,2>(typename CM::SmemLayoutSFA{}))) * cute::sizeof_bits_v<typename CM::ElementSF>);
  constexpr long tma_sfb = cutlass::bits_to_bytes(long(cosize(take<0,2>(typename CM::SmemLayoutSFB{}))) * cute::sizeof_bits_v<typename CM::ElementSF>);

  printf("ROW,%s,%s,%s,%d,%d,%d,%s,%s,yes,%d,%zu,%zu,%zu,%u,%u,%u\n",
         TA::name, TB::name, ProbeC<PROBE_C>::name, PROBE_M, PROBE_N, PROBE_K,
         kGrouped ? "grouped" : "dense", kPingpong ? "pingpong" : "cooperative",
         stages, sizeof(typename CM::SharedStorage), sizeof(typename CE::SharedStorage),
         sizeof(typename K::SharedStorage), (unsigned)CM::TmaTransactionBytes,
         (unsigned)K::MaxThreadsPerBlock, (unsigned)K::MinBlocksPerMultiprocessor);

  printf("KV kernel_SharedStorageSize=%d\n", K::SharedStorageSize);
  printf("KV tma_MK=%u tma_NK=%u tma_A=%ld tma_SFA=%ld tma_B=%ld tma_SFB=%ld\n",
         (unsigned)CM::TmaTransactionBytesMK, (unsigned)CM::TmaTransactionBytesNK, tma_a, tma_sfa, tma_b, tma_sfb);
  printf("KV smem_A_total=%ld smem_B_total=%ld smem_SFA_total=%ld smem_SFB_total=%ld\n",
         a_smem_total, b_smem_total, sfa_smem_total, sfb_smem_total);
  printf("KV smem_per_stage A=%ld B=%ld SFA=%ld SFB=%ld\n",
         a_smem_total / stages, b_smem_total / stages, sfa_smem_total / stages, sfb_smem_total / stages);
  printf("KV sizeof_mainloop_TensorStorage=%zu sizeof_mainloop_PipelineStorage=%zu\n",
         sizeof(typename CM::TensorStorage), sizeof(typename CM::PipelineStorage));
  printf("KV sizeof_epilogue_TensorStorage=%zu sizeof_epilogue_PipelineStorage=%zu\n",
         sizeof(typename CE::TensorStorage), sizeof(typename CE::PipelineStorage));
  printf("KV epi_collective=%zu epi_fusion=%zu epi_tma_C_bytes=%u epi_tile=%dx%d epi_ReuseSmemC=%d epi_DelayTmaStore=%d\n",
         sizeof(typename CE::TensorStorage::CollectiveStorage), sizeof(typename CE::TensorStorage::FusionStorage),
         (unsigned)CE::TmaTransactionBytes, int(size<0>(typename CE::EpilogueTile{})), int(size<1>(typename CE::EpilogueTile{})),
         EpiStages<typename EpiPolicyOf<CE>::type>::Reuse, EpiStages<typename EpiPolicyOf<CE>::type>::Delay);
  printf("KV builder_ReducedSmemCapacityBytes=%d SchedulerPipelineStorage=%zu CLCResponseStorage=%zu TensorMapStorage=%zu TensorMapReadyPipelineStorage=%zu UseMxf8f6f4=%d\n",
         MainloopBuilder::ReducedSmemCapacityBytes, (size_t)MainloopBuilder::SchedulerPipelineStorage,
         (size_t)MainloopBuilder::CLCResponseStorage, (size_t)MainloopBuilder::TensorMapStorage,
         (size_t)MainloopBuilder::TensorMapReadyPipelineStorage, (int)MainloopBuilder::UseMxf8f6f4);
  printf("KV sizeof_kernel_PipelineStorage=%zu sizeof_kernel_TensorStorage=%zu\n",
         sizeof(typename K::SharedStorage::PipelineStorage), sizeof(typename K::SharedStorage::TensorStorage));
#if PROBE_GROUPED
  printf("KV sizeof_kernel_TensorMapStorage=%zu sizeof_scheduler_response_array=%zu sizeof_mainloop_TensorMapStorage=%zu sizeof_epilogue_TensorMapStorage=%zu\n",
         sizeof(typename K::SharedStorage::TensorMapStorage), sizeof(std::declval<typename K::SharedStorage&>().scheduler_response),
         sizeof(typename CM::TensorMapStorage), sizeof(typename CE::TensorMapStorage));
  printf("KV sizeof_scheduler_PipelineStorage=%zu\n", sizeof(typename K::TileScheduler::PipelineStorage));
#else
  printf("KV sizeof_kernel_scheduler_storage=%zu\n", sizeof(typename K::TileSchedulerStorage));
#endif
  using EpiPolicy = typename EpiPolicyOf<CE>::type;
  printf("KV epi_StagesC=%d epi_StagesD=%d\n", EpiStages<EpiPolicy>::C, EpiStages<EpiPolicy>::D);
  printf("KV TiledMma_threads=%d LoadRegs=%d MmaRegs=%d\n", int(size(typename CM::TiledMma{})),
         int(K::LoadRegisterRequirement), int(K::MmaRegisterRequirement));
  return 0;
}
#endif
