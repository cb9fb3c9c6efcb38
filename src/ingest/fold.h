/*
 * The ingest writer's in-memory structures (fold.c), used by the writer thread only:
 *
 * - kmap: a hash map from a byte-string key to a few int64 values, with keys kept in an
 *   arena; cleared as a whole (no single deletes). It holds the rollups folded between two
 *   flushes (store/ingest.c) and the writer's caches (user -> account, groupId -> account).
 * - dedupe: the set of recent (write key, messageId) pairs, as 64-bit fingerprints, with
 *   the time each was received: a fixed window (a day) bounded by a count (the oldest go
 *   first), so that the messageId check needs no index on the commit path.
 */
#ifndef KZ_INGEST_FOLD_H
#define KZ_INGEST_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t fold_hash(const void *data, size_t len, uint64_t seed);

/* time_format (util.h) without gmtime and strftime, for the hot paths: the same text for
 * the years 0001 to 9999. */
void fold_time_format(int64_t t, char out[static 21]);

#define KMAP_VALUES 7

#define KMAP_INLINE 28 /* keys shorter than this live in the entry: one cache miss, not two */

struct kmap_entry {
    uint64_t hash;    /* 0 = empty slot */
    const char *key;  /* in the arena (keylen bytes, NUL-terminated), or NULL: in inl */
    uint32_t keylen;
    char inl[KMAP_INLINE];
    int64_t v[KMAP_VALUES];
};

/* The key of an entry (keylen bytes, NUL-terminated). */
static inline const char *kmap_key(const struct kmap_entry *e)
{
    return e->key ? e->key : e->inl;
}

struct kmap_chunk;
struct kmap {
    struct kmap_entry *slots;
    size_t cap;       /* a power of two, or 0 */
    size_t n;
    struct kmap_chunk *arena;
};

/* The entry of key, created (values zero, *created true) when absent. The entry pointer is
 * valid until the next kmap_get or kmap_clear. */
struct kmap_entry *kmap_get(struct kmap *m, const void *key, size_t keylen, bool *created);
/* The entry of key, or NULL. */
struct kmap_entry *kmap_find(const struct kmap *m, const void *key, size_t keylen);
/* Starts loading the slot where key's entry would be: a batch's lookups issued ahead
 * overlap their cache misses instead of waiting for each in turn. */
void kmap_prefetch(const struct kmap *m, const void *key, size_t keylen);
void kmap_clear(struct kmap *m);    /* empties the map, keeps its table */
void kmap_free(struct kmap *m);
#define kmap_each(m, e) \
    for (struct kmap_entry *e = (m)->slots; e && e < (m)->slots + (m)->cap; e++) if (e->hash)

struct dedupe {
    uint64_t *slots;  /* fingerprints, 0 = empty */
    size_t cap;       /* a power of two, > 2 * max */
    size_t n;
    uint64_t *ring_fp;  /* insertion order, for eviction */
    int64_t *ring_at;   /* received time of each */
    size_t head, rcap;  /* ring: n entries from head, in arrays of rcap */
    size_t max;         /* entries kept at most */
};

/* The fingerprint of (write key id, messageId): never 0. */
uint64_t dedupe_fp(int64_t write_key_id, const char *message_id);
void dedupe_init(struct dedupe *d, size_t max);
void dedupe_free(struct dedupe *d);
bool dedupe_has(const struct dedupe *d, uint64_t fp);
/* Adds fp received at `at` (unix time); the oldest entry goes when the set is full. */
void dedupe_add(struct dedupe *d, uint64_t fp, int64_t at);
/* dedupe_has, then dedupe_add when absent, in one probe: false when fp was there. (When
 * the set is full, the oldest entry goes first, even for a fingerprint already there.) */
bool dedupe_add_new(struct dedupe *d, uint64_t fp, int64_t at);
/* kmap_prefetch for the messageId set: fp's slot, and when the set is full, the slot of
 * the entry that the ahead-th add from now evicts. */
void dedupe_prefetch(const struct dedupe *d, uint64_t fp, size_t ahead);
/* Removes entries received before `before`. */
void dedupe_expire(struct dedupe *d, int64_t before);
/* Removes fp if present (to undo the adds of a rolled-back commit: call newest first). */
void dedupe_remove_newest(struct dedupe *d, uint64_t fp);

#endif
