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
    int nadded = cfg.fmt == MXQ_NVFP4 ? 4 : 3;

    csvrec_list_t r = {0};
    if (csvrec_read(in, &r, err, sizeof err) != 0) {
        csvrec_free(&r);
        return cli_fail(err);
    }
    int rc = 0;
    float *x = NULL;
    uint8_t *codes = NULL, *scales = NULL;
    if (r.nrecs == 0) {
        rc = cli_error("%s:1: the file is empty; expected a header line with a column 'x'", in);
        goto done;
    }
    const csvrec_t *h = &r.recs[0];
    int xcol = -1;
    for (size_t c = 0; c < h->n; c++) {
        if (!strcmp(h->fields[c], "x") && xcol < 0)
            xcol = (int)c;
        for (int a = 0; a < nadded; a++)
            if (!strcmp(h->fields[c], ADDED[a])) {
                rc = cli_error("%s:%d: column '%s' already exists; expected an input without "
                               "the output columns code, scale, xq%s", in, h->line, ADDED[a],
                               nadded == 4 ? ", global_scale" : "");
                goto done;
            }
    }
    if (xcol < 0) {
        rc = cli_error("%s:%d: the header has no column 'x'; expected a column named x "
                       "holding the values to quantize", in, h->line);
        goto done;
    }
    size_t n = r.nrecs - 1;
    x = malloc((n ? n : 1) * sizeof *x);
    codes = malloc(n ? n : 1);
    scales = malloc(n ? n : 1);
    if (!x || !codes || !scales) {
        rc = cli_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const csvrec_t *rw = &r.recs[i + 1];
        if (rw->n != h->n) {
            rc = cli_error("%s:%d: %zu fields; expected %zu (as many as the header)",
                           in, rw->line, rw->n, h->n);
            goto done;
        }
        if (parse_x(rw->fields[xcol], &x[i]) != 0) {
            rc = cli_error("%s:%d: column 'x': '%.200s' is not valid; expected a decimal "
                           "number within the fp32 range (|x| <= 3.40282347e38), nan, inf or -inf",
                           in, rw->line, rw->fields[xcol]);
            goto done;
        }
    }
    float global = mxquant_global_scale(&cfg, x, n);
    mxquant_quantize(&cfg, x, n, global, codes, scales);
    size_t bs = (size_t)mxquant_block(&cfg);

    cli_out_t o;
    if (cli_out_open(&o, out, err, sizeof err) != 0) {
        rc = cli_fail(err);
        goto done;
    }
    for (size_t c = 0; c < h->n; c++) {
        csvrec_write_field(o.f, h->fields[c]);
        fputc(',', o.f);
    }
    for (int a = 0; a < nadded; a++)
        fprintf(o.f, "%s%c", ADDED[a], a + 1 < nadded ? ',' : '\n');
    for (size_t i = 0; i < n; i++) {
        const csvrec_t *rw = &r.recs[i + 1];
        for (size_t c = 0; c < rw->n; c++) {
            csvrec_write_field(o.f, rw->fields[c]);
            fputc(',', o.f);
        }
        uint8_t s = scales[i / bs];
        fprintf(o.f, "%u,%u,%.9g", codes[i], s, mxquant_dequant(&cfg, codes[i], s, global));
        if (nadded == 4)
            fprintf(o.f, ",%.9g", (double)global);
        fputc('\n', o.f);
    }
    if (cli_out_commit(&o, err, sizeof err) != 0)
        rc = cli_fail(err);
done:
    free(x);
    free(codes);
    free(scales);
    csvrec_free(&r);
    return rc;
}
