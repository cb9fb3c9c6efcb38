/*
 * Playbook evaluation (evaluate.h): the grouped read, the pure decisions of playbook.c, and
 * the firing of actions with their run record. Firings are decided while the read runs and
 * carried out after it ends, in one transaction per playbook with a savepoint per firing (a
 * failing firing is rolled back alone and logged).
 */
#include "playbooks/evaluate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "journey/lifecycle.h"
#include "journey/phase.h"
#include "playbooks/segment_audience.h"
#include "segments/filter.h"
#include "store/segments.h"
#include "store/email.h"
#include "store/playbooks.h"
#include "util/util.h"

static pthread_mutex_t eval_lock = PTHREAD_MUTEX_INITIALIZER;

int playbook_from_rec(struct playbook_rec *r, struct playbook *p)
{
    memset(p, 0, sizeof(*p));
    p->id = r->id;
    p->name = r->name;
    r->name = NULL;
    p->enabled = r->enabled;
    p->cooldown_days = r->cooldown_days;
    memcpy(p->created_at, r->created_at, sizeof(p->created_at));
    memcpy(p->updated_at, r->updated_at, sizeof(p->updated_at));
    if (pb_load(p, r->audience, r->trigger, r->actions)) {
        log_warn("playbook %lld: stored JSON does not parse", (long long)r->id);
        return KZ_EINVAL;
    }
    return KZ_OK;
}

int playbook_load(struct store *st, int64_t id, struct playbook *p)
{
    struct playbook_rec r;
    memset(p, 0, sizeof(*p));
    int rc = store_playbook_get(st, id, &r);
    if (rc)
        return rc;
    rc = playbook_from_rec(&r, p);
    playbook_rec_cleanup(&r);
    return rc == KZ_EINVAL ? KZ_EDB : rc; /* what was stored is broken: the server's fault */
}

/* ------------------------------------------------------------ one firing */

struct hit {
    struct pb_candidate c; /* deep copy of the fields actions use */
    json_t *detail;
};

static void hit_free(struct hit *h)
{
    pb_candidate_cleanup(&h->c);
    json_decref(h->detail);
}

/* The placeholder values for a firing (flat keys, playbook.c's list); p and h may be NULL
 * (a preview of a template for an account c). */
json_t *playbook_vars(const struct playbook *p, const struct pb_candidate *c, json_t *detail)
{
    json_t *v = json_object();
    json_object_set_new(v, "account.id", json_integer(c->account_id));
    json_object_set_new(v, "account.name", json_string(c->name ? c->name : ""));
    json_object_set_new(v, "account.tier", json_string(c->tier ? c->tier : ""));
    json_object_set_new(v, "account.phase", json_string(c->phase ? c->phase : ""));
    json_object_set_new(v, "account.renewal_date",
                        json_string(c->renewal_date ? c->renewal_date : ""));
    if (c->health_score >= 0)
        json_object_set_new(v, "account.health_score", json_integer(c->health_score));
    json_object_set_new(v, "account.health_band", json_string(c->band ? c->band : ""));
    json_object_set_new(v, "account.owner", json_string(c->owner_name ? c->owner_name : ""));
    json_object_set_new(v, "owner.name", json_string(c->owner_name ? c->owner_name : ""));
    json_object_set_new(v, "owner.email", json_string(c->owner_email ? c->owner_email : ""));
    if (p) {
        json_object_set_new(v, "playbook.id", json_integer(p->id));
        json_object_set_new(v, "playbook.name", json_string(p->name ? p->name : ""));
    }
    if (c->health_score >= 0)
        json_object_set_new(v, "health.score", json_integer(c->health_score));
    json_object_set_new(v, "health.band", json_string(c->band ? c->band : ""));
    json_object_set_new(v, "renewal_date", json_string(c->renewal_date ? c->renewal_date : ""));
    json_t *sum = json_object_get(detail, "summary");
    json_object_set_new(v, "trigger", json_string(json_is_string(sum) ? json_string_value(sum)
                                                                      : ""));
    return v;
}

/* A copy of v with every string rendered. */
static json_t *render_json(json_t *v, json_t *vars)
{
    if (json_is_string(v)) {
        char *s = pb_render(json_string_value(v), vars);
        json_t *o = json_string(s);
        free(s);
        return o ? o : json_string("");
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) json_object_set_new(o, k, render_json(x, vars));
        return o;
    }
    if (json_is_array(v)) {
        json_t *o = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(o, render_json(x, vars));
        return o;
    }
    return json_deep_copy(v);
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *outcome_error(json_t *o, const char *msg)
{
    json_object_set_new(o, "status", json_string("error"));
    json_object_set_new(o, "error", json_string(msg));
    return o;
}

/* ------------------------------------------------------------ emails */

void outbound_key(char out[static OUTBOUND_KEY_MAX], int64_t playbook_id, int64_t account_id,
                  int64_t fired_at, size_t action, const char *recipient)
{
    snprintf(out, OUTBOUND_KEY_MAX, "pb%lld.a%lld.t%lld.x%zu%s%s", (long long)playbook_id,
             (long long)account_id, (long long)fired_at, action, recipient ? "." : "",
             recipient ? recipient : "");
}

int email_render(const char *subject, const char *body_text, const char *body_html, json_t *vars,
                 json_t *msg)
{
    char *sj = pb_render(subject, vars), *tx = pb_render(body_text, vars);
    /* A subject is one line: line breaks from values become spaces. */
    for (char *c = sj; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' ';
    json_object_set_new(msg, "subject", json_string(sj));
    json_object_set_new(msg, "body_text", json_string(tx));
    if (body_html) {
        char *ht = pb_render_html(body_html, vars);
        json_object_set_new(msg, "body_html", json_string(ht));
        free(ht);
    }
    free(sj);
    free(tx);
    return 0;
}

/* One recipient of a send_email action. */
struct rcpt {
    int64_t contact_id; /* 0 = the owner */
    const char *name, *email;
};

/* Queues one email per recipient of action a (index idx), each rendered with its contact;
 * fills the outcome o. Returns a kz_rc (database failures only). */
static int queue_emails(struct store *st, const struct playbook *p, const struct hit *h,
                        json_t *a, json_t *vars, int64_t now, size_t idx, json_t *o)
{
    const char *to = jstr(a, "to");
    struct contact *cs = NULL;
    size_t ncs = 0, nr = 0;
    struct email_template t = {0};
    int rc = KZ_OK;
    json_t *tid = json_object_get(a, "template_id");
    if (str_eq(to, "owner")) {
        ncs = 0;
    } else if ((rc = store_contacts_with_role(st, h->c.account_id, to + 5, &cs, &ncs))) {
        return rc;
    }
    struct rcpt *rs = xcalloc(ncs + 1, sizeof(*rs));
    if (str_eq(to, "owner")) {
        if (h->c.owner_email && email_valid(h->c.owner_email))
            rs[nr++] = (struct rcpt){0, h->c.owner_name, h->c.owner_email};
    } else {
        for (size_t i = 0; i < ncs; i++)
            if (email_valid(cs[i].email))
                rs[nr++] = (struct rcpt){cs[i].id, cs[i].name, cs[i].email};
    }
    if (nr == 0) {
        json_object_set_new(o, "status", json_string("skipped"));
        json_object_set_new(o, "error", json_string(str_eq(to, "owner")
                                                        ? "the account has no owner"
                                                        : "no contact with that role and "
                                                          "an e-mail address"));
        goto out;
    }
    if (tid) {
        rc = store_email_template_get(st, json_integer_value(tid), &t);
        if (rc == KZ_ENOTFOUND) {
            rc = KZ_OK;
            outcome_error(o, "the email template does not exist");
            goto out;
        }
        if (rc)
            goto out;
    }
    json_t *ids = json_array(), *addrs = json_array();
    for (size_t i = 0; i < nr && rc == KZ_OK; i++) {
        char key[OUTBOUND_KEY_MAX], who[32];
        json_t *cv = json_deep_copy(vars);
        json_object_set_new(cv, "contact.name", json_string(rs[i].name ? rs[i].name : ""));
        json_object_set_new(cv, "contact.email", json_string(rs[i].email));
        json_t *msg = json_pack("{s:[s]}", "to", rs[i].email);
        if (tid)
            email_render(t.subject, t.body_text, t.body_html, cv, msg);
        else
            email_render(jstr(a, "subject"), jstr(a, "body"), NULL, cv, msg);
        if (tid)
            json_object_set(msg, "template_id", tid);
        if (rs[i].contact_id)
            json_object_set_new(msg, "contact_id", json_integer(rs[i].contact_id));
        snprintf(who, sizeof(who), rs[i].contact_id ? "c%lld" : "owner",
                 (long long)rs[i].contact_id);
        outbound_key(key, p->id, h->c.account_id, now, idx, who);
        char *text = json_dumps(msg, JSON_COMPACT);
        int64_t id = 0;
        rc = store_outbound_add(st, "email", text, key, NULL, p->id, h->c.account_id, &id, NULL);
        if (rc == KZ_OK) {
            json_array_append_new(ids, json_integer(id));
            json_array_append_new(addrs, json_string(rs[i].email));
        }
        free(text);
        json_decref(msg);
        json_decref(cv);
    }
    if (rc == KZ_OK) {
        json_object_set_new(o, "status", json_string("queued"));
        json_object_set(o, "outbound_id", json_array_get(ids, 0));
        json_object_set(o, "outbound_ids", ids);
        json_object_set(o, "to", addrs);
    }
    json_decref(ids);
    json_decref(addrs);
out:
    email_template_cleanup(&t);
    contacts_free(cs, ncs);
    free(rs);
    return rc;
}

/* Runs action number idx; returns its outcome object, or NULL on a database failure (rc
 * set). */
static json_t *run_action(struct store *st, const struct playbook *p, const struct hit *h,
                          json_t *a, size_t idx, json_t *vars, int64_t now, int *rc)
{
    const char *type = jstr(a, "type");
    json_t *o = json_pack("{s:s}", "type", type);
    if (str_eq(type, "create_task")) {
        struct task t = {0};
        json_t *as = json_object_get(a, "assignee");
        char due[11];
        t.account_id = h->c.account_id;
        t.title = pb_render(jstr(a, "title"), vars);
        t.type = xstrdup(jstr(a, "task_type"));
        t.assignee_id = json_is_integer(as) ? json_integer_value(as) : h->c.owner_id;
        date_from_days(now / 86400 + json_integer_value(json_object_get(a, "due_in_days")), due);
        t.due_date = xstrdup(due);
        t.source = xasprintf("playbook:%lld", (long long)p->id);
        *rc = store_task_create(st, &t);
        if (*rc == KZ_ECONFLICT && t.assignee_id != h->c.owner_id) {
            /* The named user is gone: the task goes to the owner instead, and says so. */
            t.assignee_id = h->c.owner_id;
            json_object_set_new(o, "note", json_string("named assignee missing; owner used"));
            *rc = store_task_create(st, &t);
        }
        if (*rc == KZ_OK) {
            json_object_set_new(o, "status", json_string("done"));
            json_object_set_new(o, "task_id", json_integer(t.id));
        }
        task_cleanup(&t);
    } else if (str_eq(type, "set_field")) {
        struct account acc;
        const char *field = jstr(a, "field");
        json_t *val = json_object_get(a, "value");
        account_init(&acc);
        *rc = store_account_get(st, h->c.account_id, &acc);
        if (*rc == KZ_OK && str_eq(field, "tier")) {
            free(acc.tier_override);
            acc.tier_override = xstrdup(json_string_value(val));
        } else if (*rc == KZ_OK) {
            json_t *custom = json_loads(acc.custom ? acc.custom : "{}", 0, NULL);
            if (!json_is_object(custom)) {
                json_decref(custom);
                custom = json_object();
            }
            if (json_is_null(val))
                json_object_del(custom, field + 7);
            else
                json_object_set_new(custom, field + 7, render_json(val, vars));
            free(acc.custom);
            acc.custom = json_dumps(custom, JSON_COMPACT);
            json_decref(custom);
        }
        if (*rc == KZ_OK && (!acc.custom || strlen(acc.custom) > ACCOUNT_CUSTOM_MAX)) {
            outcome_error(o, "custom fields would exceed their size limit");
        } else if (*rc == KZ_OK && (*rc = store_account_update(st, &acc)) == KZ_OK) {
            json_object_set_new(o, "status", json_string("done"));
            json_object_set_new(o, "field", json_string(field));
            json_object_set(o, "value", val);
        }
        account_cleanup(&acc);
    } else if (str_eq(type, "call_webhook")) {
        json_t *body = render_json(json_object_get(a, "payload"), vars);
        json_t *msg = json_pack("{s:s, s:o}", "url", jstr(a, "url"), "body", body);
        char *text = json_dumps(msg, JSON_COMPACT);
        char key[OUTBOUND_KEY_MAX];
        int64_t id = 0;
        outbound_key(key, p->id, h->c.account_id, now, idx, NULL);
        *rc = store_outbound_add(st, "webhook", text, key, jstr(a, "secret"), p->id,
                                 h->c.account_id, &id, NULL);
        if (*rc == KZ_OK) {
            json_object_set_new(o, "status", json_string("queued"));
            json_object_set_new(o, "outbound_id", json_integer(id));
        }
        free(text);
        json_decref(msg);
    } else if (str_eq(type, "send_email")) {
        *rc = queue_emails(st, p, h, a, vars, now, idx, o);
    }
    if (*rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Fires p for h inside a savepoint: the actions, then the run. */
static int fire(struct store *st, const struct playbook *p, const struct hit *h, int64_t now)
{
    json_t *vars = playbook_vars(p, &h->c, h->detail);
    json_t *outcomes = json_array();
    int rc = store_begin(st);
    if (rc)
        goto out;
    size_t i;
    json_t *a;
    json_array_foreach(p->actions, i, a) {
        json_t *o = run_action(st, p, h, a, i, vars, now, &rc);
        if (!o)
            break;
        json_array_append_new(outcomes, o);
    }
    if (rc == KZ_OK) {
        struct playbook_run run = {0};
        run.playbook_id = p->id;
        run.account_id = h->c.account_id;
        time_format(now, run.fired_at);
        run.detail = json_dumps(h->detail, JSON_COMPACT);
        run.outcomes = json_dumps(outcomes, JSON_COMPACT);
        rc = store_playbook_run_add(st, &run);
        free(run.detail);
        free(run.outcomes);
    }
    if (rc)
        store_rollback(st);
    else
        rc = store_commit(st);
out:
    json_decref(vars);
    json_decref(outcomes);
    return rc;
}

/* ------------------------------------------------------------ evaluation */

struct eval_ctx {
    struct store *st;
    const struct playbook *p;
    const struct lifecycle *lc;
    int64_t now;
    const struct seg_node *audience; /* the audience segment's filter, or NULL */
    struct hit *hits;
    size_t n, cap;
    int rc;
};

/* Required milestones of phase key in lc still open given completed ('\n'-separated). */
static void overdue_facts(const struct lifecycle *lc, const struct pb_candidate *c,
                          struct pb_facts *f)
{
    f->expected_days = -1;
    f->open_required = 0;
    int pi = lc ? lifecycle_phase_index(lc, c->phase ? c->phase : "") : -1;
    if (pi < 0)
        return;
    const struct lc_phase *ph = &lc->phases[pi];
    f->expected_days = ph->expected_days;
    for (size_t j = 0; j < ph->nms; j++) {
        if (!ph->ms[j].required)
            continue;
        bool done = false;
        const char *s = c->completed;
        size_t kl = strlen(ph->ms[j].key);
        while (s && *s && !done) {
            const char *e = strchr(s, '\n');
            size_t l = e ? (size_t)(e - s) : strlen(s);
            done = l == kl && memcmp(s, ph->ms[j].key, kl) == 0;
            s = e ? e + 1 : NULL;
        }
        if (!done)
            f->open_required++;
    }
}

static int on_candidate(const struct pb_candidate *c, void *arg)
{
    struct eval_ctx *x = arg;
    const struct playbook *p = x->p;
    struct pb_facts f = {
        .band = c->band,
        .prev_band = c->prev_band,
        .phase = c->phase,
        .entered_at = c->entered_at,
        .last_fired_at = c->last_fired_at,
        .renewal_date = c->renewal_date,
        .last_seen_at = c->last_seen_at,
        .created_at = c->created_at,
        .nps_score = c->nps_score,
        .nps_at = c->nps_at,
        .count = c->count,
        .active_users = c->active_users,
        .seats = c->seats,
    };
    if (p->trigger.type == PB_MILESTONE_OVERDUE)
        overdue_facts(x->lc, c, &f);
    if (!pb_cooldown_over(c->last_fired_at, p->cooldown_days, x->now))
        return 0;
    json_t *detail = pb_trigger_fires(&p->trigger, &f, x->now);
    if (!detail)
        return 0;
    if (x->audience) { /* after the trigger: a query per account it fires for */
        bool member = false;
        if (store_segment_has(x->st, x->audience, c->account_id, &member) || !member) {
            json_decref(detail);
            return 0;
        }
    }
    if (x->n == x->cap)
        x->hits = xrealloc(x->hits, (x->cap = x->cap ? 2 * x->cap : 16) * sizeof(*x->hits));
    struct hit *h = &x->hits[x->n++];
    memset(h, 0, sizeof(*h));
    h->c.account_id = c->account_id;
    h->c.name = xstrdup(c->name);
    h->c.tier = xstrdup(c->tier);
    h->c.phase = xstrdup(c->phase);
    h->c.owner_id = c->owner_id;
    h->c.owner_name = xstrdup(c->owner_name);
    h->c.owner_email = xstrdup(c->owner_email);
    h->c.health_score = c->health_score;
    h->c.band = xstrdup(c->band);
    h->c.renewal_date = xstrdup(c->renewal_date);
    h->detail = detail;
    return 0;
}

/* Evaluates p over every account, or (scoped) over the accounts of the connection's scope
 * only (store_playbook_scope_set): the same reads, decisions, firings and run records. */
static int evaluate_locked(struct store *st, const struct playbook *p, bool scoped, bool preview,
                           json_t *hits, size_t *fired)
{
    struct lifecycle lc;
    bool have_lc = false;
    char since[21], from_day[11], to_day[11];
    struct eval_ctx x = {.st = st, .p = p, .now = now_unix()};
    struct seg_node *audience = NULL;
    const struct pb_trigger *t = &p->trigger;
    struct pb_query q = {.playbook_id = p->id,
                         .tier = p->audience_tier[0] ? p->audience_tier : NULL,
                         .scoped = scoped};
    int64_t today = x.now / 86400;
    size_t nfired = 0;
    int rc = KZ_OK;

    switch (t->type) {
    case PB_HEALTH_BAND_CHANGED:
        q.kind = PBQ_BAND;
        break;
    case PB_PHASE_ENTERED:
        q.kind = PBQ_PHASE;
        q.phase = t->phase;
        time_format(x.now - t->days * 86400, since);
        q.since = since;
        break;
    case PB_RENEWAL_WITHIN:
        q.kind = PBQ_RENEWAL;
        date_from_days(today, from_day);
        date_from_days(today + t->days, to_day);
        q.from_day = from_day;
        q.to_day = to_day;
        break;
    case PB_INACTIVE_FOR:
        q.kind = PBQ_INACTIVE;
        time_format(x.now - t->days * 86400, since);
        q.since = since;
        break;
    case PB_NPS_DETRACTOR:
        q.kind = PBQ_NPS;
        q.max_score = t->max_score;
        time_format(x.now - t->days * 86400, since);
        q.since = since;
        break;
    case PB_EVENT_SEEN:
        q.kind = PBQ_EVENT;
        q.event = t->event;
        date_from_days(today - t->window_days + 1, from_day);
        q.from_day = from_day;
        break;
    case PB_MILESTONE_OVERDUE:
        q.kind = PBQ_MILESTONES;
        if ((rc = journey_lifecycle_load(st, &lc)))
            return rc;
        have_lc = true;
        x.lc = &lc;
        break;
    case PB_SEATS_USED:
        q.kind = PBQ_SEATS;
        break;
    }
    if (p->audience_segment) {
        rc = playbook_audience_tree(st, p->audience_segment, &audience);
        if (rc == KZ_ENOTFOUND) /* the segment is gone: the playbook fires for nobody */
            rc = KZ_OK;
        else if (rc == KZ_OK)
            x.audience = audience;
        else
            goto out;
    }
    if (!p->audience_segment || x.audience)
        rc = store_playbook_candidates(st, &q, on_candidate, &x);
    if (rc)
        goto out;
    if (preview) {
        for (size_t i = 0; i < x.n; i++)
            json_array_append_new(hits, json_pack("{s:I, s:s?, s:O}", "account_id",
                                                  (json_int_t)x.hits[i].c.account_id,
                                                  "account_name", x.hits[i].c.name, "detail",
                                                  x.hits[i].detail));
        nfired = x.n;
        goto out;
    }
    if ((rc = store_begin(st)))
        goto out;
    for (size_t i = 0; i < x.n; i++) {
        int frc = fire(st, p, &x.hits[i], x.now);
        if (frc == KZ_OK)
            nfired++;
        else
            log_warn("playbook %lld: firing for account %lld failed (%d)", (long long)p->id,
                     (long long)x.hits[i].c.account_id, frc);
    }
    if (t->type == PB_HEALTH_BAND_CHANGED)
        rc = scoped ? store_playbook_bands_save_scoped(st, p->id)
                    : store_playbook_bands_save(st, p->id);
    if (rc)
        store_rollback(st);
    else
        rc = store_commit(st);
out:
    for (size_t i = 0; i < x.n; i++)
        hit_free(&x.hits[i]);
    free(x.hits);
    seg_node_free(audience);
    if (have_lc)
        lifecycle_cleanup(&lc);
    if (fired)
        *fired = nfired;
    return rc;
}

int playbook_evaluate(struct store *st, const struct playbook *p, bool preview, json_t *hits,
                      size_t *fired)
{
    pthread_mutex_lock(&eval_lock);
    int rc = evaluate_locked(st, p, false, preview, hits, fired);
    pthread_mutex_unlock(&eval_lock);
    return rc;
}

/* Evaluates every enabled playbook, over every account (ids NULL) or over the scope set
 * from ids. */
static int evaluate_enabled(struct store *st, const int64_t *ids, size_t nids, size_t *fired)
{
    struct playbook_rec *v = NULL;
    size_t n = 0, total = 0;
    int rc = store_playbooks_list(st, 0, 0, true, &v, &n);
    bool scoped = ids != NULL;
    if (rc == KZ_OK && scoped && n > 0) {
        /* Under the lock: the scope is this connection's, but one evaluation at a time. */
        pthread_mutex_lock(&eval_lock);
        rc = store_playbook_scope_set(st, ids, nids);
        pthread_mutex_unlock(&eval_lock);
    }
    for (size_t i = 0; i < n && rc == KZ_OK; i++) {
        struct playbook p;
        size_t k = 0;
        int lrc = playbook_from_rec(&v[i], &p); /* a broken one is logged and skipped */
        if (lrc == KZ_OK) {
            pthread_mutex_lock(&eval_lock);
            lrc = evaluate_locked(st, &p, scoped, false, NULL, &k);
            pthread_mutex_unlock(&eval_lock);
        }
        if (lrc && lrc != KZ_ENOTFOUND) {
            log_warn("playbook %lld not evaluated (%d)", (long long)v[i].id, lrc);
            if (lrc == KZ_EDB || lrc == KZ_EBUSY)
                rc = lrc;
        }
        total += k;
        playbook_cleanup(&p);
    }
    playbook_recs_free(v, n);
    if (fired)
        *fired = total;
    return rc;
}

int playbooks_evaluate_all(struct store *st, size_t *fired)
{
    return evaluate_enabled(st, NULL, 0, fired);
}

int playbooks_evaluate_accounts(struct store *st, const int64_t *ids, size_t n, size_t *fired)
{
    if (fired)
        *fired = 0;
    if (n == 0)
        return KZ_OK;
    return evaluate_enabled(st, ids, n, fired);
}
