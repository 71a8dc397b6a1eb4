/* replay_row.c -- one trace row to one prediction (contract in replay_row.h).
 * This is the same mapping as traces/cmd_replay.c (row_kdesc + predict),
 * kept identical so that calibrate fits exactly what replay reports. */
#include "replay_row.h"

#include <math.h>
#include <string.h>

#include "../models/kmodel.h"

/* Kernel descriptor for one trace row (isolated launch: nothing in L2). */
static void row_kdesc(const trace_row_t *r, kdesc_t *d)
{
    memset(d, 0, sizeof *d);
    switch (r->kind) {
    case TK_GEMM:
    case TK_GROUPED_GEMM:
        d->kind = r->kind == TK_GEMM ? KM_GEMM : KM_GROUPED_GEMM;
        d->m = r->m;
        d->n = r->n;
        d->k = r->k;
        d->groups = r->kind == TK_GROUPED_GEMM ? r->groups : 1;
        d->a_dt = r->a_dtype;
        d->b_dt = r->b_dtype;
        d->out_bytes = 2;
        d->tile_m = r->tile_m;
        d->tile_n = r->tile_n;
        d->tile_k = r->tile_k;
        break;
    case TK_ATTENTION:
        d->kind = KM_ATTENTION;
        d->m = r->m > 0 ? r->m : 1;
        d->ctx = r->ctx;
        d->heads_q = r->heads_q;
        d->heads_kv = r->heads_kv;
        d->head_dim = r->head_dim;
        d->kv_dt = r->a_dtype;
        d->attn = attn_impl_find("flashinfer-fa2");
        break;
    case TK_ELEMENTWISE:
        d->kind = KM_ELEMENTWISE;
        d->bytes = r->bytes;
        d->inst_per_byte = 1.0;
        break;
    }
}

int replay_row_predict(const arch_t *a, const trace_row_t *r, double *us, char *err,
                       size_t errlen)
{
    kdesc_t d;
    row_kdesc(r, &d);
    kmodel_out_t o;
    int rc = kmodel_run(a, &d, &o, err, errlen);
    double best = rc == 0 ? o.us : INFINITY;
    /* a dequantizing GEMV takes any weight format when activations are 16-bit or unscaled */
    const dtype_info_t *a16 = dtype_info(r->a_dtype);
    if (r->kind == TK_GEMM && r->tile_m == 0 && r->m <= 16 && a16->scale_block == 0) {
        kdesc_t g = d;
        g.kind = KM_GEMV;
        g.gemv = gemv_impl_find("cublas-gemv");
        char e2[256];
        if (kmodel_run(a, &g, &o, e2, sizeof e2) == 0 && o.us < best) {
            best = o.us;
            rc = 0;
        }
    }
    *us = best;
    return rc == 0 || isfinite(best) ? 0 : -1;
}
