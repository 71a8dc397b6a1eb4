/* arch.h -- a GPU architecture description (one preset = one data file).
 *
 * Every field is a double loaded through the parameter table (param.h); units
 * are in the field names and in the data files. Presets live in
 * models/data/arch/<name>.csv and are embedded in the binary. A rate of 0 for
 * an MMA kind means the architecture has no such instruction. */
#ifndef GBSIM_ARCH_H
#define GBSIM_ARCH_H

#include "models/param.h"

typedef struct {
    double cc;                          /* compute capability x10 (121 = SM121) */
    double n_sm;                        /* streaming multiprocessors */
    double sm_clock_mhz;                /* SM clock under load */
    double dram_peak_gbps;              /* peak DRAM bandwidth, GB/s (1e9 B/s) */
    double dram_capacity_gb;            /* device memory for weights and KV cache, GB (1e9 B) */
    double dram_achievable_frac;        /* sustained / peak, measured by a streaming read */
    double dram_latency_ns;             /* unloaded DRAM read latency seen by an SM */
    /* DRAM efficiency, relative to a streaming read, when each row-buffer visit
     * moves only RUN contiguous bytes (a TMA k-tile of a k-major weight matrix):
     * measured points at 32, 64, 128, 256 and 512 B; whole rows (>= 1440 B)
     * stream at 1 */
    double dram_run_eff_32, dram_run_eff_64, dram_run_eff_128, dram_run_eff_256, dram_run_eff_512;
    /* DRAM efficiency, relative to a streaming read, of TMA k-tile loops (box
     * loads of 64-128-B runs kept several stages deep) with boxes of 128 rows;
     * 0 = not measured on this arch: TMA loads are charged the run curve above
     * like any other load. With boxes of 64 and 256 rows (each row of a box is
     * a separate DRAM run): dram_tma_eff_64r, _256r, 0 = as 128 rows */
    double dram_tma_eff, dram_tma_eff_64r, dram_tma_eff_256r;
    /* DRAM throughput of a TMA k-tile loop whose tiles a 2-CTA cluster shares by
     * multicast, over the same loop without multicast, with 32, 64 and 128 KiB
     * of the shared tile in flight per CTA (stages x tile bytes): a shared
     * stage is refilled only when every CTA of the cluster has released it, a
     * longer round trip that fewer bytes in flight cannot cover (tmabench.cu
     * test 10: 16-KiB tiles at 2, 4, 8 stages; test 13: 32-KiB tiles at 4
     * stages agree with the 128-KiB point); 0 = not measured (no loss charged) */
    double tma_mc_eff_32kb, tma_mc_eff_64kb, tma_mc_eff_128kb;
    /* Out-of-bounds TMA box elements (zero-filled) cross the L2's return path
     * like data: GB/s of zero fill that path delivers when nothing else uses
     * it (tmabench.cu test 13); DRAM fills, L2 hits and zero fill share it
     * (l2_bw_gbps); 0 = not measured (zero fill is free) */
    double tma_oob_gbps;
    /* One producer thread issuing TMA: each stage occupies it tma_stage_issue_ns
     * (arming the stage's barrier) plus tma_box_issue_ns per box, whatever the
     * box's size; stages land no faster than that (tmabench.cu test 14);
     * 0 = not measured (issue is free) */
    double tma_stage_issue_ns, tma_box_issue_ns;
    double sm_load_gbps;                /* bytes one SM can pull from L2/DRAM, GB/s (0 = no cap) */
    double sm_tma_gbps;                 /* the same by TMA (0 = sm_load_gbps) */
    double tma_latency_ns;              /* TMA stage round trip, issue to consumer (0 = the DRAM latency) */
    double l2_bytes;                    /* L2 capacity */
    double l2_bw_gbps;                  /* L2 hit bandwidth */
    double l2_latency_ns;               /* L2 hit latency */
    double smem_per_sm_bytes;           /* shared memory per SM */
    double smem_per_cta_max_bytes;      /* max dynamic smem per CTA (opt-in) */
    double max_threads_per_sm;
    double max_ctas_per_sm;
    double regs_per_sm;                 /* 32-bit registers per SM */
    double issue_warp_inst_per_clk_sm;  /* warp instructions issued per clock per SM */
    double fp32_flop_per_clk_sm;        /* FFMA = 2 FLOP, all CUDA cores */
    double mma_bf16_flop_per_clk_sm;    /* dense bf16 MMA, fp32 accumulate */
    double mma_fp8_flop_per_clk_sm;     /* dense non-block-scaled fp8 MMA, fp32 acc */
    double mma_mxf8f6f4_flop_per_clk_sm;/* block-scaled kind::mxf8f6f4 (0 = none) */
    double mma_mxf4nvf4_flop_per_clk_sm;/* block-scaled kind::mxf4nvf4 (0 = none) */
    double mma_wait_cyc;                /* cycles a lone warpgroup's wait for its committed
                                           group of async MMAs (wgmma) adds to their issue */
    double launch_api_us;               /* host CPU time per kernel launch, eager */
    double launch_gap_ns;               /* device idle between dependent kernels, eager */
    double graph_gap_ns;                /* device idle between kernels inside a CUDA graph */
    double graph_gap_cold_ns;           /* the same when the graph's node state left L2 since
                                           the node last ran (a step streaming more than L2) */
    double tma_desc_update_cycles;      /* per-group tensormap update in grouped GEMM */
    double kernel_fixed_ns;             /* launch-to-first-CTA plus end-of-kernel drain, inside a kernel's measured duration */
    /* small-kernel step costs (models/ksmall.c), SM cycles: a __syncthreads
     * back to back and a shared-memory tree step (barrier + partner's partial
     * + add + write), at 32, 128 and 512 threads per CTA */
    double ks_bar_32thr_cyc, ks_bar_128thr_cyc, ks_bar_512thr_cyc;
    double ks_tree_32thr_cyc, ks_tree_128thr_cyc, ks_tree_512thr_cyc;
    double ks_shfl_cyc;                 /* shfl.sync.bfly + the dependent combine */
    double ks_smem_cyc;                 /* dependent shared-memory load */
    double ks_smem_atomic_cyc;          /* dependent shared-memory atomicAdd */
    double ks_l1_cyc;                   /* dependent global load hitting L1 */
    double ks_issue_cyc;                /* one more instruction of a warp alone on its scheduler */
    double ks_inst_scale;               /* executed instructions per family relative to the
                                           sm_90 counts of models/data/kcode/ksmall_sm90.csv
                                           (code of another ISA) */
} arch_t;

extern const param_schema_t arch_schema;

/* Derived quantities, computed in one place. */
double arch_dram_bw_bytes_per_ps(const arch_t *a);  /* achievable */
double arch_l2_bw_bytes_per_ps(const arch_t *a);
double arch_ps_per_cycle(const arch_t *a);
/* DRAM efficiency for runs of run_bytes contiguous bytes: the measured points
 * interpolated linearly in log2(run); 1 for run_bytes <= 0 (streaming) or
 * >= 1440 B (whole 1440-B rows, the longest run measured). */
double arch_dram_run_eff(const arch_t *a, double run_bytes);
/* Efficiency charged to a load of run_bytes runs: for TMA loads in boxes of
 * box_rows rows (0 = 128), the dram_tma_eff points interpolated linearly in
 * log2(rows), held flat outside 64..256, where the arch has them; else
 * arch_dram_run_eff. */
double arch_dram_load_eff(const arch_t *a, double run_bytes, int tma, double box_rows);

/* Factor on the DRAM efficiency of a multicast TMA k-tile loop keeping
 * inflight_bytes of the shared tile in flight per CTA (stages x tile bytes):
 * the tma_mc_eff points interpolated linearly in log2(bytes), held flat
 * outside 32..128 KiB; 1 when the arch has no measurement. */
double arch_tma_mc_eff(const arch_t *a, double inflight_bytes);

#endif
