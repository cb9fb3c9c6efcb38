/*
 * Segment filters: the filter tree of a segment (docs/segments.md), parsed from JSON into an
 * AST with every (field, operator, value type) combination checked, and compiled into a SQL
 * WHERE fragment over the accounts list's aliases (`a` = accounts, `s` = the current
 * subscription, LEFT JOINed) plus a list of typed values to bind. The SQL text is made only
 * of fixed fragments and numbered placeholders: no value, custom-field key included, is
 * ever spliced into it. The module is pure: no HTTP, no database.
 */
#ifndef KZ_SEGMENTS_FILTER_H
#define KZ_SEGMENTS_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEG_MAX_DEPTH 8          /* nesting levels, the root being level 1 */
#define SEG_MAX_CONDITIONS 100   /* leaf conditions in one tree */
#define SEG_MAX_NODES 400        /* and, or, not and conditions in one tree */
#define SEG_MAX_IN 100           /* values of one `in` */
#define SEG_TEXT_MAX 500         /* bytes of a text value */
#define SEG_KEY_MAX 100          /* bytes of a custom-field key */
#define SEG_DAYS_MAX 36500       /* within_days and days-since values */
#define SEG_PATH_MAX 256

/* A parse error: the JSON path of the offending node ("filter.and[1].or[0].op") and why. */
struct seg_error {
    char path[SEG_PATH_MAX];
    char detail[256];
};

struct seg_node;

/* Parses and validates the filter tree j; path names j in errors (e.g. "filter"). On success
 * returns 0 and *out is a tree the caller frees with seg_node_free; on bad input returns -1
 * with err filled and *out NULL. */
int seg_parse(const json_t *j, const char *path, struct seg_node **out, struct seg_error *err);
void seg_node_free(struct seg_node *n);

enum seg_bind_type { SEG_BIND_INT, SEG_BIND_REAL, SEG_BIND_TEXT };

struct seg_bind {
    enum seg_bind_type type;
    int64_t i;
    double d;
    char *s;        /* SEG_BIND_TEXT: heap copy */
};

/* A compiled filter: sql uses placeholders ?first_param .. ?(first_param + nbinds - 1), and
 * binds[k] is the value of ?(first_param + k). */
struct seg_sql {
    char *sql;
    struct seg_bind *binds;
    size_t nbinds;
};

/* Compiles n into out (overwritten; free it with seg_sql_cleanup). now (unix seconds) fixes
 * "today" for within_days and the cut-offs of days-since fields (last_seen, days_in_phase). */
void seg_compile(const struct seg_node *n, int64_t now, int first_param, struct seg_sql *out);
void seg_sql_cleanup(struct seg_sql *q);

/* The filter language as data, for editors (GET /api/v1/segments/fields): a new object
 * {"ops": [...], "fields": [{"name","type","ops",("values"|"min","max"|"within_days")}],
 * "custom": {"prefix","type","ops","key_max"}, "limits": {...}} built from the same tables the
 * parser uses. Caller owns the reference. */
json_t *seg_fields_json(void);

/* The number of leaf conditions of n (for tests and limits). */
size_t seg_count_conditions(const struct seg_node *n);

#endif
