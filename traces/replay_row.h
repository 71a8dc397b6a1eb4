/* replay_row.h -- the prediction of one decode-trace row (docs/formats.md),
 * shared by `gbsim replay` and `gbsim calibrate`. A row is one isolated kernel
 * launch with cold caches.
 *
 * With REPLAY_TRACE_CONFIG (replay's default, and calibrate's) the row's
 * launch configuration is honoured where given: tile, stages, swap_ab,
 * split_k, grid_ctas and impl (the implementation row: cuBLAS's separate
 * split-K reduce kernel, cuDNN's attention tiles). With REPLAY_AUTO_CONFIG
 * (`replay --auto-config`) the configuration columns are ignored but the
 * row's library (impl) is kept, and its selection rule picks
 * (gemm_impl_chooser: cuBLAS's observed nvjet list, torch._grouped_mm's size
 * rule, FlashInfer's SM120 lists; a row without impl gets the arch family's
 * default library; cuDNN's attention rule); gemm rows also take a
 * dequantizing GEMV (m <= 16, unscaled activations) where faster. In either
 * mode a gemm row without a tile is priced the auto way. */
#ifndef GBSIM_REPLAY_ROW_H
#define GBSIM_REPLAY_ROW_H

#include <stddef.h>

#include "models/arch.h"
#include "models/kmodel.h"
#include "traces/trace.h"

typedef enum {
    REPLAY_TRACE_CONFIG,      /* honour the row's launch-configuration columns */
    REPLAY_AUTO_CONFIG        /* ignore them: the simulator picks */
} replay_config_t;

/* Predicted duration of row r on arch a, in microseconds, with the row's
 * launch configuration (REPLAY_TRACE_CONFIG). Returns 0, or -1 with err when
 * no kernel model can run the row. */
int replay_row_predict(const arch_t *a, const trace_row_t *r, double *us, char *err,
                       size_t errlen);

/* The same with the configuration mode chosen; when detail is not NULL it
 * receives the kernel model's output for the prediction (main kernel,
 * second kernels in extra_us, bound). */
int replay_row_predict_as(const arch_t *a, const trace_row_t *r, replay_config_t cfg, double *us,
                          kmodel_out_t *detail, char *err, size_t errlen);

/* The same through memo (kmodel.h kmodel_run_memo; NULL: none): rows equal in
 * every field a prediction reads share their kernels' runs. */
int replay_row_predict_memo(kmodel_memo_t *memo, const arch_t *a, const trace_row_t *r,
                            replay_config_t cfg, double *us, kmodel_out_t *detail, char *err,
                            size_t errlen);

#endif
