/* decode_test.c -- invariants of the decode-step simulation. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/decode.h"
#include "models/stack.h"
#include "models/setup.h"
#include "tests/check.h"
#include "tests/testarch.h"

/* One step of B sequences of one position each; 0, or -1 with a failure
 * recorded. */
static int run(const char *arch, const char *model, const char *stack, int64_t seqs, int64_t ctx,
               int layers, int graphs, decode_result_t *r, check_t *ck)
{
    setup_t s;
    char err[1200];
    if (setup_load_stack(&s, arch, model, stack, 0, NULL, 0, err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return -1;
    }
    decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack, .seqs = seqs,
                      .q_len = 1, .ctx = ctx, .layers = layers, .graphs = graphs};
    int rc = decode_run(&c, r, err, sizeof err);
    CHECK(rc == 0, "%s %s %s: %s", arch, model, stack, err);
    setup_free(&s);
    return rc;
}

/* The stack preset `name` (a failure recorded and NULL if it does not load). */
static stack_desc_t *stack_of(const char *name, check_t *ck)
{
    char err[1200];
    stack_desc_t *st = stack_load(name, err, sizeof err);
    CHECK(st != NULL, "%s", err);
    return st;
}

static void test_step_time_is_kernel_time_plus_idle(check_t *ck)
{
    decode_result_t r;
    if (run("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 2048, 0, -1, &r, ck))
        return;
    CHECK(fabs(r.step_us - (r.kernel_us + r.gap_us)) < 1e-6 * r.step_us + 1e-3,
          "step %.3f kernel %.3f gap %.3f", r.step_us, r.kernel_us, r.gap_us);
    double share = 0, us = 0;
    for (size_t i = 0; i < r.n; i++) {
        share += r.rows[i].share_pct;
        us += r.rows[i].us_step;
    }
    CHECK(fabs(share - 100) < 1e-6, "shares sum to %.6f", share);
    CHECK(fabs(us - r.step_us) < 1e-6 * r.step_us, "rows sum %.3f step %.3f", us, r.step_us);
    decode_free(&r);
}

static const char *const STACKS[] = {"vllm-cutlass", "vllm-marlin", "llamacpp", "torch-bf16"};
static const char *const MODELS[] = {"gpt-oss-120b", "gpt-oss-20b", "llama-3.1-8b", "llama-3.3-70b",
                                     "qwen3-30b-a3b"};
#define N_STACKS (sizeof STACKS / sizeof STACKS[0])
#define N_MODELS (sizeof MODELS / sizeof MODELS[0])

/* tok/s never exceeds the bytes that must move over peak DRAM bandwidth, for
 * every stack x model x batch x speculation that fits the device; what does not
 * fit fails with the capacity message and nothing else, so every model runs on
 * every stack that can hold it. The batches cross the kernel switches: vLLM's
 * Triton attention above 16 sequences, Marlin's 16-row MoE blocks above 230
 * tokens of gpt-oss-120b. Every model runs on at least one stack on GB10. */
static void test_no_stack_beats_the_dram_limit(check_t *ck)
{
    static const int64_t BATCHES[] = {1, 4, 17, 64, 256};
    for (size_t m = 0; m < N_MODELS; m++) {
        int ran = 0;
        for (size_t st = 0; st < N_STACKS; st++)
            for (size_t bi = 0; bi < sizeof BATCHES / sizeof BATCHES[0]; bi++)
                for (int64_t k = 1, seqs = BATCHES[bi]; k <= (seqs == 1 ? 4 : 1); k *= 4) {
                    setup_t s;
                    char err[1200];
                    if (setup_load_stack(&s, "gb10", MODELS[m], STACKS[st], 0, NULL, 0, err,
                                         sizeof err) != 0) {
                        CHECK(0, "%s", err);
                        continue;
                    }
                    decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack,
                                      .seqs = seqs, .q_len = k, .ctx = 1024, .graphs = -1,
                                      .speculative = k > 1, .accept = 0.7};
                    decode_result_t r;
                    if (decode_run(&c, &r, err, sizeof err) != 0) {
                        /* the capacity, or a kernel path the stack's library has past
                         * these tokens that gbsim does not model (llama.cpp's MMQ) */
                        CHECK(strstr(err, "does not fit") != NULL ||
                                  (seqs * k > 8 && strstr(err, "not modelled") != NULL),
                              "%s %s B=%lld K=%lld: %s",
                              STACKS[st], MODELS[m], (long long)seqs, (long long)k, err);
                    } else {
                        ran++;
                        CHECK(r.tok_per_s < r.limit_tok_per_s, "%s %s B=%lld K=%lld: %.2f >= limit %.2f",
                              STACKS[st], MODELS[m], (long long)seqs, (long long)k, r.tok_per_s,
                              r.limit_tok_per_s);
                        decode_free(&r);
                    }
                    setup_free(&s);
                }
        CHECK(ran > 0, "%s runs on no stack on gb10", MODELS[m]);
    }
}

static void test_every_layer_kernel_runs_once_per_layer(check_t *ck)
{
    decode_result_t r;
    if (run("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 2048, 5, -1, &r, ck))
        return;
    for (size_t i = 0; i < r.n; i++) {
        if (!strcmp(r.rows[i].op, "moe_fc1") || !strcmp(r.rows[i].op, "attention"))
            CHECK(r.rows[i].calls == 5, "%s calls %d", r.rows[i].op, r.rows[i].calls);
        if (!strcmp(r.rows[i].op, "lm_head"))
            CHECK(r.rows[i].calls == 1, "lm_head calls %d", r.rows[i].calls);
    }
    decode_free(&r);
}

static void test_graphs_never_slow_a_step(check_t *ck)
{
    decode_result_t e, g;
    if (run("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 2048, 4, 0, &e, ck) ||
        run("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 2048, 4, 1, &g, ck))
        return;
    CHECK(g.step_us <= e.step_us, "graphs %.1f > eager %.1f", g.step_us, e.step_us);
    CHECK(fabs(g.kernel_us - e.kernel_us) < 1e-9, "kernel time depends on launch mode");
    decode_free(&e);
    decode_free(&g);
}

/* More tokens per step amortize the weight reads: tok/s grows with M. */
static void test_tokens_per_second_grow_with_tokens_per_step(check_t *ck)
{
    double prev = 0;
    for (int64_t tok = 1; tok <= 16; tok *= 4) {
        decode_result_t r;
        if (run("gb10", "gpt-oss-120b", "vllm-cutlass", tok, 2048, 0, -1, &r, ck))
            return;
        CHECK(r.tok_per_s > prev, "M=%lld: %.2f tok/s not above %.2f", (long long)tok, r.tok_per_s, prev);
        prev = r.tok_per_s;
        decode_free(&r);
    }
}

/* The limit counts each active weight once and the KV cache once. */
static void test_limit_counts_active_weights_at_the_stack_format(check_t *ck)
{
    decode_result_t r;
    if (run("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 0, 0, -1, &r, ck))
        return;
    /* workload_facts.md 1.4: ~5.0 GB per token at checkpoint precisions */
    CHECK(r.min_bytes > 4.9e9 && r.min_bytes < 5.2e9, "min bytes %.3g", r.min_bytes);
    decode_free(&r);
}

/* Leviathan et al. 2023 eq. 1: E = (1 - a^(g+1)) / (1 - a). */
static void test_speculative_tokens_follow_the_expected_acceptance_formula(check_t *ck)
{
    CHECK(fabs(decode_spec_tokens(0.665, 3) - (1 + 0.665 + 0.665 * 0.665 + pow(0.665, 3))) < 1e-12,
          "a=0.665 g=3: %.6f", decode_spec_tokens(0.665, 3));
    CHECK(decode_spec_tokens(1.0, 4) == 5.0, "a=1 g=4: %.3f", decode_spec_tokens(1.0, 4));
    CHECK(decode_spec_tokens(0.0, 7) == 1.0, "a=0 g=7: %.3f", decode_spec_tokens(0.0, 7));
}

/* H100 with gpt-oss-120b; 0 (a failure recorded) if the presets do not load. */
static int load_h100(setup_t *s, check_t *ck)
{
    char err[512];
    int ok = setup_load(s, "h100", "gpt-oss-120b", NULL, 0, err, sizeof err) == 0;
    CHECK(ok, "%s", err);
    return ok;
}

/* The first row of stack st whose op or kernel is name (NULL if none). */
static const stack_kernel_t *row_of(const stack_desc_t *st, const char *name)
{
    for (size_t i = 0; i < st->n_kernels; i++)
        if (!strcmp(st->kernels[i].op, name) || !strcmp(st->kernels[i].kernel, name))
            return &st->kernels[i];
    return NULL;
}

/* A stack's dense GEMV runs the tiled kernel its library launched (the
 * torch-bf16 nvjet configurations from the shape traces) while the tokens fit
 * the tile's token side, and a tiled kernel of the library's own choosing
 * after that (no tile given: kmodel.c's chooser); on an arch the launch was
 * not recorded on, the GEMV implementation. */
static void test_dense_gemv_runs_the_recorded_launch_while_tokens_fit(check_t *ck)
{
    setup_t s;
    char err[512];
    if (!load_h100(&s, ck))
        return;
    stack_desc_t *st = stack_of("torch-bf16", ck);
    const stack_kernel_t *qkv = st ? row_of(st, "qkv_proj") : NULL;
    CHECK(qkv != NULL, "no qkv_proj row");
    if (qkv == NULL) {
        stack_free(st);
        return;
    }
    const int64_t tokens[] = {1, 8, 9};
    for (int i = 0; i < 3; i++) {
        step_geom_t g;
        stack_geom(&s.model, tokens[i], 1, 2048, 0, &g);
        kdesc_t d;
        CHECK(stack_kdesc(st, qkv, &s.arch, &s.model, &g, 0, &d, err, sizeof err) == 0, "%s", err);
        if (tokens[i] <= 8)
            CHECK(d.kind == KM_GEMM && d.tile_m == 64 && d.tile_n == 8 && d.tile_k == 64 && d.swap_ab &&
                      d.stages == 16 && d.cluster_m == 4 && d.grid_ctas == 80,
                  "M=%lld: kind %d tile %dx%dx%d grid %d", (long long)tokens[i], (int)d.kind, d.tile_m,
                  d.tile_n, d.tile_k, d.grid_ctas);
        /* the step's table names the kernel that runs */
        const char *name = stack_row_kernel(qkv, &s.arch, &s.model, &g, &d);
        CHECK(tokens[i] <= 8 ? strcmp(name, qkv->kernel) == 0
                             : strcmp(name, "tiled GEMM (the arch's default library)") == 0,
              "M=%lld: row named '%s'", (long long)tokens[i], name);
        if (tokens[i] > 8)
            CHECK(d.kind == KM_GEMM && d.tile_m == 0, "M=%lld: kind %d tile_m %d",
                  (long long)tokens[i], (int)d.kind, d.tile_m);
    }
    /* o_proj's split-K reduce runs after the recorded split-K launch only */
    const stack_kernel_t *red = NULL;
    for (size_t i = 0; i < st->n_kernels; i++)
        if (!strcmp(st->kernels[i].op, "o_proj") && stack_kernel_small(&st->kernels[i]) &&
            !strcmp(stack_kernel_small(&st->kernels[i]), "splitk_reduce"))
            red = &st->kernels[i];
    if (CHECK(red != NULL, "no o_proj split-K reduce row")) {
        for (int64_t m = 8; m <= 9; m++) {
            step_geom_t g;
            stack_geom(&s.model, m, 1, 2048, 0, &g);
            int split = stack_split_k_of(st, red, &s.arch, &g);
            CHECK(m == 8 ? split == 2 : split == 0, "M=%lld: the reduce row sees split %d",
                  (long long)m, split);
        }
    }
    setup_t gb;
    if (setup_load(&gb, "gb10", "gpt-oss-120b", NULL, 0, err, sizeof err) == 0) {
        step_geom_t g;
        stack_geom(&gb.model, 9, 1, 2048, 0, &g);
        kdesc_t d;
        CHECK(stack_kdesc(st, qkv, &gb.arch, &gb.model, &g, 0, &d, err, sizeof err) == 0, "%s", err);
        CHECK(d.kind == KM_GEMV && d.tile_m == 0, "gb10, M=9: kind %d tile_m %d", (int)d.kind, d.tile_m);
        /* the nvjet kernel the row records does not run here: its GEMV does */
        const char *name = stack_row_kernel(qkv, &gb.arch, &gb.model, &g, &d);
        CHECK(d.gemv != NULL && strcmp(name, d.gemv->kernel) == 0, "gb10, M=9: row named '%s'", name);
        /* llama.cpp's expert GEMV (mmvq with ids) keeps its name at 9 tokens, while
         * its dense q8_0 GEMVs run a tiled GEMM past their 8 columns */
        stack_desc_t *lc = stack_of("llamacpp", ck);
        const stack_kernel_t *fc1 = lc ? row_of(lc, "moe_fc1") : NULL, *o = lc ? row_of(lc, "o_proj") : NULL;
        if (CHECK(fc1 != NULL && o != NULL, "llamacpp: no moe_fc1 or o_proj row")) {
            CHECK(stack_kdesc(lc, fc1, &gb.arch, &gb.model, &g, 0, &d, err, sizeof err) == 0, "%s", err);
            name = stack_row_kernel(fc1, &gb.arch, &gb.model, &g, &d);
            CHECK(d.kind == KM_GEMV && strcmp(name, fc1->kernel) == 0, "llamacpp moe_fc1: kind %d, '%s'",
                  (int)d.kind, name);
            CHECK(stack_kdesc(lc, o, &gb.arch, &gb.model, &g, 0, &d, err, sizeof err) == 0, "%s", err);
            name = stack_row_kernel(o, &gb.arch, &gb.model, &g, &d);
            CHECK(d.kind == KM_GEMM && strcmp(name, "tiled GEMM (the arch's default library)") == 0,
                  "llamacpp o_proj: kind %d, '%s'", (int)d.kind, name);
        }
        stack_free(lc);
    } else {
        CHECK(0, "%s", err);
    }
    stack_free(st);
}

/* A graph whose step streams more weight bytes than L2 holds finds its node
 * state evicted at every replay: the gap between its kernels is the arch's
 * cold graph gap (microbench/kgap_probe.py), the warm one otherwise. */
static void test_graph_gap_is_cold_when_the_step_streams_more_than_l2(check_t *ck)
{
    setup_t s;
    char err[512];
    if (!load_h100(&s, ck))
        return;
    stack_desc_t *st = stack_of("torch-bf16", ck);
    for (int big_l2 = 0; st && big_l2 < 2; big_l2++) {
        arch_t a = s.arch;
        if (big_l2)
            a.l2_bytes = 1e10;   /* holds the whole 4-layer step */
        decode_cfg_t c = {.arch = &a, .model = &s.model, .stack = st,
                          .seqs = 1, .q_len = 1, .ctx = 2048, .layers = 4, .graphs = 1};
        decode_result_t r;
        if (decode_run(&c, &r, err, sizeof err) != 0) {
            CHECK(0, "%s", err);
            break;
        }
        double want = big_l2 ? a.graph_gap_ns : a.graph_gap_cold_ns;
        double per = (r.gap_us - a.launch_api_us) / (double)(r.kernels - 1) * 1e3;
        CHECK(fabs(per - want) < 1e-6, "l2 %.0f B: gap %.3f ns per kernel, want %.0f", a.l2_bytes,
              per, want);
        decode_free(&r);
    }
    CHECK(s.arch.graph_gap_cold_ns > s.arch.graph_gap_ns, "h100 cold gap %.0f warm %.0f",
          s.arch.graph_gap_cold_ns, s.arch.graph_gap_ns);
    stack_free(st);
}

/* A small kernel's code is cold at launch: the other kernels of a layer evict
 * it from the SM's instruction caches, and from L2 too when the step streams
 * more than L2 holds; right after a launch of the same kernel it is hot. */
static void test_small_kernel_code_is_cold_unless_the_same_kernel_just_ran(check_t *ck)
{
    setup_t s;
    char err[512];
    if (!load_h100(&s, ck))
        return;
    stack_desc_t *st = stack_of("torch-bf16", ck);
    const char *kernels[] = {"reduce_kernel sum", "clamp (gate)", "clamp (up)"};
    for (int big_l2 = 0; st && big_l2 < 2; big_l2++) {
        arch_t a = s.arch;
        if (big_l2)
            a.l2_bytes = 1e12;   /* holds the whole step */
        step_geom_t g;
        stack_geom(&s.model, 1, 1, 2048, 0, &g);
        for (int k = 0; k < 3; k++) {
            const stack_kernel_t *r = row_of(st, kernels[k]);
            CHECK(r != NULL, "no row %s", kernels[k]);
            if (r == NULL)
                break;
            kdesc_t d;
            CHECK(stack_kdesc(st, r, &a, &s.model, &g, 0, &d, err, sizeof err) == 0, "%s", err);
            ks_level_t want = k == 2 ? KS_NONE : big_l2 ? KS_L2 : KS_DRAM;
            CHECK(d.small.shape.code == want, "l2 %.0f B, %s: code level %d, want %d", a.l2_bytes,
                  kernels[k], (int)d.small.shape.code, (int)want);
        }
    }
    stack_free(st);
}

/* The torch-bf16 launches were recorded on sm_90 (cuBLAS nvjet_sm90 kernels
 * with clusters): on SM12x, which has no multicast, gbsim picks its own
 * configuration and the step runs instead of failing tile validation. */
static void test_recorded_launches_apply_only_on_their_arch(check_t *ck)
{
    const char *arches[2] = {"h100", "gb10"};
    for (int i = 0; i < 2; i++) {
        setup_t s;
        char err[512];
        if (setup_load(&s, arches[i], "gpt-oss-120b", NULL, 0, err, sizeof err) != 0) {
            CHECK(0, "%s", err);
            return;
        }
        stack_desc_t *st = stack_of("torch-bf16", ck);
        const stack_kernel_t *qkv = st ? row_of(st, "qkv_proj") : NULL;
        CHECK(qkv != NULL, "torch-bf16 has no qkv_proj row");
        if (qkv == NULL) {
            stack_free(st);
            return;
        }
        step_geom_t g;
        stack_geom(&s.model, 1, 1, 2048, 0, &g);
        kdesc_t d;
        CHECK(stack_kdesc(st, qkv, &s.arch, &s.model, &g, 0, &d, err, sizeof err) == 0, "%s", err);
        int recorded = d.kind == KM_GEMM && d.cluster_m == 4;
        CHECK(recorded == (i == 0), "%s: qkv kind %d cluster %d", arches[i], (int)d.kind, d.cluster_m);
        stack_free(st);
        decode_result_t r;
        if (run(arches[i], "gpt-oss-120b", "torch-bf16", 1, 2048, 2, 1, &r, ck) == 0)
            decode_free(&r);
    }
}

/* ------------------------------------------------------ tensor parallel -- */

/* Round numbers: 10 GB/s = 1e4 B/us, 2 us per ring step, 5 us per collective. */
static const link_t TEST_LINK = {.link_bw_gbps = 10, .link_latency_us = 2, .msg_overhead_us = 5,
                                 .max_gpus = 8};

/* One step of B sequences on tp GPUs joined by link (tp 1: link unused) after
 * --set sets (link keys need link_name); 0, or -1 with err (no failure
 * recorded: callers check what they expect). */
static int run_tp(const char *arch, const char *model, const char *stack, int64_t seqs, int layers,
                  int tp, const char *link_name, const link_t *link, const char *const *sets,
                  int nsets, decode_result_t *r, char *err, size_t errlen)
{
    setup_t s;
    if (setup_load_stack_link(&s, arch, model, stack, link_name, 0, sets, nsets, err, errlen) != 0)
        return -1;
    decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack, .seqs = seqs,
                      .q_len = 1, .ctx = 2048, .layers = layers, .graphs = -1, .tp = tp,
                      .link = link != NULL ? link : &s.link};
    int rc = decode_run(&c, r, err, errlen);
    setup_free(&s);
    return rc;
}

/* The first result row of op, or NULL. */
static const decode_row_t *op_row(const decode_result_t *r, const char *op)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->rows[i].op, op))
            return &r->rows[i];
    return NULL;
}

/* --tp 1 is one GPU: the same rows and step as a configuration without tp,
 * whatever link it names, and no collective rows. */
static void test_tp1_is_one_gpu(check_t *ck)
{
    decode_result_t a, b;
    char err[1200];
    if (run("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 2048, 2, -1, &a, ck))
        return;
    if (run_tp("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 2, 1, NULL, &TEST_LINK, NULL, 0, &b, err,
               sizeof err) != 0) {
        CHECK(0, "%s", err);
        decode_free(&a);
        return;
    }
    CHECK(a.n == b.n && a.step_us == b.step_us && a.min_bytes == b.min_bytes,
          "tp=1: %zu rows, step %.6f vs %zu rows, %.6f", b.n, b.step_us, a.n, a.step_us);
    for (size_t i = 0; i < a.n && i < b.n; i++)
        CHECK(!strcmp(a.rows[i].op, b.rows[i].op) && a.rows[i].us_step == b.rows[i].us_step &&
              a.rows[i].calls == b.rows[i].calls, "row %zu: %s %.6f vs %s %.6f", i,
              b.rows[i].op, b.rows[i].us_step, a.rows[i].op, a.rows[i].us_step);
    CHECK(op_row(&b, "allreduce") == NULL && op_row(&b, "allgather") == NULL,
          "tp=1 has collective rows");
    decode_free(&a);
    decode_free(&b);
}

/* Each split kind at --tp 2, from each row's kernel: column-parallel ops
 * (qkv, FFN gate/up, expert FC1) halve n, row-parallel ops (o_proj, FFN
 * down, expert FC2) halve k, attention halves its query and KV heads, lm_head
 * halves the vocabulary, the router is whole; so every split op's weight
 * bytes halve and the router's stay. */
static void test_tp2_splits_each_op_kind(check_t *ck)
{
    static const char *const models[] = {"gpt-oss-120b", "llama-3.1-8b"};
    stack_desc_t *st = stack_of("vllm-cutlass", ck);
    if (st == NULL)
        return;
    for (size_t mi = 0; mi < 2; mi++) {
        setup_t s;
        char err[1200];
        if (setup_load(&s, "gb10", models[mi], NULL, 0, err, sizeof err) != 0) {
            CHECK(0, "%s", err);
            continue;
        }
        llm_t half;
        CHECK(decode_tp_shard(&s.model, 2, &half, err, sizeof err) == 0, "%s", err);
        step_geom_t g1, g2;
        stack_geom(&s.model, 1, 1, 2048, 0, &g1);
        stack_geom(&half, 1, 1, 2048, 0, &g2);
        int seen[SH_COUNT] = {0};
        for (size_t i = 0; i < st->n_kernels; i++) {
            const stack_kernel_t *r = &st->kernels[i];
            if (!stack_row_applies(r, &s.model))
                continue;
            kdesc_t d1, d2;
            if (stack_kdesc(st, r, &s.arch, &s.model, &g1, 0, &d1, err, sizeof err) != 0 ||
                stack_kdesc(st, r, &s.arch, &half, &g2, 0, &d2, err, sizeof err) != 0) {
                CHECK(0, "%s %s: %s", models[mi], r->op, err);
                continue;
            }
            seen[r->shape] = 1;
            switch (r->shape) {
            case SH_QKV: case SH_FFN_GATE_UP: case SH_FC1: case SH_LM_HEAD:
                CHECK(d2.n * 2 == d1.n && d2.k == d1.k, "%s %s (column): n %lld k %lld of %lld %lld",
                      models[mi], r->op, (long long)d2.n, (long long)d2.k, (long long)d1.n,
                      (long long)d1.k);
                break;
            case SH_O: case SH_FFN_DOWN: case SH_FC2:
                CHECK(d2.k * 2 == d1.k && d2.n == d1.n, "%s %s (row): n %lld k %lld of %lld %lld",
                      models[mi], r->op, (long long)d2.n, (long long)d2.k, (long long)d1.n,
                      (long long)d1.k);
                break;
            case SH_ATTN:
                CHECK(d2.heads_q * 2 == d1.heads_q && d2.heads_kv * 2 == d1.heads_kv,
                      "%s attention heads %lld/%lld of %lld/%lld", models[mi],
                      (long long)d2.heads_q, (long long)d2.heads_kv, (long long)d1.heads_q,
                      (long long)d1.heads_kv);
                break;
            case SH_ROUTER:
                CHECK(d2.n == d1.n && d2.k == d1.k, "%s router split", models[mi]);
                break;
            default:
                break;
            }
        }
        CHECK(seen[SH_QKV] && seen[SH_O] && seen[SH_ATTN] && seen[SH_LM_HEAD], "%s: shapes unseen",
              models[mi]);
        CHECK(mi == 0 ? seen[SH_FC1] && seen[SH_FC2] && seen[SH_ROUTER]
                      : seen[SH_FFN_GATE_UP] && seen[SH_FFN_DOWN], "%s: FFN shapes unseen",
              models[mi]);
        /* held weights: all halve but the router (bf16, replicated) */
        double router = s.model.n_layers * s.model.n_experts * s.model.hidden * 2.0;
        double w1 = stack_weight_bytes(st, &s.model), w2 = stack_weight_bytes(st, &half);
        CHECK(fabs(w2 - (router + (w1 - router) / 2)) < 1e-9 * w1,
              "%s: %.6g B per GPU, expected %.6g", models[mi], w2, router + (w1 - router) / 2);
        CHECK(fabs(stack_kv_bytes(st, &half, &g2) * 2 - stack_kv_bytes(st, &s.model, &g1)) < 1,
              "%s: KV cache does not halve", models[mi]);
        setup_free(&s);
    }
    stack_free(st);
}

/* KV heads fewer than the group: each GPU holds one (vLLM replicates them). */
static void test_tp_replicates_kv_heads_fewer_than_gpus(check_t *ck)
{
    setup_t s;
    char err[1200];
    if (setup_load(&s, "h100", "llama-3.1-8b", NULL, 0, err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    llm_t part;
    CHECK(decode_tp_shard(&s.model, 16, &part, err, sizeof err) == 0, "%s", err);
    CHECK(s.model.n_heads_kv == 8 && part.n_heads_kv == 1 && part.n_heads_q == 2,
          "tp=16 of 32/8 heads: %.0f/%.0f", part.n_heads_q, part.n_heads_kv);
}

/* What --tp cannot split is refused, naming the key. */
static void test_tp_refuses_what_it_cannot_split(check_t *ck)
{
    setup_t s;
    char err[1200];
    if (setup_load(&s, "gb10", "gpt-oss-120b", NULL, 0, err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    llm_t part, m = s.model;
    CHECK(decode_tp_shard(&m, 3, &part, err, sizeof err) != 0 && strstr(err, "n_heads_q=64"),
          "tp=3 of 64 heads: '%s'", err);
    m.n_heads_q = 48;
    m.n_heads_kv = 12;
    CHECK(decode_tp_shard(&m, 8, &part, err, sizeof err) != 0 && strstr(err, "n_heads_kv=12"),
          "tp=8 of 12 KV heads: '%s'", err);
    m = s.model;
    m.expert_inter = 2881;
    CHECK(decode_tp_shard(&m, 2, &part, err, sizeof err) != 0 && strstr(err, "expert_inter=2881"),
          "tp=2 of expert_inter 2881: '%s'", err);
    m = s.model;
    m.n_experts = m.top_k = m.expert_inter = 0;
    m.ffn_inter = 1001;
    CHECK(decode_tp_shard(&m, 2, &part, err, sizeof err) != 0 && strstr(err, "ffn_inter=1001"),
          "tp=2 of ffn_inter 1001: '%s'", err);
    decode_result_t r;
    CHECK(run_tp("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 1, 4, "gb10-cx7", NULL, NULL, 0, &r,
                 err, sizeof err) != 0 && strstr(err, "max_gpus"),
          "tp=4 over a 2-GPU link: '%s'", err);
}

/* The collective rows follow the ring formulas (link.h), worked by hand on
 * TEST_LINK: gpt-oss-120b (hidden 2880, vocab 201088) in bf16 at --tp 2,
 * 2 layers: 2 all-reduces a layer and 1 after the embedding, each of
 * M x 2880 x 2 B, t = 5 + 2 x 2 + 1 x bytes / 1e4; one all-gather of the
 * M x 201088 x 4-B logits, t = 5 + 2 + 0.5 x bytes / 1e4. */
static void test_collectives_follow_the_ring_formula(check_t *ck)
{
    for (int64_t seqs = 1; seqs <= 4; seqs *= 4) {
        decode_result_t r;
        char err[1200];
        if (run_tp("gb10", "gpt-oss-120b", "vllm-cutlass", seqs, 2, 2, NULL, &TEST_LINK, NULL, 0,
                   &r, err, sizeof err) != 0) {
            CHECK(0, "%s", err);
            return;
        }
        const decode_row_t *ar = op_row(&r, "allreduce"), *ag = op_row(&r, "allgather");
        double ar_us = 5 + 4 + seqs * 5760 / 1e4, ag_us = 5 + 2 + 0.5 * seqs * 201088 * 4 / 1e4;
        CHECK(ar && ar->calls == 5 && fabs(ar->us_per_call - ar_us) < 1e-9 &&
              !strcmp(ar->bound, "link"), "B=%lld all-reduce: %d calls x %.6f us, expected 5 x %.6f",
              (long long)seqs, ar ? ar->calls : -1, ar ? ar->us_per_call : -1, ar_us);
        CHECK(ag && ag->calls == 1 && fabs(ag->us_per_call - ag_us) < 1e-9,
              "B=%lld all-gather: %.6f us, expected %.6f", (long long)seqs,
              ag ? ag->us_per_call : -1, ag_us);
        /* the step is still kernels plus idle, and the rows sum to it */
        double us = 0;
        for (size_t i = 0; i < r.n; i++)
            us += r.rows[i].us_step;
        CHECK(fabs(r.step_us - (r.kernel_us + r.gap_us)) < 1e-6 * r.step_us &&
              fabs(us - r.step_us) < 1e-6 * r.step_us, "step %.3f kernel %.3f gap %.3f rows %.3f",
              r.step_us, r.kernel_us, r.gap_us, us);
        decode_free(&r);
    }
}

/* Each link key moves the all-reduce it prices (and so the step); max_gpus
 * admits or refuses the group. */
static void test_each_link_key_moves_the_allreduce(check_t *ck)
{
    static const char *const sets[] = {"link_bw_gbps=2", "link_latency_us=10", "msg_overhead_us=50"};
    decode_result_t base;
    char err[1200];
    if (run_tp("gb10", "gpt-oss-120b", "vllm-cutlass", 4, 1, 2, "gb10-cx7", NULL, NULL, 0, &base,
               err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    const decode_row_t *b = op_row(&base, "allreduce");
    for (size_t i = 0; i < sizeof sets / sizeof sets[0] && b; i++) {
        decode_result_t r;
        if (run_tp("gb10", "gpt-oss-120b", "vllm-cutlass", 4, 1, 2, "gb10-cx7", NULL, &sets[i], 1,
                   &r, err, sizeof err) != 0) {
            CHECK(0, "%s: %s", sets[i], err);
            continue;
        }
        const decode_row_t *a = op_row(&r, "allreduce");
        CHECK(a && a->us_per_call > b->us_per_call && r.step_us > base.step_us,
              "--set %s: all-reduce %.3f us (was %.3f), step %.1f (was %.1f)", sets[i],
              a ? a->us_per_call : -1, b->us_per_call, r.step_us, base.step_us);
        decode_free(&r);
    }
    decode_free(&base);
    const char *four[] = {"max_gpus=4"};
    decode_result_t r;
    CHECK(run_tp("gb10", "llama-3.1-8b", "vllm-cutlass", 1, 1, 4, "gb10-cx7", NULL, NULL, 0, &r,
                 err, sizeof err) != 0 && strstr(err, "max_gpus"), "--tp 4 on max_gpus=2: '%s'", err);
    int rc = run_tp("gb10", "llama-3.1-8b", "vllm-cutlass", 1, 1, 4, "gb10-cx7", NULL, four, 1, &r,
                    err, sizeof err);
    CHECK(rc == 0, "--tp 4 with --set max_gpus=4: %s", err);
    if (rc == 0)
        decode_free(&r);
}

/* The capacity check holds per GPU: llama-3.3-70b in bf16 (141 GB) does not
 * fit one 80-GB H100 but fits two; on two 32-GB RTX 5090s it does not, and
 * the message says per GPU. */
static void test_capacity_is_per_gpu(check_t *ck)
{
    decode_result_t r;
    char err[1200];
    CHECK(run_tp("h100", "llama-3.3-70b", "torch-bf16", 1, 0, 1, NULL, NULL, NULL, 0, &r, err,
                 sizeof err) != 0 && strstr(err, "does not fit"), "one H100: '%s'", err);
    int rc = run_tp("h100", "llama-3.3-70b", "torch-bf16", 1, 0, 2, "h100-nvlink", NULL, NULL, 0,
                    &r, err, sizeof err);
    CHECK(rc == 0, "two H100s: %s", err);
    if (rc == 0)
        decode_free(&r);
    CHECK(run_tp("rtx5090", "llama-3.3-70b", "torch-bf16", 1, 0, 2, "h100-nvlink", NULL, NULL, 0,
                 &r, err, sizeof err) != 0 && strstr(err, "per GPU of --tp 2"),
          "two RTX 5090s: '%s'", err);
}

/* Sampling reads the gathered logits: its time does not depend on --tp;
 * lm_head's weight read halves with the vocabulary. */
static void test_sampling_reads_the_whole_vocabulary(check_t *ck)
{
    decode_result_t a, b;
    char err[1200];
    if (run_tp("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 1, 1, NULL, NULL, NULL, 0, &a, err,
               sizeof err) != 0 ||
        run_tp("gb10", "gpt-oss-120b", "vllm-cutlass", 1, 1, 2, "gb10-cx7", NULL, NULL, 0, &b, err,
               sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    const decode_row_t *s1 = op_row(&a, "sample"), *s2 = op_row(&b, "sample");
    const decode_row_t *h1 = op_row(&a, "lm_head"), *h2 = op_row(&b, "lm_head");
    CHECK(s1 && s2 && s1->us_step == s2->us_step, "sample %.3f us at tp=1, %.3f at tp=2",
          s1 ? s1->us_step : -1, s2 ? s2->us_step : -1);
    CHECK(h1 && h2 && h2->us_step < 0.6 * h1->us_step, "lm_head %.1f us at tp=2 of %.1f",
          h2 ? h2->us_step : -1, h1 ? h1->us_step : -1);
    decode_free(&a);
    decode_free(&b);
}

/* A memo shared by two steps changes no figure: the second step's kernels
 * are answered from it (events 0), the first's run (events > 0); a step of
 * kernels equal to each other runs each once. */
static void test_a_shared_memo_changes_no_figure(check_t *ck)
{
    setup_t s;
    char err[1200];
    if (!CHECK(setup_load_stack(&s, "gb10", "gpt-oss-120b", "llamacpp", 0, NULL, 0, err,
                                sizeof err) == 0, "%s", err))
        return;
    kmodel_memo_t *memo = kmodel_memo_create(256);
    decode_cfg_t c = {.arch = &s.arch, .model = &s.model, .stack = s.stack, .seqs = 1,
                      .q_len = 1, .ctx = 2048, .graphs = -1};
    decode_result_t own, first, again;
    int ok = decode_run(&c, &own, err, sizeof err) == 0;
    c.memo = memo;
    ok = ok && decode_run(&c, &first, err, sizeof err) == 0 &&
         decode_run(&c, &again, err, sizeof err) == 0;
    if (CHECK(ok, "%s", err)) {
        CHECK(own.events > 0 && first.events == own.events && again.events == 0,
              "events: own memo %llu, shared %llu then %llu", (unsigned long long)own.events,
              (unsigned long long)first.events, (unsigned long long)again.events);
        CHECK(own.step_us == again.step_us && own.n == again.n && own.kernels == again.kernels,
              "step %.6f vs %.6f us", own.step_us, again.step_us);
        for (size_t i = 0; i < own.n && i < again.n; i++)
            CHECK(!memcmp(&own.rows[i], &again.rows[i], sizeof own.rows[i]), "row %s differs",
                  own.rows[i].op);
        uint64_t hits, misses;
        kmodel_memo_counts(memo, &hits, &misses);
        CHECK(hits > misses, "the second step is all hits: %llu hits, %llu misses",
              (unsigned long long)hits, (unsigned long long)misses);
        decode_free(&own);
        decode_free(&first);
        decode_free(&again);
    }
    kmodel_memo_free(memo);
    setup_free(&s);
}

int main(void)
{
    check_t ck = check_begin("decode_test");
    test_speculative_tokens_follow_the_expected_acceptance_formula(&ck);
    test_step_time_is_kernel_time_plus_idle(&ck);
    test_no_stack_beats_the_dram_limit(&ck);
    test_every_layer_kernel_runs_once_per_layer(&ck);
    test_graphs_never_slow_a_step(&ck);
    test_graph_gap_is_cold_when_the_step_streams_more_than_l2(&ck);
    test_recorded_launches_apply_only_on_their_arch(&ck);
    test_small_kernel_code_is_cold_unless_the_same_kernel_just_ran(&ck);
    test_tokens_per_second_grow_with_tokens_per_step(&ck);
    test_limit_counts_active_weights_at_the_stack_format(&ck);
    test_dense_gemv_runs_the_recorded_launch_while_tokens_fit(&ck);
    test_tp1_is_one_gpu(&ck);
    test_tp2_splits_each_op_kind(&ck);
    test_tp_replicates_kv_heads_fewer_than_gpus(&ck);
    test_tp_refuses_what_it_cannot_split(&ck);
    test_collectives_follow_the_ring_formula(&ck);
    test_each_link_key_moves_the_allreduce(&ck);
    test_capacity_is_per_gpu(&ck);
    test_sampling_reads_the_whole_vocabulary(&ck);
    test_a_shared_memo_changes_no_figure(&ck);
    return check_end(&ck);
}
