/* gptoss_ref.c -- gpt-oss reference kernels (semantics and sources in gptoss_ref.h). */
#include "models/numerics/gptoss_ref.h"

#include <assert.h>
#include <math.h>

void gptoss_ref_swiglu(const double *t, size_t n, double alpha, double limit, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double gate = t[2 * i], up = t[2 * i + 1];
        if (gate > limit)
            gate = limit;
        if (up > limit)
            up = limit;
        if (up < -limit)
            up = -limit;
        out[i] = gate / (1.0 + exp(-alpha * gate)) * (up + 1.0);
    }
}

void gptoss_ref_router(const double *logits, int n_experts, int k, int *idx, double *w)
{
    assert(k >= 1 && k <= n_experts);
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int e = 0; e < n_experts; e++) {
            int taken = 0;
            for (int i = 0; i < j; i++)
                taken |= idx[i] == e;
            if (!taken && (best < 0 || logits[e] > logits[best]))
                best = e;
        }
        idx[j] = best;
    }
    double mx = logits[idx[0]], sum = 0;
    for (int j = 0; j < k; j++) {
        w[j] = exp(logits[idx[j]] - mx);
        sum += w[j];
    }
    for (int j = 0; j < k; j++)
        w[j] /= sum;
}

void gptoss_ref_decode_attention(const double *q, const double *k, const double *v,
                                 const double *sinks, int n_keys, int heads_q, int heads_kv, int d,
                                 int window, double sm_scale, double *out)
{
    assert(n_keys >= 1 && heads_kv >= 1 && heads_q % heads_kv == 0 && window >= 0);
    int group = heads_q / heads_kv;
    int pos = n_keys - 1;
    int first = window > 0 && pos - window + 1 > 0 ? pos - window + 1 : 0;
    for (int h = 0; h < heads_q; h++) {
        int kvh = h / group;
        const double *qh = q + (size_t)h * d;
        double mx = sinks[h];
        for (int t = first; t <= pos; t++) {
            const double *kt = k + ((size_t)t * heads_kv + kvh) * d;
            double s = 0;
            for (int i = 0; i < d; i++)
                s += qh[i] * kt[i];
            if (s * sm_scale > mx)
                mx = s * sm_scale;
        }
        double denom = exp(sinks[h] - mx); /* the sink column: in the sum, not in the output */
        double *oh = out + (size_t)h * d;
        for (int i = 0; i < d; i++)
            oh[i] = 0;
        for (int t = first; t <= pos; t++) {
            const double *kt = k + ((size_t)t * heads_kv + kvh) * d;
            const double *vt = v + ((size_t)t * heads_kv + kvh) * d;
            double s = 0;
            for (int i = 0; i < d; i++)
                s += qh[i] * kt[i];
            double p = exp(s * sm_scale - mx);
            denom += p;
            for (int i = 0; i < d; i++)
                oh[i] += p * vt[i];
        }
        for (int i = 0; i < d; i++)
            oh[i] /= denom;
    }
}
