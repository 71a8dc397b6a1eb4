/* stack_test.c -- stack files: parsing rules, and every overridable field
 * moving the time of the op it names (or refused with the reason). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/decode.h"
#include "models/gemm.h"
#include "models/kmodel.h"
#include "models/setup.h"
#include "models/stack.h"
#include "tests/check.h"
#include "tests/testarch.h"

static const char *const STACKS[] = {"vllm-cutlass", "vllm-marlin", "llamacpp", "torch-bf16"};
#define N_STACKS (sizeof STACKS / sizeof STACKS[0])

static const char *const FIELD_NAMES[] = {"impl",  "weights", "acts",  "tile",    "schedule", "swap_ab",
                                          "stages", "cluster", "split_k", "grid", "sf_vec"};
#define N_FIELD_NAMES (sizeof FIELD_NAMES / sizeof FIELD_NAMES[0])

/* Values of field fi a user would try on row r, NULL-terminated; *ctx is a
 * --set the probe needs first (NULL: none), e.g. a non-square tile so that
 * swapping A and B can matter. */
static void candidates(const stack_kernel_t *r, size_t fi, const char **v, const char **ctx,
                       char *ctxbuf, size_t ctxlen)
{
    static const char *const GEMV[] = {"cublas-gemv", "llamacpp-mmvq", NULL};
    static const char *const ATTN[] = {"flashinfer-fa2", "llamacpp-fattn-vec", "cudnn-sdpa-16x128x64", NULL};
    static const char *const GROUPED[] = {"cutlass-grouped", "torch-grouped-mm", NULL};
    static const char *const GEMM[] = {"cutlass", "cublas-nvjet", NULL};
    static const char *const EW[] = {"ew", "small:ew_vector", NULL};
    static const char *const FMT_MX[] = {"mxfp4", "mxfp8", "mxfp6", NULL};
    static const char *const FMT[] = {"bf16", "fp8e4m3", "fp32", "q8_0", NULL};
    static const char *const ACTS[] = {"bf16", "fp8e4m3", "fp32", "q8_1", NULL};
    static const char *const TILE[] = {"128x64x128", "128x32x256", "64x16x64", "128x8x128", NULL};
    static const char *const SCHED[] = {"coop", "pingpong", NULL};
    static const char *const SWAP[] = {"0", "1", NULL};
    static const char *const STAGES[] = {"2", "3", "4", "8", NULL};
    static const char *const CLUSTER[] = {"1x1", "2x1", "4x1", NULL};
    static const char *const SPLIT[] = {"2", "4", NULL};
    static const char *const GRID[] = {"1", "8", "32", "64", NULL};
    static const char *const SFVEC[] = {"64", "16", "128", NULL};
    const char *const *list = NULL;
    *ctx = NULL;
    switch (fi) {
    case 0:
        list = r->model == KM_GEMV ? GEMV : r->model == KM_ATTENTION ? ATTN :
               r->model == KM_GROUPED_GEMM ? GROUPED : r->model == KM_GEMM ? GEMM : EW;
        break;
    case 1:
        list = r->has_weights && dtype_info(r->weights)->mma_class == MMA_MX ? FMT_MX : FMT;
        break;
    case 2:
        list = r->has_acts && dtype_info(r->acts)->mma_class == MMA_MX ? FMT_MX : ACTS;
        if (r->model == KM_GEMV || r->model == KM_GEMM) {
            /* with fp8 weights the activation format picks the MMA (fp8 x fp8, or
             * bf16 after converting the weights) once the tokens make it a GEMM */
            snprintf(ctxbuf, ctxlen, "%s.weights=fp8e4m3", r->op);
            *ctx = ctxbuf;
        }
        break;
    case 3: list = TILE; break;
    case 4: list = SCHED; break;
    case 5:
        /* a non-square tile, small enough for the row's recorded stages */
        list = SWAP;
        snprintf(ctxbuf, ctxlen, "%s.tile=%s", r->op, r->launch.stages > 4 ? "64x32x64" : "128x32x128");
        *ctx = ctxbuf;
        break;
    case 6:
        list = STAGES;
        if (r->model == KM_GROUPED_GEMM && !r->launch.stages) {
            /* a smaller tile leaves room for more than the default stages */
            snprintf(ctxbuf, ctxlen, "%s.tile=128x32x128", r->op);
            *ctx = ctxbuf;
        }
        break;
    case 7:
        list = CLUSTER;
        snprintf(ctxbuf, ctxlen, "%s.swap_ab=0", r->op);
        *ctx = ctxbuf;
        break;
    case 8: list = SPLIT; break;
    case 9: list = GRID; break;
    case 10: list = SFVEC; break;
    }
    size_t n = 0;
    for (size_t i = 0; list && list[i]; i++)
        if (!(fi == 0 && !strcmp(list[i], r->impl)))
            v[n++] = list[i];
    v[n] = NULL;
}

/* us per step of op in result r (0 if absent). */
static double op_us(const decode_result_t *r, const char *op)
{
    double us = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->rows[i].op, op))
            us += r->rows[i].us_step;
    return us;
}

/* gpt-oss-20b with a small lm_head (fast; the fields are the same) on arch
 * and stack with up to two --set (NULL: none): 0, or -1 with err. */
static int load_small(setup_t *s, const char *arch, const char *stack, const char *set1,
                      const char *set2, char *err, size_t errlen)
{
    const char *sets[2];
    int n = 0;
    if (set1)
        sets[n++] = set1;
    if (set2)
        sets[n++] = set2;
    if (setup_load_stack(s, arch, "gpt-oss-20b", stack, 0, sets, n, err, errlen) != 0)
        return -1;
    s->model.vocab = 8192;
    return 0;
}

/* Decode one layer of two sequences with one --set (NULL: none): 0 and *r, or
 * -1 with err. */
static int step(const char *arch, const char *stack, const char *set, decode_result_t *r, char *err,
                size_t errlen)
{
    setup_t s;
    if (load_small(&s, arch, stack, set, NULL, err, errlen) != 0)
        return -1;
    decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack, .seqs = 2,
                      .q_len = 1, .ctx = 512, .layers = 1, .graphs = -1};
    int rc = decode_run(&c, r, err, errlen);
    setup_free(&s);
    return rc;
}

/* The time of op's kernels in one layer of B sequences (what decode sums for
 * the op), and the first row's kernel descriptor; 0, or -1 with err. */
static int op_time(const setup_t *s, const char *op, int64_t seqs, double *us, kdesc_t *first,
                   char *err, size_t errlen)
{
    step_geom_t g;
    stack_geom(&s->model, seqs, 1, 512, 0, &g);
    *us = 0;
    int n = 0;
    for (size_t i = 0; i < s->stack->n_kernels; i++) {
        const stack_kernel_t *r = &s->stack->kernels[i];
        if (strcmp(r->op, op) || !stack_row_runs(s->stack, r, &s->arch, &s->model, &g))
            continue;
        kdesc_t d;
        kmodel_out_t o;
        char e[1200];
        if (stack_kdesc(s->stack, r, &s->arch, &s->model, &g, 0, &d, e, sizeof e) != 0 ||
            kmodel_run(&s->arch, &d, &o, e, sizeof e) != 0) {
            snprintf(err, errlen, "%s (%s): %s", r->op, r->kernel, e);   /* as decode says it */
            return -1;
        }
        if (n++ == 0)
            *first = d;
        *us += o.us;
    }
    return 0;
}

/* op's time with up to two --set: 0, or -1 with err. */
static int probe(const char *arch, const char *stack, const char *op, int64_t seqs, const char *set1,
                 const char *set2, double *us, kdesc_t *d, char *err, size_t errlen)
{
    setup_t s;
    if (load_small(&s, arch, stack, set1, set2, err, errlen) != 0)
        return -1;
    int rc = op_time(&s, op, seqs, us, d, err, errlen);
    setup_free(&s);
    return rc;
}

/* For every preset stack, on the arch its launches were recorded on, every
 * op and every field a row of that op reads: a value a user would try (other
 * than the row's own) either reaches the op's kernel (its descriptor changes)
 * and moves its time at 2, 64 or 512 sequences, or is refused with a message naming
 * the op, the field or a rule. A scheduling field (schedule, stages, cluster,
 * swap_ab) may reach the kernel without moving its time where every value
 * performs alike (e.g. a DRAM-bound kernel); those are counted and printed. An
 * accepted value that does not reach the kernel fails; so does a field the
 * op's rows do not read that is not refused. */
static void test_every_field_moves_the_op_it_names(check_t *ck)
{
    int moved = 0, refused = 0, same_time = 0;
    for (size_t si = 0; si < N_STACKS; si++) {
        char err[1400];
        stack_desc_t *st = stack_load(STACKS[si], err, sizeof err);
        CHECK(st != NULL, "%s", err);
        if (st == NULL)
            continue;
        const char *arch = st->recorded_cc == 90 ? "h100" : "gb10";
        const int64_t seqs[3] = {2, 64, 512};
        for (size_t i = 0; i < st->n_kernels; i++) {
            const stack_kernel_t *r = &st->kernels[i];
            int first = 1;
            for (size_t j = 0; j < i; j++)
                first &= strcmp(st->kernels[j].op, r->op) != 0;
            double base_us[3];
            kdesc_t base_d[3];
            if (!first || probe(arch, STACKS[si], r->op, 2, NULL, NULL, &base_us[0], &base_d[0],
                                err, sizeof err) != 0 || base_us[0] == 0)
                continue;   /* one pass per op; ops of the other model kind do not run */
            int g_n = 1;
            while (g_n < 3 && probe(arch, STACKS[si], r->op, seqs[g_n], NULL, NULL, &base_us[g_n],
                                    &base_d[g_n], err, sizeof err) == 0)
                g_n++;   /* a kernel may have no form at many tokens (MMVQ's 8 per expert) */
            unsigned reads = 0;
            for (size_t j = 0; j < st->n_kernels; j++)
                if (!strcmp(st->kernels[j].op, r->op))
                    reads |= stack_row_reads(&st->kernels[j]);
            for (size_t fi = 0; fi < N_FIELD_NAMES; fi++) {
                const char *vals[16], *ctx;
                char ctxbuf[96], set[160], why[1400] = "";
                candidates(r, fi, vals, &ctx, ctxbuf, sizeof ctxbuf);
                if (!(reads & (1u << fi))) {
                    double us;
                    kdesc_t d;
                    snprintf(set, sizeof set, "%s.%s=%s", r->op, FIELD_NAMES[fi],
                             vals[0] ? vals[0] : "0");
                    int rc = probe(arch, STACKS[si], r->op, 2, set, NULL, &us, &d, err, sizeof err);
                    CHECK(rc != 0 && strstr(err, "reads") != NULL,
                          "%s: --set %s accepted but no row of %s reads %s", STACKS[si], set, r->op,
                          FIELD_NAMES[fi]);
                    continue;
                }
                int did_move = 0, reached = 0;
                for (size_t k = 0; vals[k] && !did_move; k++)
                    for (int g = 0; g < g_n && !did_move; g++) {
                        double us, ref_us = base_us[g];
                        kdesc_t d, ref_d = base_d[g];
                        snprintf(set, sizeof set, "%s.%s=%s", r->op, FIELD_NAMES[fi], vals[k]);
                        if (ctx && probe(arch, STACKS[si], r->op, seqs[g], ctx, NULL, &ref_us, &ref_d,
                                         err, sizeof err) != 0)
                            continue;
                        if (probe(arch, STACKS[si], r->op, seqs[g], ctx, set, &us, &d, err,
                                  sizeof err) != 0) {
                            if (why[0] == '\0' || strstr(why, r->op) == NULL)
                                snprintf(why, sizeof why, "%s", err);
                            continue;
                        }
                        reached |= memcmp(&d, &ref_d, sizeof d) != 0;
                        did_move = us != ref_us;
                    }
                if (did_move) {
                    moved++;
                } else if (reached && fi >= 4 && fi <= 7) {
                    same_time++;
                    printf("stack_test: %s %s.%s reaches the kernel, no value tried moves its time\n",
                           STACKS[si], r->op, FIELD_NAMES[fi]);
                } else if (reached) {
                    CHECK(0, "%s on %s: %s.%s reaches the kernel but no value tried moves its time",
                          STACKS[si], arch, r->op, FIELD_NAMES[fi]);
                } else if (why[0]) {
                    refused++;
                    CHECK(strstr(why, r->op) != NULL || strstr(why, FIELD_NAMES[fi]) != NULL,
                          "%s: --set %s.%s refused without naming the op, field or rule: %s",
                          STACKS[si], r->op, FIELD_NAMES[fi], why);
                } else {
                    CHECK(0, "%s on %s: --set %s.%s accepted but never reaches the kernel",
                          STACKS[si], arch, r->op, FIELD_NAMES[fi]);
                }
            }
        }
        stack_free(st);
    }
    CHECK(moved > 60, "only %d op fields moved a time (%d refused)", moved, refused);
    printf("stack_test: %d op fields moved their op, %d reached it without a time change, "
           "%d refused with a reason\n", moved, same_time, refused);
}

/* Stack-wide keys move what they name. */
static void test_stack_keys_move_what_they_name(check_t *ck)
{
    char err[1400];
    decode_result_t a, b;
    if (step("gb10", "vllm-cutlass", NULL, &a, err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    if (step("gb10", "vllm-cutlass", "kv_dtype=fp8e4m3", &b, err, sizeof err) == 0) {
        CHECK(op_us(&b, "attention") < op_us(&a, "attention"), "fp8 KV: attention %.3f vs %.3f",
              op_us(&b, "attention"), op_us(&a, "attention"));
        CHECK(b.min_bytes < a.min_bytes, "fp8 KV: min bytes %.0f vs %.0f", b.min_bytes, a.min_bytes);
        decode_free(&b);
    } else
        CHECK(0, "%s", err);
    if (step("gb10", "vllm-cutlass", "graphs=on", &b, err, sizeof err) == 0) {
        CHECK(b.graphs == 1 && b.gap_us < a.gap_us, "graphs=on: gap %.1f vs %.1f", b.gap_us, a.gap_us);
        decode_free(&b);
    } else
        CHECK(0, "%s", err);
    if (step("gb10", "vllm-cutlass", "host_us_per_kernel=20", &b, err, sizeof err) == 0) {
        CHECK(b.step_us > a.step_us, "host 20 us: step %.1f vs %.1f", b.step_us, a.step_us);
        decode_free(&b);
    } else
        CHECK(0, "%s", err);
    if (step("gb10", "vllm-cutlass", "act_dtype=fp32", &b, err, sizeof err) == 0) {
        CHECK(op_us(&b, "norm") > op_us(&a, "norm"), "fp32 activations: norm %.3f vs %.3f",
              op_us(&b, "norm"), op_us(&a, "norm"));
        decode_free(&b);
    } else
        CHECK(0, "%s", err);
    decode_free(&a);
}

/* A weight format moves the physical limit as it moves the GEMV. */
static void test_weight_format_moves_the_limit(check_t *ck)
{
    char err[1400];
    decode_result_t a, b;
    if (step("gb10", "vllm-cutlass", NULL, &a, err, sizeof err) != 0 ||
        step("gb10", "vllm-cutlass", "lm_head.weights=mxfp4", &b, err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    CHECK(b.min_bytes < a.min_bytes && b.limit_tok_per_s > a.limit_tok_per_s,
          "lm_head mxfp4: min bytes %.0f vs %.0f", b.min_bytes, a.min_bytes);
    CHECK(op_us(&b, "lm_head") < op_us(&a, "lm_head"), "lm_head mxfp4: %.2f vs %.2f us",
          op_us(&b, "lm_head"), op_us(&a, "lm_head"));
    decode_free(&a);
    decode_free(&b);
}

/* vLLM's Marlin MoE stores gpt-oss's experts padded (hidden 2880 -> 3072,
 * intermediate 2880 -> 2944) and pads each expert's rows to whole moe blocks
 * (8 rows while M top_k / E / 8 < 0.9, then 16, ...): the FC GEMMs run the
 * padded shapes, one group per block, and the limit counts the padded bytes. */
static void test_marlin_pads_experts(check_t *ck)
{
    char err[1400];
    setup_t s;
    if (setup_load_stack(&s, "gb10", "gpt-oss-120b", "vllm-marlin", 0, NULL, 0, err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    const struct {
        int64_t tokens;
        int block;
    } CASES[] = {{1, 8}, {64, 8}, {230, 8}, {231, 16}, {1024, 48}};
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        step_geom_t g;
        stack_geom(&s.model, CASES[c].tokens, 1, 512, 0, &g);
        for (size_t i = 0; i < s.stack->n_kernels; i++) {
            const stack_kernel_t *r = &s.stack->kernels[i];
            if (r->shape != SH_FC1 && r->shape != SH_FC2)
                continue;
            kdesc_t d;
            if (!CHECK(stack_kdesc(s.stack, r, &s.arch, &s.model, &g, 0, &d, err, sizeof err) == 0,
                       "%s", err))
                continue;
            int fc1 = r->shape == SH_FC1;
            CHECK(d.n == (fc1 ? 5888 : 3072) && d.k == (fc1 ? 3072 : 2944), "%s: n %lld k %lld",
                  r->op, (long long)d.n, (long long)d.k);
            /* groups = expected blocks, each of the block's rows */
            int bs = CASES[c].block;
            double blocks = route_blocks(&g.route, &s.model, CASES[c].tokens, bs);
            CHECK(d.groups == (int64_t)llround(blocks) && d.m == d.groups * bs &&
                      d.groups >= (int64_t)llround(g.experts_active) &&
                      d.tile_n == (bs == 48 ? 64 : bs),
                  "M=%lld: groups %lld rows %lld tile_n %d, want %.1f blocks of %d (experts %.1f)",
                  (long long)CASES[c].tokens, (long long)d.groups, (long long)d.m, d.tile_n, blocks,
                  bs, g.experts_active);
        }
    }
    /* the limit's expert bytes at M = 1: 9 % more than the model's (the rest
     * without experts also drops the bf16 router) */
    step_geom_t g;
    stack_geom(&s.model, 1, 1, 0, 0, &g);
    llm_t dense = s.model;
    double padded = stack_min_bytes(s.stack, &s.model, &g);
    dense.n_experts = dense.top_k = dense.expert_inter = 0;
    double rest = stack_min_bytes(s.stack, &dense, &g);
    double want = s.model.n_layers * (4 * (5888.0 * 3072 + 3072.0 * 2944) * 4.25 / 8 +
                                      128.0 * 2880 * 2);
    CHECK(fabs((padded - rest) / want - 1) < 1e-9, "expert bytes %.0f, want %.0f", padded - rest, want);
    setup_free(&s);
}

/* Rule: a tile a validity rule forbids is refused with the rule unless that
 * rule is relaxed; relaxed, it runs and the result says hypothetical. */
static void test_relaxed_rule_runs_and_is_hypothetical(check_t *ck)
{
    const char *sets[] = {"moe_fc1.tile=64x128x128"};
    for (int relaxed = 0; relaxed < 2; relaxed++) {
        setup_t s;
        char err[1400];
        unsigned mask = 0;
        if (relaxed)
            CHECK(gemm_rule_mask("block_scaled_tile_m_whole_sf_atoms,cooperative_tile_m_at_least_128",
                                 &mask, err, sizeof err) == 0, "%s", err);
        if (setup_load_stack(&s, "gb10", "gpt-oss-20b", "vllm-cutlass", mask, sets, 1, err,
                             sizeof err) != 0) {
            CHECK(0, "%s", err);
            return;
        }
        decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack, .seqs = 1,
                          .q_len = 1, .ctx = 512, .layers = 1, .graphs = -1};
        decode_result_t r;
        int rc = decode_run(&c, &r, err, sizeof err);
        if (!relaxed)
            CHECK(rc != 0 && strstr(err, "block_scaled_tile_m_whole_sf_atoms") != NULL,
                  "TileM 64 on SM12x block-scaled: rc %d, %s", rc, rc ? err : "accepted");
        else {
            CHECK(rc == 0, "relaxed: %s", err);
            if (rc == 0) {
                CHECK(r.hypothetical, "relaxed TileM 64 not marked hypothetical");
                decode_free(&r);
            }
        }
        setup_free(&s);
    }
    unsigned m;
    char err[600];
    CHECK(gemm_rule_mask("no_such_rule", &m, err, sizeof err) != 0 && strstr(err, "no_such_rule"),
          "unknown rule accepted");
}

/* A small-kernel impl given by --set names its family through the row's own
 * impl text, which the row keeps (a copy made while setting it is gone by the
 * time a step runs): the step's descriptor of that row runs the family and
 * functor the --set named. */
static void test_set_small_impl_reaches_the_step(check_t *ck)
{
    setup_t s;
    char err[1200] = "";
    if (!CHECK(load_small(&s, "h100", "torch-bf16", "topk.impl=small:ew_vector:sigmoid", NULL, err,
                          sizeof err) == 0, "%s", err))
        return;
    step_geom_t g;
    stack_geom(&s.model, 1, 1, 2048, 0, &g);
    int took = 0;
    for (size_t i = 0; i < s.stack->n_kernels; i++) {
        const stack_kernel_t *r = &s.stack->kernels[i];
        if (strcmp(r->op, "topk") != 0 || stack_kernel_small(r) == NULL ||
            strcmp(stack_kernel_small(r), "ew_vector:sigmoid") != 0)
            continue;
        kdesc_t d;
        int rc = stack_kdesc(s.stack, r, &s.arch, &s.model, &g, 0, &d, err, sizeof err);
        CHECK(rc == 0 && d.small.family != NULL && d.small.functor != NULL &&
                  strcmp(d.small.functor, "sigmoid") == 0 && d.small.code != NULL,
              "%s (%s): rc %d, functor %s: %s", r->op, r->kernel, rc,
              d.small.functor ? d.small.functor : "(none)", err);
        took++;
    }
    CHECK(took >= 1, "no topk row took small:ew_vector:sigmoid");
    setup_free(&s);
}

/* Parsing rules: each malformed stack file is refused with file:line and what
 * was expected. */
static void test_malformed_stack_files_are_refused(check_t *ck)
{
    static const char HEAD[] =
        "key,value,unit,source\n"
        "desc,test,text,s\ngraphs,off,bool,s\nhost_us_per_kernel,0,us,s\n"
        "act_dtype,bf16,dtype,s\nkv_dtype,bf16,dtype,s\nrecorded_cc,0,cc,s\n\n"
        "op,where,shape,impl,weights,acts,tile,schedule,swap_ab,stages,cluster,split_k,grid,sf_vec,"
        "kernel,source\n";
    static const struct {
        const char *rows;   /* after HEAD; NULL: the text is bad_head */
        const char *bad_head;
        const char *want;   /* in the message */
    } CASES[] = {
        {"qkv_proj,layer,qkv,cublas-gemv,bf16,bf16,,,,,,,,,k,s\n", NULL, NULL},
        {"qkv_proj,layer,qkv,no-such-impl,bf16,bf16,,,,,,,,,k,s\n", NULL, ":10: column 'impl'"},
        {"qkv_proj,layer,qkv,flashinfer-fa2,,,,,,,,,,,k,s\n", NULL, "cannot compute shape 'qkv'"},
        {"qkv_proj,layer,nonsense,ew,,,,,,,,,,,k,s\n", NULL, "column 'shape'"},
        {"qkv_proj,sometimes,qkv,ew,,,,,,,,,,,k,s\n", NULL, "column 'where'"},
        {"qkv_proj,layer,qkv,cublas-gemv,bf16,bf16,,,,,,,,,k,\n", NULL, "source"},
        {"qkv_proj,layer,qkv,cublas-gemv,bf16,,,,,,,,,,k,s\n", NULL, "weights and acts"},
        {"norm,layer,norm,ew,,,128x8x64,,,,,,,,k,s\n", NULL, "does not read it"},
        {"moe_fc1,layer,fc1,cutlass-grouped,mxfp4,mxfp8,12x8,,,,,,,,k,s\n", NULL, "tile '12x8'"},
        {"moe_fc1,layer,fc1,cutlass-grouped,mxfp4,mxfp8,,,,,3x1x1,,,,k,s\n", NULL, "cluster"},
        {"norm,layer,norm,ew,,,,,,,,,,,k\n", NULL, "expected 16 fields"},
        {NULL, "key,value,unit,source\ngraphs,maybe,bool,s\n", "graphs 'maybe'"},
        {NULL, "key,value,unit,source\nfoo,1,us,s\n", "unknown stack key 'foo'"},
        {NULL, "key,value,unit,source\nhost_us_per_kernel,5,ms,s\n", "unit 'ms'"},
        {NULL, "key,value,unit,source\ndesc,x,text,s\n\nop,where\n", "missing"},
        {NULL, "k,v\n", "key,value,unit,source"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char text[2048];
        if (CASES[i].rows)
            snprintf(text, sizeof text, "%s%s", HEAD, CASES[i].rows);
        else
            snprintf(text, sizeof text, "%s", CASES[i].bad_head);
        char err[1400] = "";
        stack_desc_t *s = stack_parse("t.csv", text, strlen(text), err, sizeof err);
        if (CASES[i].want == NULL) {
            CHECK(s != NULL, "case %zu refused: %s", i, err);
        } else {
            CHECK(s == NULL && strstr(err, CASES[i].want) != NULL && strncmp(err, "t.csv:", 6) == 0,
                  "case %zu: want '%s', got %s", i, CASES[i].want, s ? "accepted" : err);
        }
        stack_free(s);
    }
}

/* Unknown ops and fields in --set are errors that say what is valid. */
static void test_unknown_set_keys_are_refused(check_t *ck)
{
    static const struct {
        const char *set, *want;
    } CASES[] = {
        {"moe_fc1.colour=red", "unknown field 'colour'"},
        {"ffn_act.acts=bf16x", "acts 'bf16x'"},
        {"nosuchop.tile=128x128x128", "unknown key 'nosuchop.tile'"},
        {"dense_weight_bits=8", "<op>.weights=FMT"},
        {"kv_bits=8", "kv_dtype=FMT"},
        {"desc=x", "changes no time"},
        {"moe_fc1.tile=128x128", "tile '128x128'"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        setup_t s;
        char err[1400] = "";
        const char *sets[1] = {CASES[i].set};
        int rc = setup_load_stack(&s, "gb10", "gpt-oss-120b", "vllm-cutlass", 0, sets, 1, err, sizeof err);
        CHECK(rc != 0 && strstr(err, CASES[i].want) != NULL, "--set %s: want '%s', got %s",
              CASES[i].set, CASES[i].want, rc ? err : "accepted");
        if (rc == 0)
            setup_free(&s);
    }
}

int main(void)
{
    check_t ck = check_begin("stack_test");
    test_set_small_impl_reaches_the_step(&ck);
    test_malformed_stack_files_are_refused(&ck);
    test_unknown_set_keys_are_refused(&ck);
    test_relaxed_rule_runs_and_is_hypothetical(&ck);
    test_weight_format_moves_the_limit(&ck);
    test_marlin_pads_experts(&ck);
    test_stack_keys_move_what_they_name(&ck);
    test_every_field_moves_the_op_it_names(&ck);
    return check_end(&ck);
}
