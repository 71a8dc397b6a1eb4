/* setup.h -- loads the named arch and model presets and applies --set
 * overrides: the one path every command takes from names to descriptions. */
#ifndef GBSIM_SETUP_H
#define GBSIM_SETUP_H

#include "models/arch.h"
#include "models/llm.h"

#define SETUP_MAX_SETS 64

typedef struct {
    arch_t arch;
    llm_t model;
    param_origin_t arch_origin[64];
    param_origin_t model_origin[64];
    int has_model;
} setup_t;

/* Load arch preset `arch_name` and, if model_name != NULL, model preset
 * `model_name`; then apply each "key=value" of sets to whichever schema has
 * the key (an unknown key is an error listing where to look). Unknown preset
 * names are errors that list the valid names. */
int setup_load(setup_t *s, const char *arch_name, const char *model_name,
               const char *const *sets, int n_sets, char *err, size_t errlen);

#endif
