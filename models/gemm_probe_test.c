/* gemm_probe_test.c -- gbsim's SM120 GEMM derivation against CUTLASS itself.
 *
 * models/data/cutlass_sm120_probe.csv was produced by compiling CUTLASS's own
 * SM120 block-scaled collective builders with nvcc 13.0 for sm_121a
 * (microbench/cutlass_probe.cu: it instantiates CollectiveBuilder +
 * GemmUniversal per configuration and prints DispatchPolicy::Stages, the
 * SharedStorage sizes, TmaTransactionBytes and MaxThreadsPerBlock; rows that
 * do not compile carry CUTLASS's static_assert text). For every row:
 *   compiles=yes: gbsim says valid, with the same stage count, TMA bytes per
 *     k-tile and threads, the dense epilogue carveout exactly, the mainloop
 *     and kernel shared storage within 512 B;
 *   compiles=no: gbsim says invalid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gemm.h"
#include "models/setup.h"
#include "sim/csvrec.h"
#include "tests/check.h"
#include "tests/testarch.h"

/* One probe row (not the header) against gbsim's derivation on a. */
static void check_row(const arch_t *a, const csvrec_t *r, check_t *ck)
{
    int line = r->line;
    char *const *f = r->fields;
    if (!CHECK(r->n == 16, "line %d: %zu fields", line, r->n))
        return;
    gemm_opts_t o = {.out_bytes = 2, .split_k = 1};
    CHECK(dtype_parse(f[0], &o.a_dt) == 0 && dtype_parse(f[1], &o.b_dt) == 0, "line %d types", line);
    o.tile_m = atoi(f[2]);
    o.tile_n = atoi(f[3]);
    o.tile_k = atoi(f[4]);
    o.grouped = !strcmp(f[5], "grouped");
    o.sched = !strcmp(f[6], "pingpong") ? GEMM_PINGPONG : GEMM_COOP;
    gemm_cfg_t g;
    gemm_cfg_derive(a, &o, &g);
    const char *what = f[5];
    if (!strcmp(f[7], "no")) {
        CHECK(!g.valid, "line %d %s %s %dx%dx%d %s: CUTLASS rejects it, gbsim says valid", line,
              f[0], f[1], o.tile_m, o.tile_n, o.tile_k, what);
    } else {
        CHECK(g.valid, "line %d: gbsim rejects a configuration CUTLASS builds: %s", line, g.reason);
        CHECK(g.stages == atoi(f[8]), "line %d %dx%dx%d %s: stages %d, CUTLASS %s", line, o.tile_m,
              o.tile_n, o.tile_k, what, g.stages, f[8]);
        CHECK(g.tma_bytes_per_ktile == atof(f[12]), "line %d: TMA bytes %.0f, CUTLASS %s", line,
              g.tma_bytes_per_ktile, f[12]);
        CHECK(g.threads == atoi(f[13]), "line %d: threads %d, CUTLASS %s", line, g.threads, f[13]);
        if (!o.grouped)
            CHECK(g.smem_epilogue_bytes == atof(f[10]), "line %d: epilogue %.0f, CUTLASS %s", line,
                  g.smem_epilogue_bytes, f[10]);
        CHECK(fabs(g.smem_mainloop_bytes - atof(f[9])) <= 512, "line %d %dx%dx%d: mainloop %.0f, CUTLASS %s",
              line, o.tile_m, o.tile_n, o.tile_k, g.smem_mainloop_bytes, f[9]);
        CHECK(fabs(g.smem_total_bytes - atof(f[11])) <= 512, "line %d %dx%dx%d %s: kernel smem %.0f, CUTLASS %s",
              line, o.tile_m, o.tile_n, o.tile_k, what, g.smem_total_bytes, f[11]);
    }
}

/* Every row of the probe file; at least 40 of them. */
static void test_every_probe_row_matches_cutlass(check_t *ck)
{
    const char *path = "models/data/cutlass_sm120_probe.csv";
    arch_t a = preset_arch("gb10");
    csvrec_list_t l = {0};
    char err[512];
    if (CHECK(csvrec_read(path, &l, err, sizeof err) == 0, "%s", err)) {
        for (size_t i = 1; i < l.nrecs; i++)
            check_row(&a, &l.recs[i], ck);
        CHECK(l.nrecs >= 1 + 40, "%s: only %zu probe rows", path, l.nrecs ? l.nrecs - 1 : 0);
    }
    csvrec_free(&l);
}

int main(void)
{
    check_t ck = check_begin("gemm_probe_test");
    test_every_probe_row_matches_cutlass(&ck);
    return check_end(&ck);
}
