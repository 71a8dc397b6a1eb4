/* par.c -- the ranks of an MPI job, or one process (contract in par.h).
 * GBSIM_MPI is defined for this file only, by the build with -DGBSIM_MPI=ON. */
#include "cli/par.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef GBSIM_MPI
#include <mpi.h>
#endif

/* Environment variables an MPI launcher sets in each process it starts
 * (Open MPI's mpirun, PMIx and PMI launchers: srun, MPICH's hydra). */
static const char *const LAUNCHER_ENV[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"};

int par_begin(par_t *p, char *err, size_t errlen)
{
    *p = (par_t){.rank = 0, .size = 1, .mpi = 0};
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
    p->mpi = 0;
}

int par_root(const par_t *p)
{
    return p->rank == 0;
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
