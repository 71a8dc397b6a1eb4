/* htab.c -- see htab.h. */
#include "sim/htab.h"

#include <assert.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;      /* htab_hash of the entry's key */
    size_t len;         /* the key's bytes */
    unsigned char *e;   /* the entry: the value, then the key at key_off; NULL: empty */
} slot_t;

struct htab {
    slot_t *slot;       /* [cap] */
    size_t cap;         /* 0 before the first htab_put, then a power of two */
    size_t n;           /* entries; 2 n <= cap */
    size_t val_size;    /* bytes of a value */
    size_t key_off;     /* val_size rounded up to max_align_t's alignment */
};

htab_t *htab_create(size_t val_size)
{
    htab_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    size_t al = alignof(max_align_t);
    t->val_size = val_size;
    t->key_off = (val_size + al - 1) / al * al;
    return t;
}

void htab_free(htab_t *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->slot[i].e);
    free(t->slot);
    free(t);
}

size_t htab_count(const htab_t *t)
{
    return t->n;
}

/* FNV-1a 64's offset basis and prime; MurmurHash3's fmix64 constants. */
uint64_t htab_hash(const void *key, size_t len)
{
    const unsigned char *b = key;
    uint64_t h = 14695981039346656037ULL, w;
    size_t at = 0;
    for (; len - at >= 8; at += 8) {
        memcpy(&w, b + at, sizeof w);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 32;   /* a product's low bits see only its factors' low bits */
    }
    if (at < len) {
        w = 0;
        memcpy(&w, b + at, len - at);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 32;
    }
    h ^= len;   /* "ab" and "ab\0" pad to the same word */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The slot of key (hash h): its entry's, else the empty one where it would
 * go. Requires cap > 0; there is always an empty slot (2 n <= cap). */
static slot_t *slot_of(const htab_t *t, uint64_t h, const void *key, size_t len)
{
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        slot_t *s = &t->slot[i];
        if (s->e == NULL ||
            (s->hash == h && s->len == len && memcmp(s->e + t->key_off, key, len) == 0))
            return s;
    }
}

const void *htab_find(const htab_t *t, const void *key, size_t len)
{
    assert(key != NULL);
    if (t->n == 0)
        return NULL;
    return slot_of(t, htab_hash(key, len), key, len)->e;
}

/* Twice the slots (HTAB_MIN_SLOTS the first time), each entry moved to the
 * slot its hash picks. Returns 0, or -1 when out of memory (t unchanged). */
static int grow(htab_t *t)
{
    size_t cap = t->cap ? 2 * t->cap : HTAB_MIN_SLOTS;
    slot_t *slot = calloc(cap, sizeof *slot);
    if (slot == NULL)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slot[i].e == NULL)
            continue;
        size_t j = (size_t)t->slot[i].hash & (cap - 1);
        while (slot[j].e != NULL)   /* keys are distinct: only an empty slot will do */
            j = (j + 1) & (cap - 1);
        slot[j] = t->slot[i];
    }
    free(t->slot);
    t->slot = slot;
    t->cap = cap;
    return 0;
}

void *htab_put(htab_t *t, const void *key, size_t len, int *added)
{
    assert(key != NULL);
    uint64_t h = htab_hash(key, len);
    slot_t *s = t->cap ? slot_of(t, h, key, len) : NULL;
    int add = s == NULL || s->e == NULL;
    if (add) {
        unsigned char *e = calloc(1, t->key_off + len > 0 ? t->key_off + len : 1);
        if (e == NULL)
            return NULL;
        if (2 * (t->n + 1) > t->cap) {
            if (grow(t) != 0) {
                free(e);
                return NULL;
            }
            s = slot_of(t, h, key, len);
        }
        memcpy(e + t->key_off, key, len);
        *s = (slot_t){.hash = h, .len = len, .e = e};
        t->n++;
    }
    if (added != NULL)
        *added = add;
    return s->e;
}
