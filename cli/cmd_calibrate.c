/* cmd_calibrate.c -- `gbsim calibrate`: fit named arch parameters to measured
 * decode traces.
 *
 * Rows: every row with measured_us of every --trace, in order; row i (0-based
 * over those rows) is held out when (i + 1) % K == 0 (--holdout-every K,
 * default 3), the rest are fitted.
 * Model: a row's prediction is replay_row_predict (the code path of `gbsim
 * replay`) on the arch with the fitted parameters substituted.
 * Objective: sum over fit rows of r_i^2, r_i = (pred_i - meas_i) / meas_i
 * (relative errors, so a 400 us lm_head and a 1 us add weigh the same).
 * Bounds: each parameter x in its schema range [lo, hi] (models/arch.c) is
 * fitted as u with x = lo + (hi - lo) / (1 + exp(-u)); near the lower bound
 * this is a log scale, and no step can leave the range.
 * Solver: GSL gsl_multifit_nlinear (trust region, Levenberg-Marquardt), with a
 * forward-difference Jacobian taken here with a fixed step of DU in u (the
 * simulator is piecewise constant at picosecond/cycle granularity, so GSL's
 * default sqrt(eps) steps would see zero slope).
 * Ranges reported: the schema range and the +-1 sigma interval of the fit
 * (from the covariance of u, scaled by chi^2 / (n - p), mapped through the
 * transform).
 * Guard: fewer parameters than fit rows is required; the tool fits arch-wide
 * constants only, never one constant per kernel. */
#include "cli/cmd_calibrate.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>

#include "cli/cli.h"
#include "models/setup.h"
#include "sim/csvrec.h"
#include "traces/replay_row.h"
#include "traces/trace.h"

/* Finite-difference step in the transformed parameter u. */
#define DU 0.05
#define MAX_FIT 16
#define MAX_TRACES 16
#define DEFAULT_FIT "dram_achievable_frac,dram_latency_ns,kernel_fixed_ns"

static const char USAGE[] =
    "usage: gbsim calibrate --arch A --trace T.csv [--trace T2.csv ...] [--fit k1,k2,...]\n"
    "                       [--holdout-every K] [--max-iter N] [--out OVERRIDES.csv]";
static const char MORE[] =
    "Fits the named arch parameters (within their schema ranges) to the measured rows\n"
    "of the traces by nonlinear least squares on relative errors (pred - meas) / meas,\n"
    "predicting each row as `gbsim replay` does. Every K-th measured row is held out.\n"
    "Prints the fitted values with their +-1 sigma interval and schema range, the\n"
    "errors before and after, and ends with\n"
    "  fit_mape_pct: <MAPE over the fit rows, fitted>\n"
    "  holdout_mape_pct: <MAPE over the held-out rows, fitted>\n"
    "A key that ends within 0.1 % of a bound of its range, or whose interval covers\n"
    "half of it, is flagged (note AT_LOWER_BOUND, AT_UPPER_BOUND, UNDETERMINED).\n"
    "--out writes key,value,unit,source rows; each value passes --set key=value. It\n"
    "is refused (exit 1, the numbers on stderr, no file) when the fitted values do not\n"
    "predict the held-out rows better than the preset.\n"
    "Each prediction runs the simulator: a fit costs about (parameters + 2) x iterations\n"
    "replays of the fit rows.\n";

/* A measured row of some trace. */
typedef struct {
    const trace_row_t *r;
    const char *path;
    int hold;
} mrow_t;

/* Fit context: the arch being varied and the rows. */
typedef struct {
    arch_t base;                 /* arch with fixed overrides */
    size_t idx[MAX_FIT];         /* schema index of each fitted key */
    size_t p;
    mrow_t *rows;
    size_t nrows;
    int fail;                    /* a prediction failed */
    char err[512];
} fit_t;

static double lo_of(size_t i) { return arch_schema.defs[i].min; }
static double hi_of(size_t i) { return arch_schema.defs[i].max; }

static double to_x(size_t i, double u)
{
    return lo_of(i) + (hi_of(i) - lo_of(i)) / (1 + exp(-u));
}

static double to_u(size_t i, double x)
{
    double s = (x - lo_of(i)) / (hi_of(i) - lo_of(i));
    s = fmin(fmax(s, 1e-9), 1 - 1e-9);
    return log(s / (1 - s));
}

/* The arch at parameter vector u. Integer keys are rounded, as a data file
 * would hold them. */
static void arch_at(const fit_t *f, const double *u, arch_t *a)
{
    *a = f->base;
    for (size_t j = 0; j < f->p; j++) {
        const param_def_t *d = &arch_schema.defs[f->idx[j]];
        double x = to_x(f->idx[j], u[j]);
        if (d->type == PARAM_INT)
            x = round(x);
        memcpy((char *)a + d->offset, &x, sizeof x);
    }
}

/* Relative errors of the rows with hold == want (or all if want < 0). */
static int residuals(fit_t *f, const arch_t *a, int want, double *res, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < f->nrows; i++) {
        if (want >= 0 && f->rows[i].hold != want)
            continue;
        double us;
        char e[400];
        if (replay_row_predict(a, f->rows[i].r, &us, e, sizeof e) != 0) {
            snprintf(f->err, sizeof f->err, "%s:%d: op '%s': %s", f->rows[i].path,
                     f->rows[i].r->line, f->rows[i].r->op, e);
            f->fail = 1;
            return -1;
        }
        res[k++] = (us - f->rows[i].r->measured_us) / f->rows[i].r->measured_us;
    }
    *n = k;
    return 0;
}

static double mape(const double *res, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs(res[i]);
    return n ? 100 * s / (double)n : NAN;
}

static int f_res(const gsl_vector *u, void *data, gsl_vector *out)
{
    fit_t *f = data;
    arch_t a;
    arch_at(f, u->data, &a);
    size_t n;
    if (residuals(f, &a, 0, out->data, &n) != 0)
        return GSL_EDOM;
    assert(n == out->size);
    return GSL_SUCCESS;
}

/* Forward differences with step DU in u (see the file comment). */
static int f_jac(const gsl_vector *u, void *data, gsl_matrix *J)
{
    fit_t *f = data;
    size_t m = J->size1;
    gsl_vector *f0 = gsl_vector_alloc(m), *f1 = gsl_vector_alloc(m), *v = gsl_vector_alloc(u->size);
    int rc = GSL_ENOMEM;
    if (f0 && f1 && v) {
        rc = f_res(u, data, f0);
        for (size_t j = 0; j < f->p && rc == GSL_SUCCESS; j++) {
            gsl_vector_memcpy(v, u);
            gsl_vector_set(v, j, gsl_vector_get(u, j) + DU);
            rc = f_res(v, data, f1);
            for (size_t i = 0; i < m && rc == GSL_SUCCESS; i++)
                gsl_matrix_set(J, i, j, (gsl_vector_get(f1, i) - gsl_vector_get(f0, i)) / DU);
        }
    }
    gsl_vector_free(f0);
    gsl_vector_free(f1);
    gsl_vector_free(v);
    return rc;
}

/* Writes a comma (unless first) and one field (sim/csvrec.h). */
static void put(FILE *o, const char *s, int first)
{
    if (!first)
        fputc(',', o);
    csvrec_write_field(o, s);
}

int cmd_calibrate_main(int argc, char **argv)
{
    const char *arch = "gb10", *fit_s = DEFAULT_FIT, *out = NULL;
    cli_list_t traces = {.max = MAX_TRACES}, sets = {.max = SETUP_MAX_SETS};
    int64_t k_hold = 3, max_iter = 15;
    cli_opt_t opts[] = {
        {"arch", CLI_STR, "architecture preset to start from (default gb10)", .to = &arch},
        {"trace", CLI_LIST, "T.csv: decode trace with measured_us (docs/formats.md); repeatable",
         .to = &traces},
        {"fit", CLI_STR, "comma-separated arch keys to fit (default " DEFAULT_FIT ")",
         .to = &fit_s},
        {"holdout-every", CLI_INT, "hold out every K-th measured row, K >= 2 (default 3)",
         .to = &k_hold, .min = 2, .max = 1000000},
        {"max-iter", CLI_INT, "solver iterations, 1..200 (default 15)", .to = &max_iter, .min = 1,
         .max = 200},
        {"set", CLI_LIST, "key=value: fixed arch override applied before fitting (repeatable)",
         .to = &sets},
        {"out", CLI_OUT, "write the fitted values as an arch override file (key,value,unit,source)",
         .to = &out},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "calibrate", .usage = USAGE, .more = MORE, .opts = opts,
                     .nopts = CLI_NOPTS(opts)};
    int exit_status;
    if (cli_parse(&cmd, argc, argv, &exit_status) != 0)
        return exit_status;
    const char *const *paths = traces.v;
    int npaths = traces.n;
    char err[1400];
    if (npaths == 0)
        return cli_error("calibrate needs at least one --trace T.csv with measured_us (see gbsim "
                         "calibrate --help)");

    fit_t *f = calloc(1, sizeof *f);
    if (!f)
        return cli_error("out of memory");
    setup_t s;
    if (setup_load(&s, arch, NULL, sets.v, sets.n, err, sizeof err) != 0) {
        free(f);
        return cli_fail(err);
    }
    f->base = s.arch;

    /* --fit keys: arch keys, each once */
    char keys[1024];
    snprintf(keys, sizeof keys, "%s", fit_s);
    for (char *save = NULL, *k = strtok_r(keys, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        int i = param_find(&arch_schema, k);
        if (i < 0) {
            free(f);
            return cli_error("--fit: unknown arch key '%s'; expected keys of "
                             "models/data/arch/*.csv (e.g. " DEFAULT_FIT ")", k);
        }
        for (size_t j = 0; j < f->p; j++)
            if (f->idx[j] == (size_t)i) {
                free(f);
                return cli_error("--fit: key '%s' given twice; expected each key once", k);
            }
        if (f->p == MAX_FIT) {
            free(f);
            return cli_error("--fit: at most 16 keys");
        }
        f->idx[f->p++] = (size_t)i;
    }
    if (f->p == 0) {
        free(f);
        return cli_error("--fit: expected at least one arch key");
    }

    trace_t tr[MAX_TRACES];
    int nread = 0, rc = 0;
    size_t total = 0;
    for (int i = 0; i < npaths && rc == 0; i++) {
        if (trace_read(paths[i], &tr[i], err, sizeof err) != 0)
            rc = cli_fail(err);
        else
            total += tr[nread++].nrows;
    }
    double *res = NULL, *u = NULL;
    gsl_multifit_nlinear_workspace *w = NULL;
    gsl_matrix *cov = NULL;
    char *buf = NULL;
    if (rc == 0) {
        f->rows = calloc(total ? total : 1, sizeof *f->rows);
        res = calloc(total ? total : 1, sizeof *res);
        u = calloc(f->p, sizeof *u);
        if (!f->rows || !res || !u)
            rc = cli_error("out of memory");
    }
    size_t nfit = 0, nhold = 0;
    for (int i = 0; i < nread && rc == 0; i++)
        for (size_t j = 0; j < tr[i].nrows; j++) {
            if (!tr[i].rows[j].has_measured)
                continue;
            mrow_t *m = &f->rows[f->nrows];
            m->r = &tr[i].rows[j];
            m->path = paths[i];
            m->hold = (f->nrows + 1) % (size_t)k_hold == 0;
            if (m->hold)
                nhold++;
            else
                nfit++;
            f->nrows++;
        }
    if (rc == 0 && nfit <= f->p) {
        rc = cli_error("%zu fit rows with measured_us for %zu parameters; expected "
                       "more rows than parameters (add traces or fit fewer keys)", nfit, f->p);
    }

    /* errors before */
    double fit0 = NAN, hold0 = NAN, fit1 = NAN, hold1 = NAN, chi = 0;
    size_t nr;
    if (rc == 0) {
        if (residuals(f, &f->base, 0, res, &nr) == 0)
            fit0 = mape(res, nr);
        if (!f->fail && nhold && residuals(f, &f->base, 1, res, &nr) == 0)
            hold0 = mape(res, nr);
        if (f->fail)
            rc = cli_fail(f->err);
    }

    /* fit */
    size_t iters = 0;
    int status = GSL_SUCCESS, info = 0;
    if (rc == 0) {
        for (size_t j = 0; j < f->p; j++)
            u[j] = to_u(f->idx[j], param_get(&arch_schema, &f->base, f->idx[j]));
        gsl_multifit_nlinear_fdf fdf = {.f = f_res, .df = f_jac, .fvv = NULL, .n = nfit,
                                        .p = f->p, .params = f};
        gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
        w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, nfit, f->p);
        cov = gsl_matrix_alloc(f->p, f->p);
        if (!w || !cov)
            rc = cli_error("out of memory");
        else {
            gsl_error_handler_t *old = gsl_set_error_handler_off();
            gsl_vector_view uv = gsl_vector_view_array(u, f->p);
            status = gsl_multifit_nlinear_init(&uv.vector, &fdf, w);
            if (status == GSL_SUCCESS)
                status = gsl_multifit_nlinear_driver((size_t)max_iter, 1e-4, 1e-6, 1e-6, NULL,
                                                     NULL, &info, w);
            gsl_set_error_handler(old);
            if (f->fail)
                rc = cli_fail(f->err);
            else if (status != GSL_SUCCESS && status != GSL_EMAXITER && status != GSL_ENOPROG) {
                rc = cli_error("the fit failed: %s", gsl_strerror(status));
            } else {
                iters = gsl_multifit_nlinear_niter(w);
                memcpy(u, gsl_multifit_nlinear_position(w)->data, f->p * sizeof *u);
                gsl_vector *fr = gsl_multifit_nlinear_residual(w);
                gsl_blas_ddot(fr, fr, &chi);
                gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
            }
        }
    }

    /* errors after, and the report */
    int at_bound = 0;
    arch_t fitted;
    size_t len = 0;
    if (rc == 0) {
        arch_at(f, u, &fitted);
        if (residuals(f, &fitted, 0, res, &nr) == 0)
            fit1 = mape(res, nr);
        if (!f->fail && nhold && residuals(f, &fitted, 1, res, &nr) == 0)
            hold1 = mape(res, nr);
        if (f->fail)
            rc = cli_fail(f->err);
    }
    if (rc == 0) {
        FILE *m = open_memstream(&buf, &len);
        if (!m)
            rc = cli_error("out of memory");
        else {
            fprintf(m, "# gbsim calibrate: arch=%s traces=", arch);
            for (int i = 0; i < npaths; i++)
                fprintf(m, "%s%s", i ? "," : "", paths[i]);
            fprintf(m, " rows=%zu fit=%zu holdout=%zu (every K=%lld) iterations=%zu (%s)\n",
                    f->nrows, nfit, nhold, (long long)k_hold, iters,
                    status == GSL_SUCCESS ? "converged" : status == GSL_EMAXITER
                        ? "stopped at --max-iter" : "no further progress");
            fprintf(m, "%-28s %12s %12s %27s %21s %-8s %s\n", "key", "preset", "fitted",
                    "+-1 sigma interval", "schema range", "unit", "note");
            double dof = nfit > f->p ? (double)(nfit - f->p) : 1;
            for (size_t j = 0; j < f->p; j++) {
                const param_def_t *d = &arch_schema.defs[f->idx[j]];
                double sd = sqrt(fmax(0, gsl_matrix_get(cov, j, j) * chi / dof));
                double x = param_get(&arch_schema, &fitted, f->idx[j]);
                double a = to_x(f->idx[j], u[j] - sd), b = to_x(f->idx[j], u[j] + sd);
                char iv[64], rg[64];
                snprintf(iv, sizeof iv, "[%.4g, %.4g]", a, b);
                snprintf(rg, sizeof rg, "[%g, %g]", d->min, d->max);
                /* a value the solver pushed to a bound of its range (within
                 * 0.1 % of the range), or whose +-1 sigma interval covers half
                 * the range, is not determined by the data */
                double span = d->max - d->min, tol = 1e-3 * span;
                const char *note = x <= d->min + tol ? "AT_LOWER_BOUND"
                                   : x >= d->max - tol ? "AT_UPPER_BOUND"
                                   : b - a > 0.5 * span ? "UNDETERMINED" : "";
                if (note[0])
                    at_bound++;
                fprintf(m, "%-28s %12.5g %12.5g %27s %21s %-8s %s\n", d->key,
                        param_get(&arch_schema, &f->base, f->idx[j]), x, iv, rg, d->unit, note);
            }
            if (at_bound)
                fprintf(m, "# warning: %d fitted key(s) ended at a bound of their range or are "
                           "undetermined (note column): the traces do not determine them; do not "
                           "use those values\n", at_bound);
            fprintf(m, "%-10s %8s %14s %14s\n", "rows", "count", "preset_mape%", "fitted_mape%");
            fprintf(m, "%-10s %8zu %14.2f %14.2f\n", "fit", nfit, fit0, fit1);
            if (nhold)
                fprintf(m, "%-10s %8zu %14.2f %14.2f\n", "holdout", nhold, hold0, hold1);
            fprintf(m, "fit_mape_pct: %.2f\n", fit1);
            if (nhold)
                fprintf(m, "holdout_mape_pct: %.2f\n", hold1);
            else
                fprintf(m, "holdout_mape_pct: nan\n");
            fclose(m);
        }
    }
    if (rc == 0 && out && nhold && !(hold1 < hold0)) {
        /* an override that predicts unseen rows no better than the preset is
         * worse than none: the report, no file, exit 1 */
        fwrite(buf, 1, len, stdout);
        fprintf(stderr, "gbsim: calibrate: the fitted values predict the %zu held-out rows no "
                        "better than the preset (hold-out MAPE %.2f %% fitted vs %.2f %% preset); "
                        "%s not written\n", nhold, hold1, hold0, out);
        rc = 1;
        out = NULL;
        free(buf);
        buf = NULL;
        len = 0;
    }
    if (rc == 0 && out) {
        /* each value must pass --set exactly as written */
        char src[1024];
        size_t at = (size_t)snprintf(src, sizeof src, "measured:");
        for (int i = 0; i < npaths && at < sizeof src; i++)
            at += (size_t)snprintf(src + at, sizeof src - at, "%s%s", i ? " + " : "", paths[i]);
        char hold_txt[64];
        if (nhold)
            snprintf(hold_txt, sizeof hold_txt, "%.1f%%", hold1);
        else
            snprintf(hold_txt, sizeof hold_txt, "n/a (no rows held out)");
        if (at < sizeof src)
            snprintf(src + at, sizeof src - at, " (gbsim calibrate, fit on %zu rows, hold-out MAPE %s)",
                     nfit, hold_txt);
        cli_out_t o;
        if (cli_out_open(&o, out, err, sizeof err) != 0)
            rc = cli_fail(err);
        else {
            fputs("key,value,unit,source\n", o.f);
            for (size_t j = 0; j < f->p && rc == 0; j++) {
                const param_def_t *d = &arch_schema.defs[f->idx[j]];
                double x = param_get(&arch_schema, &fitted, f->idx[j]);
                char val[64], asg[160];
                snprintf(val, sizeof val, d->type == PARAM_INT ? "%.0f" : "%.6g", x);
                snprintf(asg, sizeof asg, "%s=%s", d->key, val);
                arch_t probe = f->base;
                /* a bug if the transform let a value out of its range */
                int prc = param_set(&arch_schema, &probe, NULL, asg, err, sizeof err);
                assert(prc == 0);
                (void)prc;
                put(o.f, d->key, 1);
                put(o.f, val, 0);
                put(o.f, d->unit, 0);
                put(o.f, src, 0);
                fputc('\n', o.f);
            }
            if (cli_out_commit(&o, err, sizeof err) != 0)
                rc = cli_fail(err);
        }
    }
    if (rc == 0)
        fwrite(buf, 1, len, stdout);
    free(buf);
    gsl_matrix_free(cov);
    if (w)
        gsl_multifit_nlinear_free(w);
    free(u);
    free(res);
    free(f->rows);
    free(f);
    for (int i = 0; i < nread; i++)
        trace_free(&tr[i]);
    return rc;
}
