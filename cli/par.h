/* par.h -- the processes one command is spread over: the ranks of an MPI job
 * when gbsim is built with -DGBSIM_MPI=ON and started by an MPI launcher
 * (`mpirun -np N gbsim sweep ...`), else one process. The only file that
 * names MPI is par.c; without MPI every call below is the one-process case.
 *
 * A command that spreads its work (sweep: grid points; replay: trace rows)
 * calls par_begin first and par_end before it returns, on every path. Every
 * rank parses the same command line and reads the same files; rank p does
 * the items p, p + size, p + 2 size, ... and rank 0 gathers the results and
 * writes every output in item order, so the output is the one-process output
 * byte for byte. The calls marked collective must be made by every rank in
 * the same order.
 *
 * Messages. Rank 0 alone prints: par_begin sends the stdout of every other
 * rank to /dev/null and its stderr to a temporary file, so --help and bad
 * input are printed once. A rank stops without a collective only for
 * --help, which every rank finds alike in the command line. Every failure
 * -- bad input, a file that does not load on one node, a thread that does
 * not start, out of memory -- goes through par_status, which every rank
 * calls before the first gather and after the run: every rank then exits
 * with the status of the first rank that failed, and rank 0 prints that
 * rank's message ("MPI rank R of N: ...") unless it failed itself.
 * An assert failing on a rank other than 0 aborts the job (the launcher
 * names the rank); its message stays in that rank's temporary file. */
#ifndef GBSIM_PAR_H
#define GBSIM_PAR_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    int rank, size;     /* this process and how many: 0 and 1 without MPI */
    int mpi;            /* 1: par_begin initialised MPI (par_end finalises it) */
    FILE *log;          /* ranks but 0: their stderr, for par_status (NULL: none) */
} par_t;

/* Join the job: MPI when built with it and the environment names an MPI
 * launcher (Open MPI's OMPI_COMM_WORLD_SIZE, PMIx's PMIX_RANK, PMI's
 * PMI_SIZE), else rank 0 of 1 (no MPI start-up for a plain run). A rank
 * other than 0 then writes its stdout to /dev/null and its stderr to a
 * temporary file (above). Returns 0, or -1 with err when MPI fails to start. */
int par_begin(par_t *p, char *err, size_t errlen);

/* Leave the job (MPI_Finalize when par_begin started MPI). */
void par_end(par_t *p);

/* Whether rank 0 writes (the one rank that prints and writes files). */
int par_root(const par_t *p);

/* Collective. rc is this rank's status so far: 0, or the exit status of a
 * failure it has reported (cli_error: on its stderr). Returns, on every
 * rank, 0 when every rank's rc is 0, else the rc of the lowest rank that
 * failed; when that rank is not 0, rank 0 reports its message as
 * "MPI rank R of N: <its last gbsim: error: line>". One process: rc. */
int par_status(const par_t *p, int rc);

/* Collective. Rank 0 receives every rank's len bytes at mine, concatenated
 * in rank order, in *all (malloc'd; free it) and each rank's length in
 * lens[0..size) (malloc'd); other ranks get NULL in both. len < 2^31 (MPI
 * counts are ints). Returns 0, or -1 when out of memory. */
int par_gather(const par_t *p, const void *mine, size_t len, char **all, size_t **lens);

/* Collective. *v becomes rank 0's value on every rank. */
void par_bcast_int(const par_t *p, int *v);

#endif
