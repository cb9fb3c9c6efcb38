/*
 * SQLite store for playbooks (store/playbooks.h): the playbooks themselves, their runs, the
 * per-playbook band memory, the grouped candidate reads the trigger evaluation runs (one
 * statement per playbook: the account columns every action needs, this playbook's last run
 * per account, and the trigger's own grouped subquery) and the outbound queue. Every SQL
 * text is a fixed string chosen by the trigger kind; every value is bound.
 */
#include "store/playbooks.h"

#include <stdlib.h>
#include <string.h>

#include "store/db.h"

/* ------------------------------------------------------------ playbooks */

#define PB_COLS "id, name, enabled, audience, trigger, actions, cooldown_days, created_at, updated_at"

void playbook_rec_cleanup(struct playbook_rec *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->audience);
    free(r->trigger);
    free(r->actions);
    memset(r, 0, sizeof(*r));
}

void playbook_recs_free(struct playbook_rec *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        playbook_rec_cleanup(&v[i]);
    free(v);
}

static void pb_read(sqlite3_stmt *s, struct playbook_rec *r)
{
    r->id = db_col_i64(s, 0, 0);
    r->name = db_col_text(s, 1);
    r->enabled = db_col_i64(s, 2, 0) != 0;
    r->audience = db_col_text(s, 3);
    r->trigger = db_col_text(s, 4);
    r->actions = db_col_text(s, 5);
    r->cooldown_days = db_col_i64(s, 6, 1);
    db_col_copy(s, 7, r->created_at, sizeof(r->created_at));
    db_col_copy(s, 8, r->updated_at, sizeof(r->updated_at));
}

int store_playbook_create(struct store *st, struct playbook_rec *r)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO playbooks (name, enabled, audience, trigger,"
                                     " actions, cooldown_days, created_at, updated_at)"
                                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_text(s, 1, r->name);
    db_bind_i64(s, 2, r->enabled);
    db_bind_text(s, 3, r->audience);
    db_bind_text(s, 4, r->trigger);
    db_bind_text(s, 5, r->actions);
    db_bind_i64(s, 6, r->cooldown_days);
    db_bind_text(s, 7, now);
    db_bind_text(s, 8, now);
    int rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    r->id = sqlite3_last_insert_rowid(st->db);
    memcpy(r->created_at, now, sizeof(now));
    memcpy(r->updated_at, now, sizeof(now));
    return KZ_OK;
}

int store_playbook_get(struct store *st, int64_t id, struct playbook_rec *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " PB_COLS " FROM playbooks WHERE id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    int rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK)
        pb_read(s, out);
    sqlite3_reset(s);
    return rc;
}

int store_playbook_update(struct store *st, struct playbook_rec *r)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE playbooks SET name = ?, enabled = ?, audience = ?,"
                                     " trigger = ?, actions = ?, cooldown_days = ?,"
                                     " updated_at = ? WHERE id = ?");
    db_bind_text(s, 1, r->name);
    db_bind_i64(s, 2, r->enabled);
    db_bind_text(s, 3, r->audience);
    db_bind_text(s, 4, r->trigger);
    db_bind_text(s, 5, r->actions);
    db_bind_i64(s, 6, r->cooldown_days);
    db_bind_text(s, 7, now);
    db_bind_i64(s, 8, r->id);
    int rc = db_exec_one(st, s);
    if (rc == KZ_OK)
        memcpy(r->updated_at, now, sizeof(now));
    return rc;
}

int store_playbook_delete(struct store *st, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM playbooks WHERE id = ?");
    db_bind_i64(s, 1, id);
    return db_exec_one(st, s);
}

int store_playbooks_list(struct store *st, int64_t after_id, int limit, bool enabled_only,
                         struct playbook_rec **out, size_t *n)
{
    int rc = KZ_OK;
    size_t cap = 16, count = 0;
    struct playbook_rec *v = xcalloc(cap, sizeof(*v));
    sqlite3_stmt *s = db_prepare(st, "SELECT " PB_COLS " FROM playbooks WHERE id > ?"
                                     " AND (? = 0 OR enabled = 1) ORDER BY id LIMIT ?");
    db_bind_i64(s, 1, after_id);
    db_bind_i64(s, 2, enabled_only);
    db_bind_i64(s, 3, limit > 0 ? limit + 1 : -1);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        if (count == cap)
            v = xrealloc(v, (cap *= 2) * sizeof(*v)), memset(v + count, 0, (cap - count) * sizeof(*v));
        pb_read(s, &v[count++]);
    }
    sqlite3_reset(s);
    if (rc) {
        playbook_recs_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

/* ------------------------------------------------------------ candidates */

/* The columns every candidate row starts with (0..13), then X1..X3 (14..16). */
#define CAND_HEAD                                                                                  \
    "SELECT a.id, a.name, a.tier, a.phase, a.owner_id, u.name, u.email, a.health_score,"           \
    " a.health_band, s.renewal_date, a.last_seen_at, a.created_at, a.phase_entered_at,"            \
    " lr.fired_at, "
/* RUNS restricts the last-run subquery (the scoped reads: to the scope's accounts). */
#define CAND_JOINS(RUNS)                                                                           \
    " LEFT JOIN users u ON u.id = a.owner_id"                                                       \
    " LEFT JOIN subscriptions s ON s.account_id = a.id"                                             \
    " LEFT JOIN (SELECT account_id, MAX(fired_at) AS fired_at FROM playbook_runs"                   \
    "  WHERE playbook_id = ?1" RUNS " GROUP BY account_id) lr ON lr.account_id = a.id"
#define CAND_FROM_(RUNS) " FROM accounts a" CAND_JOINS(RUNS)
#define CAND_TIER_(ACC) " WHERE (?2 IS NULL OR a.tier = ?2)" ACC

/*
 * One statement per trigger kind. The scoped set (playbooks_evaluate_accounts: the accounts
 * the scheduler just re-scored) is the same text with every read restricted to the ids in
 * the connection's temporary table pb_scope, so that the accounts are looked up by id
 * instead of scanned: RUNS and ACC restrict the last run and the accounts, NPS the answers,
 * EVT the rollup's accounts.
 */
#define CAND_SQL(RUNS, ACC, NPS, EVT)                                                              \
    {                                                                                              \
        [PBQ_BAND] = CAND_HEAD "b.band, NULL, NULL" CAND_FROM_(RUNS)                               \
            " LEFT JOIN playbook_bands b ON b.playbook_id = ?1 AND b.account_id = a.id"             \
            CAND_TIER_(ACC)                                                                        \
            " AND a.health_band IS NOT NULL AND b.band IS NOT NULL AND b.band <> a.health_band",   \
        [PBQ_PHASE] = CAND_HEAD "NULL, NULL, NULL" CAND_FROM_(RUNS) CAND_TIER_(ACC)                \
            " AND a.phase = ?3 AND a.phase_entered_at >= ?4",                                      \
        [PBQ_RENEWAL] = CAND_HEAD "NULL, NULL, NULL" CAND_FROM_(RUNS) CAND_TIER_(ACC)              \
            " AND s.status <> 'churned' AND s.renewal_date >= ?5 AND s.renewal_date <= ?6",        \
        [PBQ_INACTIVE] = CAND_HEAD "NULL, NULL, NULL" CAND_FROM_(RUNS) CAND_TIER_(ACC)             \
            " AND COALESCE(a.last_seen_at, a.created_at) <= ?4",                                   \
        [PBQ_NPS] = CAND_HEAD "n.score, n.at, NULL" CAND_FROM_(RUNS)                               \
            " JOIN (SELECT account_id, MIN(score) AS score, MAX(created_at) AS at"                 \
            "  FROM survey_responses WHERE type = 'nps' AND score <= ?7 AND answered_at >= ?4"     \
            NPS "  GROUP BY account_id) n ON n.account_id = a.id" CAND_TIER_(ACC),                 \
        /* Per account, a range of the rollup's primary key (account_id, day): the window's   \
         * days only, never a scan of the whole history. */                                    \
        [PBQ_EVENT] = CAND_HEAD "e.c, NULL, NULL FROM (SELECT a2.id AS account_id,"                \
            " (SELECT SUM(d.count) FROM usage_daily d WHERE d.account_id = a2.id AND d.day >= ?5"  \
            "  AND d.event = ?8) AS c FROM accounts a2" EVT ") e"                                  \
            " JOIN accounts a ON a.id = e.account_id" CAND_JOINS(RUNS) CAND_TIER_(ACC)             \
            " AND e.c > 0",                                                                        \
        [PBQ_MILESTONES] = CAND_HEAD "NULL, NULL, (SELECT group_concat(m.milestone, char(10))"     \
            " FROM milestone_states m WHERE m.account_id = a.id AND m.state = 'complete')"         \
            CAND_FROM_(RUNS) CAND_TIER_(ACC) " AND a.phase_entered_at IS NOT NULL",                \
        [PBQ_SEATS] = CAND_HEAD "w.active_users_30, s.seats, NULL" CAND_FROM_(RUNS)                \
            " JOIN account_windows w ON w.account_id = a.id" CAND_TIER_(ACC)                       \
            " AND s.seats > 0 AND s.status <> 'churned'",                                          \
    }

static const char *const cand_sql[] = CAND_SQL("", "", "", "");
static const char *const cand_sql_scoped[] =
    CAND_SQL(" AND account_id IN (SELECT id FROM pb_scope)",
             " AND a.id IN (SELECT id FROM pb_scope)",
             " AND account_id IN (SELECT id FROM pb_scope)",
             " WHERE a2.id IN (SELECT id FROM pb_scope)");

int store_playbook_scope_set(struct store *st, const int64_t *ids, size_t n)
{
    /* A temporary table (in memory: temp_store): this connection's own, never written to
     * the database file, so filling it takes no lock the ingest writer waits for (hence no
     * BEGIN IMMEDIATE around it either). */
    sqlite3_stmt *s = db_prepare(st, "CREATE TEMP TABLE IF NOT EXISTS pb_scope"
                                     " (id INTEGER PRIMARY KEY)");
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK) {
        s = db_prepare(st, "DELETE FROM pb_scope");
        rc = db_exec_stmt(st, s);
    }
    for (size_t i = 0; i < n && rc == KZ_OK; i++) {
        s = db_prepare(st, "INSERT OR IGNORE INTO pb_scope (id) VALUES (?)");
        db_bind_i64(s, 1, ids[i]);
        rc = db_exec_stmt(st, s);
    }
    return rc;
}

void pb_candidate_cleanup(struct pb_candidate *c)
{
    free(c->name);
    free(c->tier);
    free(c->phase);
    free(c->owner_name);
    free(c->owner_email);
    free(c->band);
    free(c->renewal_date);
    free(c->last_seen_at);
    free(c->created_at);
    free(c->entered_at);
    free(c->last_fired_at);
    free(c->prev_band);
    free(c->nps_at);
    free(c->completed);
    memset(c, 0, sizeof(*c));
}

int store_playbook_candidates(struct store *st, const struct pb_query *q,
                              int (*fn)(const struct pb_candidate *c, void *ctx), void *ctx)
{
    int rc = KZ_OK;
    sqlite3_stmt *s = db_prepare(st, q->scoped ? cand_sql_scoped[q->kind] : cand_sql[q->kind]);
    int np = sqlite3_bind_parameter_count(s);
    /* Bind only the numbered parameters the statement uses. */
    db_bind_i64(s, 1, q->playbook_id);
    db_bind_text(s, 2, q->tier);
    if (np >= 3)
        db_bind_text(s, 3, q->phase);
    if (np >= 4)
        db_bind_text(s, 4, q->since);
    if (np >= 5)
        db_bind_text(s, 5, q->from_day);
    if (np >= 6)
        db_bind_text(s, 6, q->to_day);
    if (np >= 7)
        db_bind_i64(s, 7, q->max_score);
    if (np >= 8)
        db_bind_text(s, 8, q->event);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        struct pb_candidate c = {0};
        c.account_id = db_col_i64(s, 0, 0);
        c.name = db_col_text(s, 1);
        c.tier = db_col_text(s, 2);
        c.phase = db_col_text(s, 3);
        c.owner_id = db_col_i64(s, 4, 0);
        c.owner_name = db_col_text(s, 5);
        c.owner_email = db_col_text(s, 6);
        c.health_score = db_col_i64(s, 7, -1);
        c.band = db_col_text(s, 8);
        c.renewal_date = db_col_text(s, 9);
        c.last_seen_at = db_col_text(s, 10);
        c.created_at = db_col_text(s, 11);
        c.entered_at = db_col_text(s, 12);
        c.last_fired_at = db_col_text(s, 13);
        c.nps_score = -1;
        c.seats = -1;
        switch (q->kind) {
        case PBQ_BAND:
            c.prev_band = db_col_text(s, 14);
            break;
        case PBQ_NPS:
            c.nps_score = db_col_i64(s, 14, -1);
            c.nps_at = db_col_text(s, 15);
            break;
        case PBQ_EVENT:
            c.count = db_col_i64(s, 14, 0);
            break;
        case PBQ_MILESTONES:
            c.completed = db_col_text(s, 16);
            break;
        case PBQ_SEATS:
            c.active_users = db_col_i64(s, 14, 0);
            c.seats = db_col_i64(s, 15, -1);
            break;
        default:
            break;
        }
        int r = fn(&c, ctx);
        pb_candidate_cleanup(&c);
        if (r) {
            rc = r;
            break;
        }
    }
    sqlite3_reset(s);
    return rc;
}

int store_playbook_bands_save(struct store *st, int64_t playbook_id)
{
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO playbook_bands (playbook_id, account_id, band)"
                                     " SELECT ?, id, health_band FROM accounts"
                                     " WHERE health_band IS NOT NULL"
                                     " ON CONFLICT (playbook_id, account_id) DO UPDATE"
                                     " SET band = excluded.band WHERE band <> excluded.band");
    db_bind_i64(s, 1, playbook_id);
    return db_exec_stmt(st, s);
}

int store_playbook_bands_save_scoped(struct store *st, int64_t playbook_id)
{
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO playbook_bands (playbook_id, account_id, band)"
                                     " SELECT ?, id, health_band FROM accounts"
                                     " WHERE health_band IS NOT NULL"
                                     " AND id IN (SELECT id FROM pb_scope)"
                                     " ON CONFLICT (playbook_id, account_id) DO UPDATE"
                                     " SET band = excluded.band WHERE band <> excluded.band");
    db_bind_i64(s, 1, playbook_id);
    return db_exec_stmt(st, s);
}

/* ------------------------------------------------------------ runs */

void playbook_runs_free(struct playbook_run *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].account_name);
        free(v[i].detail);
        free(v[i].outcomes);
    }
    free(v);
}

int store_playbook_run_add(struct store *st, struct playbook_run *r)
{
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO playbook_runs (playbook_id, account_id,"
                                     " fired_at, detail, outcomes) VALUES (?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, r->playbook_id);
    db_bind_i64(s, 2, r->account_id);
    db_bind_text(s, 3, r->fired_at);
    db_bind_text(s, 4, r->detail);
    db_bind_text(s, 5, r->outcomes);
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK)
        r->id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_playbook_runs_list(struct store *st, int64_t playbook_id, int64_t before_id, int limit,
                             struct playbook_run **out, size_t *n)
{
    int rc = KZ_OK;
    size_t cap = (size_t)limit + 1, count = 0;
    struct playbook_run *v = xcalloc(cap, sizeof(*v));
    sqlite3_stmt *s = db_prepare(st, "SELECT r.id, r.playbook_id, r.account_id, a.name,"
                                     " r.fired_at, r.detail, r.outcomes FROM playbook_runs r"
                                     " JOIN accounts a ON a.id = r.account_id"
                                     " WHERE r.playbook_id = ? AND (? = 0 OR r.id < ?)"
                                     " ORDER BY r.id DESC LIMIT ?");
    db_bind_i64(s, 1, playbook_id);
    db_bind_i64(s, 2, before_id);
    db_bind_i64(s, 3, before_id);
    db_bind_i64(s, 4, (int64_t)cap);
    while (count < cap) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        struct playbook_run *r = &v[count++];
        r->id = db_col_i64(s, 0, 0);
        r->playbook_id = db_col_i64(s, 1, 0);
        r->account_id = db_col_i64(s, 2, 0);
        r->account_name = db_col_text(s, 3);
        db_col_copy(s, 4, r->fired_at, sizeof(r->fired_at));
        r->detail = db_col_text(s, 5);
        r->outcomes = db_col_text(s, 6);
    }
    sqlite3_reset(s);
    if (rc) {
        playbook_runs_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

/* ------------------------------------------------------------ outbound */

#define OB_COLS                                                                                    \
    "id, kind, payload, playbook_id, account_id, attempts, next_attempt_at, status, last_error,"   \
    " created_at, sent_at, idempotency_key, secret"

void outbound_msgs_free(struct outbound_msg *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].payload);
        free(v[i].last_error);
        free(v[i].sent_at);
        free(v[i].idempotency_key);
        free(v[i].secret);
    }
    free(v);
}

int store_outbound_add(struct store *st, const char *kind, const char *payload, const char *key,
                       const char *secret, int64_t playbook_id, int64_t account_id, int64_t *id,
                       bool *added)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO outbound (kind, payload, playbook_id,"
                                     " account_id, next_attempt_at, created_at, idempotency_key,"
                                     " secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                                     " ON CONFLICT (idempotency_key) DO NOTHING");
    db_bind_text(s, 1, kind);
    db_bind_text(s, 2, payload);
    db_bind_i64_null(s, 3, playbook_id, 0);
    db_bind_i64_null(s, 4, account_id, 0);
    db_bind_text(s, 5, now);
    db_bind_text(s, 6, now);
    db_bind_text(s, 7, key);
    db_bind_text(s, 8, secret);
    int rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    bool fresh = sqlite3_changes(st->db) > 0;
    if (added)
        *added = fresh;
    if (fresh) {
        if (id)
            *id = sqlite3_last_insert_rowid(st->db);
        return KZ_OK;
    }
    s = db_prepare(st, "SELECT id FROM outbound WHERE idempotency_key = ?");
    db_bind_text(s, 1, key);
    rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK && id)
        *id = db_col_i64(s, 0, 0);
    sqlite3_reset(s);
    return rc;
}

static int ob_select(struct store *st, sqlite3_stmt *s, size_t cap, struct outbound_msg **out,
                     size_t *n)
{
    int rc = KZ_OK;
    size_t count = 0;
    struct outbound_msg *v = xcalloc(cap ? cap : 1, sizeof(*v));
    while (count < cap) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        struct outbound_msg *m = &v[count++];
        m->id = db_col_i64(s, 0, 0);
        db_col_copy(s, 1, m->kind, sizeof(m->kind));
        m->payload = db_col_text(s, 2);
        m->playbook_id = db_col_i64(s, 3, 0);
        m->account_id = db_col_i64(s, 4, 0);
        m->attempts = db_col_i64(s, 5, 0);
        db_col_copy(s, 6, m->next_attempt_at, sizeof(m->next_attempt_at));
        db_col_copy(s, 7, m->status, sizeof(m->status));
        m->last_error = db_col_text(s, 8);
        db_col_copy(s, 9, m->created_at, sizeof(m->created_at));
        m->sent_at = db_col_text(s, 10);
        m->idempotency_key = db_col_text(s, 11);
        m->secret = db_col_text(s, 12);
    }
    sqlite3_reset(s);
    if (rc) {
        outbound_msgs_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

int store_outbound_due(struct store *st, const char *now, int limit, struct outbound_msg **out,
                       size_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " OB_COLS " FROM outbound WHERE status = 'pending'"
                                     " AND next_attempt_at <= ? ORDER BY next_attempt_at, id"
                                     " LIMIT ?");
    db_bind_text(s, 1, now);
    db_bind_i64(s, 2, limit);
    return ob_select(st, s, (size_t)limit, out, n);
}

int store_outbound_attempt(struct store *st, int64_t id, const char *error, const char *next_at)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE outbound SET attempts = attempts + 1,"
                                     " status = ?, last_error = COALESCE(?, last_error),"
                                     " next_attempt_at = COALESCE(?, next_attempt_at),"
                                     " sent_at = ? WHERE id = ?");
    db_bind_text(s, 1, !error ? "sent" : next_at ? "pending" : "failed");
    db_bind_text(s, 2, error);
    db_bind_text(s, 3, next_at);
    db_bind_text(s, 4, error ? NULL : now);
    db_bind_i64(s, 5, id);
    return db_exec_one(st, s);
}

int store_outbound_defer(struct store *st, int64_t id, const char *error, const char *next_at)
{
    sqlite3_stmt *s = db_prepare(st, "UPDATE outbound SET last_error = ?, next_attempt_at = ?"
                                     " WHERE id = ? AND status = 'pending'");
    db_bind_text(s, 1, error);
    db_bind_text(s, 2, next_at);
    db_bind_i64(s, 3, id);
    return db_exec_one(st, s);
}

int store_outbound_due_now(struct store *st, const char *kind)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE outbound SET next_attempt_at = ?"
                                     " WHERE status = 'pending' AND kind = ? AND next_attempt_at > ?");
    db_bind_text(s, 1, now);
    db_bind_text(s, 2, kind);
    db_bind_text(s, 3, now);
    return db_exec_stmt(st, s);
}

int store_outbound_list(struct store *st, const char *status, int64_t before_id, int limit,
                        struct outbound_msg **out, size_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " OB_COLS " FROM outbound WHERE (?1 IS NULL OR"
                                     " status = ?1) AND (?2 = 0 OR id < ?2)"
                                     " ORDER BY id DESC LIMIT ?3");
    db_bind_text(s, 1, status);
    db_bind_i64(s, 2, before_id);
    db_bind_i64(s, 3, limit + 1);
    return ob_select(st, s, (size_t)limit + 1, out, n);
}
