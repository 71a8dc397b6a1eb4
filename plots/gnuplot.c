/* gnuplot.c -- runs gnuplot on an embedded script, without a shell. */
#include "plots/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/preset.h"

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
