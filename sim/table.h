/* table.h -- lookup by name in the rule and implementation tables (a static
 * array of structs whose first member is `const char *name`). */
#ifndef GBSIM_TABLE_H
#define GBSIM_TABLE_H

#include <stddef.h>

/* The row of rows[0 .. n-1] (each `size` bytes, its first member the row's
 * name) named name, or NULL. */
const void *table_find(const void *rows, size_t n, size_t size, const char *name);

/* table_find over a whole static array. */
#define TABLE_FIND(array, name) \
    table_find((array), sizeof(array) / sizeof((array)[0]), sizeof((array)[0]), (name))

#endif
