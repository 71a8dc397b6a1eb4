/* fuzz_file.h -- hands a fuzz input to a reader that takes a path: the bytes
 * go into an anonymous in-memory file (memfd, Linux) named by
 * /proc/self/fd/N, so no file is left behind and nothing touches the disk.
 * memfd_create needs _GNU_SOURCE defined before the first system header. */
#ifndef GBSIM_FUZZ_FILE_H
#define GBSIM_FUZZ_FILE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes data[0..size) to a new memfd and its path into path. Returns the
 * descriptor (close it when done). Failing to make the file is a harness bug. */
static int fuzz_file(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("fuzz", 0);
    assert(fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t k = write(fd, data + done, size - done);
        assert(k > 0);
        done += (size_t)k;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
