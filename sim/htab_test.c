/* htab_test.c -- the hash table: every key put is found with its value
 * through growth, keys that share a prefix or a first slot stay apart, a key
 * never put is not found, and values are zero-filled, aligned and fixed in
 * place. */
#include "sim/htab.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/check.h"

enum { MANY = 5000 };

/* Key i: "k<i>" with i's digits repeated i % 5 + 1 times (lengths 2 to 25). */
static size_t key_of(int i, char *k)
{
    int at = snprintf(k, 8, "k%d", i);
    for (int r = 0; r < i % 5; r++)
        at += snprintf(k + at, 8, "%d", i);
    return (size_t)at;
}

static void test_puts_are_found_through_growth_at_fixed_addresses(check_t *ck)
{
    htab_t *t = htab_create(sizeof(int));
    REQUIRE(t != NULL, "");
    char k[64];
    int *first = NULL, added = -1;
    for (int i = 0; i < MANY; i++) {
        int *v = htab_put(t, k, key_of(i, k), &added);
        if (!CHECK(v != NULL && added == 1 && *v == 0, "key %d: added %d", i, added))
            break;
        *v = i;
        if (i == 0)
            first = v;
    }
    CHECK(htab_count(t) == MANY, "%zu entries", htab_count(t));
    int bad = 0;
    for (int i = 0; i < MANY; i++) {
        const int *v = htab_find(t, k, key_of(i, k));
        bad += v == NULL || *v != i;
    }
    CHECK(bad == 0, "%d of %d keys lost or wrong", bad, MANY);
    /* a second put of a key gives its value, adds nothing */
    int *v = htab_put(t, k, key_of(0, k), &added);
    CHECK(v == first && *v == 0 && added == 0 && htab_count(t) == MANY, "added %d", added);
    CHECK(htab_find(t, k, key_of(MANY, k)) == NULL, "a key never put");
    htab_free(t);
}

static void test_keys_sharing_a_prefix_are_distinct(check_t *ck)
{
    static const char s[] = "abcdefghijklmnopqrstuvwxyz";   /* with its NUL: 27 bytes */
    htab_t *t = htab_create(sizeof(size_t));
    REQUIRE(t != NULL, "");
    /* every prefix of s, the empty one and the one ending in the NUL included:
     * "abcdefgh" and "abcdefgh\0" differ only in length after zero-padding */
    for (size_t len = 0; len <= sizeof s; len++) {
        size_t *v = htab_put(t, s, len, NULL);
        REQUIRE(v != NULL, "len %zu", len);
        *v = len + 1;
    }
    CHECK(htab_count(t) == sizeof s + 1, "%zu entries", htab_count(t));
    for (size_t len = 0; len <= sizeof s; len++) {
        const size_t *v = htab_find(t, s, len);
        CHECK(v != NULL && *v == len + 1, "prefix of %zu bytes", len);
    }
    char other[sizeof s];
    memcpy(other, s, sizeof s);
    other[7] = 'H';   /* a key of a stored length differing in one byte */
    CHECK(htab_find(t, other, 8) == NULL && htab_find(t, other, sizeof s) == NULL, "");
    htab_free(t);
}

/* Keys whose hashes pick the last of HTAB_MIN_SLOTS first slots: a table's
 * first half-full array holds them in one probe chain that wraps to slot 0. */
static void test_keys_of_one_first_slot_chain_and_wrap(check_t *ck)
{
    enum { N = HTAB_MIN_SLOTS / 2, PICK = 3 * N };
    unsigned keys[PICK];
    int got = 0;
    for (unsigned x = 0; got < PICK; x++)
        if ((htab_hash(&x, sizeof x) & (HTAB_MIN_SLOTS - 1)) == HTAB_MIN_SLOTS - 1)
            keys[got++] = x;
    htab_t *t = htab_create(sizeof(unsigned));
    REQUIRE(t != NULL, "");
    for (int i = 0; i < N; i++)
        *(unsigned *)htab_put(t, &keys[i], sizeof keys[i], NULL) = keys[i] + 1;
    for (int i = 0; i < N; i++) {
        const unsigned *v = htab_find(t, &keys[i], sizeof keys[i]);
        CHECK(v != NULL && *v == keys[i] + 1, "chained key %d", i);
    }
    /* absent keys of the same first slot probe the whole chain */
    for (int i = N; i < PICK; i++)
        CHECK(htab_find(t, &keys[i], sizeof keys[i]) == NULL, "key %d not put", i);
    CHECK(htab_count(t) == N, "%zu entries", htab_count(t));
    /* past half full: the table grows and the chain's keys move */
    for (int i = N; i < PICK; i++)
        *(unsigned *)htab_put(t, &keys[i], sizeof keys[i], NULL) = keys[i] + 1;
    for (int i = 0; i < PICK; i++) {
        const unsigned *v = htab_find(t, &keys[i], sizeof keys[i]);
        CHECK(v != NULL && *v == keys[i] + 1, "key %d after growth", i);
    }
    htab_free(t);
}

static void test_a_key_never_put_is_not_found(check_t *ck)
{
    htab_t *t = htab_create(8);
    REQUIRE(t != NULL, "");
    CHECK(htab_find(t, "x", 1) == NULL && htab_find(t, "", 0) == NULL, "an empty table");
    char k[] = "key";
    REQUIRE(htab_put(t, k, 3, NULL) != NULL, "");
    k[0] = 'K';   /* the table kept a copy: the caller's buffer is its own */
    CHECK(htab_find(t, "key", 3) != NULL && htab_find(t, k, 3) == NULL, "");
    CHECK(htab_find(t, "ke", 2) == NULL && htab_find(t, "keys", 4) == NULL, "");
    CHECK(htab_count(t) == 1, "find adds nothing: %zu entries", htab_count(t));
    htab_free(t);
    htab_free(NULL);
}

static void test_values_are_zero_filled_and_aligned(check_t *ck)
{
    htab_t *t = htab_create(3);   /* a value size no alignment divides */
    REQUIRE(t != NULL, "");
    for (int i = 0; i < 40; i++) {
        unsigned char *v = htab_put(t, &i, sizeof i, NULL);
        REQUIRE(v != NULL, "");
        CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0, "value %d", i);
        CHECK((uintptr_t)v % alignof(max_align_t) == 0, "value %d at %p", i, (void *)v);
        memset(v, 0xff, 3);
    }
    htab_free(t);
    /* val_size 0: a set of keys */
    t = htab_create(0);
    REQUIRE(t != NULL, "");
    CHECK(htab_put(t, "", 0, NULL) != NULL && htab_find(t, "", 0) != NULL, "");
    htab_free(t);
}

int main(void)
{
    check_t ck = check_begin("htab_test");
    test_puts_are_found_through_growth_at_fixed_addresses(&ck);
    test_keys_sharing_a_prefix_are_distinct(&ck);
    test_keys_of_one_first_slot_chain_and_wrap(&ck);
    test_a_key_never_put_is_not_found(&ck);
    test_values_are_zero_filled_and_aligned(&ck);
    return check_end(&ck);
}
