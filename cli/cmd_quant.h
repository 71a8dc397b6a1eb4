/* cmd_quant.h -- `gbsim quant`: quantize a CSV column with MXFP4, MXFP8 or
 * NVFP4 under a chosen scale rule (models/numerics/mxquant.h). */
#ifndef GBSIM_CMD_QUANT_H
#define GBSIM_CMD_QUANT_H

#include <stddef.h>
#include <stdio.h>

#include "models/numerics/mxquant.h"
#include "sim/csvrec.h"

/* argv excludes the word "quant". Returns the exit status (0, or 2 for bad
 * input with a message on stderr and no output file). */
int cmd_quant_main(int argc, char **argv);

/* IN.csv, parsed and checked: its records and column x as fp32. */
typedef struct {
    csvrec_list_t recs;   /* recs.recs[0] is the header, then n rows */
    size_t n;             /* values: rows after the header */
    size_t xcol;          /* index of column x */
    float *x;             /* n values */
} quant_input_t;

/* Parse the CSV text (len bytes) of IN, named in in messages, for output
 * format fmt (whose added columns IN must not have). Returns 0, or -1 with
 * "IN:LINE: ..." and the expected value in err; then q holds nothing to free. */
int cmd_quant_read(mxquant_fmt_t fmt, const char *in, const char *text, size_t len,
                   quant_input_t *q, char *err, size_t errlen);

/* Quantize q under cfg and write OUT's text to f. Returns 0, or -1 when out
 * of memory (nothing written). Write errors are left in ferror(f). */
int cmd_quant_write(FILE *f, const mxquant_cfg_t *cfg, const quant_input_t *q);

void cmd_quant_input_free(quant_input_t *q);

#endif
