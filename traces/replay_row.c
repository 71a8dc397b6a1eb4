/* replay_row.c -- one trace row to one prediction (contract in replay_row.h).
 * The single mapping from a trace row to kernel models: `gbsim replay` and
 * `gbsim calibrate` both call it, so that calibrate fits exactly what replay
 * reports. */
#include "traces/replay_row.h"

#include <math.h>
#include <string.h>

#include "models/kmodel.h"

/* Kernel descriptor for one trace row (isolated launch: nothing in L2). With
 * auto, the launch-configuration columns are left out. */
static void row_kdesc(const trace_row_t *r, int use_cfg, kdesc_t *d)
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
        if (use_cfg) {
            d->tile_m = r->tile_m;
            d->tile_n = r->tile_n;
            d->tile_k = r->tile_k;
            d->stages = r->stages;
            d->swap_ab = r->swap_ab > 0;
            d->split_k = r->split_k;
            d->grid_ctas = r->grid_ctas;
            d->cluster_m = r->cluster_m;
            d->cluster_n = r->cluster_n;
        }
        /* --auto-config keeps the library the row recorded and lets its
         * selection rule choose (gemm_impl_chooser) */
        d->gemm_impl = r->impl ? gemm_impl_find(r->impl) : NULL;
        break;
    case TK_ATTENTION:
        d->kind = KM_ATTENTION;
        d->m = r->m > 0 ? r->m : 1;
        d->ctx = r->ctx;
        d->heads_q = r->heads_q;
        d->heads_kv = r->heads_kv;
        d->head_dim = r->head_dim;
        d->kv_dt = r->a_dtype;
        /* --auto-config keeps the library the row recorded (a cuDNN kernel:
         * cuDNN's selection rule) and lets it choose the kernel */
        if (use_cfg && r->impl)
            d->attn = attn_impl_find(r->impl);
        else if (r->impl && !strncmp(r->impl, "cudnn-sdpa", strlen("cudnn-sdpa")))
            d->attn = attn_impl_find("cudnn-sdpa");
        else
            d->attn = attn_impl_find("flashinfer-fa2");
        if (use_cfg)
            d->grid_ctas = r->grid_ctas;
        break;
    case TK_ELEMENTWISE:
        d->kind = KM_ELEMENTWISE;
        d->bytes = r->bytes;
        d->inst_per_byte = 1.0;
        break;
    }
}

int replay_row_predict_memo(kmodel_memo_t *memo, const arch_t *a, const trace_row_t *r,
                            replay_config_t cfg, double *us, kmodel_out_t *detail, char *err,
                            size_t errlen)
{
    kdesc_t d;
    row_kdesc(r, cfg == REPLAY_TRACE_CONFIG, &d);
    kmodel_out_t best, o;
    if (kmodel_run_memo(memo, a, &d, &best, err, errlen) != 0)
        best.us = INFINITY;
    /* a dequantizing GEMV takes any weight format when activations are 16-bit
     * or unscaled; a named tile rules it out */
    const dtype_info_t *a16 = dtype_info(r->a_dtype);
    if (r->kind == TK_GEMM && d.tile_m == 0 && r->m <= 16 && a16->scale_block == 0) {
        kdesc_t g = d;
        g.kind = KM_GEMV;
        g.gemv = gemv_impl_find("cublas-gemv");
        char e2[256];
        uint64_t events = best.events;
        if (kmodel_run_memo(memo, a, &g, &o, e2, sizeof e2) == 0) {
            events += o.events;
            if (o.us < best.us)
                best = o;
        }
        best.events = events; /* both candidates' */
    }
    *us = best.us;
    if (detail)
        *detail = best;
    return isfinite(best.us) ? 0 : -1;
}

int replay_row_predict_as(const arch_t *a, const trace_row_t *r, replay_config_t cfg, double *us,
                          kmodel_out_t *detail, char *err, size_t errlen)
{
    return replay_row_predict_memo(NULL, a, r, cfg, us, detail, err, errlen);
}

int replay_row_predict(const arch_t *a, const trace_row_t *r, double *us, char *err,
                       size_t errlen)
{
    return replay_row_predict_as(a, r, REPLAY_TRACE_CONFIG, us, NULL, err, errlen);
}
