/*
 * /api/v1/accounts/:id/timeline: the conversation history of an account (notes, meetings,
 * calls, emails, tickets, hand-offs), newest first, each with the contacts who took part.
 * The author is whoever created the entry; participants must be contacts of the account.
 */
#include "api/api.h"
#include "util/util.h"
#include "sched/sched.h"
#include "api/fields.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define TIMELINE_MAX_CONTACTS 100

const char *const api_timeline_types[] = {"note",   "meeting", "call", "email",
                                          "ticket", "handoff", NULL};

static const char *const entry_known[] = {
    "type", "occurred_at", "summary", "body", "contact_ids", NULL,
};

/* A new JSON object for e; the caller owns the reference. */
static json_t *entry_json(const struct timeline_entry *e)
{
    json_t *o = json_object();
    json_t *ids = json_array();
    for (size_t i = 0; i < e->ncontacts; i++)
        json_array_append_new(ids, json_integer(e->contact_ids[i]));
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "account_id", json_integer(e->account_id));
    json_object_set_new(o, "type", json_str_or_null(e->type));
    json_object_set_new(o, "author_id", json_i64_or_null(e->author_id, 0));
    json_object_set_new(o, "occurred_at", json_string(e->occurred_at));
    json_object_set_new(o, "summary", json_str_or_null(e->summary));
    /* body is a string in the contract (docs/openapi.yaml): "" when there is none */
    json_object_set_new(o, "body", json_string(e->body ? e->body : ""));
    json_object_set_new(o, "contact_ids", ids);
    json_object_set_new(o, "created_at", json_string(e->created_at));
    json_object_set_new(o, "updated_at", json_string(e->updated_at));
    return o;
}

/*
 * "contact_ids" with patch semantics: absent leaves e untouched, null or [] clears it, an
 * array of positive integers (at most TIMELINE_MAX_CONTACTS) replaces it. Whether they are
 * contacts of the account is checked by the store. Returns 0, or -1 after replying 400.
 */
static int field_contact_ids(struct req *r, json_t *body, struct timeline_entry *e)
{
    json_t *a = json_object_get(body, "contact_ids");
    size_t i;
    if (!a)
        return 0;
    if (json_is_null(a)) {
        free(e->contact_ids);
        e->contact_ids = NULL;
        e->ncontacts = 0;
        return 0;
    }
    if (!json_is_array(a)) {
        reply_field_error(r, "contact_ids", "contact_ids must be an array of contact ids");
        return -1;
    }
    if (json_array_size(a) > TIMELINE_MAX_CONTACTS) {
        reply_field_error(r, "contact_ids", "contact_ids may list at most %d contacts",
                          TIMELINE_MAX_CONTACTS);
        return -1;
    }
    for (i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            reply_field_error(r, "contact_ids", "contact_ids must be an array of contact ids");
            return -1;
        }
    }
    free(e->contact_ids);
    e->ncontacts = json_array_size(a);
    e->contact_ids = e->ncontacts ? xmalloc(e->ncontacts * sizeof(*e->contact_ids)) : NULL;
    for (i = 0; i < e->ncontacts; i++)
        e->contact_ids[i] = json_integer_value(json_array_get(a, i));
    return 0;
}

/* Applies the writable fields of body to e (patch semantics; required on create).
 * Returns 0, or -1 after replying 400 naming the field. */
static int entry_fields(struct req *r, json_t *body, unsigned required, struct timeline_entry *e)
{
    if (fields_known(r, body, entry_known) ||
        field_enum(r, body, "type", required, api_timeline_types, &e->type) ||
        field_str(r, body, "summary", required, 1000, &e->summary) ||
        field_str(r, body, "body", FIELD_NULLABLE, 100000, &e->body) ||
        field_time(r, body, "occurred_at", 0, e->occurred_at) || field_contact_ids(r, body, e))
        return -1;
    return 0;
}

/* Replies for a failed store write of an entry: a foreign contact is a 400 naming the
 * field, anything else maps through reply_rc. */
static int reply_entry_rc(struct req *r, int rc, int64_t id)
{
    if (rc == KZ_EINVAL)
        return reply_field_error(r, "contact_ids", "contact_ids must be contacts of this account");
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "timeline entry %lld not found", (long long)id);
    return reply_rc(r, rc, "timeline entry");
}

/* GET /api/v1/accounts/:id/timeline?type=&limit=&cursor= : newest first. */
int api_timeline_list(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    struct timeline_filter f = {0};
    char *cursor_value = NULL;
    struct timeline_entry *v = NULL;
    size_t n = 0;
    int64_t t;
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_readable(r, account_id) || api_limit(r, &f.limit) ||
        api_cursor(r, &f.has_cursor, &cursor_value, &f.cursor_id))
        goto out;
    f.account_id = account_id;
    f.type = req_query(r, "type");
    if (f.type && !str_in_list(f.type, api_timeline_types)) {
        ret = reply_field_error(r, "type",
                                "type must be one of note, meeting, call, email, "
                                "ticket, handoff");
        goto out;
    }
    if (f.has_cursor) {
        if (!cursor_value || strlen(cursor_value) != 20 || time_parse(cursor_value, &t)) {
            ret = reply_field_error(r, "cursor", "cursor is not valid");
            goto out;
        }
        memcpy(f.cursor_at, cursor_value, 21);
    }
    int rc = store_timeline_list(store_get(), &f, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "timeline");
        goto out;
    }
    bool more = n > (size_t)f.limit; /* the store returns one row past the page */
    size_t shown = more ? (size_t)f.limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, entry_json(&v[i]));
    char *next = more ? api_cursor_encode(v[shown - 1].occurred_at, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    timeline_entries_free(v, n);
    return ret;
}

/* POST /api/v1/accounts/:id/timeline: 201 with the new entry; the author is the caller. */
int api_timeline_create(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    struct timeline_entry e = {0};
    json_t *body;
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_writable(r, account_id))
        goto out;
    if (!(body = req_json(r)))
        goto out;
    if (entry_fields(r, body, FIELD_REQUIRED, &e))
        goto out;
    e.account_id = account_id;
    e.author_id = r->user.user_id;
    int rc = store_timeline_create(store_get(), &e);
    if (rc) {
        ret = reply_entry_rc(r, rc, 0);
        goto out;
    }
    sched_touch_account(account_id); /* touches count in the health score */
    ret = reply_json(r, 201, entry_json(&e));
out:
    timeline_entry_cleanup(&e);
    return ret;
}

/* GET /api/v1/accounts/:id/timeline/:eid */
int api_timeline_get(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    int64_t id = req_param_id(r, 1);
    struct timeline_entry e = {0};
    if (!account_id || !id)
        return reply_problem(r, 404, "timeline entry not found");
    if (api_account_readable(r, account_id))
        goto out;
    int rc = store_timeline_get(store_get(), account_id, id, &e);
    if (rc) {
        ret = reply_entry_rc(r, rc, id);
        goto out;
    }
    ret = reply_json(r, 200, entry_json(&e));
out:
    timeline_entry_cleanup(&e);
    return ret;
}

/* PATCH /api/v1/accounts/:id/timeline/:eid: changes only the fields present (contact_ids,
 * when present, replaces the participants). */
int api_timeline_update(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    int64_t id = req_param_id(r, 1);
    struct timeline_entry e = {0};
    json_t *body;
    if (!account_id || !id)
        return reply_problem(r, 404, "timeline entry not found");
    if (api_account_writable(r, account_id))
        goto out;
    int rc = store_timeline_get(store_get(), account_id, id, &e);
    if (rc) {
        ret = reply_entry_rc(r, rc, id);
        goto out;
    }
    if (!(body = req_json(r)))
        goto out;
    if (entry_fields(r, body, 0, &e))
        goto out;
    rc = store_timeline_update(store_get(), &e);
    if (rc) {
        ret = reply_entry_rc(r, rc, id);
        goto out;
    }
    sched_touch_account(account_id);
    ret = reply_json(r, 200, entry_json(&e));
out:
    timeline_entry_cleanup(&e);
    return ret;
}

/* DELETE /api/v1/accounts/:id/timeline/:eid: 204. */
int api_timeline_delete(struct req *r)
{
    int64_t account_id = req_param_id(r, 0);
    int64_t id = req_param_id(r, 1);
    if (!account_id || !id)
        return reply_problem(r, 404, "timeline entry not found");
    if (api_account_writable(r, account_id))
        return 0;
    int rc = store_timeline_delete(store_get(), account_id, id);
    if (rc)
        return reply_entry_rc(r, rc, id);
    sched_touch_account(account_id);
    return reply_empty(r);
}
