/*
 * /api/v1/accounts/:id/goals: the account's success plan (ROI). A goal has a baseline (the
 * Before, measured at onboarding), a target and a current value (the After); every change
 * of the current value is a measurement appended to the goal's history
 * (/goals/:gid/values), and the current value is always the latest measurement. Each goal
 * in a reply carries its attainment (journey/goals.h) and, when that is unknown, why.
 * Role rule as for contacts: reads need the account readable, writes need it writable
 * (csm: own or unassigned accounts; admin: all). Every write touches the account for the
 * scheduler, since the ROI component of its health depends on the goals.
 */
#include "api/api.h"
#include "api/fields.h"
#include "journey/goals.h"
#include "sched/sched.h"
#include "store/success.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const goal_statuses[] = {"active", "achieved", "missed", "cancelled", NULL};

static const char *const goal_known[] = {
    "title", "metric", "unit", "baseline", "target", "current", "due_date", "status", NULL,
};
static const char *const value_known[] = {"value", "measured_at", NULL};

/* How far in the future a measurement or an answer may be dated (clock skew). */
#define FUTURE_SKEW_SECONDS 300

/* A JSON number (integer or real) within +-GOAL_VALUE_MAX. *present says whether the field
 * was given; null is accepted when nullable (then *is_null). Returns 0, or -1 after
 * replying 400 naming the field. */
static int field_number(struct req *r, json_t *obj, const char *key, unsigned flags,
                        bool *present, bool *is_null, double *out)
{
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    *is_null = false;
    if (!v) {
        if (flags & FIELD_REQUIRED)
            return reply_field_error(r, key, "'%s' is required", key), -1;
        return 0;
    }
    if (json_is_null(v)) {
        if (!(flags & FIELD_NULLABLE) || (flags & FIELD_REQUIRED))
            return reply_field_error(r, key, "'%s' may not be null", key), -1;
        *is_null = true;
        return 0;
    }
    if (!json_is_number(v))
        return reply_field_error(r, key, "'%s' must be a number", key), -1;
    double d = json_number_value(v);
    if (!isfinite(d) || fabs(d) > GOAL_VALUE_MAX)
        return reply_field_error(r, key, "'%s' must be a number between -1e15 and 1e15", key),
               -1;
    *out = d;
    return 0;
}

/* A time at most FUTURE_SKEW_SECONDS ahead of now; field_time's rules otherwise. */
static int field_past_time(struct req *r, json_t *obj, const char *key, char out[static 21])
{
    if (field_time(r, obj, key, 0, out))
        return -1;
    int64_t t;
    if (out[0] && time_parse(out, &t) == 0 && t > now_unix() + FUTURE_SKEW_SECONDS)
        return reply_field_error(r, key, "'%s' may not be in the future", key), -1;
    return 0;
}

/* A new JSON object for g; the caller owns the reference. */
static json_t *goal_json(const struct goal *g)
{
    double att = 0;
    enum goal_attainment_status s =
        goal_attainment(g->has_baseline, g->baseline, g->target, g->has_current, g->current, &att);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(g->id));
    json_object_set_new(o, "account_id", json_integer(g->account_id));
    json_object_set_new(o, "title", json_str_or_null(g->title));
    json_object_set_new(o, "metric", json_str_or_null(g->metric));
    json_object_set_new(o, "unit", json_str_or_null(g->unit));
    json_object_set_new(o, "baseline", g->has_baseline ? json_real(g->baseline) : json_null());
    json_object_set_new(o, "target", json_real(g->target));
    json_object_set_new(o, "current", g->has_current ? json_real(g->current) : json_null());
    json_object_set_new(o, "due_date", json_str_or_null(g->due_date));
    json_object_set_new(o, "status", json_str_or_null(g->status));
    json_object_set_new(o, "attainment", s == GOAL_ATTAINMENT_OK ? json_real(att) : json_null());
    json_object_set_new(o, "attainment_unknown_reason",
                        json_str_or_null(goal_attainment_reason(s)));
    json_object_set_new(o, "created_at", json_string(g->created_at));
    json_object_set_new(o, "updated_at", json_string(g->updated_at));
    return o;
}

static json_t *value_json(const struct goal_value *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(v->id));
    json_object_set_new(o, "goal_id", json_integer(v->goal_id));
    json_object_set_new(o, "value", json_real(v->value));
    json_object_set_new(o, "measured_at", json_string(v->measured_at));
    json_object_set_new(o, "user_id", json_i64_or_null(v->user_id, 0));
    return o;
}

/*
 * Applies the writable fields of body to g with patch semantics (required: title, metric
 * and target must be present). *record_current is set when body sets `current`. Returns 0,
 * or -1 after replying 400 naming the field.
 */
static int goal_fields(struct req *r, json_t *body, unsigned required, struct goal *g,
                       bool *record_current)
{
    bool present, is_null;
    double d = 0;
    if (fields_known(r, body, goal_known) ||
        field_str(r, body, "title", required, 300, &g->title) ||
        field_str(r, body, "metric", required, 200, &g->metric) ||
        field_str(r, body, "unit", FIELD_NULLABLE, 50, &g->unit) ||
        field_date(r, body, "due_date", FIELD_NULLABLE, &g->due_date) ||
        field_enum(r, body, "status", 0, goal_statuses, &g->status))
        return -1;
    if (field_number(r, body, "baseline", FIELD_NULLABLE, &present, &is_null, &d))
        return -1;
    if (present) {
        g->has_baseline = !is_null;
        g->baseline = is_null ? 0 : d;
    }
    if (field_number(r, body, "target", required, &present, &is_null, &d))
        return -1;
    if (present)
        g->target = d;
    if (field_number(r, body, "current", 0, &present, &is_null, &d))
        return -1;
    *record_current = present;
    if (present) {
        g->current = d;
        g->has_current = true;
    }
    return 0;
}

static int reply_goal_rc(struct req *r, int rc, int64_t id)
{
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "goal %lld not found", (long long)id);
    return reply_rc(r, rc, "goal");
}

/* GET /api/v1/accounts/:id/goals?status=&limit=&cursor= : goals by id. */
int api_goals_list(struct req *r)
{
    static const char *const known[] = {"status", "limit", "cursor", NULL};
    int ret = 0, limit;
    int64_t account_id = req_param_id(r, 0), after_id = 0;
    bool has_cursor = false;
    char *cursor_value = NULL;
    struct goal *v = NULL;
    size_t n = 0;
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    const char *status = req_query(r, "status");
    if (status) {
        bool ok = false;
        for (size_t i = 0; goal_statuses[i] && !ok; i++)
            ok = strcmp(status, goal_statuses[i]) == 0;
        if (!ok)
            return reply_field_error(r, "status",
                                     "status must be one of active, achieved, missed, cancelled");
    }
    if (api_account_readable(r, account_id) || api_limit(r, &limit) ||
        api_cursor(r, &has_cursor, &cursor_value, &after_id))
        goto out;
    int rc = store_goals_list(store_get(), account_id, status, has_cursor ? after_id : 0, limit,
                              &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "goals");
        goto out;
    }
    bool more = n > (size_t)limit; /* the store returns one row past the page */
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, goal_json(&v[i]));
    char *next = more ? api_cursor_encode(NULL, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    goals_free(v, n);
    return ret;
}

/* POST /api/v1/accounts/:id/goals: 201 with the new goal; a `current` given is its first
 * measurement. */
int api_goals_create(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    struct goal g = {0};
    bool record = false;
    json_t *body;
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_writable(r, account_id))
        goto out;
    if (!(body = req_json(r)))
        goto out;
    if (goal_fields(r, body, FIELD_REQUIRED, &g, &record))
        goto out;
    g.account_id = account_id;
    int rc = store_goal_create(store_get(), &g, r->user.user_id);
    if (rc) {
        ret = reply_goal_rc(r, rc, 0);
        goto out;
    }
    sched_touch_account(account_id);
    ret = reply_json(r, 201, goal_json(&g));
out:
    goal_cleanup(&g);
    return ret;
}

/* Loads goal :gid of account :id into g, replying 404 when there is none. */
static int goal_load(struct req *r, int64_t account_id, int64_t id, struct goal *g)
{
    int rc = store_goal_get(store_get(), account_id, id, g);
    if (rc) {
        reply_goal_rc(r, rc, id);
        return -1;
    }
    return 0;
}

/* GET /api/v1/accounts/:id/goals/:gid */
int api_goals_get(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0), id = req_param_id(r, 1);
    struct goal g = {0};
    if (!account_id || !id)
        return reply_problem(r, 404, "goal not found");
    if (api_account_readable(r, account_id) || goal_load(r, account_id, id, &g))
        goto out;
    ret = reply_json(r, 200, goal_json(&g));
out:
    goal_cleanup(&g);
    return ret;
}

/* PATCH /api/v1/accounts/:id/goals/:gid: changes only the fields present; `current`
 * records a measurement taken now. */
int api_goals_update(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0), id = req_param_id(r, 1);
    struct goal g = {0};
    bool record = false;
    json_t *body;
    if (!account_id || !id)
        return reply_problem(r, 404, "goal not found");
    if (api_account_writable(r, account_id) || goal_load(r, account_id, id, &g))
        goto out;
    if (!(body = req_json(r)))
        goto out;
    if (goal_fields(r, body, 0, &g, &record))
        goto out;
    int rc = store_goal_update(store_get(), &g, record, r->user.user_id);
    if (rc) {
        ret = reply_goal_rc(r, rc, id);
        goto out;
    }
    sched_touch_account(account_id);
    ret = reply_json(r, 200, goal_json(&g));
out:
    goal_cleanup(&g);
    return ret;
}

/* DELETE /api/v1/accounts/:id/goals/:gid: 204 (its history goes with it). */
int api_goals_delete(struct req *r)
{
    int64_t account_id = req_param_id(r, 0), id = req_param_id(r, 1);
    if (!account_id || !id)
        return reply_problem(r, 404, "goal not found");
    if (api_account_writable(r, account_id))
        return 0;
    int rc = store_goal_delete(store_get(), account_id, id);
    if (rc)
        return reply_goal_rc(r, rc, id);
    sched_touch_account(account_id);
    return reply_empty(r);
}

/* GET /api/v1/accounts/:id/goals/:gid/values?limit=&cursor= : the measurements, oldest
 * first. */
int api_goal_values_list(struct req *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    int ret = 0, limit;
    int64_t account_id = req_param_id(r, 0), id = req_param_id(r, 1), after_id = 0;
    bool has_cursor = false;
    char *cursor_value = NULL;
    struct goal g = {0};
    struct goal_value *v = NULL;
    size_t n = 0;
    if (!account_id || !id)
        return reply_problem(r, 404, "goal not found");
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    if (api_account_readable(r, account_id) || api_limit(r, &limit) ||
        api_cursor(r, &has_cursor, &cursor_value, &after_id) ||
        goal_load(r, account_id, id, &g))
        goto out;
    int64_t t;
    if (has_cursor && time_parse(cursor_value, &t)) {
        ret = reply_field_error(r, "cursor", "'cursor' is not a cursor this server issued");
        goto out;
    }
    int rc = store_goal_values_list(store_get(), id, has_cursor ? cursor_value : NULL, after_id,
                                    limit, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "goal values");
        goto out;
    }
    bool more = n > (size_t)limit;
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, value_json(&v[i]));
    char *next = more ? api_cursor_encode(v[shown - 1].measured_at, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    free(v);
    goal_cleanup(&g);
    return ret;
}

/* POST /api/v1/accounts/:id/goals/:gid/values {"value", "measured_at"?}: 201 with the
 * measurement; the goal's current value becomes it when it is the latest. */
int api_goal_values_create(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0), id = req_param_id(r, 1);
    struct goal_value v = {0};
    bool present, is_null;
    json_t *body;
    double current = 0;
    if (!account_id || !id)
        return reply_problem(r, 404, "goal not found");
    if (api_account_writable(r, account_id))
        return 0;
    if (!(body = req_json(r)))
        return 0;
    time_format(now_unix(), v.measured_at);
    if (fields_known(r, body, value_known) ||
        field_number(r, body, "value", FIELD_REQUIRED, &present, &is_null, &v.value) ||
        field_past_time(r, body, "measured_at", v.measured_at))
        return 0;
    v.goal_id = id;
    v.user_id = r->user.user_id;
    int rc = store_goal_value_add(store_get(), account_id, &v, &current);
    if (rc)
        return reply_goal_rc(r, rc, id);
    sched_touch_account(account_id);
    json_t *o = value_json(&v);
    json_object_set_new(o, "goal_current", json_real(current));
    ret = reply_json(r, 201, o);
    return ret;
}
