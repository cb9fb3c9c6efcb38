/*
 * JSON body validation with patch semantics (fields.h). Each validator names the field in
 * its 400 reply, so a client always learns which input was wrong.
 */
#include "api/fields.h"

#include <string.h>

#include "store/store.h"

int fields_known(struct req *r, json_t *obj, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            reply_field_error(r, key, "'%.100s' is not a field you can set here (unknown or "
                                      "read-only)", key);
            return -1;
        }
    }
    return 0;
}

/* Common start of every validator: 1 = absent (nothing to do), 2 = null accepted,
 * 0 = a value to check, -1 = replied with an error. */
static int presence(struct req *r, json_t *v, const char *key, unsigned flags)
{
    if (!v) {
        if (flags & FIELD_REQUIRED) {
            reply_field_error(r, key, "'%s' is required", key);
            return -1;
        }
        return 1;
    }
    if (json_is_null(v)) {
        if (!(flags & FIELD_NULLABLE) || (flags & FIELD_REQUIRED)) {
            reply_field_error(r, key, "'%s' may not be null", key);
            return -1;
        }
        return 2;
    }
    return 0;
}

static void set_str(char **out, const char *v)
{
    free(*out);
    *out = v ? xstrdup(v) : NULL;
}

int field_str(struct req *r, json_t *obj, const char *key, unsigned flags, size_t maxlen,
              char **out)
{
    json_t *v = json_object_get(obj, key);
    int p = presence(r, v, key, flags);
    if (p)
        return p < 0 ? -1 : (p == 2 ? (set_str(out, NULL), 0) : 0);
    if (!json_is_string(v)) {
        reply_field_error(r, key, "'%s' must be a string", key);
        return -1;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) {
        reply_field_error(r, key, "'%s' may not contain NUL characters", key);
        return -1;
    }
    if (len > maxlen) {
        reply_field_error(r, key, "'%s' is longer than %zu bytes", key, maxlen);
        return -1;
    }
    if (strspn(s, " \t\r\n") == len) {
        if (flags & FIELD_NULLABLE && !(flags & FIELD_REQUIRED))
            return set_str(out, NULL), 0;
        reply_field_error(r, key, "'%s' may not be empty", key);
        return -1;
    }
    set_str(out, s);
    return 0;
}

int field_enum(struct req *r, json_t *obj, const char *key, unsigned flags,
               const char *const *allowed, char **out)
{
    json_t *v = json_object_get(obj, key);
    int p = presence(r, v, key, flags);
    if (p)
        return p < 0 ? -1 : (p == 2 ? (set_str(out, NULL), 0) : 0);
    const char *s = json_string_value(v);
    for (const char *const *a = allowed; s && *a; a++) {
        if (strcmp(*a, s) == 0)
            return set_str(out, s), 0;
    }
    struct buf list;
    buf_init(&list, 0);
    for (const char *const *a = allowed; *a; a++)
        buf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
    reply_field_error(r, key, "'%s' must be one of: %s", key, list.p);
    buf_free(&list);
    return -1;
}

int field_i64(struct req *r, json_t *obj, const char *key, unsigned flags, int64_t min,
              int64_t max, int64_t null_value, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    int p = presence(r, v, key, flags);
    if (p)
        return p < 0 ? -1 : (p == 2 ? (*out = null_value, 0) : 0);
    if (!json_is_integer(v)) {
        reply_field_error(r, key, "'%s' must be an integer", key);
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        reply_field_error(r, key, "'%s' must be between %lld and %lld", key, (long long)min,
                          (long long)max);
        return -1;
    }
    *out = n;
    return 0;
}

int field_bool(struct req *r, json_t *obj, const char *key, unsigned flags, bool *out)
{
    json_t *v = json_object_get(obj, key);
    int p = presence(r, v, key, flags & ~FIELD_NULLABLE);
    if (p)
        return p < 0 ? -1 : 0;
    if (!json_is_boolean(v)) {
        reply_field_error(r, key, "'%s' must be true or false", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

int field_date(struct req *r, json_t *obj, const char *key, unsigned flags, char **out)
{
    json_t *v = json_object_get(obj, key);
    int p = presence(r, v, key, flags);
    if (p)
        return p < 0 ? -1 : (p == 2 ? (set_str(out, NULL), 0) : 0);
    if (!json_is_string(v) || date_valid(json_string_value(v))) {
        reply_field_error(r, key, "'%s' must be a date YYYY-MM-DD", key);
        return -1;
    }
    set_str(out, json_string_value(v));
    return 0;
}

int field_time(struct req *r, json_t *obj, const char *key, unsigned flags, char out[static 21])
{
    json_t *v = json_object_get(obj, key);
    int p = presence(r, v, key, flags & ~FIELD_NULLABLE);
    if (p)
        return p < 0 ? -1 : 0;
    int64_t t;
    if (!json_is_string(v) || time_parse(json_string_value(v), &t)) {
        reply_field_error(r, key, "'%s' must be an RFC 3339 time, e.g. 2026-01-31T09:00:00Z", key);
        return -1;
    }
    time_format(t, out);
    return 0;
}

int field_object(struct req *r, json_t *obj, const char *key, unsigned flags, char **out)
{
    json_t *v = json_object_get(obj, key);
    int p = presence(r, v, key, flags);
    if (p)
        return p < 0 ? -1 : (p == 2 ? (set_str(out, "{}"), 0) : 0);
    if (!json_is_object(v)) {
        reply_field_error(r, key, "'%s' must be a JSON object", key);
        return -1;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    free(*out);
    *out = xstrdup(text);
    free(text);
    return 0;
}

int field_user_id(struct req *r, json_t *obj, const char *key, unsigned flags, int64_t *out)
{
    int64_t id = *out;
    if (field_i64(r, obj, key, flags, 1, INT64_MAX, 0, &id))
        return -1;
    if (id && id != *out) {
        struct user u = { 0 };
        int rc = store_user_get(store_get(), id, &u);
        bool disabled = u.disabled;
        user_cleanup(&u);
        if (rc == KZ_ENOTFOUND || (rc == KZ_OK && disabled)) {
            reply_field_error(r, key, "'%s': no enabled user has id %lld", key, (long long)id);
            return -1;
        }
        if (rc) {
            reply_rc(r, rc, "user lookup");
            return -1;
        }
    }
    *out = id;
    return 0;
}

json_t *json_str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

json_t *json_i64_or_null(int64_t v, int64_t null_value)
{
    return v == null_value ? json_null() : json_integer(v);
}
