/* gptoss_ref.h -- fp64 reference kernels of the gpt-oss blocks whose semantics
 * differ from the textbook ones (workload_facts.md §1.2, source: openai/gpt-oss
 * gpt_oss/torch/model.py; HF modeling_gpt_oss.py is identical):
 *   - SwiGLU on the interleaved FC1 output: gate = even rows, up = odd rows;
 *     gate clamped above at limit (no lower clamp), up clamped to [-limit,
 *     limit]; out = gate * sigmoid(alpha * gate) * (up + 1). gpt-oss: alpha
 *     1.702, limit 7.
 *   - router: top-k of the logits (k = 4), softmax over the k selected logits
 *     only.
 *   - decode attention of one query token: logits = q.k * sm_scale over the
 *     visible keys, plus one learned sink logit per query head (NOT multiplied
 *     by sm_scale) as an extra softmax column that is then dropped; sliding
 *     window W lets the query at position p see keys p-W+1..p (W = 128: the
 *     reference masks k <= p - 128); GQA: query head h reads KV head
 *     h / (heads_q / heads_kv).
 * All arithmetic is in double; softmaxes subtract the row max first (HF does,
 * the torch reference does not: equal in exact arithmetic). */
#ifndef GBSIM_GPTOSS_REF_H
#define GBSIM_GPTOSS_REF_H

#include <stddef.h>

#define GPTOSS_SWIGLU_ALPHA 1.702
#define GPTOSS_SWIGLU_LIMIT 7.0
#define GPTOSS_TOPK 4
#define GPTOSS_SLIDING_WINDOW 128

/* t[2*n] interleaved (gate, up) pairs -> out[n]. */
void gptoss_ref_swiglu(const double *t, size_t n, double alpha, double limit, double *out);

/* Top-k of logits[n_experts] (k <= n_experts), sorted by descending logit,
 * equal logits in ascending expert index (torch.topk leaves that order
 * unspecified); idx[k] the experts, w[k] their softmax weights over the k. */
void gptoss_ref_router(const double *logits, int n_experts, int k, int *idx, double *w);

/* One query at position pos = n_keys-1 over keys 0..n_keys-1.
 * q[heads_q*d]; k and v are [n_keys][heads_kv][d]; sinks[heads_q];
 * window = 0: full attention, else the query sees keys pos-window+1..pos.
 * out[heads_q*d]. heads_kv must divide heads_q (assert). */
void gptoss_ref_decode_attention(const double *q, const double *k, const double *v,
                                 const double *sinks, int n_keys, int heads_q, int heads_kv, int d,
                                 int window, double sm_scale, double *out);

#endif
