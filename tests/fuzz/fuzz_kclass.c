/* fuzz_kclass.c -- the input is a kernel-class rule table
 * (models/data/kclass/kernel_classes.csv, traces/kclass.h), loaded from memory
 * by kclass_load, then matched against kernel names.
 *
 * Checked beyond the sanitizers: success gives at least one rule, each with a
 * pattern that is not only '*', a known op class and a source; every pattern
 * matches its own text with the '*' removed (a substring of itself, or a glob
 * whose stars match nothing), and kclass_match answers an op class for a few
 * measured kernel names; failure names the file in err. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "traces/kclass.h"

#define FNAME "fuzz.csv"

static const char *const NAMES[] = {
    "void cutlass::device_kernel<cutlass::gemm::kernel::GemmUniversal<>>(T1::Params)",
    "void flashinfer::BatchPrefillWithPagedKVCacheKernel<128u, 1u>(Params)",
    "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>>(int, T2)",
    "triton_red_fused_add_mean_mul_pow_rsqrt_0",
    "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kclass_t t;
    char err[2048] = "";
    int rc = kclass_load(&t, FNAME, (const char *)data, size, err, sizeof err);
    assert(rc == 0 || rc == -1);
    if (rc != 0) {
        assert(strncmp(err, FNAME ":", strlen(FNAME ":")) == 0);
        assert(t.rules == NULL && t.n == 0 && t.path == NULL);
        return 0;
    }
    assert(t.n >= 1 && strcmp(t.path, FNAME) == 0);
    for (size_t i = 0; i < t.n; i++) {
        const kclass_rule_t *r = &t.rules[i];
        assert(r->pattern[0] != '\0' && strspn(r->pattern, "*") < strlen(r->pattern));
        assert(kclass_is_class(r->op_class));
        assert(r->source[0] != '\0');
        assert(r->glob == (strchr(r->pattern, '*') != NULL));
        size_t n = strlen(r->pattern);
        char *bare = malloc(n + 1);
        assert(bare != NULL);
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (r->pattern[j] != '*')
                bare[k++] = r->pattern[j];
        bare[k] = '\0';
        assert(kclass_pattern_match(r->pattern, bare));
        int first = kclass_rule(&t, bare);
        assert(first >= 0 && (size_t)first <= i);
        free(bare);
    }
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        const char *cls = kclass_match(&t, NAMES[i]);
        assert(strcmp(cls, "other") == 0 || kclass_is_class(cls));
    }
    kclass_free(&t);
    return 0;
}
