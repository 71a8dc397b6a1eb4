/* gnuplot.h -- renders an embedded gnuplot script (plots/<name>.gp) to PNG
 * or SVG, chosen by the output file's extension. gnuplot runs without a
 * shell (posix_spawnp with an argument list); paths are quoted for
 * gnuplot's own string syntax. The output appears only when gnuplot
 * succeeded (rendered to a temporary name beside it, then renamed). */
#ifndef GBSIM_GNUPLOT_H
#define GBSIM_GNUPLOT_H

#include <stddef.h>

/* 0 if path ends in .png or .svg and its directory is writable, else -1
 * with err. Lets a command reject a bad plot path before doing any work. */
int gnuplot_check_path(const char *out_path, char *err, size_t errlen);

/* s as text that can stand inside a gnuplot single-quoted string of a
 * preamble (a plot title): a copy in buf (len bytes, truncated) with each
 * quote and line break, which would end the string, replaced by '_'. */
void gnuplot_title_text(const char *s, char *buf, size_t len);

/* Write `text` as the data file the script reads; the preamble (gnuplot
 * commands run before the script) sees its path as the variable datafile.
 * Returns 0, or -1 with err (gnuplot missing or failing). */
int gnuplot_render(const char *script, const char *preamble, const char *data,
                   const char *out_path, char *err, size_t errlen);

/* The three plots of decode steps and sweeps. Each renders its embedded
 * script (named in the comment) to out_path; returns 0, or -1 with err. */

/* Stacked bars, one per decode step (decode_breakdown.gp): each op a segment
 * in its colour (plots/palette.h); ops under 1 % of the step in every bar
 * share one segment "other"; a dashed mark across each bar at its DRAM
 * floor; text above each bar. */
typedef struct {
    const char *title;           /* what was varied, and what was fixed */
    int nbars, nops;
    const char *const *label;    /* [nbars] under each bar */
    const char *const *op;       /* [nops] op names, the bottom segment first */
    const double *us;            /* [nbars][nops] row-major: us per step (0: absent) */
    const double *floor_us;      /* [nbars] DRAM floor; NaN: no mark */
    const char *const *text;     /* [nbars] above each bar */
} gnuplot_bars_t;
int gnuplot_bars(const gnuplot_bars_t *b, const char *out_path, char *err, size_t errlen);

/* Lines over a numeric x axis, one per series (sweep_curves.gp), each with an
 * optional dashed companion in its colour (a limit); NaN leaves a gap. Axes
 * turn logarithmic when their positive values span 16x (x) or 20x (y). */
typedef struct {
    const char *title, *xlabel, *ylabel;
    int nseries, nx;
    const char *const *series;   /* [nseries] legend text */
    const double *x;             /* [nx] the same x values for every series */
    const double *y;             /* [nseries][nx] */
    const double *y2;            /* [nseries][nx] dashed companions, or NULL */
    const char *y2_title;        /* legend text of the dashed lines */
} gnuplot_curves_t;
int gnuplot_curves(const gnuplot_curves_t *c, const char *out_path, char *err, size_t errlen);

/* A grid of coloured cells with text (sweep_heatmap.gp): column labels along
 * x, row labels down y (row 0 at the top); a NaN value is a grey cell. */
typedef struct {
    const char *title, *xlabel, *ylabel, *cblabel;
    int nx, ny;
    const char *const *xlabels;  /* [nx] */
    const char *const *ylabels;  /* [ny] */
    const double *z;             /* [ny][nx] colour values, NaN: none */
    double zmin, zmax;           /* colour range: zmin green ... zmax red */
    const char *const *text;     /* [ny][nx] the cell's first line */
    const char *const *subtext;  /* [ny][nx] a smaller second line, or NULL */
} gnuplot_heatmap_t;
int gnuplot_heatmap(const gnuplot_heatmap_t *h, const char *out_path, char *err, size_t errlen);

#endif
