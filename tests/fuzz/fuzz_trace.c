/* fuzz_trace.c -- the input is a decode-trace CSV (traces/trace.h), read by
 * trace_read from an in-memory file.
 *
 * Checked beyond the sanitizers: success gives at least one row, a header
 * with op and kind, one cell per column in every row, a known kind and a
 * non-empty op; failure names the file in err and leaves nothing to free. */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_file.h"
#include "traces/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    trace_t t;
    char err[2048] = "";
    int rc = trace_read(path, &t, err, sizeof err);
    close(fd);
    assert(rc == 0 || rc == -1);
    if (rc != 0) {
        assert(strncmp(err, path, strlen(path)) == 0);
        trace_t zero;
        memset(&zero, 0, sizeof zero);
        assert(memcmp(&t, &zero, sizeof t) == 0);
        return 0;
    }
    assert(t.nrows >= 1 && t.ncols >= 2 && t.cells && t.rows);
    for (size_t i = 0; i < t.nrows; i++) {
        const trace_row_t *r = &t.rows[i];
        assert(r->op && r->op[0] != '\0');
        assert(strcmp(trace_kind_name(r->kind), "?") != 0);
        assert(r->line >= 2);
        for (int c = 0; c < t.ncols; c++)
            assert(t.cells[i][c] != NULL);
    }
    trace_free(&t);
    return 0;
}
