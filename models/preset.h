/* preset.h -- arch and model data files and gnuplot scripts (kind "plot") embedded in the binary at build time
 * (models/data/embed.cmake), so gbsim runs from any working directory. */
#ifndef GBSIM_PRESET_H
#define GBSIM_PRESET_H

#include <stddef.h>

typedef struct {
    const char *kind;      /* "arch" or "model" */
    const char *name;      /* file name without .csv */
    const char *path;      /* path in the source tree, used in messages */
    const char *text;
    size_t len;
} preset_file_t;

extern const preset_file_t preset_files[];
extern const size_t preset_files_n;

/* The preset of this kind and name, or NULL. */
const preset_file_t *preset_find(const char *kind, const char *name);

/* Comma-separated names of a kind into buf (for "valid: ..." messages). */
void preset_names(const char *kind, char *buf, size_t buflen);

#endif
