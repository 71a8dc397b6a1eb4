/* par_test.c -- the one-process job of cli/par.h, which every build runs when
 * no MPI launcher started it (the MPI build's ranks: tests/mpi_test.sh):
 * rank 0 of 1, writing; par_status hands back the rank's own status;
 * par_gather hands back the rank's own bytes; par_bcast_int keeps the value. */
#include "cli/par.h"

#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

/* No launcher in the environment: the job is this process alone. */
static void begin_alone(check_t *ck, par_t *p)
{
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMIX_RANK");
    unsetenv("PMI_SIZE");
    char err[200] = "";
    CHECK(par_begin(p, err, sizeof err) == 0, "%s", err);
}

static void test_alone_is_rank_0_of_1_and_writes(check_t *ck)
{
    par_t p;
    begin_alone(ck, &p);
    CHECK(p.rank == 0 && p.size == 1, "rank %d of %d", p.rank, p.size);
    CHECK(par_root(&p), "rank 0 writes");
    CHECK(p.mpi == 0 && p.log == NULL, "no MPI started, stderr kept");
    par_end(&p);
}

static void test_status_is_the_rank_own(check_t *ck)
{
    par_t p;
    begin_alone(ck, &p);
    CHECK(par_status(&p, 0) == 0, "every rank ok");
    CHECK(par_status(&p, 2) == 2, "a failure keeps its status");
    CHECK(par_status(&p, 1) == 1, "any status");
    par_end(&p);
}

static void test_gather_hands_back_the_bytes_and_bcast_keeps_the_value(check_t *ck)
{
    par_t p;
    begin_alone(ck, &p);
    char *all;
    size_t *lens;
    REQUIRE(par_gather(&p, "abc", 3, &all, &lens) == 0, "");
    CHECK(lens[0] == 3 && memcmp(all, "abc", 3) == 0, "%zu bytes", lens[0]);
    free(all);
    free(lens);
    REQUIRE(par_gather(&p, NULL, 0, &all, &lens) == 0, "");
    CHECK(lens[0] == 0, "nothing to send: %zu bytes", lens[0]);
    free(all);
    free(lens);
    int v = 7;
    par_bcast_int(&p, &v);
    CHECK(v == 7, "%d", v);
    par_end(&p);
}

int main(void)
{
    check_t ck = check_begin("par_test");
    test_alone_is_rank_0_of_1_and_writes(&ck);
    test_status_is_the_rank_own(&ck);
    test_gather_hands_back_the_bytes_and_bcast_keeps_the_value(&ck);
    return check_end(&ck);
}
