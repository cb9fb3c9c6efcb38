/*
 * The success journey: /api/v1/settings/lifecycle (the phases and milestones), an account's
 * journey (/api/v1/accounts/{id}/journey: current phase, overdue flags, milestones, phase
 * history, TTV), manual moves (/phase, with a reason), manual milestone completion and
 * reopening, and an on-demand evaluation of every account (/api/v1/journey/evaluate).
 * Role rule for account writes: csm on accounts it may write, admin any (api_account_writable).
 */
#include "api/api.h"
#include "store/usage.h"
#include "api/fields.h"
#include "journey/engine.h"
#include "journey/journey.h"
#include "journey/phase.h"
#include "sched/sched.h"
#include "store/journey.h"

#include <stdlib.h>
#include <string.h>

static const char *const no_query[] = { NULL };

/* 400 naming the first query parameter (none are taken). Returns -1 after replying. */
static int refuse_query(struct req *r)
{
    const char *unknown = req_query_unknown(r, no_query);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown), -1;
    return 0;
}

/* An optional JSON object body: NULL with *ok when empty; replies 400 when not an object. */
static json_t *optional_body(struct req *r, bool *ok)
{
    *ok = true;
    if (r->body.len == 0)
        return NULL;
    json_t *b = req_json(r);
    *ok = b != NULL;
    return b;
}

/* ------------------------------------------------------------ settings */

static int reply_lifecycle(struct req *r, const struct lifecycle *lc)
{
    return reply_json(r, 200, lifecycle_to_json(lc));
}

int api_settings_lifecycle_get(struct req *r)
{
    struct lifecycle lc;
    if (refuse_query(r))
        return 0;
    int rc = journey_lifecycle_load(store_get(), &lc);
    if (rc)
        return reply_rc(r, rc, "lifecycle settings");
    reply_lifecycle(r, &lc);
    lifecycle_cleanup(&lc);
    return 0;
}

int api_settings_lifecycle_put(struct req *r)
{
    struct lifecycle lc;
    char field[160], msg[320], *in_use = NULL;
    if (refuse_query(r))
        return 0;
    json_t *body = req_json(r);
    if (!body)
        return 0;
    if (lifecycle_parse(body, &lc, field, sizeof(field), msg, sizeof(msg)))
        return reply_field_error(r, field, "%s", msg);
    int rc = journey_lifecycle_save(store_get(), &lc, &in_use);
    if (rc == KZ_ECONFLICT && in_use)
        reply_conflict(r, "phases", "phase %s has accounts in it: move them to another phase "
                                    "before removing it", in_use);
    else if (rc)
        reply_rc(r, rc, "lifecycle settings");
    else {
        sched_request_full(); /* new criteria and phases: every journey and score again */
        reply_lifecycle(r, &lc);
    }
    free(in_use);
    lifecycle_cleanup(&lc);
    return 0;
}

/* ------------------------------------------------------------ the journey view */

static json_t *user_json(int64_t id, const char *name)
{
    if (!id)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "name", json_str_or_null(name));
    return o;
}

static const struct milestone_row *find_state(const struct journey_record *j, const char *key)
{
    for (size_t i = 0; i < j->nms; i++)
        if (strcmp(j->ms[i].milestone, key) == 0)
            return &j->ms[i];
    return NULL;
}

static json_t *milestone_json(const struct lc_milestone *m, const struct milestone_row *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(m->key));
    json_object_set_new(o, "label_ja", json_string(m->label_ja));
    json_object_set_new(o, "label_en", json_string(m->label_en));
    json_object_set_new(o, "required", json_boolean(m->required));
    json_object_set_new(o, "value", json_boolean(m->value));
    json_object_set_new(o, "criterion", lifecycle_criterion_json(&m->crit));
    json_object_set_new(o, "state", json_string(s ? s->state : "open"));
    json_object_set_new(o, "completed_at", json_str_or_null(s ? s->completed_at : NULL));
    json_object_set_new(o, "completed_by", json_str_or_null(s ? s->completed_by : NULL));
    json_object_set_new(o, "user", s ? user_json(s->user_id, s->user_name) : json_null());
    json_object_set_new(o, "detail", json_str_or_null(s ? s->detail : NULL));
    json_object_set_new(o, "updated_at", s ? json_string(s->updated_at) : json_null());
    return o;
}

static int64_t parse_t(const char *s, int64_t fallback)
{
    int64_t t;
    return s && time_parse(s, &t) == 0 ? t : fallback;
}

/* The journey JSON of an account (new reference). */
static json_t *journey_json(const struct lifecycle *lc, const struct journey_record *j)
{
    int64_t now = now_unix();
    json_t *o = json_object();
    json_object_set_new(o, "account_id", json_integer(j->account_id));

    int pi = lifecycle_phase_index(lc, j->phase);
    const struct lc_phase *cur = pi >= 0 ? &lc->phases[pi] : NULL;
    json_t *phase = json_object();
    json_object_set_new(phase, "key", json_str_or_null(j->phase));
    json_object_set_new(phase, "label_ja", json_str_or_null(cur ? cur->label_ja : NULL));
    json_object_set_new(phase, "label_en", json_str_or_null(cur ? cur->label_en : NULL));
    json_object_set_new(phase, "terminal", json_boolean(cur && cur->terminal));
    json_object_set_new(o, "phase", phase);
    int64_t days = journey_days(parse_t(j->phase_entered_at, now), now);
    int64_t expected = cur ? cur->expected_days : -1;
    bool overdue, overdue2;
    journey_overdue(days, expected, &overdue, &overdue2);
    json_object_set_new(o, "entered_at", json_str_or_null(j->phase_entered_at));
    json_object_set_new(o, "days_in_phase", json_integer(days));
    json_object_set_new(o, "expected_days", json_i64_or_null(expected, -1));
    json_object_set_new(o, "overdue", json_boolean(overdue));
    json_object_set_new(o, "overdue_2x", json_boolean(overdue2));

    json_t *phases = json_array();
    for (size_t p = 0; p < lc->nphases; p++) {
        const struct lc_phase *ph = &lc->phases[p];
        json_t *ms = json_array();
        size_t req = 0, req_done = 0;
        for (size_t k = 0; k < ph->nms; k++) {
            const struct milestone_row *s = find_state(j, ph->ms[k].key);
            json_array_append_new(ms, milestone_json(&ph->ms[k], s));
            if (ph->ms[k].required) {
                req++;
                req_done += s && strcmp(s->state, "complete") == 0;
            }
        }
        json_t *po = json_object();
        json_object_set_new(po, "key", json_string(ph->key));
        json_object_set_new(po, "label_ja", json_string(ph->label_ja));
        json_object_set_new(po, "label_en", json_string(ph->label_en));
        json_object_set_new(po, "expected_days", json_i64_or_null(ph->expected_days, -1));
        json_object_set_new(po, "terminal", json_boolean(ph->terminal));
        json_object_set_new(po, "current", json_boolean((int)p == pi));
        json_object_set_new(po, "required_total", json_integer((json_int_t)req));
        json_object_set_new(po, "required_complete", json_integer((json_int_t)req_done));
        json_object_set_new(po, "milestones", ms);
        json_array_append_new(phases, po);
    }
    json_object_set_new(o, "phases", phases);

    json_t *hist = json_array();
    for (size_t i = 0; i < j->nhistory; i++) {
        const struct phase_row *h = &j->history[i];
        int hi = lifecycle_phase_index(lc, h->phase);
        json_t *ho = json_object();
        json_object_set_new(ho, "phase", json_string(h->phase));
        json_object_set_new(ho, "label_ja", json_str_or_null(hi >= 0 ? lc->phases[hi].label_ja
                                                                     : NULL));
        json_object_set_new(ho, "label_en", json_str_or_null(hi >= 0 ? lc->phases[hi].label_en
                                                                     : NULL));
        json_object_set_new(ho, "entered_at", json_string(h->entered_at));
        json_object_set_new(ho, "left_at", json_str_or_null(h->left_at));
        int64_t in = parse_t(h->entered_at, now);
        json_object_set_new(ho, "days_spent",
                            json_integer(journey_days(in, parse_t(h->left_at, now))));
        json_object_set_new(ho, "moved_by", json_string(h->moved_by));
        json_object_set_new(ho, "user", user_json(h->user_id, h->user_name));
        json_object_set_new(ho, "reason", json_str_or_null(h->reason));
        json_array_append_new(hist, ho);
    }
    json_object_set_new(o, "history", hist);

    const struct lc_milestone *value = lifecycle_value_milestone(lc);
    json_t *ttv = json_object();
    int64_t ttv_days = 0;
    const char *why = NULL;
    if (!value)
        why = "no value milestone is configured";
    else if (!j->value_reached_at)
        why = "the value milestone is not complete yet";
    else if (!j->start_date)
        why = "the account has no subscription start date";
    else if (journey_ttv_days(j->start_date, j->value_reached_at, &ttv_days))
        why = "the dates cannot be read";
    json_object_set_new(ttv, "days", why ? json_null() : json_integer(ttv_days));
    json_object_set_new(ttv, "reason", json_str_or_null(why));
    json_object_set_new(ttv, "milestone", json_str_or_null(value ? value->key : NULL));
    json_object_set_new(ttv, "start_date", json_str_or_null(j->start_date));
    json_object_set_new(ttv, "value_reached_at", json_str_or_null(j->value_reached_at));
    json_object_set_new(o, "ttv", ttv);
    return o;
}

/* Replies with the journey of account id (status 200). */
static int reply_journey(struct req *r, int64_t id)
{
    struct lifecycle lc;
    struct journey_record j;
    int rc = journey_lifecycle_load(store_get(), &lc);
    if (rc)
        return reply_rc(r, rc, "lifecycle settings");
    rc = store_journey_get(store_get(), id, &j);
    if (rc == KZ_ENOTFOUND)
        reply_problem(r, 404, "account %lld not found", (long long)id);
    else if (rc)
        reply_rc(r, rc, "journey");
    else
        reply_json(r, 200, journey_json(&lc, &j));
    journey_record_cleanup(&j);
    lifecycle_cleanup(&lc);
    return 0;
}

int api_journey_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (refuse_query(r) || api_account_readable(r, id))
        return 0;
    return reply_journey(r, id);
}

/* ------------------------------------------------------------ manual changes */

int api_journey_move(struct req *r)
{
    static const char *const known[] = { "phase", "reason", NULL };
    struct lifecycle lc;
    char *phase = NULL, *reason = NULL;
    int64_t id = req_param_id(r, 0);
    if (refuse_query(r) || api_account_writable(r, id))
        return 0;
    json_t *body = req_json(r);
    if (!body || fields_known(r, body, known) ||
        field_str(r, body, "phase", FIELD_REQUIRED, LC_KEY_MAX, &phase) ||
        field_str(r, body, "reason", FIELD_REQUIRED, 2000, &reason))
        goto out_noload;
    int rc = journey_lifecycle_load(store_get(), &lc);
    if (rc) {
        reply_rc(r, rc, "lifecycle settings");
        goto out_noload;
    }
    if (lifecycle_phase_index(&lc, phase) < 0) {
        reply_field_error(r, "phase", "'phase' must be a phase of the lifecycle settings");
        goto out;
    }
    rc = journey_move_manual(store_get(), id, phase, r->user.user_id, reason);
    if (rc == KZ_ECONFLICT) {
        reply_conflict(r, "phase", "the account is already in phase %s", phase);
        goto out;
    }
    if (rc) {
        reply_rc(r, rc, "account");
        goto out;
    }
    sched_touch_account(id);
    reply_journey(r, id);
out:
    lifecycle_cleanup(&lc);
out_noload:
    free(phase);
    free(reason);
    return 0;
}

/* complete (true) or reopen (false) milestone :key of account :id by hand. */
static int milestone_change(struct req *r, bool complete)
{
    static const char *const known[] = { "note", NULL };
    struct lifecycle lc;
    char *note = NULL, state[10], now[21];
    int64_t id = req_param_id(r, 0);
    const char *key = r->nparams > 1 ? r->params[1] : NULL;
    bool ok;
    if (refuse_query(r) || api_account_writable(r, id))
        return 0;
    json_t *body = optional_body(r, &ok);
    if (!ok || (body && (fields_known(r, body, known) ||
                         field_str(r, body, "note", FIELD_NULLABLE, 2000, &note))))
        goto out_noload;
    int rc = journey_lifecycle_load(store_get(), &lc);
    if (rc) {
        reply_rc(r, rc, "lifecycle settings");
        goto out_noload;
    }
    const struct lc_milestone *m = key ? lifecycle_milestone(&lc, key, NULL) : NULL;
    if (!m) {
        reply_problem(r, 404, "milestone %.100s is not in the lifecycle settings",
                      key ? key : "");
        goto out;
    }
    rc = store_milestone_state(store_get(), id, m->key, state);
    if (rc && rc != KZ_ENOTFOUND) {
        reply_rc(r, rc, "milestone");
        goto out;
    }
    bool is_complete = rc == KZ_OK && strcmp(state, "complete") == 0;
    if (complete == is_complete) {
        reply_conflict(r, "key", "milestone %s is %s", m->key,
                       complete ? "already complete" : "not complete");
        goto out;
    }
    time_format(now_unix(), now);
    struct store *st = store_get();
    rc = store_begin(st);
    if (rc == KZ_OK) {
        if (complete)
            rc = store_milestone_complete(st, id, m->key, "manual", r->user.user_id, note, now,
                                          false, NULL);
        else
            rc = store_milestone_reopen(st, id, m->key, r->user.user_id, note, now);
        if (rc == KZ_OK && m->value)
            rc = store_value_reached_sync(st, id, m->key);
        if (rc)
            store_rollback(st);
        else
            rc = store_commit(st);
    }
    /* A completion may finish the phase: the account moves on now, not at the next pass. */
    if (rc == KZ_OK && complete)
        rc = journey_evaluate_account(st, id);
    if (rc) {
        reply_rc(r, rc, "milestone");
        goto out;
    }
    sched_touch_account(id);
    reply_journey(r, id);
out:
    lifecycle_cleanup(&lc);
out_noload:
    free(note);
    return 0;
}

int api_milestone_complete(struct req *r)
{
    return milestone_change(r, true);
}

int api_milestone_reopen(struct req *r)
{
    return milestone_change(r, false);
}

int api_journey_evaluate(struct req *r)
{
    static const char *const known[] = { NULL };
    struct journey_stats s;
    bool ok;
    if (refuse_query(r))
        return 0;
    json_t *body = optional_body(r, &ok);
    if (!ok || (body && fields_known(r, body, known)))
        return 0;
    store_usage_visible(); /* criteria on every event acknowledged so far */
    int rc = journey_evaluate(store_get(), 0, &s);
    if (rc)
        return reply_rc(r, rc, "journey evaluation");
    json_t *o = json_object();
    json_object_set_new(o, "accounts", json_integer(s.accounts));
    json_object_set_new(o, "milestones_completed", json_integer(s.milestones));
    json_object_set_new(o, "phase_changes", json_integer(s.moves));
    return reply_json(r, 200, o);
}
