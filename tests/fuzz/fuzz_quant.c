/* fuzz_quant.c -- the input is IN.csv of `gbsim quant` (cli/cmd_quant.h),
 * parsed by cmd_quant_read for each format and, where valid, quantized under
 * each scale rule by cmd_quant_write into memory.
 *
 * Checked beyond the sanitizers: failure names the file in err; success
 * gives one value per row, and OUT reads back (sim/csvrec.h) as the header
 * and rows of IN, each field unchanged, followed by the added columns. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_quant.h"
#include "sim/csvrec.h"

#define FNAME "fuzz.csv"

static void check_out(const quant_input_t *q, int nadded, const char *out, size_t len)
{
    csvrec_list_t r;
    memset(&r, 0, sizeof r);
    char err[2048] = "";
    int rc = csvrec_parse("out.csv", out, len, 0, 1, NULL, &r, err, sizeof err);
    assert(rc == 0);
    assert(r.nrecs == q->recs.nrecs);
    for (size_t i = 0; i < r.nrecs; i++) {
        const csvrec_t *a = &q->recs.recs[i], *b = &r.recs[i];
        assert(b->n == a->n + (size_t)nadded);
        for (size_t c = 0; c < a->n; c++)
            assert(strcmp(a->fields[c], b->fields[c]) == 0);
    }
    csvrec_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int f = 0; f < MXQ_NFMT; f++) {
        quant_input_t q;
        char err[2048] = "";
        int rc = cmd_quant_read((mxquant_fmt_t)f, FNAME, (const char *)data, size, &q, err,
                                sizeof err);
        assert(rc == 0 || rc == -1);
        if (rc != 0) {
            assert(strncmp(err, FNAME ":", strlen(FNAME ":")) == 0);
            continue;
        }
        assert(q.recs.nrecs == q.n + 1 && q.xcol < q.recs.recs[0].n);
        for (int rule = 0; rule < MXQ_NRULE; rule++) {
            mxquant_cfg_t cfg = {.fmt = (mxquant_fmt_t)f, .rule = (mxquant_rule_t)rule};
            char *out = NULL;
            size_t len = 0;
            FILE *o = open_memstream(&out, &len);
            assert(o != NULL);
            assert(cmd_quant_write(o, &cfg, &q) == 0);
            assert(fclose(o) == 0);
            check_out(&q, f == MXQ_NVFP4 ? 4 : 3, out, len);
            free(out);
        }
        cmd_quant_input_free(&q);
    }
    return 0;
}
