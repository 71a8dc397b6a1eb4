/* testarch.h -- a synthetic architecture with round numbers for analytic
 * tests: 1 GHz (1000 ps per cycle), 1 byte/ps DRAM (1000 GB/s), 100 ns
 * latency. Not a real GPU. */
#ifndef GBSIM_TESTARCH_H
#define GBSIM_TESTARCH_H

#include <assert.h>
#include <stdio.h>

#include "models/arch.h"
#include "models/setup.h"

static inline arch_t testarch(void)
{
    return (arch_t){
        .cc = 121, .n_sm = 4, .sm_clock_mhz = 1000, .dram_peak_gbps = 1000,
        .dram_achievable_frac = 1.0, .dram_latency_ns = 100, .l2_bytes = 4194304,
        .dram_run_eff_32 = 1, .dram_run_eff_64 = 1, .dram_run_eff_128 = 1, .dram_run_eff_256 = 1,
        .dram_run_eff_512 = 1,
        .l2_bw_gbps = 4000, .l2_latency_ns = 50, .smem_per_sm_bytes = 102400,
        .smem_per_cta_max_bytes = 101376, .max_threads_per_sm = 1536, .max_ctas_per_sm = 8,
        .regs_per_sm = 65536, .issue_warp_inst_per_clk_sm = 4, .fp32_flop_per_clk_sm = 256,
        .mma_bf16_flop_per_clk_sm = 1024, .mma_fp8_flop_per_clk_sm = 2048,
        .mma_mxf8f6f4_flop_per_clk_sm = 2048, .mma_mxf4nvf4_flop_per_clk_sm = 4096,
        .launch_api_us = 5, .launch_gap_ns = 1000, .graph_gap_ns = 100, .graph_gap_cold_ns = 100, .kernel_fixed_ns = 0,
        .tma_desc_update_cycles = 5000,
    };
}

/* An embedded preset (models/data/arch/NAME.csv); one that does not load is a
 * bug in the preset, not a test failure. */
static inline arch_t preset_arch(const char *name)
{
    setup_t s;
    char err[512];
    int rc = setup_load(&s, name, NULL, NULL, 0, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    assert(rc == 0);
    return s.arch;
}

#endif
