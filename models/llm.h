/* llm.h -- an LLM description (one preset = one data file in
 * models/data/model/<name>.csv). Only what decode cost depends on. */
#ifndef GBSIM_LLM_H
#define GBSIM_LLM_H

#include "models/param.h"

typedef struct {
    double n_layers;
    double hidden;                 /* residual width */
    double n_experts;              /* routed experts per layer */
    double top_k;                  /* experts per token */
    double expert_inter;           /* expert intermediate size (FC1 emits 2x: gate+up) */
    double gate_up_interleaved;    /* 1: FC1 rows alternate gate, up */
    double n_heads_q;
    double n_heads_kv;
    double head_dim;
    double sliding_window;         /* tokens, on sliding layers */
    double sliding_layer_period;   /* layer i slides when i % period == 0; 0 = never */
    double attn_sinks;             /* 1: one learned sink logit per query head */
    double vocab;
    double qkv_bias;               /* 1: QKV and O projections have biases */
    double expert_weight_bits;     /* element bits of expert weights (4 = FP4 E2M1) */
    double expert_scale_block;     /* elements per scale factor */
    double expert_scale_bits;      /* bits per scale factor (8 = UE8M0) */
    double dense_weight_bits;      /* checkpoint bits of non-expert weights (16 = bf16) */
    double kv_bits;                /* KV cache element bits */
    double swiglu_alpha;
    double swiglu_limit;
    double rms_eps;
    double max_positions;
} llm_t;

extern const param_schema_t llm_schema;

/* Rules across keys that one key's range cannot express; 0, or -1 with err
 * naming the keys (e.g. n_heads_q must be a multiple of n_heads_kv). */
int llm_validate(const llm_t *m, char *err, size_t errlen);

/* Parameters one token reads in decode at M=1 (active): MoE top-k experts,
 * attention, router and unembedding; embeddings are a gather and excluded. */
double llm_active_params(const llm_t *m);

#endif
