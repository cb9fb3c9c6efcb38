/*
 * /api/v1/email-templates: the emails playbooks send (send_email's template_id), with
 * Mustache-style {{placeholders}} (playbooks/playbook.c's list) checked when saved, and a
 * preview that renders one for a real account. Admins write, everyone reads (the route
 * table); deleting a template a playbook uses is a 409 naming the playbook.
 */
#include "api/api.h"
#include "api/fields.h"
#include "playbooks/evaluate.h"
#include "store/email.h"
#include "store/playbooks.h"

#include <stdlib.h>
#include <string.h>

static const char *const et_known[] = {"name", "subject", "body_text", "body_html", NULL};

/* A new JSON object for t; the caller owns it. */
static json_t *et_json(const struct email_template *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "name", json_str_or_null(t->name));
    json_object_set_new(o, "subject", json_str_or_null(t->subject));
    json_object_set_new(o, "body_text", json_str_or_null(t->body_text));
    json_object_set_new(o, "body_html", json_str_or_null(t->body_html));
    json_object_set_new(o, "created_at", json_string(t->created_at));
    json_object_set_new(o, "updated_at", json_string(t->updated_at));
    return o;
}

static int reply_et_rc(struct req *r, int rc, int64_t id)
{
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "email template %lld not found", (long long)id);
    return reply_rc(r, rc, "email template");
}

/* Applies body to t (patch semantics; required on create) and checks the placeholders.
 * Returns 0, or -1 after replying 400 naming the field. */
static int et_fields(struct req *r, json_t *body, unsigned required, struct email_template *t)
{
    char msg[300];
    if (fields_known(r, body, et_known) || field_str(r, body, "name", required, 200, &t->name) ||
        field_str(r, body, "subject", required, 500, &t->subject) ||
        field_str(r, body, "body_text", required, 100000, &t->body_text) ||
        field_str(r, body, "body_html", FIELD_NULLABLE, 200000, &t->body_html))
        return -1;
    if (strpbrk(t->subject, "\r\n"))
        return reply_field_error(r, "subject", "'subject' must be one line"), -1;
    const char *names[] = {"subject", "body_text", "body_html"};
    const char *vals[] = {t->subject, t->body_text, t->body_html};
    for (size_t i = 0; i < 3; i++) {
        if (vals[i] && pb_check_template(names[i], vals[i], msg, sizeof(msg)))
            return reply_field_error(r, names[i], "%s", msg), -1;
    }
    return 0;
}

/* GET /api/v1/email-templates?limit=&cursor= : by id. */
int api_email_templates_list(struct req *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    int limit, ret = 0;
    bool has;
    char *cv = NULL;
    int64_t after = 0;
    struct email_template *v = NULL;
    size_t n = 0;
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    if (api_limit(r, &limit) || api_cursor(r, &has, &cv, &after))
        goto out;
    int rc = store_email_templates_list(store_get(), after, limit, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "email templates");
        goto out;
    }
    bool more = n > (size_t)limit;
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, et_json(&v[i]));
    char *next = more ? api_cursor_encode(NULL, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cv);
    email_templates_free(v, n);
    return ret;
}

/* POST /api/v1/email-templates: 201 with the new template. */
int api_email_templates_create(struct req *r)
{
    int ret = 0;
    struct email_template t = {0};
    json_t *body = req_json(r);
    if (!body || et_fields(r, body, FIELD_REQUIRED, &t))
        goto out;
    int rc = store_email_template_create(store_get(), &t);
    ret = rc ? reply_et_rc(r, rc, 0) : reply_json(r, 201, et_json(&t));
out:
    email_template_cleanup(&t);
    return ret;
}

/* GET /api/v1/email-templates/:id */
int api_email_templates_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct email_template t = {0};
    if (!id)
        return reply_problem(r, 404, "email template not found");
    int rc = store_email_template_get(store_get(), id, &t);
    int ret = rc ? reply_et_rc(r, rc, id) : reply_json(r, 200, et_json(&t));
    email_template_cleanup(&t);
    return ret;
}

/* PATCH /api/v1/email-templates/:id: changes the fields present. */
int api_email_templates_update(struct req *r)
{
    int ret = 0;
    int64_t id = req_param_id(r, 0);
    struct email_template t = {0};
    json_t *body;
    if (!id)
        return reply_problem(r, 404, "email template not found");
    int rc = store_email_template_get(store_get(), id, &t);
    if (rc) {
        ret = reply_et_rc(r, rc, id);
        goto out;
    }
    if (!(body = req_json(r)) || et_fields(r, body, 0, &t))
        goto out;
    rc = store_email_template_update(store_get(), &t);
    ret = rc ? reply_et_rc(r, rc, id) : reply_json(r, 200, et_json(&t));
out:
    email_template_cleanup(&t);
    return ret;
}

/* The first playbook with a send_email action using template id (*pb_id, *name: a heap copy
 * the caller frees), or none (*pb_id 0). Returns a kz_rc. */
static int template_user(int64_t id, int64_t *pb_id, char **name)
{
    struct playbook_rec *v = NULL;
    size_t n = 0;
    *pb_id = 0;
    *name = NULL;
    int rc = store_playbooks_list(store_get(), 0, 0, false, &v, &n);
    for (size_t i = 0; i < n && rc == KZ_OK && !*pb_id; i++) {
        json_t *acts = json_loads(v[i].actions ? v[i].actions : "[]", 0, NULL);
        size_t k;
        json_t *a;
        json_array_foreach(acts, k, a) {
            json_t *tid = json_object_get(a, "template_id");
            if (json_is_integer(tid) && json_integer_value(tid) == id &&
                str_eq(json_string_value(json_object_get(a, "type")), "send_email")) {
                *pb_id = v[i].id;
                *name = xstrdup(v[i].name ? v[i].name : "");
                break;
            }
        }
        json_decref(acts);
    }
    playbook_recs_free(v, n);
    return rc;
}

/* DELETE /api/v1/email-templates/:id: 204; 409 naming the playbook that uses it. */
int api_email_templates_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0), pb_id;
    char *name = NULL;
    if (!id)
        return reply_problem(r, 404, "email template not found");
    int rc = template_user(id, &pb_id, &name);
    if (rc)
        return reply_rc(r, rc, "playbooks");
    if (pb_id) {
        int ret = reply_problem(r, 409, "email template %lld is used by playbook %lld (%s)",
                                (long long)id, (long long)pb_id, name);
        free(name);
        return ret;
    }
    rc = store_email_template_delete(store_get(), id);
    return rc ? reply_et_rc(r, rc, id) : reply_empty(r);
}

/* POST /api/v1/email-templates/:id/preview {"account_id","contact_id"?}: the template
 * rendered for that account (and contact): {"subject","body_text","body_html","to"}. Sends
 * nothing. */
int api_email_template_preview(struct req *r)
{
    static const char *const known[] = {"account_id", "contact_id", NULL};
    int ret = 0;
    int64_t id = req_param_id(r, 0), account_id = 0, contact_id = 0;
    struct email_template t = {0};
    struct pb_candidate c = {0};
    struct contact ct = {0};
    json_t *vars = NULL, *o = NULL, *body;
    if (!id)
        return reply_problem(r, 404, "email template not found");
    if (!(body = req_json(r)) || fields_known(r, body, known) ||
        field_i64(r, body, "account_id", FIELD_REQUIRED, 1, INT64_MAX, 0, &account_id) ||
        field_i64(r, body, "contact_id", FIELD_NULLABLE, 1, INT64_MAX, 0, &contact_id))
        goto out;
    int rc = store_email_template_get(store_get(), id, &t);
    if (rc) {
        ret = reply_et_rc(r, rc, id);
        goto out;
    }
    rc = store_email_account(store_get(), account_id, &c);
    if (rc == KZ_ENOTFOUND) {
        ret = reply_field_error(r, "account_id", "account %lld does not exist",
                                (long long)account_id);
        goto out;
    }
    if (rc) {
        ret = reply_rc(r, rc, "account");
        goto out;
    }
    if (api_account_readable(r, account_id))
        goto out;
    vars = playbook_vars(NULL, &c, NULL);
    o = json_object();
    if (contact_id) {
        rc = store_contact_get(store_get(), account_id, contact_id, &ct);
        if (rc == KZ_ENOTFOUND) {
            ret = reply_field_error(r, "contact_id", "contact %lld is not a contact of account "
                                                     "%lld", (long long)contact_id,
                                    (long long)account_id);
            goto out;
        }
        if (rc) {
            ret = reply_rc(r, rc, "contact");
            goto out;
        }
        json_object_set_new(vars, "contact.name", json_string(ct.name ? ct.name : ""));
        json_object_set_new(vars, "contact.email", json_string(ct.email ? ct.email : ""));
        json_object_set_new(o, "to", json_str_or_null(ct.email));
    } else {
        json_object_set_new(o, "to", json_null());
    }
    email_render(t.subject, t.body_text, t.body_html, vars, o);
    if (!json_object_get(o, "body_html"))
        json_object_set_new(o, "body_html", json_null());
    ret = reply_json(r, 200, o);
    o = NULL;
out:
    json_decref(o);
    json_decref(vars);
    contact_cleanup(&ct);
    pb_candidate_cleanup(&c);
    email_template_cleanup(&t);
    return ret;
}
