/* gnuplot.c -- runs gnuplot on an embedded script. */
#include "gnuplot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../models/preset.h"

static const char *terminal_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".png") == 0)
        return "pngcairo size 1100,700 font \"sans,10\"";
    if (dot && strcmp(dot, ".svg") == 0)
        return "svg size 1100,700 dynamic font \"sans,10\"";
    return NULL;
}

int gnuplot_render(const char *script, const char *preamble, const char *out_path, char *err,
                   size_t errlen)
{
    const preset_file_t *p = preset_find("plot", script);
    if (p == NULL) {
        snprintf(err, errlen, "no embedded gnuplot script '%s'", script);
        return -1;
    }
    const char *term = terminal_for(out_path);
    if (term == NULL) {
        snprintf(err, errlen, "%s: plot file must end in .png or .svg", out_path);
        return -1;
    }
    char tmp_out[1100], gp[1100], log[1100];
    snprintf(tmp_out, sizeof tmp_out, "%s.tmp.%ld", out_path, (long)getpid());
    snprintf(gp, sizeof gp, "%s.gp.%ld", out_path, (long)getpid());
    snprintf(log, sizeof log, "%s.log.%ld", out_path, (long)getpid());
    FILE *f = fopen(gp, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot write", out_path);
        return -1;
    }
    fprintf(f, "set terminal %s\nset output '%s'\n%s\n", term, tmp_out, preamble);
    fwrite(p->text, 1, p->len, f);
    fprintf(f, "\nset output\n");
    fclose(f);
    char cmd[3400];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' > '%s' 2>&1", gp, log);
    int rc = system(cmd);
    int ok = rc == 0 && access(tmp_out, F_OK) == 0;
    if (!ok) {
        char msg[300] = "";
        FILE *l = fopen(log, "r");
        if (l) {
            size_t n = fread(msg, 1, sizeof msg - 1, l);
            msg[n] = '\0';
            fclose(l);
        }
        snprintf(err, errlen, "%s: gnuplot failed (is gnuplot installed?): %s", out_path, msg);
        remove(tmp_out);
    } else if (rename(tmp_out, out_path) != 0) {
        snprintf(err, errlen, "%s: cannot write", out_path);
        remove(tmp_out);
        ok = 0;
    }
    remove(gp);
    remove(log);
    return ok ? 0 : -1;
}
