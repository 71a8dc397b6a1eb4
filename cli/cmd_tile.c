/* cmd_tile.c -- `gbsim tile`: one GEMM configuration as CUTLASS would build
 * it (validity, stages, shared memory, TMA bytes, MMA) and, given a problem
 * size, its simulated time with a breakdown. Output: key=value lines. */
#include "cli/cmd_tile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/gemm.h"
#include "models/kmodel.h"
#include "models/setup.h"

static const cli_opt_t OPTS[] = {
    {"arch", 1, "architecture preset (default gb10)"},
    {"a", 1, "activation type (default mxfp8): mxfp8, mxfp6, mxfp4, nvfp4, bf16, fp16, fp8e4m3, ..."},
    {"b", 1, "weight type (default mxfp4)"},
    {"tile", 1, "MxNxK CTA tile in elements (default 128x128x128)"},
    {"schedule", 1, "coop|pingpong (default coop)"},
    {"grouped", 0, "grouped (ptr-array) kernel: persistent, one CTA per SM, per-group tensormaps"},
    {"swap-ab", 0, "weights become the MMA's A operand, tokens its N (small-M decode)"},
    {"sf-vec", 1, "elements per scale factor: 16, 32 (hardware), 64, 128 (hypothetical)"},
    {"split-k", 1, "K slices for a dense GEMM (default 1)"},
    {"stream-k", 0, "stream-K: k-iterations spread evenly over persistent CTAs (dense, coop)"},
    {"cluster", 1, "MxN cluster (SM12x accepts only 1x1)"},
    {"m", 1, "token rows (grouped: all routed rows)"},
    {"n", 1, "output features"},
    {"k", 1, "reduction depth"},
    {"groups", 1, "non-empty groups (grouped; default 1)"},
    {"out-bytes", 1, "bytes per output element (default 2 = bf16)"},
    {"set", 1, "key=value: override an arch parameter (repeatable)"},
    {"help", 0, "this text"},
};
#define NOPTS ((int)(sizeof OPTS / sizeof OPTS[0]))

static const char USAGE[] =
    "usage: gbsim tile [--arch A] [--a T] [--b T] [--tile MxNxK] [--schedule coop|pingpong]\n"
    "                  [--grouped] [--swap-ab] [--sf-vec V] [--split-k S] [--stream-k]\n"
    "                  [--m M --n N --k K [--groups G]]";
static const char MORE[] =
    "Prints key=value lines. Always: valid, rule, reason, mma, sf_vec, hypothetical, stages,\n"
    "stage_bytes, stage_a_bytes, stage_b_bytes, stage_sfa_bytes, stage_sfb_bytes,\n"
    "tma_bytes_per_ktile, smem_mainloop_bytes, smem_epilogue_bytes, smem_reserved_bytes,\n"
    "smem_total_bytes, threads, ctas_per_sm, mma_cycles_per_ktile.\n"
    "With --m --n --k: predicted_us, dram_floor_us (weight bytes / achievable DRAM\n"
    "bandwidth), dram_busy_pct, mma_busy_pct, l2_busy_pct, exposed_fill_us, desc_update_us and\n"
    "epilogue_us (per CTA), tail_idle_pct, tiles, grid, tiles_per_cta, dram_bytes,\n"
    "l2_bytes, bound.\n"
    "An invalid configuration prints valid=no with the CUTLASS rule and exits 0;\n"
    "malformed options exit 2.\n";

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

int cmd_tile_main(int argc, char **argv)
{
    char err[1024];
    cli_arg_t args[64];
    int n = cli_scan(argc, argv, OPTS, NOPTS, args, 64, err, sizeof err);
    if (n < 0)
        return cli_fail(err);
    const char *arch = "gb10", *sets[SETUP_MAX_SETS];
    int nsets = 0, have_m = 0, have_n = 0, have_k = 0;
    gemm_opts_t o = {.a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = 2, .tile_m = 128,
                     .tile_n = 128, .tile_k = 128, .split_k = 1};
    gemm_problem_t p = {.groups = 1, .a_in_l2 = 1};
    for (int i = 0; i < n; i++) {
        const char *opt = args[i].opt, *v = args[i].val;
        int64_t x;
        if (opt == NULL) {
            snprintf(err, sizeof err, "tile takes no positional argument, got '%s'", v);
            return cli_fail(err);
        }
        if (!strcmp(opt, "help")) {
            cli_print_help(stdout, USAGE, OPTS, NOPTS, MORE);
            return 0;
        } else if (!strcmp(opt, "arch"))
            arch = v;
        else if (!strcmp(opt, "a") || !strcmp(opt, "b")) {
            if (dtype_parse(v, !strcmp(opt, "a") ? &o.a_dt : &o.b_dt) != 0) {
                snprintf(err, sizeof err, "--%s '%s': unknown type; valid: %s", opt, v, dtype_names());
                return cli_fail(err);
            }
        } else if (!strcmp(opt, "tile")) {
            if (parse_pair("--tile", v, &o.tile_m, &o.tile_n, &o.tile_k, 3, err, sizeof err))
                return cli_fail(err);
        } else if (!strcmp(opt, "cluster")) {
            if (parse_pair("--cluster", v, &o.cluster_m, &o.cluster_n, NULL, 2, err, sizeof err))
                return cli_fail(err);
        } else if (!strcmp(opt, "schedule")) {
            if (!strcmp(v, "coop") || !strcmp(v, "cooperative"))
                o.sched = GEMM_COOP;
            else if (!strcmp(v, "pingpong"))
                o.sched = GEMM_PINGPONG;
            else {
                snprintf(err, sizeof err, "--schedule '%s': expected coop or pingpong", v);
                return cli_fail(err);
            }
        } else if (!strcmp(opt, "grouped"))
            o.grouped = 1;
        else if (!strcmp(opt, "swap-ab"))
            o.swap_ab = 1;
        else if (!strcmp(opt, "stream-k"))
            o.stream_k = 1;
        else if (!strcmp(opt, "set")) {
            if (nsets == SETUP_MAX_SETS)
                return cli_fail("too many --set options");
            sets[nsets++] = v;
        } else {
            int64_t lo = 1, hi = 1000000000LL;
            if (!strcmp(opt, "sf-vec"))
                hi = 1024;
            else if (!strcmp(opt, "split-k"))
                hi = 64;
            else if (!strcmp(opt, "out-bytes"))
                hi = 8;
            char name[32];
            snprintf(name, sizeof name, "--%s", opt);
            if (cli_int(name, v, lo, hi, &x, err, sizeof err) != 0)
                return cli_fail(err);
            if (!strcmp(opt, "sf-vec"))
                o.sf_vec = (int)x;
            else if (!strcmp(opt, "split-k"))
                o.split_k = (int)x;
            else if (!strcmp(opt, "out-bytes"))
                o.out_bytes = (int)x;
            else if (!strcmp(opt, "m"))
                p.m = x, have_m = 1;
            else if (!strcmp(opt, "n"))
                p.n = x, have_n = 1;
            else if (!strcmp(opt, "k"))
                p.k = x, have_k = 1;
            else if (!strcmp(opt, "groups"))
                p.groups = x;
        }
    }
    if ((have_m || have_n || have_k) && !(have_m && have_n && have_k))
        return cli_fail("a problem needs all of --m, --n and --k");
    if (have_m && p.groups > p.m) {
        snprintf(err, sizeof err, "--groups %lld exceeds --m %lld (groups are non-empty)",
                 (long long)p.groups, (long long)p.m);
        return cli_fail(err);
    }
    if (p.groups > 1 && !o.grouped)
        return cli_fail("--groups > 1 needs --grouped");
    setup_t s;
    if (setup_load(&s, arch, NULL, sets, nsets, err, sizeof err) != 0)
        return cli_fail(err);

    gemm_out_t g;
    gemm_cfg_t *c = &g.cfg;
    int ran = 0;
    if (have_m) {
        char e[900];
        int grc = gemm_run(&s.arch, &o, &p, &g, e, sizeof e);
        /* a launch past the simulated limits is bad input (an invalid
         * configuration is an answer: valid=no) */
        if (grc == GEMM_TOO_LARGE)
            return cli_fail(e);
        ran = grc == 0;
    } else
        gemm_cfg_derive(&s.arch, &o, c);
    printf("arch=%s\na=%s\nb=%s\ntile=%dx%dx%d\nschedule=%s\ngrouped=%s\nswap_ab=%s\nsplit_k=%d\n"
           "stream_k=%s\n", arch,
           dtype_info(o.a_dt)->name, dtype_info(o.b_dt)->name, o.tile_m, o.tile_n, o.tile_k,
           o.sched == GEMM_PINGPONG ? "pingpong" : "coop", o.grouped ? "yes" : "no",
           o.swap_ab ? "yes" : "no", o.split_k, o.stream_k ? "yes" : "no");
    printf("valid=%s\nrule=%s\nreason=%s\n", c->valid ? "yes" : "no", c->valid ? "-" : c->rule,
           c->reason);
    printf("mma=%s\nsf_vec=%d\nhypothetical=%s\nstages=%d\nstage_bytes=%.0f\nstage_a_bytes=%.0f\n"
           "stage_b_bytes=%.0f\nstage_sfa_bytes=%.0f\nstage_sfb_bytes=%.0f\ntma_bytes_per_ktile=%.0f\n"
           "smem_mainloop_bytes=%.0f\nsmem_epilogue_bytes=%.0f\nsmem_reserved_bytes=%.0f\n"
           "smem_total_bytes=%.0f\nthreads=%d\nctas_per_sm=%d\nmma_cycles_per_ktile=%.1f\n",
           c->mma ? c->mma : "-", c->sf_vec, c->hypothetical ? "yes" : "no", c->stages,
           c->stage_bytes, c->stage_a_bytes, c->stage_b_bytes, c->stage_sfa_bytes,
           c->stage_sfb_bytes, c->tma_bytes_per_ktile, c->smem_mainloop_bytes,
           c->smem_epilogue_bytes, c->smem_reserved_bytes, c->smem_total_bytes, c->threads,
           c->ctas_per_sm, c->mma_cyc_per_ktile);
    if (ran) {
        double dur = (double)g.r.dur_ps, us = dur * 1e-6 + s.arch.kernel_fixed_ns * 1e-3;
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
    }
    return 0;
}
