/* setup.c -- presets plus overrides. */
#include "models/setup.h"

#include <stdio.h>
#include <string.h>

#include "models/preset.h"

static int load_preset(const char *kind, const char *name, const param_schema_t *schema, void *dst,
                       param_origin_t *origins, char *err, size_t errlen)
{
    const preset_file_t *p = preset_find(kind, name);
    if (p == NULL) {
        char names[512];
        preset_names(kind, names, sizeof names);
        snprintf(err, errlen, "unknown %s '%s'; valid: %s", kind, name, names);
        return -1;
    }
    return param_load(schema, dst, origins, p->path, p->text, p->len, err, errlen);
}

int setup_load(setup_t *s, const char *arch_name, const char *model_name,
               const char *const *sets, int n_sets, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    _Static_assert(sizeof s->arch_origin / sizeof s->arch_origin[0] >= 32, "origin table");
    if (load_preset("arch", arch_name, &arch_schema, &s->arch, s->arch_origin, err, errlen) != 0)
        return -1;
    if (model_name != NULL) {
        if (load_preset("model", model_name, &llm_schema, &s->model, s->model_origin, err, errlen) != 0)
            return -1;
        s->has_model = 1;
    }
    for (int i = 0; i < n_sets; i++) {
        int rc = param_set(&arch_schema, &s->arch, s->arch_origin, sets[i], err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        if (s->has_model) {
            rc = param_set(&llm_schema, &s->model, s->model_origin, sets[i], err, errlen);
            if (rc < 0)
                return -1;
            if (rc == 0)
                continue;
        }
        const char *eq = strchr(sets[i], '=');
        int keylen = eq ? (int)(eq - sets[i]) : (int)strlen(sets[i]);
        if (eq == NULL)
            snprintf(err, errlen, "--set '%s': expected key=value", sets[i]);
        else
            snprintf(err, errlen, "--set: unknown key '%.*s'; keys are those of the arch%s data "
                     "files (models/data/arch/*.csv%s)", keylen, sets[i],
                     s->has_model ? " and model" : "", s->has_model ? ", models/data/model/*.csv" : "");
        return -1;
    }
    if (s->has_model && llm_validate(&s->model, err, errlen) != 0)
        return -1;
    return 0;
}
