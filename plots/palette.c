/* palette.c -- the op colour table and the series colours. */
#include "plots/palette.h"

#include <assert.h>

#include "sim/table.h"

/* One row per op. The ops that take most of a decode step get the eight
 * Okabe-Ito colours (Okabe & Ito 2008, "Color Universal Design", distinct
 * under the common colour-vision deficiencies); the rest take Paul Tol's
 * muted and light schemes (personal.sron.nl/~pault, "Colour schemes",
 * 2021), and greys for the bookkeeping rows. */
typedef struct {
    const char *name;
    const char *rgb;
} op_colour_t;

static const op_colour_t OPS[] = {
    {"qkv_proj", "#0072B2"},     {"o_proj", "#56B4E9"},      {"attention", "#009E73"},
    {"moe_fc1", "#D55E00"},      {"moe_fc2", "#E69F00"},     {"lm_head", "#CC79A7"},
    {"launch", "#F0E442"},       {"router", "#882255"},      {"ffn_gate_up", "#117733"},
    {"ffn_down", "#44AA99"},     {"ffn_act", "#88CCEE"},     {"rope", "#AA4499"},
    {"kv_write", "#332288"},     {"topk", "#DDCC77"},        {"moe_quant", "#EE8866"},
    {"moe_maps", "#BBCC33"},     {"moe_expand", "#AAAA00"},  {"moe_act", "#FFAABB"},
    {"moe_finalize", "#EEDD88"}, {"moe_bias", "#77AADD"},    {"moe_sum", "#99DDFF"},
    {"moe_pad", "#CC6677"},      {"moe_zero", "#C2A5CF"},
    {"embed", "#44BB99"},        {"sample", "#6699CC"},      {"quant_q8_1", "#AA3377"},
    {"norm", "#BBBBBB"},         {"residual", "#DDDDDD"},
    /* compare's generic classes (models/data/kclass/kernel_classes.csv) */
    {"gemm", "#1F4E79"},         {"gemv", "#3969AC"},        {"mmq", "#7F3C8D"},
    {"moe_gemm", "#A83E00"},     {"elementwise", "#8C8C8C"}, {"join_prev", "#5F5F5F"},
    /* ops under a plot's cut, merged into one segment */
    {"other", "#404040"},
};

const char *palette_op_rgb(const char *op)
{
    const op_colour_t *r = TABLE_FIND(OPS, op);
    return r ? r->rgb : PALETTE_UNLISTED;
}

const char *palette_op_at(int i)
{
    return i >= 0 && (size_t)i < sizeof OPS / sizeof OPS[0] ? OPS[i].name : NULL;
}

/* Okabe-Ito without yellow (too light for a line), then black and grey. */
static const char *const SERIES[PALETTE_NSERIES] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999",
};

const char *palette_series_rgb(int i)
{
    assert(i >= 0);
    return SERIES[i % PALETTE_NSERIES];
}
