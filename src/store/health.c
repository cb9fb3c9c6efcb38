/*
 * Store: the health engine's reads (the facts of each account, by a few grouped queries)
 * and writes (current health and daily snapshots). See store/health.h.
 */
#include "store/db.h"
#include "store/health.h"
#include "journey/goals.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The element of v[0..n) (each `size` bytes, sorted by an int64_t account id as their first
 * member) whose id is id, or NULL. */
static void *find_id(void *v, size_t n, size_t size, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (*(const int64_t *)((char *)v + mid * size) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    void *e = (char *)v + lo * size;
    return lo < n && *(const int64_t *)e == id ? e : NULL;
}

_Static_assert(offsetof(struct health_facts, account_id) == 0, "find_id needs the id first");

static struct health_facts *find(struct health_facts *f, size_t n, int64_t id)
{
    return find_id(f, n, sizeof(*f), id);
}

static const struct health_phase *phase_of(const struct health_context *ctx, const char *key)
{
    for (size_t i = 0; key && i < ctx->nphases; i++)
        if (strcmp(ctx->phases[i].key, key) == 0)
            return &ctx->phases[i];
    return NULL;
}

/* Days from the RFC 3339 time s to now; -1 when s is NULL or bad. */
static double days_since(sqlite3_stmt *s, int col, int64_t now)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    int64_t at;
    if (!t || time_parse(t, &at))
        return -1;
    return at > now ? 0 : (double)(now - at) / 86400.0;
}

/* Statements come in pairs: every account, or one (?1 = its id), because a disjunction
 * "?1 = 0 OR id = ?1" would make SQLite scan for the single-account case too. */
#define ONE_OR_ALL(one, all) (account_id ? (one) : (all))

/* Every account's row (or the one's): its phase, ages, sentiment, last seen and seats.
 * (*ph)[i] is the lifecycle phase of (*out)[i], NULL when the phase is not configured. */
static int read_accounts(struct store *st, const struct health_context *ctx, int64_t account_id,
                         struct health_facts **out, const struct health_phase ***ph, size_t *n)
{
#define ACCOUNT_COLS "SELECT a.id, a.tier, a.phase, a.phase_entered_at, a.created_at, " \
                     "a.sentiment, a.last_seen_at, s.seats FROM accounts a "              \
                     "LEFT JOIN subscriptions s ON s.account_id = a.id "
    sqlite3_stmt *s = db_prepare(st, ONE_OR_ALL(ACCOUNT_COLS "WHERE a.id = ?1",
                                                ACCOUNT_COLS "ORDER BY a.id"));
#undef ACCOUNT_COLS
    if (account_id)
        db_bind_i64(s, 1, account_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            *out = xrealloc(*out, cap * sizeof(**out));
            *ph = xrealloc(*ph, cap * sizeof(**ph));
        }
        struct health_facts *f = &(*out)[*n];
        const struct health_phase *p = phase_of(ctx, (const char *)sqlite3_column_text(s, 2));
        (*ph)[(*n)++] = p;
        memset(f, 0, sizeof(*f));
        f->account_id = sqlite3_column_int64(s, 0);
        db_col_copy(s, 1, f->tier, sizeof(f->tier));
        if (p) {
            f->required_total = (int)p->nrequired;
            f->in_onboarding = p->onboarding;
            f->phase_expected_days = p->expected_days;
        }
        f->phase_days = days_since(s, 3, ctx->now);
        if (f->phase_days < 0)
            f->phase_days = 0;
        f->account_age_days = days_since(s, 4, ctx->now);
        f->sentiment = (int)db_col_i64(s, 5, 0);
        f->days_since_seen = days_since(s, 6, ctx->now);
        f->has_usage = f->days_since_seen >= 0;
        f->seats = (int)db_col_i64(s, 7, 0);
        f->decision_maker_days = -1;
        f->key_events_total = (int)ctx->nkey_events;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return db_rc(st, rc);
    return account_id && *n == 0 ? KZ_ENOTFOUND : KZ_OK;
}

static bool required_in(const struct health_phase *p, const char *milestone)
{
    for (size_t i = 0; p && milestone && i < p->nrequired; i++)
        if (strcmp(p->required[i], milestone) == 0)
            return true;
    return false;
}

/* Required milestones complete, counted against each account's phase. */
static int read_milestones(struct store *st, int64_t account_id, struct health_facts *f,
                           const struct health_phase **ph, size_t n)
{
#define Q "SELECT account_id, milestone FROM milestone_states WHERE state = 'complete'"
    sqlite3_stmt *s = db_prepare(st, ONE_OR_ALL(Q " AND account_id = ?1", Q));
#undef Q
    if (account_id)
        db_bind_i64(s, 1, account_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct health_facts *a = find(f, n, sqlite3_column_int64(s, 0));
        if (a && required_in(ph[a - f], (const char *)sqlite3_column_text(s, 1)))
            a->required_done++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? KZ_OK : db_rc(st, rc);
}

/* ------------------------------------------------------------ account windows */

/* FNV-1a of the key event names, to tell a window computed for other key events. */
static int64_t keys_hash(const struct health_context *ctx)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < ctx->nkey_events; i++) {
        for (const char *p = ctx->key_events[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull; /* separator */
    }
    return (int64_t)(h >> 1);
}

/* The key event names as a JSON array (for json_each), or NULL when there are none. */
static char *keys_json(const struct health_context *ctx)
{
    if (!ctx->nkey_events)
        return NULL;
    json_t *names = json_array();
    for (size_t i = 0; i < ctx->nkey_events; i++)
        json_array_append_new(names, json_string(ctx->key_events[i]));
    char *text = json_dumps(names, JSON_COMPACT);
    json_decref(names);
    return text;
}

/* What an account did over the trailing windows (see migration 004, account_windows). */
struct window {
    int64_t account_id;
    int au30, au_prev30, keys30;
    int nps_n, nps_p, nps_d;
    bool has_dm;
    char dm_touch[21];          /* "" = never */
    int touches90;
};

_Static_assert(offsetof(struct window, account_id) == 0, "find_id needs the id first");

static struct window *win_find(struct window *w, size_t n, int64_t id)
{
    return find_id(w, n, sizeof(*w), id);
}

/* Binds ?1, ?2 = lo, hi (and ?3 = since, when given), steps every row into fn. */
static int each_row(struct store *st, const char *sql, int64_t lo, int64_t hi, const char *since,
                    const char *extra, struct window *w, size_t n,
                    void (*fn)(sqlite3_stmt *s, struct window *w, void *arg), void *arg)
{
    sqlite3_stmt *s = db_prepare(st, sql);
    db_bind_i64(s, 1, lo);
    db_bind_i64(s, 2, hi);
    if (since)
        db_bind_text(s, 3, since);
    if (extra)
        db_bind_text(s, 4, extra);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct window *x = win_find(w, n, sqlite3_column_int64(s, 0));
        if (x)
            fn(s, x, arg);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? KZ_OK : db_rc(st, rc);
}

static void row_active_users(sqlite3_stmt *s, struct window *w, void *arg)
{
    (void)arg;
    w->au30 = sqlite3_column_int(s, 1);
    w->au_prev30 = sqlite3_column_int(s, 2);
}

static void row_key_events(sqlite3_stmt *s, struct window *w, void *arg)
{
    (void)arg;
    w->keys30 = sqlite3_column_int(s, 1);
}

/* Rows come newest first per (account, contact): each contact's latest answer counts once;
 * answers without a contact count one each. */
static void row_nps(sqlite3_stmt *s, struct window *w, void *arg)
{
    int64_t *last = arg; /* the (account, contact) of the previous row */
    int64_t contact = db_col_i64(s, 1, 0);
    if (contact && w->account_id == last[0] && contact == last[1])
        return;
    last[0] = w->account_id;
    last[1] = contact;
    int score = sqlite3_column_int(s, 2);
    w->nps_n++;
    w->nps_p += score >= 9;
    w->nps_d += score <= 6;
}

static void row_decision_maker(sqlite3_stmt *s, struct window *w, void *arg)
{
    (void)arg;
    w->has_dm = true;
    db_col_copy(s, 1, w->dm_touch, sizeof(w->dm_touch));
}

static void row_touches(sqlite3_stmt *s, struct window *w, void *arg)
{
    (void)arg;
    w->touches90 = sqlite3_column_int(s, 1);
}

/* Computes the windows of the accounts with ids lo..hi from the rollups, the survey answers,
 * the contacts and the timeline: *out (caller frees) gets one per existing account, by id. */
static int compute_windows(struct store *st, const struct health_context *ctx, int64_t lo,
                           int64_t hi, const char *keys, struct window **out, size_t *count)
{
    int64_t today = ctx->now / 86400;
    char d30[11], d60[11], t90[21], t365[21];
    date_from_days(today - 29, d30);
    date_from_days(today - 59, d60);
    time_format(ctx->now - 90 * 86400, t90);
    time_format(ctx->now - 365 * 86400, t365);
    struct window *w = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *s = db_prepare(st, "SELECT id FROM accounts WHERE id BETWEEN ?1 AND ?2 "
                                     "ORDER BY id");
    db_bind_i64(s, 1, lo);
    db_bind_i64(s, 2, hi);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            w = xrealloc(w, cap * sizeof(*w));
        }
        w[n++] = (struct window){ .account_id = sqlite3_column_int64(s, 0) };
    }
    sqlite3_reset(s);
    rc = rc == SQLITE_DONE ? KZ_OK : db_rc(st, rc);
    if (!rc)
        rc = each_row(st, "SELECT account_id, "
                          "COUNT(DISTINCT CASE WHEN day >= ?4 THEN user_key END), "
                          "COUNT(DISTINCT CASE WHEN day < ?4 THEN user_key END) "
                          "FROM active_users_daily WHERE account_id BETWEEN ?1 AND ?2 "
                          "AND day >= ?3 GROUP BY account_id",
                      lo, hi, d60, d30, w, n, row_active_users, NULL);
    if (!rc && keys)
        rc = each_row(st, "SELECT account_id, COUNT(DISTINCT event) FROM usage_daily "
                          "WHERE account_id BETWEEN ?1 AND ?2 AND day >= ?3 "
                          "AND event IN (SELECT value FROM json_each(?4)) GROUP BY account_id",
                      lo, hi, d30, keys, w, n, row_key_events, NULL);
    /* "+type": walk the account index, not every NPS answer. */
    int64_t last[2] = { 0, 0 };
    if (!rc)
        rc = each_row(st, "SELECT account_id, contact_id, score FROM survey_responses "
                          "WHERE account_id BETWEEN ?1 AND ?2 AND answered_at >= ?3 "
                          "AND +type = 'nps' "
                          "ORDER BY account_id, contact_id, answered_at DESC, id DESC",
                      lo, hi, t365, NULL, w, n, row_nps, last);
    /* Decision makers (a partial index) and their latest timeline entry, if any. */
    if (!rc)
        rc = each_row(st, "SELECT c.account_id, MAX(te.occurred_at) FROM contacts c "
                          "LEFT JOIN timeline_contacts tc ON tc.contact_id = c.id "
                          "LEFT JOIN timeline_entries te ON te.id = tc.entry_id "
                          "WHERE c.role = 'decision_maker' AND c.account_id BETWEEN ?1 AND ?2 "
                          "GROUP BY c.account_id",
                      lo, hi, NULL, NULL, w, n, row_decision_maker, NULL);
    if (!rc)
        rc = each_row(st, "SELECT account_id, COUNT(*) FROM timeline_entries "
                          "WHERE account_id BETWEEN ?1 AND ?2 AND occurred_at >= ?3 "
                          "GROUP BY account_id",
                      lo, hi, t90, NULL, w, n, row_touches, NULL);
    if (rc) {
        free(w);
        return rc;
    }
    *out = w;
    *count = n;
    return KZ_OK;
}

/* Recomputes and saves the windows of the accounts with ids lo..hi, in one transaction. */
static int refresh_range(struct store *st, const struct health_context *ctx, int64_t lo,
                         int64_t hi, const char *keys)
{
    struct window *w = NULL;
    size_t n = 0;
    int rc = compute_windows(st, ctx, lo, hi, keys, &w, &n);
    if (rc)
        return rc;
    char d0[11];
    date_from_days(ctx->now / 86400, d0);
    int64_t hash = keys_hash(ctx);
    rc = store_begin(st);
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *s = db_prepare(
            st, "INSERT INTO account_windows (account_id, day, keys_hash, active_users_30, "
                "active_users_prev_30, key_events_used_30, nps_answers, nps_promoters, "
                "nps_detractors, has_decision_maker, decision_maker_touch_at, touches_90d) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE "
                "SET day = excluded.day, keys_hash = excluded.keys_hash, "
                "active_users_30 = excluded.active_users_30, "
                "active_users_prev_30 = excluded.active_users_prev_30, "
                "key_events_used_30 = excluded.key_events_used_30, "
                "nps_answers = excluded.nps_answers, nps_promoters = excluded.nps_promoters, "
                "nps_detractors = excluded.nps_detractors, "
                "has_decision_maker = excluded.has_decision_maker, "
                "decision_maker_touch_at = excluded.decision_maker_touch_at, "
                "touches_90d = excluded.touches_90d");
        db_bind_i64(s, 1, w[i].account_id);
        db_bind_text(s, 2, d0);
        db_bind_i64(s, 3, hash);
        db_bind_i64(s, 4, w[i].au30);
        db_bind_i64(s, 5, w[i].au_prev30);
        db_bind_i64(s, 6, w[i].keys30);
        db_bind_i64(s, 7, w[i].nps_n);
        db_bind_i64(s, 8, w[i].nps_p);
        db_bind_i64(s, 9, w[i].nps_d);
        db_bind_i64(s, 10, w[i].has_dm);
        db_bind_text(s, 11, w[i].dm_touch[0] ? w[i].dm_touch : NULL);
        db_bind_i64(s, 12, w[i].touches90);
        rc = db_exec_stmt(st, s);
    }
    free(w);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

#define WINDOW_CHUNK 1000 /* accounts a transaction: the writer lock is held briefly */

int store_health_windows_refresh(struct store *st, const struct health_context *ctx,
                                 int64_t account_id, size_t *refreshed)
{
    char *keys = keys_json(ctx);
    size_t n = 0;
    int rc = KZ_OK;
    if (account_id) {
        rc = refresh_range(st, ctx, account_id, account_id, keys);
        n = rc ? 0 : 1;
        goto out;
    }
    /* The stale accounts (no window, another day, other key events), in chunks. */
    char d0[11];
    date_from_days(ctx->now / 86400, d0);
    int64_t *ids = NULL;
    size_t cap = 0;
    sqlite3_stmt *s = db_prepare(st, "SELECT a.id FROM accounts a LEFT JOIN account_windows w "
                                     "ON w.account_id = a.id WHERE w.account_id IS NULL "
                                     "OR w.day <> ?1 OR w.keys_hash <> ?2 ORDER BY a.id");
    db_bind_text(s, 1, d0);
    db_bind_i64(s, 2, keys_hash(ctx));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            ids = xrealloc(ids, cap * sizeof(*ids));
        }
        ids[n++] = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    rc = rc == SQLITE_DONE ? KZ_OK : db_rc(st, rc);
    for (size_t i = 0; i < n && !rc; i += WINDOW_CHUNK) {
        size_t last = i + WINDOW_CHUNK < n ? i + WINDOW_CHUNK - 1 : n - 1;
        rc = refresh_range(st, ctx, ids[i], ids[last], keys);
    }
    free(ids);
out:
    free(keys);
    if (refreshed)
        *refreshed = rc ? 0 : n;
    return rc;
}

static void window_facts(const struct window *w, int64_t now, struct health_facts *f)
{
    f->active_users_30 = w->au30;
    f->active_users_prev_30 = w->au_prev30;
    f->key_events_used_30 = w->keys30;
    f->nps_answers = w->nps_n;
    f->nps_promoters = w->nps_p;
    f->nps_detractors = w->nps_d;
    f->has_decision_maker = w->has_dm;
    int64_t at;
    f->decision_maker_days = -1;
    if (w->dm_touch[0] && time_parse(w->dm_touch, &at) == 0)
        f->decision_maker_days = at > now ? 0 : (double)(now - at) / 86400.0;
    f->touches_90d = w->touches90;
}

/* The window facts: of every account from the saved windows (the engine refreshes the
 * stale ones first), of one account computed from its data now. */
static int read_windows(struct store *st, const struct health_context *ctx, int64_t account_id,
                        struct health_facts *f, size_t n)
{
    if (account_id) {
        char *keys = keys_json(ctx);
        struct window *w = NULL;
        size_t nw = 0;
        int rc = compute_windows(st, ctx, account_id, account_id, keys, &w, &nw);
        free(keys);
        if (!rc && nw == 1 && n == 1)
            window_facts(w, ctx->now, f);
        free(w);
        return rc;
    }
    sqlite3_stmt *s = db_prepare(st, "SELECT account_id, active_users_30, active_users_prev_30, "
                                     "key_events_used_30, nps_answers, nps_promoters, "
                                     "nps_detractors, has_decision_maker, "
                                     "decision_maker_touch_at, touches_90d FROM account_windows");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct health_facts *a = find(f, n, sqlite3_column_int64(s, 0));
        if (!a)
            continue;
        struct window w = {
            .au30 = sqlite3_column_int(s, 1),
            .au_prev30 = sqlite3_column_int(s, 2),
            .keys30 = sqlite3_column_int(s, 3),
            .nps_n = sqlite3_column_int(s, 4),
            .nps_p = sqlite3_column_int(s, 5),
            .nps_d = sqlite3_column_int(s, 6),
            .has_dm = sqlite3_column_int(s, 7) != 0,
            .touches90 = sqlite3_column_int(s, 9),
        };
        db_col_copy(s, 8, w.dm_touch, sizeof(w.dm_touch));
        window_facts(&w, ctx->now, a);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? KZ_OK : db_rc(st, rc);
}

/* Attainment of one goal row (baseline, target, current, status): journey/goals.h's, and an
 * achieved goal counts 1 whatever its values say. -1 when it cannot be computed. */
static double attainment(sqlite3_stmt *s)
{
    if (strcmp((const char *)sqlite3_column_text(s, 4), "achieved") == 0)
        return 1;
    double x;
    if (goal_attainment(sqlite3_column_type(s, 1) != SQLITE_NULL, sqlite3_column_double(s, 1),
                        sqlite3_column_double(s, 2), sqlite3_column_type(s, 3) != SQLITE_NULL,
                        sqlite3_column_double(s, 3), &x) != GOAL_ATTAINMENT_OK)
        return -1;
    return x;
}

static int read_goals(struct store *st, int64_t account_id, struct health_facts *f, size_t n)
{
#define Q "SELECT account_id, baseline, target, current, status FROM goals " \
          "WHERE status IN ('active', 'achieved', 'missed')"
    sqlite3_stmt *s = db_prepare(st, ONE_OR_ALL(Q " AND account_id = ?1", Q));
#undef Q
    if (account_id)
        db_bind_i64(s, 1, account_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct health_facts *a = find(f, n, sqlite3_column_int64(s, 0));
        double x = attainment(s);
        if (a && x >= 0) {
            a->goals++;
            a->goal_attainment_sum += x;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? KZ_OK : db_rc(st, rc);
}

int store_health_facts(struct store *st, const struct health_context *ctx, int64_t account_id,
                       struct health_facts **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct health_phase **ph = NULL;
    int rc = read_accounts(st, ctx, account_id, out, &ph, n);
    if (!rc)
        rc = read_milestones(st, account_id, *out, ph, *n);
    if (!rc)
        rc = read_windows(st, ctx, account_id, *out, *n);
    if (!rc)
        rc = read_goals(st, account_id, *out, *n);
    free(ph);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ------------------------------------------------------------ writes */

static void bind_score(sqlite3_stmt *s, int i, int v)
{
    if (v < 0)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int(s, i, v);
}

int store_health_save(struct store *st, const char *day, const struct health_row *rows,
                      size_t n)
{
    char now[21];
    db_now(now);
    int rc = store_begin(st);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct health_row *r = &rows[i];
        const char *band = health_band_name(r->band);
        sqlite3_stmt *s = db_prepare(st, "UPDATE accounts SET health_score = ?1, "
                                         "health_band = ?2, health_at = ?3 WHERE id = ?4 "
                                         "AND (health_score IS NOT ?1 OR health_band IS NOT ?2)");
        bind_score(s, 1, r->score);
        db_bind_text(s, 2, band);
        db_bind_text(s, 3, now);
        db_bind_i64(s, 4, r->account_id);
        rc = db_exec_stmt(st, s);
        if (rc)
            break;
        s = db_prepare(st, "INSERT INTO health_snapshots (day, account_id, score, band, "
                           "deployment, engagement, adoption, roi) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, account_id) DO "
                           "UPDATE SET score = excluded.score, band = excluded.band, "
                           "deployment = excluded.deployment, engagement = excluded.engagement, "
                           "adoption = excluded.adoption, roi = excluded.roi "
                           /* an unchanged snapshot is not rewritten: no page to commit */
                           "WHERE (score, band, deployment, engagement, adoption, roi) IS NOT "
                           "(excluded.score, excluded.band, excluded.deployment, "
                           "excluded.engagement, excluded.adoption, excluded.roi)");
        db_bind_text(s, 1, day);
        db_bind_i64(s, 2, r->account_id);
        bind_score(s, 3, r->score);
        db_bind_text(s, 4, band);
        for (int c = 0; c < HC_COUNT; c++)
            bind_score(s, 5 + c, r->component[c]);
        rc = db_exec_stmt(st, s);
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int store_health_history(struct store *st, int64_t account_id, const char *from, const char *to,
                         struct health_snapshot **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    /* One primary-key lookup per day of the range (the table is keyed by day first). */
    sqlite3_stmt *s = db_prepare(st, "WITH RECURSIVE d(day) AS (SELECT ?2 UNION ALL "
                                     "SELECT date(day, '+1 day') FROM d WHERE day < ?3) "
                                     "SELECT h.day, h.score, h.band, h.deployment, h.engagement, "
                                     "h.adoption, h.roi FROM d JOIN health_snapshots h "
                                     "ON h.day = d.day AND h.account_id = ?1 ORDER BY h.day");
    db_bind_i64(s, 1, account_id);
    db_bind_text(s, 2, from);
    db_bind_text(s, 3, to);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            *out = xrealloc(*out, cap * sizeof(**out));
        }
        struct health_snapshot *h = &(*out)[(*n)++];
        db_col_copy(s, 0, h->day, sizeof(h->day));
        h->row.account_id = account_id;
        h->row.score = (int)db_col_i64(s, 1, -1);
        const char *band = (const char *)sqlite3_column_text(s, 2);
        h->row.band = str_eq(band, "green")    ? BAND_GREEN
                      : str_eq(band, "yellow") ? BAND_YELLOW
                      : str_eq(band, "red")    ? BAND_RED
                                               : BAND_NONE;
        for (int c = 0; c < HC_COUNT; c++)
            h->row.component[c] = (int)db_col_i64(s, 3 + c, -1);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return db_rc(st, rc);
    }
    return KZ_OK;
}
