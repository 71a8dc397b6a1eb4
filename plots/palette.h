/* palette.h -- the colours of gbsim's plots: one fixed colour per op name
 * (the same op is the same colour in decode, sweep and compare plots) and
 * one per series of a line plot. Colours are "#RRGGBB" strings for gnuplot's
 * `lc rgb`. */
#ifndef GBSIM_PALETTE_H
#define GBSIM_PALETTE_H

/* The colour of an op (a stack op, compare's generic classes, "launch",
 * "other"); an unlisted name gets PALETTE_UNLISTED. */
#define PALETTE_UNLISTED "#7F7F7F"
const char *palette_op_rgb(const char *op);

/* The i-th name of the op table (i >= 0), or NULL past its end: for tests. */
const char *palette_op_at(int i);

/* The colour of series i (i >= 0) of a line plot; the list repeats after
 * PALETTE_NSERIES. */
#define PALETTE_NSERIES 8
const char *palette_series_rgb(int i);

#endif
