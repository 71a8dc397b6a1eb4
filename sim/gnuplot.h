/* gnuplot.h -- renders an embedded gnuplot script (plots/<name>.gp) to PNG
 * or SVG, chosen by the output file's extension. The output appears only
 * when gnuplot succeeded (rendered to a temporary name, then renamed). */
#ifndef GBSIM_GNUPLOT_H
#define GBSIM_GNUPLOT_H

#include <stddef.h>

/* preamble: gnuplot commands run before the script (variable definitions).
 * Returns 0, or -1 with err (unknown extension, gnuplot missing or failing). */
int gnuplot_render(const char *script, const char *preamble, const char *out_path, char *err,
                   size_t errlen);

#endif
