/* llm.h -- an LLM description (one preset = one data file in
 * models/data/model/<name>.csv). Only what decode cost depends on. */
#ifndef GBSIM_LLM_H
#define GBSIM_LLM_H

#include "models/param.h"

typedef struct {
    double n_layers;
    double hidden;                 /* residual width */
    double n_heads_q;
    double n_heads_kv;
    double head_dim;
    double ffn_inter;              /* dense FFN intermediate size (gate, up: ffn_inter
                                      each; down: ffn_inter -> hidden); a MoE model's
                                      shared experts together; 0 = none */
    double n_experts;              /* routed experts per layer; 0 = a dense model */
    double top_k;                  /* experts per token; 0 = a dense model */
    double expert_inter;           /* routed expert intermediate size (FC1 emits 2x:
                                      gate+up); 0 = a dense model */
    double sliding_window;         /* tokens, on sliding layers */
    double sliding_layer_period;   /* layer i slides when i % period == 0; 0 = never */
    double vocab;
    double tied_embeddings;        /* 1: lm_head is the embedding table (held once) */
    double max_positions;
} llm_t;

extern const param_schema_t llm_schema;

/* Rules across keys that one key's range cannot express; 0, or -1 with err
 * naming the keys (e.g. n_heads_q must be a multiple of n_heads_kv). */
int llm_validate(const llm_t *m, char *err, size_t errlen);

/* Parameters one token reads in decode at M=1 (active): dense FFN, MoE top-k
 * experts, attention, router and unembedding; embeddings are a gather and
 * excluded. */
double llm_active_params(const llm_t *m);

/* Parameters the model holds: every expert, the embedding table, and lm_head
 * unless tied. */
double llm_total_params(const llm_t *m);

#endif
