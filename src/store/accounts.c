/*
 * Store: accounts, with their current subscription joined in for lists, filters and sorts;
 * keyset pagination on (sort key, id); and touch tiers computed from ARR thresholds.
 * List SQL is assembled only from fixed fragments; every value is bound.
 */
#include "store/db.h"
#include "segments/filter.h"

#include <stdlib.h>
#include <string.h>

#define ACCOUNT_SELECT                                                                     \
    "SELECT a.id, a.name, a.domain, a.external_id, a.industry, a.employees, a.address, "  \
    "a.purpose, a.challenges, a.owner_id, a.tier, a.tier_override, a.phase, a.custom, "   \
    "a.created_at, a.updated_at, s.account_id, s.mrr, s.currency, s.renewal_date, "       \
    "s.plan, s.status, a.health_score, a.health_band, a.last_seen_at, a.sentiment, "    \
    "a.sentiment_note, a.sentiment_at, a.sentiment_by "                                    \
    "FROM accounts a LEFT JOIN subscriptions s ON s.account_id = a.id "

void account_init(struct account *a)
{
    memset(a, 0, sizeof(*a));
    a->employees = -1;
    a->health_score = -1;
    memcpy(a->tier, "tech", 5);
}

void account_cleanup(struct account *a)
{
    free(a->name);
    free(a->domain);
    free(a->external_id);
    free(a->industry);
    free(a->address);
    free(a->purpose);
    free(a->challenges);
    free(a->tier_override);
    free(a->phase);
    free(a->custom);
    free(a->renewal_date);
    free(a->plan);
    free(a->status);
    free(a->last_seen_at);
    free(a->sentiment_note);
    account_init(a);
}

void accounts_free(struct account *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        account_cleanup(&v[i]);
    free(v);
}

static void account_row(sqlite3_stmt *s, struct account *a)
{
    account_init(a);
    a->id = sqlite3_column_int64(s, 0);
    a->name = db_col_text(s, 1);
    a->domain = db_col_text(s, 2);
    a->external_id = db_col_text(s, 3);
    a->industry = db_col_text(s, 4);
    a->employees = db_col_i64(s, 5, -1);
    a->address = db_col_text(s, 6);
    a->purpose = db_col_text(s, 7);
    a->challenges = db_col_text(s, 8);
    a->owner_id = db_col_i64(s, 9, 0);
    db_col_copy(s, 10, a->tier, sizeof(a->tier));
    a->tier_override = db_col_text(s, 11);
    a->phase = db_col_text(s, 12);
    a->custom = db_col_text(s, 13);
    db_col_copy(s, 14, a->created_at, sizeof(a->created_at));
    db_col_copy(s, 15, a->updated_at, sizeof(a->updated_at));
    a->has_subscription = sqlite3_column_type(s, 16) != SQLITE_NULL;
    a->mrr = db_col_i64(s, 17, 0);
    db_col_copy(s, 18, a->currency, sizeof(a->currency));
    a->renewal_date = db_col_text(s, 19);
    a->plan = db_col_text(s, 20);
    a->status = db_col_text(s, 21);
    a->health_score = (int)db_col_i64(s, 22, -1);
    db_col_copy(s, 23, a->health_band, sizeof(a->health_band));
    a->last_seen_at = db_col_text(s, 24);
    a->sentiment = (int)db_col_i64(s, 25, 0);
    a->sentiment_note = db_col_text(s, 26);
    db_col_copy(s, 27, a->sentiment_at, sizeof(a->sentiment_at));
    a->sentiment_by = db_col_i64(s, 28, 0);
}

static int account_one(struct store *st, sqlite3_stmt *s, struct account *out)
{
    int rc = sqlite3_step(s);
    int krc = db_row_rc(st, rc);
    if (krc == KZ_OK)
        account_row(s, out);
    sqlite3_reset(s);
    return krc;
}

int store_account_get(struct store *st, int64_t id, struct account *out)
{
    sqlite3_stmt *s = db_prepare(st, ACCOUNT_SELECT "WHERE a.id = ?");
    db_bind_i64(s, 1, id);
    return account_one(st, s, out);
}

int store_account_by_external_id(struct store *st, const char *external_id, struct account *out)
{
    sqlite3_stmt *s = db_prepare(st, ACCOUNT_SELECT "WHERE a.external_id = ?");
    db_bind_text(s, 1, external_id);
    return account_one(st, s, out);
}

int store_account_by_domain(struct store *st, const char *domain, struct account *out)
{
    sqlite3_stmt *s = db_prepare(st, ACCOUNT_SELECT "WHERE lower(a.domain) = lower(?) "
                                                    "ORDER BY a.id LIMIT 1");
    db_bind_text(s, 1, domain);
    return account_one(st, s, out);
}

int store_account_owner(struct store *st, int64_t id, int64_t *owner_id)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT owner_id FROM accounts WHERE id = ?");
    db_bind_i64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *owner_id = db_col_i64(s, 0, 0);
    sqlite3_reset(s);
    return db_row_rc(st, rc);
}

/* Binds the writable columns in the order of the INSERT and UPDATE below. */
static void bind_account(sqlite3_stmt *s, const struct account *a)
{
    db_bind_text(s, 1, a->name);
    db_bind_text(s, 2, a->domain);
    db_bind_text(s, 3, a->external_id);
    db_bind_text(s, 4, a->industry);
    db_bind_i64_null(s, 5, a->employees, -1);
    db_bind_text(s, 6, a->address);
    db_bind_text(s, 7, a->purpose);
    db_bind_text(s, 8, a->challenges);
    db_bind_i64_null(s, 9, a->owner_id, 0);
    db_bind_text(s, 10, a->tier_override);
    db_bind_text(s, 11, a->phase); /* NULL: the lifecycle's first phase (below) */
    db_bind_text(s, 12, a->custom ? a->custom : "{}");
    db_bind_text(s, 13, a->updated_at);
}

/* Re-reads the stored row into a (tier and subscription fields are derived). */
static int reload(struct store *st, struct account *a)
{
    struct account fresh;
    int rc = store_account_get(st, a->id, &fresh);
    if (rc == KZ_OK) {
        account_cleanup(a);
        *a = fresh;
    }
    return rc;
}

/* A new account's phase when none is given: the first phase of the lifecycle settings, which
 * journey/ keeps in the setting "lifecycle_first_phase" (the defaults: onboarding). */
#define FIRST_PHASE                                                                        \
    "(SELECT value FROM settings WHERE key = 'lifecycle_first_phase'), 'onboarding'"

/* The account row, its first phase_history row (migration 004) and its tier. */
static int account_insert(struct store *st, struct account *a)
{
    db_now(a->updated_at);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO accounts (name, domain, external_id, industry, "
                                     "employees, address, purpose, challenges, owner_id, "
                                     "tier_override, phase, custom, updated_at, created_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                     "COALESCE(?11, " FIRST_PHASE "), ?, ?, ?)");
    bind_account(s, a);
    db_bind_text(s, 14, a->updated_at);
    int rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    a->id = sqlite3_last_insert_rowid(st->db);
    s = db_prepare(st, "INSERT INTO phase_history (account_id, phase, entered_at, moved_by) "
                       "SELECT id, phase, created_at, 'initial' FROM accounts WHERE id = ?");
    db_bind_i64(s, 1, a->id);
    rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    s = db_prepare(st, "UPDATE accounts SET phase_entered_at = created_at WHERE id = ?");
    db_bind_i64(s, 1, a->id);
    rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    return store_tiers_recompute(st, a->id);
}

int store_account_create(struct store *st, struct account *a)
{
    int rc = store_begin(st);
    if (rc)
        return rc;
    rc = account_insert(st, a);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    rc = store_commit(st);
    return rc ? rc : reload(st, a);
}

int store_account_update(struct store *st, struct account *a)
{
    db_now(a->updated_at);
    sqlite3_stmt *s = db_prepare(st, "UPDATE accounts SET name = ?, domain = ?, external_id = ?, "
                                     "industry = ?, employees = ?, address = ?, purpose = ?, "
                                     "challenges = ?, owner_id = ?, tier_override = ?, "
                                     "phase = COALESCE(?11, phase), "
                                     "custom = ?, updated_at = ? WHERE id = ?");
    bind_account(s, a);
    db_bind_i64(s, 14, a->id);
    int rc = db_exec_one(st, s);
    if (rc)
        return rc;
    rc = store_tiers_recompute(st, a->id);
    return rc ? rc : reload(st, a);
}

int store_account_delete(struct store *st, int64_t id)
{
    int rc = store_begin(st);
    if (rc)
        return rc;
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM accounts WHERE id = ?");
    db_bind_i64(s, 1, id);
    rc = db_exec_one(st, s);
    if (rc == KZ_OK) {
        /* Health snapshots are keyed (day, account_id) without a foreign key: one point
         * delete per day of history (migration 004). */
        s = db_prepare(st, "WITH RECURSIVE d(day) AS ("
                           " SELECT MIN(day) FROM health_snapshots"
                           " UNION ALL SELECT date(day, '+1 day') FROM d"
                           " WHERE day < (SELECT MAX(day) FROM health_snapshots))"
                           " DELETE FROM health_snapshots"
                           " WHERE (day, account_id) IN (SELECT day, ? FROM d)");
        db_bind_i64(s, 1, id);
        rc = db_exec_stmt(st, s);
    }
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

/* ------------------------------------------------------------ lists */

/* The SQL expression a sort field orders by; NULL for an unknown field. The ARR and renewal
 * keys are kept on the account row (migration 002) so each sort walks an index; accounts
 * without a subscription sort as the lowest ARR and the latest renewal. */
static const char *sort_expr(const char *sort)
{
    if (!sort || strcmp(sort, "name") == 0)
        return "a.name";
    if (strcmp(sort, "arr") == 0)
        return "a.sort_arr";
    if (strcmp(sort, "renewal_date") == 0)
        return "a.sort_renewal";
    if (strcmp(sort, "created_at") == 0)
        return "a.created_at";
    if (strcmp(sort, "health") == 0)
        return "COALESCE(a.health_score, -1)"; /* the expression of index accounts_health */
    return NULL;
}

char *account_sort_value(const struct account *a, const char *sort)
{
    if (sort && strcmp(sort, "arr") == 0)
        return xasprintf("%lld", (long long)(a->has_subscription ? a->mrr * 12 : -1));
    if (sort && strcmp(sort, "renewal_date") == 0)
        return xstrdup(a->renewal_date ? a->renewal_date : "9999-12-31");
    if (sort && strcmp(sort, "created_at") == 0)
        return xstrdup(a->created_at);
    if (sort && strcmp(sort, "health") == 0)
        return xasprintf("%d", a->health_score);
    return xstrdup(a->name);
}

/* "%" + s with LIKE wildcards escaped + "%"; caller frees. */
static char *like_pattern(const char *s)
{
    struct buf b;
    buf_init(&b, 0);
    buf_append(&b, "%", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            buf_append(&b, "\\", 1);
        buf_append(&b, p, 1);
    }
    buf_append(&b, "%", 1);
    return buf_steal(&b);
}

#define LIST_SEGMENT_PARAM 13 /* the first placeholder after ?1 .. ?12 below */

/* Finishes with a statement of list_query: a segment's is finalized, others reset. */
static void list_done(const struct account_filter *f, sqlite3_stmt *s)
{
    if (f->segment)
        sqlite3_finalize(s);
    else
        sqlite3_reset(s);
}

/* Builds and binds the list query for f; with_page adds the cursor and the limit. NULL
 * (logged) when SQLite refuses a segment's query. */
static sqlite3_stmt *list_query(struct store *st, const struct account_filter *f, bool with_page)
{
    const char *expr = sort_expr(f->sort);
    if (!expr)
        expr = "a.name";
    struct buf q;
    buf_init(&q, 0);
    buf_printf(&q, ACCOUNT_SELECT "WHERE 1 = 1");
    if (f->owner_id > 0)
        buf_printf(&q, " AND a.owner_id = ?1");
    else if (f->owner_id < 0)
        buf_printf(&q, " AND a.owner_id IS NULL");
    if (f->tier)
        buf_printf(&q, " AND a.tier = ?2");
    if (f->phase)
        buf_printf(&q, " AND a.phase = ?3");
    if (f->industry)
        buf_printf(&q, " AND a.industry = ?4");
    if (f->external_id)
        buf_printf(&q, " AND a.external_id = ?5");
    if (f->domain)
        buf_printf(&q, " AND lower(a.domain) = lower(?6)");
    if (f->q)
        buf_printf(&q, " AND (a.name LIKE ?7 ESCAPE '\\' OR a.domain LIKE ?7 ESCAPE '\\')");
    if (f->renewal_before)
        buf_printf(&q, " AND a.sort_renewal < ?8");
    if (f->band && strcmp(f->band, "none") == 0)
        buf_printf(&q, " AND a.health_band IS NULL");
    else if (f->band)
        buf_printf(&q, " AND a.health_band = ?12");
    /* A segment's filter: fixed fragments with placeholders from ?13 (segments/filter.h). */
    struct seg_sql where = { 0 };
    if (f->segment) {
        seg_compile(f->segment, now_unix(), LIST_SEGMENT_PARAM, &where);
        buf_printf(&q, " AND (%s)", where.sql);
    }
    if (with_page && f->has_cursor)
        buf_printf(&q, " AND (%s, a.id) %s (?9, ?10)", expr, f->desc ? "<" : ">");
    buf_printf(&q, " ORDER BY %s %s, a.id %s", expr, f->desc ? "DESC" : "ASC",
               f->desc ? "DESC" : "ASC");
    if (with_page)
        buf_printf(&q, " LIMIT ?11");

    /* Each segment's SQL is its own: prepared for this one use, not cached. */
    sqlite3_stmt *s = f->segment ? db_prepare_transient(st, q.p) : db_prepare(st, q.p);
    buf_free(&q);
    if (!s) {
        seg_sql_cleanup(&where);
        return NULL;
    }
    db_bind_segment(s, LIST_SEGMENT_PARAM, &where);
    seg_sql_cleanup(&where);
    if (f->owner_id > 0)
        db_bind_i64(s, 1, f->owner_id);
    db_bind_text(s, 2, f->tier);
    db_bind_text(s, 3, f->phase);
    db_bind_text(s, 4, f->industry);
    db_bind_text(s, 5, f->external_id);
    db_bind_text(s, 6, f->domain);
    if (f->q) {
        char *pat = like_pattern(f->q);
        db_bind_text(s, 7, pat);
        free(pat);
    }
    db_bind_text(s, 8, f->renewal_before);
    if (with_page && f->has_cursor) {
        int64_t v;
        if (f->sort && (strcmp(f->sort, "arr") == 0 || strcmp(f->sort, "health") == 0) &&
            parse_i64(f->cursor_value, &v) == 0)
            db_bind_i64(s, 9, v);
        else
            db_bind_text(s, 9, f->cursor_value ? f->cursor_value : "");
        db_bind_i64(s, 10, f->cursor_id);
    }
    if (with_page)
        db_bind_i64(s, 11, f->limit + 1);
    if (f->band && strcmp(f->band, "none") != 0)
        db_bind_text(s, 12, f->band);
    return s;
}

int store_accounts_list(struct store *st, const struct account_filter *f, struct account **out,
                        size_t *n)
{
    sqlite3_stmt *s = list_query(st, f, true);
    struct account *v = NULL;
    size_t cnt = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if (!s)
        return KZ_EDB;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xrealloc(v, (cnt + 1) * sizeof(*v));
        account_row(s, &v[cnt++]);
    }
    rc = db_rc(st, rc);
    list_done(f, s);
    *out = v;
    *n = cnt;
    return rc;
}

int store_accounts_each(struct store *st, const struct account_filter *f,
                        int (*fn)(const struct account *a, void *ctx), void *ctx)
{
    sqlite3_stmt *s = list_query(st, f, false);
    struct account a;
    int rc;
    if (!s)
        return KZ_EDB;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        account_row(s, &a);
        int stop = fn(&a, ctx);
        account_cleanup(&a);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = db_rc(st, rc);
    list_done(f, s);
    return rc;
}

/* ------------------------------------------------------------ tiers */

#define TIER_UPDATE                                                                        \
    "UPDATE accounts SET tier = COALESCE(tier_override, ("                                 \
    " SELECT CASE WHEN s.status = 'churned' THEN 'tech'"                                   \
    "  WHEN s.mrr * 12 >= t.high_min_arr THEN 'high'"                                      \
    "  WHEN s.mrr * 12 >= t.low_min_arr THEN 'low' ELSE 'tech' END"                        \
    " FROM subscriptions s JOIN tier_thresholds t ON t.currency = s.currency"              \
    " WHERE s.account_id = accounts.id), 'tech')"

int store_tiers_recompute(struct store *st, int64_t id)
{
    /* Two statements, not "WHERE ? = 0 OR id = ?": the OR would scan every account. */
    sqlite3_stmt *s = db_prepare(st, id ? TIER_UPDATE " WHERE id = ?" : TIER_UPDATE);
    if (id)
        db_bind_i64(s, 1, id);
    return db_exec_stmt(st, s);
}

int store_tier_thresholds_get(struct store *st, struct tier_threshold **out, size_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT currency, high_min_arr, low_min_arr "
                                     "FROM tier_thresholds ORDER BY currency");
    struct tier_threshold *v = NULL;
    size_t cnt = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xrealloc(v, (cnt + 1) * sizeof(*v));
        db_col_copy(s, 0, v[cnt].currency, sizeof(v[cnt].currency));
        v[cnt].high_min_arr = sqlite3_column_int64(s, 1);
        v[cnt].low_min_arr = sqlite3_column_int64(s, 2);
        cnt++;
    }
    sqlite3_reset(s);
    *out = v;
    *n = cnt;
    return db_rc(st, rc);
}

int store_tier_thresholds_put(struct store *st, const struct tier_threshold *v, size_t n)
{
    int rc = store_begin(st);
    if (rc)
        return rc;
    rc = db_exec_stmt(st, db_prepare(st, "DELETE FROM tier_thresholds"));
    for (size_t i = 0; i < n && rc == KZ_OK; i++) {
        sqlite3_stmt *s = db_prepare(st, "INSERT INTO tier_thresholds (currency, high_min_arr, "
                                         "low_min_arr) VALUES (?, ?, ?)");
        db_bind_text(s, 1, v[i].currency);
        db_bind_i64(s, 2, v[i].high_min_arr);
        db_bind_i64(s, 3, v[i].low_min_arr);
        rc = db_exec_stmt(st, s);
    }
    if (rc == KZ_OK)
        rc = store_tiers_recompute(st, 0);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}
