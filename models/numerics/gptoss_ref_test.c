/* gptoss_ref_test.c -- hand-computed small cases of the gpt-oss reference
 * kernels (models/numerics/gptoss_ref.h), one function per rule. */
#include <math.h>
#include <stdio.h>

#include "models/numerics/gptoss_ref.h"
#include "tests/check.h"

static int near(double a, double b, double tol) { return fabs(a - b) <= tol * (1 + fabs(b)); }

/* Even rows gate, odd rows up; out = g*sigmoid(1.702 g)*(u+1).
 * (gate 1, up 0): sigmoid(1.702) = 1/(1+e^-1.702) = 0.8457958; out 0.8457958.
 * (gate 10, up 10): gate clamps to 7, up to 7: 7*sigmoid(11.914)*8 = 55.999625
 * (gate -10, up -10): no lower clamp on the gate; up clamps to -7:
 *   -10*sigmoid(-17.02)*(-6) = 60/(1+e^17.02) = 2.434777e-6.
 * (gate 0, up 5): 0. */
static void test_swiglu_interleaved_clamped_plus_one(check_t *ck)
{
    const double t[8] = {1, 0, 10, 10, -10, -10, 0, 5};
    double out[4];
    gptoss_ref_swiglu(t, 4, GPTOSS_SWIGLU_ALPHA, GPTOSS_SWIGLU_LIMIT, out);
    CHECK(near(out[0], 0.8457958, 1e-6), "out0 %.9g", out[0]);
    CHECK(near(out[1], 55.999625, 1e-7), "out1 %.9g", out[1]);
    CHECK(near(out[2], 2.434777e-6, 1e-5), "out2 %.9g", out[2]);
    CHECK(out[3] == 0, "out3 %.9g", out[3]);
    /* swapping the roles (gate odd) would give 0 * ... for pair 0: must not */
    CHECK(out[0] > 0.8, "gate is the even row");
}

/* Top-4 of [0.1, 2.0, -1.0, 3.0, 0.5, 2.0]: experts 3, 1, 5, 4 (equal logits
 * in ascending index); softmax over {3, 2, 2, 0.5} only:
 * e^0, e^-1, e^-1, e^-2.5 / (1 + 2e^-1 + e^-2.5) = 0.5501, 0.2024, 0.2024, 0.0452
 * (a softmax over all six logits would give 0.5288 for expert 3). */
static void test_router_top4_softmax_over_selected_only(check_t *ck)
{
    const double lg[6] = {0.1, 2.0, -1.0, 3.0, 0.5, 2.0};
    int idx[4];
    double w[4];
    gptoss_ref_router(lg, 6, GPTOSS_TOPK, idx, w);
    CHECK(idx[0] == 3 && idx[1] == 1 && idx[2] == 5 && idx[3] == 4, "idx %d %d %d %d", idx[0],
          idx[1], idx[2], idx[3]);
    double den = 1 + 2 * exp(-1) + exp(-2.5);
    CHECK(near(w[0], 1 / den, 1e-12) && near(w[1], exp(-1) / den, 1e-12) &&
              near(w[3], exp(-2.5) / den, 1e-12),
          "w %g %g %g %g", w[0], w[1], w[2], w[3]);
    CHECK(near(w[0], 0.550102, 1e-5), "w0 %g (softmax over all 6 would give %g)", w[0],
          exp(3.0) / (exp(0.1) + 2 * exp(2.0) + exp(-1.0) + exp(3.0) + exp(0.5)));
}

/* The sink is a softmax column without sm_scale: q = 2, k = 1, sm_scale 0.5
 * -> logit 1; sink 1 -> weight e/(e+e) = 1/2, out = v/2 = 3. (A scaled sink
 * would give e/(e+e^0.5) * 6 = 3.73.) */
static void test_sink_is_unscaled_extra_softmax_column(check_t *ck)
{
    const double q[1] = {2}, k[1] = {1}, v[1] = {6}, sink[1] = {1};
    double out[1];
    gptoss_ref_decode_attention(q, k, v, sink, 1, 1, 1, 1, 0, 0.5, out);
    CHECK(near(out[0], 3.0, 1e-12), "out %.9g", out[0]);
}

/* Window 128: the query at position 199 sees keys 72..199. With equal logits
 * and v[t] = t the output is their mean 135.5 (full attention: 99.5); a very
 * negative sink takes no weight. */
static void test_sliding_window_sees_last_128_keys(check_t *ck)
{
    double q[1] = {0}, k[200], v[200], sink[1] = {-1000}, out[1];
    for (int t = 0; t < 200; t++) {
        k[t] = 1;
        v[t] = t;
    }
    gptoss_ref_decode_attention(q, k, v, sink, 200, 1, 1, 1, GPTOSS_SLIDING_WINDOW, 0.125, out);
    CHECK(near(out[0], 135.5, 1e-12), "window out %.9g", out[0]);
    gptoss_ref_decode_attention(q, k, v, sink, 200, 1, 1, 1, 0, 0.125, out);
    CHECK(near(out[0], 99.5, 1e-12), "full out %.9g", out[0]);
    gptoss_ref_decode_attention(q, k, v, sink, 100, 1, 1, 1, GPTOSS_SLIDING_WINDOW, 0.125, out);
    CHECK(near(out[0], 49.5, 1e-12), "short context out %.9g", out[0]);
}

/* GQA: 4 query heads on 2 KV heads: heads 0,1 read KV head 0, heads 2,3 KV
 * head 1. One key; sinks -1000: outputs are the KV head's v. */
static void test_gqa_maps_query_heads_to_kv_heads(check_t *ck)
{
    double q[4 * 2] = {0}, k[2 * 2] = {0}, v[2 * 2] = {1, 2, 3, 4};
    double sink[4] = {-1000, -1000, -1000, -1000}, out[8];
    gptoss_ref_decode_attention(q, k, v, sink, 1, 4, 2, 2, 0, 0.125, out);
    const double want[8] = {1, 2, 1, 2, 3, 4, 3, 4};
    for (int i = 0; i < 8; i++)
        CHECK(near(out[i], want[i], 1e-12), "out[%d] %g, expected %g", i, out[i], want[i]);
}

int main(void)
{
    check_t ck = check_begin("gptoss_ref_test");
    test_swiglu_interleaved_clamped_plus_one(&ck);
    test_router_top4_softmax_over_selected_only(&ck);
    test_sink_is_unscaled_extra_softmax_column(&ck);
    test_sliding_window_sees_last_128_keys(&ck);
    test_gqa_maps_query_heads_to_kv_heads(&ck);
    return check_end(&ck);
}
