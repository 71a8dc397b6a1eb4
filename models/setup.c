/* setup.c -- presets and description files plus overrides. */
#include "models/setup.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/preset.h"

static int is_file(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcmp(name + n - 4, ".csv") == 0;
}

static int load_desc(const char *kind, const char *name, const param_schema_t *schema, void *dst,
                     param_origin_t *origins, char *err, size_t errlen)
{
    if (is_file(name))
        return param_load_file(schema, dst, origins, name, err, errlen);
    const preset_file_t *p = preset_find(kind, name);
    if (p == NULL) {
        char names[512];
        preset_names(kind, names, sizeof names);
        snprintf(err, errlen, "unknown %s '%s'; valid: %s, or a description file FILE.csv", kind,
                 name, names);
        return -1;
    }
    return param_load(schema, dst, origins, p->path, p->text, p->len, err, errlen);
}

/* Whether the key of "key=value" (keylen characters) is a key of schema. */
static int has_key(const param_schema_t *schema, const char *assignment, int keylen)
{
    char key[64];
    if (keylen >= (int)sizeof key)
        return 0;
    memcpy(key, assignment, (size_t)keylen);
    key[keylen] = '\0';
    return param_find(schema, key) >= 0;
}

static int load(setup_t *s, const char *arch_name, const char *model_name, const char *stack_name,
                const char *link_name, unsigned relax, const char *const *sets, int n_sets,
                char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    _Static_assert(sizeof s->arch_origin / sizeof s->arch_origin[0] >= 32, "origin table");
    if (load_desc("arch", arch_name, &arch_schema, &s->arch, s->arch_origin, err, errlen) != 0)
        return -1;
    if (link_name != NULL) {
        assert(link_schema.n <= sizeof s->link_origin / sizeof s->link_origin[0]);
        if (load_desc("link", link_name, &link_schema, &s->link, s->link_origin, err, errlen) != 0)
            return -1;
        s->has_link = 1;
    }
    if (model_name != NULL) {
        if (load_desc("model", model_name, &llm_schema, &s->model, s->model_origin, err, errlen) != 0)
            return -1;
        s->has_model = 1;
    }
    if (stack_name != NULL) {
        s->stack = stack_load(stack_name, err, errlen);
        if (s->stack == NULL)
            return -1;
        s->stack->relax = relax;
    }
    for (int i = 0; i < n_sets; i++) {
        const char *eq = strchr(sets[i], '=');
        int keylen = eq ? (int)(eq - sets[i]) : (int)strlen(sets[i]);
        if (eq == NULL) {
            snprintf(err, errlen, "--set '%s': expected key=value", sets[i]);
            goto fail;
        }
        int rc = param_set(&arch_schema, &s->arch, s->arch_origin, sets[i], err, errlen);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            continue;
        if (s->has_model) {
            rc = param_set(&llm_schema, &s->model, s->model_origin, sets[i], err, errlen);
            if (rc < 0)
                goto fail;
            if (rc == 0)
                continue;
        }
        if (s->stack) {
            rc = stack_set(s->stack, sets[i], err, errlen);
            if (rc < 0)
                goto fail;
            if (rc == 0)
                continue;
        }
        if (s->has_link) {
            rc = param_set(&link_schema, &s->link, s->link_origin, sets[i], err, errlen);
            if (rc < 0)
                goto fail;
            if (rc == 0)
                continue;
        } else if (has_key(&link_schema, sets[i], keylen)) {
            snprintf(err, errlen, "--set '%s': a key of the link between GPUs; it applies with "
                     "--tp N > 1 and --link NAME|FILE.csv", sets[i]);
            goto fail;
        }
        if (s->stack)
            snprintf(err, errlen, "--set: unknown key '%.*s'; keys are those of the arch and model "
                     "description files (models/data/arch/*.csv, models/data/model/*.csv), the "
                     "stack-wide keys graphs, host_us_per_kernel, act_dtype, kv_dtype, recorded_cc, "
                     "and <op>.<field> for an op of stack %s (weight and KV formats are per op: "
                     "<op>.weights=FMT, kv_dtype=FMT)%s", keylen, sets[i], s->stack->name,
                     s->has_link ? ", and the link keys (models/data/link/*.csv)" : "");
        else
            snprintf(err, errlen, "--set: unknown key '%.*s'; keys are those of the arch%s data "
                     "files (models/data/arch/*.csv%s)", keylen, sets[i],
                     s->has_model ? " and model" : "", s->has_model ? ", models/data/model/*.csv" : "");
        goto fail;
    }
    if (s->has_model && llm_validate(&s->model, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    setup_free(s);
    return -1;
}

int setup_load(setup_t *s, const char *arch_name, const char *model_name,
               const char *const *sets, int n_sets, char *err, size_t errlen)
{
    return load(s, arch_name, model_name, NULL, NULL, 0, sets, n_sets, err, errlen);
}

int setup_load_stack(setup_t *s, const char *arch_name, const char *model_name,
                     const char *stack_name, unsigned relax, const char *const *sets, int n_sets,
                     char *err, size_t errlen)
{
    return load(s, arch_name, model_name, stack_name, NULL, relax, sets, n_sets, err, errlen);
}

int setup_load_stack_link(setup_t *s, const char *arch_name, const char *model_name,
                          const char *stack_name, const char *link_name, unsigned relax,
                          const char *const *sets, int n_sets, char *err, size_t errlen)
{
    return load(s, arch_name, model_name, stack_name, link_name, relax, sets, n_sets, err, errlen);
}

void setup_free(setup_t *s)
{
    stack_free(s->stack);
    s->stack = NULL;
    route_free(s->experts);
    s->experts = NULL;
}
