/*
 * Validation of JSON request bodies, field by field, with patch semantics: a field absent
 * from the object leaves *out untouched (an error if FIELD_REQUIRED); JSON null clears it
 * (an error unless FIELD_NULLABLE). On any error the function replies 400 naming the field
 * and returns -1; the handler then returns 0. On success it returns 0.
 * String outputs are heap strings: the old value is freed when replaced.
 */
#ifndef KZ_API_FIELDS_H
#define KZ_API_FIELDS_H

#include "http/http.h"

enum field_flags {
    FIELD_REQUIRED = 1 << 0,
    FIELD_NULLABLE = 1 << 1,
};

/* Replies 400 naming the first key of obj not in known (a NULL-terminated list of the
 * writable fields): unknown and read-only fields are refused, never silently ignored. */
int fields_known(struct req *r, json_t *obj, const char *const *known);

/* A string of 1..maxlen bytes (trimmed strings that are empty are refused). */
int field_str(struct req *r, json_t *obj, const char *key, unsigned flags, size_t maxlen,
              char **out);
/* One of the NULL-terminated allowed values. */
int field_enum(struct req *r, json_t *obj, const char *key, unsigned flags,
               const char *const *allowed, char **out);
/* An integer in [min, max]; null stores null_value. */
int field_i64(struct req *r, json_t *obj, const char *key, unsigned flags, int64_t min,
              int64_t max, int64_t null_value, int64_t *out);
int field_bool(struct req *r, json_t *obj, const char *key, unsigned flags, bool *out);
/* "YYYY-MM-DD", a real date. */
int field_date(struct req *r, json_t *obj, const char *key, unsigned flags, char **out);
/* RFC 3339, stored normalised as UTC "YYYY-MM-DDTHH:MM:SSZ" into out. */
int field_time(struct req *r, json_t *obj, const char *key, unsigned flags, char out[static 21]);
/* Any JSON object, stored as its compact text. */
int field_object(struct req *r, json_t *obj, const char *key, unsigned flags, char **out);
/* A user id that exists and is enabled (0 for null when nullable). */
int field_user_id(struct req *r, json_t *obj, const char *key, unsigned flags, int64_t *out);

/* json helpers for replies: a string or null; an int or null when v == null_value. */
json_t *json_str_or_null(const char *s);
json_t *json_i64_or_null(int64_t v, int64_t null_value);

#endif
