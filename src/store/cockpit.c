/*
 * SQLite store for the cockpit and the activity feed (store/cockpit.h). Each read is one
 * fixed SQL text (the activity list picks one of a few fixed fragments by which filters are
 * set) with every value bound. The plans, checked with EXPLAIN QUERY PLAN on 100,000
 * accounts (docs/cockpit.md): tasks search tasks_assignee (assignee_id, status) and sort one
 * user's open tasks; at-risk and renewals search accounts_owner, then one primary-key
 * lookup each into subscriptions and health_snapshots (keyed by day, account); the activity
 * feed reads one owner's accounts' entries in a time window (timeline_account: the cockpit's
 * last COCKPIT_ACTIVITY_DAYS days), or walks timeline_metrics (occurred_at, ...) backwards and
 * stops at the page's end, or searches timeline_account when one account is asked for.
 */
#include "store/cockpit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

/* Grows *v (elements of size sz, capacity *cap) to hold one more, zeroing new slots. */
static void *grow(void *v, size_t sz, size_t n, size_t *cap)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? *cap * 2 : 16;
    v = xrealloc(v, c * sz);
    memset((char *)v + *cap * sz, 0, (c - *cap) * sz);
    *cap = c;
    return v;
}

/* ------------------------------------------------------------ tasks */

void cockpit_tasks_free(struct cockpit_task *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        task_cleanup(&v[i].t);
        free(v[i].account_name);
    }
    free(v);
}

int store_cockpit_tasks(struct store *st, int64_t user_id, const char *today, int limit,
                        struct cockpit_task **out, size_t *n, struct cockpit_task_counts *counts)
{
    int rc = KZ_OK, src;
    size_t cap = 0, count = 0;
    struct cockpit_task *v = NULL;
    sqlite3_stmt *s;

    if (counts) {
        s = db_prepare(st, "SELECT COUNT(*), COALESCE(SUM(due_date < ?2), 0),"
                           " COALESCE(SUM(due_date = ?2), 0) FROM tasks"
                           " WHERE assignee_id = ?1 AND status = 'open'");
        db_bind_i64(s, 1, user_id);
        db_bind_text(s, 2, today);
        src = sqlite3_step(s);
        if (src == SQLITE_ROW) {
            counts->open = db_col_i64(s, 0, 0);
            counts->overdue = db_col_i64(s, 1, 0);
            counts->due_today = db_col_i64(s, 2, 0);
        } else {
            rc = db_rc(st, src);
        }
        sqlite3_reset(s);
        if (rc)
            goto out;
    }
    s = db_prepare(st, "SELECT t.id, t.account_id, t.title, t.assignee_id, t.due_date, t.type,"
                       " t.status, t.completed_at, t.source, t.notes, t.created_by,"
                       " t.created_at, t.updated_at, a.name"
                       " FROM tasks t JOIN accounts a ON a.id = t.account_id"
                       " WHERE t.assignee_id = ? AND t.status = 'open'"
                       " ORDER BY t.due_date IS NULL, t.due_date, t.id LIMIT ?");
    db_bind_i64(s, 1, user_id);
    db_bind_i64(s, 2, limit);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        v = grow(v, sizeof(*v), count, &cap);
        struct cockpit_task *x = &v[count++];
        x->t.id = db_col_i64(s, 0, 0);
        x->t.account_id = db_col_i64(s, 1, 0);
        x->t.title = db_col_text(s, 2);
        x->t.assignee_id = db_col_i64(s, 3, 0);
        x->t.due_date = db_col_text(s, 4);
        x->t.type = db_col_text(s, 5);
        x->t.status = db_col_text(s, 6);
        x->t.completed_at = db_col_text(s, 7);
        x->t.source = db_col_text(s, 8);
        x->t.notes = db_col_text(s, 9);
        x->t.created_by = db_col_i64(s, 10, 0);
        db_col_copy(s, 11, x->t.created_at, sizeof(x->t.created_at));
        db_col_copy(s, 12, x->t.updated_at, sizeof(x->t.updated_at));
        x->account_name = db_col_text(s, 13);
    }
    if (src != SQLITE_DONE)
        rc = db_rc(st, src);
    sqlite3_reset(s);
out:
    if (rc) {
        cockpit_tasks_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

/* ------------------------------------------------------------ accounts at risk */

void cockpit_risks_free(struct cockpit_risk *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].phase);
    }
    free(v);
}

int store_cockpit_at_risk(struct store *st, int64_t user_id, const char *today,
                          const char *before, int limit, struct cockpit_risk **out, size_t *n,
                          int64_t *total, int64_t *red, int64_t *falling)
{
    static const char *const components[] = {"deployment", "engagement", "adoption", "roi"};
    int rc = KZ_OK, src;
    size_t cap = 0, count = 0;
    struct cockpit_risk *v = NULL;
    *total = *red = *falling = 0;
    /* accounts_owner, then a primary-key lookup per account into each snapshot day. */
    sqlite3_stmt *s = db_prepare(
        st, "SELECT a.id, a.name, a.tier, a.phase, a.health_score, a.health_band, p.score,"
            " s.mrr, s.currency, h.deployment, h.engagement, h.adoption, h.roi"
            " FROM accounts a"
            " LEFT JOIN health_snapshots p ON p.day = ?2 AND p.account_id = a.id"
            " LEFT JOIN health_snapshots h ON h.day = ?3 AND h.account_id = a.id"
            " LEFT JOIN subscriptions s ON s.account_id = a.id"
            " WHERE a.owner_id = ?1 AND a.health_score IS NOT NULL"
            " AND (s.status IS NULL OR s.status <> 'churned')" /* lost already, not at risk */
            " AND (a.health_band = 'red' OR a.health_score <= p.score - ?4)"
            " ORDER BY a.health_score, a.id");
    db_bind_i64(s, 1, user_id);
    db_bind_text(s, 2, before);
    db_bind_text(s, 3, today);
    db_bind_i64(s, 4, COCKPIT_FALLING_POINTS);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        int score = (int)db_col_i64(s, 4, -1);
        int prev = (int)db_col_i64(s, 6, -1);
        char band[7];
        db_col_copy(s, 5, band, sizeof(band));
        bool is_red = str_eq(band, "red");
        bool is_falling = prev >= 0 && score <= prev - COCKPIT_FALLING_POINTS;
        (*total)++;
        *red += is_red;
        *falling += is_falling;
        if (count >= (size_t)limit)
            continue;
        v = grow(v, sizeof(*v), count, &cap);
        struct cockpit_risk *x = &v[count++];
        x->account_id = db_col_i64(s, 0, 0);
        x->name = db_col_text(s, 1);
        db_col_copy(s, 2, x->tier, sizeof(x->tier));
        x->phase = db_col_text(s, 3);
        x->score = score;
        memcpy(x->band, band, sizeof(band));
        x->score_before = prev;
        x->red = is_red;
        x->falling = is_falling;
        x->mrr = db_col_i64(s, 7, -1);
        db_col_copy(s, 8, x->currency, sizeof(x->currency));
        x->weakest_score = -1;
        for (int c = 0; c < 4; c++) {
            int64_t cs = db_col_i64(s, 9 + c, -1);
            if (cs >= 0 && (x->weakest_score < 0 || cs < x->weakest_score)) {
                x->weakest_score = (int)cs;
                snprintf(x->weakest, sizeof(x->weakest), "%s", components[c]);
            }
        }
    }
    if (src != SQLITE_DONE)
        rc = db_rc(st, src);
    sqlite3_reset(s);
    if (rc) {
        cockpit_risks_free(v, count);
        v = NULL;
        count = 0;
        *total = *red = *falling = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

/* ------------------------------------------------------------ renewals */

void cockpit_renewals_free(struct cockpit_renewal *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].phase);
    }
    free(v);
}

int store_cockpit_renewals(struct store *st, int64_t user_id, const char *from, const char *to,
                           int limit, struct cockpit_renewal **out, size_t *n, int64_t *total)
{
    int rc = KZ_OK, src;
    size_t cap = 0, count = 0;
    struct cockpit_renewal *v = NULL;
    *total = 0;
    sqlite3_stmt *s = db_prepare(
        st, "SELECT a.id, a.name, a.tier, a.phase, s.renewal_date, s.mrr, s.currency, s.status,"
            " s.auto_renew, a.health_score, a.health_band"
            " FROM accounts a JOIN subscriptions s ON s.account_id = a.id"
            " WHERE a.owner_id = ?1 AND s.status <> 'churned'"
            " AND s.renewal_date >= ?2 AND s.renewal_date <= ?3"
            " ORDER BY s.renewal_date, a.id");
    db_bind_i64(s, 1, user_id);
    db_bind_text(s, 2, from);
    db_bind_text(s, 3, to);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        (*total)++;
        if (count >= (size_t)limit)
            continue;
        v = grow(v, sizeof(*v), count, &cap);
        struct cockpit_renewal *x = &v[count++];
        x->account_id = db_col_i64(s, 0, 0);
        x->name = db_col_text(s, 1);
        db_col_copy(s, 2, x->tier, sizeof(x->tier));
        x->phase = db_col_text(s, 3);
        db_col_copy(s, 4, x->renewal_date, sizeof(x->renewal_date));
        x->mrr = db_col_i64(s, 5, 0);
        db_col_copy(s, 6, x->currency, sizeof(x->currency));
        db_col_copy(s, 7, x->status, sizeof(x->status));
        x->auto_renew = db_col_i64(s, 8, 0) != 0;
        x->score = (int)db_col_i64(s, 9, -1);
        db_col_copy(s, 10, x->band, sizeof(x->band));
    }
    if (src != SQLITE_DONE)
        rc = db_rc(st, src);
    sqlite3_reset(s);
    if (rc) {
        cockpit_renewals_free(v, count);
        v = NULL;
        count = 0;
        *total = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

int store_cockpit_accounts(struct store *st, int64_t user_id, int64_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT COUNT(*) FROM accounts WHERE owner_id = ?");
    db_bind_i64(s, 1, user_id);
    int src = sqlite3_step(s);
    *n = src == SQLITE_ROW ? db_col_i64(s, 0, 0) : 0;
    sqlite3_reset(s);
    return src == SQLITE_ROW ? KZ_OK : db_rc(st, src);
}

/* ------------------------------------------------------------ activity */

/* An owner with more accounts than this and no time bound: walk the timeline newest first. */
#define ACTIVITY_BOOK_SCAN 2000

void activity_entries_free(struct activity_entry *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].account_name);
        free(v[i].type);
        free(v[i].author_name);
        free(v[i].summary);
    }
    free(v);
}

int store_activity_list(struct store *st, const struct activity_filter *f,
                        struct activity_entry **out, size_t *n)
{
    int rc = KZ_OK, src = SQLITE_DONE;
    size_t cap = f->limit > 0 ? (size_t)f->limit + 1 : 1, count = 0;
    struct activity_entry *v = xcalloc(cap, sizeof(*v));
    struct buf sql;
    int b = 1;

    /*
     * Two plans. By the owner's accounts (accounts_owner, then each account's entries in
     * timeline_account, sorted): its cost is the book's entries, so it is the plan for a
     * bounded window (since) or a book of up to ACTIVITY_BOOK_SCAN accounts. Otherwise the
     * entries stay outermost (CROSS JOIN): newest first down timeline_metrics (or
     * timeline_account for one account), each checked against its account, stopping at the
     * page's end instead of reading and sorting every entry of a large book.
     */
    bool by_book = false;
    if (f->owner_id > 0 && f->account_id <= 0) {
        int64_t book = 0;
        by_book = f->since != NULL ||
                  (store_cockpit_accounts(st, f->owner_id, &book) == KZ_OK &&
                   book <= ACTIVITY_BOOK_SCAN);
    }
    /* Only fixed fragments go into the SQL text: the values are bound below. */
    buf_init(&sql, 0);
    buf_printf(&sql, "%s",
               "SELECT e.id, e.account_id, a.name, e.type, e.author_id, u.name, e.occurred_at,"
               " e.summary, e.created_at FROM timeline_entries e");
    buf_printf(&sql, "%s", by_book ? " JOIN accounts a ON a.id = e.account_id"
                                   : " CROSS JOIN accounts a ON a.id = e.account_id");
    buf_printf(&sql, "%s", " LEFT JOIN users u ON u.id = e.author_id WHERE 1 = 1");
    if (f->owner_id > 0)
        buf_printf(&sql, "%s", " AND a.owner_id = ?");
    else if (f->owner_id < 0)
        buf_printf(&sql, "%s", " AND a.owner_id IS NULL");
    if (f->account_id > 0)
        buf_printf(&sql, "%s", " AND e.account_id = ?");
    if (f->type)
        buf_printf(&sql, "%s", " AND e.type = ?");
    if (f->since)
        buf_printf(&sql, "%s", " AND e.occurred_at >= ?");
    if (f->has_cursor)
        buf_printf(&sql, "%s", " AND (e.occurred_at < ? OR (e.occurred_at = ? AND e.id < ?))");
    buf_printf(&sql, "%s", " ORDER BY e.occurred_at DESC, e.id DESC LIMIT ?");

    sqlite3_stmt *s = db_prepare(st, sql.p);
    if (f->owner_id > 0)
        db_bind_i64(s, b++, f->owner_id);
    if (f->account_id > 0)
        db_bind_i64(s, b++, f->account_id);
    if (f->type)
        db_bind_text(s, b++, f->type);
    if (f->since)
        db_bind_text(s, b++, f->since);
    if (f->has_cursor) {
        db_bind_text(s, b++, f->cursor_at);
        db_bind_text(s, b++, f->cursor_at);
        db_bind_i64(s, b++, f->cursor_id);
    }
    db_bind_i64(s, b, (int64_t)cap);
    while (count < cap && (src = sqlite3_step(s)) == SQLITE_ROW) {
        struct activity_entry *x = &v[count++];
        x->id = db_col_i64(s, 0, 0);
        x->account_id = db_col_i64(s, 1, 0);
        x->account_name = db_col_text(s, 2);
        x->type = db_col_text(s, 3);
        x->author_id = db_col_i64(s, 4, 0);
        x->author_name = db_col_text(s, 5);
        db_col_copy(s, 6, x->occurred_at, sizeof(x->occurred_at));
        x->summary = db_col_text(s, 7);
        db_col_copy(s, 8, x->created_at, sizeof(x->created_at));
    }
    if (count < cap && src != SQLITE_DONE)
        rc = db_rc(st, src);
    sqlite3_reset(s);
    buf_free(&sql);
    if (rc) {
        activity_entries_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

/* ------------------------------------------------------------ team */

void team_members_free(struct team_member *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

int store_team_list(struct store *st, int64_t after_id, int limit, struct team_member **out,
                    size_t *n)
{
    int rc = KZ_OK, src;
    size_t cap = 0, count = 0;
    struct team_member *v = NULL;
    sqlite3_stmt *s = db_prepare(st, "SELECT id, name, role, disabled FROM users WHERE id > ?"
                                     " ORDER BY id LIMIT ?");
    db_bind_i64(s, 1, after_id);
    db_bind_i64(s, 2, (int64_t)limit + 1);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        v = grow(v, sizeof(*v), count, &cap);
        struct team_member *x = &v[count++];
        x->id = db_col_i64(s, 0, 0);
        x->name = db_col_text(s, 1);
        if (role_parse((const char *)sqlite3_column_text(s, 2), &x->role))
            x->role = ROLE_VIEWER;
        x->disabled = db_col_i64(s, 3, 0) != 0;
    }
    if (src != SQLITE_DONE)
        rc = db_rc(st, src);
    sqlite3_reset(s);
    if (rc) {
        team_members_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}
