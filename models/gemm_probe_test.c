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
#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gemm.h"
#include "models/setup.h"
#include "tests/testarch.h"

#define MAXF 16

typedef struct {
    char f[MAXF][512];
    int nf, row;
    int *failures;
    int checked;
    arch_t a;
} ctx_t;

static void on_field(void *s, size_t len, void *data)
{
    ctx_t *c = data;
    if (c->nf < MAXF) {
        size_t n = len < 511 ? len : 511;
        memcpy(c->f[c->nf], s, n);
        c->f[c->nf][n] = '\0';
    }
    c->nf++;
}

static void on_row(int ch, void *data)
{
    (void)ch;
    ctx_t *c = data;
    int *failures = c->failures;
    int row = c->row++;
    int nf = c->nf;
    c->nf = 0;
    if (row == 0)
        return; /* header */
    CHECK(nf == 16, "row %d: %d fields", row, nf);
    if (nf != 16)
        return;
    gemm_opts_t o = {.out_bytes = 2, .split_k = 1};
    CHECK(dtype_parse(c->f[0], &o.a_dt) == 0 && dtype_parse(c->f[1], &o.b_dt) == 0, "row %d types", row);
    o.tile_m = atoi(c->f[2]);
    o.tile_n = atoi(c->f[3]);
    o.tile_k = atoi(c->f[4]);
    o.grouped = !strcmp(c->f[5], "grouped");
    o.sched = !strcmp(c->f[6], "pingpong") ? GEMM_PINGPONG : GEMM_COOP;
    gemm_cfg_t g;
    gemm_cfg_derive(&c->a, &o, &g);
    const char *what = c->f[5];
    if (!strcmp(c->f[7], "no")) {
        CHECK(!g.valid, "row %d %s %s %dx%dx%d %s: CUTLASS rejects it, gbsim says valid", row,
              c->f[0], c->f[1], o.tile_m, o.tile_n, o.tile_k, what);
    } else {
        CHECK(g.valid, "row %d: gbsim rejects a configuration CUTLASS builds: %s", row, g.reason);
        CHECK(g.stages == atoi(c->f[8]), "row %d %dx%dx%d %s: stages %d, CUTLASS %s", row, o.tile_m,
              o.tile_n, o.tile_k, what, g.stages, c->f[8]);
        CHECK(g.tma_bytes_per_ktile == atof(c->f[12]), "row %d: TMA bytes %.0f, CUTLASS %s", row,
              g.tma_bytes_per_ktile, c->f[12]);
        CHECK(g.threads == atoi(c->f[13]), "row %d: threads %d, CUTLASS %s", row, g.threads, c->f[13]);
        if (!o.grouped)
            CHECK(g.smem_epilogue_bytes == atof(c->f[10]), "row %d: epilogue %.0f, CUTLASS %s", row,
                  g.smem_epilogue_bytes, c->f[10]);
        CHECK(fabs(g.smem_mainloop_bytes - atof(c->f[9])) <= 512, "row %d %dx%dx%d: mainloop %.0f, CUTLASS %s",
              row, o.tile_m, o.tile_n, o.tile_k, g.smem_mainloop_bytes, c->f[9]);
        CHECK(fabs(g.smem_total_bytes - atof(c->f[11])) <= 512, "row %d %dx%dx%d %s: kernel smem %.0f, CUTLASS %s",
              row, o.tile_m, o.tile_n, o.tile_k, what, g.smem_total_bytes, c->f[11]);
    }
    c->checked++;
}

int main(void)
{
    int failures = 0;
    ctx_t c = {.failures = &failures};
    setup_t s;
    char err[512];
    if (setup_load(&s, "gb10", NULL, NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    c.a = s.arch;
    FILE *f = fopen("models/data/cutlass_sm120_probe.csv", "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open models/data/cutlass_sm120_probe.csv\n");
        return 1;
    }
    struct csv_parser p;
    csv_init(&p, CSV_STRICT);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_row, &c) != n) {
            fprintf(stderr, "csv: %s\n", csv_strerror(csv_error(&p)));
            failures++;
            break;
        }
    csv_fini(&p, on_field, on_row, &c);
    csv_free(&p);
    fclose(f);
    if (c.checked < 40) {
        fprintf(stderr, "only %d probe rows\n", c.checked);
        failures++;
    }
    printf("gemm_probe_test: %d rows, %d failure(s)\n", c.checked, failures);
    return failures != 0;
}
