/* par.c -- the ranks of an MPI job, or one process (contract in par.h).
 * GBSIM_MPI is defined for this file only, by the build with -DGBSIM_MPI=ON. */
#include "cli/par.h"

#include <assert.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#ifdef GBSIM_MPI
#include <mpi.h>
#endif

/* Environment variables an MPI launcher sets in each process it starts
 * (Open MPI's mpirun, PMIx and PMI launchers: srun, MPICH's hydra). */
static const char *const LAUNCHER_ENV[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};

/* The bytes of a failed rank's message that reach rank 0 (a message is one
 * line, at most a few hundred bytes in practice). */
#define PAR_MSG_MAX 4096

#ifdef GBSIM_MPI
/* A rank other than 0: stdout to /dev/null, stderr to a temporary file
 * (p->log; /dev/null when none can be made). */
static void silence(par_t *p)
{
    fflush(stdout);
    fflush(stderr);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        p->log = tmpfile();
        dup2(p->log ? fileno(p->log) : null, STDERR_FILENO);
        close(null);
    }
}

/* The last "gbsim: error: " line of the log, without its prefix and line
 * break, in msg ("" when none). Reads the log's end without moving its
 * offset, which stderr shares. */
static void last_error(const par_t *p, char *msg, size_t len)
{
    static const char PREFIX[] = "gbsim: error: ";
    char tail[PAR_MSG_MAX + 1];
    struct stat st;
    msg[0] = '\0';
    if (p->log == NULL || fstat(fileno(p->log), &st) != 0)
        return;
    off_t from = st.st_size > PAR_MSG_MAX ? st.st_size - PAR_MSG_MAX : 0;
    ssize_t n = pread(fileno(p->log), tail, (size_t)(st.st_size - from), from);
    if (n <= 0)
        return;
    tail[n] = '\0';
    const char *last = NULL;
    for (const char *q = tail; (q = strstr(q, PREFIX)) != NULL; q++)
        last = q;
    if (last == NULL)
        return;
    last += sizeof PREFIX - 1;
    snprintf(msg, len, "%.*s", (int)strcspn(last, "\n"), last);
}
#endif

int par_begin(par_t *p, char *err, size_t errlen)
{
    *p = (par_t){.rank = 0, .size = 1, .mpi = 0, .log = NULL};
    int launched = 0;
    for (size_t i = 0; i < sizeof LAUNCHER_ENV / sizeof LAUNCHER_ENV[0]; i++)
        launched |= getenv(LAUNCHER_ENV[i]) != NULL;
#ifdef GBSIM_MPI
    if (!launched)
        return 0;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed");
        return -1;
    }
    p->mpi = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &p->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &p->size);
    if (p->rank > 0)
        silence(p);
#else
    (void)launched, (void)err, (void)errlen;
#endif
    return 0;
}

void par_end(par_t *p)
{
#ifdef GBSIM_MPI
    if (p->mpi)
        MPI_Finalize();
#endif
    if (p->log)
        fclose(p->log);
    p->log = NULL;
    p->mpi = 0;
}

int par_root(const par_t *p)
{
    return p->rank == 0;
}

int par_status(const par_t *p, int rc)
{
    if (p->size == 1)
        return rc;
#ifdef GBSIM_MPI
    int mine = rc != 0 ? p->rank : p->size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == p->size)
        return 0;
    int status = rc;
    MPI_Bcast(&status, 1, MPI_INT, first, MPI_COMM_WORLD);
    if (first > 0) {
        char msg[PAR_MSG_MAX] = "";
        if (p->rank == first)
            last_error(p, msg, sizeof msg);
        MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, MPI_COMM_WORLD);
        if (par_root(p))
            cli_error("MPI rank %d of %d: %s", first, p->size,
                      msg[0] ? msg : "failed (no message)");
    }
    return status;
#else
    assert(0 && "more than one rank without MPI");
    return rc;
#endif
}
int par_gather(const par_t *p, const void *mine, size_t len, char **all, size_t **lens)
{
    assert(len < INT_MAX && "a rank's share fits an MPI count");
    *all = NULL;
    *lens = NULL;
    if (p->size == 1) {
        *all = malloc(len ? len : 1);
        *lens = malloc(sizeof **lens);
        if (*all == NULL || *lens == NULL) {
            free(*all), free(*lens);
            *all = NULL, *lens = NULL;
            return -1;
        }
        if (len)
            memcpy(*all, mine, len);
        (*lens)[0] = len;
        return 0;
    }
#ifdef GBSIM_MPI
    int n = (int)len, root = par_root(p);
    int *counts = root ? calloc((size_t)p->size, sizeof *counts) : NULL;
    int *displs = root ? calloc((size_t)p->size, sizeof *displs) : NULL;
    assert(!root || (counts != NULL && displs != NULL));
    MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (root) {
        size_t total = 0;
        for (int r = 0; r < p->size; r++) {
            displs[r] = (int)total;
            total += (size_t)counts[r];
            assert(total < INT_MAX && "the gathered shares fit an MPI count");
        }
        *all = malloc(total ? total : 1);
        *lens = malloc((size_t)p->size * sizeof **lens);
        /* rank 0 must take part in the collective: out of memory here ends the job */
        assert(*all != NULL && *lens != NULL);
        for (int r = 0; r < p->size; r++)
            (*lens)[r] = (size_t)counts[r];
    }
    static const char none;
    MPI_Gatherv(len ? mine : &none, n, MPI_BYTE, *all, counts, displs, MPI_BYTE, 0,
                MPI_COMM_WORLD);
    free(counts);
    free(displs);
    return 0;
#else
    assert(0 && "more than one rank without MPI");
    return -1;
#endif
}

void par_bcast_int(const par_t *p, int *v)
{
#ifdef GBSIM_MPI
    if (p->size > 1)
        MPI_Bcast(v, 1, MPI_INT, 0, MPI_COMM_WORLD);
#else
    (void)p, (void)v;
#endif
}
