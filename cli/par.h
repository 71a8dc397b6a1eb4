/* par.h -- the processes one command is spread over: the ranks of an MPI job
 * when gbsim is built with -DGBSIM_MPI=ON and started by an MPI launcher
 * (`mpirun -np N gbsim sweep ...`), else one process. The only file that
 * names MPI is par.c; without MPI every call below is the one-process case.
 *
 * A command that spreads its work (sweep: grid points; replay: trace rows)
 * calls par_begin first and par_end before it returns, on every path. Every
 * rank parses the same command line and reads the same files, so every rank
 * reaches the same decisions (bad input is found, and reported, by each);
 * rank p does the items p, p + size, p + 2 size, ... and rank 0 gathers the
 * results and writes every output in item order, so the output is the
 * one-process output byte for byte. The calls marked collective must be made
 * by every rank in the same order. */
#ifndef GBSIM_PAR_H
#define GBSIM_PAR_H

#include <stddef.h>

typedef struct {
    int rank, size;     /* this process and how many: 0 and 1 without MPI */
    int mpi;            /* 1: par_begin initialised MPI (par_end finalises it) */
} par_t;

/* Join the job: MPI when built with it and the environment names an MPI
 * launcher (Open MPI's OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK, PMI's
 * PMI_SIZE), else rank 0 of 1 (no MPI start-up for a plain run). Returns 0, or
 * -1 with err when MPI fails to start. */
int par_begin(par_t *p, char *err, size_t errlen);

/* Leave the job (MPI_Finalize when par_begin started MPI). */
void par_end(par_t *p);

/* Whether rank 0 writes (the one rank that prints and writes files). */
int par_root(const par_t *p);

/* Collective. Rank 0 receives every rank's len bytes at mine, concatenated
 * in rank order, in *all (malloc'd; free it) and each rank's length in
 * lens[0..size) (malloc'd); other ranks get NULL in both. len < 2^31 (MPI
 * counts are ints). Returns 0, or -1 when out of memory. */
int par_gather(const par_t *p, const void *mine, size_t len, char **all, size_t **lens);

/* Collective. *v becomes rank 0's value on every rank. */
void par_bcast_int(const par_t *p, int *v);

#endif
