/* link_test.c -- the link schema, its presets, and the ring collective
 * formulas (link.h) against hand-computed values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/link.h"
#include "models/preset.h"

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, __func__);     \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
            (*failures)++;                                                    \
        }                                                                     \
    } while (0)

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9 * fabs(b) + 1e-12)

/* Round numbers: 10 GB/s = 1e4 B/us, 2 us per step, 5 us per collective. */
static const link_t L = {.link_bw_gbps = 10, .link_latency_us = 2, .msg_overhead_us = 5,
                         .max_gpus = 8};

static void test_allreduce_formula(int *failures)
{
    /* n = 2: 2 steps, each moving 1/2 of the bytes: 5 + 4 + 1e4 B / 1e4 B/us */
    double t = link_allreduce_us(&L, 2, 1e4);
    CHECK(NEAR(t, 10.0), "n=2: %.9f us, expected 10", t);
    /* n = 4: 6 steps of 1/4: 5 + 12 + 1.5 x 4e4 / 1e4 */
    t = link_allreduce_us(&L, 4, 4e4);
    CHECK(NEAR(t, 23.0), "n=4: %.9f us, expected 23", t);
    /* no bytes: the latency terms alone */
    t = link_allreduce_us(&L, 8, 0);
    CHECK(NEAR(t, 5.0 + 14 * 2.0), "n=8, 0 B: %.9f us", t);
}

static void test_allgather_formula(int *failures)
{
    /* n = 2: 1 step of 1/2: 5 + 2 + 0.5 x 2e4 / 1e4 */
    double t = link_allgather_us(&L, 2, 2e4);
    CHECK(NEAR(t, 8.0), "n=2: %.9f us, expected 8", t);
    /* n = 4: 3 steps of 1/4: 5 + 6 + 0.75 x 4e4 / 1e4 */
    t = link_allgather_us(&L, 4, 4e4);
    CHECK(NEAR(t, 14.0), "n=4: %.9f us, expected 14", t);
}

/* Each time key moves the collectives the way its name says. */
static void test_each_key_moves_time(int *failures)
{
    const double bytes = 5760;
    double base = link_allreduce_us(&L, 2, bytes), gbase = link_allgather_us(&L, 2, bytes);
    link_t l = L;
    l.link_bw_gbps *= 2;
    CHECK(link_allreduce_us(&l, 2, bytes) < base && link_allgather_us(&l, 2, bytes) < gbase,
          "link_bw_gbps x2 does not shorten the collectives");
    l = L;
    l.link_latency_us *= 2;
    CHECK(NEAR(link_allreduce_us(&l, 2, bytes) - base, 2 * L.link_latency_us),
          "link_latency_us: an all-reduce over 2 GPUs pays it twice");
    CHECK(NEAR(link_allgather_us(&l, 2, bytes) - gbase, L.link_latency_us),
          "link_latency_us: an all-gather over 2 GPUs pays it once");
    l = L;
    l.msg_overhead_us += 3;
    CHECK(NEAR(link_allreduce_us(&l, 2, bytes) - base, 3.0) &&
          NEAR(link_allgather_us(&l, 2, bytes) - gbase, 3.0),
          "msg_overhead_us is paid once per collective");
}

static void test_max_gpus(int *failures)
{
    char err[256];
    CHECK(link_check(&L, 8, err, sizeof err) == 0, "8 GPUs on max_gpus=8: %s", err);
    CHECK(link_check(&L, 9, err, sizeof err) != 0 && strstr(err, "--tp 9") &&
          strstr(err, "max_gpus"), "9 GPUs on max_gpus=8 accepted or message '%s'", err);
    CHECK(link_check(&L, 1, err, sizeof err) != 0, "a group of 1 is not a link's");
}

/* Every embedded link preset loads and has a source for every key. */
static void test_presets_load(int *failures)
{
    int n = 0;
    for (size_t i = 0; i < preset_files_n; i++) {
        const preset_file_t *p = &preset_files[i];
        if (strcmp(p->kind, "link") != 0)
            continue;
        link_t l;
        param_origin_t o[8];
        char err[512];
        int rc = param_load(&link_schema, &l, o, p->path, p->text, p->len, err, sizeof err);
        CHECK(rc == 0, "%s: %s", p->path, err);
        if (rc == 0)
            for (size_t k = 0; k < link_schema.n; k++)
                CHECK(o[k].source[0] != '\0', "%s: %s has no source", p->path,
                      link_schema.defs[k].key);
        n++;
    }
    CHECK(n >= 2, "%d link presets embedded, expected gb10-cx7 and h100-nvlink", n);
}

/* The gb10-cx7 preset reproduces the measured 8-KiB all-reduce it was fitted
 * to (27.82 us, NVIDIA/dgx-spark-playbooks PR #103) within 0.1 us. */
static void test_gb10_cx7_fit(int *failures)
{
    const preset_file_t *p = preset_find("link", "gb10-cx7");
    CHECK(p != NULL, "no gb10-cx7 preset");
    if (p == NULL)
        return;
    link_t l;
    char err[512];
    CHECK(param_load(&link_schema, &l, NULL, p->path, p->text, p->len, err, sizeof err) == 0,
          "%s", err);
    double t = link_allreduce_us(&l, 2, 8192);
    CHECK(fabs(t - 27.82) < 0.1, "8 KiB all-reduce %.3f us, measured 27.82", t);
}

int main(void)
{
    int failures = 0;
    test_allreduce_formula(&failures);
    test_allgather_formula(&failures);
    test_each_key_moves_time(&failures);
    test_max_gpus(&failures);
    test_presets_load(&failures);
    test_gb10_cx7_fit(&failures);
    if (failures) {
        fprintf(stderr, "link_test: %d failure(s)\n", failures);
        return 1;
    }
    printf("link_test: ok\n");
    return 0;
}
