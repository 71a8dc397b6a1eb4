/* setup.h -- loads the named arch, model, stack and link (embedded presets,
 * or description files FILE.csv) and applies --set overrides: the one path
 * every command takes from names to descriptions. */
#ifndef GBSIM_SETUP_H
#define GBSIM_SETUP_H

#include "models/arch.h"
#include "models/link.h"
#include "models/llm.h"
#include "models/route.h"
#include "models/stack.h"

#define SETUP_MAX_SETS 64

typedef struct {
    arch_t arch;
    llm_t model;
    param_origin_t arch_origin[64];
    param_origin_t model_origin[64];
    int has_model;
    stack_desc_t *stack;         /* NULL unless a stack was named; setup_free */
    link_t link;            /* the tensor-parallel group's interconnect */
    param_origin_t link_origin[8];
    int has_link;
    route_hist_t *experts;  /* a measured expert histogram (decode --experts), or NULL; setup_free */
} setup_t;

/* Load arch `arch_name` and, if model_name != NULL, model `model_name` (a
 * preset name, or a description file when the name ends in .csv); then apply
 * each "key=value" of sets to whichever schema has the key (an unknown key is
 * an error listing where to look). Unknown preset names are errors that list
 * the valid names. Allocates nothing: setup_free is not needed. */
int setup_load(setup_t *s, const char *arch_name, const char *model_name,
               const char *const *sets, int n_sets, char *err, size_t errlen);

/* setup_load plus the stack `stack_name` (preset or FILE.csv): sets may also
 * name a stack-wide key ("kv_dtype=fp8e4m3") or an op's field
 * ("moe_fc1.tile=128x64x128"); relax (gemm_rule_mask) is the stack's relaxed
 * rules. On success the caller owns s->stack (setup_free). */
int setup_load_stack(setup_t *s, const char *arch_name, const char *model_name,
                     const char *stack_name, unsigned relax, const char *const *sets, int n_sets,
                     char *err, size_t errlen);

/* setup_load_stack plus the link `link_name` (preset or FILE.csv; NULL: no
 * link, as setup_load_stack): sets may also name a link key
 * ("link_bw_gbps=20"). A link key without a link is an error saying that it
 * needs one. */
int setup_load_stack_link(setup_t *s, const char *arch_name, const char *model_name,
                          const char *stack_name, const char *link_name, unsigned relax,
                          const char *const *sets, int n_sets, char *err, size_t errlen);

void setup_free(setup_t *s);

#endif
