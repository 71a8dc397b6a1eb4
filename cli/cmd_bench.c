/* cmd_bench.c -- `gbsim bench`: how fast gbsim simulates its reference cases,
 * beside the numbers recorded for the previous release
 * (microbench/results/gbsim_bench_baseline.csv, docs/bench.md).
 *
 * A case is a row of CASES. A command case is a gbsim command line, timed as
 * its own process (this binary, /proc/self/exe, stdout and stderr
 * discarded; cli/proc.h): wall time, CPU time and peak RSS -- what
 * /usr/bin/time reports, which is how the baseline was measured. Its events
 * are counted here, untimed, by the command's own parser and run in this
 * process (kmodel_out_t.events: every kernel and every candidate the command
 * simulates). A tile-grid case evaluates the
 * MoE FC1/FC2 tile grid of experiments/moe_tile_sweep in a forked child, in
 * process, and reports evaluations per minute of CPU time. Every case runs
 * with GBSIM_SAMPLES=0: no uncertainty draws (models/uncert.h). A case without a
 * command is a placeholder and prints "-". Speed is reported, never checked:
 * tests/bench_test.sh checks the output's format only. */
#include "cli/cmd_bench.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_replay.h"
#include "cli/cmd_sweep.h"
#include "cli/cmd_tile.h"
#include "cli/decode_opts.h"
#include "cli/proc.h"
#include "models/decode.h"
#include "models/gemm.h"
#include "models/setup.h"
#include "sim/csvrec.h"

typedef enum {
    BENCH_COMMAND,    /* args: a gbsim command line ("@/" = the source tree) */
    BENCH_TILE_GRID,  /* the MoE FC1/FC2 tile grid, in process (tile_grid) */
    BENCH_TODO        /* a placeholder: the command does not exist yet */
} bench_kind_t;

typedef struct {
    const char *name;   /* the key in the baseline CSV */
    bench_kind_t kind;
    const char *args;
    int quick;          /* 1: also run by --quick */
    int points;         /* > 0: the command evaluates this many points (on threads):
                           evals_per_min is points per wall minute */
} bench_case_t;

static const bench_case_t CASES[] = {
    /* name                                        kind  args  quick  points */
    {"decode/gb10/vllm-cutlass/gpt-oss-120b", BENCH_COMMAND,
     "decode --arch gb10 --stack vllm-cutlass --model gpt-oss-120b", 1, 0},
    {"decode/gb10/vllm-cutlass/gpt-oss-20b", BENCH_COMMAND,
     "decode --arch gb10 --stack vllm-cutlass --model gpt-oss-20b", 0, 0},
    {"decode/gb10/llamacpp/gpt-oss-120b", BENCH_COMMAND,
     "decode --arch gb10 --stack llamacpp --model gpt-oss-120b", 0, 0},
    {"decode/gb10/llamacpp/gpt-oss-20b", BENCH_COMMAND,
     "decode --arch gb10 --stack llamacpp --model gpt-oss-20b", 0, 0},
    /* bf16 experts: 16 of gpt-oss-120b's 36 layers fit GB10's 128 GB */
    {"decode/gb10/torch-bf16/gpt-oss-120b/16-layers", BENCH_COMMAND,
     "decode --arch gb10 --stack torch-bf16 --model gpt-oss-120b --layers 16", 0, 0},
    {"decode/gb10/torch-bf16/gpt-oss-20b", BENCH_COMMAND,
     "decode --arch gb10 --stack torch-bf16 --model gpt-oss-20b", 0, 0},
    {"decode/gb10/vllm-marlin/gpt-oss-120b", BENCH_COMMAND,
     "decode --arch gb10 --stack vllm-marlin --model gpt-oss-120b", 0, 0},
    {"decode/gb10/vllm-cutlass/llama-3.1-8b", BENCH_COMMAND,
     "decode --arch gb10 --stack vllm-cutlass --model llama-3.1-8b", 0, 0},
    /* 4096 sequences' KV cache fits GB10's 128 GB at ctx 128 */
    {"decode/gb10/vllm-cutlass/gpt-oss-120b/batch-4096-ctx-128", BENCH_COMMAND,
     "decode --arch gb10 --stack vllm-cutlass --model gpt-oss-120b --batch 4096 --ctx 128", 0, 0},
    {"tile/gb10/fc1-m4", BENCH_COMMAND,
     "tile --arch gb10 --grouped --m 4 --groups 4 --n 5760 --k 2880", 1, 0},
    {"tile/gb10/dense-m1e9", BENCH_COMMAND,
     "tile --arch gb10 --m 1000000000 --n 5120 --k 2880", 0, 0},
    /* deep along K, CTAs at different rates (a cluster's DRAM and L2 tiles): folds along K */
    {"tile/h100/lm_head-m16-k2.88e6", BENCH_COMMAND,
     "tile --arch h100 --a bf16 --b bf16 --tile 512x8x64 --swap-ab --cluster 2x1 --stages 3 "
     "--m 16 --n 201088 --k 2880000", 0, 0},
    {"tile-grid/gb10/moe-fc1-fc2", BENCH_TILE_GRID, NULL, 0, 0},
    {"replay/h100/trace-config", BENCH_COMMAND,
     "replay --arch h100 @/traces/hopper/h100_shapes.csv", 1, 0},
    {"replay/h100/auto-config", BENCH_COMMAND,
     "replay --arch h100 --auto-config @/traces/hopper/h100_shapes.csv", 0, 0},
    {"replay/h200/trace-config", BENCH_COMMAND,
     "replay --arch h200 @/traces/hopper/h200_shapes.csv", 0, 0},
    {"replay/h200/auto-config", BENCH_COMMAND,
     "replay --arch h200 --auto-config @/traces/hopper/h200_shapes.csv", 0, 0},
    {"sweep/gb10/vllm-cutlass/batch-1-4-16-64", BENCH_COMMAND,
     "sweep --grid batch=1,4,16,64", 0, 0},
    /* the MoE FC1/FC2 tile grid as `gbsim sweep tile` on 2 threads: 2 x 4 x 9 x 2 x 2 points */
    {"sweep-tile/gb10/moe-fc1-fc2/jobs-2", BENCH_COMMAND,
     "sweep tile --model gpt-oss-120b --k 2880 --grid n=5760,2880 --grid tokens=1,4,16,64 "
     "--grid tile=128x8x128,128x16x128,128x32x128,128x64x128,128x128x128,128x256x128,256x128x128,"
     "128x32x256,128x64x256 --grid schedule=coop,pingpong --grid swap-ab=yes,no --jobs 2",
     0, 288},
};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))


static const char USAGE[] =
    "usage: gbsim bench [--quick] [--runs N] [--baseline FILE] [--format table|csv]";
static const char MORE[] =
    "Times gbsim on its reference cases: decode of each stack x model preset on gb10\n"
    "(and batch 4096), tile (an FC1 launch, a dense m = 1e9 one and an lm_head deep\n"
    "along K), the MoE FC1/FC2 tile grid evaluated in process, and replay of the\n"
    "committed Hopper shape traces with their launch configuration and with\n"
    "--auto-config. Columns:\n"
    "  case, wall_ms, cpu_ms, peak_rss_kb   the case as its own process (wait4 rusage;\n"
    "                                       the fastest of --runs)\n"
    "  events                               events the engine executed\n"
    "  mevents_per_s                        events / cpu_ms\n"
    "  evals_per_min                        tile grid: evaluations per CPU minute; a tile\n"
    "                                       sweep on threads: points per wall minute\n"
    "  base_cpu_ms, cpu_x, base_wall_ms, wall_x\n"
    "                                       the baseline's numbers and baseline / now\n"
    "A placeholder case prints '-'. Exits 1 when a case fails.\n";

typedef struct {
    int ran;
    double wall_ms, cpu_ms, rss_kb, evals_per_min;
    uint64_t events;
} bench_result_t;

typedef struct {
    char name[128];
    double wall_ms, cpu_ms, evals_per_min;
    int has_wall, has_cpu, has_evals;
} bench_base_t;

/* ----------------------------------------------------------- commands -- */

/* Split a command line at spaces into argv (argv[0] = this binary), "@/"
 * standing for the source tree. Returns argc, or -1 when it does not fit. */
static int split_args(const char *args, char *buf, size_t buflen, char **argv, int max)
{
    int argc = 0;
    size_t used = 0;
    argv[argc++] = "/proc/self/exe";
    for (const char *p = args; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *pre = "";
        if (n >= 2 && p[0] == '@' && p[1] == '/') {
            pre = GBSIM_SOURCE_DIR "/";
            p += 2;
            n -= 2;
        }
        int w = snprintf(buf + used, buflen - used, "%s%.*s", pre, (int)n, p);
        if (w < 0 || used + (size_t)w + 1 > buflen || argc + 1 >= max)
            return -1;
        argv[argc++] = buf + used;
        used += (size_t)w + 1;
        p += n;
    }
    argv[argc] = NULL;
    return argc;
}

/* ---------------------------------------------------- tile grid (in process) */

/* experiments/moe_tile_sweep/run.sh's grid on gb10: M = 1, 4, 16, 64 decode
 * tokens (top-4 of 128 experts, groups = E(1 - (1 - 4/E)^M), at most 4M),
 * FC1 (n 5760) and FC2 (n 2880), k 2880; the seeds' 128x128x128 cooperative
 * kernel and nine tiles x cooperative, pingpong x swap-AB or not. Returns the
 * evaluations (valid or not) and adds their events. */
static int tile_grid(const arch_t *a, uint64_t *events)
{
    static const int TILES[][3] = {{128, 8, 128},   {128, 16, 128}, {128, 32, 128},
                                   {128, 64, 128},  {128, 128, 128}, {128, 256, 128},
                                   {256, 128, 128}, {128, 32, 256}, {128, 64, 256}};
    static const int MS[] = {1, 4, 16, 64}, NS[] = {5760, 2880};
    int evals = 0;
    for (size_t mi = 0; mi < sizeof MS / sizeof MS[0]; mi++)
        for (size_t ni = 0; ni < sizeof NS / sizeof NS[0]; ni++) {
            double g = floor(128 * (1 - pow(1 - 4.0 / 128, MS[mi])) + 0.5);
            gemm_problem_t p = {.m = 4 * MS[mi], .n = NS[ni], .k = 2880,
                                .groups = (int64_t)fmin(g, 4.0 * MS[mi]), .a_in_l2 = 1};
            for (int c = -1; c < (int)(sizeof TILES / sizeof TILES[0]) * 4; c++) {
                const int *t = c < 0 ? TILES[4] : TILES[c / 4];
                gemm_opts_t o = {.a_dt = DT_MXFP8, .b_dt = DT_MXFP4, .out_bytes = 2,
                                 .tile_m = t[0], .tile_n = t[1], .tile_k = t[2], .grouped = 1,
                                 .split_k = 1, .sched = c >= 0 && (c & 1) ? GEMM_PINGPONG : GEMM_COOP,
                                 .swap_ab = c >= 0 && (c & 2)};
                gemm_out_t out;
                char err[900];
                if (gemm_run(a, &o, &p, &out, err, sizeof err) == 0)
                    *events += out.r.events;
                evals++;
            }
        }
    return evals;
}

typedef struct {
    const arch_t *arch;
} grid_arg_t;

static void grid_child(void *arg)
{
    uint64_t events = 0;
    tile_grid(((const grid_arg_t *)arg)->arch, &events);
}

/* The tile grid in a forked child, timed; its evaluations and events counted
 * here (untimed). */
static int time_tile_grid(bench_result_t *r, char *err, size_t errlen)
{
    setup_t s;
    if (setup_load(&s, "gb10", NULL, NULL, 0, err, errlen) != 0)
        return -1;
    uint64_t events = 0;
    int evals = tile_grid(&s.arch, &events);
    grid_arg_t arg = {.arch = &s.arch};
    proc_usage_t u;
    int rc = proc_fork(grid_child, &arg, &u);
    if (rc != 0) {
        snprintf(err, errlen, "tile grid: child %s %d", rc < 0 ? "failed:" : "exited with status",
                 rc < 0 ? errno : rc);
        return -1;
    }
    r->wall_ms = u.wall_ms;
    r->cpu_ms = u.cpu_ms;
    r->rss_kb = u.peak_rss_kb;
    r->events = events;
    r->evals_per_min = u.cpu_ms > 0 ? evals / (u.cpu_ms / 60000.0) : 0;
    return 0;
}

/* ------------------------------------------------- events of a command -- */

/* A case's options through the command's own option rows: 0, or -1 with err. */
static int parse_case(const char *name, cli_opt_t *rows, int nrows, int argc, char **argv,
                      char *err, size_t errlen)
{
    cli_cmd_t cmd = {.name = name, .usage = "", .opts = rows, .nopts = nrows};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0) {
        snprintf(err, errlen, "the case's %s options do not parse", name);
        return -1;
    }
    return 0;
}

/* decode: the step decode_run simulates, from the case's options (the
 * command's own parser and run). */
static int decode_events(int argc, char **argv, uint64_t *events, char *err, size_t errlen)
{
    decode_opts_t o;
    decode_opts_init(&o);
    cli_opt_t rows[DECODE_OPTS_MAX];
    if (parse_case("decode", rows, decode_opts_rows(&o, rows, DECODE_OPTS_MAX), argc, argv, err,
                   errlen) != 0)
        return -1;
    setup_t s;
    decode_cfg_t c;
    decode_result_t r;
    double draft_us;
    if (decode_opts_run(&o, &s, &c, &r, &draft_us, err, errlen) != 0)
        return -1;
    *events += r.events;
    decode_free(&r);
    setup_free(&s);
    return 0;
}

/* tile: the launch `gbsim tile` simulates, from the case's options (the
 * command's own rows, parser and evaluation). */
static int tile_events(int argc, char **argv, uint64_t *events, char *err, size_t errlen)
{
    cmd_tile_args_t t;
    cmd_tile_args_init(&t);
    cli_opt_t rows[CMD_TILE_OPTS_MAX];
    if (parse_case("tile", rows, cmd_tile_rows(&t, rows, CMD_TILE_OPTS_MAX), argc, argv, err,
                   errlen) != 0)
        return -1;
    cmd_tile_point_t pt;
    if (cmd_tile_eval(&t, &pt, err, errlen) != 0)
        return -1;
    *events += pt.ran ? pt.g.r.events : 0;
    return 0;
}

/* Returns 0 with *events, or -1 with err. */
static int command_events(int argc, char **argv, uint64_t *events, char *err, size_t errlen)
{
    *events = 0;
    if (!strcmp(argv[1], "decode"))
        return decode_events(argc - 2, argv + 2, events, err, errlen);
    if (!strcmp(argv[1], "sweep"))
        return cmd_sweep_events(argc - 2, argv + 2, events, err, errlen);
    if (!strcmp(argv[1], "tile"))
        return tile_events(argc - 2, argv + 2, events, err, errlen);
    if (!strcmp(argv[1], "replay"))
        return cmd_replay_events(argc - 2, argv + 2, events, err, errlen);
    assert(0 && "a bench case names a command bench cannot count");
    return -1;
}

/* ------------------------------------------------------------ baseline -- */

static double base_field(const csvrec_t *r, size_t i, int *has)
{
    *has = 0;
    if (i >= r->n || r->fields[i][0] == '\0')
        return 0;
    char *end;
    double v = strtod(r->fields[i], &end);
    *has = *end == '\0' && isfinite(v) && v >= 0;
    return v;
}

/* Read the baseline CSV: '#' lines, then a header with case, wall_ms,
 * cpu_ms and evals_per_min among its columns (others ignored); empty cells
 * are not measured. Returns the rows, or -1 with err naming file:line. */
static int read_baseline(const char *path, bench_base_t **out, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    if (csvrec_slurp(path, &buf, &len, err, errlen) != 0)
        return -1;
    size_t pos = 0;
    int line = 1;
    while (pos < len && buf[pos] == '#') {
        pos += csvrec_line_len(buf, len, pos);
        line++;
    }
    csvrec_list_t l = {0};
    if (csvrec_parse(path, buf, len, pos, line, NULL, &l, err, errlen) != 0) {
        free(buf);
        return -1;
    }
    free(buf);
    int col[4] = {-1, -1, -1, -1}, n = -1;
    static const char *const WANT[4] = {"case", "wall_ms", "cpu_ms", "evals_per_min"};
    if (l.nrecs > 0)
        for (size_t i = 0; i < l.recs[0].n; i++)
            for (int w = 0; w < 4; w++)
                if (!strcmp(l.recs[0].fields[i], WANT[w]))
                    col[w] = (int)i;
    if (l.nrecs == 0 || col[0] < 0 || col[1] < 0 || col[2] < 0 || col[3] < 0) {
        snprintf(err, errlen, "%s:%d: expected a header with case, wall_ms, cpu_ms and evals_per_min",
                 path, l.nrecs ? l.recs[0].line : line);
        csvrec_free(&l);
        return -1;
    }
    bench_base_t *b = calloc(l.nrecs, sizeof *b);
    if (b == NULL) {
        csvrec_free(&l);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    n = 0;
    for (size_t i = 1; i < l.nrecs; i++) {
        const csvrec_t *r = &l.recs[i];
        bench_base_t *e = &b[n];
        if ((size_t)col[0] >= r->n || snprintf(e->name, sizeof e->name, "%s", r->fields[col[0]]) >=
                                              (int)sizeof e->name) {
            snprintf(err, errlen, "%s:%d: expected a case name (at most %zu characters)", path,
                     r->line, sizeof e->name - 1);
            free(b);
            csvrec_free(&l);
            return -1;
        }
        e->wall_ms = base_field(r, (size_t)col[1], &e->has_wall);
        e->cpu_ms = base_field(r, (size_t)col[2], &e->has_cpu);
        e->evals_per_min = base_field(r, (size_t)col[3], &e->has_evals);
        n++;
    }
    csvrec_free(&l);
    *out = b;
    return n;
}

static const bench_base_t *base_of(const bench_base_t *b, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(b[i].name, name))
            return &b[i];
    return NULL;
}

/* -------------------------------------------------------------- report -- */

static const char *const COLUMNS[] = {"case", "wall_ms", "cpu_ms", "peak_rss_kb", "events",
                                      "mevents_per_s", "evals_per_min", "base_cpu_ms", "cpu_x",
                                      "base_wall_ms", "wall_x"};
/* table widths; the case name is left-aligned */
static const int WIDTH[] = {56, 9, 9, 11, 11, 13, 13, 11, 7, 12, 7};

static void cell(FILE *f, int csv, int col, int has, const char *fmt, double v)
{
    char s[64];
    if (has)
        snprintf(s, sizeof s, fmt, v);
    if (csv)
        fprintf(f, ",%s", has ? s : "");
    else
        fprintf(f, " %*s", WIDTH[col], has ? s : "-");
}

static void report_header(FILE *f, int csv)
{
    for (size_t i = 0; i < sizeof COLUMNS / sizeof COLUMNS[0]; i++) {
        if (csv)
            fprintf(f, "%s%s", i ? "," : "", COLUMNS[i]);
        else if (i == 0)
            fprintf(f, "%-*s", WIDTH[0], COLUMNS[0]);
        else
            fprintf(f, " %*s", WIDTH[i], COLUMNS[i]);
    }
    fputc('\n', f);
}

static void report_row(FILE *f, int csv, const bench_case_t *c, const bench_result_t *r,
                       const bench_base_t *b)
{
    if (csv)
        fprintf(f, "%s", c->name);
    else
        fprintf(f, "%-*s", WIDTH[0], c->name);
    int grid = c->kind == BENCH_TILE_GRID || c->points > 0, ev = r->ran;
    int hc = b && b->has_cpu, hw = b && b->has_wall;
    cell(f, csv, 1, r->ran, "%.1f", r->wall_ms);
    cell(f, csv, 2, r->ran, "%.1f", r->cpu_ms);
    cell(f, csv, 3, r->ran, "%.0f", r->rss_kb);
    cell(f, csv, 4, ev, "%.0f", (double)r->events);
    cell(f, csv, 5, ev && r->cpu_ms > 0, "%.1f", r->cpu_ms > 0 ? (double)r->events / (r->cpu_ms * 1e3) : 0);
    cell(f, csv, 6, r->ran && grid, "%.0f", r->evals_per_min);
    cell(f, csv, 7, hc, "%.1f", hc ? b->cpu_ms : 0);
    cell(f, csv, 8, hc && r->ran && r->cpu_ms > 0, "%.1f", hc && r->cpu_ms > 0 ? b->cpu_ms / r->cpu_ms : 0);
    cell(f, csv, 9, hw, "%.1f", hw ? b->wall_ms : 0);
    cell(f, csv, 10, hw && r->ran && r->wall_ms > 0, "%.1f", hw && r->wall_ms > 0 ? b->wall_ms / r->wall_ms : 0);
    fputc('\n', f);
}

/* ---------------------------------------------------------------- main -- */

/* Run case c `runs` times (the fastest wall and CPU, the largest RSS) and
 * count its events. Returns 0, or -1 with err. */
static int run_case(const bench_case_t *c, int runs, bench_result_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (c->kind == BENCH_TODO)
        return 0;
    for (int i = 0; i < runs; i++) {
        bench_result_t one = {0};
        if (c->kind == BENCH_TILE_GRID) {
            if (time_tile_grid(&one, err, errlen) != 0)
                return -1;
        } else {
            char buf[1024], *argv[32];
            int argc = split_args(c->args, buf, sizeof buf, argv, 32);
            assert(argc > 1 && "a bench case's command line fits");
            proc_usage_t u;
            int rc = proc_exec(argv, &u);
            one.wall_ms = u.wall_ms;
            one.cpu_ms = u.cpu_ms;
            one.rss_kb = u.peak_rss_kb;
            if (rc != 0) {
                snprintf(err, errlen, "case %s: gbsim %s exited with status %d", c->name, c->args, rc);
                return -1;
            }
            if (i == 0 && command_events(argc, argv, &one.events, err, errlen) != 0)
                return -1;
            one.events = i == 0 ? one.events : r->events;
            if (c->points > 0 && u.wall_ms > 0)
                one.evals_per_min = c->points / (u.wall_ms / 60000.0);
        }
        if (i == 0 || one.wall_ms < r->wall_ms) {
            r->wall_ms = one.wall_ms;
            if (c->points > 0)
                r->evals_per_min = one.evals_per_min;
        }
        if (i == 0 || one.cpu_ms < r->cpu_ms) {
            r->cpu_ms = one.cpu_ms;
            if (c->points == 0)
                r->evals_per_min = one.evals_per_min;
        }
        r->rss_kb = fmax(r->rss_kb, one.rss_kb);
        r->events = one.events;
    }
    r->ran = 1;
    return 0;
}

int cmd_bench_main(int argc, char **argv)
{
    char err[1024];
    const char *base_path = GBSIM_SOURCE_DIR "/microbench/results/gbsim_bench_baseline.csv";
    int quick = 0, fmt = 0;
    int64_t runs = 3;
    cli_opt_t opts[] = {
        {"quick", CLI_FLAG, "only the cases marked quick, one run each", .to = &quick},
        {"runs", CLI_INT, "runs per case, the fastest kept (default 3)", .to = &runs, .min = 1,
         .max = 100},
        {"baseline", CLI_STR, "baseline CSV (default: microbench/results/gbsim_bench_baseline.csv)",
         .to = &base_path},
        {"format", CLI_CHOICE, "table|csv (default table)", .to = &fmt, .choices = "table|csv"},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "bench", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts)};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0)
        return status;
    const char *format = fmt ? "csv" : "table";
    if (strcmp(format, "table") && strcmp(format, "csv")) {
        snprintf(err, sizeof err, "--format '%s': expected table or csv", format);
        return cli_fail(err);
    }
    int csv = !strcmp(format, "csv");
    /* the simulator's time: the cases draw no uncertainty samples (decode and
     * tile would draw 32 by default, models/uncert.h), as the baseline drew none */
    if (setenv("GBSIM_SAMPLES", "0", 1) != 0)
        return cli_fail("cannot set GBSIM_SAMPLES=0 for the cases");
    if (quick)
        runs = 1;
    bench_base_t *base = NULL;
    int nbase = read_baseline(base_path, &base, err, sizeof err);
    if (nbase < 0)
        return cli_fail(err);
    printf("# gbsim bench: %s, %lld run%s per case (the fastest); baseline %s\n",
           quick ? "quick cases" : "all cases", (long long)runs, runs == 1 ? "" : "s", base_path);
    report_header(stdout, csv);
    int rc = 0;
    for (int i = 0; i < NCASES; i++) {
        const bench_case_t *c = &CASES[i];
        if (quick && !c->quick)
            continue;
        bench_result_t r;
        if (run_case(c, (int)runs, &r, err, sizeof err) != 0) {
            fprintf(stderr, "gbsim: bench: %s\n", err);
            rc = 1;
        }
        report_row(stdout, csv, c, &r, base_of(base, nbase, c->name));
        fflush(stdout);
    }
    free(base);
    return rc;
}
