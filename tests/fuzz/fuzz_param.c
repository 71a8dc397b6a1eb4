/* fuzz_param.c -- the input is an arch or model description CSV
 * (models/param.h), loaded against both schemas as setup's presets are; a
 * loaded model also goes through llm_validate.
 *
 * Checked beyond the sanitizers: success writes every key within its range
 * (integral for PARAM_INT) with its file line and a non-empty source; failure
 * leaves dst untouched and names the file in err. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "models/arch.h"
#include "models/llm.h"
#include "models/param.h"

#define FNAME "fuzz.csv"

/* Returns param_load's result after checking it. */
static int load(const param_schema_t *schema, void *dst, size_t dst_bytes,
                 const uint8_t *data, size_t size)
{
    unsigned char before[sizeof(arch_t) > sizeof(llm_t) ? sizeof(arch_t) : sizeof(llm_t)];
    assert(dst_bytes <= sizeof before);
    memset(dst, 0xA5, dst_bytes);
    memcpy(before, dst, dst_bytes);
    param_origin_t origins[64];
    assert(schema->n <= sizeof origins / sizeof origins[0]);
    char err[2048] = "";
    int rc = param_load(schema, dst, origins, FNAME, (const char *)data, size, err, sizeof err);
    assert(rc == 0 || rc == -1);
    if (rc != 0) {
        assert(memcmp(before, dst, dst_bytes) == 0);
        assert(strncmp(err, FNAME ":", strlen(FNAME ":")) == 0);
        return rc;
    }
    for (size_t i = 0; i < schema->n; i++) {
        const param_def_t *d = &schema->defs[i];
        double v = param_get(schema, dst, i);
        assert(isfinite(v) && v >= d->min && v <= d->max);
        assert(d->type != PARAM_INT || v == floor(v));
        assert(origins[i].line > 0 && origins[i].source[0] != '\0');
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arch_t a;
    load(&arch_schema, &a, sizeof a, data, size);
    llm_t m;
    if (load(&llm_schema, &m, sizeof m, data, size) == 0) {
        char err[512];
        (void)llm_validate(&m, err, sizeof err);
    }
    return 0;
}
