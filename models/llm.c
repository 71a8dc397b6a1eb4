/* llm.c -- the model parameter schema. */
#include "models/llm.h"

#include <stddef.h>
#include <stdio.h>

#define F(field) offsetof(llm_t, field)

static const param_def_t LLM_DEFS[] = {
    /* key                    unit        min    max      type        field */
    {"n_layers",              "count",    1,     1024,    PARAM_INT,  F(n_layers), "transformer blocks"},
    {"hidden",                "count",    64,    65536,   PARAM_INT,  F(hidden), "residual width"},
    {"n_experts",             "count",    1,     4096,    PARAM_INT,  F(n_experts), "routed experts per layer"},
    {"top_k",                 "count",    1,     64,      PARAM_INT,  F(top_k), "experts per token"},
    {"expert_inter",          "count",    16,    65536,   PARAM_INT,  F(expert_inter), "expert intermediate size"},
    {"gate_up_interleaved",   "bool",     0,     1,       PARAM_INT,  F(gate_up_interleaved), "FC1 rows alternate gate/up"},
    {"n_heads_q",             "count",    1,     1024,    PARAM_INT,  F(n_heads_q), "query heads"},
    {"n_heads_kv",            "count",    1,     1024,    PARAM_INT,  F(n_heads_kv), "key/value heads"},
    {"head_dim",              "count",    8,     1024,    PARAM_INT,  F(head_dim), "head dimension"},
    {"sliding_window",        "tokens",   0,     1e7,     PARAM_INT,  F(sliding_window), "window of sliding layers"},
    {"sliding_layer_period",  "count",    0,     64,      PARAM_INT,  F(sliding_layer_period), "layer i slides when i % period == 0"},
    {"attn_sinks",            "bool",     0,     1,       PARAM_INT,  F(attn_sinks), "learned sink logit per head"},
    {"vocab",                 "count",    2,     1e7,     PARAM_INT,  F(vocab), "vocabulary size"},
    {"qkv_bias",              "bool",     0,     1,       PARAM_INT,  F(qkv_bias), "attention projections have biases"},
    {"expert_weight_bits",    "bits",     1,     32,      PARAM_INT,  F(expert_weight_bits), "expert weight element bits"},
    {"expert_scale_block",    "count",    0,     4096,    PARAM_INT,  F(expert_scale_block), "elements per expert scale factor (0 = none)"},
    {"expert_scale_bits",     "bits",     0,     32,      PARAM_INT,  F(expert_scale_bits), "bits per expert scale factor"},
    {"dense_weight_bits",     "bits",     1,     32,      PARAM_INT,  F(dense_weight_bits), "non-expert weight bits in the checkpoint"},
    {"kv_bits",               "bits",     1,     32,      PARAM_INT,  F(kv_bits), "KV cache element bits"},
    {"swiglu_alpha",          "ratio",    0,     100,     PARAM_REAL, F(swiglu_alpha), "SwiGLU sigmoid slope"},
    {"swiglu_limit",          "ratio",    0,     1e6,     PARAM_REAL, F(swiglu_limit), "SwiGLU clamp"},
    {"rms_eps",               "ratio",    0,     1,       PARAM_REAL, F(rms_eps), "RMSNorm epsilon"},
    {"max_positions",         "tokens",   1,     1e8,     PARAM_INT,  F(max_positions), "maximum context"},
};

const param_schema_t llm_schema = {"model", LLM_DEFS, sizeof LLM_DEFS / sizeof LLM_DEFS[0]};

double llm_active_params(const llm_t *m)
{
    double h = m->hidden;
    double q = m->n_heads_q * m->head_dim, kv = m->n_heads_kv * m->head_dim;
    double expert = 2 * m->expert_inter * h + m->expert_inter * h;
    double attn = h * (q + 2 * kv) + q * h;
    double router = m->n_experts * h;
    return m->n_layers * (m->top_k * expert + attn + router) + m->vocab * h;
}

int llm_validate(const llm_t *m, char *err, size_t errlen)
{
    if ((long long)m->n_heads_q % (long long)m->n_heads_kv != 0) {
        snprintf(err, errlen, "model: n_heads_q=%.0f is not a multiple of n_heads_kv=%.0f "
                 "(grouped-query attention shares each KV head among whole query groups)",
                 m->n_heads_q, m->n_heads_kv);
        return -1;
    }
    if (m->top_k > m->n_experts) {
        snprintf(err, errlen, "model: top_k=%.0f exceeds n_experts=%.0f", m->top_k, m->n_experts);
        return -1;
    }
    if (m->expert_scale_block > 0 && (long long)m->hidden % (long long)m->expert_scale_block) {
        snprintf(err, errlen, "model: hidden=%.0f is not a multiple of expert_scale_block=%.0f",
                 m->hidden, m->expert_scale_block);
        return -1;
    }
    return 0;
}
