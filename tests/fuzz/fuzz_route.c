/* fuzz_route.c -- the input is an expert histogram (models/route.h: '#'
 * lines with a source, a header, one row per expert), parsed as --experts
 * FILE.csv would be against a 2-layer model with 8 experts, top-2; a parsed
 * histogram then gives the routing statistics of a few steps.
 *
 * Checked beyond the sanitizers: failure names the file in err; success has
 * every layer's shares summing to 1, distinct experts between top_k's worth and
 * all of them, and blocks of 8 rows never fewer than distinct experts. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "models/route.h"

#define FNAME "fuzz.csv"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llm_t m = {.n_layers = 2, .hidden = 64, .n_heads_q = 1, .n_heads_kv = 1, .head_dim = 64,
               .n_experts = 8, .top_k = 2, .expert_inter = 64, .vocab = 16, .max_positions = 64};
    char err[1024] = "";
    route_hist_t *h = route_parse(FNAME, (const char *)data, size, &m, err, sizeof err);
    if (h == NULL) {
        assert(strncmp(err, FNAME ":", strlen(FNAME ":")) == 0);
        return 0;
    }
    assert(h->source[0] && h->experts == 8 && (h->layers == 1 || h->layers == 2));
    for (int l = 0; l < h->layers; l++) {
        double sum = 0;
        for (int i = 0; i < 8; i++)
            sum += h->share[l * 8 + i];
        assert(fabs(sum - 1) < 1e-9);
    }
    route_t r = {.hist = h};
    for (int64_t M = 1; M <= 64; M *= 4) {
        double ea = route_experts_active(&r, &m, M);
        assert(ea > 0 && ea <= 8 + 1e-9);
        assert(route_blocks(&r, &m, M, 8) >= ea - 1e-9);
    }
    route_free(h);
    return 0;
}
