/* kclass.h -- kernel-name classification: which gbsim op class a measured
 * kernel (an nsys Name) belongs to.
 *
 * The rules are a data file, models/data/kclass/kernel_classes.csv (embedded
 * in the binary as preset kind "kclass", name "kernel_classes"), with header
 * exactly pattern,op_class,source and one rule per row; rows whose first field
 * starts with '#' are comments. A pattern without '*' matches when it is a
 * case-sensitive substring of the name; a pattern with '*' is a glob over the
 * whole name ('*' matches any run of characters, including none). The first
 * matching rule wins; a name no rule matches is "other".
 *
 * op_class is an op of some stack (models/stack.c: norm, qkv_proj, ..., moe_sum)
 * or one of the generic classes KCLASS_GENERIC: gemm, gemv, mmq (a dense GEMM or
 * GEMV whose op depends on the shape), moe_gemm (a grouped expert GEMM, FC1 or
 * FC2), elementwise (a PyTorch elementwise/reduction kernel), join_prev (the
 * second kernel of the preceding call: split-K reduce, split-KV merge), other. */
#ifndef GBSIM_KCLASS_H
#define GBSIM_KCLASS_H

#include <stddef.h>

#define KCLASS_GENERIC "gemm, gemv, mmq, moe_gemm, elementwise, join_prev, other"

typedef struct {
    char *pattern;
    char *op_class;
    char *source;
    int glob;         /* 1: pattern contains '*' and matches the whole name */
    int line;         /* line in the table file */
} kclass_rule_t;

typedef struct {
    kclass_rule_t *rules;
    size_t n;
    char *path;       /* the table's file name, for messages */
} kclass_t;

/* Parse a rule table held in memory (len bytes) named fname. Returns 0, or -1
 * with "fname:line: ..." in err (a NUL byte, malformed quoting, header other
 * than pattern,op_class,source, a row without 3 fields, an empty pattern, a
 * pattern of only '*', an unknown op_class, an empty source, no rules). Lines
 * end at LF, CRLF or a lone CR (sim/csvrec.h); a rule's line is the one it
 * starts on. On error *t holds nothing to free. */
int kclass_load(kclass_t *t, const char *fname, const char *text, size_t len, char *err,
                size_t errlen);

/* The built-in table: the embedded preset; a build directory configured
 * before the table existed falls back to the source tree's copy. */
int kclass_load_default(kclass_t *t, char *err, size_t errlen);

/* Index of the first rule matching name, or -1. */
int kclass_rule(const kclass_t *t, const char *name);

/* The op class of name: the first matching rule's op_class, else "other". */
const char *kclass_match(const kclass_t *t, const char *name);

/* 1 if cls is a stack op or a generic class, else 0. */
int kclass_is_class(const char *cls);

/* 1 if pattern matches name under the rules above. */
int kclass_pattern_match(const char *pattern, const char *name);

void kclass_free(kclass_t *t);

#endif
