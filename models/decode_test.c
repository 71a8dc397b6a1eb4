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
static stack_t *stack_of(const char *name, check_t *ck)
{
    char err[1200];
    stack_t *st = stack_load(name, err, sizeof err);
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
 * fit fails with the capacity message and nothing else. Every model runs on at
 * least one stack on GB10. */
static void test_no_stack_beats_the_dram_limit(check_t *ck)
{
    for (size_t m = 0; m < N_MODELS; m++) {
        int ran = 0;
        for (size_t st = 0; st < N_STACKS; st++)
            for (int64_t seqs = 1; seqs <= 64; seqs *= 64)
                for (int64_t k = 1; k <= (seqs == 1 ? 4 : 1); k *= 4) {
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
static const stack_kernel_t *row_of(const stack_t *st, const char *name)
{
    for (size_t i = 0; i < st->n_kernels; i++)
        if (!strcmp(st->kernels[i].op, name) || !strcmp(st->kernels[i].kernel, name))
            return &st->kernels[i];
    return NULL;
}

/* A stack's dense GEMV runs the tiled kernel its library launched (the
 * torch-bf16 nvjet configurations from the shape traces) while the tokens fit
 * the tile's token side, and the GEMV implementation after that. */
static void test_dense_gemv_runs_the_recorded_launch_while_tokens_fit(check_t *ck)
{
    setup_t s;
    char err[512];
    if (!load_h100(&s, ck))
        return;
    stack_t *st = stack_of("torch-bf16", ck);
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
        else
            CHECK(d.kind == KM_GEMV && d.tile_m == 0, "M=%lld: kind %d tile_m %d", (long long)tokens[i],
                  (int)d.kind, d.tile_m);
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
    stack_t *st = stack_of("torch-bf16", ck);
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
    stack_t *st = stack_of("torch-bf16", ck);
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
        stack_t *st = stack_of("torch-bf16", ck);
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
    return check_end(&ck);
}
