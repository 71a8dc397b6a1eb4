/* htab.h -- a hash table from byte-string keys to fixed-size values.
 *
 * Open addressing with linear probing over a power-of-two array of slots
 * (HTAB_MIN_SLOTS at the first htab_put), doubled before an entry would fill
 * more than half of them; a slot is its entry's hash, key length and address
 * (24 bytes on a 64-bit host). An entry is one allocation: its value, then a
 * copy of its key. Entries are never removed; htab_free releases them all.
 *
 * Keys: any len bytes (len may be 0), compared byte for byte; the table copies
 * a key when it adds it, so the caller's buffer is free after the call.
 * Values: val_size bytes each, zero-filled when added, aligned for any type,
 * and at a fixed address from htab_put until htab_free (growing moves slots,
 * not entries).
 * Cost: htab_find and htab_put hash the key once (O(len)) and compare it
 * with the keys of equal hash only; growing rehashes nothing (each slot keeps
 * its entry's hash).
 * Not thread-safe: a caller shared by threads holds its own lock. */
#ifndef GBSIM_HTAB_H
#define GBSIM_HTAB_H

#include <stddef.h>
#include <stdint.h>

/* The slots of a table's first allocation (a power of two). */
#define HTAB_MIN_SLOTS 16

typedef struct htab htab_t;   /* opaque */

/* An empty table of val_size-byte values (0 is allowed: a set of keys); it
 * allocates no slots until the first htab_put. NULL when out of memory. */
htab_t *htab_create(size_t val_size);

/* Free t, its entries and their keys. t NULL: nothing. */
void htab_free(htab_t *t);

/* The value of key[0 .. len-1], or NULL when t holds no such key. */
const void *htab_find(const htab_t *t, const void *key, size_t len);

/* The value of key[0 .. len-1]: the one t holds (*added = 0), else a new
 * zero-filled one under a copy of the key (*added = 1). NULL when out of
 * memory, t then unchanged. added may be NULL. */
void *htab_put(htab_t *t, const void *key, size_t len, int *added);

/* The entries t holds. */
size_t htab_count(const htab_t *t);

/* The hash of key[0 .. len-1] the table probes from (its low bits pick the
 * first slot): FNV-1a 64 over the key's 8-byte words, the last one
 * zero-padded, each step's high half folded into its low half, and
 * MurmurHash3's fmix64 at the end. Stable within one process only (the words
 * are read in the host's byte order). */
uint64_t htab_hash(const void *key, size_t len);

#endif
