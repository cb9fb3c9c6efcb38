/*
 * SQLite store for the metrics (store/metrics.h). Every query is assembled from fixed SQL
 * fragments: the account filter always binds ?1..?4 (owner, tier, phase, industry) and the
 * query's own values start at ?5, so the text depends only on which filters are set and the
 * prepared-statement cache holds a handful of variants. Rows are streamed to the caller.
 *
 * The subscription scan is the hot one (100,000 accounts x 36 months in bench/metrics): it
 * reads subscription_history through the covering index of migration 008, in index order,
 * and joins accounts only when a filter is set.
 */
#include "store/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "store/db.h"

static bool filtered(const struct metrics_filter *f)
{
    return f->owner_id || f->tier || f->phase || f->industry || f->segment;
}

/* Appends the conditions on accounts `a` for f (each starting with " AND "). */
static void filter_sql(struct buf *q, const struct metrics_filter *f)
{
    if (f->owner_id > 0)
        buf_printf(q, " AND a.owner_id = ?1");
    else if (f->owner_id < 0)
        buf_printf(q, " AND a.owner_id IS NULL");
    if (f->tier)
        buf_printf(q, " AND a.tier = ?2");
    if (f->phase)
        buf_printf(q, " AND a.phase = ?3");
    if (f->industry)
        buf_printf(q, " AND a.industry = ?4");
    /* The segment's SQL speaks of accounts `a` with their subscription `s`, which not every
     * metrics query joins: its members are one uncorrelated subquery, built once. */
    if (f->segment)
        buf_printf(q, " AND a.id IN (SELECT a.id FROM accounts a LEFT JOIN subscriptions s "
                      "ON s.account_id = a.id WHERE %s)", f->segment->sql);
}

static void filter_bind(sqlite3_stmt *s, const struct metrics_filter *f)
{
    if (f->owner_id > 0)
        db_bind_i64(s, 1, f->owner_id);
    if (f->tier)
        db_bind_text(s, 2, f->tier);
    if (f->phase)
        db_bind_text(s, 3, f->phase);
    if (f->industry)
        db_bind_text(s, 4, f->industry);
}

/* Prepares q (freeing it) with f bound; the caller binds ?5 on. A segment's SQL is its own,
 * so its statement is prepared for this one use (each_row finalizes it), not cached. */
static sqlite3_stmt *prepare(struct store *st, struct buf *q, const struct metrics_filter *f)
{
    sqlite3_stmt *s = f->segment ? db_prepare_transient(st, q->p) : db_prepare(st, q->p);
    buf_free(q);
    filter_bind(s, f);
    if (f->segment)
        db_bind_segment(s, METRICS_SEGMENT_PARAM, f->segment);
    return s;
}

/* Steps s to the end, calling row(s, ctx) for each row; stops early when it returns nonzero
 * (that value is returned). Resets s, or finalizes it when it was prepared for a segment
 * (f; NULL for a statement without the account filter). */
static int each_row(struct store *st, sqlite3_stmt *s, const struct metrics_filter *f,
                    int (*row)(sqlite3_stmt *s, void *ctx), void *ctx)
{
    int rc = KZ_OK, src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if ((rc = row(s, ctx)) != 0)
            break;
    }
    if (rc == KZ_OK && src != SQLITE_DONE)
        rc = db_rc(st, src);
    if (f && f->segment)
        sqlite3_finalize(s);
    else
        sqlite3_reset(s);
    return rc;
}

static const char *col(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* ------------------------------------------------------------ subscriptions */

struct sub_ctx {
    int (*fn)(void *ctx, const struct sub_event *ev);
    void *ctx;
};

static int sub_row(sqlite3_stmt *s, void *arg)
{
    struct sub_ctx *c = arg;
    struct sub_event ev = { .account_id = sqlite3_column_int64(s, 0) };
    ev.month = month_of_date(col(s, 1));
    ev.mrr = sqlite3_column_int64(s, 2);
    const char *cur = col(s, 3), *status = col(s, 4);
    if (cur && strlen(cur) == 3)
        memcpy(ev.currency, cur, 4);
    ev.status = !status                          ? SUB_CHURNED
                : strcmp(status, "active") == 0  ? SUB_ACTIVE
                : strcmp(status, "trial") == 0   ? SUB_TRIAL
                                                 : SUB_CHURNED;
    if (ev.month < 0)
        return 0; /* not a date: the API never stores one */
    return c->fn(c->ctx, &ev);
}

int store_metrics_subscriptions(struct store *st, const struct metrics_filter *f,
                                const char *until,
                                int (*fn)(void *ctx, const struct sub_event *ev), void *ctx)
{
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT h.account_id, h.effective_date, h.mrr, h.currency, h.status "
                   "FROM subscription_history h");
    if (filtered(f)) {
        buf_printf(&q, " JOIN accounts a ON a.id = h.account_id WHERE h.effective_date <= ?5");
        filter_sql(&q, f);
    } else {
        buf_printf(&q, " WHERE h.effective_date <= ?5");
    }
    buf_printf(&q, " ORDER BY h.account_id, h.effective_date, h.id");
    sqlite3_stmt *s = prepare(st, &q, f);
    db_bind_text(s, 5, until);
    struct sub_ctx c = { fn, ctx };
    return each_row(st, s, f, sub_row, &c);
}

/* ------------------------------------------------------------ renewals */

struct renewal_ctx {
    int (*fn)(void *ctx, const struct renewal_row *r);
    void *ctx;
};

static int renewal_read(sqlite3_stmt *s, void *arg)
{
    struct renewal_ctx *c = arg;
    struct renewal_row r = {
        .account_id = sqlite3_column_int64(s, 0),
        .name = col(s, 1),
        .owner_id = db_col_i64(s, 2, 0),
        .health_band = col(s, 3),
        .phase = col(s, 4),
        .plan = col(s, 5),
        .renewal_date = col(s, 6),
        .mrr = sqlite3_column_int64(s, 7),
        .currency = col(s, 8),
        .status = col(s, 9),
        .auto_renew = sqlite3_column_int(s, 10) != 0,
    };
    return c->fn(c->ctx, &r);
}

int store_metrics_renewals(struct store *st, const struct metrics_filter *f, const char *from,
                           const char *to,
                           int (*fn)(void *ctx, const struct renewal_row *r), void *ctx)
{
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT a.id, a.name, a.owner_id, a.health_band, a.phase, s.plan, "
                   "s.renewal_date, s.mrr, s.currency, s.status, s.auto_renew "
                   "FROM subscriptions s JOIN accounts a ON a.id = s.account_id "
                   "WHERE s.renewal_date >= ?5 AND s.renewal_date <= ?6 "
                   "AND s.status <> 'churned'");
    filter_sql(&q, f);
    /* s.account_id, not a.id: the renewal index holds it, so no sort is needed */
    buf_printf(&q, " ORDER BY s.renewal_date, s.account_id");
    sqlite3_stmt *s = prepare(st, &q, f);
    db_bind_text(s, 5, from);
    db_bind_text(s, 6, to);
    struct renewal_ctx c = { fn, ctx };
    return each_row(st, s, f, renewal_read, &c);
}

/* ------------------------------------------------------------ team activity */

struct activity_ctx {
    int (*fn)(void *ctx, const struct activity_count *c);
    void *ctx;
};

static int activity_read(sqlite3_stmt *s, void *arg)
{
    struct activity_ctx *c = arg;
    struct activity_count a = {
        .user_id = sqlite3_column_int64(s, 0),
        .day = col(s, 1),
        .type = col(s, 2),
        .count = sqlite3_column_int64(s, 3),
    };
    if (!a.day || !a.type)
        return 0;
    return c->fn(c->ctx, &a);
}

int store_metrics_tasks_done(struct store *st, const struct metrics_filter *f, const char *from,
                             const char *to,
                             int (*fn)(void *ctx, const struct activity_count *c), void *ctx)
{
    /* One row per task, in completed_at order from the covering index of migration 008:
     * grouping here would sort every row in a temporary B-tree. */
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT t.assignee_id, t.completed_at, t.type, 1 FROM tasks t");
    if (filtered(f))
        buf_printf(&q, " JOIN accounts a ON a.id = t.account_id");
    buf_printf(&q, " WHERE t.status = 'done' AND t.completed_at >= ?5 AND t.completed_at < ?6"
                   " AND t.assignee_id IS NOT NULL");
    filter_sql(&q, f);
    sqlite3_stmt *s = prepare(st, &q, f);
    db_bind_text(s, 5, from);
    db_bind_text(s, 6, to);
    struct activity_ctx c = { fn, ctx };
    return each_row(st, s, f, activity_read, &c);
}

int store_metrics_touches(struct store *st, const struct metrics_filter *f, const char *from,
                          const char *to,
                          int (*fn)(void *ctx, const struct activity_count *c), void *ctx)
{
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT e.author_id, e.occurred_at, e.type, 1 FROM timeline_entries e");
    if (filtered(f))
        buf_printf(&q, " JOIN accounts a ON a.id = e.account_id");
    buf_printf(&q, " WHERE e.occurred_at >= ?5 AND e.occurred_at < ?6"
                   " AND e.author_id IS NOT NULL");
    filter_sql(&q, f);
    sqlite3_stmt *s = prepare(st, &q, f);
    db_bind_text(s, 5, from);
    db_bind_text(s, 6, to);
    struct activity_ctx c = { fn, ctx };
    return each_row(st, s, f, activity_read, &c);
}

struct book_ctx {
    int (*fn)(void *ctx, const struct book_row *b);
    void *ctx;
};

static int book_read(sqlite3_stmt *s, void *arg)
{
    struct book_ctx *c = arg;
    struct book_row b = {
        .account_id = sqlite3_column_int64(s, 0),
        .owner_id = db_col_i64(s, 1, 0),
        .mrr = db_col_i64(s, 2, 0),
        .currency = col(s, 3),
    };
    if (!b.currency)
        b.mrr = 0;
    return c->fn(c->ctx, &b);
}

int store_metrics_book(struct store *st, const struct metrics_filter *f,
                       int (*fn)(void *ctx, const struct book_row *b), void *ctx)
{
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT a.id, a.owner_id, s.mrr, s.currency FROM accounts a "
                   "LEFT JOIN subscriptions s ON s.account_id = a.id AND s.status = 'active' "
                   "WHERE 1 = 1");
    filter_sql(&q, f);
    sqlite3_stmt *s = prepare(st, &q, f);
    struct book_ctx c = { fn, ctx };
    return each_row(st, s, f, book_read, &c);
}

struct users_ctx {
    int (*fn)(void *ctx, int64_t id, const char *name, const char *email);
    void *ctx;
};

static int user_read(sqlite3_stmt *s, void *arg)
{
    struct users_ctx *c = arg;
    return c->fn(c->ctx, sqlite3_column_int64(s, 0), col(s, 1), col(s, 2));
}

int store_metrics_users(struct store *st,
                        int (*fn)(void *ctx, int64_t id, const char *name, const char *email),
                        void *ctx)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT id, name, email FROM users ORDER BY id");
    struct users_ctx c = { fn, ctx };
    return each_row(st, s, NULL, user_read, &c);
}

/* ------------------------------------------------------------ journey */

struct phase_ctx {
    int (*fn)(void *ctx, const struct phase_row *p);
    void *ctx;
};

static int phase_read(sqlite3_stmt *s, void *arg)
{
    struct phase_ctx *c = arg;
    struct phase_row p = {
        .account_id = sqlite3_column_int64(s, 0),
        .phase = col(s, 1),
        .entered_at = col(s, 2),
        .left_at = col(s, 3),
    };
    return c->fn(c->ctx, &p);
}

int store_metrics_phase_history(struct store *st, const struct metrics_filter *f,
                                int (*fn)(void *ctx, const struct phase_row *p), void *ctx)
{
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT p.account_id, p.phase, p.entered_at, p.left_at "
                   "FROM phase_history p");
    if (filtered(f)) {
        buf_printf(&q, " JOIN accounts a ON a.id = p.account_id WHERE 1 = 1");
        filter_sql(&q, f);
    }
    buf_printf(&q, " ORDER BY p.account_id, p.entered_at, p.id");
    sqlite3_stmt *s = prepare(st, &q, f);
    struct phase_ctx c = { fn, ctx };
    return each_row(st, s, f, phase_read, &c);
}

struct ttv_account {
    int64_t id;
    char reached[32];
};

struct ttv_ctx {
    struct ttv_account *v;
    size_t n, cap, next;      /* next: the merge position */
    int (*fn)(void *ctx, const struct ttv_row *t);
    void *ctx;
};

static int ttv_collect(sqlite3_stmt *s, void *arg)
{
    struct ttv_ctx *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    c->v[c->n].id = sqlite3_column_int64(s, 0);
    db_col_copy(s, 1, c->v[c->n].reached, sizeof(c->v[c->n].reached));
    c->n++;
    return 0;
}

/* Emits the collected accounts up to `upto` (exclusive), then the one equal to it with
 * start; both streams are in account id order. */
static int ttv_emit(struct ttv_ctx *c, int64_t upto, const char *start)
{
    int rc = 0;
    while (!rc && c->next < c->n && c->v[c->next].id <= upto) {
        const struct ttv_account *a = &c->v[c->next++];
        struct ttv_row t = { .account_id = a->id, .value_reached_at = a->reached,
                             .start_date = a->id == upto ? start : NULL };
        rc = c->fn(c->ctx, &t);
    }
    return rc;
}

static int ttv_merge(sqlite3_stmt *s, void *arg)
{
    struct ttv_ctx *c = arg;
    if (c->next >= c->n)
        return -1; /* every account emitted: stop the scan */
    return ttv_emit(c, sqlite3_column_int64(s, 0), col(s, 1));
}

int store_metrics_ttv(struct store *st, const struct metrics_filter *f, const char *from,
                      const char *to, int (*fn)(void *ctx, const struct ttv_row *t), void *ctx)
{
    /* Two ordered streams merged here rather than a correlated subquery per account: the
     * accounts that reached value in the window (by id), then the first contract start of
     * every account from the covering index of migration 008 (by account, grouped in index
     * order: no sort, no random access). */
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT a.id, a.value_reached_at FROM accounts a "
                   "WHERE a.value_reached_at >= ?5 AND a.value_reached_at < ?6");
    filter_sql(&q, f);
    buf_printf(&q, " ORDER BY a.id");
    sqlite3_stmt *s = prepare(st, &q, f);
    db_bind_text(s, 5, from);
    db_bind_text(s, 6, to);
    struct ttv_ctx c = { .fn = fn, .ctx = ctx };
    int rc = each_row(st, s, f, ttv_collect, &c);
    if (rc == KZ_OK && c.n) {
        s = db_prepare(st, "SELECT account_id, min(start_date) FROM subscription_history "
                           "GROUP BY account_id ORDER BY account_id");
        rc = each_row(st, s, NULL, ttv_merge, &c);
        if (rc == -1)
            rc = KZ_OK;
        if (rc == KZ_OK)
            rc = ttv_emit(&c, INT64_MAX, NULL); /* accounts without history */
    }
    free(c.v);
    return rc;
}

struct count_ctx {
    int (*fn)(void *ctx, const char *key, int64_t n);
    void *ctx;
};

static int count_read(sqlite3_stmt *s, void *arg)
{
    struct count_ctx *c = arg;
    return c->fn(c->ctx, col(s, 0), sqlite3_column_int64(s, 1));
}

int store_metrics_account_counts(struct store *st, const struct metrics_filter *f,
                                 const char *column,
                                 int (*fn)(void *ctx, const char *key, int64_t n), void *ctx)
{
    /* column picks one of two fixed fragments: never caller text in the SQL. */
    const char *c_sql = strcmp(column, "phase") == 0 ? "a.phase" : "a.health_band";
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT %s, count(*) FROM accounts a WHERE 1 = 1", c_sql);
    filter_sql(&q, f);
    buf_printf(&q, " GROUP BY 1 ORDER BY 1");
    sqlite3_stmt *s = prepare(st, &q, f);
    struct count_ctx c = { fn, ctx };
    return each_row(st, s, f, count_read, &c);
}

/* ------------------------------------------------------------ health and surveys */

struct health_ctx {
    int (*fn)(void *ctx, const struct health_row *h);
    void *ctx;
};

static int health_read(sqlite3_stmt *s, void *arg)
{
    struct health_ctx *c = arg;
    struct health_row h = {
        .account_id = sqlite3_column_int64(s, 0),
        .day = col(s, 1),
        .band = col(s, 2),
        .score = db_col_i64(s, 3, -1),
    };
    if (!h.day)
        return 0;
    return c->fn(c->ctx, &h);
}

int store_metrics_health(struct store *st, const struct metrics_filter *f, const char *from,
                         const char *to, int (*fn)(void *ctx, const struct health_row *h),
                         void *ctx)
{
    /* Every snapshot in the window by (account, day), the primary key's order; the caller
     * keeps the last one of each month (grouping here would sort in a temporary B-tree). */
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT h.account_id, h.day, h.band, h.score FROM health_snapshots h");
    if (filtered(f))
        buf_printf(&q, " JOIN accounts a ON a.id = h.account_id");
    buf_printf(&q, " WHERE h.day >= ?5 AND h.day <= ?6");
    filter_sql(&q, f);
    buf_printf(&q, " ORDER BY h.account_id, h.day");
    sqlite3_stmt *s = prepare(st, &q, f);
    db_bind_text(s, 5, from);
    db_bind_text(s, 6, to);
    struct health_ctx c = { fn, ctx };
    return each_row(st, s, f, health_read, &c);
}

struct survey_ctx {
    int (*fn)(void *ctx, const struct survey_count *c);
    void *ctx;
};

static int survey_read(sqlite3_stmt *s, void *arg)
{
    struct survey_ctx *c = arg;
    struct survey_count v = {
        .month = col(s, 0),
        .type = col(s, 1),
        .score = sqlite3_column_int(s, 2),
        .count = sqlite3_column_int64(s, 3),
    };
    if (!v.month || !v.type)
        return 0;
    return c->fn(c->ctx, &v);
}

int store_metrics_surveys(struct store *st, const struct metrics_filter *f, const char *from,
                          const char *to,
                          int (*fn)(void *ctx, const struct survey_count *c), void *ctx)
{
    /* One row per answer from the covering index (answered_at, type, score, account_id). */
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT r.answered_at, r.type, r.score, 1 FROM survey_responses r");
    if (filtered(f))
        buf_printf(&q, " JOIN accounts a ON a.id = r.account_id");
    buf_printf(&q, " WHERE r.answered_at >= ?5 AND r.answered_at < ?6");
    filter_sql(&q, f);
    sqlite3_stmt *s = prepare(st, &q, f);
    db_bind_text(s, 5, from);
    db_bind_text(s, 6, to);
    struct survey_ctx c = { fn, ctx };
    return each_row(st, s, f, survey_read, &c);
}
