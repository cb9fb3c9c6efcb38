/*
 * Store: the success journey (see store/journey.h). Phase moves keep phase_history and the
 * account row in step inside one savepoint; the engine reads are grouped queries, one per
 * criterion, over every account (only == 0) or one account (only > 0), never one query per
 * account.
 */
#include "store/db.h"
#include "store/journey.h"

#include <stdlib.h>
#include <string.h>

void journey_record_cleanup(struct journey_record *j)
{
    if (!j)
        return;
    free(j->phase);
    free(j->phase_entered_at);
    free(j->value_reached_at);
    free(j->start_date);
    for (size_t i = 0; i < j->nhistory; i++) {
        free(j->history[i].phase);
        free(j->history[i].left_at);
        free(j->history[i].user_name);
        free(j->history[i].reason);
    }
    free(j->history);
    for (size_t i = 0; i < j->nms; i++) {
        free(j->ms[i].milestone);
        free(j->ms[i].completed_at);
        free(j->ms[i].completed_by);
        free(j->ms[i].user_name);
        free(j->ms[i].detail);
    }
    free(j->ms);
    memset(j, 0, sizeof(*j));
}

int store_journey_get(struct store *st, int64_t id, struct journey_record *out)
{
    memset(out, 0, sizeof(*out));
    out->account_id = id;
    sqlite3_stmt *s = db_prepare(st, "SELECT a.phase, a.phase_entered_at, a.value_reached_at, "
                                     "(SELECT min(h.start_date) FROM subscription_history h "
                                     " WHERE h.account_id = a.id) "
                                     "FROM accounts a WHERE a.id = ?");
    db_bind_i64(s, 1, id);
    int src = sqlite3_step(s);
    int rc = db_row_rc(st, src);
    if (rc == KZ_OK) {
        out->phase = db_col_text(s, 0);
        out->phase_entered_at = db_col_text(s, 1);
        out->value_reached_at = db_col_text(s, 2);
        out->start_date = db_col_text(s, 3);
    }
    sqlite3_reset(s);
    if (rc)
        return rc;

    s = db_prepare(st, "SELECT p.id, p.phase, p.entered_at, p.left_at, p.moved_by, p.user_id, "
                       "u.name, p.reason FROM phase_history p "
                       "LEFT JOIN users u ON u.id = p.user_id "
                       "WHERE p.account_id = ? ORDER BY p.entered_at, p.id");
    db_bind_i64(s, 1, id);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        out->history = xrealloc(out->history, (out->nhistory + 1) * sizeof(*out->history));
        struct phase_row *p = &out->history[out->nhistory++];
        memset(p, 0, sizeof(*p));
        p->id = db_col_i64(s, 0, 0);
        p->phase = db_col_text(s, 1);
        db_col_copy(s, 2, p->entered_at, sizeof(p->entered_at));
        p->left_at = db_col_text(s, 3);
        db_col_copy(s, 4, p->moved_by, sizeof(p->moved_by));
        p->user_id = db_col_i64(s, 5, 0);
        p->user_name = db_col_text(s, 6);
        p->reason = db_col_text(s, 7);
    }
    sqlite3_reset(s);
    rc = db_rc(st, src);
    if (rc)
        goto out;

    s = db_prepare(st, "SELECT m.milestone, m.state, m.completed_at, m.completed_by, m.user_id, "
                       "u.name, m.detail, m.updated_at FROM milestone_states m "
                       "LEFT JOIN users u ON u.id = m.user_id "
                       "WHERE m.account_id = ? ORDER BY m.milestone");
    db_bind_i64(s, 1, id);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        out->ms = xrealloc(out->ms, (out->nms + 1) * sizeof(*out->ms));
        struct milestone_row *m = &out->ms[out->nms++];
        memset(m, 0, sizeof(*m));
        m->milestone = db_col_text(s, 0);
        db_col_copy(s, 1, m->state, sizeof(m->state));
        m->completed_at = db_col_text(s, 2);
        m->completed_by = db_col_text(s, 3);
        m->user_id = db_col_i64(s, 4, 0);
        m->user_name = db_col_text(s, 5);
        m->detail = db_col_text(s, 6);
        db_col_copy(s, 7, m->updated_at, sizeof(m->updated_at));
    }
    sqlite3_reset(s);
    rc = db_rc(st, src);
out:
    if (rc)
        journey_record_cleanup(out);
    return rc;
}

int store_phase_current(struct store *st, int64_t id, char **phase, char entered_at[static 21])
{
    sqlite3_stmt *s = db_prepare(st, "SELECT phase, phase_entered_at FROM accounts WHERE id = ?");
    db_bind_i64(s, 1, id);
    int src = sqlite3_step(s);
    int rc = db_row_rc(st, src);
    if (rc == KZ_OK) {
        *phase = db_col_text(s, 0);
        db_col_copy(s, 1, entered_at, 21);
    }
    sqlite3_reset(s);
    return rc;
}

static int phase_move_steps(struct store *st, int64_t id, const char *expect, const char *phase,
                            const char *moved_by, int64_t user_id, const char *reason,
                            const char *at)
{
    char *cur = NULL, entered[21];
    int rc = store_phase_current(st, id, &cur, entered);
    if (rc)
        return rc;
    bool stale = expect && !str_eq(cur, expect);
    free(cur);
    if (stale)
        return KZ_ECONFLICT;
    /* A move never goes back in time: it is at least the current phase's entry time. */
    const char *when = strcmp(at, entered) < 0 ? entered : at;
    sqlite3_stmt *s = db_prepare(st, "UPDATE phase_history SET left_at = ? "
                                     "WHERE account_id = ? AND left_at IS NULL");
    db_bind_text(s, 1, when);
    db_bind_i64(s, 2, id);
    rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    s = db_prepare(st, "INSERT INTO phase_history (account_id, phase, entered_at, moved_by, "
                       "user_id, reason) VALUES (?, ?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, phase);
    db_bind_text(s, 3, when);
    db_bind_text(s, 4, moved_by);
    db_bind_i64_null(s, 5, user_id, 0);
    db_bind_text(s, 6, reason);
    rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    s = db_prepare(st, "UPDATE accounts SET phase = ?, phase_entered_at = ? WHERE id = ?");
    db_bind_text(s, 1, phase);
    db_bind_text(s, 2, when);
    db_bind_i64(s, 3, id);
    return db_exec_one(st, s);
}

int store_phase_move(struct store *st, int64_t id, const char *expect, const char *phase,
                     const char *moved_by, int64_t user_id, const char *reason, const char *at)
{
    int rc = store_begin(st);
    if (rc)
        return rc;
    rc = phase_move_steps(st, id, expect, phase, moved_by, user_id, reason, at);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int store_phase_previous(struct store *st, int64_t id, char **phase)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT phase FROM phase_history WHERE account_id = ? "
                                     "AND left_at IS NOT NULL ORDER BY entered_at DESC, id DESC "
                                     "LIMIT 1");
    db_bind_i64(s, 1, id);
    int src = sqlite3_step(s);
    int rc = db_row_rc(st, src);
    if (rc == KZ_OK)
        *phase = db_col_text(s, 0);
    sqlite3_reset(s);
    return rc;
}

int store_phase_history_replace(struct store *st, int64_t id, const struct phase_row *rows,
                                size_t n)
{
    if (n == 0 || rows[n - 1].left_at)
        return KZ_EINVAL;
    int rc = store_begin(st);
    if (rc)
        return rc;
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM phase_history WHERE account_id = ?");
    db_bind_i64(s, 1, id);
    rc = db_exec_stmt(st, s);
    for (size_t i = 0; i < n && rc == KZ_OK; i++) {
        s = db_prepare(st, "INSERT INTO phase_history (account_id, phase, entered_at, left_at, "
                           "moved_by, user_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)");
        db_bind_i64(s, 1, id);
        db_bind_text(s, 2, rows[i].phase);
        db_bind_text(s, 3, rows[i].entered_at);
        db_bind_text(s, 4, rows[i].left_at);
        db_bind_text(s, 5, rows[i].moved_by);
        db_bind_i64_null(s, 6, rows[i].user_id, 0);
        db_bind_text(s, 7, rows[i].reason);
        rc = db_exec_stmt(st, s);
    }
    if (rc == KZ_OK) {
        s = db_prepare(st, "UPDATE accounts SET phase = ?, phase_entered_at = ? WHERE id = ?");
        db_bind_text(s, 1, rows[n - 1].phase);
        db_bind_text(s, 2, rows[n - 1].entered_at);
        db_bind_i64(s, 3, id);
        rc = db_exec_one(st, s);
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int store_phase_outside(struct store *st, const char *const *keys, size_t n, char **phase)
{
    /* Only fixed fragments go into the SQL: one placeholder per key, values bound. */
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT phase FROM accounts WHERE phase NOT IN (");
    for (size_t i = 0; i < n; i++)
        buf_printf(&q, i ? ", ?" : "?");
    buf_printf(&q, "%s", n ? ") ORDER BY phase LIMIT 1" : "'') ORDER BY phase LIMIT 1");
    sqlite3_stmt *s = db_prepare(st, q.p);
    buf_free(&q);
    for (size_t i = 0; i < n; i++)
        db_bind_text(s, (int)i + 1, keys[i]);
    int src = sqlite3_step(s);
    int rc = db_row_rc(st, src);
    if (rc == KZ_OK)
        *phase = db_col_text(s, 0);
    sqlite3_reset(s);
    return rc;
}

int store_milestone_complete(struct store *st, int64_t id, const char *key, const char *by,
                             int64_t user_id, const char *detail, const char *at, bool only_new,
                             bool *changed)
{
    sqlite3_stmt *s;
    if (only_new)
        s = db_prepare(st, "INSERT INTO milestone_states (account_id, milestone, state, "
                           "completed_at, completed_by, user_id, detail, updated_at) "
                           "VALUES (?, ?, 'complete', ?, ?, ?, ?, ?) "
                           "ON CONFLICT (account_id, milestone) DO NOTHING");
    else
        s = db_prepare(st, "INSERT INTO milestone_states (account_id, milestone, state, "
                           "completed_at, completed_by, user_id, detail, updated_at) "
                           "VALUES (?, ?, 'complete', ?, ?, ?, ?, ?) "
                           "ON CONFLICT (account_id, milestone) DO UPDATE SET state = 'complete', "
                           "completed_at = excluded.completed_at, "
                           "completed_by = excluded.completed_by, user_id = excluded.user_id, "
                           "detail = excluded.detail, updated_at = excluded.updated_at");
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, key);
    db_bind_text(s, 3, at);
    db_bind_text(s, 4, by);
    db_bind_i64_null(s, 5, user_id, 0);
    db_bind_text(s, 6, detail);
    db_bind_text(s, 7, at);
    int rc = db_exec_stmt(st, s);
    if (changed)
        *changed = rc == KZ_OK && sqlite3_changes(st->db) > 0;
    return rc;
}

int store_milestone_reopen(struct store *st, int64_t id, const char *key, int64_t user_id,
                           const char *note, const char *at)
{
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO milestone_states (account_id, milestone, state, "
                                     "completed_at, completed_by, user_id, detail, updated_at) "
                                     "VALUES (?, ?, 'reopened', NULL, NULL, ?, ?, ?) "
                                     "ON CONFLICT (account_id, milestone) DO UPDATE SET "
                                     "state = 'reopened', completed_at = NULL, "
                                     "completed_by = NULL, user_id = excluded.user_id, "
                                     "detail = excluded.detail, updated_at = excluded.updated_at");
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, key);
    db_bind_i64_null(s, 3, user_id, 0);
    db_bind_text(s, 4, note);
    db_bind_text(s, 5, at);
    return db_exec_stmt(st, s);
}

int store_milestone_state(struct store *st, int64_t id, const char *key, char state[static 10])
{
    sqlite3_stmt *s = db_prepare(st, "SELECT state FROM milestone_states "
                                     "WHERE account_id = ? AND milestone = ?");
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, key);
    int src = sqlite3_step(s);
    int rc = db_row_rc(st, src);
    if (rc == KZ_OK)
        db_col_copy(s, 0, state, 10);
    sqlite3_reset(s);
    return rc;
}

#define VALUE_SYNC                                                                         \
    "UPDATE accounts SET value_reached_at = (SELECT m.completed_at FROM milestone_states m " \
    "WHERE m.account_id = accounts.id AND m.milestone = ?1 AND m.state = 'complete')"

int store_value_reached_sync(struct store *st, int64_t id, const char *value_key)
{
    sqlite3_stmt *s;
    if (id) {
        s = db_prepare(st, VALUE_SYNC " WHERE id = ?2");
        db_bind_i64(s, 2, id);
    } else {
        /* Only the rows that change, so that a save does not rewrite every account. */
        s = db_prepare(st, VALUE_SYNC " WHERE value_reached_at IS NOT (SELECT m.completed_at "
                           "FROM milestone_states m WHERE m.account_id = accounts.id AND "
                           "m.milestone = ?1 AND m.state = 'complete')");
    }
    db_bind_text(s, 1, value_key);
    return db_exec_stmt(st, s);
}

/* ------------------------------------------------------------ engine reads */

void jr_accounts_free(struct jr_account *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].phase);
    free(v);
}

int store_jr_accounts(struct store *st, int64_t only, struct jr_account **out, size_t *n)
{
    sqlite3_stmt *s;
    if (only) {
        s = db_prepare(st, "SELECT a.id, a.phase, s.seats FROM accounts a LEFT JOIN "
                           "subscriptions s ON s.account_id = a.id WHERE a.id = ?");
        db_bind_i64(s, 1, only);
    } else {
        s = db_prepare(st, "SELECT a.id, a.phase, s.seats FROM accounts a LEFT JOIN "
                           "subscriptions s ON s.account_id = a.id ORDER BY a.id");
    }
    struct jr_account *v = NULL;
    size_t cnt = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[cnt].id = sqlite3_column_int64(s, 0);
        v[cnt].phase = db_col_text(s, 1);
        v[cnt].seats = db_col_i64(s, 2, -1);
        cnt++;
    }
    sqlite3_reset(s);
    int rc = db_rc(st, src);
    if (rc) {
        jr_accounts_free(v, cnt);
        v = NULL;
        cnt = 0;
    }
    *out = v;
    *n = cnt;
    return rc;
}

/* Steps s (bound by the caller) and calls fn with (id, text col 1, n col 2, at col 3). Columns
 * a query does not have read as NULL/0. */
static int each_row(struct store *st, sqlite3_stmt *s, int ncols, jr_row_fn fn, void *ctx)
{
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        const char *text = ncols > 1 ? (const char *)sqlite3_column_text(s, 1) : NULL;
        int64_t n = ncols > 2 ? sqlite3_column_int64(s, 2) : 0;
        const char *at = ncols > 3 ? (const char *)sqlite3_column_text(s, 3) : NULL;
        fn(sqlite3_column_int64(s, 0), text, n, at, ctx);
    }
    sqlite3_reset(s);
    return db_rc(st, src);
}

int store_jr_scope(struct store *st, const int64_t *ids, size_t n)
{
    /* Outside any transaction the writes touch only the temporary database: no lock on the
     * main one, which the ingest writer and the requests keep using. */
    int rc = db_exec_stmt(st, db_prepare(st, "CREATE TEMP TABLE IF NOT EXISTS jr_scope "
                                             "(id INTEGER PRIMARY KEY)"));
    if (rc == KZ_OK)
        rc = db_exec_stmt(st, db_prepare(st, "DELETE FROM temp.jr_scope"));
    for (size_t i = 0; i < n && rc == KZ_OK; i++) {
        sqlite3_stmt *s = db_prepare(st, "INSERT OR IGNORE INTO temp.jr_scope (id) VALUES (?)");
        db_bind_i64(s, 1, ids[i]);
        rc = db_exec_stmt(st, s);
    }
    return rc;
}

int store_jr_milestones(struct store *st, int64_t only, jr_row_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    if (only) {
        s = db_prepare(st, "SELECT account_id, milestone, 0, state FROM milestone_states "
                           "WHERE account_id = ?");
        db_bind_i64(s, 1, only);
    } else {
        s = db_prepare(st, "SELECT account_id, milestone, 0, state FROM milestone_states");
    }
    return each_row(st, s, 4, fn, ctx);
}

int store_jr_event_counts(struct store *st, int64_t only, const char *event, const char *since,
                          jr_row_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    if (only == JR_SCOPED) {
        s = db_prepare(st, "SELECT u.account_id, NULL, sum(u.count) FROM temp.jr_scope o "
                           "JOIN usage_daily u ON u.account_id = o.id "
                           "WHERE u.day >= ?2 AND u.event = ?1 GROUP BY u.account_id");
    } else if (only) {
        s = db_prepare(st, "SELECT account_id, NULL, sum(count) FROM usage_daily "
                           "WHERE account_id = ?3 AND day >= ?2 AND event = ?1 "
                           "GROUP BY account_id");
        db_bind_i64(s, 3, only);
    } else {
        s = db_prepare(st, "SELECT account_id, NULL, sum(count) FROM usage_daily "
                           "WHERE event = ?1 AND day >= ?2 GROUP BY account_id");
    }
    db_bind_text(s, 1, event);
    db_bind_text(s, 2, since);
    return each_row(st, s, 3, fn, ctx);
}

int store_jr_active_users(struct store *st, int64_t only, const char *since, jr_row_fn fn,
                          void *ctx)
{
    sqlite3_stmt *s;
    if (only == JR_SCOPED) {
        s = db_prepare(st, "SELECT u.account_id, NULL, count(DISTINCT u.user_key) "
                           "FROM temp.jr_scope o JOIN active_users_daily u "
                           "ON u.account_id = o.id WHERE u.day >= ?1 GROUP BY u.account_id");
    } else if (only) {
        s = db_prepare(st, "SELECT account_id, NULL, count(DISTINCT user_key) "
                           "FROM active_users_daily WHERE account_id = ?2 AND day >= ?1 "
                           "GROUP BY account_id");
        db_bind_i64(s, 2, only);
    } else {
        s = db_prepare(st, "SELECT account_id, NULL, count(DISTINCT user_key) "
                           "FROM active_users_daily WHERE day >= ?1 GROUP BY account_id");
    }
    db_bind_text(s, 1, since);
    return each_row(st, s, 3, fn, ctx);
}

int store_jr_surveys(struct store *st, int64_t only, const char *type, jr_row_fn fn, void *ctx)
{
    sqlite3_stmt *s;
    if (only == JR_SCOPED) {
        s = db_prepare(st, "SELECT r.account_id, NULL, 0, min(r.answered_at) "
                           "FROM temp.jr_scope o JOIN survey_responses r "
                           "ON r.account_id = o.id WHERE r.type = ?1 GROUP BY r.account_id");
    } else if (only) {
        s = db_prepare(st, "SELECT account_id, NULL, 0, min(answered_at) FROM survey_responses "
                           "WHERE account_id = ?2 AND type = ?1 GROUP BY account_id");
        db_bind_i64(s, 2, only);
    } else {
        s = db_prepare(st, "SELECT account_id, NULL, 0, min(answered_at) FROM survey_responses "
                           "WHERE type = ?1 GROUP BY account_id");
    }
    db_bind_text(s, 1, type);
    return each_row(st, s, 4, fn, ctx);
}

/* The renewal: an active entry whose renewal date moved past the first renewal date of the
 * same contract (start date). Growth: an active entry above the first active entry's seats or
 * MRR. */
#define JR_RENEWED(inner, outer)                                                           \
    "SELECT h.account_id, NULL, 0, min(h.effective_date) FROM subscription_history h "     \
    "JOIN (SELECT account_id, start_date, min(renewal_date) AS r0 FROM subscription_history " \
    "      WHERE status = 'active' AND renewal_date IS NOT NULL " inner                    \
    "      GROUP BY account_id, start_date) f "                                            \
    "  ON f.account_id = h.account_id AND f.start_date = h.start_date "                   \
    "WHERE h.status = 'active' AND h.renewal_date > f.r0 " outer " GROUP BY h.account_id"
#define JR_GREW(outer)                                                                     \
    "SELECT h.account_id, NULL, 0, min(h.effective_date) FROM subscription_history h "     \
    "JOIN subscription_history f ON f.id = (SELECT x.id FROM subscription_history x "      \
    "  WHERE x.account_id = h.account_id AND x.status = 'active' "                         \
    "  ORDER BY x.effective_date, x.id LIMIT 1) "                                          \
    "WHERE h.status = 'active' AND (h.seats > f.seats OR h.mrr > f.mrr) " outer           \
    " GROUP BY h.account_id"

int store_jr_subscription(struct store *st, int64_t only, bool grew, jr_row_fn fn, void *ctx)
{
    static const char *const sql[2][2] = {
        { JR_RENEWED("", ""), JR_RENEWED("AND account_id = ?1", "AND h.account_id = ?1") },
        { JR_GREW(""), JR_GREW("AND h.account_id = ?1") },
    };
    sqlite3_stmt *s = db_prepare(st, sql[grew ? 1 : 0][only > 0 ? 1 : 0]);
    if (only > 0)
        db_bind_i64(s, 1, only);
    return each_row(st, s, 4, fn, ctx);
}
