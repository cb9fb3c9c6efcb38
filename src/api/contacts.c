/*
 * /api/v1/accounts/:id/contacts: the stakeholders of an account (decision maker, champion,
 * admin, user). Handlers parse and validate, call the store, and reply with JSON; reads
 * need the account to be readable, writes need it to be writable by the caller's role.
 */
#include "api/api.h"
#include "sched/sched.h"
#include "api/fields.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const contact_roles[] = {"decision_maker", "champion", "admin", "user", NULL};

static const char *const contact_known[] = {
    "name", "email", "title", "role", "phone", "external_user_id", "notes", NULL,
};

/* A new JSON object for c; the caller owns the reference. */
static json_t *contact_json(const struct contact *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "account_id", json_integer(c->account_id));
    json_object_set_new(o, "name", json_str_or_null(c->name));
    json_object_set_new(o, "email", json_str_or_null(c->email));
    json_object_set_new(o, "title", json_str_or_null(c->title));
    json_object_set_new(o, "role", json_str_or_null(c->role));
    json_object_set_new(o, "phone", json_str_or_null(c->phone));
    json_object_set_new(o, "external_user_id", json_str_or_null(c->external_user_id));
    json_object_set_new(o, "notes", json_str_or_null(c->notes));
    json_object_set_new(o, "created_at", json_string(c->created_at));
    json_object_set_new(o, "updated_at", json_string(c->updated_at));
    return o;
}

/*
 * Applies the writable fields of body to c (patch semantics; on create, flags makes name
 * required). Returns 0, or -1 after replying 400 naming the field.
 */
static int contact_fields(struct req *r, json_t *body, unsigned required, struct contact *c)
{
    if (fields_known(r, body, contact_known) ||
        field_str(r, body, "name", required, 200, &c->name) ||
        field_str(r, body, "email", FIELD_NULLABLE, 320, &c->email) ||
        field_str(r, body, "title", FIELD_NULLABLE, 200, &c->title) ||
        field_enum(r, body, "role", 0, contact_roles, &c->role) ||
        field_str(r, body, "phone", FIELD_NULLABLE, 50, &c->phone) ||
        field_str(r, body, "external_user_id", FIELD_NULLABLE, 200, &c->external_user_id) ||
        field_str(r, body, "notes", FIELD_NULLABLE, 100000, &c->notes))
        return -1;
    if (c->email && json_object_get(body, "email") && !email_valid(c->email)) {
        reply_field_error(r, "email", "email must be an address like name@example.com");
        return -1;
    }
    return 0;
}

/* GET /api/v1/accounts/:id/contacts?limit=&cursor= : contacts by id. */
int api_contacts_list(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    int limit;
    bool has_cursor = false;
    char *cursor_value = NULL;
    int64_t after_id = 0;
    struct contact *v = NULL;
    size_t n = 0;
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_readable(r, account_id) || api_limit(r, &limit) ||
        api_cursor(r, &has_cursor, &cursor_value, &after_id))
        goto out;
    int rc = store_contacts_list(store_get(), account_id, has_cursor ? after_id : 0, limit, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "contacts");
        goto out;
    }
    bool more = n > (size_t)limit; /* the store returns one row past the page */
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, contact_json(&v[i]));
    char *next = more ? api_cursor_encode(NULL, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    contacts_free(v, n);
    return ret;
}

/* POST /api/v1/accounts/:id/contacts: 201 with the new contact. */
int api_contacts_create(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    struct contact c = {0};
    json_t *body;
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_writable(r, account_id))
        goto out;
    if (!(body = req_json(r)))
        goto out;
    if (contact_fields(r, body, FIELD_REQUIRED, &c))
        goto out;
    c.account_id = account_id;
    int rc = store_contact_create(store_get(), &c);
    if (rc) {
        ret = reply_rc(r, rc, "contact");
        goto out;
    }
    sched_touch_account(account_id); /* a decision maker counts in the health score */
    ret = reply_json(r, 201, contact_json(&c));
out:
    contact_cleanup(&c);
    return ret;
}

/* GET /api/v1/accounts/:id/contacts/:cid */
int api_contacts_get(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    int64_t id = req_param_id(r, 1);
    struct contact c = {0};
    if (!account_id || !id)
        return reply_problem(r, 404, "contact not found");
    if (api_account_readable(r, account_id))
        goto out;
    int rc = store_contact_get(store_get(), account_id, id, &c);
    if (rc) {
        ret = rc == KZ_ENOTFOUND ? reply_problem(r, 404, "contact %lld not found", (long long)id)
                                 : reply_rc(r, rc, "contact");
        goto out;
    }
    ret = reply_json(r, 200, contact_json(&c));
out:
    contact_cleanup(&c);
    return ret;
}

/* PATCH /api/v1/accounts/:id/contacts/:cid: changes only the fields present. */
int api_contacts_update(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    int64_t id = req_param_id(r, 1);
    struct contact c = {0};
    json_t *body;
    if (!account_id || !id)
        return reply_problem(r, 404, "contact not found");
    if (api_account_writable(r, account_id))
        goto out;
    int rc = store_contact_get(store_get(), account_id, id, &c);
    if (rc) {
        ret = rc == KZ_ENOTFOUND ? reply_problem(r, 404, "contact %lld not found", (long long)id)
                                 : reply_rc(r, rc, "contact");
        goto out;
    }
    if (!(body = req_json(r)))
        goto out;
    if (contact_fields(r, body, 0, &c))
        goto out;
    rc = store_contact_update(store_get(), &c);
    if (rc) {
        ret = reply_rc(r, rc, "contact");
        goto out;
    }
    sched_touch_account(account_id);
    ret = reply_json(r, 200, contact_json(&c));
out:
    contact_cleanup(&c);
    return ret;
}

/* DELETE /api/v1/accounts/:id/contacts/:cid: 204. */
int api_contacts_delete(struct req *r)
{
    int64_t account_id = req_param_id(r, 0);
    int64_t id = req_param_id(r, 1);
    if (!account_id || !id)
        return reply_problem(r, 404, "contact not found");
    if (api_account_writable(r, account_id))
        return 0;
    int rc = store_contact_delete(store_get(), account_id, id);
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "contact %lld not found", (long long)id);
    if (rc)
        return reply_rc(r, rc, "contact");
    sched_touch_account(account_id);
    return reply_empty(r);
}
