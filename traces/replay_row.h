/* replay_row.h -- the prediction of one decode-trace row (traces/README.md),
 * shared by `gbsim replay` and `gbsim calibrate`. A row is one isolated kernel launch with cold
 * caches; gemm rows without a tile are priced as a tuned library would pick:
 * the fastest of a dequantizing GEMV (m <= 16, unscaled activations) and the
 * valid candidate tiles; grouped_gemm rows use the persistent grouped kernel;
 * attention uses flashinfer-fa2. */
#ifndef GBSIM_REPLAY_ROW_H
#define GBSIM_REPLAY_ROW_H

#include <stddef.h>

#include "../models/arch.h"
#include "trace.h"

/* Predicted duration of row r on arch a, in microseconds. Returns 0, or -1
 * with err when no kernel model can run the row. */
int replay_row_predict(const arch_t *a, const trace_row_t *r, double *us, char *err,
                       size_t errlen);

#endif
