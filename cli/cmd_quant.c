/* cmd_quant.c -- `gbsim quant --fmt F --rule R IN.csv OUT.csv`.
 *
 * IN is read with sim/csvrec.h, so every record knows the physical line it
 * starts on. OUT is every input column followed by code, scale, xq (and
 * global_scale for nvfp4), written atomically (cli/cli.h cli_out_*). */
#include "cli/cmd_quant.h"

#include "sim/csvrec.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "models/numerics/mxquant.h"

static const char USAGE[] = "usage: gbsim quant --fmt FMT [--rule ocp|nvidia] IN.csv OUT.csv";
static const char MORE[] =
    "Quantizes column x of IN.csv (one value per row; other columns are carried\n"
    "through unchanged). Blocks are consecutive rows: 32 for the MX formats, 16\n"
    "for nvfp4; a last partial block is allowed. Formats: mxfp4 (E2M1 elements,\n"
    "UE8M0 scale), mxfp8e4m3 / mxfp8e5m2 (E4M3 / E5M2 elements, UE8M0 scale),\n"
    "nvfp4 (E2M1 elements, UE4M3 scale per 16, fp32 per-tensor scale).\n"
    "Rules: ocp = OCP MX v1.0 / MX paper Algorithm 1: scale exponent\n"
    "floor(log2 amax) - emax_elem, elements above max clamped (for nvfp4: no\n"
    "per-tensor scale); nvidia = TensorRT-LLM/FlashInfer: scale rounded up so\n"
    "nothing clips (nvfp4: per-tensor scale 2688/amax over all rows).\n"
    "Elements round to nearest, ties to even. Details: models/numerics/mxquant.h.\n"
    "x: a decimal number (rounded to fp32; beyond the fp32 range is an error),\n"
    "or nan, inf, -inf. A block holding NaN or Inf gets the NaN scale (255 for\n"
    "UE8M0, 127 for UE4M3) and every element the NaN code (0 for E2M1).\n"
    "OUT.csv = IN's columns plus: code (element code, unsigned integer), scale\n"
    "(the block's scale byte, unsigned integer), xq (dequantized value, %.9g),\n"
    "and for nvfp4 global_scale (the per-tensor fp32 scale, %.9g; xq =\n"
    "element * scale value / global_scale). OUT is written to OUT.tmp.<pid> and\n"
    "renamed; on bad input nothing is written and the exit status is 2.\n";

static int parse_x(const char *s, float *out)
{
    const char *t = (*s == '+' || *s == '-') ? s + 1 : s;
    int neg = *s == '-';
    if (!strcasecmp(t, "nan")) {
        *out = neg ? -NAN : NAN;
        return 0;
    }
    if (!strcasecmp(t, "inf") || !strcasecmp(t, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (*s == '\0' || strspn(s, "0123456789.eE+-") != strlen(s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return -1;
    float f = (float)v;
    if (isinf(f))
        return -1;
    *out = f;
    return 0;
}

static const char *const ADDED[] = {"code", "scale", "xq", "global_scale"};

/* Output columns added for fmt: code, scale, xq, and global_scale for nvfp4. */
static int n_added(mxquant_fmt_t fmt)
{
    return fmt == MXQ_NVFP4 ? 4 : 3;
}

void cmd_quant_input_free(quant_input_t *q)
{
    csvrec_free(&q->recs);
    free(q->x);
    memset(q, 0, sizeof *q);
}

int cmd_quant_read(mxquant_fmt_t fmt, const char *in, const char *text, size_t len,
                   quant_input_t *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    int nadded = n_added(fmt);
    csvrec_list_t *r = &q->recs;
    if (csvrec_parse(in, text, len, 0, 1, NULL, r, err, errlen) != 0)
        goto fail;
    if (r->nrecs == 0) {
        snprintf(err, errlen, "%s:1: the file is empty; expected a header line with a column "
                 "'x'", in);
        goto fail;
    }
    const csvrec_t *h = &r->recs[0];
    int xcol = -1;
    for (size_t c = 0; c < h->n; c++) {
        if (!strcmp(h->fields[c], "x") && xcol < 0)
            xcol = (int)c;
        for (int a = 0; a < nadded; a++)
            if (!strcmp(h->fields[c], ADDED[a])) {
                snprintf(err, errlen, "%s:%d: column '%s' already exists; expected an input "
                         "without the output columns code, scale, xq%s", in, h->line, ADDED[a],
                         nadded == 4 ? ", global_scale" : "");
                goto fail;
            }
    }
    if (xcol < 0) {
        snprintf(err, errlen, "%s:%d: the header has no column 'x'; expected a column named x "
                 "holding the values to quantize", in, h->line);
        goto fail;
    }
    q->xcol = (size_t)xcol;
    q->n = r->nrecs - 1;
    q->x = malloc((q->n ? q->n : 1) * sizeof *q->x);
    if (!q->x) {
        snprintf(err, errlen, "%s: out of memory", in);
        goto fail;
    }
    for (size_t i = 0; i < q->n; i++) {
        const csvrec_t *rw = &r->recs[i + 1];
        if (rw->n != h->n) {
            snprintf(err, errlen, "%s:%d: %zu fields; expected %zu (as many as the header)",
                     in, rw->line, rw->n, h->n);
            goto fail;
        }
        if (parse_x(rw->fields[xcol], &q->x[i]) != 0) {
            snprintf(err, errlen, "%s:%d: column 'x': '%.200s' is not valid; expected a "
                     "decimal number within the fp32 range (|x| <= 3.40282347e38), nan, inf or "
                     "-inf", in, rw->line, rw->fields[xcol]);
            goto fail;
        }
    }
    return 0;
fail:
    cmd_quant_input_free(q);
    return -1;
}

int cmd_quant_write(FILE *f, const mxquant_cfg_t *cfg, const quant_input_t *q)
{
    size_t n = q->n;
    uint8_t *codes = malloc(n ? n : 1), *scales = malloc(n ? n : 1);
    if (!codes || !scales) {
        free(codes);
        free(scales);
        return -1;
    }
    int nadded = n_added(cfg->fmt);
    float global = mxquant_global_scale(cfg, q->x, n);
    mxquant_quantize(cfg, q->x, n, global, codes, scales);
    size_t bs = (size_t)mxquant_block(cfg);
    const csvrec_t *h = &q->recs.recs[0];
    for (size_t c = 0; c < h->n; c++) {
        csvrec_write_field(f, h->fields[c]);
        fputc(',', f);
    }
    for (int a = 0; a < nadded; a++)
        fprintf(f, "%s%c", ADDED[a], a + 1 < nadded ? ',' : '\n');
    for (size_t i = 0; i < n; i++) {
        const csvrec_t *rw = &q->recs.recs[i + 1];
        for (size_t c = 0; c < rw->n; c++) {
            csvrec_write_field(f, rw->fields[c]);
            fputc(',', f);
        }
        uint8_t s = scales[i / bs];
        fprintf(f, "%u,%u,%.9g", codes[i], s, mxquant_dequant(cfg, codes[i], s, global));
        if (nadded == 4)
            fprintf(f, ",%.9g", (double)global);
        fputc('\n', f);
    }
    free(codes);
    free(scales);
    return 0;
}

int cmd_quant_main(int argc, char **argv)
{
    const char *fmt_s = NULL, *rule_s = "ocp";
    cli_list_t files = {.max = 2};
    cli_opt_t opts[] = {
        {"fmt", CLI_STR, "mxfp4 | mxfp8e4m3 | mxfp8e5m2 | nvfp4 (required)", .to = &fmt_s},
        {"rule", CLI_STR, "scale rule: ocp | nvidia (default ocp)", .to = &rule_s},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "quant", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts), .args = "IN.csv OUT.csv", .pos = &files};
    int status;
    if (cli_parse(&cmd, argc, argv, &status) != 0)
        return status;
    char err[1400];
    mxquant_cfg_t cfg = {.block = 0};
    if (fmt_s == NULL)
        return cli_error("--fmt is required; expected one of %s", mxquant_fmt_names());
    if (mxquant_fmt_parse(fmt_s, &cfg.fmt) != 0)
        return cli_error("--fmt '%s' is not valid; expected one of %s", fmt_s,
                         mxquant_fmt_names());
    if (mxquant_rule_parse(rule_s, &cfg.rule) != 0)
        return cli_error("--rule '%s' is not valid; expected one of %s", rule_s,
                         mxquant_rule_names());
    const char *in = files.v[0], *out = files.v[1];
    char *text = NULL;
    size_t len = 0;
    if (csvrec_slurp(in, &text, &len, err, sizeof err) != 0)
        return cli_fail(err);
    quant_input_t q;
    int rc = cmd_quant_read(cfg.fmt, in, text, len, &q, err, sizeof err);
    free(text);
    if (rc != 0)
        return cli_fail(err);
    cli_out_t o;
    if (cli_out_open(&o, out, err, sizeof err) != 0)
        rc = cli_fail(err);
    else if (cmd_quant_write(o.f, &cfg, &q) != 0) {
        cli_out_abort(&o);
        rc = cli_error("out of memory");
    } else if (cli_out_commit(&o, err, sizeof err) != 0)
        rc = cli_fail(err);
    cmd_quant_input_free(&q);
    return rc;
}
