/* bsgemm.c -- block-scaled GEMM reference (layout, fault and numerics in bsgemm.h). */
#include "models/numerics/bsgemm.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

int64_t bsgemm_sf_cols(int64_t k, int sf_vec)
{
    assert(k > 0 && sf_vec > 0);
    return (k + sf_vec - 1) / sf_vec;
}

int64_t bsgemm_sf_cols_padded(int64_t k, int sf_vec)
{
    return (bsgemm_sf_cols(k, sf_vec) + 3) / 4 * 4;
}

size_t bsgemm_sf_bytes(int64_t mn, int64_t k, int sf_vec)
{
    assert(mn > 0);
    return (size_t)((mn + 127) / 128 * 128) * (size_t)bsgemm_sf_cols_padded(k, sf_vec);
}

int64_t bsgemm_sf_offset(int64_t row, int64_t kb, int64_t mn, int64_t k, int sf_vec,
                         bsgemm_fault_t fault)
{
    assert(row >= 0 && row < mn && kb >= 0 && kb < bsgemm_sf_cols(k, sf_vec));
    /* the row-block stride: 128 rows times the SF columns the layout was
     * built for (padded: correct; logical: seed 002) */
    int64_t cols = fault == BSGEMM_FAULT_LOGICAL_SF ? bsgemm_sf_cols(k, sf_vec)
                                                    : bsgemm_sf_cols_padded(k, sf_vec);
    int64_t off = row / 128 * (128 * cols) + kb / 4 * 512 + row % 32 * 16 + row % 128 / 32 * 4 +
                  kb % 4;
    assert((size_t)off < bsgemm_sf_bytes(mn, k, sf_vec));
    return off;
}

void bsgemm_sf_pack(const uint8_t *rm, int64_t mn, int64_t k, int sf_vec, uint8_t *out)
{
    size_t bytes = bsgemm_sf_bytes(mn, k, sf_vec);
    for (size_t i = 0; i < bytes; i++)
        out[i] = 0;
    int64_t cols = bsgemm_sf_cols(k, sf_vec);
    for (int64_t r = 0; r < mn; r++)
        for (int64_t kb = 0; kb < cols; kb++)
            out[bsgemm_sf_offset(r, kb, mn, k, sf_vec, BSGEMM_FAULT_NONE)] = rm[r * cols + kb];
}

int bsgemm_fault_observable(int64_t mn, int64_t k, int sf_vec)
{
    return mn > 128 && bsgemm_sf_cols(k, sf_vec) % 4 != 0;
}

/* Decoded operand: element values [rows][k] and scale values [rows][cols]
 * read through the (possibly faulty) layout. */
typedef struct {
    double *val;
    double *scale;
} decoded_t;

static int decode(const bsgemm_operand_t *o, int64_t rows, int64_t k, int sf_vec,
                  bsgemm_fault_t fault, decoded_t *d)
{
    int64_t cols = bsgemm_sf_cols(k, sf_vec);
    d->val = malloc((size_t)(rows * k) * sizeof *d->val);
    d->scale = malloc((size_t)(rows * cols) * sizeof *d->scale);
    if (!d->val || !d->scale) {
        free(d->val);
        free(d->scale);
        return -1;
    }
    mxfmt_elem_t ef = mxquant_elem(o->fmt);
    double lut[256];
    int ncodes = 1 << mxfmt_info(ef)->bits;
    for (int c = 0; c < ncodes; c++)
        lut[c] = mxfmt_decode(ef, (uint8_t)c);
    for (int64_t i = 0; i < rows * k; i++) {
        assert(o->codes[i] < ncodes);
        d->val[i] = lut[o->codes[i]];
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t kb = 0; kb < cols; kb++)
            d->scale[r * cols + kb] =
                mxquant_scale_value(o->fmt, o->sf[bsgemm_sf_offset(r, kb, rows, k, sf_vec, fault)]);
    return 0;
}

/* out[ra][rb] = sum_k x[ra][k] * y[rb][k] in the order of bsgemm.h. */
static void core(const decoded_t *x, int64_t ra, const decoded_t *y, int64_t rb, int64_t k,
                 int sf_vec, int tile_k, float alpha, float *out)
{
    int64_t cols = bsgemm_sf_cols(k, sf_vec);
    for (int64_t i = 0; i < ra; i++)
        for (int64_t j = 0; j < rb; j++) {
            const double *xv = x->val + i * k, *yv = y->val + j * k;
            const double *xs = x->scale + i * cols, *ys = y->scale + j * cols;
            float acc = 0;
            for (int64_t kt = 0; kt < k; kt += tile_k) {
                int64_t kend = kt + tile_k < k ? kt + tile_k : k;
                float tile = 0;
                for (int64_t kb = kt / sf_vec; kb * sf_vec < kend; kb++) {
                    int64_t k0 = kb * sf_vec, k1 = k0 + sf_vec < k ? k0 + sf_vec : k;
                    double s = 0;
                    for (int64_t kk = k0; kk < k1; kk++)
                        s += xv[kk] * yv[kk];
                    float blk = (float)(s * (xs[kb] * ys[kb]));
                    tile = tile + blk;
                }
                acc = acc + tile;
            }
            out[i * rb + j] = acc * alpha;
        }
}

int bsgemm_run(const bsgemm_problem_t *p, const bsgemm_tile_t *t, bsgemm_fault_t fault, float *c)
{
    assert(p->m > 0 && p->n > 0 && p->k > 0 && p->sf_vec > 0);
    assert(t->tile_k > 0 && t->tile_k % p->sf_vec == 0);
    decoded_t a, b;
    if (decode(&p->a, p->m, p->k, p->sf_vec, fault, &a) != 0)
        return -1;
    if (decode(&p->b, p->n, p->k, p->sf_vec, fault, &b) != 0) {
        free(a.val);
        free(a.scale);
        return -1;
    }
    float *ct = t->swap_ab ? malloc((size_t)(p->m * p->n) * sizeof *ct) : NULL;
    if (t->swap_ab && ct == NULL) {
        free(a.val);
        free(a.scale);
        free(b.val);
        free(b.scale);
        return -1;
    }
    float alpha = 1.0f / (p->a.global * p->b.global);
    if (!t->swap_ab) {
        core(&a, p->m, &b, p->n, p->k, p->sf_vec, t->tile_k, alpha, c);
    } else {
        core(&b, p->n, &a, p->m, p->k, p->sf_vec, t->tile_k, alpha, ct);
        for (int64_t i = 0; i < p->m; i++)
            for (int64_t j = 0; j < p->n; j++)
                c[i * p->n + j] = ct[j * p->m + i];
        free(ct);
    }
    free(a.val);
    free(a.scale);
    free(b.val);
    free(b.scale);
    return 0;
}
