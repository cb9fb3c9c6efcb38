/*
 * /api/v1/write-keys and /api/v1/ingest/errors (admins only). A write key is the credential
 * the customer's product sends with its tracking calls (the HTTP Basic user name of
 * /v1/batch, as with Segment). It ships inside that product, so it is public by design: it
 * is stored as it is and shown again in lists for the snippet; it can only write events,
 * and revoking it stops the tracking API from accepting it. Ingest errors are the
 * messages the tracking API refused, newest first, for an admin to see why.
 */
#include "api/api.h"
#include "api/fields.h"
#include "store/usage.h"

#include <stdlib.h>
#include <string.h>

/* A new JSON object for k; the caller owns the reference. */
static json_t *write_key_json(const struct write_key *k)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(k->id));
    json_object_set_new(o, "name", json_str_or_null(k->name));
    json_object_set_new(o, "key", json_str_or_null(k->key));
    json_object_set_new(o, "created_at", json_string(k->created_at));
    json_object_set_new(o, "revoked_at", json_str_or_null(k->revoked_at));
    return o;
}

/*
 * A JSON string of s (NULL gives null) that is valid UTF-8 whatever s holds: the writer
 * keeps a truncated copy of each refused message, and a cut may split a character, which
 * jansson would refuse. Bytes that do not form a character become '?'.
 */
static json_t *json_text_lossy(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s);
    if (utf8_valid(s, n))
        return json_stringn(s, n);
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len && i + len <= n && utf8_valid(s + i, len)) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            out[o++] = '?';
            i++;
        }
    }
    json_t *j = json_stringn(out, o);
    free(out);
    return j ? j : json_string("");
}

/* GET /api/v1/write-keys: every key, live and revoked, by id (one page). */
int api_write_keys_list(struct req *r)
{
    struct write_key *v;
    size_t n;
    int rc = store_write_keys_list(store_get(), &v, &n);
    if (rc)
        return reply_rc(r, rc, "write keys");
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, write_key_json(&v[i]));
    write_keys_free(v, n);
    return reply_list(r, data, NULL);
}

/* POST /api/v1/write-keys {"name"}: 201 with the new key. */
int api_write_keys_create(struct req *r)
{
    static const char *const known[] = { "name", NULL };
    int ret = 0;
    struct write_key k = { 0 };
    json_t *body = req_json(r);
    if (!body)
        return 0;
    if (fields_known(r, body, known) || field_str(r, body, "name", FIELD_REQUIRED, 200, &k.name))
        goto out;
    int rc = store_write_key_create(store_get(), &k);
    ret = rc ? reply_rc(r, rc, "write key") : reply_json(r, 201, write_key_json(&k));
out:
    write_key_cleanup(&k);
    return ret;
}

/* DELETE /api/v1/write-keys/:id: revokes the key (the row stays, for its events). 204. */
int api_write_keys_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (!id)
        return reply_problem(r, 404, "write key not found");
    int rc = store_write_key_revoke(store_get(), id);
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "write key %lld not found", (long long)id);
    if (rc)
        return reply_rc(r, rc, "write key");
    return reply_empty(r);
}

/* GET /api/v1/ingest/errors?limit=&cursor= : refused messages, newest first. */
int api_ingest_errors(struct req *r)
{
    int ret = 0;
    int limit;
    bool has_cursor = false;
    char *cursor_value = NULL;
    int64_t cursor_id = 0, t;
    struct ingest_error *v = NULL;
    size_t n = 0;
    if (api_limit(r, &limit) || api_cursor(r, &has_cursor, &cursor_value, &cursor_id))
        goto out;
    if (has_cursor && (!cursor_value || strlen(cursor_value) != 20 ||
                       time_parse(cursor_value, &t))) {
        ret = reply_field_error(r, "cursor", "'cursor' is not a cursor this server issued");
        goto out;
    }
    int rc = store_ingest_errors_list(store_get(), has_cursor, cursor_value, cursor_id, limit,
                                      &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "ingest errors");
        goto out;
    }
    bool more = n > (size_t)limit; /* the store returns one row past the page */
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(v[i].id));
        json_object_set_new(o, "write_key_id", json_i64_or_null(v[i].write_key_id, 0));
        json_object_set_new(o, "received_at", json_string(v[i].received_at));
        json_object_set_new(o, "reason", json_text_lossy(v[i].reason));
        json_object_set_new(o, "message", json_text_lossy(v[i].message));
        json_array_append_new(data, o);
    }
    char *next = more ? api_cursor_encode(v[shown - 1].received_at, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    ingest_errors_free(v, n);
    return ret;
}
