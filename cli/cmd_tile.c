/* cmd_tile.c -- `gbsim tile`: one GEMM configuration as CUTLASS would build
 * it (validity, stages, shared memory, TMA bytes, MMA) and, given a problem
 * size, its simulated time with a breakdown. Output: key=value lines. */
#include "cli/cmd_tile.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/gemm.h"
#include "models/kmodel.h"
#include "models/setup.h"
#include "models/uncert.h"

static const char USAGE[] =
    "usage: gbsim tile [--arch A] [--a T] [--b T] [--tile MxNxK] [--schedule coop|pingpong]\n"
    "                  [--grouped] [--swap-ab] [--sf-vec V] [--split-k S] [--stream-k] [--stages S]\n"
    "                  [--c void|bf16|fp16|fp32]\n"
    "                  [--m M --n N --k K [--groups G]]";
static const char MORE[] =
    "Prints key=value lines. Always: valid, rule, reason, mma, sf_vec, hypothetical, stages,\n"
    "stage_bytes, stage_a_bytes, stage_b_bytes, stage_sfa_bytes, stage_sfb_bytes,\n"
    "tma_bytes_per_ktile, smem_mainloop_bytes, smem_epilogue_bytes, epilogue_tile,\n"
    "epilogue_stages_c, epilogue_stages_d, tma_c_bytes_per_subtile, smem_reserved_bytes,\n"
    "smem_total_bytes, threads, ctas_per_sm, mma_cycles_per_ktile.\n"
    "With --m --n --k: predicted_us, dram_floor_us (weight bytes / achievable DRAM\n"
    "bandwidth), dram_busy_pct, mma_busy_pct, l2_busy_pct, exposed_fill_us, desc_update_us and\n"
    "epilogue_us (per CTA), tail_idle_pct, tiles, grid, tiles_per_cta, dram_bytes,\n"
    "l2_bytes, bound; with --samples N > 0 (default 32) also predicted_us_range (5th-95th\n"
    "percentile over N draws of the ranged arch keys) and most_sensitive.\n"
    "An invalid configuration prints valid=no with the CUTLASS rule and exits 0;\n"
    "malformed options exit 2.\n";

/* bytes per element of --c's choices, in the order of its choices string */
static const int C_BYTES[] = {0, 2, 2, 4};
static const char *const C_NAMES[] = {"void", "bf16", "fp16", "fp32"};

static int parse_pair(const char *opt, const char *s, int *x, int *y, int *z, int want, char *err,
                      size_t errlen)
{
    int v[3] = {0, 0, 0}, n = 0;
    const char *p = s;
    while (n < want) {
        char *end;
        long t = strtol(p, &end, 10);
        if (end == p || t <= 0 || t > 4096 || (*end != 'x' && *end != '\0') ||
            (*end == 'x') != (n < want - 1))
            break;
        v[n++] = (int)t;
        p = end + (*end == 'x');
    }
    if (n != want || *p != '\0') {
        snprintf(err, errlen, "%s '%s': expected %s of positive integers <= 4096", opt, s,
                 want == 3 ? "MxNxK" : "MxN");
        return -1;
    }
    *x = v[0];
    *y = v[1];
    if (z)
        *z = v[2];
    return 0;
}

/* The problem of a tile run, for uncert. */
typedef struct {
    const gemm_opts_t *o;
    const gemm_problem_t *p;
} tile_run_t;

/* The figure uncert samples: predicted_us on the drawn arch. */
static int tile_figure(const setup_t *s, void *ctx, double *figs, char *err, size_t errlen)
{
    const tile_run_t *t = ctx;
    gemm_out_t g;
    if (gemm_run(&s->arch, t->o, t->p, &g, err, errlen) != 0)
        return -1;
    figs[0] = (double)g.r.dur_ps * 1e-6 + s->arch.kernel_fixed_ns * 1e-3;
    return 0;
}

/* Bad input: the message into err; returns -1. */
__attribute__((format(printf, 3, 4))) static int bad_input(char *err, size_t errlen,
                                                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void cmd_tile_args_init(cmd_tile_args_t *t)
{
    *t = (cmd_tile_args_t){.arch = "gb10", .split_k = 1, .out_bytes = 2, .m = -1, .n = -1,
                           .k = -1, .groups = 1, .sets = {.max = SETUP_MAX_SETS}};
}

int cmd_tile_rows(cmd_tile_args_t *t, cli_opt_t *rows, int max)
{
    const cli_opt_t opts[] = {
        {"arch", CLI_STR, "architecture preset (default gb10)", .to = &t->arch},
        {"a", CLI_STR, "activation type (default mxfp8): mxfp8, mxfp6, mxfp4, nvfp4, bf16, fp16, "
                       "fp8e4m3, ...", .to = &t->a},
        {"b", CLI_STR, "weight type (default mxfp4)", .to = &t->b},
        {"tile", CLI_STR, "MxNxK CTA tile in elements (default 128x128x128)", .to = &t->tile},
        {"schedule", CLI_CHOICE, "coop|pingpong (default coop)", .to = &t->sched,
         .choices = "coop|cooperative|pingpong"},
        {"grouped", CLI_FLAG, "grouped (ptr-array) kernel: persistent, one CTA per SM, per-group "
                              "tensormaps", .to = &t->grouped},
        {"swap-ab", CLI_FLAG, "weights become the MMA's A operand, tokens its N (small-M decode)",
         .to = &t->swap_ab},
        {"sf-vec", CLI_INT, "elements per scale factor: 16, 32 (hardware), 64, 128 (hypothetical)",
         .to = &t->sf_vec, .min = 1, .max = 1024},
        {"split-k", CLI_INT, "K slices for a dense GEMM (default 1)", .to = &t->split_k, .min = 1,
         .max = 64},
        {"stream-k", CLI_FLAG, "stream-K: k-iterations spread evenly over persistent CTAs (dense, "
                               "coop)", .to = &t->stream_k},
        {"cluster", CLI_STR, "MxN cluster (SM12x accepts only 1x1)", .to = &t->cluster},
        {"stages", CLI_INT, "pipeline stages (default: as many as fit the shared memory)",
         .to = &t->stages, .min = 1, .max = 64},
        {"relax", CLI_STR, "RULE[,RULE...]|all: simulate a configuration these rules forbid "
                           "(hypothetical=yes, relaxed= names them)", .to = &t->relax},
        {"m", CLI_INT, "token rows (grouped: all routed rows)", .to = &t->m, .min = 1, .max = 1e9},
        {"n", CLI_INT, "output features", .to = &t->n, .min = 1, .max = 1e9},
        {"k", CLI_INT, "reduction depth", .to = &t->k, .min = 1, .max = 1e9},
        {"groups", CLI_INT, "non-empty groups (grouped; default 1)", .to = &t->groups, .min = 1,
         .max = 1e9},
        {"c", CLI_CHOICE, "source operand C of D = alpha.A.B + beta.C, read by the epilogue: "
                          "void|bf16|fp16|fp32 (default void: D = A.B)", .to = &t->c,
         .choices = "void|bf16|fp16|fp32"},
        {"out-bytes", CLI_INT, "bytes per output element (default 2 = bf16)", .to = &t->out_bytes,
         .min = 1, .max = 8},
        {"set", CLI_LIST, "key=value: override an arch parameter (repeatable)", .to = &t->sets},
        CLI_OPT_HELP,
    };
    int n = CLI_NOPTS(opts);
    assert(n <= max);
    for (int i = 0; i < n; i++)
        rows[i] = opts[i];
    return n;
}

int cmd_tile_eval(const cmd_tile_args_t *t, cmd_tile_point_t *pt, char *err, size_t errlen)
{
    memset(pt, 0, sizeof *pt);
    gemm_opts_t o = {.a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = (int)t->out_bytes,
                     .tile_m = 128, .tile_n = 128, .tile_k = 128, .split_k = (int)t->split_k,
                     .sf_vec = (int)t->sf_vec, .sched = t->sched == 2 ? GEMM_PINGPONG : GEMM_COOP,
                     .grouped = t->grouped, .swap_ab = t->swap_ab, .stream_k = t->stream_k,
                     .stages = (int)t->stages, .c_bytes = C_BYTES[t->c]};
    if (t->relax && gemm_rule_mask(t->relax, &o.relax, err, errlen) != 0)
        return -1;
    if (t->a && dtype_parse(t->a, &o.a_dt) != 0)
        return bad_input(err, errlen, "--a '%s': unknown type; valid: %s", t->a, dtype_names());
    if (t->b && dtype_parse(t->b, &o.b_dt) != 0)
        return bad_input(err, errlen, "--b '%s': unknown type; valid: %s", t->b, dtype_names());
    if ((t->tile && parse_pair("--tile", t->tile, &o.tile_m, &o.tile_n, &o.tile_k, 3, err, errlen)) ||
        (t->cluster &&
         parse_pair("--cluster", t->cluster, &o.cluster_m, &o.cluster_n, NULL, 2, err, errlen)))
        return -1;
    int have_m = t->m > 0, have_n = t->n > 0, have_k = t->k > 0;
    gemm_problem_t p = {.m = t->m, .n = t->n, .k = t->k, .groups = t->groups, .a_in_l2 = 1};
    if ((have_m || have_n || have_k) && !(have_m && have_n && have_k))
        return bad_input(err, errlen, "a problem needs all of --m, --n and --k");
    if (have_m && p.groups > p.m)
        return bad_input(err, errlen, "--groups %lld exceeds --m %lld (groups are non-empty)",
                        (long long)p.groups, (long long)p.m);
    if (p.groups > 1 && !o.grouped)
        return bad_input(err, errlen, "--groups > 1 needs --grouped");
    setup_t s;
    if (setup_load(&s, t->arch, NULL, t->sets.v, t->sets.n, err, errlen) != 0)
        return -1;
    pt->o = o;
    pt->p = p;
    pt->have_problem = have_m;
    if (have_m) {
        char e[900];
        int grc = gemm_run(&s.arch, &o, &p, &pt->g, e, sizeof e);
        /* a launch past the simulated limits is bad input (an invalid
         * configuration is an answer: valid=no) */
        if (grc == GEMM_TOO_LARGE) {
            snprintf(err, errlen, "%s", e);
            return -1;
        }
        pt->ran = grc == 0;
        if (pt->ran)
            pt->predicted_us = (double)pt->g.r.dur_ps * 1e-6 + s.arch.kernel_fixed_ns * 1e-3;
    } else
        gemm_cfg_derive(&s.arch, &o, &pt->g.cfg);
    return 0;
}

int cmd_tile_main(int argc, char **argv)
{
    cmd_tile_args_t t;
    cmd_tile_args_init(&t);
    char err[1024];
    int64_t samples = -1;   /* not given: $GBSIM_SAMPLES, else the default (cli_samples) */
    cli_opt_t opts[CMD_TILE_OPTS_MAX + 1];
    int nopts = cmd_tile_rows(&t, opts, CMD_TILE_OPTS_MAX);
    opts[nopts] = opts[nopts - 1];   /* --help stays last */
    opts[nopts - 1] = (cli_opt_t){"samples", CLI_INT, "N draws of the ranged arch keys for "
                                  "predicted_us_range, 0..10000 (default $GBSIM_SAMPLES, else 32; "
                                  "0: no interval)", .to = &samples, .min = 0,
                                  .max = UNCERT_SAMPLES_MAX};
    cli_cmd_t cmd = {.name = "tile", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = nopts + 1};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0)
        return status;
    if (cli_samples(&samples, UNCERT_SAMPLES_DEFAULT, UNCERT_SAMPLES_MAX) != 0)
        return CLI_EXIT_USAGE;
    cmd_tile_point_t pt;
    if (cmd_tile_eval(&t, &pt, err, sizeof err) != 0)
        return cli_fail(err);
    const char *arch = t.arch;
    const gemm_opts_t o = pt.o;
    const gemm_problem_t p = pt.p;
    const gemm_out_t g = pt.g;
    const gemm_cfg_t *c = &g.cfg;
    uncert_result_t u = {0};
    if (pt.ran && samples > 0) {
        setup_t s;
        if (setup_load(&s, t.arch, NULL, t.sets.v, t.sets.n, err, sizeof err) != 0)
            return cli_fail(err);
        int urc = uncert_run(&s, 1, &pt.predicted_us, (int)samples, tile_figure,
                             &(tile_run_t){&o, &p}, &u, err, sizeof err);
        setup_free(&s);
        if (urc != 0)
            return cli_fail(err);
    }
    printf("arch=%s\na=%s\nb=%s\nc=%s\ntile=%dx%dx%d\nschedule=%s\ngrouped=%s\nswap_ab=%s\n"
           "split_k=%d\nstream_k=%s\n", arch,
           dtype_info(o.a_dt)->name, dtype_info(o.b_dt)->name, C_NAMES[t.c], o.tile_m, o.tile_n,
           o.tile_k,
           o.sched == GEMM_PINGPONG ? "pingpong" : "coop", o.grouped ? "yes" : "no",
           o.swap_ab ? "yes" : "no", o.split_k, o.stream_k ? "yes" : "no");
    printf("valid=%s\nrule=%s\nreason=%s\n", c->valid ? "yes" : "no", c->valid ? "-" : c->rule,
           c->reason);
    if (c->relaxed[0])
        printf("relaxed=%s\n", c->relaxed);
    printf("mma=%s\nsf_vec=%d\nhypothetical=%s\nstages=%d\nstage_bytes=%.0f\nstage_a_bytes=%.0f\n"
           "stage_b_bytes=%.0f\nstage_sfa_bytes=%.0f\nstage_sfb_bytes=%.0f\ntma_bytes_per_ktile=%.0f\n"
           "smem_mainloop_bytes=%.0f\nsmem_epilogue_bytes=%.0f\nepilogue_tile=%dx%d\n"
           "epilogue_stages_c=%d\nepilogue_stages_d=%d\ntma_c_bytes_per_subtile=%.0f\n"
           "smem_reserved_bytes=%.0f\nsmem_total_bytes=%.0f\nthreads=%d\nctas_per_sm=%d\n"
           "mma_cycles_per_ktile=%.1f\n",
           c->mma ? c->mma : "-", c->sf_vec, c->hypothetical ? "yes" : "no", c->stages,
           c->stage_bytes, c->stage_a_bytes, c->stage_b_bytes, c->stage_sfa_bytes,
           c->stage_sfb_bytes, c->tma_bytes_per_ktile, c->smem_mainloop_bytes,
           c->smem_epilogue_bytes, c->epi_tile_m, c->epi_tile_n, c->epi_stages_c, c->epi_stages_d,
           c->tma_c_bytes_per_subtile, c->smem_reserved_bytes, c->smem_total_bytes, c->threads,
           c->ctas_per_sm, c->mma_cyc_per_ktile);
    if (pt.ran) {
        double dur = (double)g.r.dur_ps, us = pt.predicted_us;
        double dram = (double)g.r.dram_busy_ps / dur, mma = (double)g.r.unit_busy_max_ps / dur;
        printf("m=%lld\nn=%lld\nk=%lld\ngroups=%lld\n", (long long)p.m, (long long)p.n,
               (long long)p.k, (long long)p.groups);
        printf("predicted_us=%.2f\ndram_floor_us=%.2f\ndram_busy_pct=%.1f\nmma_busy_pct=%.1f\nl2_busy_pct=%.1f\n"
               "exposed_fill_us=%.2f\ndesc_update_us=%.2f\nepilogue_us=%.2f\ntail_idle_pct=%.1f\n"
               "tiles=%lld\ngrid=%d\ntiles_per_cta=%d\ndram_bytes=%.0f\nl2_bytes=%.0f\nbound=%s\n",
               us, g.floor_us, 100 * dram, 100 * mma, 100.0 * (double)g.r.l2_busy_ps / dur, (double)g.r.first_compute_ps * 1e-6,
               g.r.pre_ps_sum * 1e-6 / g.grid, g.r.epi_ps_sum * 1e-6 / g.grid,
               100 * g.r.tail_idle_frac, (long long)g.tiles, g.grid, g.max_tiles_per_cta,
               g.r.dram_bytes, g.r.l2_bytes,
               bound_name(kresult_bound(&g.r)));
        if (u.samples > 0) {
            uncert_print_draws(stdout, &u, "uncertainty=");
            printf("predicted_us_range=%.2f %.2f\n", u.lo[0], u.hi[0]);
            uncert_print_sensitive(stdout, &u, "", "=", 2, "us", "predicted_us");
        }
    }
    uncert_free(&u);
    return 0;
}
