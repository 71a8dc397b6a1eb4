/* llm.c -- the model parameter schema. */
#include "models/llm.h"

#include <stddef.h>
#include <stdio.h>

#define F(field) offsetof(llm_t, field)

static const param_def_t LLM_DEFS[] = {
    /* key                    unit        min    max      type        field */
    {"n_layers",              "count",    1,     1024,    PARAM_INT,  F(n_layers), "transformer blocks"},
    {"hidden",                "count",    64,    65536,   PARAM_INT,  F(hidden), "residual width"},
    {"n_heads_q",             "count",    1,     1024,    PARAM_INT,  F(n_heads_q), "query heads"},
    {"n_heads_kv",            "count",    1,     1024,    PARAM_INT,  F(n_heads_kv), "key/value heads"},
    {"head_dim",              "count",    8,     1024,    PARAM_INT,  F(head_dim), "head dimension"},
    {"ffn_inter",             "count",    0,     262144,  PARAM_INT,  F(ffn_inter), "dense FFN intermediate size (0 = none)"},
    {"n_experts",             "count",    0,     4096,    PARAM_INT,  F(n_experts), "routed experts per layer (0 = dense)"},
    {"top_k",                 "count",    0,     64,      PARAM_INT,  F(top_k), "experts per token (0 = dense)"},
    {"expert_inter",          "count",    0,     65536,   PARAM_INT,  F(expert_inter), "expert intermediate size (0 = dense)"},
    {"sliding_window",        "tokens",   0,     1e7,     PARAM_INT,  F(sliding_window), "window of sliding layers"},
    {"sliding_layer_period",  "count",    0,     64,      PARAM_INT,  F(sliding_layer_period), "layer i slides when i % period == 0"},
    {"vocab",                 "count",    2,     1e7,     PARAM_INT,  F(vocab), "vocabulary size"},
    {"tied_embeddings",       "bool",     0,     1,       PARAM_INT,  F(tied_embeddings), "lm_head shares the embedding table"},
    {"max_positions",         "tokens",   1,     1e8,     PARAM_INT,  F(max_positions), "maximum context"},
};

const param_schema_t llm_schema = {"model", LLM_DEFS, sizeof LLM_DEFS / sizeof LLM_DEFS[0]};

double llm_active_params(const llm_t *m)
{
    double h = m->hidden;
    double q = m->n_heads_q * m->head_dim, kv = m->n_heads_kv * m->head_dim;
    double expert = 3 * m->expert_inter * h, ffn = 3 * m->ffn_inter * h;
    double attn = h * (q + 2 * kv) + q * h;
    double router = m->n_experts * h;
    return m->n_layers * (m->top_k * expert + ffn + attn + router) + m->vocab * h;
}

double llm_total_params(const llm_t *m)
{
    double h = m->hidden;
    double q = m->n_heads_q * m->head_dim, kv = m->n_heads_kv * m->head_dim;
    double layer = m->n_experts * 3 * m->expert_inter * h + 3 * m->ffn_inter * h +
                   h * (q + 2 * kv) + q * h + m->n_experts * h;
    return m->n_layers * layer + m->vocab * h * (m->tied_embeddings ? 1 : 2);
}

int llm_validate(const llm_t *m, char *err, size_t errlen)
{
    if ((long long)m->n_heads_q % (long long)m->n_heads_kv != 0) {
        snprintf(err, errlen, "model: n_heads_q=%.0f is not a multiple of n_heads_kv=%.0f "
                 "(grouped-query attention shares each KV head among whole query groups)",
                 m->n_heads_q, m->n_heads_kv);
        return -1;
    }
    if ((long long)m->hidden % (long long)m->n_heads_q != 0) {
        snprintf(err, errlen, "model: n_heads_q=%.0f does not divide hidden=%.0f",
                 m->n_heads_q, m->hidden);
        return -1;
    }
    if (m->top_k > m->n_experts) {
        snprintf(err, errlen, "model: top_k=%.0f exceeds n_experts=%.0f", m->top_k, m->n_experts);
        return -1;
    }
    if ((m->n_experts > 0) != (m->top_k > 0) || (m->n_experts > 0) != (m->expert_inter > 0)) {
        snprintf(err, errlen, "model: n_experts=%.0f, top_k=%.0f and expert_inter=%.0f must be "
                 "all 0 (a dense model) or all positive (a MoE model)", m->n_experts, m->top_k,
                 m->expert_inter);
        return -1;
    }
    if (m->n_experts == 0 && m->ffn_inter == 0) {
        snprintf(err, errlen, "model: a dense model (n_experts=0) needs ffn_inter > 0");
        return -1;
    }
    return 0;
}
