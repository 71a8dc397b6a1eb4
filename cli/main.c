/* main.c -- gbsim: one binary, subcommands dispatched from a table. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd_bench.h"
#include "cli/cmd_decode.h"
#include "cli/cmd_quant.h"
#include "cli/cmd_tile.h"
#include "cli/cmd_verify.h"
#include "cli/cmd_calibrate.h"
#include "cli/cmd_compare.h"
#include "cli/cmd_replay.h"
#include "cli/cmd_sweep.h"
#include "cli/cli.h"

typedef struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t COMMANDS[] = {
    {"decode", cmd_decode_main, "simulate one decode step: per-kernel breakdown, tok/s, DRAM limit"},
    {"sweep", cmd_sweep_main, "decode steps (or tile configurations) over a grid of options: CSV, plot"},
    {"replay", cmd_replay_main, "predict every kernel of a decode-trace CSV (docs/formats.md)"},
    {"tile", cmd_tile_main, "one CUTLASS GEMM configuration: validity, stages, smem, TMA bytes, time"},
    {"quant", cmd_quant_main, "quantize a column of values to MXFP4/MXFP8/NVFP4 (codes, scales, values)"},
    {"verify", cmd_verify_main, "numerics of block-scaled GEMM configurations against an fp64 reference"},
    {"compare", cmd_compare_main, "nsys kernel CSV beside a simulated decode step, per op class"},
    {"calibrate", cmd_calibrate_main, "fit named arch parameters to measured traces (GSL least squares)"},
    {"bench", cmd_bench_main, "simulator speed on reference cases beside the previous release's"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f)
{
    fprintf(f, "gbsim -- discrete-event GPU performance simulator for LLM decode\n\n"
               "usage: gbsim COMMAND [options]      (gbsim COMMAND --help for its options)\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "  %-8s %s\n", "help", "this text");
    fprintf(f, "\nDefaults: --arch gb10 --model gpt-oss-120b (embedded presets, models/data/).\n"
               "Bad input exits with status 2 and writes no output file.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return cli_error("no command given; expected one of the commands above");
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name))
            return COMMANDS[i].main(argc - 2, argv + 2);
    char names[256] = "";
    for (size_t i = 0, at = 0; i < NCOMMANDS; i++)
        at += (size_t)snprintf(names + at, sizeof names - at, "%s, ", COMMANDS[i].name);
    assert(strlen(names) + 4 < sizeof names);
    return cli_error("unknown command '%s'; valid: %shelp", argv[1], names);
}
