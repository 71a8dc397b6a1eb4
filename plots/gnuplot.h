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

#endif
