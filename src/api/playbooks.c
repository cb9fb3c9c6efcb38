/*
 * /api/v1/playbooks: automated plays ("when this happens to these accounts, do this"), their
 * runs, preview and evaluation; /api/v1/outbound, the queue of webhooks and emails they
 * produce; /api/v1/settings/smtp, where emails go. Admins write, viewers read (the route
 * table). Validation lives in playbooks/playbook.c and names the JSON path of a bad value.
 */
#include "api/api.h"
#include "store/usage.h"
#include "store/segments.h"
#include "api/fields.h"
#include "playbooks/evaluate.h"
#include "playbooks/outbound.h"
#include "playbooks/segment_audience.h"
#include "store/email.h"
#include "store/playbooks.h"
#include "util/crypto.h"

#include <stdlib.h>
#include <string.h>

static int reply_pb_rc(struct req *r, int rc, int64_t id)
{
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "playbook %lld not found", (long long)id);
    return reply_rc(r, rc, "playbook");
}

/* Validates body into p (partial: PATCH). Returns 0, or -1 after replying 400. */
static int pb_body(struct req *r, json_t *body, struct playbook *p, bool partial)
{
    char field[200], msg[300];
    if (pb_parse(body, p, partial, field, sizeof(field), msg, sizeof(msg))) {
        reply_field_error(r, field, "%s", msg);
        return -1;
    }
    if (p->audience_segment) {
        struct segment seg = { 0 };
        int rc = store_segment_get(store_get(), p->audience_segment, &seg);
        segment_cleanup(&seg);
        if (rc == KZ_ENOTFOUND) {
            reply_field_error(r, "audience.segment_id", "segment %lld does not exist",
                              (long long)p->audience_segment);
            return -1;
        }
        if (rc)
            return reply_rc(r, rc, "segment"), -1;
    }
    /* A named assignee must be a user; a template must exist. */
    size_t i;
    json_t *a;
    json_array_foreach(p->actions, i, a) {
        json_t *tid = json_object_get(a, "template_id");
        if (json_is_integer(tid)) {
            struct email_template t;
            int rc = store_email_template_get(store_get(), json_integer_value(tid), &t);
            email_template_cleanup(&t);
            if (rc == KZ_ENOTFOUND) {
                snprintf(field, sizeof(field), "actions[%zu].template_id", i);
                reply_field_error(r, field, "'%s': email template %lld does not exist", field,
                                  (long long)json_integer_value(tid));
                return -1;
            }
            if (rc)
                return reply_rc(r, rc, "email template"), -1;
        }
        json_t *as = json_object_get(a, "assignee");
        if (json_is_integer(as)) {
            struct user u;
            int rc = store_user_get(store_get(), json_integer_value(as), &u);
            bool ok = rc == KZ_OK && !u.disabled;
            if (rc == KZ_OK)
                user_cleanup(&u);
            if (!ok) {
                snprintf(field, sizeof(field), "actions[%zu].assignee", i);
                reply_field_error(r, field, "'%s': user %lld does not exist or is disabled",
                                  field, (long long)json_integer_value(as));
                return -1;
            }
        }
    }
    return 0;
}

/* The API form of p for the caller: webhook secrets only for admins (who configure the
 * receivers); others see "secret_set": true instead. The caller owns it. */
static json_t *pb_json_for(struct req *r, const struct playbook *p)
{
    json_t *o = pb_to_json(p);
    if (r->user.role >= ROLE_ADMIN)
        return o;
    json_t *acts = json_deep_copy(json_object_get(o, "actions"));
    size_t i;
    json_t *a;
    json_array_foreach(acts, i, a) {
        if (json_object_get(a, "secret")) {
            json_object_del(a, "secret");
            json_object_set_new(a, "secret_set", json_true());
        }
    }
    json_object_set_new(o, "actions", acts ? acts : json_array());
    return o;
}

static void pb_to_rec(const struct playbook *p, struct playbook_rec *rec)
{
    rec->id = p->id;
    rec->name = p->name;
    rec->enabled = p->enabled;
    rec->audience = json_dumps(p->audience, JSON_COMPACT);
    rec->trigger = json_dumps(p->trigger_json, JSON_COMPACT);
    rec->actions = json_dumps(p->actions, JSON_COMPACT);
    rec->cooldown_days = p->cooldown_days;
}

static void rec_json_free(struct playbook_rec *rec)
{
    free(rec->audience);
    free(rec->trigger);
    free(rec->actions);
}

/* Adds runs_count and last_fired_at (null when it never fired) to the playbook object o;
 * left out when the statistics cannot be read. */
static void pb_add_run_stats(json_t *o, int64_t id)
{
    int64_t runs;
    char last[21];
    if (store_playbook_run_stats(store_get(), id, &runs, last))
        return;
    json_object_set_new(o, "runs_count", json_integer(runs));
    json_object_set_new(o, "last_fired_at", last[0] ? json_string(last) : json_null());
}

/* GET /api/v1/playbooks?limit=&cursor= : by id. */
int api_playbooks_list(struct req *r)
{
    int limit, ret = 0;
    bool has;
    char *cv = NULL;
    int64_t after = 0;
    struct playbook_rec *v = NULL;
    size_t n = 0;
    if (api_limit(r, &limit) || api_cursor(r, &has, &cv, &after))
        goto out;
    int rc = store_playbooks_list(store_get(), after, limit, false, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "playbooks");
        goto out;
    }
    bool more = n > (size_t)limit;
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++) {
        struct playbook p;
        playbook_from_rec(&v[i], &p); /* a broken one is listed with what parsed */
        json_t *o = pb_json_for(r, &p);
        pb_add_run_stats(o, p.id);
        json_array_append_new(data, o);
        playbook_cleanup(&p);
    }
    char *next = more ? api_cursor_encode(NULL, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cv);
    playbook_recs_free(v, n);
    return ret;
}

/* POST /api/v1/playbooks: 201 with the playbook. */
int api_playbooks_create(struct req *r)
{
    int ret = 0;
    struct playbook p;
    struct playbook_rec rec = {0};
    json_t *body = req_json(r);
    memset(&p, 0, sizeof(p));
    if (!body || pb_body(r, body, &p, false))
        goto out;
    pb_to_rec(&p, &rec);
    int rc = store_playbook_create(store_get(), &rec);
    if (rc) {
        ret = reply_rc(r, rc, "playbook");
        goto out;
    }
    p.id = rec.id;
    memcpy(p.created_at, rec.created_at, sizeof(p.created_at));
    memcpy(p.updated_at, rec.updated_at, sizeof(p.updated_at));
    json_t *created = pb_json_for(r, &p);
    pb_add_run_stats(created, p.id);
    ret = reply_json(r, 201, created);
out:
    rec_json_free(&rec);
    playbook_cleanup(&p);
    return ret;
}

/* GET /api/v1/playbooks/:id */
int api_playbooks_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct playbook p;
    if (!id)
        return reply_problem(r, 404, "playbook not found");
    int rc = playbook_load(store_get(), id, &p);
    json_t *o = rc ? NULL : pb_json_for(r, &p);
    if (o)
        pb_add_run_stats(o, id);
    int ret = rc ? reply_pb_rc(r, rc, id) : reply_json(r, 200, o);
    playbook_cleanup(&p);
    return ret;
}

/* PATCH /api/v1/playbooks/:id: changes only the fields present. */
int api_playbooks_update(struct req *r)
{
    int ret = 0;
    int64_t id = req_param_id(r, 0);
    struct playbook p;
    struct playbook_rec rec = {0};
    json_t *body;
    memset(&p, 0, sizeof(p));
    if (!id)
        return reply_problem(r, 404, "playbook not found");
    int rc = playbook_load(store_get(), id, &p);
    if (rc) {
        ret = reply_pb_rc(r, rc, id);
        goto out;
    }
    if (!(body = req_json(r)) || pb_body(r, body, &p, true))
        goto out;
    pb_to_rec(&p, &rec);
    rc = store_playbook_update(store_get(), &rec);
    if (rc) {
        ret = reply_pb_rc(r, rc, id);
        goto out;
    }
    memcpy(p.updated_at, rec.updated_at, sizeof(p.updated_at));
    json_t *updated = pb_json_for(r, &p);
    pb_add_run_stats(updated, id);
    ret = reply_json(r, 200, updated);
out:
    rec_json_free(&rec);
    playbook_cleanup(&p);
    return ret;
}

/* DELETE /api/v1/playbooks/:id: 204 (its runs go with it). */
int api_playbooks_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (!id)
        return reply_problem(r, 404, "playbook not found");
    int rc = store_playbook_delete(store_get(), id);
    return rc ? reply_pb_rc(r, rc, id) : reply_empty(r);
}

/* GET /api/v1/playbooks/:id/runs?limit=&cursor= : newest first. */
int api_playbook_runs(struct req *r)
{
    int64_t id = req_param_id(r, 0), before = 0;
    int limit, ret = 0;
    bool has;
    char *cv = NULL;
    struct playbook_rec rec;
    struct playbook_run *v = NULL;
    size_t n = 0;
    if (!id)
        return reply_problem(r, 404, "playbook not found");
    if (api_limit(r, &limit) || api_cursor(r, &has, &cv, &before))
        goto out;
    int rc = store_playbook_get(store_get(), id, &rec);
    if (rc) {
        ret = reply_pb_rc(r, rc, id);
        goto out;
    }
    playbook_rec_cleanup(&rec);
    if ((rc = store_playbook_runs_list(store_get(), id, has ? (before ? before : 1) : 0, limit,
                                       &v, &n))) {
        ret = reply_rc(r, rc, "playbook runs");
        goto out;
    }
    bool more = n > (size_t)limit;
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(v[i].id));
        json_object_set_new(o, "playbook_id", json_integer(v[i].playbook_id));
        json_object_set_new(o, "account_id", json_integer(v[i].account_id));
        json_object_set_new(o, "account_name", json_str_or_null(v[i].account_name));
        json_object_set_new(o, "fired_at", json_string(v[i].fired_at));
        json_t *d = json_loads(v[i].detail ? v[i].detail : "null", JSON_DECODE_ANY, NULL);
        json_t *oc = json_loads(v[i].outcomes ? v[i].outcomes : "[]", 0, NULL);
        json_object_set_new(o, "trigger", d ? d : json_null());
        json_object_set_new(o, "actions", oc ? oc : json_array());
        json_array_append_new(data, o);
    }
    char *next = more ? api_cursor_encode(NULL, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cv);
    playbook_runs_free(v, n);
    return ret;
}

/* POST /api/v1/playbooks/:id/preview: the accounts it would fire for now; fires nothing. */
int api_playbook_preview(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct playbook p;
    if (!id)
        return reply_problem(r, 404, "playbook not found");
    int rc = playbook_load(store_get(), id, &p);
    if (rc) {
        playbook_cleanup(&p);
        return reply_pb_rc(r, rc, id);
    }
    json_t *hits = json_array();
    size_t n = 0;
    rc = playbook_evaluate(store_get(), &p, true, hits, &n);
    playbook_cleanup(&p);
    if (rc) {
        json_decref(hits);
        return reply_rc(r, rc, "preview");
    }
    return reply_json(r, 200, json_pack("{s:o, s:I}", "data", hits, "count", (json_int_t)n));
}

/* POST /api/v1/playbooks/evaluate: every enabled playbook now. */
int api_playbooks_evaluate(struct req *r)
{
    size_t fired = 0;
    store_usage_visible(); /* triggers on every event acknowledged so far */
    int rc = playbooks_evaluate_all(store_get(), &fired);
    if (rc)
        return reply_rc(r, rc, "evaluation");
    outbound_wake();
    return reply_json(r, 200, json_pack("{s:I}", "fired", (json_int_t)fired));
}

/* GET /api/v1/outbound?status=pending|sent|failed&limit=&cursor= : newest first. */
int api_outbound_list(struct req *r)
{
    static const char *const known[] = {"status", "limit", "cursor", NULL};
    int limit, ret = 0;
    bool has;
    char *cv = NULL;
    int64_t before = 0;
    struct outbound_msg *v = NULL;
    size_t n = 0;
    const char *status = req_query(r, "status"), *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    if (status && !str_eq(status, "pending") && !str_eq(status, "sent") &&
        !str_eq(status, "failed"))
        return reply_field_error(r, "status", "status must be one of pending, sent, failed");
    if (api_limit(r, &limit) || api_cursor(r, &has, &cv, &before))
        goto out;
    int rc = store_outbound_list(store_get(), status, has ? (before ? before : 1) : 0, limit, &v,
                                 &n);
    if (rc) {
        ret = reply_rc(r, rc, "outbound");
        goto out;
    }
    bool more = n > (size_t)limit;
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++) {
        json_t *o = json_object();
        json_t *pl = json_loads(v[i].payload ? v[i].payload : "null", JSON_DECODE_ANY, NULL);
        json_object_set_new(o, "id", json_integer(v[i].id));
        json_object_set_new(o, "kind", json_string(v[i].kind));
        json_object_set_new(o, "payload", pl ? pl : json_null());
        json_object_set_new(o, "playbook_id", json_i64_or_null(v[i].playbook_id, 0));
        json_object_set_new(o, "account_id", json_i64_or_null(v[i].account_id, 0));
        json_object_set_new(o, "attempts", json_integer(v[i].attempts));
        json_object_set_new(o, "next_attempt_at", json_string(v[i].next_attempt_at));
        json_object_set_new(o, "status", json_string(v[i].status));
        json_object_set_new(o, "last_error", json_str_or_null(v[i].last_error));
        json_object_set_new(o, "created_at", json_string(v[i].created_at));
        json_object_set_new(o, "sent_at", json_str_or_null(v[i].sent_at));
        json_object_set_new(o, "idempotency_key", json_str_or_null(v[i].idempotency_key));
        json_array_append_new(data, o);
    }
    char *next = more ? api_cursor_encode(NULL, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cv);
    outbound_msgs_free(v, n);
    return ret;
}

/* ------------------------------------------------------------ SMTP settings */

/* GET /api/v1/settings/smtp: {"host","port","tls","user","from","password_set"} (nulls until
 * set). The password itself is never returned. */
int api_settings_smtp_get(struct req *r)
{
    char *text = NULL;
    int rc = store_setting_get(store_get(), "smtp", &text);
    if (rc && rc != KZ_ENOTFOUND)
        return reply_rc(r, rc, "SMTP settings");
    json_t *c = text ? json_loads(text, 0, NULL) : NULL;
    if (text)
        secret_wipe(text);
    free(text);
    json_t *o = json_object();
    static const char *const keys[] = {"host", "port", "tls", "user", "from", NULL};
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(c, keys[i]);
        json_object_set(o, keys[i], v ? v : json_null());
    }
    json_object_set_new(o, "password_set",
                        json_boolean(json_is_string(json_object_get(c, "password"))));
    json_decref(c);
    return reply_json(r, 200, o);
}

/* PUT /api/v1/settings/smtp {"host","port","tls","user","password","from"}: replaces the
 * settings; a body without "password" keeps the stored one, "password": null clears it. */
int api_settings_smtp_put(struct req *r)
{
    static const char *const known[] = {"host", "port", "tls", "user", "password", "from", NULL};
    static const char *const modes[] = {"none", "starttls", "tls", NULL};
    int ret = 0;
    char *host = NULL, *from = NULL, *tls = NULL, *user = NULL, *password = NULL, *old = NULL;
    int64_t port = 0;
    json_t *body = req_json(r), *o = NULL;
    if (!body || fields_known(r, body, known) ||
        field_str(r, body, "host", FIELD_REQUIRED, 253, &host) ||
        field_i64(r, body, "port", FIELD_REQUIRED, 1, 65535, 0, &port) ||
        field_enum(r, body, "tls", 0, modes, &tls) ||
        field_str(r, body, "user", FIELD_NULLABLE, 320, &user) ||
        field_str(r, body, "from", FIELD_REQUIRED, 254, &from))
        goto out;
    for (const char *c = host; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == ':' || *c == '_')) {
            ret = reply_field_error(r, "host", "'host' must be a host name or an IP address");
            goto out;
        }
    }
    if (!email_valid(from)) {
        ret = reply_field_error(r, "from", "'from' must be an e-mail address");
        goto out;
    }
    if (user && strpbrk(user, "\r\n")) {
        ret = reply_field_error(r, "user", "'user' must be one line");
        goto out;
    }
    json_t *pw = json_object_get(body, "password");
    if (pw && !json_is_null(pw) &&
        (!json_is_string(pw) || json_string_length(pw) < 1 || json_string_length(pw) > 1000 ||
         strlen(json_string_value(pw)) != json_string_length(pw))) {
        ret = reply_field_error(r, "password", "'password' must be a string of 1 to 1000 "
                                               "bytes, or null to clear it");
        goto out;
    }
    if (json_is_string(pw)) {
        password = xstrdup(json_string_value(pw));
    } else if (!pw) { /* absent: keep the stored one */
        int rc = store_setting_get(store_get(), "smtp", &old);
        json_t *c = rc == KZ_OK ? json_loads(old, 0, NULL) : NULL;
        const char *k = json_string_value(json_object_get(c, "password"));
        password = k ? xstrdup(k) : NULL;
        json_decref(c);
        if (rc && rc != KZ_ENOTFOUND) {
            ret = reply_rc(r, rc, "SMTP settings");
            goto out;
        }
    }
    o = json_pack("{s:s, s:I, s:s, s:s?, s:s?, s:s}", "host", host, "port", (json_int_t)port,
                  "tls", tls ? tls : "none", "user", user, "password", password, "from", from);
    char *text = json_dumps(o, JSON_COMPACT);
    int rc = store_setting_put(store_get(), "smtp", text);
    secret_wipe(text);
    free(text);
    if (rc) {
        ret = reply_rc(r, rc, "SMTP settings");
        goto out;
    }
    /* Emails that waited for these settings go now. */
    if ((rc = store_outbound_due_now(store_get(), "email")))
        log_warn("settings/smtp: queued emails stay scheduled (%d)", rc);
    outbound_wake();
    ret = api_settings_smtp_get(r);
out:
    json_decref(o);
    free(host);
    free(from);
    free(tls);
    free(user);
    if (password)
        secret_wipe(password);
    free(password);
    if (old)
        secret_wipe(old);
    free(old);
    return ret;
}
