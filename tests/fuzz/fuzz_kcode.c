/* fuzz_kcode.c -- the input is a small-kernel code table
 * (models/data/kcode/ksmall_sm90.csv, models/ksmall.h), loaded from memory by
 * ksmall_code_load, then looked up and priced.
 *
 * Checked beyond the sanitizers: success gives a default row for every family
 * and only rows of known families, each with finite counts (fixed > 0, per
 * trip and fetches >= 0), an sm_<number> ISA, a source, a fetch source where
 * fetches are charged, and one row per family and functor; each row prices a
 * launch of its family to finite, non-negative counts; failure names the file
 * in err and leaves nothing to free. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "models/ksmall.h"
#include "tests/testarch.h"

#define FNAME "fuzz.csv"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ksmall_code_t t;
    char err[2048] = "";
    int rc = ksmall_code_load(&t, FNAME, (const char *)data, size, err, sizeof err);
    assert(rc == 0 || rc == -1);
    if (rc != 0) {
        assert(strncmp(err, FNAME ":", strlen(FNAME ":")) == 0);
        assert(t.rows == NULL && t.n == 0 && t.path == NULL);
        return 0;
    }
    assert(t.n >= ksmall_n_families() && strcmp(t.path, FNAME) == 0);
    for (size_t i = 0; i < ksmall_n_families(); i++)
        assert(ksmall_code_find(&t, ksmall_family_at(i)->name, NULL) != NULL);
    arch_t a = testarch();
    a.ks_inst_scale = 1;
    ksmall_shape_t sh = {.n = 512, .rows = 1, .cols = 128, .sel = 4, .in_bytes = 2,
                         .out_bytes = 2, .n_in = 2, .main = KS_L2, .side = KS_DRAM,
                         .code = KS_DRAM};
    for (size_t i = 0; i < t.n; i++) {
        const ksmall_code_row_t *r = &t.rows[i];
        assert(ksmall_find(r->family) != NULL);
        assert(isfinite(r->fixed_warp_inst) && r->fixed_warp_inst > 0);
        assert(isfinite(r->per_trip_warp_inst) && r->per_trip_warp_inst >= 0);
        assert(isfinite(r->code_fetches) && r->code_fetches >= 0);
        assert(strncmp(r->code_sm, "sm_", 3) == 0 && r->source[0] != '\0');
        assert(r->code_fetches == 0 || r->fetch_source[0] != '\0');
        assert(ksmall_code_find(&t, r->family, r->functor) == r);
        ksmall_desc_t d = {.family = ksmall_find(r->family), .functor = r->functor, .code = r,
                           .shape = sh};
        ksmall_counts_t c;
        if (ksmall_counts(&a, &d, &c, err, sizeof err) == 0)
            assert(isfinite(c.inst) && c.inst >= r->fixed_warp_inst &&
                   c.code_fetches == r->code_fetches);
    }
    ksmall_code_free(&t);
    return 0;
}
