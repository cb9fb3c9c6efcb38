/*
 * The writer's hash map and messageId set (fold.h). Open addressing with linear probing;
 * the map never deletes single entries (it is cleared whole), the set deletes with the
 * backward shift that linear probing allows, so it needs no tombstones.
 */
#include "ingest/fold.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* A 64-bit hash (the mixing of wyhash/murmur finalisers over 8-byte words). */
static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t fold_hash(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (len * 0x9E3779B97F4A7C15ULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix(h ^ w) * 0x9E3779B97F4A7C15ULL;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = mix(h ^ w ^ ((uint64_t)len << 56));
    return h ? h : 1;
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void fold_time_format(int64_t t, char out[static 21])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    /* civil_from_days (Howard Hinnant's algorithm) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 1 || y > 9999) {
        time_format(t, out);
        return;
    }
    put2(out, (int)(y / 100));
    put2(out + 2, (int)(y % 100));
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, (int)(secs / 3600));
    out[13] = ':';
    put2(out + 14, (int)(secs / 60 % 60));
    out[16] = ':';
    put2(out + 17, (int)(secs % 60));
    out[19] = 'Z';
    out[20] = '\0';
}

/* ------------------------------------------------------------ kmap */

struct kmap_chunk {
    struct kmap_chunk *next;
    size_t used, size;
    char data[];
};

static const char *arena_copy(struct kmap *m, const void *key, size_t len)
{
    struct kmap_chunk *c = m->arena;
    if (!c || c->size - c->used < len + 1) {
        size_t size = len + 1 > 65536 ? len + 1 : 65536;
        c = xmalloc(sizeof(*c) + size);
        c->next = m->arena;
        c->used = 0;
        c->size = size;
        m->arena = c;
    }
    char *p = c->data + c->used;
    memcpy(p, key, len);
    p[len] = '\0';
    c->used += len + 1;
    return p;
}

static void kmap_grow(struct kmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct kmap_entry *s = xcalloc(cap, sizeof(*s));
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].hash)
            continue;
        size_t j = m->slots[i].hash & (cap - 1);
        while (s[j].hash)
            j = (j + 1) & (cap - 1);
        s[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = s;
    m->cap = cap;
}

struct kmap_entry *kmap_find(const struct kmap *m, const void *key, size_t keylen)
{
    if (!m->cap)
        return NULL;
    uint64_t h = fold_hash(key, keylen, 0);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct kmap_entry *e = &m->slots[i];
        if (!e->hash)
            return NULL;
        if (e->hash == h && e->keylen == keylen && memcmp(kmap_key(e), key, keylen) == 0)
            return e;
    }
}

struct kmap_entry *kmap_get(struct kmap *m, const void *key, size_t keylen, bool *created)
{
    if ((m->n + 1) * 2 > m->cap)
        kmap_grow(m);
    uint64_t h = fold_hash(key, keylen, 0);
    size_t i = h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        struct kmap_entry *e = &m->slots[i];
        if (!e->hash)
            break;
        if (e->hash == h && e->keylen == keylen && memcmp(kmap_key(e), key, keylen) == 0) {
            if (created)
                *created = false;
            return e;
        }
    }
    struct kmap_entry *e = &m->slots[i];
    memset(e, 0, sizeof(*e));
    e->hash = h;
    if (keylen < KMAP_INLINE) {
        memcpy(e->inl, key, keylen);
        e->inl[keylen] = '\0';
    } else {
        e->key = arena_copy(m, key, keylen);
    }
    e->keylen = (uint32_t)keylen;
    m->n++;
    if (created)
        *created = true;
    return e;
}

void kmap_prefetch(const struct kmap *m, const void *key, size_t keylen)
{
    if (m->cap)
        __builtin_prefetch(&m->slots[fold_hash(key, keylen, 0) & (m->cap - 1)]);
}

void kmap_clear(struct kmap *m)
{
    if (m->cap > 4096 && m->n * 8 < m->cap) { /* mostly empty: a smaller table next time */
        free(m->slots);
        m->slots = NULL;
        m->cap = 0;
    } else if (m->n) {
        memset(m->slots, 0, m->cap * sizeof(*m->slots));
    }
    m->n = 0;
    while (m->arena) {
        struct kmap_chunk *next = m->arena->next;
        if (!next) { /* keep one chunk */
            m->arena->used = 0;
            break;
        }
        free(m->arena);
        m->arena = next;
    }
}

void kmap_free(struct kmap *m)
{
    kmap_clear(m);
    free(m->arena);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------ dedupe */

uint64_t dedupe_fp(int64_t write_key_id, const char *message_id)
{
    return fold_hash(message_id, strlen(message_id), (uint64_t)write_key_id * 0x100000001B3ULL);
}

void dedupe_init(struct dedupe *d, size_t max)
{
    memset(d, 0, sizeof(*d));
    d->max = max ? max : 1;
    d->cap = 65536; /* grows with use */
    d->slots = xcalloc(d->cap, sizeof(*d->slots));
}

void dedupe_free(struct dedupe *d)
{
    free(d->slots);
    free(d->ring_fp);
    free(d->ring_at);
    memset(d, 0, sizeof(*d));
}

bool dedupe_has(const struct dedupe *d, uint64_t fp)
{
    for (size_t i = fp & (d->cap - 1);; i = (i + 1) & (d->cap - 1)) {
        if (d->slots[i] == fp)
            return true;
        if (!d->slots[i])
            return false;
    }
}

static void slot_delete(struct dedupe *d, uint64_t fp)
{
    size_t mask = d->cap - 1, i = fp & mask;
    while (d->slots[i] != fp) {
        if (!d->slots[i])
            return;
        i = (i + 1) & mask;
    }
    /* Backward shift: move later entries of the cluster into the hole when their home
     * slot is not between the hole and them. */
    size_t j = i;
    for (;;) {
        d->slots[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!d->slots[j])
                return;
            size_t home = d->slots[j] & mask;
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                continue;
            break;
        }
        d->slots[i] = d->slots[j];
        i = j;
    }
}

static void slot_insert(uint64_t *slots, size_t cap, uint64_t fp)
{
    size_t i = fp & (cap - 1);
    while (slots[i] && slots[i] != fp)
        i = (i + 1) & (cap - 1);
    slots[i] = fp;
}

/* The ring holds d->n entries from d->head in arrays of d->rcap, grown up to d->max. */
static void ring_grow(struct dedupe *d)
{
    size_t cap = d->rcap ? d->rcap * 2 : 4096;
    if (cap > d->max)
        cap = d->max;
    uint64_t *fp = xmalloc(cap * sizeof(*fp));
    int64_t *at = xmalloc(cap * sizeof(*at));
    for (size_t k = 0; k < d->n; k++) {
        size_t from = (d->head + k) % d->rcap;
        fp[k] = d->ring_fp[from];
        at[k] = d->ring_at[from];
    }
    free(d->ring_fp);
    free(d->ring_at);
    d->ring_fp = fp;
    d->ring_at = at;
    d->rcap = cap;
    d->head = 0;
}

static void table_grow(struct dedupe *d)
{
    size_t cap = d->cap * 2;
    uint64_t *s = xcalloc(cap, sizeof(*s));
    for (size_t i = 0; i < d->cap; i++)
        if (d->slots[i])
            slot_insert(s, cap, d->slots[i]);
    free(d->slots);
    d->slots = s;
    d->cap = cap;
}

static void evict_oldest(struct dedupe *d)
{
    slot_delete(d, d->ring_fp[d->head]);
    d->head = (d->head + 1) % d->rcap;
    d->n--;
}

bool dedupe_add_new(struct dedupe *d, uint64_t fp, int64_t at)
{
    if (d->n == d->max)
        evict_oldest(d);
    if (d->n == d->rcap)
        ring_grow(d);
    if ((d->n + 1) * 2 > d->cap)
        table_grow(d);
    size_t i = fp & (d->cap - 1);
    while (d->slots[i]) {
        if (d->slots[i] == fp)
            return false;
        i = (i + 1) & (d->cap - 1);
    }
    d->slots[i] = fp;
    size_t tail = (d->head + d->n) % d->rcap;
    d->ring_fp[tail] = fp;
    d->ring_at[tail] = at;
    d->n++;
    return true;
}

void dedupe_prefetch(const struct dedupe *d, uint64_t fp, size_t ahead)
{
    __builtin_prefetch(&d->slots[fp & (d->cap - 1)], 1);
    if (d->n + ahead >= d->max && ahead < d->n)
        __builtin_prefetch(&d->slots[d->ring_fp[(d->head + ahead) % d->rcap] & (d->cap - 1)], 1);
}

void dedupe_add(struct dedupe *d, uint64_t fp, int64_t at)
{
    if (d->n == d->max)
        evict_oldest(d);
    if (d->n == d->rcap)
        ring_grow(d);
    if ((d->n + 1) * 2 > d->cap)
        table_grow(d);
    slot_insert(d->slots, d->cap, fp);
    size_t tail = (d->head + d->n) % d->rcap;
    d->ring_fp[tail] = fp;
    d->ring_at[tail] = at;
    d->n++;
}

void dedupe_expire(struct dedupe *d, int64_t before)
{
    while (d->n && d->ring_at[d->head] < before)
        evict_oldest(d);
}

void dedupe_remove_newest(struct dedupe *d, uint64_t fp)
{
    if (!d->n)
        return;
    size_t tail = (d->head + d->n - 1) % d->rcap;
    if (d->ring_fp[tail] != fp)
        return;
    slot_delete(d, fp);
    d->n--;
}
