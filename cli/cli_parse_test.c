/* cli_parse_test.c -- the option parser (cli/cli.h): one test per rule of
 * cli_parse, and the helpers it leans on (cli_same_file, cli_ctx, cli_out).
 * Bad arguments print their "gbsim: error:" line on stderr, as they would for
 * a command. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"

/* The targets of one table covering every kind of option. */
typedef struct {
    int flag, choice;
    const char *str, *out, *plot;
    int64_t i;
    double x;
    cli_list_t list, pos;
} targets_t;

/* Parses the NULL-terminated args against the table; returns cli_parse's
 * result and its status in *status. */
static int parse(targets_t *t, int nargs, const char *const *args, int *status)
{
    *t = (targets_t){.choice = -1, .str = "default", .i = 7, .x = 0.5, .list = {.max = 3},
                     .pos = {.max = 2}};
    cli_opt_t opts[] = {
        {"flag", CLI_FLAG, "a flag", .to = &t->flag},
        {"str", CLI_STR, "a string", .to = &t->str},
        {"int", CLI_INT, "an integer in 1..100", .to = &t->i, .min = 1, .max = 100},
        {"num", CLI_NUM, "a number in [0, 1]", .to = &t->x, .min = 0, .max = 1},
        {"choice", CLI_CHOICE, "off|on", .to = &t->choice, .choices = "off|on"},
        {"list", CLI_LIST, "repeatable", .to = &t->list},
        {"out", CLI_OUT, "a file", .to = &t->out},
        {"plot", CLI_OUT, "another file", .to = &t->plot},
        CLI_OPT_HELP,
    };
    cli_cmd_t cmd = {.name = "test", .usage = "usage: test", .opts = opts,
                     .nopts = CLI_NOPTS(opts), .args = "A B", .pos = &t->pos};
    char *argv[16];
    for (int i = 0; i < nargs; i++)
        argv[i] = (char *)args[i];
    return cli_parse(&cmd, nargs, argv, status);
}

#define ARGS(...) (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), \
                  (const char *[]){__VA_ARGS__}

static void test_each_kind_stores_its_value_and_others_keep_their_default(check_t *ck)
{
    targets_t t;
    int status;
    REQUIRE(parse(&t, ARGS("--flag", "--str", "s", "--int=42", "--num", "0.25", "--choice", "on",
                           "a", "b"), &status) == 0, "status %d", status);
    CHECK(status == 0, "");
    CHECK(t.flag == 1 && strcmp(t.str, "s") == 0 && t.i == 42 && t.x == 0.25 && t.choice == 1, "");
    CHECK(t.pos.n == 2 && strcmp(t.pos.v[0], "a") == 0 && strcmp(t.pos.v[1], "b") == 0, "");
    REQUIRE(parse(&t, ARGS("a", "b"), &status) == 0, "");
    CHECK(t.flag == 0 && strcmp(t.str, "default") == 0 && t.i == 7 && t.x == 0.5 &&
          t.choice == -1 && t.list.n == 0 && t.out == NULL, "");
}

static void test_values_out_of_range_or_not_numbers_are_refused(check_t *ck)
{
    targets_t t;
    int status;
    const char *bad[][2] = {{"--int", "0"}, {"--int", "101"}, {"--int", "4x"}, {"--int", "-1"},
                            {"--num", "1.5"}, {"--num", "nan"}, {"--num", ""},
                            {"--choice", "maybe"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(parse(&t, ARGS(bad[i][0], bad[i][1], "a", "b"), &status) != 0 &&
              status == CLI_EXIT_USAGE, "%s '%s' accepted", bad[i][0], bad[i][1]);
    }
}

static void test_only_a_list_may_be_given_twice(check_t *ck)
{
    targets_t t;
    int status;
    CHECK(parse(&t, ARGS("--str", "x", "--str", "y", "a", "b"), &status) != 0 &&
          status == CLI_EXIT_USAGE, "");
    CHECK(parse(&t, ARGS("--flag", "--flag", "a", "b"), &status) != 0, "");
    REQUIRE(parse(&t, ARGS("--list", "1", "a", "--list", "2", "b", "--list", "3"), &status) == 0,
            "");
    CHECK(t.list.n == 3 && strcmp(t.list.v[2], "3") == 0, "");
    /* at most .max values */
    CHECK(parse(&t, ARGS("--list", "1", "--list", "2", "--list", "3", "--list", "4", "a", "b"),
                &status) != 0 && status == CLI_EXIT_USAGE, "");
}

static void test_positionals_must_match_the_named_arguments(check_t *ck)
{
    targets_t t;
    int status;
    CHECK(parse(&t, ARGS("a"), &status) != 0 && status == CLI_EXIT_USAGE, "one of two");
    CHECK(parse(&t, ARGS("a", "b", "c"), &status) != 0 && status == CLI_EXIT_USAGE, "three");
}

static void test_unknown_options_and_missing_values_are_refused(check_t *ck)
{
    targets_t t;
    int status;
    CHECK(parse(&t, ARGS("--nope", "a", "b"), &status) != 0, "");
    CHECK(parse(&t, ARGS("a", "b", "--str"), &status) != 0, "");
    CHECK(parse(&t, ARGS("--flag=1", "a", "b"), &status) != 0, "");
}

static void test_help_stops_the_command_with_status_0(check_t *ck)
{
    targets_t t;
    int status = -1;
    CHECK(parse(&t, ARGS("--help"), &status) != 0 && status == 0, "status %d", status);
}

static void test_two_outputs_naming_one_file_are_refused(check_t *ck)
{
    targets_t t;
    int status;
    CHECK(parse(&t, ARGS("--out", "r.png", "--plot", "r.png", "a", "b"), &status) != 0 &&
          status == CLI_EXIT_USAGE, "");
    CHECK(parse(&t, ARGS("--out", "r.png", "--plot", "./r.png", "a", "b"), &status) != 0, "");
    CHECK(parse(&t, ARGS("--out", "r.csv", "--plot", "r.png", "a", "b"), &status) == 0, "");
}

static void test_same_file_sees_paths_and_links(check_t *ck)
{
    char dir[] = "/tmp/cli_parse_test.XXXXXX", a[128], b[128], l[128];
    REQUIRE(mkdtemp(dir) != NULL, "");
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/./a.txt", dir);
    CHECK(cli_same_file(a, b), "not yet there, same directory and name");
    snprintf(l, sizeof l, "%s/link.txt", dir);
    FILE *f = fopen(a, "w");
    REQUIRE(f != NULL, "");
    fclose(f);
    REQUIRE(symlink("a.txt", l) == 0, "");
    CHECK(cli_same_file(a, l), "a link to it");
    snprintf(b, sizeof b, "%s/b.txt", dir);
    CHECK(!cli_same_file(a, b), "another name");
    CHECK(!cli_same_file(a, "/nonexistent_dir/a.txt"), "");
    remove(l);
    remove(a);
    rmdir(dir);
}

static void test_ctx_names_what_is_at_fault(check_t *ck)
{
    int64_t ctx = 2048;
    CHECK(cli_ctx(NULL, 1, 131072, &ctx) == 0 && ctx == 2048, "default fits");
    CHECK(cli_ctx("131071", 1, 131072, &ctx) == 0 && ctx == 131071, "last position");
    CHECK(cli_ctx("131071", 2, 131072, &ctx) == CLI_EXIT_USAGE, "ctx + batch beyond");
    ctx = 2048;
    CHECK(cli_ctx(NULL, 200, 1024, &ctx) == CLI_EXIT_USAGE, "default + batch beyond");
    CHECK(cli_ctx("0", 200, 100, &ctx) == CLI_EXIT_USAGE, "batch alone beyond");
}

static void test_out_names_the_temporary_file_it_could_not_create(check_t *ck)
{
    cli_out_t o;
    char err[1400] = "";
    REQUIRE(cli_out_open(&o, "/nonexistent_dir/x.txt", err, sizeof err) != 0, "");
    CHECK(strstr(err, "/nonexistent_dir/x.txt: cannot write: cannot create the temporary file "
                      "/nonexistent_dir/x.txt.tmp.") != NULL, "%s", err);
}

int main(void)
{
    check_t ck = check_begin("cli_parse_test");
    test_each_kind_stores_its_value_and_others_keep_their_default(&ck);
    test_values_out_of_range_or_not_numbers_are_refused(&ck);
    test_only_a_list_may_be_given_twice(&ck);
    test_positionals_must_match_the_named_arguments(&ck);
    test_unknown_options_and_missing_values_are_refused(&ck);
    test_help_stops_the_command_with_status_0(&ck);
    test_two_outputs_naming_one_file_are_refused(&ck);
    test_same_file_sees_paths_and_links(&ck);
    test_ctx_names_what_is_at_fault(&ck);
    test_out_names_the_temporary_file_it_could_not_create(&ck);
    return check_end(&ck);
}
