/*
 * SQLite store for the metrics (store/metrics.h). Every query is assembled from fixed SQL
 * fragments: the account filter always binds ?1..?4 (owner, tier, phase, industry) and the
 * query's own values start at ?5, so the text depends only on which filters are set and the
 * prepared-statement cache holds a handful of variants. Rows are streamed to the caller.
 *
 * The subscription scan is the hot one (100,000 accounts x 36 months in bench/metrics): it
 * reads subscription_history through the covering index of migration 008, in index order,
 * and joins accounts only when a filter is set. The other scans (phase history, tasks,
 * touches, renewals, health months) do not join accounts at all: a filter is run once into
 * an account set and applied here in C, so each scan stays one walk of one index.
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

/* ------------------------------------------------------------ account sets */

/* A set of account ids, tested once per row of a scan. Joining accounts in the scan to test
 * a filter visits one account row per scanned row, at random (the table is larger than the
 * page cache): the tier-filtered journey, activity and health cost two to three times their
 * unfiltered form that way. Instead the filter runs once over accounts (through the owner,
 * tier or phase index where it can), and the scan stays one walk of its index. */
struct account_set {
    bool all;                    /* no filter: every account */
    int64_t base;                /* bitmap of ids base .. base + nbits - 1 ... */
    uint64_t *bits;
    size_t nbits;
    int64_t *ids;                /* ... or sorted ids, when too sparse for a bitmap */
    size_t n;
};

static void account_set_free(struct account_set *a)
{
    free(a->bits);
    free(a->ids);
    memset(a, 0, sizeof(*a));
}

static bool account_set_has(const struct account_set *a, int64_t id)
{
    if (a->all)
        return true;
    if (a->bits) {
        uint64_t i = (uint64_t)(id - a->base);
        return id >= a->base && i < a->nbits && (a->bits[i / 64] >> (i % 64)) & 1;
    }
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->ids[mid] == id)
            return true;
        if (a->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Reads the ids that s returns (column 0, ascending) into *a, then stores them as a bitmap
 * when that takes at most 8 bytes a member (dense ids, the usual case), else keeps the sorted
 * array. Finishes s like each_row (f as there). */
static int account_set_read(struct store *st, sqlite3_stmt *s, const struct metrics_filter *f,
                            struct account_set *a)
{
    size_t cap = 0;
    int rc = KZ_OK, src;
    memset(a, 0, sizeof(*a));
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (a->n == cap) {
            cap = cap ? cap * 2 : 1024;
            a->ids = xrealloc(a->ids, cap * sizeof(*a->ids));
        }
        a->ids[a->n++] = sqlite3_column_int64(s, 0);
    }
    if (src != SQLITE_DONE)
        rc = db_rc(st, src);
    if (f && f->segment)
        sqlite3_finalize(s);
    else
        sqlite3_reset(s);
    if (rc) {
        account_set_free(a);
        return rc;
    }
    if (a->n) {
        uint64_t span = (uint64_t)(a->ids[a->n - 1] - a->ids[0]) + 1;
        if (span <= 64 * (uint64_t)a->n + 4096) {
            a->base = a->ids[0];
            a->nbits = (size_t)span;
            a->bits = xcalloc((a->nbits + 63) / 64, sizeof(uint64_t));
            for (size_t i = 0; i < a->n; i++) {
                uint64_t b = (uint64_t)(a->ids[i] - a->base);
                a->bits[b / 64] |= 1ull << (b % 64);
            }
            free(a->ids);
            a->ids = NULL;
        }
    }
    return KZ_OK;
}

/* The accounts f selects (every account, without a test, when f sets nothing). */
static int account_set_of(struct store *st, const struct metrics_filter *f,
                          struct account_set *a)
{
    if (!filtered(f)) {
        memset(a, 0, sizeof(*a));
        a->all = true;
        return KZ_OK;
    }
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, "SELECT a.id FROM accounts a WHERE 1 = 1");
    filter_sql(&q, f);
    buf_printf(&q, " ORDER BY a.id");
    return account_set_read(st, prepare(st, &q, f), f, a);
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
    struct account_set set, red, unscored;
    int (*fn)(void *ctx, const struct renewal_row *r);
    void *ctx;
};

static int renewal_read(sqlite3_stmt *s, void *arg)
{
    struct renewal_ctx *c = arg;
    int64_t id = sqlite3_column_int64(s, 0);
    if (!account_set_has(&c->set, id))
        return 0;
    struct renewal_row r = {
        .account_id = id,
        .renewal_date = col(s, 1),
        .mrr = sqlite3_column_int64(s, 2),
        .currency = col(s, 3),
        .status = col(s, 4),
        .red = account_set_has(&c->red, id),
        .unscored = account_set_has(&c->unscored, id),
    };
    return c->fn(c->ctx, &r);
}

int store_metrics_renewals(struct store *st, const struct metrics_filter *f, const char *from,
                           const char *to,
                           int (*fn)(void *ctx, const struct renewal_row *r), void *ctx)
{
    /* A year of renewals is every subscription: reading each one's account (for the band)
     * and subscription row at random cost 360 ms of CPU at 100,000 accounts. The red and the
     * unscored accounts come from the band index instead, the subscriptions from the
     * covering index of migration 012 in renewal order, and the names and the rest only for
     * the rows listed (store_metrics_renewal_details). */
    struct renewal_ctx c = { .fn = fn, .ctx = ctx };
    int rc = account_set_of(st, f, &c.set);
    if (!rc)
        rc = account_set_read(st, db_prepare(st, "SELECT id FROM accounts "
                                                 "WHERE health_band = 'red' ORDER BY id"),
                              NULL, &c.red);
    if (!rc)
        rc = account_set_read(st, db_prepare(st, "SELECT id FROM accounts "
                                                 "WHERE health_band IS NULL ORDER BY id"),
                              NULL, &c.unscored);
    if (!rc) {
        sqlite3_stmt *s = db_prepare(st, "SELECT account_id, renewal_date, mrr, currency, status "
                                         "FROM subscriptions WHERE renewal_date >= ?1 "
                                         "AND renewal_date <= ?2 AND status <> 'churned' "
                                         "ORDER BY renewal_date, account_id");
        db_bind_text(s, 1, from);
        db_bind_text(s, 2, to);
        rc = each_row(st, s, NULL, renewal_read, &c);
    }
    account_set_free(&c.set);
    account_set_free(&c.red);
    account_set_free(&c.unscored);
    return rc;
}

int store_metrics_renewal_details(struct store *st, const int64_t *ids, size_t n,
                                  int (*fn)(void *ctx, const struct renewal_detail *d),
                                  void *ctx)
{
    int rc = KZ_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *s = db_prepare(st, "SELECT a.name, a.owner_id, a.health_band, a.phase, "
                                         "s.plan, s.auto_renew FROM accounts a "
                                         "JOIN subscriptions s ON s.account_id = a.id "
                                         "WHERE a.id = ?1");
        db_bind_i64(s, 1, ids[i]);
        int src = sqlite3_step(s);
        if (src == SQLITE_ROW) {
            struct renewal_detail d = {
                .account_id = ids[i],
                .name = col(s, 0),
                .owner_id = db_col_i64(s, 1, 0),
                .health_band = col(s, 2),
                .phase = col(s, 3),
                .plan = col(s, 4),
                .auto_renew = sqlite3_column_int(s, 5) != 0,
            };
            rc = fn(ctx, &d);
        } else if (src != SQLITE_DONE) {
            rc = db_rc(st, src);
        }
        sqlite3_reset(s);
    }
    return rc;
}

/* ------------------------------------------------------------ team activity */

struct activity_ctx {
    struct account_set set;
    int (*fn)(void *ctx, const struct activity_count *c);
    void *ctx;
};

static int activity_read(sqlite3_stmt *s, void *arg)
{
    struct activity_ctx *c = arg;
    if (!account_set_has(&c->set, sqlite3_column_int64(s, 3)))
        return 0;
    struct activity_count a = {
        .user_id = sqlite3_column_int64(s, 0),
        .day = col(s, 1),
        .type = col(s, 2),
        .count = 1,
    };
    if (!a.day || !a.type)
        return 0;
    return c->fn(c->ctx, &a);
}

/* Runs an activity query (user, time, type, account; ?1 ?2 the time bounds) over the
 * accounts f selects. */
static int activity_scan(struct store *st, const struct metrics_filter *f, const char *sql,
                         const char *from, const char *to,
                         int (*fn)(void *ctx, const struct activity_count *c), void *ctx)
{
    struct activity_ctx c = { .fn = fn, .ctx = ctx };
    int rc = account_set_of(st, f, &c.set);
    if (!rc) {
        sqlite3_stmt *s = db_prepare(st, sql);
        db_bind_text(s, 1, from);
        db_bind_text(s, 2, to);
        rc = each_row(st, s, NULL, activity_read, &c);
    }
    account_set_free(&c.set);
    return rc;
}

int store_metrics_tasks_done(struct store *st, const struct metrics_filter *f, const char *from,
                             const char *to,
                             int (*fn)(void *ctx, const struct activity_count *c), void *ctx)
{
    /* One row per task, in completed_at order from the covering index of migration 008:
     * grouping here would sort every row in a temporary B-tree. */
    return activity_scan(st, f, "SELECT assignee_id, completed_at, type, account_id FROM tasks "
                                "WHERE status = 'done' AND completed_at >= ?1 "
                                "AND completed_at < ?2 AND assignee_id IS NOT NULL",
                         from, to, fn, ctx);
}

int store_metrics_touches(struct store *st, const struct metrics_filter *f, const char *from,
                          const char *to,
                          int (*fn)(void *ctx, const struct activity_count *c), void *ctx)
{
    return activity_scan(st, f, "SELECT author_id, occurred_at, type, account_id "
                                "FROM timeline_entries WHERE occurred_at >= ?1 "
                                "AND occurred_at < ?2 AND author_id IS NOT NULL",
                         from, to, fn, ctx);
}

/* An active subscription, for the book: what an account pays. */
struct book_sub {
    int64_t account_id, mrr;
    char currency[4];            /* "" when not a 3-letter code */
};

struct book_ctx {
    struct account_set set;
    struct book_sub *subs;       /* by account id */
    size_t n, cap;
    int (*fn)(void *ctx, const struct book_row *b);
    void *ctx;
};

static int book_sub_read(sqlite3_stmt *s, void *arg)
{
    struct book_ctx *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->subs = xrealloc(c->subs, c->cap * sizeof(*c->subs));
    }
    struct book_sub *b = &c->subs[c->n++];
    b->account_id = sqlite3_column_int64(s, 0);
    b->mrr = sqlite3_column_int64(s, 1);
    const char *cur = col(s, 2);
    b->currency[0] = '\0';
    if (cur && strlen(cur) == 3)
        memcpy(b->currency, cur, 4);
    return 0;
}

static int book_read(sqlite3_stmt *s, void *arg)
{
    struct book_ctx *c = arg;
    struct book_row b = {
        .account_id = sqlite3_column_int64(s, 1),
        .owner_id = db_col_i64(s, 0, 0),
    };
    if (!account_set_has(&c->set, b.account_id))
        return 0;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->subs[mid].account_id < b.account_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->n && c->subs[lo].account_id == b.account_id) {
        b.mrr = c->subs[lo].mrr;
        b.currency = c->subs[lo].currency;
    }
    return c->fn(c->ctx, &b);
}

int store_metrics_book(struct store *st, const struct metrics_filter *f,
                       int (*fn)(void *ctx, const struct book_row *b), void *ctx)
{
    /* Two sequential reads merged in memory rather than a join: the active subscriptions in
     * account order (the table's own order), then every account by owner from the owner
     * index. The join read one account or subscription row per account at random. */
    struct book_ctx c = { .fn = fn, .ctx = ctx };
    int rc = account_set_of(st, f, &c.set);
    if (!rc)
        rc = each_row(st, db_prepare(st, "SELECT account_id, mrr, currency FROM subscriptions "
                                         "WHERE status = 'active' ORDER BY account_id"),
                      NULL, book_sub_read, &c);
    if (!rc)
        rc = each_row(st, db_prepare(st, "SELECT owner_id, id FROM accounts ORDER BY owner_id"),
                      NULL, book_read, &c);
    account_set_free(&c.set);
    free(c.subs);
    return rc;
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
    struct account_set set;
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
    if (!account_set_has(&c->set, p.account_id))
        return 0;
    return c->fn(c->ctx, &p);
}

int store_metrics_phase_history(struct store *st, const struct metrics_filter *f,
                                int (*fn)(void *ctx, const struct phase_row *p), void *ctx)
{
    /* The covering index of migration 008, in its order. */
    struct phase_ctx c = { .fn = fn, .ctx = ctx };
    int rc = account_set_of(st, f, &c.set);
    if (!rc)
        rc = each_row(st, db_prepare(st, "SELECT account_id, phase, entered_at, left_at "
                                         "FROM phase_history "
                                         "ORDER BY account_id, entered_at, id"),
                      NULL, phase_read, &c);
    account_set_free(&c.set);
    return rc;
}

struct ttv_account {
    int64_t id;
    char reached[32];
};

struct ttv_ctx {
    struct account_set set;
    struct ttv_account *v;
    size_t n, cap, next;      /* next: the merge position */
    int (*fn)(void *ctx, const struct ttv_row *t);
    void *ctx;
};

static int ttv_collect(sqlite3_stmt *s, void *arg)
{
    struct ttv_ctx *c = arg;
    if (!account_set_has(&c->set, sqlite3_column_int64(s, 0)))
        return 0;
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
     * accounts that reached value in the window (by id, from the covering index of migration
     * 008), then the first contract start of every account from the covering index of
     * migration 008 (by account, grouped in index order: no sort, no random access). */
    struct ttv_ctx c = { .fn = fn, .ctx = ctx };
    int rc = account_set_of(st, f, &c.set);
    if (!rc) {
        sqlite3_stmt *s = db_prepare(st, "SELECT id, value_reached_at FROM accounts "
                                         "WHERE value_reached_at >= ?1 AND value_reached_at < ?2 "
                                         "ORDER BY id");
        db_bind_text(s, 1, from);
        db_bind_text(s, 2, to);
        rc = each_row(st, s, NULL, ttv_collect, &c);
    }
    if (rc == KZ_OK && c.n) {
        sqlite3_stmt *s = db_prepare(st, "SELECT account_id, min(start_date) "
                                         "FROM subscription_history "
                                         "GROUP BY account_id ORDER BY account_id");
        rc = each_row(st, s, NULL, ttv_merge, &c);
        if (rc == -1)
            rc = KZ_OK;
        if (rc == KZ_OK)
            rc = ttv_emit(&c, INT64_MAX, NULL); /* accounts without history */
    }
    account_set_free(&c.set);
    free(c.v);
    return rc;
}

struct count_ctx {
    struct account_set set;
    int (*fn)(void *ctx, const char *key, int64_t n);
    void *ctx;
    char *key;                   /* the run being counted (filtered), NULL key: has_key false */
    bool has_key, pending;
    int64_t n;
};

static int count_read(sqlite3_stmt *s, void *arg)
{
    struct count_ctx *c = arg;
    return c->fn(c->ctx, col(s, 0), sqlite3_column_int64(s, 1));
}

static int count_flush(struct count_ctx *c)
{
    int rc = 0;
    if (c->pending && c->n)
        rc = c->fn(c->ctx, c->has_key ? c->key : NULL, c->n);
    free(c->key);
    c->key = NULL;
    c->pending = false;
    c->n = 0;
    return rc;
}

/* Rows (key, id) in key order: counts the members of each run of equal keys. */
static int count_member(sqlite3_stmt *s, void *arg)
{
    struct count_ctx *c = arg;
    const char *key = col(s, 0);
    bool same = c->pending && (key ? c->has_key && strcmp(key, c->key) == 0 : !c->has_key);
    int rc = 0;
    if (!same) {
        if ((rc = count_flush(c)) != 0)
            return rc;
        c->pending = true;
        c->has_key = key != NULL;
        c->key = key ? xstrdup(key) : NULL;
    }
    c->n += account_set_has(&c->set, sqlite3_column_int64(s, 1));
    return 0;
}

int store_metrics_account_counts(struct store *st, const struct metrics_filter *f,
                                 const char *column,
                                 int (*fn)(void *ctx, const char *key, int64_t n), void *ctx)
{
    /* column picks one of two fixed fragments: never caller text in the SQL. Both columns
     * have an index: unfiltered, SQLite counts over it; filtered, the same index is walked
     * with the ids and the members counted here (no account row read). */
    bool phase = strcmp(column, "phase") == 0;
    struct count_ctx c = { .fn = fn, .ctx = ctx };
    if (!filtered(f))
        return each_row(st, db_prepare(st, phase ? "SELECT phase, count(*) FROM accounts "
                                                   "GROUP BY 1 ORDER BY 1"
                                                 : "SELECT health_band, count(*) FROM accounts "
                                                   "GROUP BY 1 ORDER BY 1"),
                        NULL, count_read, &c);
    int rc = account_set_of(st, f, &c.set);
    if (!rc)
        rc = each_row(st, db_prepare(st, phase ? "SELECT phase, id FROM accounts ORDER BY phase"
                                               : "SELECT health_band, id FROM accounts "
                                                 "ORDER BY health_band"),
                      NULL, count_member, &c);
    if (!rc)
        rc = count_flush(&c);
    free(c.key);
    account_set_free(&c.set);
    return rc;
}

/* ------------------------------------------------------------ health and surveys */

struct health_ctx {
    struct account_set set;
    int from, to;
    int (*fn)(void *ctx, const struct health_month *h);
    void *ctx;
};

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* One health_monthly row: 12 slots of "DD" (day, ".." none) band (g y r u) score ("SSS",
 * "---" for NULL); see migration 012. */
static int health_read(sqlite3_stmt *s, void *arg)
{
    struct health_ctx *c = arg;
    int64_t id = sqlite3_column_int64(s, 1);
    const char *months = col(s, 2);
    if (!months || strlen(months) != 72 || !account_set_has(&c->set, id))
        return 0;
    int first = (int)sqlite3_column_int64(s, 0) * 12;
    for (int k = 0; k < 12; k++) {
        const char *slot = months + 6 * k;
        int m = first + k;
        if (m < c->from || m > c->to || slot[0] == '.')
            continue;
        struct health_month h = { .account_id = id, .month = m, .score = -1 };
        h.band = slot[2] == 'g' ? "green" : slot[2] == 'y' ? "yellow" : slot[2] == 'r' ? "red"
                                                                                    : NULL;
        if (is_digit(slot[3]) && is_digit(slot[4]) && is_digit(slot[5]))
            h.score = (slot[3] - '0') * 100 + (slot[4] - '0') * 10 + (slot[5] - '0');
        int rc = c->fn(c->ctx, &h);
        if (rc)
            return rc;
    }
    return 0;
}

int store_metrics_health(struct store *st, const struct metrics_filter *f, int from, int to,
                         int (*fn)(void *ctx, const struct health_month *h), void *ctx)
{
    /* The years of the window from the monthly rollup (migration 012), by its key; not the
     * snapshots, which are one row per account and day. */
    struct health_ctx c = { .from = from, .to = to, .fn = fn, .ctx = ctx };
    int rc = account_set_of(st, f, &c.set);
    if (!rc) {
        sqlite3_stmt *s = db_prepare(st, "SELECT year, account_id, months FROM health_monthly "
                                         "WHERE year >= ?1 AND year <= ?2");
        db_bind_i64(s, 1, from / 12);
        db_bind_i64(s, 2, to / 12);
        rc = each_row(st, s, NULL, health_read, &c);
    }
    account_set_free(&c.set);
    return rc;
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
