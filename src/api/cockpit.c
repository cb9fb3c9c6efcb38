/*
 * The CSM's day in three read-only routes (docs/cockpit.md):
 *   GET /api/v1/cockpit   my open tasks, my accounts at risk (red or falling fast), my
 *                         renewals within 90 days and recent activity on my accounts, with
 *                         counts; an admin may look at another user's (user_id=).
 *   GET /api/v1/activity  timeline entries across accounts, newest first, filtered by the
 *                         accounts' owner, the entry type, a start time and an account.
 *   GET /api/v1/team      every user's id, name and role (no e-mail), for every role, so that
 *                         the web app shows names instead of ids.
 * Everything is read from store/cockpit.c; any role may read (viewers own no accounts, so
 * their cockpit is mostly empty).
 */
#include "api/api.h"
#include "util/util.h"
#include "api/fields.h"
#include "store/cockpit.h"

#include <stdlib.h>
#include <string.h>

/* A positive id from the query parameter name into *id (untouched when absent). Returns 0,
 * or -1 after replying 400 naming it. */
static int query_id(struct req *r, const char *name, int64_t *id)
{
    const char *s = req_query(r, name);
    int64_t v;
    if (!s)
        return 0;
    if (parse_i64(s, &v) || v <= 0 || s[0] == '+') {
        reply_field_error(r, name, "'%s' must be a positive integer id", name);
        return -1;
    }
    *id = v;
    return 0;
}

/* The JSON form of an activity entry; the caller owns the reference. */
static json_t *activity_json(const struct activity_entry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "account_id", json_integer(e->account_id));
    json_object_set_new(o, "account_name", json_str_or_null(e->account_name));
    json_object_set_new(o, "type", json_str_or_null(e->type));
    json_object_set_new(o, "author_id", json_i64_or_null(e->author_id, 0));
    json_object_set_new(o, "author_name", json_str_or_null(e->author_name));
    json_object_set_new(o, "occurred_at", json_string(e->occurred_at));
    json_object_set_new(o, "summary", json_str_or_null(e->summary));
    json_object_set_new(o, "created_at", json_string(e->created_at));
    return o;
}

/* ------------------------------------------------------------ GET /api/v1/cockpit */

static json_t *cockpit_task_json(const struct cockpit_task *x, const char *today)
{
    const struct task *t = &x->t;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(t->id));
    json_object_set_new(o, "account_id", json_integer(t->account_id));
    json_object_set_new(o, "account_name", json_str_or_null(x->account_name));
    json_object_set_new(o, "title", json_str_or_null(t->title));
    json_object_set_new(o, "assignee_id", json_i64_or_null(t->assignee_id, 0));
    json_object_set_new(o, "due_date", json_str_or_null(t->due_date));
    json_object_set_new(o, "overdue", json_boolean(t->due_date && strcmp(t->due_date, today) < 0));
    json_object_set_new(o, "type", json_str_or_null(t->type));
    json_object_set_new(o, "status", json_str_or_null(t->status));
    json_object_set_new(o, "source", json_str_or_null(t->source));
    json_object_set_new(o, "notes", json_str_or_null(t->notes));
    json_object_set_new(o, "created_by", json_i64_or_null(t->created_by, 0));
    json_object_set_new(o, "created_at", json_string(t->created_at));
    json_object_set_new(o, "updated_at", json_string(t->updated_at));
    return o;
}

static json_t *risk_json(const struct cockpit_risk *x)
{
    json_t *o = json_object();
    json_t *reasons = json_array();
    if (x->red)
        json_array_append_new(reasons, json_string("red"));
    if (x->falling)
        json_array_append_new(reasons, json_string("falling"));
    json_object_set_new(o, "account_id", json_integer(x->account_id));
    json_object_set_new(o, "name", json_str_or_null(x->name));
    json_object_set_new(o, "tier", json_string(x->tier));
    json_object_set_new(o, "phase", json_str_or_null(x->phase));
    json_object_set_new(o, "score", json_integer(x->score));
    json_object_set_new(o, "band", json_string(x->band));
    json_object_set_new(o, "score_7d_ago", json_i64_or_null(x->score_before, -1));
    json_object_set_new(o, "change_7d",
                        x->score_before >= 0 ? json_integer(x->score - x->score_before)
                                             : json_null());
    json_object_set_new(o, "reasons", reasons);
    json_object_set_new(o, "falling", json_boolean(x->falling));
    json_object_set_new(o, "weakest_component",
                        x->weakest[0] ? json_pack("{s:s, s:i}", "component", x->weakest, "score",
                                                  x->weakest_score)
                                      : json_null());
    json_object_set_new(o, "arr", x->mrr >= 0 ? json_integer(x->mrr * 12) : json_null());
    json_object_set_new(o, "currency", x->mrr >= 0 ? json_string(x->currency) : json_null());
    return o;
}

static json_t *renewal_json(const struct cockpit_renewal *x, int64_t today)
{
    int64_t d = date_to_days(x->renewal_date);
    json_t *o = json_object();
    json_object_set_new(o, "account_id", json_integer(x->account_id));
    json_object_set_new(o, "name", json_str_or_null(x->name));
    json_object_set_new(o, "tier", json_string(x->tier));
    json_object_set_new(o, "phase", json_str_or_null(x->phase));
    json_object_set_new(o, "renewal_date", json_string(x->renewal_date));
    json_object_set_new(o, "days_left", json_integer(d - today));
    json_object_set_new(o, "arr", json_integer(x->mrr * 12));
    json_object_set_new(o, "mrr", json_integer(x->mrr));
    json_object_set_new(o, "currency", json_string(x->currency));
    json_object_set_new(o, "status", json_string(x->status));
    json_object_set_new(o, "auto_renew", json_boolean(x->auto_renew));
    json_object_set_new(o, "score", json_i64_or_null(x->score, -1));
    json_object_set_new(o, "band", x->band[0] ? json_string(x->band) : json_null());
    return o;
}

/* GET /api/v1/cockpit?user_id=&limit= : limit caps each list (default 50); counts are the
 * totals. user_id (admins only) shows another user's cockpit. */
int api_cockpit_get(struct req *r)
{
    static const char *const known[] = {"user_id", "limit", NULL};
    int ret = 0, rc, limit;
    int64_t user_id = r->user.user_id, today, naccounts = 0;
    int64_t risk_total = 0, risk_red = 0, risk_falling = 0, renewal_total = 0;
    struct user u = {0};
    struct cockpit_task *tasks = NULL;
    struct cockpit_risk *risks = NULL;
    struct cockpit_renewal *renewals = NULL;
    struct activity_entry *acts = NULL;
    size_t ntasks = 0, nrisks = 0, nrenewals = 0, nacts = 0;
    struct cockpit_task_counts tc = {0};
    struct store *st = store_get();
    char d0[11], d7[11], d90[11];

    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    if (query_id(r, "user_id", &user_id) || api_limit(r, &limit))
        return 0;
    if (user_id != r->user.user_id && r->user.role != ROLE_ADMIN)
        return reply_problem(r, 403, "only an admin may see another user's cockpit");
    if (user_id <= 0)
        return reply_problem(r, 403, "the cockpit needs a user");
    rc = store_user_get(st, user_id, &u);
    if (rc == KZ_ENOTFOUND)
        return reply_field_error(r, "user_id", "user %lld does not exist", (long long)user_id);
    if (rc)
        return reply_rc(r, rc, "user");

    today = now_unix() / 86400;
    date_from_days(today, d0);
    date_from_days(today - COCKPIT_FALLING_DAYS, d7);
    date_from_days(today + COCKPIT_RENEWAL_DAYS, d90);
    char since[21];
    time_format(now_unix() - COCKPIT_ACTIVITY_DAYS * 86400, since);
    struct activity_filter af = {.owner_id = user_id, .since = since, .limit = limit};
    if ((rc = store_cockpit_tasks(st, user_id, d0, limit, &tasks, &ntasks, &tc)) ||
        (rc = store_cockpit_at_risk(st, user_id, d0, d7, limit, &risks, &nrisks, &risk_total,
                                    &risk_red, &risk_falling)) ||
        (rc = store_cockpit_renewals(st, user_id, d0, d90, limit, &renewals, &nrenewals,
                                     &renewal_total)) ||
        (rc = store_cockpit_accounts(st, user_id, &naccounts)) ||
        (rc = store_activity_list(st, &af, &acts, &nacts))) {
        ret = reply_rc(r, rc, "cockpit");
        goto out;
    }
    if (nacts > (size_t)limit) /* the list returns one past the page */
        nacts = (size_t)limit;

    json_t *o = json_object();
    json_object_set_new(o, "user", json_pack("{s:I, s:s?, s:s}", "id", (json_int_t)u.id, "name",
                                             u.name, "role", role_name(u.role)));
    json_object_set_new(o, "date", json_string(d0));
    json_object_set_new(
        o, "counts",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "accounts", (json_int_t)naccounts,
                  "tasks_open", (json_int_t)tc.open, "tasks_overdue", (json_int_t)tc.overdue,
                  "tasks_due_today", (json_int_t)tc.due_today, "at_risk",
                  (json_int_t)risk_total, "red", (json_int_t)risk_red, "falling",
                  (json_int_t)risk_falling, "renewals", (json_int_t)renewal_total));
    json_t *a = json_array();
    for (size_t i = 0; i < ntasks; i++)
        json_array_append_new(a, cockpit_task_json(&tasks[i], d0));
    json_object_set_new(o, "tasks", a);
    a = json_array();
    for (size_t i = 0; i < nrisks; i++)
        json_array_append_new(a, risk_json(&risks[i]));
    json_object_set_new(o, "at_risk", a);
    a = json_array();
    for (size_t i = 0; i < nrenewals; i++)
        json_array_append_new(a, renewal_json(&renewals[i], today));
    json_object_set_new(o, "renewals", a);
    a = json_array();
    for (size_t i = 0; i < nacts; i++)
        json_array_append_new(a, activity_json(&acts[i]));
    json_object_set_new(o, "activity", a);
    ret = reply_json(r, 200, o);
out:
    user_cleanup(&u);
    cockpit_tasks_free(tasks, ntasks);
    cockpit_risks_free(risks, nrisks);
    cockpit_renewals_free(renewals, nrenewals);
    activity_entries_free(acts, nacts);
    return ret;
}

/* ------------------------------------------------------------ GET /api/v1/activity */

/* GET /api/v1/activity?owner=me|none|<id>&type=&since=&account_id=&limit=&cursor= */
int api_activity_list(struct req *r)
{
    static const char *const known[] = {"owner", "type", "since", "account_id", "limit",
                                        "cursor", NULL};
    int ret = 0;
    struct activity_filter f = {0};
    char *cursor_value = NULL;
    struct activity_entry *v = NULL;
    size_t n = 0;
    int64_t t;
    char since[21];

    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    const char *owner = req_query(r, "owner");
    if (owner) {
        if (strcmp(owner, "me") == 0) {
            f.owner_id = r->user.user_id > 0 ? r->user.user_id : -1;
        } else if (strcmp(owner, "none") == 0) {
            f.owner_id = -1;
        } else if (parse_i64(owner, &f.owner_id) || f.owner_id <= 0 || owner[0] == '+') {
            return reply_field_error(r, "owner", "owner must be me, none or a user id");
        }
    }
    f.type = req_query(r, "type");
    if (f.type && !str_in_list(f.type, api_timeline_types))
        return reply_field_error(r, "type",
                                 "type must be one of note, meeting, call, email, ticket, "
                                 "handoff");
    const char *s = req_query(r, "since");
    if (s) {
        /* A date means its midnight UTC; otherwise an RFC 3339 time. */
        char *tmp = date_valid(s) == 0 ? xasprintf("%sT00:00:00Z", s) : xstrdup(s);
        int bad = time_parse(tmp, &t);
        free(tmp);
        if (bad)
            return reply_field_error(r, "since", "since must be a date or an RFC 3339 time");
        time_format(t, since);
        f.since = since;
    }
    if (query_id(r, "account_id", &f.account_id) || api_limit(r, &f.limit) ||
        api_cursor(r, &f.has_cursor, &cursor_value, &f.cursor_id))
        goto out;
    if (f.has_cursor) {
        if (!cursor_value || strlen(cursor_value) != 20 || time_parse(cursor_value, &t)) {
            ret = reply_field_error(r, "cursor", "cursor is not valid");
            goto out;
        }
        memcpy(f.cursor_at, cursor_value, 21);
    }
    int rc = store_activity_list(store_get(), &f, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "activity");
        goto out;
    }
    bool more = n > (size_t)f.limit;
    size_t shown = more ? (size_t)f.limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, activity_json(&v[i]));
    char *next = more ? api_cursor_encode(v[shown - 1].occurred_at, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    activity_entries_free(v, n);
    return ret;
}

/* ------------------------------------------------------------ GET /api/v1/team */

/* GET /api/v1/team?limit=&cursor= : users by id, with id, name, role and disabled only. */
int api_team_list(struct req *r)
{
    static const char *const known[] = {"limit", "cursor", NULL};
    int ret = 0, limit;
    bool has = false;
    char *cursor_value = NULL;
    int64_t after = 0;
    struct team_member *v = NULL;
    size_t n = 0;
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    if (api_limit(r, &limit) || api_cursor(r, &has, &cursor_value, &after))
        goto out;
    int rc = store_team_list(store_get(), has ? after : 0, limit, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "team");
        goto out;
    }
    bool more = n > (size_t)limit;
    size_t shown = more ? (size_t)limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, json_pack("{s:I, s:s?, s:s, s:b}", "id", (json_int_t)v[i].id,
                                              "name", v[i].name, "role", role_name(v[i].role),
                                              "disabled", v[i].disabled));
    char *next = more ? api_cursor_encode(NULL, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    team_members_free(v, n);
    return ret;
}
