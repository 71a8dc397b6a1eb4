/* fuzz_stack.c -- the input is a stack file (models/stack.h: a
 * key,value,unit,source section, a blank line, the op rows), parsed as
 * --stack FILE.csv would be; a parsed stack then takes a few --set overrides
 * and gives every row's kernel descriptor for gpt-oss-20b on gb10.
 *
 * Checked beyond the sanitizers: failure names the file in err; success has at
 * least one row, every row names an op, a kernel and a source, and reads only
 * fields its implementation reads. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "models/setup.h"
#include "models/stack.h"

#define FNAME "fuzz.csv"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[2048] = "";
    stack_desc_t *s = stack_parse(FNAME, (const char *)data, size, err, sizeof err);
    if (s == NULL) {
        assert(strncmp(err, FNAME ":", strlen(FNAME ":")) == 0);
        return 0;
    }
    assert(s->n_kernels > 0);
    for (size_t i = 0; i < s->n_kernels; i++) {
        const stack_kernel_t *r = &s->kernels[i];
        assert(r->op[0] && r->kernel[0] && r->source[0]);
        assert(stack_row_reads(r) & SF_IMPL);
    }
    static const char *const SETS[] = {"kv_dtype=fp8e4m3", "moe_fc1.tile=128x64x128",
                                       "qkv_proj.weights=mxfp4", "lm_head.impl=cublas-gemv"};
    for (size_t i = 0; i < sizeof SETS / sizeof SETS[0]; i++) {
        int rc = stack_set(s, SETS[i], err, sizeof err);
        assert(rc == 0 || rc == 1 || (rc == -1 && err[0]));
    }
    setup_t st;
    if (setup_load(&st, "gb10", "gpt-oss-20b", NULL, 0, err, sizeof err) == 0) {
        step_geom_t g;
        stack_geom(&st.model, 2, 1, 512, 0, &g);
        for (size_t i = 0; i < s->n_kernels; i++) {
            if (!stack_row_runs(s, &s->kernels[i], &st.arch, &st.model, &g))
                continue;
            kdesc_t d;
            (void)stack_kdesc(s, &s->kernels[i], &st.arch, &st.model, &g, 0, &d, err, sizeof err);
        }
    }
    stack_free(s);
    return 0;
}
