/* preset.c -- lookup in the embedded preset table. */
#include "models/preset.h"

#include <stdio.h>
#include <string.h>

const preset_file_t *preset_find(const char *kind, const char *name)
{
    for (size_t i = 0; i < preset_files_n; i++)
        if (strcmp(preset_files[i].kind, kind) == 0 && strcmp(preset_files[i].name, name) == 0)
            return &preset_files[i];
    return NULL;
}

void preset_names(const char *kind, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < preset_files_n; i++) {
        if (strcmp(preset_files[i].kind, kind) != 0)
            continue;
        int w = snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", preset_files[i].name);
        if (w < 0 || (size_t)w >= buflen - used)
            break;
        used += (size_t)w;
    }
}
