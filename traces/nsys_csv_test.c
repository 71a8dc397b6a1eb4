/* nsys_csv_test.c -- one test per nsys CSV layout (traces/testdata/nsys/,
 * layouts from shared/research/anchors.md section 2) and per error.
 * Run from the source root; returns nonzero if any check fails. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "traces/nsys_csv.h"

#define D "traces/testdata/nsys/"

static int near(double a, double b) { return fabs(a - b) <= 1e-6 * fmax(1, fabs(b)); }

/* Reads path, expecting success. */
static int ok(const char *path, nsys_csv_t *t, check_t *ck)
{
    char err[512];
    return CHECK(nsys_csv_read(path, t, err, sizeof err) == 0, "unexpected error: %s", err);
}

/* Reads path, expecting an error containing each of want1, want2. */
static void bad(const char *path, const char *want1, const char *want2, check_t *ck)
{
    char err[512] = "";
    nsys_csv_t t;
    if (!CHECK(nsys_csv_read(path, &t, err, sizeof err) != 0, "%s: expected an error, read %zu kernels",
               path, t.n)) {
        nsys_csv_free(&t);
        return;
    }
    CHECK(strstr(err, want1) && (!want2 || strstr(err, want2)), "%s: error '%s' lacks '%s'/'%s'",
          path, err, want1, want2 ? want2 : "");
    /* on error nothing is left to free */
    CHECK(t.k == NULL && t.n == 0 && t.path == NULL, "%s: error left data in the result", path);
}

static void trace_with_greenctx_and_mb_per_s_reads_kernels_and_skips_memops(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "cuda_gpu_trace_greenctx_mbs.csv", &t, ck))
        return;
    CHECK(t.form == NSYS_TIMELINE, "");
    CHECK(!strcmp(t.variant, "cuda_gpu_trace"), "");
    CHECK(t.n == 2, "");
    CHECK(t.n_memops == 2, "");
    CHECK(near(t.memop_ns, 1536 + 800), "");
    CHECK(!strcmp(t.k[0].name, "nvjet_sm90_tst_64x8_64x16_4x1_v_bz_TNT"), "");
    CHECK(near(t.k[0].start_ns, 1000000) && near(t.k[0].dur_ns, 12928), "");
    CHECK(t.k[0].grid[0] == 4 && t.k[0].grid[1] == 20 && t.k[0].block[0] == 384, "");
    CHECK(t.k[0].instances == 1 && t.k[0].line == 2, "");
    CHECK(strstr(t.k[1].name, "std::array<char*, 3ul> >(int,") != NULL, "");
    CHECK(t.k[1].line == 4 && t.k[1].grid[0] == 896, "");
    nsys_csv_free(&t);
}

static void trace_with_greenctx_and_mbps_is_matched_by_name(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "cuda_gpu_trace_greenctx_mbps.csv", &t, ck))
        return;
    CHECK(!strcmp(t.variant, "cuda_gpu_trace") && t.n == 2, "");
    CHECK(!strcmp(t.k[1].name, "mul_mat_vec_q") && near(t.k[1].dur_ns, 4000), "");
    CHECK(t.k[1].grid[0] == 132 && t.k[1].block[0] == 128, "");
    nsys_csv_free(&t);
}

static void trace_before_greenctx_has_one_column_less(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "cuda_gpu_trace_pre_greenctx.csv", &t, ck))
        return;
    CHECK(!strcmp(t.variant, "cuda_gpu_trace (pre-GreenCtx)"), "");
    CHECK(t.n == 1 && t.n_memops == 1, "");
    CHECK(near(t.k[0].dur_ns, 5000) && t.k[0].grid[0] == 108, "");
    nsys_csv_free(&t);
}

static void old_gputrace_start_is_in_seconds(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "gputrace_sec.csv", &t, ck))
        return;
    CHECK(!strcmp(t.variant, "gputrace") && t.n == 2, "");
    CHECK(near(t.k[0].start_ns, 1.5e9) && near(t.k[0].dur_ns, 2500), "");
    CHECK(near(t.k[1].start_ns, 1.50001e9) && near(t.k[1].dur_ns, 3000), "");
    nsys_csv_free(&t);
}

static void timeunit_suffix_scales_to_nanoseconds(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "trace_us.csv", &t, ck))
        return;
    CHECK(t.n == 1 && near(t.k[0].start_ns, 1500) && near(t.k[0].dur_ns, 2250), "");
    nsys_csv_free(&t);
}

static void kern_sum_total_is_the_duration_and_instances_are_kept(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "cuda_gpu_kern_sum.csv", &t, ck))
        return;
    CHECK(t.form == NSYS_SUMMARY && !strcmp(t.variant, "cuda_gpu_kern_sum"), "");
    CHECK(t.n == 2, "");
    CHECK(near(t.k[0].dur_ns, 99385786) && t.k[0].instances == 32 && t.k[0].start_ns < 0, "");
    CHECK(strstr(t.k[1].name, "128, 16, 4, 4, false, false>") != NULL && t.k[1].instances == 64, "");
    nsys_csv_free(&t);
}

static void kern_gb_sum_grid_xyz_is_three_integers(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "cuda_gpu_kern_gb_sum.csv", &t, ck))
        return;
    CHECK(!strcmp(t.variant, "cuda_gpu_kern_gb_sum") && t.n == 2, "");
    CHECK(t.k[0].grid[0] == 896 && t.k[0].grid[1] == 1 && t.k[0].block[0] == 256, "");
    CHECK(t.k[1].grid[0] == 4 && t.k[1].grid[1] == 20 && t.k[1].block[0] == 384, "");
    nsys_csv_free(&t);
}

static void gpukernsum_2022_has_the_eleven_gb_sum_columns(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "gpukernsum_2022.csv", &t, ck))
        return;
    CHECK(t.n == 1 && t.k[0].instances == 12 && near(t.k[0].dur_ns, 123456), "");
    CHECK(t.k[0].grid[0] == 80 && t.k[0].block[0] == 128, "");
    CHECK(strstr(t.k[0].name, "splitKreduce_kernel<32, 16") != NULL, "");
    nsys_csv_free(&t);
}

static void earliest_gpukernsum_uses_average_minimum_maximum(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "gpukernsum_earliest.csv", &t, ck))
        return;
    CHECK(!strcmp(t.variant, "gpukernsum (earliest)") && t.n == 2, "");
    CHECK(near(t.k[0].dur_ns, 500000) && t.k[0].instances == 5, "");
    nsys_csv_free(&t);
}

static void preamble_and_banners_are_skipped_and_the_table_ends_at_the_next_report(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "preamble.csv", &t, ck))
        return;
    CHECK(t.header_line == 9 && t.form == NSYS_TIMELINE, "");
    CHECK(t.n == 2 && t.k[0].line == 10 && t.k[1].line == 12, "");
    CHECK(!strcmp(t.k[1].name, "quantize_q8_1"), "");
    nsys_csv_free(&t);
}

static void names_keep_commas_quotes_templates_and_line_breaks(check_t *ck)
{
    nsys_csv_t t;
    if (!ok(D "names.csv", &t, ck))
        return;
    CHECK(t.n == 3, "");
    CHECK(!strcmp(t.k[0].name, "void k<(bool)1, \"quoted\", std::pair<int, float> >(int, float)"), "");
    CHECK(!strcmp(t.k[1].name, "multi\nline, name"), "");
    CHECK(t.k[1].line == 3 && t.k[2].line == 5, "");
    nsys_csv_free(&t);
}

static void truncated_file_is_an_error_naming_the_line(check_t *ck)
{
    bad(D "truncated.csv", "truncated.csv:3:", "expected 21", ck);
    bad(D "truncated_quote.csv", "truncated_quote.csv:2:", "truncated", ck);
}

static void missing_duration_column_is_an_error(check_t *ck)
{
    bad(D "missing_column.csv", "missing_column.csv:1:", "'Duration (ns)'", ck);
}

static void non_numeric_duration_is_an_error(check_t *ck)
{
    bad(D "nonnumeric_duration.csv", "nonnumeric_duration.csv:3:", "'12 us' is not valid", ck);
}

/* 1e305 s is a finite double but 1e314 ns is not */
static void time_above_1e18_ns_is_an_error(check_t *ck)
{
    bad(D "time_overflow.csv", "time_overflow.csv:2:", "at most 1e18 ns", ck);
}

static void empty_trace_is_an_error(check_t *ck)
{
    bad(D "empty_trace.csv", "empty_trace.csv:3:", "expected at least one kernel", ck);
}

static void file_without_a_header_is_an_error(check_t *ck)
{
    bad(D "no_header.csv", "no kernel table header", "Start (ns)", ck);
    bad(D "does_not_exist.csv", "cannot open", NULL, ck);
}

static void unknown_time_unit_is_an_error(check_t *ck)
{
    bad(D "bad_unit.csv", "bad_unit.csv:1:", "unknown time unit 'fortnights'", ck);
}

int main(void)
{
    check_t ck = check_begin("nsys_csv_test");
    trace_with_greenctx_and_mb_per_s_reads_kernels_and_skips_memops(&ck);
    trace_with_greenctx_and_mbps_is_matched_by_name(&ck);
    trace_before_greenctx_has_one_column_less(&ck);
    old_gputrace_start_is_in_seconds(&ck);
    timeunit_suffix_scales_to_nanoseconds(&ck);
    kern_sum_total_is_the_duration_and_instances_are_kept(&ck);
    kern_gb_sum_grid_xyz_is_three_integers(&ck);
    gpukernsum_2022_has_the_eleven_gb_sum_columns(&ck);
    earliest_gpukernsum_uses_average_minimum_maximum(&ck);
    preamble_and_banners_are_skipped_and_the_table_ends_at_the_next_report(&ck);
    names_keep_commas_quotes_templates_and_line_breaks(&ck);
    truncated_file_is_an_error_naming_the_line(&ck);
    missing_duration_column_is_an_error(&ck);
    non_numeric_duration_is_an_error(&ck);
    time_above_1e18_ns_is_an_error(&ck);
    empty_trace_is_an_error(&ck);
    file_without_a_header_is_an_error(&ck);
    unknown_time_unit_is_an_error(&ck);
    return check_end(&ck);
}
