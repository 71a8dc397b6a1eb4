/* cmd_compare.c -- `gbsim compare`: measured kernels (nsys CSV) per decode
 * step and op class, against the simulated decode step.
 *
 * 1. Classify. Every kernel name goes through the rule table (kclass.h).
 *    Memory operations are not kernels (nsys_csv.h counts them apart).
 * 2. Resolve generic classes (only with --stack, only on a timeline):
 *    - gemm / gemv / mmq form the "dense" group; its candidates are the
 *      stack's rows run as a GEMV or dense GEMM (vllm-cutlass: qkv_proj,
 *      o_proj, router per layer, lm_head per step; llamacpp: q/k/v/o_proj,
 *      router, moe_gate/up/down, lm_head);
 *    - moe_gemm forms the "moe" group; candidates: the grouped-GEMM rows
 *      (moe_fc1, moe_fc2).
 *    The expected order of a group within one step is its per-layer rows in
 *    stack order, repeated n_layers times, then its per-step rows. When the
 *    number of the group's kernels in the trace is a whole multiple of that
 *    sequence's length, the j-th kernel of the group is given op
 *    sequence[j mod length] (call order within a layer). Otherwise, and
 *    always for a summary (no timeline), the group is compared as one row
 *    against the sum of its candidate ops ("gemm" vs qkv_proj+o_proj+...).
 *    A join_prev kernel (split-K reduce, split-KV merge) takes the op of the
 *    kernel launched before it and adds time but no call.
 * 3. Steps. --steps N wins. A timeline without it: the step is the period of
 *    the repeating kernel-name sequence. Candidate periods are the median gaps
 *    between consecutive launches of each kernel name; each candidate p scores
 *    a(p) = share of positions i with name[i] == name[i+p]; the step is the
 *    smallest candidate p >= 2 with a(p) >= max a - 0.005 and a(p) >= 0.9
 *    (the per-layer period scores about 1 - 1/layers, so it loses to the step
 *    period), and steps = kernels / p. A summary without --steps needs
 *    --stack: steps = the median, over compared rows whose simulated calls
 *    per step are at least n_layers (per-layer ops), of measured instances /
 *    simulated calls per step, rounded.
 * 4. Report: per row measured and simulated calls/step, us/call, us/step and
 *    the error of us/step; then all kernels per step, the wall span per step
 *    (timeline), the unclassified kernels with their time share, and last
 *    "classified_pct: <n>" = share of measured kernel time whose class is not
 *    "other". */
#include "cli/cmd_compare.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "models/decode.h"
#include "models/setup.h"
#include "cli/cli.h"
#include "plots/gnuplot.h"
#include "plots/palette.h"
#include "traces/kclass.h"
#include "traces/nsys_csv.h"

static const char USAGE[] =
    "usage: gbsim compare --nsys FILE.csv [--arch A --model M --stack S] [--steps N]\n"
    "                     [--set k=v] [--batch B --ctx N --graphs on|off] [--out CSV] [--plot F]";
static const char MORE[] =
    "Groups the measured kernels per decode step and op class (kernel-name rules:\n"
    "models/data/kclass/kernel_classes.csv) and, with --stack, prints them beside the\n"
    "simulated step: calls/step, us/call, us/step, error of us/step. Dense GEMM/GEMV\n"
    "kernels (class gemm/gemv/mmq) and grouped MoE GEMMs (moe_gemm) are mapped to ops by\n"
    "call order within a step on a timeline, else compared as one row against the sum\n"
    "of their candidate ops. Steps: --steps N, else the period of the repeating kernel\n"
    "sequence (cuda_gpu_trace), else (cuda_gpu_kern_sum with --stack) the median of\n"
    "instances / simulated calls per step over per-layer ops. The last line is\n"
    "  classified_pct: <share of measured kernel time with a known class>\n"
    "CSV columns: class,sim_ops,meas_calls_per_step,sim_calls_per_step,meas_us_per_call,\n"
    "sim_us_per_call,meas_us_per_step,sim_us_per_step,err_pct\n";

/* ---- generic groups --------------------------------------------------------- */

enum { G_NONE = -1, G_DENSE = 0, G_MOE = 1, NGROUPS = 2 };

static int group_of_class(const char *cls)
{
    if (!strcmp(cls, "gemm") || !strcmp(cls, "gemv") || !strcmp(cls, "mmq"))
        return G_DENSE;
    if (!strcmp(cls, "moe_gemm"))
        return G_MOE;
    return G_NONE;
}

static int group_of_row(const stack_kernel_t *k)
{
    if (k->model == KM_GEMV || k->model == KM_GEMM)
        return G_DENSE;
    if (k->model == KM_GROUPED_GEMM)
        return G_MOE;
    return G_NONE;
}

/* ---- comparison rows ---------------------------------------------------------- */

#define LABEL_MAX 48
#define OPS_MAX 200

typedef struct {
    char label[LABEL_MAX];      /* op, generic class, or "other" */
    char sim_ops[OPS_MAX];      /* '+'-joined simulated ops compared with; "" none */
    double meas_ns;             /* measured kernel time, all steps */
    double meas_calls;          /* measured calls, all steps (join_prev kernels excluded) */
    int measured;
    double sim_us_step, sim_calls;
    int simulated;
} crow_t;

typedef struct {
    crow_t *r;
    size_t n, cap;
} rows_t;

static crow_t *row_get(rows_t *rs, const char *label)
{
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->r[i].label, label))
            return &rs->r[i];
    if (rs->n == rs->cap) {
        size_t c = rs->cap ? 2 * rs->cap : 32;
        crow_t *p = realloc(rs->r, c * sizeof *p);
        if (!p)
            return NULL;
        rs->r = p;
        rs->cap = c;
    }
    crow_t *w = &rs->r[rs->n++];
    memset(w, 0, sizeof *w);
    snprintf(w->label, sizeof w->label, "%s", label);
    return w;
}

/* Simulated ops of the step, aggregated by op name ("launch" idle excluded). */
typedef struct {
    char op[32];
    double us_step, calls;
    int used;                   /* already compared by some row */
} simop_t;

static simop_t *simop_find(simop_t *s, size_t n, const char *op)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].op, op))
            return &s[i];
    return NULL;
}

/* Appends op to a '+'-joined list if absent. */
static void ops_add(char *list, size_t len, const char *op)
{
    size_t n = strlen(op), at = 0;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, '+');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !strncmp(p, op, n))
            return;
        p += l + (e ? 1 : 0);
    }
    at = strlen(list);
    snprintf(list + at, len - at, "%s%s", at ? "+" : "", op);
}

/* ---- step detection ----------------------------------------------------------- */

typedef struct {
    const char *name;
    size_t idx;
} named_t;

static int cmp_named(const void *a, const void *b)
{
    const named_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Period of the kernel-name sequence (method in the file comment). Returns
 * the period in kernels and its score, or 0 if none qualifies; *names is the
 * number of different kernel names (0 when n < 4). */
static size_t find_period(const nsys_kernel_t *k, const size_t *order, size_t n, double *score,
                          size_t *names)
{
    *score = 0;
    *names = 0;
    if (n < 4)
        return 0;
    named_t *v = malloc(n * sizeof *v);
    int *id = malloc(n * sizeof *id);
    size_t *cand = malloc(n * sizeof *cand);
    double *gaps = malloc(n * sizeof *gaps);
    size_t ncand = 0, best = 0;
    if (!v || !id || !cand || !gaps)
        goto out;
    for (size_t i = 0; i < n; i++)
        v[i] = (named_t){k[order[i]].name, i};
    qsort(v, n, sizeof *v, cmp_named);
    int next = -1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        next++;
        while (j < n && !strcmp(v[j].name, v[i].name))
            id[v[j++].idx] = next;
        /* v[i..j) are one name's positions, ascending: median gap */
        size_t ng = 0;
        for (size_t q = i + 1; q < j; q++)
            gaps[ng++] = (double)(v[q].idx - v[q - 1].idx);
        if (ng > 0) {
            gsl_sort(gaps, 1, ng);
            size_t p = (size_t)llround(gsl_stats_median_from_sorted_data(gaps, 1, ng));
            int dup = 0;
            for (size_t c = 0; c < ncand; c++)
                dup |= cand[c] == p;
            if (!dup && p >= 2 && p <= n / 2)
                cand[ncand++] = p;
        }
        i = j;
    }
    *names = (size_t)(next + 1);
    /* gaps[c] now holds a(cand[c]) */
    double amax = 0;
    for (size_t c = 0; c < ncand; c++) {
        size_t p = cand[c], same = 0;
        for (size_t i = 0; i + p < n; i++)
            same += id[i] == id[i + p];
        gaps[c] = (double)same / (double)(n - p);
        if (gaps[c] > amax)
            amax = gaps[c];
    }
    for (size_t c = 0; c < ncand; c++)
        if (gaps[c] >= amax - 0.005 && gaps[c] >= 0.9 && (best == 0 || cand[c] < best)) {
            best = cand[c];
            *score = gaps[c];
        }
out:
    free(v);
    free(id);
    free(cand);
    free(gaps);
    return best;
}

/* A kernel's start and file index: sorting these gives a stable time order. */
typedef struct {
    double start;
    size_t idx;
} st_t;

static int cmp_st(const void *a, const void *b)
{
    const st_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ---- the command -------------------------------------------------------------- */

typedef struct {
    const char *nsys, *arch, *model, *stack, *out, *plot, *ctx_s;
    cli_list_t sets;
    int graphs;
    int64_t steps, batch, ctx;
} opts_t;

/* Fills o from the arguments. Returns 0 to go on; otherwise the command
 * returns *status (0 after --help). */
static int parse_opts(int argc, char **argv, opts_t *o, int *status)
{
    *o = (opts_t){.arch = "gb10", .model = "gpt-oss-120b", .sets = {.max = SETUP_MAX_SETS},
                  .graphs = -1, .steps = 0, .batch = 1, .ctx = 2048};
    cli_opt_t opts[] = {
        {"nsys", CLI_STR, "FILE.csv: nsys stats cuda_gpu_trace or cuda_gpu_kern_sum output "
                          "(--format csv)", .to = &o->nsys},
        {"arch", CLI_STR, "architecture preset for the simulation (default gb10)", .to = &o->arch},
        {"model", CLI_STR, "model preset for the simulation (default gpt-oss-120b)",
         .to = &o->model},
        {"stack", CLI_STR, "simulate this stack's decode step and compare: vllm-cutlass, "
                           "vllm-marlin, llamacpp, torch-bf16, or FILE.csv", .to = &o->stack},
        {"steps", CLI_INT, "decode steps in the file (default: found from the trace; see --help)",
         .to = &o->steps, .min = 1, .max = 1e9},
        {"set", CLI_LIST, "key=value: an arch, model or stack key, or <op>.<field> (repeatable)",
         .to = &o->sets},
        {"batch", CLI_INT, "B, sequences decoded per simulated step (default 1)", .to = &o->batch,
         .min = 1, .max = 4096},
        {"ctx", CLI_STR, "KV length of the simulated step (default 2048)", .to = &o->ctx_s},
        {"graphs", CLI_CHOICE, "on|off: CUDA graphs in the simulated step (default: the stack's)",
         .to = &o->graphs, .choices = "off|on"},
        {"out", CLI_OUT, "write the comparison as CSV to FILE", .to = &o->out},
        {"plot", CLI_OUT, "draw simulated vs measured us/step per class to FILE.png or FILE.svg",
         .to = &o->plot},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "compare", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts)};
    if (cli_parse(&cmd, argc, argv, status) != 0)
        return -1;
    char err[1024];
    *status = CLI_EXIT_USAGE;
    if (o->nsys == NULL)
        return cli_error("compare needs --nsys FILE.csv (see gbsim compare --help)");
    if (o->plot && o->stack == NULL)
        return cli_error("--plot needs --stack (it draws simulated against measured us/step)");
    if (o->plot && gnuplot_check_path(o->plot, err, sizeof err) != 0)
        return cli_fail(err);
    if (o->ctx_s && o->stack == NULL &&
        cli_int("--ctx", o->ctx_s, 0, 1000000000, &o->ctx, err, sizeof err))
        return cli_fail(err);
    *status = 0;
    return 0;
}

/* Everything the report needs, computed before anything is printed. */
typedef struct {
    nsys_csv_t t;
    kclass_t kc;
    int simulate;
    setup_t s;
    const stack_desc_t *st;
    decode_cfg_t cfg;
    decode_result_t res;
    int have_res;
    simop_t sim[64];
    size_t nsim;
    rows_t rows;
    double steps;
    char steps_how[512];
    double total_ns, other_ns, span_ns;
    size_t nkern;               /* kernel launches (sum of instances) */
    int resolved[NGROUPS];      /* 1: mapped by call order; 0: compared as one row */
} cmp_t;

static void cmp_free(cmp_t *c)
{
    nsys_csv_free(&c->t);
    kclass_free(&c->kc);
    if (c->have_res)
        decode_free(&c->res);
    setup_free(&c->s);
    free(c->rows.r);
}

/* The length of a group's call sequence within one step. */
static size_t group_len(const cmp_t *c, int g)
{
    size_t per_layer = 0, per_step = 0;
    for (size_t i = 0; i < c->st->n_kernels; i++)
        if (group_of_row(&c->st->kernels[i]) == g &&
            stack_row_applies(&c->st->kernels[i], &c->s.model)) {
            if (c->st->kernels[i].where == AT_LAYER)
                per_layer++;
            else
                per_step++;
        }
    return per_layer * (size_t)c->s.model.n_layers + per_step;
}

/* The expected call sequence of a group within one step (see file comment). */
static size_t group_sequence(const cmp_t *c, int g, const char **seq, size_t max)
{
    size_t n = 0;
    int layers = (int)c->s.model.n_layers;
    for (int l = 0; l < layers; l++)
        for (size_t i = 0; i < c->st->n_kernels; i++) {
            const stack_kernel_t *k = &c->st->kernels[i];
            if (k->where == AT_LAYER && group_of_row(k) == g && stack_row_applies(k, &c->s.model) &&
                n < max)
                seq[n++] = k->op;
        }
    for (size_t i = 0; i < c->st->n_kernels; i++) {
        const stack_kernel_t *k = &c->st->kernels[i];
        if (k->where == AT_STEP && group_of_row(k) == g && stack_row_applies(k, &c->s.model) &&
            n < max)
            seq[n++] = k->op;
    }
    return n;
}

/* Labels per kernel (index into t.k), resolving generic groups and join_prev.
 * labels[i] points into static strings, the rule table or the stack table. */
static int label_kernels(cmp_t *c, const size_t *order, const char **labels, char *err, size_t errlen)
{
    size_t n = c->t.n;
    for (size_t i = 0; i < n; i++)
        labels[i] = kclass_match(&c->kc, c->t.k[i].name);
    int timeline = c->t.form == NSYS_TIMELINE;
    for (int g = 0; g < NGROUPS; g++) {
        c->resolved[g] = 0;
        if (!c->simulate || !timeline)
            continue;
        size_t cap = group_len(c, g);
        if (cap == 0)
            continue;
        const char **seq = malloc(cap * sizeof *seq);
        if (!seq) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        size_t len = group_sequence(c, g, seq, cap), count = 0;
        assert(len == cap);
        for (size_t j = 0; j < n; j++)
            count += group_of_class(labels[order[j]]) == g;
        if (len > 0 && count > 0 && count % len == 0) {
            size_t q = 0;
            for (size_t j = 0; j < n; j++)
                if (group_of_class(labels[order[j]]) == g)
                    labels[order[j]] = seq[q++ % len];
            c->resolved[g] = 1;
        }
        free(seq);
    }
    if (timeline) {
        const char *prev = NULL;
        for (size_t j = 0; j < n; j++) {
            const char **l = &labels[order[j]];
            if (!strcmp(*l, "join_prev")) {
                if (prev)
                    *l = prev;
            } else
                prev = *l;
        }
    }
    return 0;
}

/* The label of a combined (unresolved) group row. */
static const char *group_label(int g)
{
    return g == G_DENSE ? "gemm" : "moe_gemm";
}

static int build(cmp_t *c, const opts_t *o, char *err, size_t errlen)
{
    size_t n = c->t.n;
    st_t *ord = malloc(n * sizeof *ord);
    size_t *order = malloc(n * sizeof *order);
    const char **labels = malloc(n * sizeof *labels);
    int *is_join = malloc(n * sizeof *is_join);
    int rc = -1;
    if (!ord || !order || !labels || !is_join) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        ord[i] = (st_t){c->t.k[i].start_ns, i};
    if (c->t.form == NSYS_TIMELINE)
        qsort(ord, n, sizeof *ord, cmp_st);
    for (size_t i = 0; i < n; i++)
        order[i] = ord[i].idx;
    for (size_t i = 0; i < n; i++)
        is_join[i] = !strcmp(kclass_match(&c->kc, c->t.k[i].name), "join_prev");

    /* totals */
    double first = INFINITY, last = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const nsys_kernel_t *k = &c->t.k[i];
        c->total_ns += k->dur_ns;
        c->nkern += (size_t)k->instances;
        if (!strcmp(kclass_match(&c->kc, k->name), "other"))
            c->other_ns += k->dur_ns;
        if (c->t.form == NSYS_TIMELINE) {
            if (k->start_ns < first)
                first = k->start_ns;
            if (k->start_ns + k->dur_ns > last)
                last = k->start_ns + k->dur_ns;
        }
    }
    c->span_ns = c->t.form == NSYS_TIMELINE ? last - first : 0;

    if (label_kernels(c, order, labels, err, errlen) != 0)
        goto out;

    /* measured rows */
    for (size_t i = 0; i < n; i++) {
        const char *l = labels[i];
        int g = group_of_class(l);
        if (g != G_NONE)
            l = group_label(g);   /* unresolved group: one row */
        crow_t *w = row_get(&c->rows, l);
        if (!w) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        w->measured = 1;
        w->meas_ns += c->t.k[i].dur_ns;
        /* a joined kernel adds time to its call, not a call (on a timeline) */
        if (!(is_join[i] && c->t.form == NSYS_TIMELINE && strcmp(l, "join_prev")))
            w->meas_calls += (double)c->t.k[i].instances;
    }

    /* simulated side */
    if (c->simulate) {
        for (size_t i = 0; i < c->rows.n; i++) {
            crow_t *w = &c->rows.r[i];
            simop_t *s = simop_find(c->sim, c->nsim, w->label);
            int g = !strcmp(w->label, "gemm") ? G_DENSE : !strcmp(w->label, "moe_gemm") ? G_MOE : G_NONE;
            if (s && !s->used) {
                s->used = 1;
                w->simulated = 1;
                w->sim_us_step = s->us_step;
                w->sim_calls = s->calls;
                snprintf(w->sim_ops, sizeof w->sim_ops, "%.*s", (int)sizeof w->sim_ops - 1, s->op);
            } else if (g != G_NONE) {
                for (size_t k = 0; k < c->st->n_kernels; k++) {
                    const stack_kernel_t *sk = &c->st->kernels[k];
                    simop_t *so = simop_find(c->sim, c->nsim, sk->op);
                    if (group_of_row(sk) != g || !stack_row_applies(sk, &c->s.model) || !so ||
                        so->used)
                        continue;
                    so->used = 1;
                    w->simulated = 1;
                    w->sim_us_step += so->us_step;
                    w->sim_calls += so->calls;
                    ops_add(w->sim_ops, sizeof w->sim_ops, so->op);
                }
            }
        }
        for (size_t i = 0; i < c->nsim; i++) {
            if (c->sim[i].used)
                continue;
            crow_t *w = row_get(&c->rows, c->sim[i].op);
            if (!w) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            c->sim[i].used = 1;
            w->simulated = 1;
            w->sim_us_step = c->sim[i].us_step;
            w->sim_calls = c->sim[i].calls;
            snprintf(w->sim_ops, sizeof w->sim_ops, "%s", c->sim[i].op);
        }
    }

    /* steps */
    if (o->steps > 0) {
        c->steps = (double)o->steps;
        snprintf(c->steps_how, sizeof c->steps_how, "--steps");
    } else if (c->t.form == NSYS_TIMELINE) {
        double score;
        size_t names, p = find_period(c->t.k, order, n, &score, &names);
        if (p == 0 || (double)n / (double)p < 1.0) {
            snprintf(err, errlen, "%s: no repeating kernel sequence found (autocorrelation of the "
                     "kernel names below 0.9 at every candidate period); expected a decode trace "
                     "of several steps, or give --steps N", c->t.path);
            goto out;
        }
        /* every step runs the same sequence, so it holds every name of the trace */
        if (names > p) {
            snprintf(err, errlen, "%s: not a trace of decode steps: the kernel names repeat every "
                     "%zu kernels, yet the trace has %zu different names, more than such a step "
                     "holds (as in a capture that times one kernel at a time); expected an nsys "
                     "trace of several decode steps, or give --steps N", c->t.path, p, names);
            goto out;
        }
        c->steps = (double)n / (double)p;
        snprintf(c->steps_how, sizeof c->steps_how,
                 "period of the kernel-name sequence: %zu kernels, autocorrelation %.3f", p, score);
    } else {
        if (!c->simulate) {
            snprintf(err, errlen, "%s: a kernel summary (%s) has no timeline; expected --steps N, "
                     "or --stack S to derive the steps from per-layer ops", c->t.path, c->t.variant);
            goto out;
        }
        double ratio[256];
        size_t nr = 0;
        char used[256] = "";
        for (size_t i = 0; i < c->rows.n && nr < 256; i++) {
            const crow_t *w = &c->rows.r[i];
            if (!w->measured || !w->simulated || w->sim_calls < c->s.model.n_layers ||
                !strcmp(w->label, "other") || !strcmp(w->label, "join_prev"))
                continue;
            ratio[nr++] = w->meas_calls / w->sim_calls;
            size_t u = strlen(used);
            snprintf(used + u, sizeof used - u, "%s%s %.1f", u ? ", " : "", w->label,
                     w->meas_calls / w->sim_calls);
        }
        if (nr == 0) {
            snprintf(err, errlen, "%s: cannot derive the steps: no measured class matches a "
                     "per-layer op of stack %s; expected --steps N", c->t.path, c->st->name);
            goto out;
        }
        gsl_sort(ratio, 1, nr);
        c->steps = round(gsl_stats_median_from_sorted_data(ratio, 1, nr));
        if (c->steps < 1)
            c->steps = 1;
        snprintf(c->steps_how, sizeof c->steps_how,
                 "median of instances / simulated calls per step over per-layer ops (%s)", used);
    }
    rc = 0;
out:
    free(ord);
    free(order);
    free(labels);
    free(is_join);
    return rc;
}

/* Measured rows first, by measured time; then simulation-only rows, by
 * simulated time; both descending. */
static int cmp_row_desc(const void *a, const void *b)
{
    const crow_t *x = a, *y = b;
    if (x->measured != y->measured)
        return x->measured ? -1 : 1;
    double kx = x->measured ? x->meas_ns : x->sim_us_step;
    double ky = y->measured ? y->meas_ns : y->sim_us_step;
    return kx > ky ? -1 : kx < ky;
}

static void fmt_num(char *b, size_t n, int ok, const char *fmt, double v)
{
    if (ok && isfinite(v))
        snprintf(b, n, fmt, v);
    else
        snprintf(b, n, "-");
}

typedef struct {
    double mc, sc, mcall, scall, mstep, sstep, errp;
    int hm, hs, hmcall, hscall, herr;
} vals_t;

static vals_t row_vals(const crow_t *w, double steps)
{
    vals_t v = {0};
    v.hm = w->measured;
    v.hs = w->simulated;
    v.mc = w->meas_calls / steps;
    v.mstep = w->meas_ns / 1e3 / steps;
    v.hmcall = w->measured && w->meas_calls > 0;
    v.mcall = v.hmcall ? w->meas_ns / 1e3 / w->meas_calls : 0;
    v.sc = w->sim_calls;
    v.sstep = w->sim_us_step;
    v.hscall = w->simulated && w->sim_calls > 0;
    v.scall = v.hscall ? w->sim_us_step / w->sim_calls : 0;
    v.herr = v.hm && v.hs && v.mstep > 0;
    v.errp = v.herr ? 100 * (v.sstep - v.mstep) / v.mstep : 0;
    return v;
}

/* The "all kernels" row: every measured kernel per step, beside every
 * simulated kernel of the step. */
static vals_t all_kernels(const cmp_t *c)
{
    vals_t tot = {0};
    tot.hm = 1;
    tot.mc = (double)c->nkern / c->steps;
    tot.mstep = c->total_ns / 1e3 / c->steps;
    if (c->simulate) {
        tot.hs = 1;
        tot.sc = c->res.kernels;
        tot.sstep = c->res.kernel_us;
        tot.herr = tot.mstep > 0;
        tot.errp = 100 * (tot.sstep - tot.mstep) / tot.mstep;
    }
    return tot;
}

static void print_line(FILE *f, const char *label, const char *ops, const vals_t *v)
{
    char a[32], b[32], c[32], d[32], e[32], g[32], h[32];
    fmt_num(a, sizeof a, v->hm && v->mc > 0, "%.2f", v->mc);
    fmt_num(b, sizeof b, v->hs && v->sc > 0, "%.2f", v->sc);
    fmt_num(c, sizeof c, v->hmcall, "%.2f", v->mcall);
    fmt_num(d, sizeof d, v->hscall, "%.2f", v->scall);
    fmt_num(e, sizeof e, v->hm, "%.1f", v->mstep);
    fmt_num(g, sizeof g, v->hs, "%.1f", v->sstep);
    fmt_num(h, sizeof h, v->herr, "%+.1f", v->errp);
    fprintf(f, "%-13s %-34.34s %10s %10s %11s %11s %11s %11s %7s\n", label, ops, a, b, c, d, e, g, h);
}

static void report(FILE *f, cmp_t *c, const opts_t *o)
{
    fprintf(f, "# gbsim compare: nsys=%s (%s, %zu kernel rows, %zu memcpy/memset rows skipped)",
            c->t.path, c->t.variant, c->t.n, c->t.n_memops);
    if (c->simulate)
        fprintf(f, " arch=%s model=%s stack=%s batch=%lld ctx=%lld layers=%d graphs=%s", o->arch,
                o->model, c->st->name, (long long)c->cfg.seqs, (long long)c->cfg.ctx,
                (int)c->s.model.n_layers, c->res.graphs ? "on" : "off");
    fprintf(f, "\n# steps: %.2f (%s)\n", c->steps, c->steps_how);
    if (c->simulate)
        for (int g = 0; g < NGROUPS; g++)
            fprintf(f, "# %s kernels: %s\n", g == G_DENSE ? "gemm/gemv/mmq" : "moe_gemm",
                    c->resolved[g] ? "mapped to ops by call order within the step"
                                   : "compared as one row against the sum of their candidate ops");
    fprintf(f, "%-13s %-34s %10s %10s %11s %11s %11s %11s %7s\n", "class", "sim ops", "meas_calls",
            "sim_calls", "meas_us", "sim_us", "meas_us", "sim_us", "err%");
    fprintf(f, "%-13s %-34s %10s %10s %11s %11s %11s %11s %7s\n", "", "", "/step", "/step", "/call",
            "/call", "/step", "/step", "/step");
    for (size_t i = 0; i < c->rows.n; i++) {
        const crow_t *w = &c->rows.r[i];
        vals_t v = row_vals(w, c->steps);
        print_line(f, w->label, w->sim_ops[0] ? w->sim_ops : "-", &v);
    }
    if (c->simulate) {
        /* the rows that have both sides, summed */
        vals_t mt = {0};
        mt.hm = mt.hs = 1;
        for (size_t i = 0; i < c->rows.n; i++) {
            vals_t v = row_vals(&c->rows.r[i], c->steps);
            if (!v.herr)
                continue;
            mt.mc += v.mc;
            mt.sc += v.sc;
            mt.mstep += v.mstep;
            mt.sstep += v.sstep;
        }
        mt.herr = mt.mstep > 0;
        mt.errp = mt.herr ? 100 * (mt.sstep - mt.mstep) / mt.mstep : 0;
        print_line(f, "compared", "rows with both sides, summed", &mt);
    }
    vals_t tot = all_kernels(c);
    print_line(f, "all kernels", "sum of kernel durations", &tot);
    vals_t span = {0};
    span.hm = c->t.form == NSYS_TIMELINE;
    span.mstep = c->span_ns / 1e3 / c->steps;
    if (c->simulate) {
        span.hs = 1;
        span.sstep = c->res.step_us;
        span.herr = span.hm && span.mstep > 0;
        span.errp = span.herr ? 100 * (span.sstep - span.mstep) / span.mstep : 0;
    }
    print_line(f, "step", "first start to last end / steps", &span);
    if (c->t.n_memops)
        fprintf(f, "# memcpy/memset: %zu rows, %.1f us per step (not kernels; not compared)\n",
                c->t.n_memops, c->t.memop_ns / 1e3 / c->steps);
    /* unclassified kernels by name, largest first */
    if (c->other_ns > 0) {
        fprintf(f, "# unclassified kernels (class other), share of measured kernel time:\n");
        size_t shown = 0;
        for (size_t i = 0; i < c->t.n; i++) {
            const char *nm = c->t.k[i].name;
            if (strcmp(kclass_match(&c->kc, nm), "other"))
                continue;
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(c->t.k[j].name, nm);
            if (seen)
                continue;
            double ns = 0;
            for (size_t j = i; j < c->t.n; j++)
                if (!strcmp(c->t.k[j].name, nm))
                    ns += c->t.k[j].dur_ns;
            if (shown++ < 20)
                fprintf(f, "#   %6.2f%%  %.120s\n", 100 * ns / c->total_ns, nm);
        }
        if (shown > 20)
            fprintf(f, "#   ... and %zu more names\n", shown - 20);
    }
    fprintf(f, "classified_pct: %.2f\n", c->total_ns > 0 ? 100 * (1 - c->other_ns / c->total_ns) : 0);
}

static void csv_cell(FILE *f, int ok, const char *fmt, double v)
{
    fputc(',', f);
    if (ok && isfinite(v))
        fprintf(f, fmt, v);
}

static void csv_line(FILE *f, const char *label, const char *ops, const vals_t *v)
{
    fprintf(f, "%s,%s", label, ops);
    csv_cell(f, v->hm, "%.4f", v->mc);
    csv_cell(f, v->hs, "%.4f", v->sc);
    csv_cell(f, v->hmcall, "%.4f", v->mcall);
    csv_cell(f, v->hscall, "%.4f", v->scall);
    csv_cell(f, v->hm, "%.4f", v->mstep);
    csv_cell(f, v->hs, "%.4f", v->sstep);
    csv_cell(f, v->herr, "%.3f", v->errp);
    fputc('\n', f);
}

static void write_csv(FILE *f, const cmp_t *c)
{
    fprintf(f, "class,sim_ops,meas_calls_per_step,sim_calls_per_step,meas_us_per_call,"
               "sim_us_per_call,meas_us_per_step,sim_us_per_step,err_pct\n");
    for (size_t i = 0; i < c->rows.n; i++) {
        vals_t v = row_vals(&c->rows.r[i], c->steps);
        csv_line(f, c->rows.r[i].label, c->rows.r[i].sim_ops, &v);
    }
    vals_t tot = all_kernels(c);
    csv_line(f, "all_kernels", "", &tot);
}

/* One pair of bars of the plot. */
typedef struct {
    char label[LABEL_MAX + OPS_MAX + 4];
    const char *op;             /* colour: palette_op_rgb(op) */
    double meas, sim;           /* us per step; NaN: that side is absent */
} bar_pair_t;

#define PLOT_ROWS 40

/* A kernel summary (no call order) whose moe_gemm row holds as many distinct
 * kernel names as the row has simulated ops (moe_fc1+moe_fc2): one pair per
 * op, names and ops paired by time rank (the longest kernel with the longest
 * op). Returns the pairs written to out (0: not split). */
static int split_moe_gemm(const cmp_t *c, const crow_t *w, bar_pair_t *out, int max)
{
    const char *ops[4];
    double sim[4], meas[4] = {0};
    const char *names[4];
    int nops = 0, nnames = 0;
    if (c->t.form == NSYS_TIMELINE || strcmp(w->label, "moe_gemm") || !w->simulated)
        return 0;
    char list[OPS_MAX];
    snprintf(list, sizeof list, "%s", w->sim_ops);
    char *save = NULL;
    for (char *p = strtok_r(list, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
        size_t i = 0;
        while (i < c->nsim && strcmp(c->sim[i].op, p))
            i++;
        if (nops == 4 || i == c->nsim)
            return 0;
        ops[nops] = c->sim[i].op;
        sim[nops++] = c->sim[i].us_step;
    }
    for (size_t k = 0; k < c->t.n; k++) {
        if (group_of_class(kclass_match(&c->kc, c->t.k[k].name)) != G_MOE)
            continue;
        int j = 0;
        while (j < nnames && strcmp(names[j], c->t.k[k].name))
            j++;
        if (j == nnames) {
            if (nnames == 4)
                return 0;
            names[nnames++] = c->t.k[k].name;
        }
        meas[j] += c->t.k[k].dur_ns / 1e3 / c->steps;
    }
    if (nnames != nops || nops < 2 || nops > max)
        return 0;
    /* rank both sides, longest first */
    for (int a = 0; a < nops; a++)
        for (int b = a + 1; b < nops; b++) {
            if (sim[b] > sim[a]) {
                double t = sim[a];
                const char *o = ops[a];
                sim[a] = sim[b], ops[a] = ops[b], sim[b] = t, ops[b] = o;
            }
            if (meas[b] > meas[a]) {
                double t = meas[a];
                meas[a] = meas[b], meas[b] = t;
            }
        }
    for (int a = 0; a < nops; a++) {
        snprintf(out[a].label, sizeof out[a].label, "%s*", ops[a]);
        out[a].op = ops[a];
        out[a].meas = meas[a];
        out[a].sim = sim[a];
    }
    return nops;
}

static int draw(const char *path, const cmp_t *c, const opts_t *o, char *err, size_t errlen)
{
    bar_pair_t bars[PLOT_ROWS];
    int n = 0, split = 0, dropped = 0;
    for (size_t i = 0; i < c->rows.n; i++) {
        const crow_t *w = &c->rows.r[i];
        vals_t v = row_vals(w, c->steps);
        if (!strcmp(w->label, "join_prev") || (!(v.hm && v.mstep > 0) && !(v.hs && v.sstep > 0)))
            continue;
        int k = split_moe_gemm(c, w, bars + n, PLOT_ROWS - n);
        if (k > 0) {
            n += k;
            split = 1;
            continue;
        }
        if (n == PLOT_ROWS) {
            dropped++;
            continue;
        }
        bar_pair_t *b = &bars[n++];
        if (w->sim_ops[0] && strcmp(w->sim_ops, w->label))
            snprintf(b->label, sizeof b->label, "%s (%s)", w->label, w->sim_ops);
        else
            snprintf(b->label, sizeof b->label, "%s", w->label);
        b->op = w->label;
        b->meas = v.hm && v.mstep > 0 ? v.mstep : NAN;
        b->sim = v.hs && v.sstep > 0 ? v.sstep : NAN;
    }
    if (n == 0) {
        snprintf(err, errlen, "--plot: no class has a measured or simulated time; expected a "
                 "trace whose kernels match the stack's ops");
        return -1;
    }
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < n; i++)
        for (int s = 0; s < 2; s++) {
            double x = s ? bars[i].sim : bars[i].meas;
            if (isfinite(x)) {
                lo = fmin(lo, x);
                hi = fmax(hi, x);
            }
        }
    lo = pow(10, floor(log10(lo)));
    hi = pow(10, ceil(log10(hi * 3)));
    char *data = NULL, *pre = NULL;
    size_t dlen = 0, plen = 0;
    FILE *d = open_memstream(&data, &dlen), *p = open_memstream(&pre, &plen);
    if (d && p) {
        fprintf(p, "lo = %.6g\nhi = %.6g\nnrows = %d\nset ytics (", lo, hi, n);
        for (int i = 0; i < n; i++) {
            const bar_pair_t *b = &bars[i];
            char label[sizeof b->label], note[64];
            gnuplot_title_text(b->label, label, sizeof label);
            fprintf(p, "%s'%s' %d", i ? ", " : "", label, n - 1 - i);
            if (isfinite(b->meas) && isfinite(b->sim))
                snprintf(note, sizeof note, "%+.1f %%", 100 * (b->sim - b->meas) / b->meas);
            else
                snprintf(note, sizeof note, isfinite(b->sim) ? "not measured" : "not simulated");
            double right = fmax(isfinite(b->meas) ? b->meas : lo, isfinite(b->sim) ? b->sim : lo);
            fprintf(d, "%d\t", n - 1 - i);
            fprintf(d, isfinite(b->meas) ? "%.4f\t" : "NaN\t", b->meas);
            fprintf(d, isfinite(b->sim) ? "%.4f\t" : "NaN\t", b->sim);
            fprintf(d, "%ld\t%.4f\t%s\n", strtol(palette_op_rgb(b->op) + 1, NULL, 16), right, note);
        }
        char shown[512], name[64];
        gnuplot_title_text(c->t.path, shown, sizeof shown);
        gnuplot_title_text(c->st->name, name, sizeof name);
        fprintf(p, ")\nplot_title = 'Measured vs simulated per op class: %s' . \"\\n\" . "
                   "'%s %s %s, %.0f steps, %.0f%% of kernel time classified%s'%s\n",
                shown, o->arch, o->model, name, c->steps,
                c->total_ns > 0 ? 100 * (1 - c->other_ns / c->total_ns) : 0.0,
                dropped ? "; the smallest classes not drawn" : "",
                split ? " . \"\\n\" . '* a kernel summary has no call order: its moe_gemm kernels "
                        "are paired with ops by time rank'" : "");
    }
    int ok = d && p;
    if (d)
        ok &= fclose(d) == 0;
    if (p)
        ok &= fclose(p) == 0;
    int rc = -1;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    else
        rc = gnuplot_render("compare", pre, data, path, err, errlen);
    free(data);
    free(pre);
    return rc;
}

int cmd_compare_main(int argc, char **argv)
{
    opts_t o;
    int status;
    if (parse_opts(argc, argv, &o, &status) != 0)
        return status;
    char err[1400];
    cmp_t *c = calloc(1, sizeof *c);
    if (!c)
        return cli_error("out of memory");
    int rc = 0;
    if (kclass_load_default(&c->kc, err, sizeof err) != 0 ||
        nsys_csv_read(o.nsys, &c->t, err, sizeof err) != 0) {
        rc = cli_fail(err);
        goto done;
    }
    c->simulate = o.stack != NULL;
    if (c->simulate) {
        if (setup_load_stack(&c->s, o.arch, o.model, o.stack, 0, o.sets.v, o.sets.n, err,
                             sizeof err) != 0) {
            rc = cli_fail(err);
            goto done;
        }
        c->st = c->s.stack;
        if ((rc = cli_ctx(o.ctx_s, o.batch, c->s.model.max_positions, &o.ctx)) != 0)
            goto done;
        c->cfg = (decode_cfg_t){.arch = &c->s.arch, .model = &c->s.model, .stack = c->st,
                                .seqs = o.batch, .q_len = 1, .ctx = o.ctx, .layers = 0, .graphs = o.graphs};
        char e[900];
        if (decode_run(&c->cfg, &c->res, e, sizeof e) != 0) {
            rc = cli_error("arch %s: %s", o.arch, e);
            goto done;
        }
        c->have_res = 1;
        for (size_t i = 0; i < c->res.n; i++) {
            const decode_row_t *w = &c->res.rows[i];
            if (!strcmp(w->op, "launch"))
                continue;
            simop_t *s = simop_find(c->sim, c->nsim, w->op);
            if (!s) {
                /* a stack has fewer distinct ops than this table holds */
                assert(c->nsim < sizeof c->sim / sizeof c->sim[0]);
                s = &c->sim[c->nsim++];
                memset(s, 0, sizeof *s);
                snprintf(s->op, sizeof s->op, "%s", w->op);
            }
            s->us_step += w->us_step;
            s->calls += w->calls;
        }
    }
    if (build(c, &o, err, sizeof err) != 0) {
        rc = cli_fail(err);
        goto done;
    }
    qsort(c->rows.r, c->rows.n, sizeof *c->rows.r, cmp_row_desc);

    /* everything goes to memory first: nothing is printed or written unless
     * every step succeeds */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        rc = cli_error("out of memory");
        goto done;
    }
    report(m, c, &o);
    fclose(m);
    if (o.plot && draw(o.plot, c, &o, err, sizeof err) != 0)
        rc = cli_fail(err);
    if (rc == 0 && o.out) {
        cli_out_t out;
        if (cli_out_open(&out, o.out, err, sizeof err) != 0)
            rc = cli_fail(err);
        else {
            write_csv(out.f, c);
            if (cli_out_commit(&out, err, sizeof err) != 0)
                rc = cli_fail(err);
        }
        if (rc != 0 && o.plot)
            remove(o.plot);
    }
    if (rc == 0)
        fwrite(buf, 1, len, stdout);
    free(buf);
done:
    cmp_free(c);
    free(c);
    return rc;
}
