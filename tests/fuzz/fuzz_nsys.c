/* fuzz_nsys.c -- the input is an `nsys stats --format csv` export
 * (traces/nsys_csv.h), read by nsys_csv_read from an in-memory file.
 *
 * Checked beyond the sanitizers: success gives at least one kernel, each with
 * a non-empty name that is not a memory operation, finite non-negative times
 * and at least one instance, on a line after the header; failure names the
 * file in err and leaves nothing to free. */
#define _GNU_SOURCE
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_file.h"
#include "traces/nsys_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    nsys_csv_t t;
    char err[2048] = "";
    int rc = nsys_csv_read(path, &t, err, sizeof err);
    close(fd);
    assert(rc == 0 || rc == -1);
    if (rc != 0) {
        assert(strncmp(err, path, strlen(path)) == 0);
        assert(t.k == NULL && t.n == 0 && t.path == NULL);
        return 0;
    }
    assert(t.n >= 1 && t.variant != NULL && t.header_line >= 1);
    assert(isfinite(t.memop_ns) && t.memop_ns >= 0);
    for (size_t i = 0; i < t.n; i++) {
        const nsys_kernel_t *k = &t.k[i];
        assert(k->name && k->name[0] != '\0');
        assert(strncmp(k->name, "[CUDA memcpy", 12) != 0 &&
               strncmp(k->name, "[CUDA memset", 12) != 0);
        assert(isfinite(k->dur_ns) && k->dur_ns >= 0);
        assert(isfinite(k->start_ns) && (t.form == NSYS_SUMMARY ? k->start_ns == -1 : k->start_ns >= 0));
        assert(k->instances >= 1);
        assert(k->line > t.header_line);
    }
    nsys_csv_free(&t);
    return 0;
}
