/* gemm_probe_test.c -- gbsim's SM120 GEMM derivation against CUTLASS itself.
 *
 * models/data/cutlass_sm120_probe.csv was produced by compiling CUTLASS's own
 * SM120 block-scaled collective builders with nvcc 13.0 for sm_121a
 * (microbench/cutlass_probe.cu: it instantiates CollectiveBuilder +
 * GemmUniversal per configuration and prints DispatchPolicy::Stages, the
 * SharedStorage sizes, TmaTransactionBytes and MaxThreadsPerBlock, for a
 * source operand C of each type; rows that do not compile carry CUTLASS's
 * static_assert text). For every row:
 *   compiles=yes: gbsim says valid, with the same stage count, TMA bytes per
 *     k-tile and threads exactly; the epilogue carveout exactly for dense
 *     kernels and any kernel with a C; with a C also the epilogue's C bytes
 *     per subtile and the kernel's shared storage exactly; the mainloop and
 *     kernel shared storage within 512 B;
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

/* The source operand types of the probe's c_type column and their bytes. */
static const struct {
    const char *name;
    int bytes;
} C_TYPES[] = {{"void", 0}, {"bf16", 2}, {"fp16", 2}, {"fp32", 4}};
#define N_C_TYPES ((int)(sizeof C_TYPES / sizeof C_TYPES[0]))

/* One probe row (not the header) against gbsim's derivation on a; counts the
 * rows of each C type that compile in built[]. Columns: a_type b_type c_type
 * tile_m tile_n tile_k kernel schedule compiles stages mainloop_smem_bytes
 * epilogue_smem_bytes kernel_smem_bytes tma_transaction_bytes
 * epilogue_tma_c_bytes threads min_blocks_per_sm note. */
static void check_row(const arch_t *a, const csvrec_t *r, int *built, check_t *ck)
{
    int line = r->line;
    char *const *f = r->fields;
    if (!CHECK(r->n == 18, "line %d: %zu fields", line, r->n))
        return;
    gemm_opts_t o = {.out_bytes = 2, .split_k = 1};
    CHECK(dtype_parse(f[0], &o.a_dt) == 0 && dtype_parse(f[1], &o.b_dt) == 0, "line %d types", line);
    int ci = 0;
    while (ci < N_C_TYPES && strcmp(C_TYPES[ci].name, f[2]))
        ci++;
    if (!CHECK(ci < N_C_TYPES, "line %d: c_type '%s'", line, f[2]))
        return;
    o.c_bytes = C_TYPES[ci].bytes;
    o.tile_m = atoi(f[3]);
    o.tile_n = atoi(f[4]);
    o.tile_k = atoi(f[5]);
    o.grouped = !strcmp(f[6], "grouped");
    o.sched = !strcmp(f[7], "pingpong") ? GEMM_PINGPONG : GEMM_COOP;
    gemm_cfg_t g;
    gemm_cfg_derive(a, &o, &g);
    const char *what = f[6], *c = f[2];
    if (!strcmp(f[8], "no")) {
        CHECK(!g.valid, "line %d %s %s C %s %dx%dx%d %s: CUTLASS rejects it, gbsim says valid",
              line, f[0], f[1], c, o.tile_m, o.tile_n, o.tile_k, what);
        if (f[9][0])   /* the builder's stage count, where the probe printed it */
            CHECK(g.stages_fit == atoi(f[9]), "line %d C %s: stages fit %d, CUTLASS's builder %s",
                  line, c, g.stages_fit, f[9]);
        return;
    }
    built[ci]++;
    CHECK(g.valid, "line %d: gbsim rejects a configuration CUTLASS builds: %s", line, g.reason);
    CHECK(g.stages == atoi(f[9]), "line %d %dx%dx%d %s C %s: stages %d, CUTLASS %s", line, o.tile_m,
          o.tile_n, o.tile_k, what, c, g.stages, f[9]);
    CHECK(g.tma_bytes_per_ktile == atof(f[13]), "line %d: TMA bytes %.0f, CUTLASS %s", line,
          g.tma_bytes_per_ktile, f[13]);
    if (o.c_bytes > 0)
        CHECK(g.tma_c_bytes_per_subtile == atof(f[14]), "line %d C %s: C TMA bytes %.0f, CUTLASS %s",
              line, c, g.tma_c_bytes_per_subtile, f[14]);
    CHECK(g.threads == atoi(f[15]), "line %d: threads %d, CUTLASS %s", line, g.threads, f[15]);
    if (o.c_bytes > 0)
        CHECK(g.smem_total_bytes == atof(f[12]), "line %d %dx%dx%d C %s: kernel smem %.0f, CUTLASS %s",
              line, o.tile_m, o.tile_n, o.tile_k, c, g.smem_total_bytes, f[12]);
    if (!o.grouped || o.c_bytes > 0)
        CHECK(g.smem_epilogue_bytes == atof(f[11]), "line %d %dx%dx%d C %s: epilogue %.0f, CUTLASS %s",
              line, o.tile_m, o.tile_n, o.tile_k, c, g.smem_epilogue_bytes, f[11]);
    CHECK(fabs(g.smem_mainloop_bytes - atof(f[10])) <= 512, "line %d %dx%dx%d: mainloop %.0f, CUTLASS %s",
          line, o.tile_m, o.tile_n, o.tile_k, g.smem_mainloop_bytes, f[10]);
    CHECK(fabs(g.smem_total_bytes - atof(f[12])) <= 512,
          "line %d %dx%dx%d %s C %s: kernel smem %.0f, CUTLASS %s", line, o.tile_m, o.tile_n,
          o.tile_k, what, c, g.smem_total_bytes, f[12]);
}

/* Every row of the probe file; at least 40 of them, 5 that compile for each C
 * type. */
static void test_every_probe_row_matches_cutlass(check_t *ck)
{
    const char *path = "models/data/cutlass_sm120_probe.csv";
    arch_t a = preset_arch("gb10");
    csvrec_list_t l = {0};
    char err[512];
    if (CHECK(csvrec_read(path, &l, err, sizeof err) == 0, "%s", err)) {
        int built[N_C_TYPES] = {0};
        for (size_t i = 1; i < l.nrecs; i++)
            check_row(&a, &l.recs[i], built, ck);
        CHECK(l.nrecs >= 1 + 40, "%s: only %zu probe rows", path, l.nrecs ? l.nrecs - 1 : 0);
        for (int ci = 0; ci < N_C_TYPES; ci++)
            CHECK(built[ci] >= 5, "%s: %d rows that compile with C %s", path, built[ci],
                  C_TYPES[ci].name);
    }
    csvrec_free(&l);
}

int main(void)
{
    check_t ck = check_begin("gemm_probe_test");
    test_every_probe_row_matches_cutlass(&ck);
    return check_end(&ck);
}
