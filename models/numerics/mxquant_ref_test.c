/* mxquant_ref_test.c -- gbsim's quantizers against the independent vectors in
 * traces/mxref/ (made by traces/capture/mx_reference.py with ml_dtypes' casts;
 * layout in traces/mxref/README.md), bit for bit.
 *
 * usage: mxquant_ref_test [DIR [--allow-standin]]   (DIR default traces/mxref,
 * relative to the source root, where ctest runs it) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/numerics/mxfmt.h"
#include "models/numerics/mxquant.h"
#include "tests/check.h"

/* One vector file, read whole. */
typedef struct {
    char path[512];
    mxquant_cfg_t cfg;
    size_t n, nblocks, tensor, ntensors;
    int standin;                 /* generator line says "standin" */
    int self_check_ok;
    double elem_dec[256], scale_dec[256];
    int n_elem_dec, n_scale_dec;
    float *x;
    uint8_t *codes, *scales;
    float *globals;
    char *buf;
} vec_t;

/* Parses "count v v v ..." into out; returns count or -1. */
static int parse_table(const char *s, double *out, int max)
{
    char *end;
    long cnt = strtol(s, &end, 10);
    if (cnt <= 0 || cnt > max)
        return -1;
    for (long i = 0; i < cnt; i++) {
        const char *p = end;
        out[i] = strtod(p, &end);
        if (end == p)
            return -1;
    }
    return (int)cnt;
}

static int load(const char *path, vec_t *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    snprintf(v->path, sizeof v->path, "%s", path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    v->buf = malloc((size_t)len + 1);
    if (!v->buf || fread(v->buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    fclose(f);
    v->buf[len] = '\0';
    char *p = v->buf, *bin = NULL;
    int have = 0;
    while (p < v->buf + len) {
        char *nl = memchr(p, '\n', (size_t)(v->buf + len - p));
        if (!nl)
            break;
        *nl = '\0';
        char key[32];
        int off = 0;
        if (sscanf(p, "%31s %n", key, &off) < 1) {
            p = nl + 1;
            continue;
        }
        const char *val = p + off;
        if (!strcmp(key, "END")) {
            bin = nl + 1;
            break;
        } else if (!strcmp(key, "fmt"))
            have |= (mxquant_fmt_parse(val, &v->cfg.fmt) == 0) << 0;
        else if (!strcmp(key, "rule"))
            have |= (mxquant_rule_parse(val, &v->cfg.rule) == 0) << 1;
        else if (!strcmp(key, "block"))
            v->cfg.block = atoi(val);
        else if (!strcmp(key, "n"))
            v->n = (size_t)strtoull(val, NULL, 10);
        else if (!strcmp(key, "nblocks"))
            v->nblocks = (size_t)strtoull(val, NULL, 10);
        else if (!strcmp(key, "tensor"))
            v->tensor = (size_t)strtoull(val, NULL, 10);
        else if (!strcmp(key, "ntensors"))
            v->ntensors = (size_t)strtoull(val, NULL, 10);
        else if (!strcmp(key, "generator"))
            v->standin = strstr(val, "standin") != NULL;
        else if (!strcmp(key, "self_check"))
            v->self_check_ok = !strcmp(val, "ok");
        else if (!strcmp(key, "elem_decode"))
            v->n_elem_dec = parse_table(val, v->elem_dec, 256);
        else if (!strcmp(key, "scale_decode"))
            v->n_scale_dec = parse_table(val, v->scale_dec, 256);
        p = nl + 1;
    }
    if (!bin || have != 3 || v->n == 0 || v->tensor == 0 || v->n_elem_dec <= 0 ||
        v->n_scale_dec <= 0) {
        snprintf(err, errlen, "%s: bad header", path);
        return -1;
    }
    size_t need = v->n * 4 + v->n + v->nblocks + v->ntensors * 4;
    if ((size_t)(v->buf + len - bin) != need) {
        snprintf(err, errlen, "%s: %ld payload bytes, expected %zu", path,
                 (long)(v->buf + len - bin), need);
        return -1;
    }
    /* the payload is unaligned: copy it out */
    v->x = malloc(v->n * sizeof *v->x);
    v->globals = malloc(v->ntensors * sizeof *v->globals);
    if (!v->x || !v->globals) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(v->x, bin, v->n * 4);
    v->codes = (uint8_t *)bin + v->n * 4;
    v->scales = v->codes + v->n;
    memcpy(v->globals, v->scales + v->nblocks, v->ntensors * 4);
    return 0;
}

static void release(vec_t *v)
{
    free(v->buf);
    free(v->x);
    free(v->globals);
}

/* Same value, or both NaN; zeros compare by sign too. */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

/* Every element code and every scale byte decodes to the value ml_dtypes gives. */
static void test_decode_tables_match_ml_dtypes(const vec_t *v, check_t *ck)
{
    mxfmt_elem_t ef = mxquant_elem(v->cfg.fmt);
    CHECK(v->n_elem_dec == 1 << mxfmt_info(ef)->bits, "%s: %d element entries", v->path,
          v->n_elem_dec);
    for (int c = 0; c < v->n_elem_dec && c < (1 << mxfmt_info(ef)->bits); c++)
        CHECK(same(mxfmt_decode(ef, (uint8_t)c), v->elem_dec[c]), "%s: %s code 0x%02x: %.9g vs %.9g",
              v->path, mxfmt_info(ef)->name, c, mxfmt_decode(ef, (uint8_t)c), v->elem_dec[c]);
    for (int c = 0; c < v->n_scale_dec; c++) {
        double mine = mxquant_scale_value(v->cfg.fmt, (uint8_t)c);
        CHECK(same(mine, v->scale_dec[c]), "%s: scale byte 0x%02x: %.9g vs %.9g", v->path, c, mine,
              v->scale_dec[c]);
    }
}

/* Codes, scale bytes and per-tensor scales equal the vectors' bit for bit. */
static void test_codes_and_scales_match_ml_dtypes_bit_for_bit(const vec_t *v, check_t *ck)
{
    uint8_t *codes = malloc(v->n), *scales = malloc(v->nblocks + 1);
    if (!codes || !scales) {
        CHECK(0, "out of memory");
        free(codes);
        free(scales);
        return;
    }
    size_t blk = 0, ncode_bad = 0, nscale_bad = 0, nglob_bad = 0;
    for (size_t t = 0, i0 = 0; i0 < v->n; t++, i0 += v->tensor) {
        size_t len = v->n - i0 < v->tensor ? v->n - i0 : v->tensor;
        float g = mxquant_global_scale(&v->cfg, v->x + i0, len);
        if (t >= v->ntensors || memcmp(&g, &v->globals[t], sizeof g) != 0) {
            if (nglob_bad++ < 3)
                fprintf(stderr, "%s: tensor %zu: global %a vs %a\n", v->path, t, g,
                        t < v->ntensors ? v->globals[t] : 0.0f);
            g = t < v->ntensors ? v->globals[t] : g;
        }
        size_t nb = mxquant_nblocks(&v->cfg, len);
        if (blk + nb > v->nblocks)
            break;
        mxquant_quantize(&v->cfg, v->x + i0, len, g, codes + i0, scales + blk);
        for (size_t b = 0; b < nb; b++, blk++)
            if (scales[blk] != v->scales[blk] && nscale_bad++ < 5)
                fprintf(stderr, "%s: block %zu: scale 0x%02x, reference 0x%02x\n", v->path, blk,
                        scales[blk], v->scales[blk]);
        for (size_t i = i0; i < i0 + len; i++)
            if (codes[i] != v->codes[i] && ncode_bad++ < 5)
                fprintf(stderr, "%s: x[%zu] = %a (block %zu): code 0x%02x, reference 0x%02x\n",
                        v->path, i, v->x[i], (i - i0) / (size_t)mxquant_block(&v->cfg) +
                        (blk - nb), codes[i], v->codes[i]);
    }
    CHECK(blk == v->nblocks, "%s: %zu blocks, reference %zu", v->path, blk, v->nblocks);
    CHECK(nglob_bad == 0, "%s: %zu per-tensor scales differ", v->path, nglob_bad);
    CHECK(nscale_bad == 0, "%s: %zu of %zu scale bytes differ", v->path, nscale_bad, v->nblocks);
    CHECK(ncode_bad == 0, "%s: %zu of %zu codes differ", v->path, ncode_bad, v->n);
    free(codes);
    free(scales);
}

/* The committed vectors come from ml_dtypes (not the script's stand-in) and
 * passed the script's known-value self-check; >= 100000 inputs. */
static void test_vectors_are_independent_and_large(const vec_t *v, int allow_standin,
                                                   check_t *ck)
{
    CHECK(allow_standin || !v->standin, "%s: made by the stand-in, not ml_dtypes", v->path);
    CHECK(v->self_check_ok, "%s: the generator's self-check failed", v->path);
    CHECK(v->n >= 100000, "%s: only %zu inputs", v->path, v->n);
}

static const char *const NAMES[] = {"mxfp4", "mxfp8e4m3", "mxfp8e5m2", "nvfp4"};
static const char *const RULES[] = {"ocp", "nvidia"};

/* Every vector file of dir: it loads, and passes the three tests above. */
static void test_every_vector_file(const char *dir, int allow_standin, check_t *ck)
{
    for (int f = 0; f < 4; f++)
        for (int r = 0; r < 2; r++) {
            char path[512], err[600];
            snprintf(path, sizeof path, "%s/%s_%s.bin", dir, NAMES[f], RULES[r]);
            vec_t v;
            if (!CHECK(load(path, &v, err, sizeof err) == 0, "%s", err)) {
                release(&v);
                continue;
            }
            int before = ck->failed;
            test_vectors_are_independent_and_large(&v, allow_standin, ck);
            test_decode_tables_match_ml_dtypes(&v, ck);
            test_codes_and_scales_match_ml_dtypes_bit_for_bit(&v, ck);
            printf("%s: %zu inputs, %zu blocks: %s\n", path, v.n, v.nblocks,
                   ck->failed == before ? "ok" : "FAIL");
            release(&v);
        }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "traces/mxref";
    int allow_standin = argc > 2 && !strcmp(argv[2], "--allow-standin");
    check_t ck = check_begin("mxquant_ref_test");
    test_every_vector_file(dir, allow_standin, &ck);
    return check_end(&ck);
}
