/* fuzz_set.c -- the input is a list of --set assignments, one per line (a
 * NUL ends an assignment early, as it would end an argv string), applied by
 * setup_load over the h100 arch with the gpt-oss-120b model and over the gb10
 * arch alone (the two shapes of the --set path: arch and model keys, arch
 * keys only).
 *
 * Checked beyond the sanitizers: success leaves every key of both schemas
 * within its range (integral for PARAM_INT) and a model that llm_validate
 * accepts; failure puts a message in err. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/setup.h"

static void check_schema(const param_schema_t *schema, const void *dst)
{
    for (size_t i = 0; i < schema->n; i++) {
        const param_def_t *d = &schema->defs[i];
        double v = param_get(schema, dst, i);
        assert(isfinite(v) && v >= d->min && v <= d->max);
        assert(d->type != PARAM_INT || v == floor(v));
    }
}

static void run(const char *arch, const char *model, const char *const *sets, int n)
{
    setup_t *s = malloc(sizeof *s);
    assert(s != NULL);
    char err[2048] = "";
    int rc = setup_load(s, arch, model, sets, n, err, sizeof err);
    assert(rc == 0 || rc == -1);
    if (rc != 0) {
        assert(err[0] != '\0');
    } else {
        check_schema(&arch_schema, &s->arch);
        if (model != NULL) {
            check_schema(&llm_schema, &s->model);
            char verr[512];
            assert(llm_validate(&s->model, verr, sizeof verr) == 0);
        }
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sets[SETUP_MAX_SETS];
    int n = 0;
    size_t at = 0;
    while (at < size && n < SETUP_MAX_SETS) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
        sets[n] = strndup((const char *)data + at, len);
        assert(sets[n] != NULL);
        n++;
        at += len + (nl ? 1 : 0);
    }
    run("h100", "gpt-oss-120b", (const char *const *)sets, n);
    run("gb10", NULL, (const char *const *)sets, n);
    for (int i = 0; i < n; i++)
        free(sets[i]);
    return 0;
}
