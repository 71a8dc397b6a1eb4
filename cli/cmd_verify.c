/* cmd_verify.c -- `gbsim verify`: block-scaled GEMM numerics per candidate
 * configuration against fp64 (models/numerics/bsgemm.h, models/numerics/mxquant.h). */
#include "cli/cmd_verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "cli/cli.h"
#include "models/numerics/bsgemm.h"
#include "models/numerics/mxquant.h"

static const char USAGE[] = "usage: gbsim verify [options]";
static const char MORE[] =
    "Computes C = A * B^T (A: M x K activations, B: N x K weights, K-major) with\n"
    "the reference block-scaled GEMM of models/numerics/bsgemm.h for every candidate\n"
    "configuration and compares it with an fp64 product of the unquantized fp32\n"
    "data. Configurations: operand formats (A/B) mxfp8e4m3/mxfp4 (gpt-oss MoE on\n"
    "SM12x), mxfp4/mxfp4, mxfp8e4m3/mxfp8e4m3, mxfp8e5m2/mxfp8e5m2, nvfp4/nvfp4;\n"
    "scale rule ocp | nvidia (models/numerics/mxquant.h); SF vector 16, 32, 64, 128\n"
    "(marked * when it is not the format's own block -- 32 for MX, 16 for NVFP4:\n"
    "a hypothetical format, quantized with that block); tiles 128x128x128,\n"
    "128x128x256 and 128x8x128 with swap-AB. Scale factors are stored in\n"
    "CUTLASS's SM1xx 128x4 SF layout and accumulation is fp32 per k-tile.\n"
    "Data: gaussian = A ~ N(0,1), B ~ N(0,1)/sqrt(K); outliers = A ~ Student-t\n"
    "(3 dof) with 1% of the K channels x30, B ~ Student-t (5 dof)/sqrt(K) with\n"
    "per-row scales exp(N(0,0.5)). Columns: rel_fro_err = ||C-R||_F/||R||_F,\n"
    "max_abs_err = max |C-R|, cosine(C, R), d_tile = ||C-C0||_F/||C0||_F against\n"
    "the first tile of the same format/rule/vector (fp32 rounding only).\n"
    "The last line runs the seed-002 fault (SF offsets from the logical instead\n"
    "of the padded K: models/numerics/bsgemm.h) on mxfp8e4m3/mxfp4, ocp, vector 32,\n"
    "128x128x128 and says whether it is detected (error > 1.5x the clean error and\n"
    "> 0.05), or not observable when the two layouts coincide for the shape.\n"
    "Exit status 1 if the fault goes undetected or tiles differ by more than\n"
    "1e-4 (self-check failures), 2 for bad options.\n";

typedef struct {
    mxquant_fmt_t a, b;
} pair_t;

static const pair_t PAIRS[] = {
    {MXQ_MXFP8_E4M3, MXQ_MXFP4}, {MXQ_MXFP4, MXQ_MXFP4},         {MXQ_MXFP8_E4M3, MXQ_MXFP8_E4M3},
    {MXQ_MXFP8_E5M2, MXQ_MXFP8_E5M2}, {MXQ_NVFP4, MXQ_NVFP4},
};
#define NPAIRS ((int)(sizeof PAIRS / sizeof PAIRS[0]))
static const int VECS[] = {16, 32, 64, 128};
#define NVECS ((int)(sizeof VECS / sizeof VECS[0]))
static const bsgemm_tile_t TILES[] = {
    {128, 128, 128, 0},
    {128, 128, 256, 0},
    {128, 8, 128, 1},
};
#define NTILES ((int)(sizeof TILES / sizeof TILES[0]))

/* Detection threshold of the fault line and the tile self-check limit. */
#define FAULT_MIN_ERR 0.05
#define FAULT_FACTOR 1.5
#define TILE_MAX_DIFF 1e-4

typedef struct {
    double rel_fro, max_abs, cosine;
} metrics_t;

static metrics_t compare(const float *c, const double *ref, size_t n)
{
    double d2 = 0, r2 = 0, c2 = 0, cr = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)c[i] - ref[i];
        d2 += d * d;
        r2 += ref[i] * ref[i];
        c2 += (double)c[i] * c[i];
        cr += (double)c[i] * ref[i];
        if (!(fabs(d) <= mx))
            mx = fabs(d); /* NaN propagates */
    }
    metrics_t m = {sqrt(d2 / r2), mx, cr / sqrt(c2 * r2)};
    return m;
}

static double rel_diff(const float *c, const float *c0, size_t n)
{
    double d2 = 0, r2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)c[i] - c0[i];
        d2 += d * d;
        r2 += (double)c0[i] * c0[i];
    }
    return sqrt(d2 / r2);
}

/* A quantized operand in the CUTLASS SF layout. */
typedef struct {
    uint8_t *codes, *sf;
    float global;
} qop_t;

static int quantize_op(mxquant_fmt_t f, mxquant_rule_t rule, int vec, const float *x, int64_t rows,
                       int64_t k, qop_t *q)
{
    mxquant_cfg_t cfg = {.fmt = f, .rule = rule, .block = vec};
    int64_t cols = bsgemm_sf_cols(k, vec);
    uint8_t *rm = malloc((size_t)(rows * cols));
    q->codes = malloc((size_t)(rows * k));
    q->sf = malloc(bsgemm_sf_bytes(rows, k, vec));
    if (!rm || !q->codes || !q->sf) {
        free(rm);
        free(q->codes);
        free(q->sf);
        q->codes = q->sf = NULL;
        return -1;
    }
    q->global = mxquant_global_scale(&cfg, x, (size_t)(rows * k));
    for (int64_t r = 0; r < rows; r++)
        mxquant_quantize(&cfg, x + r * k, (size_t)k, q->global, q->codes + r * k, rm + r * cols);
    bsgemm_sf_pack(rm, rows, k, vec, q->sf);
    free(rm);
    return 0;
}

static void free_op(qop_t *q)
{
    free(q->codes);
    free(q->sf);
}

static void make_data(const char *kind, unsigned long seed, int64_t m, int64_t n, int64_t k,
                      float *a, float *b)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double bs = 1.0 / sqrt((double)k);
    if (!strcmp(kind, "gaussian")) {
        for (int64_t i = 0; i < m * k; i++)
            a[i] = (float)gsl_ran_gaussian(r, 1.0);
        for (int64_t i = 0; i < n * k; i++)
            b[i] = (float)(gsl_ran_gaussian(r, 1.0) * bs);
    } else {
        /* outlier channels: every 100th K index on average, chosen by the rng */
        char *hot = calloc((size_t)k, 1);
        for (int64_t j = 0; j < k && hot; j++)
            hot[j] = gsl_rng_uniform(r) < 0.01;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++)
                a[i * k + j] = (float)(gsl_ran_tdist(r, 3.0) * (hot && hot[j] ? 30.0 : 1.0));
        for (int64_t i = 0; i < n; i++) {
            double rs = exp(gsl_ran_gaussian(r, 0.5)) * bs;
            for (int64_t j = 0; j < k; j++)
                b[i * k + j] = (float)(gsl_ran_tdist(r, 5.0) * rs);
        }
        free(hot);
    }
    gsl_rng_free(r);
}

static void tile_name(const bsgemm_tile_t *t, char *buf, size_t len)
{
    snprintf(buf, len, "%dx%dx%d%s", t->tile_m, t->tile_n, t->tile_k, t->swap_ab ? " swapAB" : "");
}

typedef struct {
    FILE *f;
    int csv;
} report_t;

static void put_row(report_t *o, const pair_t *p, mxquant_rule_t rule, int vec,
                    const bsgemm_tile_t *t, const char *fault, const metrics_t *mt, double d_tile,
                    const char *status)
{
    int hyp = vec != mxquant_native_block(p->a) || vec != mxquant_native_block(p->b);
    char tn[64];
    tile_name(t, tn, sizeof tn);
    if (o->csv) {
        fprintf(o->f, "%s,%s,%s,%d,%d,%dx%dx%d,%d,%s,%.6g,%.6g,%.9f,%.6g,%s\n",
                mxquant_fmt_name(p->a), mxquant_fmt_name(p->b), mxquant_rule_name(rule), vec, hyp,
                t->tile_m, t->tile_n, t->tile_k, t->swap_ab, fault, mt->rel_fro, mt->max_abs,
                mt->cosine, d_tile, status);
        return;
    }
    char vs[16];
    snprintf(vs, sizeof vs, "%d%s", vec, hyp ? "*" : "");
    fprintf(o->f, "%-10s %-10s %-6s %-6s %-18s %11.3e %11.3e %12.9f %9.2e%s%s\n",
            mxquant_fmt_name(p->a), mxquant_fmt_name(p->b), mxquant_rule_name(rule), vs, tn,
            mt->rel_fro, mt->max_abs, mt->cosine, d_tile, strcmp(fault, "none") ? "  fault=" : "",
            strcmp(fault, "none") ? fault : "");
}

int cmd_verify_main(int argc, char **argv)
{
    int64_t m = 4, n = 256, k = 2880, seed = 1;
    int outliers = 0, csv = 0, padded_sf = 0;
    const char *out = NULL;
    cli_opt_t opts[] = {
        {"m", CLI_INT, "rows of A = tokens, 1..4096 (default 4)", .to = &m, .min = 1, .max = 4096},
        {"n", CLI_INT, "rows of B = output features, 1..65536 (default 256)", .to = &n, .min = 1,
         .max = 65536},
        {"k", CLI_INT, "reduction depth, 1..65536 (default 2880, gpt-oss hidden size)", .to = &k,
         .min = 1, .max = 65536},
        {"seed", CLI_INT, "GSL mt19937 seed, 0..4294967295 (default 1)", .to = &seed, .min = 0,
         .max = 4294967295.0},
        {"data", CLI_CHOICE, "gaussian | outliers (default gaussian)", .to = &outliers,
         .choices = "gaussian|outliers"},
        {"fault", CLI_CHOICE, "none | padded-sf: run every configuration with the seed-002 SF "
                              "layout fault (default none)", .to = &padded_sf,
         .choices = "none|padded-sf"},
        {"format", CLI_CHOICE, "table | csv (default table)", .to = &csv, .choices = "table|csv"},
        {"out", CLI_OUT, "write the report to FILE instead of stdout", .to = &out},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "verify", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts)};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0)
        return status;
    const char *data = outliers ? "outliers" : "gaussian";
    const char *fault_s = padded_sf ? "padded-sf" : "none";
    if ((double)m * n * k > 4294967296.0)
        return cli_error("--m %lld --n %lld --k %lld: M*N*K = %.3g is too large; expected "
                         "at most 4294967296 (each of the %d configurations is a CPU GEMM)",
                         (long long)m, (long long)n, (long long)k, (double)m * n * k,
                         NPAIRS * 2 * NVECS * NTILES);
    bsgemm_fault_t fault = padded_sf ? BSGEMM_FAULT_LOGICAL_SF : BSGEMM_FAULT_NONE;

    size_t mn = (size_t)(m * n);
    float *a = malloc((size_t)(m * k) * sizeof *a), *b = malloc((size_t)(n * k) * sizeof *b);
    double *ref = malloc(mn * sizeof *ref);
    float *c = malloc(mn * sizeof *c), *c0 = malloc(mn * sizeof *c0);
    char *buf = NULL;
    size_t len = 0;
    FILE *mf = NULL;
    int rc = 0, selfcheck_failed = 0;
    metrics_t clean_check = {0, 0, 0}, fault_m = {0, 0, 0};
    double fault_d = 0;
    const char *fault_status = "";
    float *c_clean = NULL;
    if (!a || !b || !ref || !c || !c0 || !(mf = open_memstream(&buf, &len))) {
        rc = cli_error("out of memory");
        goto done;
    }
    make_data(data, (unsigned long)seed, m, n, k, a, b);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t t = 0; t < k; t++)
                s += (double)a[i * k + t] * b[j * k + t];
            ref[i * n + j] = s;
        }

    report_t rep = {mf, csv};
    if (rep.csv)
        fprintf(mf, "a_fmt,b_fmt,rule,sf_vec,hypothetical,tile,swap_ab,fault,rel_fro_err,"
                    "max_abs_err,cosine,d_tile,status\n");
    else {
        fprintf(mf, "# gbsim verify: C = A*B^T, M=%lld N=%lld K=%lld, data=%s, seed=%lld, "
                    "reference fp64 on the unquantized fp32 data\n",
                (long long)m, (long long)n, (long long)k, data, (long long)seed);
        fprintf(mf, "# sf_vec with * = hypothetical format (not the format's own block size); "
                    "d_tile = difference to the first tile (fp32 accumulation order)\n");
        fprintf(mf, "%-10s %-10s %-6s %-6s %-18s %11s %11s %12s %9s\n", "a_fmt", "b_fmt", "rule",
                "sf_vec", "tile", "rel_fro_err", "max_abs_err", "cosine", "d_tile");
    }
    for (int pi = 0; pi < NPAIRS; pi++)
        for (int rule = 0; rule < MXQ_NRULE; rule++)
            for (int vi = 0; vi < NVECS; vi++) {
                qop_t qa, qb;
                if (quantize_op(PAIRS[pi].a, (mxquant_rule_t)rule, VECS[vi], a, m, k, &qa) != 0) {
                    rc = cli_error("out of memory");
                    goto done;
                }
                if (quantize_op(PAIRS[pi].b, (mxquant_rule_t)rule, VECS[vi], b, n, k, &qb) != 0) {
                    free_op(&qa);
                    rc = cli_error("out of memory");
                    goto done;
                }
                bsgemm_problem_t p = {.m = m, .n = n, .k = k, .sf_vec = VECS[vi],
                                      .a = {PAIRS[pi].a, qa.codes, qa.sf, qa.global},
                                      .b = {PAIRS[pi].b, qb.codes, qb.sf, qb.global}};
                for (int ti = 0; ti < NTILES; ti++) {
                    float *dst = ti == 0 ? c0 : c;
                    if (bsgemm_run(&p, &TILES[ti], fault, dst) != 0) {
                        free_op(&qa);
                        free_op(&qb);
                        rc = cli_error("out of memory");
                        goto done;
                    }
                    metrics_t mt = compare(dst, ref, mn);
                    double dt = ti == 0 ? 0.0 : rel_diff(c, c0, mn);
                    if (fault == BSGEMM_FAULT_NONE && !(dt <= TILE_MAX_DIFF) && isfinite(mt.rel_fro))
                        selfcheck_failed = 1;
                    put_row(&rep, &PAIRS[pi], (mxquant_rule_t)rule, VECS[vi], &TILES[ti],
                            fault_s, &mt, dt, "");
                }
                /* the fault-check configuration: mxfp8e4m3/mxfp4, ocp, 32, first tile */
                if (pi == 0 && rule == MXQ_OCP && VECS[vi] == 32) {
                    c_clean = malloc(mn * sizeof *c_clean);
                    if (!c_clean || bsgemm_run(&p, &TILES[0], BSGEMM_FAULT_NONE, c_clean) != 0) {
                        free_op(&qa);
                        free_op(&qb);
                        rc = cli_error("out of memory");
                        goto done;
                    }
                    clean_check = compare(c_clean, ref, mn);
                    float *cf = malloc(mn * sizeof *cf);
                    if (!cf || bsgemm_run(&p, &TILES[0], BSGEMM_FAULT_LOGICAL_SF, cf) != 0) {
                        free(cf);
                        free_op(&qa);
                        free_op(&qb);
                        rc = cli_error("out of memory");
                        goto done;
                    }
                    metrics_t fm = compare(cf, ref, mn);
                    double dclean = rel_diff(cf, c_clean, mn);
                    free(cf);
                    int observable = bsgemm_fault_observable(m, k, 32) ||
                                     bsgemm_fault_observable(n, k, 32);
                    int detected = !(fm.rel_fro <= FAULT_FACTOR * clean_check.rel_fro) &&
                                   !(fm.rel_fro <= FAULT_MIN_ERR);
                    const char *status = !observable ? "not observable"
                                         : detected  ? "detected"
                                                     : "NOT DETECTED";
                    if (observable && !detected)
                        selfcheck_failed = 1;
                    fault_m = fm;
                    fault_d = dclean;
                    fault_status = status;
                }
                free_op(&qa);
                free_op(&qb);
            }
    /* the fault check goes last */
    if (rep.csv)
        put_row(&rep, &PAIRS[0], MXQ_OCP, 32, &TILES[0], "padded-sf", &fault_m, fault_d,
                fault_status);
    else {
        fprintf(mf,
                "fault padded-sf (seed 002: SF offsets from logical K; mxfp8e4m3/mxfp4 ocp "
                "sf_vec 32 128x128x128): rel_fro_err %.3e vs %.3e clean, differs from clean by "
                "%.3e: %s\n",
                fault_m.rel_fro, clean_check.rel_fro, fault_d,
                !strcmp(fault_status, "not observable")
                    ? "not observable (padded and logical layouts coincide for this shape)"
                : !strcmp(fault_status, "detected") ? "DETECTED"
                                                    : "NOT DETECTED");
        fprintf(mf, "verify: %s\n", selfcheck_failed ? "FAILED" : "ok");
    }
    fclose(mf);
    mf = NULL;
    if (out) {
        if ((rc = cli_out_write(out, buf, len)) != 0)
            goto done;
    } else
        fwrite(buf, 1, len, stdout);
    if (selfcheck_failed) {
        fprintf(stderr, "gbsim: verify: self-check failed (see the report)\n");
        rc = 1;
    }
done:
    if (mf)
        fclose(mf);
    free(buf);
    free(a);
    free(b);
    free(ref);
    free(c);
    free(c0);
    free(c_clean);
    return rc;
}
