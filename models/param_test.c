/* param_test.c -- pins the rules of the parameter table (param.h) and checks
 * that every shipped data file loads. Runs with the source root as working
 * directory; exits nonzero if any check fails. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "models/arch.h"
#include "models/llm.h"
#include "models/param.h"

#include <dirent.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tests/check.h"

typedef struct {
    double bw;
    double count;
} tiny_t;

static const param_def_t TINY_DEFS[] = {
    {"bw", "GB/s", 1, 100000, PARAM_REAL, offsetof(tiny_t, bw), "a bandwidth"},
    {"count", "count", 1, 1024, PARAM_INT, offsetof(tiny_t, count), "a count"},
};

static const param_schema_t TINY = {"test", TINY_DEFS, 2};

#define HEADER "key,value,unit,source\n"
#define GOOD_BW "bw,273,GB/s,datasheet\n"
#define GOOD_COUNT "count,48,count,deviceQuery\n"

/* Loads text as file "t.csv" into *dst; err receives the message. */
static int load(const char *text, tiny_t *dst, param_origin_t *origins, char *err, size_t errlen)
{
    return param_load(&TINY, dst, origins, "t.csv", text, strlen(text), err, errlen);
}

static int has(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

static void test_valid_file_loads_values_and_origins(check_t *ck)
{
    tiny_t t = {0, 0};
    param_origin_t o[2];
    char err[512] = "";
    int rc = load(HEADER GOOD_BW GOOD_COUNT, &t, o, err, sizeof err);
    REQUIRE(rc == 0, "%s", err);
    REQUIRE(t.bw == 273 && t.count == 48, "");
    REQUIRE(strcmp(o[0].source, "datasheet") == 0 && o[0].line == 2, "");
    REQUIRE(strcmp(o[1].source, "deviceQuery") == 0 && o[1].line == 3, "");
    REQUIRE(param_find(&TINY, "count") == 1 && param_find(&TINY, "nope") == -1, "");
    REQUIRE(param_get(&TINY, &t, 0) == 273, "");
}

static void test_error_message_names_file_line_and_expectation(check_t *ck)
{
    arch_t a;
    char err[1024] = "";
    const char *text = HEADER "dram_peak_gbps,abc,GB/s,x\n";
    int rc = param_load(&arch_schema, &a, NULL, "models/data/arch/gb10.csv", text,
                        strlen(text), err, sizeof err);
    REQUIRE(rc == -1, "");
    REQUIRE(strcmp(err, "models/data/arch/gb10.csv:2: key 'dram_peak_gbps': value 'abc' "
                          "is not a number; expected a finite number in [1, 100000] GB/s") == 0, "%s", err);
}

static void test_unknown_key_is_rejected_with_file_and_line(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    int rc = load(HEADER GOOD_BW "bogus,1,count,x\n" GOOD_COUNT, &t, NULL, err, sizeof err);
    REQUIRE(rc == -1, "");
    REQUIRE(has(err, "t.csv:3: ") && has(err, "unknown") && has(err, "'bogus'"), "%s", err);
    REQUIRE(has(err, "expected one of: bw, count"), "%s", err);
}

static void test_missing_key_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER GOOD_BW, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(strcmp(err, "t.csv: missing key(s): count (every key is required)") == 0, "%s", err);
    REQUIRE(load(HEADER, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(strcmp(err, "t.csv: missing key(s): bw, count (every key is required)") == 0, "%s", err);
}

static void test_duplicate_key_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER GOOD_BW GOOD_COUNT GOOD_BW, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:4: ") && has(err, "duplicate key 'bw'") &&
              has(err, "line 2"), "%s", err);
}

static void test_unit_mismatch_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER "bw,273,GB,datasheet\n" GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:2: ") && has(err, "unit 'GB' but expected 'GB/s'"), "%s", err);
    REQUIRE(load(HEADER "bw,273,,datasheet\n" GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "unit '' but expected 'GB/s'"), "%s", err);
}

static void test_empty_source_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER GOOD_BW "count,48,count,\n", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:3: ") && has(err, "empty source"), "%s", err);
    REQUIRE(load(HEADER GOOD_BW "count,48,count,   \n", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "empty source"), "%s", err);
    REQUIRE(load(HEADER GOOD_BW "count,48,count,\"\"\n", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "empty source"), "%s", err);
}

static void test_nan_and_inf_are_rejected(check_t *ck)
{
    const char *const bad[] = {"nan", "NaN", "inf", "-inf", "infinity", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text, HEADER "bw,%s,GB/s,x\n" GOOD_COUNT, bad[i]);
        tiny_t t;
        REQUIRE(load(text, &t, NULL, err, sizeof err) == -1, "%s", bad[i]);
        REQUIRE(has(err, "t.csv:2: ") && has(err, "not finite") &&
                  has(err, "expected a finite number in [1, 100000] GB/s"), "%s", err);
    }
}

static void test_non_numbers_are_rejected(check_t *ck)
{
    const char *const bad[] = {"abc", "12abc", "", "\" 5\"", "5 x", "--5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text, HEADER "bw,%s,GB/s,x\n" GOOD_COUNT, bad[i]);
        tiny_t t;
        REQUIRE(load(text, &t, NULL, err, sizeof err) == -1, "%s", bad[i]);
        REQUIRE(has(err, "t.csv:2: ") && has(err, "is not a number"), "%s", err);
    }
}

static void test_out_of_range_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER "bw,273000,GB/s,x\n" GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:2: ") && has(err, "value '273000' is out of range") &&
              has(err, "expected a finite number in [1, 100000] GB/s"), "%s", err);
    REQUIRE(load(HEADER "bw,0.5,GB/s,x\n" GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "out of range"), "%s", err);
    REQUIRE(load(HEADER GOOD_BW "count,0,count,x\n", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:3: ") && has(err, "expected an integer in [1, 1024] count"), "%s", err);
    /* Bounds are inclusive. */
    REQUIRE(load(HEADER "bw,1,GB/s,x\ncount,1024,count,x\n", &t, NULL, err, sizeof err) == 0, "");
    REQUIRE(t.bw == 1 && t.count == 1024, "");
}

static void test_non_integer_for_int_key_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER GOOD_BW "count,4.5,count,x\n", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:3: ") && has(err, "value '4.5' is not an integer") &&
              has(err, "expected an integer in [1, 1024] count"), "%s", err);
    /* An integral value written in another form is an integer. */
    REQUIRE(load(HEADER GOOD_BW "count,1e2,count,x\n", &t, NULL, err, sizeof err) == 0, "");
    REQUIRE(t.count == 100, "");
}

static void test_wrong_header_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load("key,value,units,source\n" GOOD_BW GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:1: ") && has(err, "'key,value,units,source'") &&
              has(err, "expected exactly 'key,value,unit,source'"), "%s", err);
    REQUIRE(load("key,value,unit\n" GOOD_BW GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:1: ") && has(err, "expected exactly"), "%s", err);
    /* A data row where the header belongs is a wrong header. */
    REQUIRE(load(GOOD_BW GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:1: "), "%s", err);
    REQUIRE(load("", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "no header"), "%s", err);
}

static void test_wrong_field_count_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER "bw,273,GB/s\n" GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:2: 3 field(s); expected 4"), "%s", err);
    REQUIRE(load(HEADER GOOD_BW "count,48,count,a,b\n", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:3: 5 field(s); expected 4"), "%s", err);
    /* An unquoted comma in a source adds a field. */
    REQUIRE(load(HEADER "bw,273,GB/s,Smith, 2024\n" GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:2: 5 field(s)"), "%s", err);
}

static void test_malformed_quote_is_rejected(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    REQUIRE(load(HEADER "bw,273,GB/s,\"unterminated\n" GOOD_COUNT, &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:2: ") && has(err, "malformed CSV"), "%s", err);
}

static void test_quoted_source_with_commas_is_accepted(check_t *ck)
{
    tiny_t t;
    param_origin_t o[2];
    char err[512] = "";
    int rc = load(HEADER "bw,273,GB/s,\"Smith, J., 2024, p. 3, \"\"Table 1\"\"\"\n" GOOD_COUNT,
                  &t, o, err, sizeof err);
    REQUIRE(rc == 0, "%s", err);
    REQUIRE(t.bw == 273, "");
    REQUIRE(strcmp(o[0].source, "Smith, J., 2024, p. 3, \"Table 1\"") == 0, "%s", o[0].source);
}

static void test_comment_and_blank_lines_are_skipped(check_t *ck)
{
    tiny_t t;
    param_origin_t o[2];
    char err[512] = "";
    const char *text = "# a description file\n"
                       "\n"
                       HEADER
                       "  # indented comment, with commas, and an \"odd quote\n"
                       "#bw,1,GB/s,commented-out row\n"
                       "\"#quoted first field\",1,2\n"
                       "   \n"
                       "bw,273,GB/s,datasheet\r\n"
                       "\r\n"
                       "count,48,count,deviceQuery";   /* no final newline */
    int rc = load(text, &t, o, err, sizeof err);
    REQUIRE(rc == 0, "%s", err);
    REQUIRE(t.bw == 273 && t.count == 48, "");
    REQUIRE(o[0].line == 8 && o[1].line == 10, "");
    REQUIRE(strcmp(o[0].source, "datasheet") == 0, "");
    /* Skipped lines still count toward line numbers. */
    REQUIRE(load("# c\n\n" HEADER "# c\nbw,x,GB/s,s\n", &t, NULL, err, sizeof err) == -1, "");
    REQUIRE(has(err, "t.csv:5: "), "%s", err);
}

static void test_text_is_bounded_by_len(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    /* Bytes past len (here a bogus row) are not part of the file. */
    const char buf[] = HEADER GOOD_BW GOOD_COUNT "bogus,1,x,y\n";
    size_t len = strlen(HEADER GOOD_BW GOOD_COUNT);
    int rc = param_load(&TINY, &t, NULL, "t.csv", buf, len, err, sizeof err);
    REQUIRE(rc == 0, "%s", err);
    REQUIRE(t.count == 48, "");
}

static void test_dst_untouched_on_error(check_t *ck)
{
    tiny_t t = {-7, -7};
    param_origin_t o[2];
    memset(o, 0, sizeof o);
    strcpy(o[0].source, "sentinel");
    o[0].line = 99;
    char err[512] = "";
    /* bw is valid and parsed before the bad row. */
    REQUIRE(load(HEADER GOOD_BW "count,4.5,count,x\n", &t, o, err, sizeof err) == -1, "");
    REQUIRE(t.bw == -7 && t.count == -7, "");
    REQUIRE(strcmp(o[0].source, "sentinel") == 0 && o[0].line == 99, "");
    /* Also when the only problem is a missing key. */
    REQUIRE(load(HEADER GOOD_BW, &t, o, err, sizeof err) == -1, "");
    REQUIRE(t.bw == -7 && strcmp(o[0].source, "sentinel") == 0, "");
}

static void test_set_overrides_value_and_records_source(check_t *ck)
{
    tiny_t t;
    param_origin_t o[2];
    char err[512] = "";
    REQUIRE(load(HEADER GOOD_BW GOOD_COUNT, &t, o, err, sizeof err) == 0, "");
    REQUIRE(param_set(&TINY, &t, o, "bw=300.5", err, sizeof err) == 0, "%s", err);
    REQUIRE(t.bw == 300.5 && t.count == 48, "");
    REQUIRE(strcmp(o[0].source, "--set") == 0 && o[0].line == 0, "");
    REQUIRE(strcmp(o[1].source, "deviceQuery") == 0, "");
    REQUIRE(param_set(&TINY, &t, NULL, "count=64", err, sizeof err) == 0, "%s", err);
    REQUIRE(t.count == 64, "");
}

static void test_set_unknown_key_returns_1(check_t *ck)
{
    tiny_t t = {5, 6};
    param_origin_t o[2];
    memset(o, 0, sizeof o);
    char err[64] = "untouched";
    REQUIRE(param_set(&TINY, &t, o, "nope=3", err, sizeof err) == 1, "");
    REQUIRE(strcmp(err, "untouched") == 0, "");
    REQUIRE(t.bw == 5 && t.count == 6, "");
    /* A key that is a prefix of a schema key is still unknown. */
    REQUIRE(param_set(&TINY, &t, o, "b=3", err, sizeof err) == 1, "");
    REQUIRE(param_set(&TINY, &t, o, "bwx=3", err, sizeof err) == 1, "");
    REQUIRE(t.bw == 5, "");
}

static void test_set_rejects_out_of_range(check_t *ck)
{
    tiny_t t = {5, 6};
    param_origin_t o[2];
    memset(o, 0, sizeof o);
    char err[512] = "";
    REQUIRE(param_set(&TINY, &t, o, "bw=0", err, sizeof err) == -1, "");
    REQUIRE(has(err, "bw=0") && has(err, "out of range") &&
              has(err, "expected a finite number in [1, 100000] GB/s"), "%s", err);
    REQUIRE(param_set(&TINY, &t, o, "count=2.5", err, sizeof err) == -1, "");
    REQUIRE(has(err, "not an integer"), "%s", err);
    REQUIRE(param_set(&TINY, &t, o, "bw=nan", err, sizeof err) == -1, "");
    REQUIRE(param_set(&TINY, &t, o, "bw=inf", err, sizeof err) == -1, "");
    REQUIRE(param_set(&TINY, &t, o, "bw=", err, sizeof err) == -1, "");
    REQUIRE(t.bw == 5 && t.count == 6 && o[0].source[0] == '\0', "");
}

static void test_set_rejects_malformed_assignment(check_t *ck)
{
    tiny_t t = {5, 6};
    char err[512] = "";
    REQUIRE(param_set(&TINY, &t, NULL, "bw", err, sizeof err) == -1, "");
    REQUIRE(has(err, "expected key=value"), "%s", err);
    REQUIRE(param_set(&TINY, &t, NULL, "=5", err, sizeof err) == -1, "");
    REQUIRE(param_set(&TINY, &t, NULL, "bw =5", err, sizeof err) == -1, "");
    REQUIRE(has(err, "whitespace"), "%s", err);
    REQUIRE(param_set(&TINY, &t, NULL, "bw= 5", err, sizeof err) == -1, "");
    REQUIRE(t.bw == 5, "");
}

static void test_load_file_reports_unopenable_path(check_t *ck)
{
    tiny_t t;
    char err[512] = "";
    const char *path = "models/data/arch/no-such-file.csv";
    REQUIRE(param_load_file(&TINY, &t, NULL, path, err, sizeof err) == -1, "");
    REQUIRE(has(err, "models/data/arch/no-such-file.csv: cannot open: "), "%s", err);
}

#define HEADER6 "key,value,unit,source,low,high\n"

static void test_range_columns_load_into_origins(check_t *ck)
{
    tiny_t t;
    param_origin_t o[2];
    char err[512] = "";
    CHECK(load(HEADER6 "bw,273,GB/s,measured: spread,231,290\ncount,48,count,deviceQuery,,\n", &t,
                   o, err, sizeof err) == 0, "%s", err);
    CHECK(t.bw == 273 && o[0].has_range && o[0].low == 231 && o[0].high == 290, "");
    CHECK(t.count == 48 && !o[1].has_range, "");
    /* a 4-column file still loads, without ranges */
    CHECK(load(HEADER GOOD_BW GOOD_COUNT, &t, o, err, sizeof err) == 0, "%s", err);
    CHECK(!o[0].has_range && !o[1].has_range, "");
    /* the ends may equal the value */
    CHECK(load(HEADER6 "bw,273,GB/s,x,273,273\ncount,48,count,x,48,64\n", &t, o, err,
                   sizeof err) == 0, "%s", err);
    CHECK(o[0].low == 273 && o[0].high == 273 && o[1].low == 48, "");
}

static void test_bad_ranges_are_rejected_with_file_and_line(check_t *ck)
{
    tiny_t t = {1, 1};
    char err[512] = "";
    /* one end only */
    CHECK(load(HEADER6 "bw,273,GB/s,x,231,\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: key 'bw': low without high; expected both low and high, or neither"), "%s", err);
    CHECK(load(HEADER6 "bw,273,GB/s,x,,290\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: key 'bw': high without low"), "%s", err);
    /* a range that does not hold the value */
    CHECK(load(HEADER6 "count,48,count,x,,\nbw,273,GB/s,x,280,290\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:3: key 'bw': range [280, 290] does not hold the value 273; expected "
                  "low <= value <= high"), "%s", err);
    CHECK(load(HEADER6 "bw,273,GB/s,x,200,250\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: ") && has(err, "does not hold"), "%s", err);
    /* low above high */
    CHECK(load(HEADER6 "bw,273,GB/s,x,290,231\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: ") && has(err, "does not hold"), "%s", err);
    /* ends outside the schema's range, not numbers, not finite, not integers */
    CHECK(load(HEADER6 "bw,273,GB/s,x,0.5,290\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: key 'bw': low '0.5' is out of range; expected a finite number in "
                  "[1, 100000] GB/s"), "%s", err);
    CHECK(load(HEADER6 "bw,273,GB/s,x,231,1e9\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: key 'bw': high '1e9' is out of range"), "%s", err);
    CHECK(load(HEADER6 "bw,273,GB/s,x,abc,290\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: key 'bw': low 'abc' is not a number"), "%s", err);
    CHECK(load(HEADER6 "bw,273,GB/s,x,231,inf\n" "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: key 'bw': high 'inf' is not finite"), "%s", err);
    CHECK(load(HEADER6 "bw,273,GB/s,x,,\n" "count,48,count,x,40.5,64\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:3: key 'count': low '40.5' is not an integer"), "%s", err);
    /* a 6-column header needs 6 fields on every row */
    CHECK(load(HEADER6 GOOD_BW "count,48,count,x,,\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: 4 field(s); expected 6 (key,value,unit,source,low,high)"), "%s", err);
    CHECK(t.bw == 1 && t.count == 1, "");
}

static void test_assumption_without_range_is_rejected(check_t *ck)
{
    tiny_t t;
    param_origin_t o[2];
    char err[512] = "";
    CHECK(load(HEADER6 "bw,273,GB/s,assumption: as H100,,\n" "count,48,count,x,,\n", &t, NULL, err,
               sizeof err) == -1, "");
    CHECK(has(err, "t.csv:2: key 'bw': an assumption without a range; expected low,high columns"), "%s", err);
    /* any case, and in a 4-column file too */
    CHECK(load(HEADER GOOD_BW "count,48,count,Assumption: 48\n", &t, NULL, err, sizeof err) == -1, "");
    CHECK(has(err, "t.csv:3: key 'count': an assumption without a range"), "%s", err);
    /* "assumption" elsewhere in the source is not the declaration */
    CHECK(load(HEADER "bw,273,GB/s,datasheet (no assumption)\n" GOOD_COUNT, &t, NULL, err,
                   sizeof err) == 0, "%s", err);
    CHECK(load(HEADER6 "bw,273,GB/s,assumption: as H100,200,300\ncount,48,count,x,,\n", &t, o,
                   err, sizeof err) == 0, "%s", err);
    CHECK(o[0].has_range && o[0].low == 200 && o[0].high == 300, "");
}

static void test_set_drops_the_range(check_t *ck)
{
    tiny_t t;
    param_origin_t o[2];
    char err[512] = "";
    CHECK(load(HEADER6 "bw,273,GB/s,x,231,290\ncount,48,count,x,40,64\n", &t, o, err,
                   sizeof err) == 0, "%s", err);
    CHECK(param_set(&TINY, &t, o, "bw=250", err, sizeof err) == 0, "");
    CHECK(t.bw == 250 && !o[0].has_range && o[1].has_range, "");
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Loads every *.csv in dir with schema; each origin must have a source and
 * a line. Returns the number of files loaded, or -1 on a failure. */
static int load_every_file(const char *dir, const param_schema_t *schema, void *dst)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "%s: cannot open directory (run from the source root)\n", dir);
        return -1;
    }
    int loaded = 0;
    param_origin_t origins[64];
    if (schema->n > sizeof origins / sizeof origins[0]) {
        closedir(d);
        return -1;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (!ends_with(e->d_name, ".csv"))
            continue;
        char path[512], err[2048] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (param_load_file(schema, dst, origins, path, err, sizeof err) != 0) {
            fprintf(stderr, "load %s: %s\n", path, err);
            loaded = -1;
            break;
        }
        for (size_t i = 0; i < schema->n; i++) {
            if (origins[i].source[0] == '\0' || origins[i].line < 2) {
                fprintf(stderr, "%s: key %s has no source or line\n", path, schema->defs[i].key);
                loaded = -1;
                break;
            }
        }
        if (loaded < 0)
            break;
        loaded++;
    }
    closedir(d);
    return loaded;
}

static int load_arch(const char *path, arch_t *a)
{
    char err[2048] = "";
    int rc = param_load_file(&arch_schema, a, NULL, path, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static int load_llm(const char *path, llm_t *m)
{
    char err[2048] = "";
    int rc = param_load_file(&llm_schema, m, NULL, path, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static void test_real_data_files_load(check_t *ck)
{
    arch_t a;
    llm_t m;
    REQUIRE(load_every_file("models/data/arch", &arch_schema, &a) >= 4, "");
    REQUIRE(load_every_file("models/data/model", &llm_schema, &m) >= 2, "");

    REQUIRE(load_arch("models/data/arch/gb10.csv", &a) == 0, "");
    REQUIRE(a.cc == 121 && a.n_sm == 48 && a.dram_peak_gbps == 273, "");
    REQUIRE(a.l2_bytes == 25165824 && a.smem_per_cta_max_bytes == 101376, "");
    /* 6144 cores x 2 FLOP x 2.418 GHz = 29.71 TFLOPS FP32 (HF hardware page). */
    REQUIRE(fabs(a.n_sm * a.fp32_flop_per_clk_sm * a.sm_clock_mhz * 1e6 / 29.71e12 - 1) < 0.01, "");

    /* the Hopper-measured mechanisms GB10 was not measured for carry a
     * transferred prior with a range, not 0 */
    {
        param_origin_t o[64];
        char err[2048] = "";
        CHECK(param_load_file(&arch_schema, &a, o, "models/data/arch/gb10.csv", err,
                                  sizeof err) == 0, "%s", err);
        const char *const transferred[] = {"tma_stage_issue_ns", "tma_box_issue_ns", "tma_oob_gbps",
                                           "sm_load_gbps", "sm_tma_gbps", "dram_latency_ns", "dram_run_eff_32", "dram_run_eff_128"};
        for (size_t k = 0; k < sizeof transferred / sizeof transferred[0]; k++) {
            int i = param_find(&arch_schema, transferred[k]);
            CHECK(i >= 0 && param_get(&arch_schema, &a, (size_t)i) > 0 && o[i].has_range, "");
            CHECK(o[i].low < o[i].high, "");
        }
    }

    REQUIRE(load_arch("models/data/arch/rtx5090.csv", &a) == 0, "");
    REQUIRE(a.n_sm == 170 && a.mma_mxf4nvf4_flop_per_clk_sm == 4096, "");
    /* 1676 TFLOPS dense FP4 (RTX Blackwell whitepaper). */
    REQUIRE(fabs(a.n_sm * a.mma_mxf4nvf4_flop_per_clk_sm * a.sm_clock_mhz * 1e6 / 1676e12 - 1) < 0.01, "");

    REQUIRE(load_arch("models/data/arch/h100.csv", &a) == 0, "");
    REQUIRE(a.cc == 90 && a.n_sm == 132 && a.mma_mxf4nvf4_flop_per_clk_sm == 0, "");
    REQUIRE(load_arch("models/data/arch/h200.csv", &a) == 0, "");
    REQUIRE(a.dram_peak_gbps == 4800 && a.l2_bytes == 62914560, "");

    REQUIRE(load_llm("models/data/model/gpt-oss-120b.csv", &m) == 0, "");
    REQUIRE(m.n_layers == 36 && m.n_experts == 128 && m.top_k == 4 && m.vocab == 201088, "");
    /* Model card: 5.13B active (unembedding counted, embedding not). */
    REQUIRE(fabs(llm_active_params(&m) / 5.13e9 - 1) < 0.02, "");
    REQUIRE(load_llm("models/data/model/gpt-oss-20b.csv", &m) == 0, "");
    REQUIRE(m.n_layers == 24 && m.n_experts == 32, "");
    REQUIRE(fabs(llm_active_params(&m) / 3.61e9 - 1) < 0.02, "");
}

int main(void)
{
    check_t ck = check_begin("param_test");
    test_valid_file_loads_values_and_origins(&ck);
    test_error_message_names_file_line_and_expectation(&ck);
    test_unknown_key_is_rejected_with_file_and_line(&ck);
    test_missing_key_is_rejected(&ck);
    test_duplicate_key_is_rejected(&ck);
    test_unit_mismatch_is_rejected(&ck);
    test_empty_source_is_rejected(&ck);
    test_nan_and_inf_are_rejected(&ck);
    test_non_numbers_are_rejected(&ck);
    test_out_of_range_is_rejected(&ck);
    test_non_integer_for_int_key_is_rejected(&ck);
    test_wrong_header_is_rejected(&ck);
    test_wrong_field_count_is_rejected(&ck);
    test_malformed_quote_is_rejected(&ck);
    test_quoted_source_with_commas_is_accepted(&ck);
    test_comment_and_blank_lines_are_skipped(&ck);
    test_text_is_bounded_by_len(&ck);
    test_dst_untouched_on_error(&ck);
    test_set_overrides_value_and_records_source(&ck);
    test_set_unknown_key_returns_1(&ck);
    test_set_rejects_out_of_range(&ck);
    test_set_rejects_malformed_assignment(&ck);
    test_load_file_reports_unopenable_path(&ck);
    test_range_columns_load_into_origins(&ck);
    test_bad_ranges_are_rejected_with_file_and_line(&ck);
    test_assumption_without_range_is_rejected(&ck);
    test_set_drops_the_range(&ck);
    test_real_data_files_load(&ck);
    return check_end(&ck);
}
