/*
 * Store: segments, saved account filters (docs/segments.md). A segment keeps its filter as
 * the JSON text the user wrote; members are found by compiling it (segments/filter.h) into
 * the accounts list query (struct account_filter.segment) or the count below.
 */
#ifndef KZ_STORE_SEGMENTS_H
#define KZ_STORE_SEGMENTS_H

#include "segments/filter.h"
#include "store/store.h"

#define SEGMENT_NAME_MAX 200
#define SEGMENT_DESCRIPTION_MAX 2000
#define SEGMENT_FILTER_MAX 262144 /* bytes of the filter's JSON text */

struct segment {
    int64_t id;
    char *name;
    char *description;   /* NULL = none */
    char *filter;        /* the filter tree, compact JSON text */
    int64_t created_by;  /* 0 = unknown (the user was deleted) */
    char created_at[21];
    char updated_at[21];
};
void segment_cleanup(struct segment *s);
void segments_free(struct segment *v, size_t n);

/* *out is overwritten (pass an empty struct; free it with segment_cleanup). */
int store_segment_get(struct store *st, int64_t id, struct segment *out);
/* Inserts s and sets its id and times; KZ_ECONFLICT when the name is taken. */
int store_segment_create(struct store *st, struct segment *s);
/* Saves name, description and filter of s->id; sets updated_at. KZ_ECONFLICT when the name
 * is taken, KZ_ENOTFOUND when there is no such segment. */
int store_segment_update(struct store *st, struct segment *s);
int store_segment_delete(struct store *st, int64_t id);
/* Segments by name then id, after (after_name, after_id) when after_name is not NULL, up to
 * limit + 1 of them. *out is a heap array of *n (segments_free). */
int store_segments_list(struct store *st, const char *after_name, int64_t after_id, int limit,
                        struct segment **out, size_t *n);
/* The number of accounts matching filter now. */
int store_segment_count(struct store *st, const struct seg_node *filter, int64_t *count);
/* Whether account account_id matches filter now. */
int store_segment_has(struct store *st, const struct seg_node *filter, int64_t account_id,
                      bool *member);

#endif
