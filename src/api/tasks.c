/*
 * /api/v1/tasks: the CSMs' tasks (CTAs), each on an account, created by hand or by a
 * playbook. Role rule: a csm creates tasks on accounts it may write, and updates or deletes
 * a task when it may write the task's account or the task is assigned to it; admins may do
 * everything (viewers are stopped by the route table). The store keeps completed_at in step
 * with status.
 */
#include "api/api.h"
#include "util/util.h"
#include "api/fields.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const task_types[] = {"call", "meeting", "email", "review", "other", NULL};
static const char *const task_statuses[] = {"open", "done", "cancelled", NULL};

static const char *const task_known[] = {
    "account_id", "title", "assignee_id", "due_date", "type", "status", "source", "notes", NULL,
};

/* A new JSON object for t; the caller owns the reference. */
static json_t *task_json(const struct task *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "account_id", json_integer(t->account_id));
    json_object_set_new(o, "title", json_str_or_null(t->title));
    json_object_set_new(o, "assignee_id", json_i64_or_null(t->assignee_id, 0));
    json_object_set_new(o, "due_date", json_str_or_null(t->due_date));
    json_object_set_new(o, "type", json_str_or_null(t->type));
    json_object_set_new(o, "status", json_str_or_null(t->status));
    json_object_set_new(o, "completed_at", json_str_or_null(t->completed_at));
    json_object_set_new(o, "source", json_str_or_null(t->source));
    json_object_set_new(o, "notes", json_str_or_null(t->notes));
    json_object_set_new(o, "created_by", json_i64_or_null(t->created_by, 0));
    json_object_set_new(o, "created_at", json_string(t->created_at));
    json_object_set_new(o, "updated_at", json_string(t->updated_at));
    return o;
}

/* Applies the writable fields of body (other than account_id) to t with patch semantics;
 * required makes title required. Returns 0, or -1 after replying 400 naming the field. */
static int task_fields(struct req *r, json_t *body, unsigned required, struct task *t)
{
    if (field_str(r, body, "title", required, 500, &t->title) ||
        field_user_id(r, body, "assignee_id", FIELD_NULLABLE, &t->assignee_id) ||
        field_date(r, body, "due_date", FIELD_NULLABLE, &t->due_date) ||
        field_enum(r, body, "type", 0, task_types, &t->type) ||
        field_enum(r, body, "status", 0, task_statuses, &t->status) ||
        field_str(r, body, "source", 0, 200, &t->source) ||
        field_str(r, body, "notes", FIELD_NULLABLE, 100000, &t->notes))
        return -1;
    return 0;
}

/*
 * The write rule for an existing task: allowed when it is assigned to the caller, or when
 * the caller may write its account. Returns 0, or -1 after replying 403/404.
 */
static int task_writable(struct req *r, const struct task *t)
{
    if (t->assignee_id && t->assignee_id == r->user.user_id)
        return 0;
    return api_account_writable(r, t->account_id);
}

static int reply_task_rc(struct req *r, int rc, int64_t id)
{
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "task %lld not found", (long long)id);
    return reply_rc(r, rc, "task");
}

/* Parses the list filters of the query string into f. Returns 0, or -1 after replying 400
 * naming the parameter. */
static int task_filter_parse(struct req *r, struct task_filter *f)
{
    const char *assignee = req_query(r, "assignee");
    const char *account = req_query(r, "account_id");
    int64_t id;
    if (assignee) {
        if (strcmp(assignee, "me") == 0) {
            f->assignee_id = r->user.user_id > 0 ? r->user.user_id : -1;
        } else if (strcmp(assignee, "none") == 0) {
            f->assignee_id = -1;
        } else if (parse_i64(assignee, &id) == 0 && id > 0 && assignee[0] != '+') {
            f->assignee_id = id;
        } else {
            reply_field_error(r, "assignee", "assignee must be me, none or a user id");
            return -1;
        }
    }
    if (account) {
        if (parse_i64(account, &id) || id <= 0 || account[0] == '+') {
            reply_field_error(r, "account_id", "account_id must be an account id");
            return -1;
        }
        f->account_id = id;
    }
    f->status = req_query(r, "status");
    if (f->status && !str_in_list(f->status, task_statuses)) {
        reply_field_error(r, "status", "status must be one of open, done, cancelled");
        return -1;
    }
    f->type = req_query(r, "type");
    if (f->type && !str_in_list(f->type, task_types)) {
        reply_field_error(r, "type", "type must be one of call, meeting, email, review, other");
        return -1;
    }
    f->due_before = req_query(r, "due_before");
    if (f->due_before && date_valid(f->due_before)) {
        reply_field_error(r, "due_before", "due_before must be a date YYYY-MM-DD");
        return -1;
    }
    return 0;
}

/* GET /api/v1/tasks?assignee=me|none|<id>&status=&type=&account_id=&due_before=&limit=&cursor=
 * : by due date (undated last), then id. */
int api_tasks_list(struct req *r)
{
    int ret = 0;
    struct task_filter f = {0};
    char *cursor_value = NULL;
    struct task *v = NULL;
    size_t n = 0;
    if (task_filter_parse(r, &f) || api_limit(r, &f.limit) ||
        api_cursor(r, &f.has_cursor, &cursor_value, &f.cursor_id))
        goto out;
    /* The cursor's value is the last row's due date; empty when it had none. */
    if (f.has_cursor && cursor_value && *cursor_value) {
        if (date_valid(cursor_value)) {
            ret = reply_field_error(r, "cursor", "cursor is not valid");
            goto out;
        }
        f.cursor_due = cursor_value;
    }
    int rc = store_tasks_list(store_get(), &f, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "tasks");
        goto out;
    }
    bool more = n > (size_t)f.limit; /* the store returns one row past the page */
    size_t shown = more ? (size_t)f.limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, task_json(&v[i]));
    char *next = more ? api_cursor_encode(v[shown - 1].due_date, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    tasks_free(v, n);
    return ret;
}

/* POST /api/v1/tasks: 201 with the new task. The assignee defaults to the account's owner,
 * or the creator when the account has none. */
int api_tasks_create(struct req *r)
{
    int ret = 0;
    struct task t = {0};
    int64_t owner_id = 0;
    json_t *body = req_json(r);
    if (!body)
        goto out;
    if (fields_known(r, body, task_known) ||
        field_i64(r, body, "account_id", FIELD_REQUIRED, 1, INT64_MAX, 0, &t.account_id))
        goto out;
    int rc = store_account_owner(store_get(), t.account_id, &owner_id);
    if (rc == KZ_ENOTFOUND) {
        ret = reply_field_error(r, "account_id", "account %lld does not exist",
                                (long long)t.account_id);
        goto out;
    }
    if (rc) {
        ret = reply_rc(r, rc, "account");
        goto out;
    }
    if (api_account_writable(r, t.account_id))
        goto out;
    t.assignee_id = -1; /* absent: the default below; null: unassigned */
    if (task_fields(r, body, FIELD_REQUIRED, &t))
        goto out;
    if (t.assignee_id < 0)
        t.assignee_id = owner_id ? owner_id : r->user.user_id;
    t.created_by = r->user.user_id;
    rc = store_task_create(store_get(), &t);
    if (rc) {
        ret = reply_task_rc(r, rc, 0);
        goto out;
    }
    ret = reply_json(r, 201, task_json(&t));
out:
    task_cleanup(&t);
    return ret;
}

/* GET /api/v1/tasks/:id */
int api_tasks_get(struct req *r)
{
    int ret = 0;
    int64_t id = req_param_id(r, 0);
    struct task t = {0};
    if (!id)
        return reply_problem(r, 404, "task not found");
    int rc = store_task_get(store_get(), id, &t);
    if (rc) {
        ret = reply_task_rc(r, rc, id);
        goto out;
    }
    if (api_account_readable(r, t.account_id))
        goto out;
    ret = reply_json(r, 200, task_json(&t));
out:
    task_cleanup(&t);
    return ret;
}

/* PATCH /api/v1/tasks/:id: changes only the fields present; account_id cannot change. */
int api_tasks_update(struct req *r)
{
    int ret = 0;
    int64_t id = req_param_id(r, 0);
    struct task t = {0};
    json_t *body, *a;
    if (!id)
        return reply_problem(r, 404, "task not found");
    int rc = store_task_get(store_get(), id, &t);
    if (rc) {
        ret = reply_task_rc(r, rc, id);
        goto out;
    }
    if (task_writable(r, &t))
        goto out;
    if (!(body = req_json(r)))
        goto out;
    if (fields_known(r, body, task_known))
        goto out;
    a = json_object_get(body, "account_id");
    if (a && !(json_is_integer(a) && json_integer_value(a) == t.account_id)) {
        ret = reply_field_error(r, "account_id", "account_id of a task cannot be changed");
        goto out;
    }
    if (task_fields(r, body, 0, &t))
        goto out;
    rc = store_task_update(store_get(), &t);
    if (rc) {
        ret = reply_task_rc(r, rc, id);
        goto out;
    }
    ret = reply_json(r, 200, task_json(&t));
out:
    task_cleanup(&t);
    return ret;
}

/* DELETE /api/v1/tasks/:id: 204. */
int api_tasks_delete(struct req *r)
{
    int ret = 0;
    int64_t id = req_param_id(r, 0);
    struct task t = {0};
    if (!id)
        return reply_problem(r, 404, "task not found");
    int rc = store_task_get(store_get(), id, &t);
    if (rc) {
        ret = reply_task_rc(r, rc, id);
        goto out;
    }
    if (task_writable(r, &t))
        goto out;
    rc = store_task_delete(store_get(), id);
    if (rc) {
        ret = reply_task_rc(r, rc, id);
        goto out;
    }
    ret = reply_empty(r);
out:
    task_cleanup(&t);
    return ret;
}
