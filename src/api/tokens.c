/*
 * /api/v1/tokens: personal API tokens. The secret ("kz_" + 256 random bits) is returned
 * once at creation; only its hash is stored. Users manage their own tokens; an admin sees
 * and may revoke everyone's.
 */
#include "api/api.h"
#include "api/fields.h"
#include "store/store.h"
#include "util/crypto.h"

#include <stdlib.h>
#include <string.h>

static json_t *token_json(const struct api_token *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "user_id", json_integer(t->user_id));
    json_object_set_new(o, "name", json_str_or_null(t->name));
    json_object_set_new(o, "prefix", json_str_or_null(t->prefix));
    json_object_set_new(o, "created_at", json_string(t->created_at));
    json_object_set_new(o, "last_used_at", json_str_or_null(t->last_used_at));
    json_object_set_new(o, "revoked_at", json_str_or_null(t->revoked_at));
    return o;
}

int api_tokens_list(struct req *r)
{
    struct api_token *v;
    size_t n;
    int64_t owner = r->user.role >= ROLE_ADMIN ? 0 : r->user.user_id;
    int rc = store_tokens_list(store_get(), owner, &v, &n);
    if (rc)
        return reply_rc(r, rc, "tokens");
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(data, token_json(&v[i]));
        api_token_cleanup(&v[i]);
    }
    free(v);
    return reply_list(r, data, NULL);
}

int api_tokens_create(struct req *r)
{
    static const char *const known[] = { "name", NULL };
    json_t *body = req_json(r);
    if (!body)
        return 0;
    struct api_token t = { .user_id = r->user.user_id };
    if (fields_known(r, body, known) || field_str(r, body, "name", FIELD_REQUIRED, 200, &t.name))
        goto out;
    char *secret = token_new("kz_");
    char hash[65];
    token_hash(secret, hash);
    t.prefix = xstrndup(secret, 8);
    int rc = store_token_create(store_get(), &t, hash);
    if (rc) {
        reply_rc(r, rc, "token");
    } else {
        json_t *o = token_json(&t);
        json_object_set_new(o, "token", json_string(secret));
        reply_json(r, 201, o);
    }
    secret_wipe(secret);
    free(secret);
out:
    api_token_cleanup(&t);
    return 0;
}

int api_tokens_delete(struct req *r)
{
    struct store *st = store_get();
    struct api_token t = { 0 };
    int rc = store_token_get(st, req_param_id(r, 0), &t);
    /* Someone else's token is "not found" to a non-admin: its existence is not theirs to know. */
    if (rc == KZ_OK && t.user_id != r->user.user_id && r->user.role < ROLE_ADMIN)
        rc = KZ_ENOTFOUND;
    if (rc == KZ_OK)
        rc = store_token_revoke(st, t.id);
    if (rc)
        reply_rc(r, rc, "token");
    else
        reply_empty(r);
    api_token_cleanup(&t);
    return 0;
}
