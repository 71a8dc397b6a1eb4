/* arch.c -- the architecture parameter schema. Ranges are sanity bounds that
 * reject typos (a 273 GB/s part entered as 273000) while admitting every GPU
 * gbsim may be asked about. */
#include "models/arch.h"

#include <math.h>
#include <stddef.h>

#define F(field) offsetof(arch_t, field)

static const param_def_t ARCH_DEFS[] = {
    /* key                         unit              min     max     type        field */
    {"cc",                         "x10",            10,     200,    PARAM_INT,  F(cc), "compute capability times ten"},
    {"n_sm",                       "count",          1,      1024,   PARAM_INT,  F(n_sm), "streaming multiprocessors"},
    {"sm_clock_mhz",               "MHz",            100,    5000,   PARAM_REAL, F(sm_clock_mhz), "SM clock under load"},
    {"dram_peak_gbps",             "GB/s",           1,      100000, PARAM_REAL, F(dram_peak_gbps), "peak DRAM bandwidth"},
    {"dram_capacity_gb",           "GB",             0.1,    100000, PARAM_REAL, F(dram_capacity_gb), "memory for weights and KV cache"},
    {"dram_achievable_frac",       "ratio",          0.05,   1,      PARAM_REAL, F(dram_achievable_frac), "sustained streaming-read bandwidth / peak"},
    {"dram_latency_ns",            "ns",             10,     10000,  PARAM_REAL, F(dram_latency_ns), "DRAM read latency seen by an SM"},
    {"dram_run_eff_32",            "ratio",          0.05,   1,      PARAM_REAL, F(dram_run_eff_32), "DRAM efficiency with 32-B runs"},
    {"dram_run_eff_64",            "ratio",          0.05,   1,      PARAM_REAL, F(dram_run_eff_64), "DRAM efficiency with 64-B runs"},
    {"dram_run_eff_128",           "ratio",          0.05,   1,      PARAM_REAL, F(dram_run_eff_128), "DRAM efficiency with 128-B runs"},
    {"dram_run_eff_256",           "ratio",          0.05,   1,      PARAM_REAL, F(dram_run_eff_256), "DRAM efficiency with 256-B runs"},
    {"dram_run_eff_512",           "ratio",          0.05,   1,      PARAM_REAL, F(dram_run_eff_512), "DRAM efficiency with 512-B runs"},
    {"dram_tma_eff",               "ratio",          0,      1,      PARAM_REAL, F(dram_tma_eff), "DRAM efficiency of TMA k-tile loops (0 = use the run curve)"},
    {"dram_tma_eff_64r",           "ratio",          0,      1,      PARAM_REAL, F(dram_tma_eff_64r), "DRAM efficiency of TMA k-tile loops with 64-row boxes (0 = dram_tma_eff)"},
    {"dram_tma_eff_256r",          "ratio",          0,      1,      PARAM_REAL, F(dram_tma_eff_256r), "DRAM efficiency of TMA k-tile loops with 256-row boxes (0 = dram_tma_eff)"},
    {"tma_mc_eff_32kb",            "ratio",          0,      1,      PARAM_REAL, F(tma_mc_eff_32kb), "multicast TMA loop, 32 KiB of shared tile in flight per CTA: DRAM throughput over plain TMA (0 = not measured)"},
    {"tma_mc_eff_64kb",            "ratio",          0,      1,      PARAM_REAL, F(tma_mc_eff_64kb), "multicast TMA loop, 64 KiB in flight per CTA: DRAM throughput over plain TMA (0 = not measured)"},
    {"tma_mc_eff_128kb",           "ratio",          0,      1,      PARAM_REAL, F(tma_mc_eff_128kb), "multicast TMA loop, 128 KiB in flight per CTA: DRAM throughput over plain TMA (0 = not measured)"},
    {"tma_oob_gbps",               "GB/s",           0,      1e6,    PARAM_REAL, F(tma_oob_gbps), "TMA out-of-bounds zero fill through the L2 return path, alone (0 = free)"},
    {"tma_stage_issue_ns",         "ns",             0,      10000,  PARAM_REAL, F(tma_stage_issue_ns), "producer thread time per TMA stage beyond its boxes (0 = free)"},
    {"tma_box_issue_ns",           "ns",             0,      10000,  PARAM_REAL, F(tma_box_issue_ns), "producer thread time per TMA box (0 = free)"},
    {"sm_load_gbps",               "GB/s",           0,      1e5,    PARAM_REAL, F(sm_load_gbps), "load bandwidth of one SM (0 = no per-SM cap)"},
    {"sm_tma_gbps",                "GB/s",           0,      1e5,    PARAM_REAL, F(sm_tma_gbps), "TMA load bandwidth of one SM (0 = sm_load_gbps)"},
    {"tma_latency_ns",             "ns",             0,      10000,  PARAM_REAL, F(tma_latency_ns), "TMA stage round trip (0 = DRAM latency)"},
    {"l2_bytes",                   "B",              65536,  1e10,   PARAM_INT,  F(l2_bytes), "L2 capacity"},
    {"l2_bw_gbps",                 "GB/s",           1,      1e6,    PARAM_REAL, F(l2_bw_gbps), "L2 hit bandwidth"},
    {"l2_latency_ns",              "ns",             1,      5000,   PARAM_REAL, F(l2_latency_ns), "L2 hit latency"},
    {"smem_per_sm_bytes",          "B",              1024,   4194304,PARAM_INT,  F(smem_per_sm_bytes), "shared memory per SM"},
    {"smem_per_cta_max_bytes",     "B",              1024,   4194304,PARAM_INT,  F(smem_per_cta_max_bytes), "max dynamic shared memory per CTA"},
    {"max_threads_per_sm",         "count",          32,     8192,   PARAM_INT,  F(max_threads_per_sm), "resident threads per SM"},
    {"max_ctas_per_sm",            "count",          1,      128,    PARAM_INT,  F(max_ctas_per_sm), "resident CTAs per SM"},
    {"regs_per_sm",                "count",          1024,   1048576,PARAM_INT,  F(regs_per_sm), "32-bit registers per SM"},
    {"issue_warp_inst_per_clk_sm", "inst/clk",       1,      64,     PARAM_REAL, F(issue_warp_inst_per_clk_sm), "warp instructions issued per clock per SM"},
    {"fp32_flop_per_clk_sm",       "FLOP/clk",       1,      1e5,    PARAM_REAL, F(fp32_flop_per_clk_sm), "fp32 FFMA FLOP per clock per SM"},
    {"mma_bf16_flop_per_clk_sm",   "FLOP/clk",       0,      1e6,    PARAM_REAL, F(mma_bf16_flop_per_clk_sm), "dense bf16 MMA, fp32 accumulate"},
    {"mma_fp8_flop_per_clk_sm",    "FLOP/clk",       0,      1e6,    PARAM_REAL, F(mma_fp8_flop_per_clk_sm), "dense fp8 MMA, fp32 accumulate"},
    {"mma_mxf8f6f4_flop_per_clk_sm","FLOP/clk",      0,      1e6,    PARAM_REAL, F(mma_mxf8f6f4_flop_per_clk_sm), "block-scaled mxf8f6f4 MMA (0 = none)"},
    {"mma_mxf4nvf4_flop_per_clk_sm","FLOP/clk",      0,      1e6,    PARAM_REAL, F(mma_mxf4nvf4_flop_per_clk_sm), "block-scaled mxf4nvf4 MMA (0 = none)"},
    {"mma_wait_cyc",               "cycles",         0,      1e4,    PARAM_REAL, F(mma_wait_cyc), "a warpgroup's wait for its async MMA group, beyond their issue"},
    {"launch_api_us",              "us",             0,      1000,   PARAM_REAL, F(launch_api_us), "host CPU time per eager kernel launch"},
    {"launch_gap_ns",              "ns",             0,      1e6,    PARAM_REAL, F(launch_gap_ns), "device idle between dependent eager kernels"},
    {"graph_gap_ns",               "ns",             0,      1e6,    PARAM_REAL, F(graph_gap_ns), "device idle between kernels in a CUDA graph"},
    {"graph_gap_cold_ns",          "ns",             0,      1e6,    PARAM_REAL, F(graph_gap_cold_ns), "graph gap when the graph's node state was evicted from L2"},
    {"kernel_fixed_ns",            "ns",             0,      1e6,    PARAM_REAL, F(kernel_fixed_ns), "fixed cost inside a kernel's measured duration"},
    {"tma_desc_update_cycles",     "cycles",         0,      1e6,    PARAM_REAL, F(tma_desc_update_cycles), "grouped GEMM per-group tensormap update"},
    {"ks_bar_32thr_cyc",           "cycles",         1,      1e4,    PARAM_REAL, F(ks_bar_32thr_cyc), "__syncthreads back to back, 32-thread CTA"},
    {"ks_bar_128thr_cyc",          "cycles",         1,      1e4,    PARAM_REAL, F(ks_bar_128thr_cyc), "__syncthreads back to back, 128-thread CTA"},
    {"ks_bar_512thr_cyc",          "cycles",         1,      1e4,    PARAM_REAL, F(ks_bar_512thr_cyc), "__syncthreads back to back, 512-thread CTA"},
    {"ks_tree_32thr_cyc",          "cycles",         1,      1e4,    PARAM_REAL, F(ks_tree_32thr_cyc), "shared-memory tree step, 32-thread CTA"},
    {"ks_tree_128thr_cyc",         "cycles",         1,      1e4,    PARAM_REAL, F(ks_tree_128thr_cyc), "shared-memory tree step, 128-thread CTA"},
    {"ks_tree_512thr_cyc",         "cycles",         1,      1e4,    PARAM_REAL, F(ks_tree_512thr_cyc), "shared-memory tree step, 512-thread CTA"},
    {"ks_shfl_cyc",                "cycles",         1,      1e4,    PARAM_REAL, F(ks_shfl_cyc), "warp shuffle step with its dependent combine"},
    {"ks_smem_cyc",                "cycles",         1,      1e4,    PARAM_REAL, F(ks_smem_cyc), "dependent shared-memory load"},
    {"ks_smem_atomic_cyc",         "cycles",         1,      1e4,    PARAM_REAL, F(ks_smem_atomic_cyc), "dependent shared-memory atomicAdd"},
    {"ks_l1_cyc",                  "cycles",         1,      1e4,    PARAM_REAL, F(ks_l1_cyc), "dependent global load hitting L1"},
    {"ks_issue_cyc",               "cycles",         0.25,   100,    PARAM_REAL, F(ks_issue_cyc), "cycles per instruction of a warp alone on its scheduler"},
    {"ks_inst_scale",              "ratio",          0.1,    10,     PARAM_REAL, F(ks_inst_scale), "small-kernel instruction counts relative to sm_90's"},
};

const param_schema_t arch_schema = {"arch", ARCH_DEFS, sizeof ARCH_DEFS / sizeof ARCH_DEFS[0]};

double arch_dram_bw_bytes_per_ps(const arch_t *a)
{
    /* GB/s = 1e9 B / 1e12 ps */
    return a->dram_peak_gbps * a->dram_achievable_frac * 1e-3;
}

double arch_l2_bw_bytes_per_ps(const arch_t *a)
{
    return a->l2_bw_gbps * 1e-3;
}

double arch_ps_per_cycle(const arch_t *a)
{
    return 1e6 / a->sm_clock_mhz;
}

/* y at v, linear in log2(x) between the points x[0] < ... < x[n-1], held flat
 * outside them. */
static double log2_interp(const double *x, const double *y, int n, double v)
{
    if (v <= x[0])
        return y[0];
    if (v >= x[n - 1])
        return y[n - 1];
    int i = 0;
    while (v > x[i + 1])
        i++;
    double t = log2(v / x[i]) / log2(x[i + 1] / x[i]);
    return y[i] + t * (y[i + 1] - y[i]);
}

double arch_dram_run_eff(const arch_t *a, double run)
{
    const double x[] = {32, 64, 128, 256, 512, 1440};
    const double y[] = {a->dram_run_eff_32, a->dram_run_eff_64, a->dram_run_eff_128,
                        a->dram_run_eff_256, a->dram_run_eff_512, 1.0};
    if (run <= 0)
        return 1.0;
    return log2_interp(x, y, 6, run);
}

double arch_dram_load_eff(const arch_t *a, double run, int tma, double box_rows)
{
    if (!tma || a->dram_tma_eff <= 0)
        return arch_dram_run_eff(a, run);
    const double x[] = {64, 128, 256};
    const double y[] = {a->dram_tma_eff_64r > 0 ? a->dram_tma_eff_64r : a->dram_tma_eff, a->dram_tma_eff,
                        a->dram_tma_eff_256r > 0 ? a->dram_tma_eff_256r : a->dram_tma_eff};
    return log2_interp(x, y, 3, box_rows > 0 ? box_rows : 128);
}

double arch_tma_mc_eff(const arch_t *a, double inflight_bytes)
{
    const double x[] = {32768, 65536, 131072};
    const double y[] = {a->tma_mc_eff_32kb, a->tma_mc_eff_64kb, a->tma_mc_eff_128kb};
    if (y[0] <= 0 || y[1] <= 0 || y[2] <= 0)
        return 1.0;
    return log2_interp(x, y, 3, inflight_bytes);
}
