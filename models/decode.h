/* decode.h -- one decode step of a model on an arch under a stack: every
 * kernel simulated through kexec (each distinct kernel once: kmodel's memo),
 * then laid on a
 * single-stream launch timeline (eager: the host issues kernels at
 * launch_api_us + the stack's per-kernel framework time each; graphs: one
 * launch per step and graph_gap_ns between kernels).
 *
 * Tensor parallel (tp > 1): tp identical GPUs each run the step of the part
 * of the model they hold (decode_tp_shard: heads, FFN and expert
 * intermediates and the vocabulary split by tp), and the group's collectives
 * run on the timeline as ops of their own, priced on the link (link.h): an
 * all-reduce of M x hidden activations after each layer's attention output
 * and FFN/MoE output and after the embedding gather (op allreduce), and an
 * all-gather of the logits after lm_head (op allgather); nothing overlaps
 * them. Every GPU's timeline is the same, so the step is one GPU's. */
#ifndef GBSIM_DECODE_H
#define GBSIM_DECODE_H

#include <stdint.h>

#include "models/arch.h"
#include "models/kmodel.h"
#include "models/link.h"
#include "models/llm.h"
#include "models/stack.h"

typedef struct {
    const arch_t *arch;
    const llm_t *model;
    const stack_desc_t *stack;
    int64_t seqs;       /* B: independent sequences per step, each with its own KV */
    int64_t q_len;      /* K: positions verified per sequence (1 = plain decode; K > 1:
                           the last accepted token plus K-1 drafted ones) */
    int64_t ctx;        /* KV length of each sequence before the step */
    int layers;         /* 0 = the model's */
    int graphs;         /* -1 = the stack's default, 0 eager, 1 CUDA graphs */
    int speculative;    /* 1: each sequence keeps the accepted prefix of its K-1 drafted
                           tokens (acceptance rate accept) plus one; 0: all kept */
    double accept;      /* speculative: in [0, 1] */
    double draft_us;    /* speculative: drafting time per step, added to the step */
    double route_skew;  /* Zipf exponent of expert popularity (0 = uniform routing) */
    const route_hist_t *experts;  /* measured expert popularity (NULL: route_skew) */
    int tp;             /* GPUs of the tensor-parallel group (0 or 1: one GPU) */
    const link_t *link; /* tp > 1: the group's interconnect */
    kmodel_memo_t *memo;  /* kernels already run (a sweep's points share one; kmodel.h);
                             NULL: the step keeps its own, so equal kernels of one
                             step run once */
} decode_cfg_t;

typedef struct {
    char op[32];
    char kernel[96];
    int calls;                  /* per step */
    double us_per_call;
    double us_step;
    double share_pct;
    char bound[12];             /* dram | compute | l2 | latency | launch | link */
} decode_row_t;

typedef struct {
    decode_row_t *rows;
    size_t n;
    double step_us;
    double tokens_per_step;     /* B x K, or B x the expected tokens kept (speculative) */
    double experts_per_layer;   /* expected distinct routed experts per layer (0: dense) */
    double tok_per_s;
    double limit_tok_per_s;     /* tokens / (min bytes / peak DRAM bandwidth) */
    double min_bytes;           /* bytes that must move per step (per GPU with tp > 1) */
    double kernel_us;           /* sum of kernel durations */
    double gap_us;              /* device idle between kernels */
    int kernels;                /* launches per step */
    uint64_t events;            /* engine events executed for the step (kmodel_out_t.events
                                   summed: a kernel answered from the memo counts 0) */
    int graphs;
    int hypothetical;           /* a kernel ran a configuration a rule forbids (--relax)
                                   or a scale vector the hardware lacks */
} decode_result_t;

int decode_run(const decode_cfg_t *c, decode_result_t *r, char *err, size_t errlen);

/* The part of model m one GPU of a tp-way tensor-parallel group holds
 * (decode.c states the split and its sources): query heads, ffn_inter and
 * expert_inter divided by tp, KV heads divided by tp (one each when fewer
 * than tp), the vocabulary divided by tp rounded up; the rest whole. 0, or -1
 * with err naming what tp does not divide. tp = 1 gives m. */
int decode_tp_shard(const llm_t *m, int tp, llm_t *out, char *err, size_t errlen);

/* Expected tokens emitted per verification step with gamma drafted tokens and
 * i.i.d. acceptance rate alpha: (1 - alpha^(gamma+1)) / (1 - alpha)
 * (Leviathan, Kalman, Matias 2023, "Fast Inference from Transformers via
 * Speculative Decoding", arXiv 2211.17192, eq. 1); gamma + 1 when alpha = 1. */
double decode_spec_tokens(double alpha, int gamma);
void decode_free(decode_result_t *r);

#endif
