/* table.c -- lookup by name (contract in table.h). */
#include "sim/table.h"

#include <string.h>

const void *table_find(const void *rows, size_t n, size_t size, const char *name)
{
    const char *p = rows;
    for (size_t i = 0; i < n; i++, p += size) {
        const char *row_name;
        memcpy(&row_name, p, sizeof row_name); /* first member: const char *name */
        if (row_name != NULL && name != NULL && strcmp(row_name, name) == 0)
            return p;
    }
    return NULL;
}
