/* gnuplot.c -- runs gnuplot on an embedded script, without a shell. */
#include "plots/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/preset.h"
#include "plots/palette.h"

extern char **environ;

static const char *terminal_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".png") == 0)
        return "pngcairo size 1100,700 font \"sans,10\"";
    if (dot && strcmp(dot, ".svg") == 0)
        return "svg size 1100,700 dynamic font \"sans,10\"";
    return NULL;
}

/* A gnuplot single-quoted string: '' stands for one quote. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

void gnuplot_title_text(const char *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s", s);
    for (char *q = buf; *q; q++)
        if (*q == '\'' || *q == '\n')
            *q = '_';
}

int gnuplot_check_path(const char *out_path, char *err, size_t errlen)
{
    if (terminal_for(out_path) == NULL) {
        snprintf(err, errlen, "%s: plot file must end in .png or .svg", out_path);
        return -1;
    }
    char probe[1100];
    snprintf(probe, sizeof probe, "%s.tmp.%ld", out_path, (long)getpid());
    FILE *f = fopen(probe, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot write: %s", out_path, strerror(errno));
        return -1;
    }
    fclose(f);
    remove(probe);
    return 0;
}

static int write_file(const char *path, const char *a, const char *b, size_t blen)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(a, f);
    if (b)
        fwrite(b, 1, blen, f);
    return fclose(f);
}

int gnuplot_render(const char *script, const char *preamble, const char *data,
                   const char *out_path, char *err, size_t errlen)
{
    const preset_file_t *p = preset_find("plot", script);
    if (p == NULL) {
        snprintf(err, errlen, "no embedded gnuplot script '%s'", script);
        return -1;
    }
    if (gnuplot_check_path(out_path, err, errlen) != 0)
        return -1;
    char dir[] = "/tmp/gbsim-plot.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        snprintf(err, errlen, "cannot create a temporary directory: %s", strerror(errno));
        return -1;
    }
    char gp[64], dat[64], log[64], tmp_out[1100];
    snprintf(gp, sizeof gp, "%s/plot.gp", dir);
    snprintf(dat, sizeof dat, "%s/data.tsv", dir);
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    snprintf(tmp_out, sizeof tmp_out, "%s.tmp.%ld", out_path, (long)getpid());
    int ok = write_file(dat, data, NULL, 0) == 0;
    FILE *f = ok ? fopen(gp, "w") : NULL;
    if (f) {
        fprintf(f, "set terminal %s\nset output ", terminal_for(out_path));
        put_quoted(f, tmp_out);
        fprintf(f, "\ndatafile = ");
        put_quoted(f, dat);
        fprintf(f, "\n%s\n", preamble);
        fwrite(p->text, 1, p->len, f);
        fprintf(f, "\nset output\n");
        ok = fclose(f) == 0;
    } else
        ok = 0;
    int status = -1;
    if (ok) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        char *argv[] = {"gnuplot", gp, NULL};
        pid_t pid;
        if (posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ) == 0)
            waitpid(pid, &status, 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    ok = ok && status == 0 && access(tmp_out, F_OK) == 0;
    if (!ok) {
        char msg[300] = "";
        FILE *l = fopen(log, "r");
        if (l) {
            size_t n = fread(msg, 1, sizeof msg - 1, l);
            msg[n] = '\0';
            fclose(l);
        }
        snprintf(err, errlen, "%s: gnuplot failed%s%s", out_path,
                 status == -1 ? " (is gnuplot installed?)" : ": ", msg);
        remove(tmp_out);
    } else if (rename(tmp_out, out_path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", out_path, strerror(errno));
        remove(tmp_out);
        ok = 0;
    }
    remove(gp);
    remove(dat);
    remove(log);
    rmdir(dir);
    return ok ? 0 : -1;
}

/* ---- decode steps and sweeps ---------------------------------------------- */

/* s as a gnuplot string expression: single-quoted ('' for a quote), a line
 * break joined in as "\n" (a new line of a title), a carriage return as a
 * space. */
static void put_text(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        if (*s == '\n')
            fputs("'.\"\\n\".'", f);
        else
            fputc(*s == '\r' ? ' ' : *s, f);
    }
    fputc('\'', f);
}

/* s as one field of a tab-separated data line: never empty (gnuplot would
 * merge the separators), tabs and line breaks as spaces. */
static void put_field(FILE *f, const char *s)
{
    if (!*s)
        s = " ";
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* array NAME[n] = [strings] as a preamble line */
static void put_array(FILE *f, const char *name, const char *const *v, int n)
{
    fprintf(f, "array %s[%d] = [", name, n);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        put_text(f, v[i]);
    }
    fprintf(f, "]\n");
}

/* Render script with the preamble and data built in two memory streams
 * (either may be NULL after a failed open_memstream: out of memory); the
 * buffers are valid after fclose and freed here. */
static int render_streams(const char *script, FILE *pre, char **pbuf, FILE *dat, char **dbuf,
                          const char *out_path, char *err, size_t errlen)
{
    int ok = pre && dat;
    if (pre)
        ok &= fclose(pre) == 0;
    if (dat)
        ok &= fclose(dat) == 0;
    int rc = -1;
    if (!ok)
        snprintf(err, errlen, "%s: out of memory", out_path);
    else
        rc = gnuplot_render(script, *pbuf, *dbuf, out_path, err, errlen);
    free(*pbuf);
    free(*dbuf);
    return rc;
}

#define OTHER_FRAC 0.01

int gnuplot_bars(const gnuplot_bars_t *b, const char *out_path, char *err, size_t errlen)
{
    /* an op is kept when it takes OTHER_FRAC of its bar's total in some bar */
    int *keep = calloc((size_t)b->nops + 1, sizeof *keep);
    double *total = calloc((size_t)b->nbars + 1, sizeof *total);
    if (!keep || !total) {
        free(keep);
        free(total);
        snprintf(err, errlen, "%s: out of memory", out_path);
        return -1;
    }
    double ymax = 0;
    for (int i = 0; i < b->nbars; i++) {
        for (int j = 0; j < b->nops; j++)
            total[i] += isfinite(b->us[i * b->nops + j]) ? b->us[i * b->nops + j] : 0;
        ymax = fmax(ymax, fmax(total[i], isfinite(b->floor_us[i]) ? b->floor_us[i] : 0));
    }
    int nkept = 0, other = 0;
    for (int j = 0; j < b->nops; j++) {
        for (int i = 0; i < b->nbars; i++)
            if (b->us[i * b->nops + j] >= OTHER_FRAC * total[i] && b->us[i * b->nops + j] > 0)
                keep[j] = 1;
        nkept += keep[j];
        other |= !keep[j];
    }
    char *pbuf = NULL, *dbuf = NULL;
    size_t plen, dlen;
    FILE *pre = open_memstream(&pbuf, &plen), *dat = open_memstream(&dbuf, &dlen);
    if (pre && dat) {
        int ncols = 1 + nkept + other, longest = 0;
        for (int i = 0; i < b->nbars; i++)
            longest = (int)fmax(longest, (double)strlen(b->label[i]));
        fprintf(pre, "ncols = %d\nnbars = %d\nymax = %.6g\nxrot = %d\nplot_title = ", ncols,
                b->nbars, ymax > 0 ? ymax * 1.15 : 1, b->nbars * (longest + 2) > 110);
        put_text(pre, b->title);
        fprintf(pre, "\narray OPC[%d]\n", ncols - 1);
        int c = 1;
        fprintf(dat, "bar");
        for (int j = 0; j < b->nops; j++)
            if (keep[j]) {
                fprintf(pre, "OPC[%d] = '%s'\n", c++, palette_op_rgb(b->op[j]));
                fputc('\t', dat);
                put_field(dat, b->op[j]);
            }
        if (other) {
            fprintf(pre, "OPC[%d] = '%s'\n", c, palette_op_rgb("other"));
            fprintf(dat, "\tother (each < 1%% of its bar)");
        }
        fputc('\n', dat);
        for (int i = 0; i < b->nbars; i++) {
            put_field(dat, b->label[i]);
            double rest = 0;
            for (int j = 0; j < b->nops; j++) {
                double v = b->us[i * b->nops + j];
                v = isfinite(v) ? v : 0;
                if (keep[j])
                    fprintf(dat, "\t%.4f", v);
                else
                    rest += v;
            }
            if (other)
                fprintf(dat, "\t%.4f", rest);
            fputc('\n', dat);
        }
        fprintf(dat, "\n\n");
        for (int i = 0; i < b->nbars; i++) {
            fprintf(dat, "%d\t", i);
            if (isfinite(b->floor_us[i]))
                fprintf(dat, "%.4f", b->floor_us[i]);
            else
                fprintf(dat, "NaN");
            fprintf(dat, "\t%.4f\t", total[i]);
            put_field(dat, b->text[i]);
            fputc('\n', dat);
        }
    }
    free(keep);
    free(total);
    return render_streams("decode_breakdown", pre, &pbuf, dat, &dbuf, out_path, err, errlen);
}

/* 1 if the positive values of v[0..n) span at least ratio (a log axis), all
 * finite values being positive. */
static int wants_log(const double *v, int n, double ratio)
{
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        if (v[i] <= 0)
            return 0;
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
    }
    return hi > 0 && hi >= ratio * lo;
}

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fprintf(f, "NaN");
}

int gnuplot_curves(const gnuplot_curves_t *c, const char *out_path, char *err, size_t errlen)
{
    char *pbuf = NULL, *dbuf = NULL;
    size_t plen, dlen;
    FILE *pre = open_memstream(&pbuf, &plen), *dat = open_memstream(&dbuf, &dlen);
    if (pre && dat) {
        int ny = c->nseries * c->nx;
        fprintf(pre, "nseries = %d\nhas_y2 = %d\nlogx = %d\nlogy = %d\n", c->nseries,
                c->y2 != NULL, wants_log(c->x, c->nx, 16),
                wants_log(c->y, ny, 20) && (!c->y2 || wants_log(c->y2, ny, 1)));
        fprintf(pre, "plot_title = ");
        put_text(pre, c->title);
        fprintf(pre, "\nx_label = ");
        put_text(pre, c->xlabel);
        fprintf(pre, "\ny_label = ");
        put_text(pre, c->ylabel);
        fprintf(pre, "\ny2_title = ");
        put_text(pre, c->y2_title ? c->y2_title : "");
        fprintf(pre, "\n");
        put_array(pre, "ST", c->series, c->nseries);
        fprintf(pre, "array SC[%d]\n", c->nseries);
        for (int s = 0; s < c->nseries; s++)
            fprintf(pre, "SC[%d] = '%s'\n", s + 1, palette_series_rgb(s));
        for (int s = 0; s < c->nseries; s++) {
            for (int i = 0; i < c->nx; i++) {
                put_num(dat, c->x[i]);
                fputc('\t', dat);
                put_num(dat, c->y[s * c->nx + i]);
                fputc('\t', dat);
                put_num(dat, c->y2 ? c->y2[s * c->nx + i] : NAN);
                fputc('\n', dat);
            }
            fprintf(dat, "\n\n");
        }
    }
    return render_streams("sweep_curves", pre, &pbuf, dat, &dbuf, out_path, err, errlen);
}

int gnuplot_heatmap(const gnuplot_heatmap_t *h, const char *out_path, char *err, size_t errlen)
{
    char *pbuf = NULL, *dbuf = NULL;
    size_t plen, dlen;
    FILE *pre = open_memstream(&pbuf, &plen), *dat = open_memstream(&dbuf, &dlen);
    if (pre && dat) {
        int longest = 0;
        for (int r = 0; r < h->ny; r++)
            longest = (int)fmax(longest, (double)strlen(h->ylabels[r]));
        fprintf(pre, "nx = %d\nny = %d\nzmin = %.6g\nzmax = %.6g\nylabel_chars = %d\n", h->nx,
                h->ny, h->zmin, h->zmax > h->zmin ? h->zmax : h->zmin + 1, longest);
        fprintf(pre, "plot_title = ");
        put_text(pre, h->title);
        fprintf(pre, "\nx_label = ");
        put_text(pre, h->xlabel);
        fprintf(pre, "\ny_label = ");
        put_text(pre, h->ylabel);
        fprintf(pre, "\ncb_label = ");
        put_text(pre, h->cblabel);
        fprintf(pre, "\nset xtics (");
        for (int i = 0; i < h->nx; i++) {
            fprintf(pre, "%s", i ? ", " : "");
            put_text(pre, h->xlabels[i]);
            fprintf(pre, " %d", i);
        }
        fprintf(pre, ")\nset ytics (");
        for (int r = 0; r < h->ny; r++) {
            fprintf(pre, "%s", r ? ", " : "");
            put_text(pre, h->ylabels[r]);
            fprintf(pre, " %d", h->ny - 1 - r);
        }
        fprintf(pre, ")\n");
        /* row 0 at the top: y = ny - 1 - row */
        for (int r = 0; r < h->ny; r++)
            for (int i = 0; i < h->nx; i++) {
                int k = r * h->nx + i;
                fprintf(dat, "%d\t%d\t", i, h->ny - 1 - r);
                put_num(dat, h->z[k]);
                fputc('\t', dat);
                put_field(dat, h->text[k]);
                fputc('\t', dat);
                put_field(dat, h->subtext ? h->subtext[k] : "");
                fputc('\n', dat);
            }
    }
    return render_streams("sweep_heatmap", pre, &pbuf, dat, &dbuf, out_path, err, errlen);
}
