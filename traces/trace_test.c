/* trace_test.c -- tests of the decode-trace CSV reader and writer. Run from
 * the repository root (testdata paths are relative to it). Exits nonzero and
 * names each failed check. Scratch files live in a fresh /tmp directory that
 * is removed at the end. */
#include "traces/trace.h"

#include "models/kmodel.h"
#include "sim/csvrec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"

/* Path of a scratch file called name. */
static void scratch(const char *dir, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

/* Whole file as a malloc'ed string, or NULL. */
static char *get_file(const char *path)
{
    char *text, err[512];
    size_t len;
    return csvrec_slurp(path, &text, &len, err, sizeof err) == 0 ? text : NULL;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Writes text to scratch file name, reads it, and checks that trace_read
 * fails with a message containing the path and each string of the
 * NULL-terminated array wants. */
static void expect_error_in(const char *dir, check_t *ck, const char *fn, const char *name,
                            const char *text, const char *const *wants)
{
    char path[256];
    scratch(dir, name, path, sizeof path);
    put_file(path, text);
    trace_t t;
    char err[1024] = "";
    if (!CHECK(trace_read(path, &t, err, sizeof err) == -1, "%s: %s was accepted; expected an error",
               fn, name)) {
        trace_free(&t);
        return;
    }
    for (const char *want = path; want; want = *wants++)
        CHECK(strstr(err, want) != NULL, "%s: error lacks \"%s\"\n    got: %s", fn, want, err);
    remove(path);
}

/* expect_error(dir, ck, fn, name, text, "substring", ..., NULL) */
#define expect_error(dir, ck, fn, name, text, ...) \
    expect_error_in((dir), (ck), (fn), (name), (text), (const char *const[]){__VA_ARGS__})

/* Reads a scratch file with the given text; 0 on success. */
static int read_text(const char *dir, const char *name, const char *text, trace_t *t, char *err,
                     size_t errlen)
{
    char path[256];
    scratch(dir, name, path, sizeof path);
    put_file(path, text);
    int rc = trace_read(path, t, err, errlen);
    remove(path);
    return rc;
}

static const trace_row_t *row_by_op(const trace_t *t, const char *op)
{
    for (size_t i = 0; i < t->nrows; i++)
        if (strcmp(t->rows[i].op, op) == 0)
            return &t->rows[i];
    return NULL;
}

/* ---- reading -------------------------------------------------------------- */

static void test_valid_file_parses_all_kinds(check_t *ck)
{
    trace_t t;
    char err[512] = "";
    if (!CHECK(trace_read("traces/testdata/valid.csv", &t, err, sizeof err) == 0, "%s", err))
        return;
    CHECK(t.nrows == 4, "");
    CHECK(t.ncols == 16, "");
    const trace_row_t *g = row_by_op(&t, "qkv_proj, layer 0");
    if (CHECK(g != NULL, "")) {
        CHECK(g->kind == TK_GEMM, "");
        CHECK(g->m == 1 && g->n == 5120 && g->k == 2880, "");
        CHECK(g->a_dtype == DT_BF16 && g->b_dtype == DT_MXFP4, "");
        CHECK(g->tile_m == 128 && g->tile_n == 128 && g->tile_k == 128, "");
        CHECK(g->has_measured && g->measured_us == 12.5, "");
        CHECK(g->line == 2, "");
    }
    const trace_row_t *e = row_by_op(&t, "moe_fc1, layer 0");
    if (CHECK(e != NULL, "")) {
        CHECK(e->kind == TK_GROUPED_GEMM, "");
        CHECK(e->m == 4 && e->groups == 4 && e->n == 5760 && e->k == 2880, "");
        CHECK(e->a_dtype == DT_MXFP8 && e->b_dtype == DT_MXFP4, "");
        CHECK(e->tile_m == 0 && e->tile_n == 0 && e->tile_k == 0, "");
        CHECK(e->line == 3, "");
    }
    const trace_row_t *a = row_by_op(&t, "attn \"decode\", layer 0");
    if (CHECK(a != NULL, "")) {
        CHECK(a->kind == TK_ATTENTION, "");
        CHECK(a->m == 1, "");
        CHECK(a->a_dtype == DT_FP8E4M3, "");
        CHECK(a->ctx == 4096 && a->heads_q == 64 && a->heads_kv == 8 && a->head_dim == 64, "");
        CHECK(!a->has_measured, "");
    }
    const trace_row_t *w = row_by_op(&t, "rmsnorm, layer 0");
    if (CHECK(w != NULL, "")) {
        CHECK(w->kind == TK_ELEMENTWISE, "");
        CHECK(w->bytes == 17280, "");
        CHECK(w->has_measured && w->measured_us == 2, "");
        CHECK(w->line == 5, "");
    }
    CHECK(strcmp(t.path, "traces/testdata/valid.csv") == 0, "");
    trace_free(&t);
}

static void test_columns_in_any_order_are_mapped_by_name(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    const char *text = "b_dtype,k,n,kind,a_dtype,m,op\n"
                       "fp8e4m3,64,32,gemm,bf16,16,g\n";
    if (!CHECK(read_text(dir, "order.csv", text, &t, err, sizeof err) == 0, "%s", err))
        return;
    const trace_row_t *r = &t.rows[0];
    CHECK(strcmp(r->op, "g") == 0, "");
    CHECK(r->m == 16 && r->n == 32 && r->k == 64, "");
    CHECK(r->a_dtype == DT_BF16 && r->b_dtype == DT_FP8E4M3, "");
    CHECK(!r->has_measured, "");
    trace_free(&t);
}

static void test_attention_defaults_m_and_kv_dtype(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    const char *text = "op,kind,ctx,heads_q,heads_kv,head_dim\n"
                       "attn,attention,1024,32,8,128\n";
    if (!CHECK(read_text(dir, "attn.csv", text, &t, err, sizeof err) == 0, "%s", err))
        return;
    CHECK(t.rows[0].m == 1, "");
    CHECK(t.rows[0].a_dtype == DT_BF16, "");
    trace_free(&t);
}

static void test_cells_of_unneeded_columns_are_ignored(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    /* m, tile and a_dtype mean nothing to elementwise, so their junk is ignored. */
    const char *text = "op,kind,bytes,m,tile,a_dtype\n"
                       "add,elementwise,4096,zero,bogus,nope\n";
    if (CHECK(read_text(dir, "ignored.csv", text, &t, err, sizeof err) == 0, "%s", err))
        trace_free(&t);
}

static void test_line_numbers_count_quoted_newlines_and_blank_lines(const char *dir, check_t *ck)
{
    /* Row 1 starts on line 2 and spans lines 2-3; a blank line 4; the bad row
     * starts on line 5. */
    expect_error(dir, ck, __func__, "lines.csv",
                 "op,kind,bytes\n"
                 "\"two\nlines\",elementwise,10\n"
                 "\n"
                 "bad,elementwise,0\n",
                 "lines.csv:5: column 'bytes': '0' is not valid", NULL);
    trace_t t;
    char err[512] = "";
    if (CHECK(read_text(dir, "lines_ok.csv",
                            "op,kind,bytes\r\n\"two\r\nlines\",elementwise,10\r\n\r\n"
                            "x,elementwise,5",
                            &t, err, sizeof err) == 0, "%s", err)) {
        CHECK(t.nrows == 2, "");
        CHECK(t.rows[0].line == 2 && t.rows[1].line == 5, "");
        CHECK(strcmp(t.rows[0].op, "two\r\nlines") == 0, "");
        trace_free(&t);
    }
}

static void test_missing_required_column_names_kind_and_column(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "nok.csv",
                 "op,kind,m,n,a_dtype,b_dtype,bytes\n"
                 "add,elementwise,,,,,64\n"
                 "g,gemm,1,2,bf16,bf16,\n",
                 "nok.csv:3: column 'k' is required for kind gemm but the header has no 'k' column",
                 NULL);
}

static void test_missing_op_or_kind_column_is_rejected(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "nokind.csv", "op,bytes\nadd,64\n",
                 "nokind.csv:1: column 'kind' is required", NULL);
    expect_error(dir, ck, __func__, "noop.csv", "kind,bytes\nelementwise,64\n",
                 "noop.csv:1: column 'op' is required", NULL);
}

static void test_empty_op_is_rejected(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "emptyop.csv", "op,kind,bytes\n,elementwise,64\n",
                 "emptyop.csv:2: column 'op': '' is not valid; expected a non-empty label", NULL);
}

static void test_duplicate_header_is_rejected(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "dup.csv", "op,kind,bytes,kind\nadd,elementwise,64,gemm\n",
                 "dup.csv:1: column 'kind': duplicate header name", NULL);
    expect_error(dir, ck, __func__, "emptyname.csv", "op,kind,,bytes\nadd,elementwise,x,64\n",
                 "emptyname.csv:1: header column 3: '' is not valid; expected a column name",
                 NULL);
}

static void test_zero_m_is_rejected_with_line_and_column(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "x.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype\n"
                 "a,gemm,1,2,3,bf16,bf16\n"
                 "b,gemm,1,2,3,bf16,bf16\n"
                 "c,gemm,1,2,3,bf16,bf16\n"
                 "d,gemm,0,2,3,bf16,bf16\n",
                 "x.csv:5: column 'm': '0' is not valid; expected a positive integer (token rows)",
                 NULL);
}

static void test_non_integer_sizes_are_rejected(const char *dir, check_t *ck)
{
    const char *const bad[] = {"1.5", "1e3", "-4", "+4", "4x", "\" 4\"", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "op,kind,m,n,k,a_dtype,b_dtype\ng,gemm,8,%s,3,bf16,bf16\n",
                 bad[i]);
        expect_error(dir, ck, __func__, "nonint.csv", text,
                     "nonint.csv:2: column 'n': ", "expected a positive integer (output columns)",
                     NULL);
    }
    expect_error(dir, ck, __func__, "empty_k.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype\ng,gemm,8,8,,bf16,bf16\n",
                 "empty_k.csv:2: column 'k': '' is not valid", NULL);
}

static void test_absurd_size_is_rejected(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "huge.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype\ng,gemm,8,8,1000000000001,bf16,bf16\n",
                 "huge.csv:2: column 'k': '1000000000001' is not valid",
                 "above the limit 1000000000000", NULL);
    expect_error(dir, ck, __func__, "hugebytes.csv", "op,kind,bytes\nx,elementwise,2e12\n",
                 "hugebytes.csv:2: column 'bytes': '2e12' is not valid", NULL);
    expect_error(dir, ck, __func__, "overflow.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype\ng,gemm,99999999999999999999999,8,8,bf16,bf16\n",
                 "overflow.csv:2: column 'm'", NULL);
}

static void test_bad_bytes_are_rejected(const char *dir, check_t *ck)
{
    const char *const bad[] = {"nan", "inf", "-inf", "-5", "0", "1e999", "abc", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128], want[64];
        snprintf(text, sizeof text, "op,kind,bytes\nx,elementwise,%s\n", bad[i]);
        snprintf(want, sizeof want, "column 'bytes': '%s' is not valid", bad[i]);
        expect_error(dir, ck, __func__, "bytes.csv", text, "bytes.csv:2: ", want, NULL);
    }
}

static void test_nan_measured_is_rejected(const char *dir, check_t *ck)
{
    const char *const bad[] = {"nan", "NaN", "inf", "-1", "0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128], want[96];
        snprintf(text, sizeof text, "op,kind,bytes,measured_us\nx,elementwise,8,%s\n", bad[i]);
        snprintf(want, sizeof want, "column 'measured_us': '%s' is not valid; expected a positive",
                 bad[i]);
        expect_error(dir, ck, __func__, "meas.csv", text, "meas.csv:2: ", want, NULL);
    }
}

static void test_bad_kind_lists_valid_kinds(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "kind.csv", "op,kind,bytes\nx,elementwize,8\n",
                 "kind.csv:2: column 'kind': 'elementwize' is not valid",
                 "gemm, grouped_gemm, attention, elementwise", NULL);
}

static void test_bad_dtype_lists_valid_dtypes(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "dtype.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype\ng,gemm,1,2,3,bf16,fp4\n",
                 "dtype.csv:2: column 'b_dtype': 'fp4' is not valid", dtype_names(), NULL);
    expect_error(dir, ck, __func__, "kvdtype.csv",
                 "op,kind,ctx,heads_q,heads_kv,head_dim,a_dtype\na,attention,8,8,8,8,BF16\n",
                 "kvdtype.csv:2: column 'a_dtype': 'BF16' is not valid", dtype_names(), NULL);
}

static void test_bad_tile_is_rejected(const char *dir, check_t *ck)
{
    const char *const bad[] = {"128x128", "128x0x64", "128x128x64x1", "a x b x c",
                                      "128X128X64", "128x128x", "128x128x99999", "-1x1x1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], want[96];
        snprintf(text, sizeof text,
                 "op,kind,m,n,k,a_dtype,b_dtype,tile\ng,gemm,1,2,3,bf16,bf16,%s\n", bad[i]);
        snprintf(want, sizeof want, "tile.csv:2: column 'tile': '%s' is not valid", bad[i]);
        expect_error(dir, ck, __func__, "tile.csv", text, want, "expected MxNxK", NULL);
    }
}

static void test_groups_greater_than_m_is_rejected(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "groups.csv",
                 "op,kind,m,n,k,groups,a_dtype,b_dtype\n"
                 "fc1,grouped_gemm,4,5760,2880,8,mxfp8,mxfp4\n",
                 "groups.csv:2: column 'groups': '8' is not valid; expected at most m (4)", NULL);
    expect_error(dir, ck, __func__, "nogroups.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype\nfc1,grouped_gemm,4,5760,2880,mxfp8,mxfp4\n",
                 "nogroups.csv:2: column 'groups' is required for kind grouped_gemm", NULL);
}

static void test_heads_q_not_multiple_of_heads_kv_is_rejected(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "heads.csv",
                 "op,kind,ctx,heads_q,heads_kv,head_dim\na,attention,128,32,6,128\n",
                 "heads.csv:2: column 'heads_kv': '6' is not valid; expected a divisor of "
                 "heads_q (32)",
                 NULL);
}

/* ---- launch-configuration columns ----------------------------------------- */

#define LC_HEAD "op,kind,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,tile,stages,swap_ab,split_k,grid_ctas,impl\n"

static void test_launch_config_columns_parse(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    const char *text = LC_HEAD
        "o,gemm,1,2880,4096,,bf16,bf16,,,,,64x8x64,16,1,2,96,cublas-nvjet\n"
        "f,grouped_gemm,4,5760,2880,4,bf16,bf16,,,,,64x128x128,4,0,1,132,cutlass\n"
        "a,attention,1,,,,bf16,,1024,64,8,64,,,,,64,cudnn-sdpa-16x128x64\n";
    if (!CHECK(read_text(dir, "lc.csv", text, &t, err, sizeof err) == 0, "%s", err))
        return;
    const trace_row_t *o = &t.rows[0], *f = &t.rows[1], *a = &t.rows[2];
    CHECK(o->tile_m == 64 && o->tile_n == 8 && o->tile_k == 64, "");
    CHECK(o->stages == 16 && o->swap_ab == 1 && o->split_k == 2 && o->grid_ctas == 96, "");
    CHECK(o->impl && strcmp(o->impl, "cublas-nvjet") == 0, "");
    CHECK(o->impl == gemm_impl_find("cublas-nvjet")->name, "");
    CHECK(f->stages == 4 && f->swap_ab == 0 && f->split_k == 1 && f->grid_ctas == 132, "");
    CHECK(f->impl && strcmp(f->impl, "cutlass") == 0, "");
    CHECK(a->grid_ctas == 64 && a->impl && strcmp(a->impl, "cudnn-sdpa-16x128x64") == 0, "");
    trace_free(&t);
}

static void test_launch_config_empty_or_absent_means_auto(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    /* empty cells; an elementwise row's junk in them is ignored */
    const char *text =
        "op,kind,m,n,k,groups,a_dtype,b_dtype,ctx,heads_q,heads_kv,head_dim,tile,stages,swap_ab,"
        "split_k,grid_ctas,impl,bytes\n"
        "o,gemm,1,2880,4096,,bf16,bf16,,,,,,,,,,,\n"
        "a,attention,1,,,,bf16,,1024,64,8,64,,,,,,,\n"
        "e,elementwise,,,,,,,,,,,,x,y,z,w,bogus,64\n";
    if (!CHECK(read_text(dir, "lc_empty.csv", text, &t, err, sizeof err) == 0, "%s", err))
        return;
    for (size_t i = 0; i < 2; i++) {
        const trace_row_t *r = &t.rows[i];
        CHECK(r->tile_m == 0 && r->stages == 0 && r->swap_ab == -1 && r->split_k == 0, "");
        CHECK(r->grid_ctas == 0 && r->impl == NULL, "");
    }
    trace_free(&t);
    /* no configuration columns at all */
    if (CHECK(read_text(dir, "lc_absent.csv",
                            "op,kind,m,n,k,a_dtype,b_dtype\no,gemm,1,2880,4096,bf16,bf16\n", &t,
                            err, sizeof err) == 0, "")) {
        const trace_row_t *r = &t.rows[0];
        CHECK(r->stages == 0 && r->swap_ab == -1 && r->split_k == 0 && r->grid_ctas == 0 &&
                      r->impl == NULL, "");
        trace_free(&t);
    }
}

/* One gemm row with column col set to val (and a tile, so that stages,
 * swap_ab and grid_ctas may be given). */
static void lc_gemm_text(char *buf, size_t len, const char *col, const char *val)
{
    snprintf(buf, len, "op,kind,m,n,k,a_dtype,b_dtype,tile,%s\ng,gemm,1,128,64,bf16,bf16,64x8x64,%s\n",
             col, val);
}

/* cluster: "MxN" of CTAs along tile M and N, 1..16 each; empty = 1x1 */
static void test_cluster_column(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "", text[256];
    lc_gemm_text(text, sizeof text, "cluster", "2x4");
    if (CHECK(read_text(dir, "cl.csv", text, &t, err, sizeof err) == 0, "%s", err)) {
        CHECK(t.rows[0].cluster_m == 2 && t.rows[0].cluster_n == 4, "");
        trace_free(&t);
    }
    lc_gemm_text(text, sizeof text, "cluster", "");
    if (CHECK(read_text(dir, "cl0.csv", text, &t, err, sizeof err) == 0, "")) {
        CHECK(t.rows[0].cluster_m == 0 && t.rows[0].cluster_n == 0, "");
        trace_free(&t);
    }
    static const char *const bad[] = {"2", "2x", "x2", "0x1", "2x1x1", "2X1", "-2x1", "a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc_gemm_text(text, sizeof text, "cluster", bad[i]);
        char want[96];
        snprintf(want, sizeof want, "clbad.csv:2: column 'cluster': '%s' is not valid", bad[i]);
        expect_error(dir, ck, __func__, "clbad.csv", text, want, "expected MxN of positive integers", NULL);
    }
    lc_gemm_text(text, sizeof text, "cluster", "17x1");
    expect_error(dir, ck, __func__, "clbig.csv", text, "clbig.csv:2: column 'cluster': '17x1' is not valid",
                 "above the limit 16", NULL);
    expect_error(dir, ck, __func__, "clnotile.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype,tile,cluster\ng,gemm,1,128,64,bf16,bf16,,2x1\n",
                 "clnotile.csv:2: column 'cluster': '2x1' is not valid", "expected empty, or a tile",
                 NULL);
}

static void test_launch_config_malformed_cells_are_rejected(const char *dir, check_t *ck)
{
    static const struct {
        const char *col, *val, *expect;
    } bad[] = {
        {"stages", "1.5", "expected a positive integer (pipeline stages"},
        {"stages", "0", "expected a positive integer (pipeline stages"},
        {"stages", "-3", "expected a positive integer (pipeline stages"},
        {"stages", "four", "expected a positive integer (pipeline stages"},
        {"swap_ab", "2", "expected 0 (tile M over the tokens) or 1"},
        {"swap_ab", "yes", "expected 0 (tile M over the tokens) or 1"},
        {"swap_ab", "1.0", "expected 0 (tile M over the tokens) or 1"},
        {"swap_ab", "\" 1\"", "expected 0 (tile M over the tokens) or 1"},
        {"split_k", "0", "expected a positive integer (K slices"},
        {"split_k", "2x", "expected a positive integer (K slices"},
        {"grid_ctas", "1e3", "expected a positive integer (CTAs the main kernel launched)"},
        {"grid_ctas", "-96", "expected a positive integer (CTAs the main kernel launched)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], want[96];
        lc_gemm_text(text, sizeof text, bad[i].col, bad[i].val);
        snprintf(want, sizeof want, "lcbad.csv:2: column '%s': ", bad[i].col);
        expect_error(dir, ck, __func__, "lcbad.csv", text, want, "is not valid", bad[i].expect, NULL);
    }
    expect_error(dir, ck, __func__, "agrid.csv",
                 "op,kind,ctx,heads_q,heads_kv,head_dim,grid_ctas\na,attention,128,64,8,64,x8\n",
                 "agrid.csv:2: column 'grid_ctas': 'x8' is not valid; expected a positive integer "
                 "(CTAs of the main kernel: heads_kv x KV splits)",
                 NULL);
}

static void test_launch_config_out_of_range_is_rejected(const char *dir, check_t *ck)
{
    static const char *const cols[] = {"stages", "split_k", "grid_ctas"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        char text[256], want[96];
        lc_gemm_text(text, sizeof text, cols[i], "2147483648");
        snprintf(want, sizeof want, "lcbig.csv:2: column '%s': '2147483648' is not valid", cols[i]);
        expect_error(dir, ck, __func__, "lcbig.csv", text, want, "above the limit 2147483647", NULL);
    }
    char text[256];
    lc_gemm_text(text, sizeof text, "split_k", "65");
    expect_error(dir, ck, __func__, "splitk.csv", text,
                 "splitk.csv:2: column 'split_k': '65' is not valid; expected at most k (64)", NULL);
    expect_error(dir, ck, __func__, "agrid2.csv",
                 "op,kind,ctx,heads_q,heads_kv,head_dim,grid_ctas\na,attention,1024,64,8,64,60\n",
                 "agrid2.csv:2: column 'grid_ctas': '60' is not valid; expected a multiple of "
                 "heads_kv (8) with at most ctx (1024) KV splits",
                 NULL);
    expect_error(dir, ck, __func__, "agrid3.csv",
                 "op,kind,ctx,heads_q,heads_kv,head_dim,grid_ctas\na,attention,4,64,8,64,40\n",
                 "agrid3.csv:2: column 'grid_ctas': '40' is not valid; expected a multiple of "
                 "heads_kv (8) with at most ctx (4) KV splits",
                 NULL);
}

static void test_launch_config_of_a_tile_needs_the_tile(const char *dir, check_t *ck)
{
    static const char *const cols[] = {"stages", "swap_ab", "grid_ctas"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        char text[256], want[96];
        snprintf(text, sizeof text,
                 "op,kind,m,n,k,groups,a_dtype,b_dtype,tile,%s\nf,grouped_gemm,4,64,64,4,bf16,bf16,,1\n",
                 cols[i]);
        snprintf(want, sizeof want, "notile.csv:2: column '%s': '1' is not valid", cols[i]);
        expect_error(dir, ck, __func__, "notile.csv", text, want, "expected empty, or a tile", NULL);
    }
    /* split_k and impl apply to whatever tile the simulator picks */
    trace_t t;
    char err[512] = "";
    if (CHECK(read_text(dir, "notile_ok.csv",
                            "op,kind,m,n,k,a_dtype,b_dtype,split_k,impl\n"
                            "g,gemm,1,128,2880,bf16,bf16,2,cublas-nvjet\n",
                            &t, err, sizeof err) == 0, "%s", err)) {
        CHECK(t.rows[0].split_k == 2 && t.rows[0].tile_m == 0, "");
        trace_free(&t);
    }
}

static void test_unknown_impl_lists_the_rows(const char *dir, check_t *ck)
{
    expect_error(dir, ck, __func__, "gimpl.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype,impl\ng,gemm,1,128,64,bf16,bf16,cublas\n",
                 "gimpl.csv:2: column 'impl': 'cublas' is not valid; expected one of ",
                 gemm_impl_names(), NULL);
    expect_error(dir, ck, __func__, "aimpl.csv",
                 "op,kind,ctx,heads_q,heads_kv,head_dim,impl\na,attention,128,64,8,64,cudnn\n",
                 "aimpl.csv:2: column 'impl': 'cudnn' is not valid; expected one of ",
                 attn_impl_names(), NULL);
    /* a gemm impl is not an attention impl, and names are case-sensitive */
    expect_error(dir, ck, __func__, "aimpl2.csv",
                 "op,kind,ctx,heads_q,heads_kv,head_dim,impl\na,attention,128,64,8,64,cutlass\n",
                 "aimpl2.csv:2: column 'impl': 'cutlass' is not valid", NULL);
    expect_error(dir, ck, __func__, "gimpl2.csv",
                 "op,kind,m,n,k,a_dtype,b_dtype,impl\ng,gemm,1,128,64,bf16,bf16,CUTLASS\n",
                 "gimpl2.csv:2: column 'impl': 'CUTLASS' is not valid", NULL);
}

static void test_ragged_row_is_rejected_with_line(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    CHECK(trace_read("traces/testdata/ragged.csv", &t, err, sizeof err) == -1, "");
    CHECK(strstr(err, "traces/testdata/ragged.csv:5: row has 2 fields; expected 3") != NULL, "");
    expect_error(dir, ck, __func__, "long.csv", "op,kind,bytes\nx,elementwise,8,9\n",
                 "long.csv:2: row has 4 fields; expected 3", NULL);
}

static void test_malformed_quoting_is_rejected_with_line(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    CHECK(trace_read("traces/testdata/bad_quote.csv", &t, err, sizeof err) == -1, "");
    CHECK(strstr(err, "traces/testdata/bad_quote.csv:3: malformed CSV quoting") != NULL, "");
    expect_error(dir, ck, __func__, "unterminated.csv",
                 "op,kind,bytes\nx,elementwise,8\n\"open,elementwise,8\ny,elementwise,9\n",
                 "unterminated.csv:3: malformed CSV quoting", "never closed", NULL);
}

static void test_empty_file_is_rejected(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "";
    CHECK(trace_read("traces/testdata/empty.csv", &t, err, sizeof err) == -1, "");
    CHECK(strstr(err, "traces/testdata/empty.csv: empty file") != NULL, "");
    expect_error(dir, ck, __func__, "blank.csv", "\n  \n\n", "blank.csv: empty file", NULL);
}

static void test_missing_file_is_rejected(check_t *ck)
{
    trace_t t;
    char err[512] = "";
    CHECK(trace_read("traces/testdata/no_such_file.csv", &t, err, sizeof err) == -1, "");
    CHECK(strstr(err, "traces/testdata/no_such_file.csv: cannot open: ") != NULL, "");
}

static void test_header_only_is_rejected(check_t *ck)
{
    trace_t t;
    char err[512] = "";
    CHECK(trace_read("traces/testdata/header_only.csv", &t, err, sizeof err) == -1, "");
    CHECK(strstr(err, "traces/testdata/header_only.csv:1: no data rows") != NULL, "");
}

/* ---- writing -------------------------------------------------------------- */

static void test_write_appends_predicted_us(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "", out[256];
    scratch(dir, "pred.csv", out, sizeof out);
    if (!CHECK(read_text(dir, "in.csv", "op,kind,bytes\na,elementwise,8\nb,elementwise,16\n",
                             &t, err, sizeof err) == 0, ""))
        return;
    const double pred[] = {1.23456, 20};
    CHECK(trace_write(out, &t, pred, err, sizeof err) == 0, "");
    char *got = get_file(out);
    CHECK(got && strcmp(got, "op,kind,bytes,predicted_us\n"
                                 "a,elementwise,8,1.235\n"
                                 "b,elementwise,16,20.000\n") == 0, "");
    free(got);
    remove(out);
    trace_free(&t);
}

static void test_write_replaces_existing_predicted_us(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "", out[256];
    scratch(dir, "pred2.csv", out, sizeof out);
    if (!CHECK(read_text(dir, "in2.csv",
                             "op,predicted_us,kind,bytes\na,99,elementwise,8\nb,,elementwise,16\n",
                             &t, err, sizeof err) == 0, ""))
        return;
    const double pred[] = {0.5, 3};
    CHECK(trace_write(out, &t, pred, err, sizeof err) == 0, "");
    char *got = get_file(out);
    CHECK(got && strcmp(got, "op,predicted_us,kind,bytes\n"
                                 "a,0.500,elementwise,8\n"
                                 "b,3.000,elementwise,16\n") == 0, "");
    free(got);
    remove(out);
    trace_free(&t);
}

static void test_unknown_columns_are_kept_in_output(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "", out[256];
    scratch(dir, "unknown.csv", out, sizeof out);
    if (!CHECK(read_text(dir, "in3.csv",
                             "note,op,kind,bytes,Layer Index\n"
                             "\"x, y\",a,elementwise,8,7\n",
                             &t, err, sizeof err) == 0, ""))
        return;
    CHECK(t.ncols == 5 && strcmp(t.colnames[4], "Layer Index") == 0, "");
    CHECK(strcmp(t.cells[0][0], "x, y") == 0, "");
    const double pred[] = {1};
    CHECK(trace_write(out, &t, pred, err, sizeof err) == 0, "");
    char *got = get_file(out);
    CHECK(got && strcmp(got, "note,op,kind,bytes,Layer Index,predicted_us\n"
                                 "\"x, y\",a,elementwise,8,7,1.000\n") == 0, "");
    free(got);
    remove(out);
    trace_free(&t);
}

static void test_quoted_op_with_comma_round_trips(const char *dir, check_t *ck)
{
    trace_t t, back;
    char err[512] = "", out[256];
    scratch(dir, "roundtrip.csv", out, sizeof out);
    if (!CHECK(trace_read("traces/testdata/valid.csv", &t, err, sizeof err) == 0, ""))
        return;
    double pred[4] = {1, 2, 3, 4};
    CHECK(trace_write(out, &t, pred, err, sizeof err) == 0, "");
    if (CHECK(trace_read(out, &back, err, sizeof err) == 0, "")) {
        CHECK(back.nrows == t.nrows && back.ncols == t.ncols + 1, "");
        CHECK(strcmp(back.colnames[t.ncols], "predicted_us") == 0, "");
        for (size_t i = 0; i < t.nrows && i < back.nrows; i++) {
            CHECK(strcmp(back.rows[i].op, t.rows[i].op) == 0, "");
            for (int c = 0; c < t.ncols; c++)
                CHECK(strcmp(back.cells[i][c], t.cells[i][c]) == 0, "");
            CHECK(strtod(back.cells[i][t.ncols], NULL) == pred[i], "");
        }
        CHECK(row_by_op(&back, "attn \"decode\", layer 0") != NULL, "");
        trace_free(&back);
    }
    /* Leading and trailing spaces survive because they are written quoted. */
    trace_t sp;
    if (CHECK(read_text(dir, "spaces.csv", "op,kind,bytes\n\" padded \",elementwise,8\n", &sp,
                            err, sizeof err) == 0, "")) {
        double one = 1;
        CHECK(trace_write(out, &sp, &one, err, sizeof err) == 0, "");
        trace_t sp2;
        if (CHECK(trace_read(out, &sp2, err, sizeof err) == 0, "")) {
            CHECK(strcmp(sp2.rows[0].op, " padded ") == 0, "");
            trace_free(&sp2);
        }
        trace_free(&sp);
    }
    remove(out);
    trace_free(&t);
}

static void test_write_failure_leaves_no_file(const char *dir, check_t *ck)
{
    trace_t t;
    char err[512] = "", out[256], tmp[320];
    if (!CHECK(trace_read("traces/testdata/valid.csv", &t, err, sizeof err) == 0, ""))
        return;
    double pred[4] = {1, 2, 3, 4};

    /* The directory does not exist: nothing can be created. */
    scratch(dir, "no_such_dir/out.csv", out, sizeof out);
    CHECK(trace_write(out, &t, pred, err, sizeof err) == -1, "");
    CHECK(strstr(err, out) != NULL && strstr(err, ": cannot write: ") != NULL, "");
    CHECK(!exists(out), "");

    /* The target is a directory: the temporary file is written, the rename
     * fails, and the temporary file must be gone. */
    scratch(dir, "a_dir", out, sizeof out);
    CHECK(mkdir(out, 0700) == 0, "");
    err[0] = '\0';
    CHECK(trace_write(out, &t, pred, err, sizeof err) == -1, "");
    CHECK(strstr(err, ": cannot write: ") != NULL, "");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    CHECK(!exists(tmp), "");
    rmdir(out);

    /* A non-finite prediction is refused before anything is written. */
    scratch(dir, "nan_pred.csv", out, sizeof out);
    pred[2] = NAN;
    CHECK(trace_write(out, &t, pred, err, sizeof err) == -1, "");
    CHECK(strstr(err, "cannot write") != NULL && strstr(err, "line 4") != NULL, "");
    CHECK(!exists(out), "");
    trace_free(&t);
}

/* A trace long enough to cross the stream's read blocks, with every line
 * ending (LF, CRLF, a lone CR) and quoted line breaks, a byte-order mark and
 * blank lines: read 7 rows at a time, it gives the rows, lines and cells
 * trace_read gives; a bad row far in gives the same message. */
static void test_chunks_read_what_trace_read_reads(const char *dir, check_t *ck)
{
    static const char *const END[] = {"\n", "\r\n", "\r"};
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    fputs("\xEF\xBB\xBFop,kind,bytes,note\n", m);
    for (int i = 0; i < 6000; i++) {
        if (i % 5 == 0)
            fprintf(m, "\"op %d%s(two lines)\",elementwise,%d,\"a, b\"%s", i, END[i % 3], 100 + i,
                    END[(i + 1) % 3]);
        else
            fprintf(m, "op%d,elementwise,%d,n%d%s", i, 100 + i, i, END[i % 3]);
        if (i % 1000 == 999)
            fputs("\n", m);
    }
    fclose(m);
    char path[256], err[512] = "", err2[512] = "";
    scratch(dir, "long.csv", path, sizeof path);
    put_file(path, text);
    trace_t all;
    if (!CHECK(trace_read(path, &all, err, sizeof err) == 0, "%s", err))
        goto out;
    CHECK(all.nrows == 6000, "%zu rows", all.nrows);
    CHECK(all.ncols == 4 && !strcmp(all.colnames[0], "op"), "");
    trace_reader_t *rd;
    if (CHECK(trace_open(path, &rd, err, sizeof err) == 0, "%s", err)) {
        trace_t chunk = {0};
        size_t at = 0, bad = 0;
        long n;
        while ((n = trace_next(rd, 7, &chunk, err, sizeof err)) > 0) {
            CHECK(n <= 7 && chunk.ncols == all.ncols && !strcmp(chunk.path, path), "");
            for (size_t i = 0; i < chunk.nrows && at + i < all.nrows; i++) {
                const trace_row_t *a = &all.rows[at + i], *b = &chunk.rows[i];
                bad += a->line != b->line || strcmp(a->op, b->op) || a->bytes != b->bytes;
                for (int c = 0; c < all.ncols; c++)
                    bad += strcmp(all.cells[at + i][c], chunk.cells[i][c]) != 0;
            }
            at += chunk.nrows;
        }
        CHECK(n == 0, "%s", err);
        CHECK(at == all.nrows && bad == 0, "%zu rows, %zu differ", at, bad);
        CHECK(trace_next(rd, 7, &chunk, err, sizeof err) == 0, "the end stays the end");
        trace_free(&chunk);
        trace_close(rd);
    }
    /* a bad row far in: the same message from both */
    char *hit = strstr(text, "op5432,elementwise,5532");
    if (CHECK(hit != NULL, "")) {
        memcpy(hit + strlen("op5432,elementwise,"), "-532", 4);
        put_file(path, text);
        trace_t t;
        CHECK(trace_read(path, &t, err, sizeof err) == -1, "");
        if (CHECK(trace_open(path, &rd, err2, sizeof err2) == 0, "%s", err2)) {
            trace_t chunk = {0};
            long n;
            while ((n = trace_next(rd, 100, &chunk, err2, sizeof err2)) > 0)
                ;
            CHECK(n == -1 && !strcmp(err, err2) && strstr(err, "column 'bytes': '-532'"),
                  "'%s' vs '%s'", err, err2);
            trace_close(rd);
        }
    }
    trace_free(&all);
out:
    remove(path);
    free(text);
}

static void test_kind_names(check_t *ck)
{
    CHECK(strcmp(trace_kind_name(TK_GEMM), "gemm") == 0, "");
    CHECK(strcmp(trace_kind_name(TK_GROUPED_GEMM), "grouped_gemm") == 0, "");
    CHECK(strcmp(trace_kind_name(TK_ATTENTION), "attention") == 0, "");
    CHECK(strcmp(trace_kind_name(TK_ELEMENTWISE), "elementwise") == 0, "");
}

int main(void)
{
    check_t ck = check_begin("trace_test");
    char dir[64] = "/tmp/trace_test.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_valid_file_parses_all_kinds(&ck);
    test_columns_in_any_order_are_mapped_by_name(dir, &ck);
    test_attention_defaults_m_and_kv_dtype(dir, &ck);
    test_cells_of_unneeded_columns_are_ignored(dir, &ck);
    test_line_numbers_count_quoted_newlines_and_blank_lines(dir, &ck);
    test_missing_required_column_names_kind_and_column(dir, &ck);
    test_missing_op_or_kind_column_is_rejected(dir, &ck);
    test_empty_op_is_rejected(dir, &ck);
    test_duplicate_header_is_rejected(dir, &ck);
    test_zero_m_is_rejected_with_line_and_column(dir, &ck);
    test_non_integer_sizes_are_rejected(dir, &ck);
    test_absurd_size_is_rejected(dir, &ck);
    test_bad_bytes_are_rejected(dir, &ck);
    test_nan_measured_is_rejected(dir, &ck);
    test_bad_kind_lists_valid_kinds(dir, &ck);
    test_bad_dtype_lists_valid_dtypes(dir, &ck);
    test_bad_tile_is_rejected(dir, &ck);
    test_groups_greater_than_m_is_rejected(dir, &ck);
    test_heads_q_not_multiple_of_heads_kv_is_rejected(dir, &ck);
    test_launch_config_columns_parse(dir, &ck);
    test_cluster_column(dir, &ck);
    test_launch_config_empty_or_absent_means_auto(dir, &ck);
    test_launch_config_malformed_cells_are_rejected(dir, &ck);
    test_launch_config_out_of_range_is_rejected(dir, &ck);
    test_launch_config_of_a_tile_needs_the_tile(dir, &ck);
    test_unknown_impl_lists_the_rows(dir, &ck);
    test_ragged_row_is_rejected_with_line(dir, &ck);
    test_malformed_quoting_is_rejected_with_line(dir, &ck);
    test_empty_file_is_rejected(dir, &ck);
    test_missing_file_is_rejected(&ck);
    test_header_only_is_rejected(&ck);
    test_write_appends_predicted_us(dir, &ck);
    test_write_replaces_existing_predicted_us(dir, &ck);
    test_unknown_columns_are_kept_in_output(dir, &ck);
    test_quoted_op_with_comma_round_trips(dir, &ck);
    test_write_failure_leaves_no_file(dir, &ck);
    test_chunks_read_what_trace_read_reads(dir, &ck);
    test_kind_names(&ck);
    if (rmdir(dir) != 0)
        fprintf(stderr, "note: scratch directory %s not removed: %s\n", dir, strerror(errno));
    return check_end(&ck);
}
