/*
 * SQLite store for success plans (goals, goal_values), survey responses and the CSM
 * sentiment (store/success.h). A goal's `current` column is a cache of its latest
 * measurement: every write of a value recomputes it from goal_values in the same
 * transaction, so the two never disagree. Lists are keyset-paginated; list SQL is assembled
 * from fixed fragments only and every value is bound.
 */
#include "store/db.h"
#include "store/success.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ goals */

#define GOAL_COLS                                                                                  \
    "id, account_id, title, metric, unit, baseline, target, current, due_date, status, "           \
    "created_at, updated_at"

void goal_cleanup(struct goal *g)
{
    if (!g)
        return;
    free(g->title);
    free(g->metric);
    free(g->unit);
    free(g->due_date);
    free(g->status);
    memset(g, 0, sizeof(*g));
}

void goals_free(struct goal *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        goal_cleanup(&v[i]);
    free(v);
}

static void bind_opt_double(sqlite3_stmt *s, int i, bool has, double v)
{
    if (has)
        sqlite3_bind_double(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

/* Fills g (assumed empty) from a row selected with GOAL_COLS. */
static void goal_read(sqlite3_stmt *s, struct goal *g)
{
    g->id = db_col_i64(s, 0, 0);
    g->account_id = db_col_i64(s, 1, 0);
    g->title = db_col_text(s, 2);
    g->metric = db_col_text(s, 3);
    g->unit = db_col_text(s, 4);
    g->has_baseline = sqlite3_column_type(s, 5) != SQLITE_NULL;
    g->baseline = sqlite3_column_double(s, 5);
    g->target = sqlite3_column_double(s, 6);
    g->has_current = sqlite3_column_type(s, 7) != SQLITE_NULL;
    g->current = sqlite3_column_double(s, 7);
    g->due_date = db_col_text(s, 8);
    g->status = db_col_text(s, 9);
    db_col_copy(s, 10, g->created_at, sizeof(g->created_at));
    db_col_copy(s, 11, g->updated_at, sizeof(g->updated_at));
}

int store_goal_get(struct store *st, int64_t account_id, int64_t id, struct goal *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " GOAL_COLS " FROM goals"
                                     " WHERE id = ? AND account_id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    int rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK)
        goal_read(s, out);
    sqlite3_reset(s);
    return rc;
}

/* Appends value to the history of goal_id, then sets the goal's current to its latest
 * measurement and updated_at to now; *current gets that value. Inside the caller's
 * transaction. */
static int value_append(struct store *st, int64_t account_id, int64_t goal_id, double value,
                        const char *measured_at, int64_t user_id, int64_t *value_id,
                        double *current)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO goal_values (account_id, goal_id, value,"
                                     " measured_at, user_id) VALUES (?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, account_id);
    db_bind_i64(s, 2, goal_id);
    sqlite3_bind_double(s, 3, value);
    db_bind_text(s, 4, measured_at);
    db_bind_i64_null(s, 5, user_id, 0);
    int rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    if (value_id)
        *value_id = sqlite3_last_insert_rowid(st->db);
    s = db_prepare(st, "UPDATE goals SET current = (SELECT value FROM goal_values"
                       " WHERE goal_id = ?1 ORDER BY measured_at DESC, id DESC LIMIT 1),"
                       " updated_at = ?2 WHERE id = ?1");
    db_bind_i64(s, 1, goal_id);
    db_bind_text(s, 2, now);
    if ((rc = db_exec_one(st, s)))
        return rc;
    s = db_prepare(st, "SELECT current FROM goals WHERE id = ?");
    db_bind_i64(s, 1, goal_id);
    rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK && current)
        *current = sqlite3_column_double(s, 0);
    sqlite3_reset(s);
    return rc;
}

int store_goal_create(struct store *st, struct goal *g, int64_t user_id)
{
    char now[21];
    db_now(now);
    if (!g->status)
        g->status = xstrdup("active");
    int rc = store_begin(st);
    if (rc)
        return rc;
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO goals (account_id, title, metric, unit,"
                                     " baseline, target, current, due_date, status, created_at,"
                                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)");
    db_bind_i64(s, 1, g->account_id);
    db_bind_text(s, 2, g->title);
    db_bind_text(s, 3, g->metric);
    db_bind_text(s, 4, g->unit);
    bind_opt_double(s, 5, g->has_baseline, g->baseline);
    sqlite3_bind_double(s, 6, g->target);
    db_bind_text(s, 7, g->due_date);
    db_bind_text(s, 8, g->status);
    db_bind_text(s, 9, now);
    db_bind_text(s, 10, now);
    if ((rc = db_exec_stmt(st, s)))
        goto out;
    g->id = sqlite3_last_insert_rowid(st->db);
    if (g->has_current)
        rc = value_append(st, g->account_id, g->id, g->current, now, user_id, NULL, &g->current);
out:
    if (rc) {
        store_rollback(st);
        return rc;
    }
    memcpy(g->created_at, now, sizeof(now));
    memcpy(g->updated_at, now, sizeof(now));
    return store_commit(st);
}

int store_goal_update(struct store *st, struct goal *g, bool record_current, int64_t user_id)
{
    char now[21];
    db_now(now);
    int rc = store_begin(st);
    if (rc)
        return rc;
    sqlite3_stmt *s = db_prepare(st, "UPDATE goals SET title = ?, metric = ?, unit = ?,"
                                     " baseline = ?, target = ?, due_date = ?, status = ?,"
                                     " updated_at = ? WHERE id = ? AND account_id = ?");
    db_bind_text(s, 1, g->title);
    db_bind_text(s, 2, g->metric);
    db_bind_text(s, 3, g->unit);
    bind_opt_double(s, 4, g->has_baseline, g->baseline);
    sqlite3_bind_double(s, 5, g->target);
    db_bind_text(s, 6, g->due_date);
    db_bind_text(s, 7, g->status);
    db_bind_text(s, 8, now);
    db_bind_i64(s, 9, g->id);
    db_bind_i64(s, 10, g->account_id);
    if ((rc = db_exec_one(st, s)))
        goto out;
    if (record_current) {
        rc = value_append(st, g->account_id, g->id, g->current, now, user_id, NULL, &g->current);
        g->has_current = true;
    }
out:
    if (rc) {
        store_rollback(st);
        return rc;
    }
    memcpy(g->updated_at, now, sizeof(now));
    return store_commit(st);
}

int store_goal_delete(struct store *st, int64_t account_id, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM goals WHERE id = ? AND account_id = ?");
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    return db_exec_one(st, s);
}

int store_goals_list(struct store *st, int64_t account_id, const char *status, int64_t after_id,
                     int limit, struct goal **out, size_t *n)
{
    size_t cap = limit > 0 ? (size_t)limit + 1 : 1, count = 0;
    struct goal *v = xcalloc(cap, sizeof(*v));
    int rc = KZ_OK;
    sqlite3_stmt *s = db_prepare(st, "SELECT " GOAL_COLS " FROM goals WHERE account_id = ?"
                                     " AND (?2 IS NULL OR status = ?2) AND id > ?"
                                     " ORDER BY id LIMIT ?");
    db_bind_i64(s, 1, account_id);
    db_bind_text(s, 2, status);
    db_bind_i64(s, 3, after_id);
    db_bind_i64(s, 4, (int64_t)cap);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        goal_read(s, &v[count++]);
        if (count == cap)
            break;
    }
    sqlite3_reset(s);
    if (rc) {
        goals_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

int store_goal_value_add(struct store *st, int64_t account_id, struct goal_value *v,
                         double *current)
{
    int rc = store_begin(st);
    if (rc)
        return rc;
    sqlite3_stmt *s = db_prepare(st, "SELECT 1 FROM goals WHERE id = ? AND account_id = ?");
    db_bind_i64(s, 1, v->goal_id);
    db_bind_i64(s, 2, account_id);
    rc = db_row_rc(st, sqlite3_step(s));
    sqlite3_reset(s);
    if (rc == KZ_OK)
        rc = value_append(st, account_id, v->goal_id, v->value, v->measured_at, v->user_id,
                          &v->id, current);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int store_goal_values_list(struct store *st, int64_t goal_id, const char *after_at,
                           int64_t after_id, int limit, struct goal_value **out, size_t *n)
{
    size_t cap = limit > 0 ? (size_t)limit + 1 : 1, count = 0;
    struct goal_value *v = xcalloc(cap, sizeof(*v));
    int rc = KZ_OK;
    sqlite3_stmt *s = db_prepare(st, "SELECT id, goal_id, value, measured_at, user_id"
                                     " FROM goal_values WHERE goal_id = ?1 AND (?2 IS NULL OR"
                                     " measured_at > ?2 OR (measured_at = ?2 AND id > ?3))"
                                     " ORDER BY measured_at, id LIMIT ?4");
    db_bind_i64(s, 1, goal_id);
    db_bind_text(s, 2, after_at);
    db_bind_i64(s, 3, after_id);
    db_bind_i64(s, 4, (int64_t)cap);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        struct goal_value *g = &v[count++];
        g->id = db_col_i64(s, 0, 0);
        g->goal_id = db_col_i64(s, 1, 0);
        g->value = sqlite3_column_double(s, 2);
        db_col_copy(s, 3, g->measured_at, sizeof(g->measured_at));
        g->user_id = db_col_i64(s, 4, 0);
        if (count == cap)
            break;
    }
    sqlite3_reset(s);
    if (rc) {
        free(v);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

/* ------------------------------------------------------------ survey responses */

#define SURVEY_COLS "id, account_id, contact_id, type, score, comment, answered_at, created_at"

void survey_response_cleanup(struct survey_response *s)
{
    if (!s)
        return;
    free(s->comment);
    memset(s, 0, sizeof(*s));
}

void survey_responses_free(struct survey_response *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        survey_response_cleanup(&v[i]);
    free(v);
}

static void survey_read(sqlite3_stmt *s, struct survey_response *r)
{
    enum survey_type t = SURVEY_NPS;
    r->id = db_col_i64(s, 0, 0);
    r->account_id = db_col_i64(s, 1, 0);
    r->contact_id = db_col_i64(s, 2, 0);
    survey_type_parse((const char *)sqlite3_column_text(s, 3), &t); /* CHECKed by the schema */
    r->type = t;
    r->score = db_col_i64(s, 4, 0);
    r->comment = db_col_text(s, 5);
    db_col_copy(s, 6, r->answered_at, sizeof(r->answered_at));
    db_col_copy(s, 7, r->created_at, sizeof(r->created_at));
}

int store_survey_response_get(struct store *st, int64_t account_id, int64_t id,
                              struct survey_response *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " SURVEY_COLS " FROM survey_responses"
                                     " WHERE id = ? AND account_id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    int rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK)
        survey_read(s, out);
    sqlite3_reset(s);
    return rc;
}

int store_survey_response_create(struct store *st, struct survey_response *r)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO survey_responses (account_id, contact_id,"
                                     " type, score, comment, answered_at, created_at)"
                                     " VALUES (?, ?, ?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, r->account_id);
    db_bind_i64_null(s, 2, r->contact_id, 0);
    db_bind_text(s, 3, survey_type_name(r->type));
    db_bind_i64(s, 4, r->score);
    db_bind_text(s, 5, r->comment);
    db_bind_text(s, 6, r->answered_at);
    db_bind_text(s, 7, now);
    int rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    r->id = sqlite3_last_insert_rowid(st->db);
    memcpy(r->created_at, now, sizeof(now));
    return KZ_OK;
}

int store_survey_response_delete(struct store *st, int64_t account_id, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM survey_responses WHERE id = ? AND account_id = ?");
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    return db_exec_one(st, s);
}

int store_survey_response_find(struct store *st, const struct survey_response *key,
                               struct survey_response *out)
{
    /* `IS ?` matches a NULL contact too (PostgreSQL: IS NOT DISTINCT FROM). */
    sqlite3_stmt *s = db_prepare(st, "SELECT " SURVEY_COLS " FROM survey_responses"
                                     " WHERE account_id = ? AND answered_at = ? AND type = ?"
                                     " AND contact_id IS ? ORDER BY id LIMIT 1");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, key->account_id);
    db_bind_text(s, 2, key->answered_at);
    db_bind_text(s, 3, survey_type_name(key->type));
    db_bind_i64_null(s, 4, key->contact_id, 0);
    int rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK)
        survey_read(s, out);
    sqlite3_reset(s);
    return rc;
}

int store_survey_response_set(struct store *st, const struct survey_response *r)
{
    sqlite3_stmt *s = db_prepare(st, "UPDATE survey_responses SET score = ?, comment = ?"
                                     " WHERE id = ?");
    db_bind_i64(s, 1, r->score);
    db_bind_text(s, 2, r->comment);
    db_bind_i64(s, 3, r->id);
    return db_exec_one(st, s);
}

/* The WHERE clause of a survey list or count for f (fixed fragments) and its bindings. */
static void survey_where(struct buf *sql, const struct survey_filter *f, bool with_cursor)
{
    buf_printf(sql, "%s", " WHERE account_id = ?");
    if (f->has_type)
        buf_printf(sql, "%s", " AND type = ?");
    if (f->from)
        buf_printf(sql, "%s", " AND answered_at >= ?");
    if (f->before)
        buf_printf(sql, "%s", " AND answered_at < ?");
    if (with_cursor && f->has_cursor)
        buf_printf(sql, "%s", " AND (answered_at < ? OR (answered_at = ? AND id < ?))");
}

static int survey_bind(sqlite3_stmt *s, const struct survey_filter *f, bool with_cursor)
{
    int b = 1;
    db_bind_i64(s, b++, f->account_id);
    if (f->has_type)
        db_bind_text(s, b++, survey_type_name(f->type));
    if (f->from)
        db_bind_text(s, b++, f->from);
    if (f->before)
        db_bind_text(s, b++, f->before);
    if (with_cursor && f->has_cursor) {
        db_bind_text(s, b++, f->cursor_at);
        db_bind_text(s, b++, f->cursor_at);
        db_bind_i64(s, b++, f->cursor_id);
    }
    return b;
}

int store_survey_responses_list(struct store *st, const struct survey_filter *f,
                                struct survey_response **out, size_t *n)
{
    size_t cap = f->limit > 0 ? (size_t)f->limit + 1 : 1, count = 0;
    struct survey_response *v = xcalloc(cap, sizeof(*v));
    int rc = KZ_OK;
    struct buf sql;
    buf_init(&sql, 0);
    buf_printf(&sql, "%s", "SELECT " SURVEY_COLS " FROM survey_responses");
    survey_where(&sql, f, true);
    buf_printf(&sql, "%s", " ORDER BY answered_at DESC, id DESC LIMIT ?");
    sqlite3_stmt *s = db_prepare(st, sql.p);
    int b = survey_bind(s, f, true);
    db_bind_i64(s, b, (int64_t)cap);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        survey_read(s, &v[count++]);
        if (count == cap)
            break;
    }
    sqlite3_reset(s);
    buf_free(&sql);
    if (rc) {
        survey_responses_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

int store_survey_counts(struct store *st, const struct survey_filter *f,
                        struct survey_counts counts[SURVEY_TYPE_COUNT])
{
    int rc = KZ_OK;
    struct buf sql;
    memset(counts, 0, SURVEY_TYPE_COUNT * sizeof(*counts));
    buf_init(&sql, 0);
    buf_printf(&sql, "%s", "SELECT type, score, count(*) FROM survey_responses");
    survey_where(&sql, f, false);
    buf_printf(&sql, "%s", " GROUP BY type, score");
    sqlite3_stmt *s = db_prepare(st, sql.p);
    survey_bind(s, f, false);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        enum survey_type t;
        int64_t score = db_col_i64(s, 1, -1);
        if (survey_type_parse((const char *)sqlite3_column_text(s, 0), &t) == 0 &&
            survey_score_valid(t, score))
            counts[t].n[score] += db_col_i64(s, 2, 0);
    }
    sqlite3_reset(s);
    buf_free(&sql);
    return rc;
}

int store_contact_id_by_email(struct store *st, int64_t account_id, const char *email,
                              int64_t *id)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT id FROM contacts WHERE account_id = ?"
                                     " AND lower(email) = lower(?) ORDER BY id LIMIT 1");
    db_bind_i64(s, 1, account_id);
    db_bind_text(s, 2, email);
    int rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK)
        *id = db_col_i64(s, 0, 0);
    sqlite3_reset(s);
    return rc;
}

/* ------------------------------------------------------------ CSM sentiment */

int store_account_sentiment_set(struct store *st, int64_t account_id, int score,
                                const char *note, int64_t user_id)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE accounts SET sentiment = ?, sentiment_note = ?,"
                                     " sentiment_at = ?, sentiment_by = ? WHERE id = ?");
    db_bind_i64_null(s, 1, score, 0);
    db_bind_text(s, 2, score ? note : NULL);
    db_bind_text(s, 3, score ? now : NULL);
    db_bind_i64_null(s, 4, score ? user_id : 0, 0);
    db_bind_i64(s, 5, account_id);
    return db_exec_one(st, s);
}
