/* table_test.c -- lookup by name: the named row, the first of duplicates, and
 * NULL for an unknown or NULL name. */
#include "sim/table.h"

#include <stdio.h>

#include "tests/check.h"

typedef struct {
    const char *name;
    int value;
    double pad[3]; /* rows larger than a pointer */
} row_t;

static const row_t ROWS[] = {
    {"alpha", 1, {0}}, {"beta", 2, {0}}, {"beta", 3, {0}}, {"gamma", 4, {0}}};

static void test_find_returns_the_first_row_of_a_name_or_null(check_t *ck)
{
    const row_t *r = TABLE_FIND(ROWS, "gamma");
    CHECK(r == &ROWS[3] && r->value == 4, "");
    CHECK(TABLE_FIND(ROWS, "alpha") == &ROWS[0], "");
    CHECK(TABLE_FIND(ROWS, "beta") == &ROWS[1], ""); /* the first of two */
    CHECK(TABLE_FIND(ROWS, "delta") == NULL, "");
    CHECK(TABLE_FIND(ROWS, "") == NULL, "");
    CHECK(TABLE_FIND(ROWS, NULL) == NULL, "");
    CHECK(table_find(ROWS, 0, sizeof ROWS[0], "alpha") == NULL, "");
}

int main(void)
{
    check_t ck = check_begin("table_test");
    test_find_returns_the_first_row_of_a_name_or_null(&ck);
    return check_end(&ck);
}
