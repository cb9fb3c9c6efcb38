/*
 * The phase engine on top of the store: the lifecycle settings in force, the transition
 * function every phase change goes through, churn and reactivation with subscription changes,
 * and the evaluation of criteria for one account or all of them. The evaluation is set-based:
 * it reads the accounts, the milestone states and one grouped query per criterion (never one
 * query per account), decides with the pure rules of journey/engine.c, then writes only the
 * changes in one transaction, each guarded so that a concurrent manual change wins.
 */
#include "journey/journey.h"
#include "journey/engine.h"
#include "journey/phase.h"
#include "store/journey.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define SETTING_KEY "lifecycle"

/* ------------------------------------------------------------ settings */

int journey_lifecycle_load(struct store *st, struct lifecycle *lc)
{
    char *text = NULL;
    int rc = store_setting_get(st, SETTING_KEY, &text);
    if (rc == KZ_ENOTFOUND) {
        lifecycle_default(lc);
        return KZ_OK;
    }
    if (rc)
        return rc;
    char field[128], msg[256];
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    if (!root || lifecycle_parse(root, lc, field, sizeof(field), msg, sizeof(msg))) {
        /* Only valid settings are ever saved; a hand-edited row falls back to the defaults. */
        log_warn("journey: the saved lifecycle is not valid (%s); using the defaults",
                 root ? msg : "not JSON");
        lifecycle_default(lc);
    }
    json_decref(root);
    return KZ_OK;
}

int journey_lifecycle_save(struct store *st, const struct lifecycle *lc, char **in_use)
{
    const char **keys = xcalloc(lc->nphases + 1, sizeof(*keys));
    for (size_t i = 0; i < lc->nphases; i++)
        keys[i] = lc->phases[i].key;
    json_t *j = lifecycle_to_json(lc);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    const struct lc_milestone *value = lifecycle_value_milestone(lc);
    *in_use = NULL;
    int rc = store_begin(st);
    if (rc)
        goto out;
    rc = store_phase_outside(st, keys, lc->nphases, in_use);
    if (rc == KZ_OK)
        rc = KZ_ECONFLICT;
    else if (rc == KZ_ENOTFOUND)
        rc = store_setting_put(st, SETTING_KEY, text);
    /* The store starts new accounts there (accounts created by the tracking API too). */
    if (rc == KZ_OK)
        rc = store_setting_put(st, "lifecycle_first_phase", lc->phases[0].key);
    if (rc == KZ_OK)
        rc = store_value_reached_sync(st, 0, value ? value->key : NULL);
    if (rc)
        store_rollback(st);
    else
        rc = store_commit(st);
out:
    free(text);
    free(keys);
    return rc;
}

char *journey_initial_phase(struct store *st, bool churned)
{
    struct lifecycle lc;
    if (journey_lifecycle_load(st, &lc))
        return xstrdup(churned ? "churned" : "onboarding");
    const struct lc_phase *p = churned ? lifecycle_terminal(&lc) : lifecycle_first(&lc);
    char *key = xstrdup(p->key);
    lifecycle_cleanup(&lc);
    return key;
}

/* ------------------------------------------------------------ transitions */

static void now_text(char out[static 21])
{
    time_format(now_unix(), out);
}

int journey_move_manual(struct store *st, int64_t id, const char *phase, int64_t user_id,
                        const char *reason)
{
    char *cur = NULL, entered[21], now[21];
    int rc = store_phase_current(st, id, &cur, entered);
    if (rc)
        return rc;
    now_text(now);
    if (str_eq(cur, phase))
        rc = KZ_ECONFLICT;
    else
        rc = store_phase_move(st, id, cur, phase, "manual", user_id, reason, now);
    free(cur);
    return rc;
}

/* The time a subscription change dated `effective` moves the phase: 00:00 UTC of that day
 * when it is in the past, else now (store_phase_move keeps it after the current entry). */
static void change_time(const char *effective, char out[static 21])
{
    char today[11];
    date_today(today);
    if (date_valid(effective) == 0 && strcmp(effective, today) < 0)
        snprintf(out, 21, "%sT00:00:00Z", effective);
    else
        now_text(out);
}

/* The phase change implied by a subscription's churned status changing. */
static int churn_transition(struct store *st, int64_t id, bool churned, const char *effective,
                            int64_t user_id)
{
    struct lifecycle lc;
    char *cur = NULL, *prev = NULL, entered[21], at[21], reason[96];
    int rc = journey_lifecycle_load(st, &lc);
    if (rc)
        return rc;
    const struct lc_phase *terminal = lifecycle_terminal(&lc);
    rc = store_phase_current(st, id, &cur, entered);
    if (rc)
        goto out;
    change_time(effective, at);
    bool in_terminal = str_eq(cur, terminal->key);
    if (churned && !in_terminal) {
        snprintf(reason, sizeof(reason), "subscription churned (effective %s)", effective);
        rc = store_phase_move(st, id, cur, terminal->key, "churn", user_id, reason, at);
    } else if (!churned && in_terminal) {
        rc = store_phase_previous(st, id, &prev);
        if (rc && rc != KZ_ENOTFOUND)
            goto out;
        int pi = lifecycle_phase_index(&lc, prev);
        const char *back = pi >= 0 && !lc.phases[pi].terminal ? prev : lifecycle_first(&lc)->key;
        snprintf(reason, sizeof(reason), "subscription reactivated (effective %s)", effective);
        rc = store_phase_move(st, id, cur, back, "reactivation", user_id, reason, at);
    }
out:
    free(cur);
    free(prev);
    lifecycle_cleanup(&lc);
    return rc;
}

int journey_subscription_put(struct store *st, const struct subscription *s, int64_t user_id)
{
    struct subscription old, cur;
    memset(&old, 0, sizeof(old));
    memset(&cur, 0, sizeof(cur));
    int rc = store_begin(st);
    if (rc)
        return rc;
    rc = store_subscription_get(st, s->account_id, &old);
    bool had = rc == KZ_OK;
    if (rc && rc != KZ_ENOTFOUND)
        goto out;
    rc = store_subscription_put(st, s);
    if (rc == KZ_OK)
        rc = store_subscription_get(st, s->account_id, &cur);
    if (rc)
        goto out;
    bool was = had && strcmp(old.status, "churned") == 0;
    bool is = strcmp(cur.status, "churned") == 0;
    if (was != is)
        rc = churn_transition(st, s->account_id, is, cur.effective_date, user_id);
out:
    subscription_cleanup(&old);
    subscription_cleanup(&cur);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

/* ------------------------------------------------------------ evaluation */

struct completion {
    size_t acc;
    size_t ms;
    char *detail;
};

struct eval {
    const struct lifecycle *lc;
    struct jr_account *acc;
    size_t nacc;
    int *phase;               /* per account: lifecycle phase index, -1 unknown */
    size_t nms;
    const struct lc_milestone **flat; /* milestone by flat index */
    unsigned char *state;     /* nacc x nms */
    int64_t *users30;         /* per account: distinct users in 30 days */
    /* the criterion being read */
    size_t cur;
    struct completion *done;
    size_t ndone, capdone;
};

static long find_acc(const struct eval *e, int64_t id)
{
    size_t lo = 0, hi = e->nacc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->acc[mid].id < id)
            lo = mid + 1;
        else if (e->acc[mid].id > id)
            hi = mid;
        else
            return (long)mid;
    }
    return -1;
}

/* True when account i is evaluated: in a known, non-terminal phase. */
static bool live(const struct eval *e, size_t i)
{
    return e->phase[i] >= 0 && !e->lc->phases[e->phase[i]].terminal;
}

static void on_state(int64_t id, const char *key, int64_t n, const char *state, void *ctx)
{
    struct eval *e = ctx;
    (void)n;
    long i = find_acc(e, id);
    if (i < 0 || !key || !state)
        return;
    for (size_t m = 0; m < e->nms; m++) {
        if (strcmp(e->flat[m]->key, key) == 0) {
            e->state[(size_t)i * e->nms + m] = strcmp(state, "complete") == 0 ? MS_COMPLETE
                                                                              : MS_REOPENED;
            return;
        }
    }
}

/* Checks criterion e->cur for account i with facts f; records a completion when met. */
static void check(struct eval *e, size_t i, const struct jr_facts *f)
{
    unsigned char *st = &e->state[i * e->nms + e->cur];
    char detail[300];
    if (*st != MS_OPEN || !live(e, i))
        return;
    if (!journey_criterion_met(&e->flat[e->cur]->crit, f, detail, sizeof(detail)))
        return;
    *st = MS_COMPLETE;
    if (e->ndone == e->capdone) {
        e->capdone = e->capdone ? e->capdone * 2 : 64;
        e->done = xrealloc(e->done, e->capdone * sizeof(*e->done));
    }
    e->done[e->ndone++] = (struct completion){ i, e->cur, xstrdup(detail) };
}

static void on_fact(int64_t id, const char *text, int64_t n, const char *at, void *ctx)
{
    struct eval *e = ctx;
    (void)text;
    long i = find_acc(e, id);
    if (i < 0)
        return;
    struct jr_facts f = { .count = n, .seats = e->acc[i].seats, .at = at };
    check(e, (size_t)i, &f);
}

static void on_users(int64_t id, const char *text, int64_t n, const char *at, void *ctx)
{
    struct eval *e = ctx;
    (void)text, (void)at;
    long i = find_acc(e, id);
    if (i >= 0)
        e->users30[i] = n;
}

/*
 * The scope of the read for the milestones marked in `which` (flat indexes): the live accounts
 * for which one of them is open. Returns 0 (every account: read all), 1 (only these few: read
 * through the temporary scope table) or -1 (none: skip the read). A read scoped to a quarter of
 * the accounts or less walks the account_id indexes; past that, one scan of the table is
 * cheaper. In the steady state most criteria are met for most accounts, so most reads are
 * skipped or scoped.
 */
static int read_scope(struct store *st, struct eval *e, int64_t only, const bool *which, int *rc)
{
    size_t live_n = 0, open_n = 0;
    int64_t *ids = NULL;
    for (size_t i = 0; i < e->nacc; i++) {
        if (!live(e, i))
            continue;
        live_n++;
        for (size_t m = 0; m < e->nms; m++) {
            if (which[m] && e->state[i * e->nms + m] == MS_OPEN) {
                if (!ids)
                    ids = xcalloc(e->nacc, sizeof(*ids));
                ids[open_n++] = e->acc[i].id;
                break;
            }
        }
    }
    int scope = open_n == 0 ? -1 : only || open_n * 4 > live_n ? 0 : 1;
    *rc = scope == 1 ? store_jr_scope(st, ids, open_n) : KZ_OK;
    free(ids);
    return scope;
}

/* Runs the grouped read of each criterion milestone that some account still has open. */
static int read_criteria(struct store *st, struct eval *e, int64_t only)
{
    char today[11], since[11];
    date_today(today);
    int64_t t = date_to_days(today);
    bool *which = xcalloc(e->nms + 1, sizeof(*which));
    int rc = KZ_OK;
    /* Active users: one read for every active_users milestone. */
    for (size_t m = 0; m < e->nms; m++)
        which[m] = e->flat[m]->crit.type == LC_CRIT_ACTIVE_USERS;
    int scope = read_scope(st, e, only, which, &rc);
    if (rc == KZ_OK && scope >= 0) {
        date_from_days(t - 29, since);
        rc = store_jr_active_users(st, scope ? JR_SCOPED : only, since, on_users, e);
    }
    for (size_t m = 0; m < e->nms && rc == KZ_OK; m++) {
        const struct lc_criterion *c = &e->flat[m]->crit;
        if (c->type == LC_CRIT_NONE)
            continue;
        e->cur = m;
        if (c->type == LC_CRIT_ACTIVE_USERS) {
            for (size_t i = 0; i < e->nacc; i++) {
                struct jr_facts f = { .active_users = e->users30[i], .seats = e->acc[i].seats };
                check(e, i, &f);
            }
            continue;
        }
        memset(which, 0, (e->nms + 1) * sizeof(*which));
        which[m] = true;
        scope = read_scope(st, e, only, which, &rc);
        if (rc || scope < 0)
            continue;
        int64_t where = scope ? JR_SCOPED : only;
        switch (c->type) {
        case LC_CRIT_EVENT_COUNT:
            if (c->within_days)
                date_from_days(t - c->within_days + 1, since);
            else
                snprintf(since, sizeof(since), "0000-01-01");
            rc = store_jr_event_counts(st, where, c->event, since, on_fact, e);
            break;
        case LC_CRIT_SURVEY:
            rc = store_jr_surveys(st, where, c->survey, on_fact, e);
            break;
        case LC_CRIT_SUBSCRIPTION: /* a few rows per account: always one pass */
            rc = store_jr_subscription(st, only, c->condition == LC_SUB_GREW, on_fact, e);
            break;
        default:
            break;
        }
    }
    free(which);
    return rc;
}

/* Writes the completions and the phase moves, in one transaction. */
static int write_changes(struct store *st, struct eval *e, struct journey_stats *stats)
{
    char now[21];
    now_text(now);
    const struct lc_milestone *value = lifecycle_value_milestone(e->lc);
    int rc = store_begin(st);
    if (rc)
        return rc;
    for (size_t k = 0; k < e->ndone && rc == KZ_OK; k++) {
        const struct completion *c = &e->done[k];
        const struct lc_milestone *m = e->flat[c->ms];
        bool changed = false;
        rc = store_milestone_complete(st, e->acc[c->acc].id, m->key, "criterion", 0, c->detail,
                                      now, true, &changed);
        if (rc == KZ_OK && changed) {
            stats->milestones++;
            if (m == value)
                rc = store_value_reached_sync(st, e->acc[c->acc].id, m->key);
        }
    }
    for (size_t i = 0; i < e->nacc && rc == KZ_OK; i++) {
        if (!live(e, i))
            continue;
        int to = journey_advance(e->lc, e->phase[i], &e->state[i * e->nms]);
        /* Each phase passed gets its row, so the history shows the whole way. */
        for (int p = e->phase[i]; p < to && rc == KZ_OK; p++) {
            rc = store_phase_move(st, e->acc[i].id, e->lc->phases[p].key,
                                  e->lc->phases[p + 1].key, "milestones", 0,
                                  "every required milestone complete", now);
            if (rc == KZ_ECONFLICT) { /* moved meanwhile: the newer change stands */
                rc = KZ_OK;
                break;
            }
            if (rc == KZ_OK)
                stats->moves++;
        }
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int journey_evaluate(struct store *st, int64_t only, struct journey_stats *stats)
{
    struct journey_stats local;
    struct lifecycle lc;
    struct eval e;
    memset(&e, 0, sizeof(e));
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    int rc = journey_lifecycle_load(st, &lc);
    if (rc)
        return rc;
    e.lc = &lc;
    e.nms = journey_milestone_count(&lc);
    e.flat = xcalloc(e.nms + 1, sizeof(*e.flat));
    for (size_t p = 0, k = 0; p < lc.nphases; p++)
        for (size_t j = 0; j < lc.phases[p].nms; j++)
            e.flat[k++] = &lc.phases[p].ms[j];
    rc = store_jr_accounts(st, only, &e.acc, &e.nacc);
    if (rc)
        goto out;
    if (only && e.nacc == 0) {
        rc = KZ_ENOTFOUND;
        goto out;
    }
    e.phase = xcalloc(e.nacc + 1, sizeof(*e.phase));
    e.state = xcalloc(e.nacc * e.nms + 1, 1);
    e.users30 = xcalloc(e.nacc + 1, sizeof(*e.users30));
    for (size_t i = 0; i < e.nacc; i++)
        e.phase[i] = lifecycle_phase_index(&lc, e.acc[i].phase);
    stats->accounts = (int64_t)e.nacc;
    rc = store_jr_milestones(st, only, on_state, &e);
    if (rc == KZ_OK)
        rc = read_criteria(st, &e, only);
    if (rc == KZ_OK)
        rc = write_changes(st, &e, stats);
out:
    for (size_t k = 0; k < e.ndone; k++)
        free(e.done[k].detail);
    free(e.done);
    free(e.users30);
    free(e.state);
    free(e.phase);
    free(e.flat);
    jr_accounts_free(e.acc, e.nacc);
    lifecycle_cleanup(&lc);
    return rc;
}

int journey_evaluate_account(struct store *st, int64_t account_id)
{
    return journey_evaluate(st, account_id, NULL);
}

int journey_evaluate_all(struct store *st)
{
    return journey_evaluate(st, 0, NULL);
}
