/* palette_test.c -- every op a stack can name has a colour of its own in the
 * op table (and so has every op of the embedded stacks), no two rows share a
 * name or a colour, an unlisted name gets the unlisted grey, and the series
 * colours repeat after PALETTE_NSERIES. */
#include "plots/palette.h"

#include <stdio.h>
#include <string.h>

#include "models/preset.h"
#include "models/stack.h"
#include "tests/check.h"

static int listed(const char *op)
{
    return strcmp(palette_op_rgb(op), PALETTE_UNLISTED) != 0;
}

static void test_every_stack_op_has_a_colour(check_t *ck)
{
    char names[1024];
    snprintf(names, sizeof names, "%s", stack_op_names());
    int nops = 0;
    char *save = NULL;
    for (char *p = strtok_r(names, ", ", &save); p; p = strtok_r(NULL, ", ", &save), nops++)
        CHECK(listed(p), "op %s has no colour", p);
    CHECK(nops >= 20, "stack_op_names() gave %d names", nops);
    for (size_t i = 0; i < preset_files_n; i++) {
        if (strcmp(preset_files[i].kind, "stack"))
            continue;
        char err[600];
        stack_desc_t *st = stack_load(preset_files[i].name, err, sizeof err);
        if (!CHECK(st != NULL, "stack %s: %s", preset_files[i].name, err))
            continue;
        for (size_t k = 0; k < st->n_kernels; k++)
            CHECK(listed(st->kernels[k].op), "stack %s: op %s has no colour", st->name,
                  st->kernels[k].op);
        stack_free(st);
    }
    CHECK(listed("launch"), "launch has no colour");
    CHECK(listed("other"), "other has no colour");
}

static void test_rows_are_distinct(check_t *ck)
{
    for (int i = 0; palette_op_at(i); i++) {
        const char *a = palette_op_at(i), *rgb = palette_op_rgb(a);
        CHECK(listed(a), "%s has the unlisted grey", a);
        CHECK(strlen(rgb) == 7 && rgb[0] == '#', "%s: '%s'", a, rgb);
        for (int j = 0; j < i; j++) {
            const char *b = palette_op_at(j);
            CHECK(strcmp(a, b) != 0, "%s listed twice", a);
            CHECK(strcmp(rgb, palette_op_rgb(b)) != 0, "%s and %s share %s", a, b, rgb);
        }
    }
    CHECK(!listed("no_such_op"), "an unlisted name");
}

static void test_series_colours_repeat(check_t *ck)
{
    CHECK(strcmp(palette_series_rgb(0), palette_series_rgb(PALETTE_NSERIES)) == 0, "");
    CHECK(strcmp(palette_series_rgb(0), palette_series_rgb(1)) != 0, "");
}

int main(void)
{
    check_t ck = check_begin("palette_test");
    test_every_stack_op_has_a_colour(&ck);
    test_rows_are_distinct(&ck);
    test_series_colours_repeat(&ck);
    return check_end(&ck);
}
