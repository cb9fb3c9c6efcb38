/*
 * The monthly health rollup (migration 012) against the computation it replaced: the health
 * metric counted each account once a month by its last snapshot of the month, read from every
 * snapshot of the window in (account, day) order. Here both run over the same fixtures (days
 * written out of order, same-day rewrites as the health pass does them, deleted snapshots, an
 * account deleted, the pass's own save) with and without account filters, and must agree to
 * the unit; then an upgrade: snapshots written before migration 012 are backfilled by it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "store/db.h"
#include "store/health.h"
#include "store/metrics.h"
#include "testdb.h"

enum { GREEN, YELLOW, RED, NONE, NBANDS };
#define MAX_MONTHS 40

struct agg {
    int64_t count[MAX_MONTHS][NBANDS];
    int64_t scored[MAX_MONTHS], score_sum[MAX_MONTHS];
};

static int band_of(const char *b)
{
    return !b                           ? NONE
           : strcmp(b, "green") == 0    ? GREEN
           : strcmp(b, "yellow") == 0   ? YELLOW
           : strcmp(b, "red") == 0      ? RED
                                        : NONE;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 33) % n;
}

static void exec(struct store *st, const char *sql)
{
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(st->db, sql, NULL, NULL, &err), SQLITE_OK, "%s: %s", sql,
                 err ? err : "");
}

/* ------------------------------------------------------------ the old computation */

/* What store_metrics_health did before migration 012, verbatim in its SQL and its fold:
 * every snapshot of [from day, to day] by account then day, the last one of each (account,
 * month) counted; accounts joined only when a filter is set. */
static void old_health(struct store *st, const char *filter, int from, int to, struct agg *out)
{
    char from_day[11], to_day[11], m[8], sql[512];
    month_format(from, m);
    snprintf(from_day, sizeof(from_day), "%s-01", m);
    month_last_day(to, to_day);
    snprintf(sql, sizeof(sql),
             "SELECT h.account_id, h.day, h.band, h.score FROM health_snapshots h%s "
             "WHERE h.day >= ?1 AND h.day <= ?2%s ORDER BY h.account_id, h.day",
             filter ? " JOIN accounts a ON a.id = h.account_id" : "", filter ? filter : "");
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, from_day, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, to_day, -1, SQLITE_STATIC);
    memset(out, 0, sizeof(*out));
    int64_t account = -1, score = -1;
    int month = -1, band = NONE;
    for (;;) {
        int rc = sqlite3_step(s);
        int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -2;
        int mm = rc == SQLITE_ROW ? month_of_date((const char *)sqlite3_column_text(s, 1)) : -2;
        if ((id != account || mm != month) && month >= 0) {
            out->count[month - from][band]++;
            if (score >= 0) {
                out->scored[month - from]++;
                out->score_sum[month - from] += score;
            }
        }
        if (rc != SQLITE_ROW) {
            cr_assert_eq(rc, SQLITE_DONE);
            break;
        }
        account = id;
        month = mm;
        band = band_of((const char *)sqlite3_column_text(s, 2));
        score = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 3);
    }
    sqlite3_finalize(s);
}

/* ------------------------------------------------------------ the rollup */

struct new_ctx {
    int from;
    struct agg *out;
};

static int new_row(void *arg, const struct health_month *h)
{
    struct new_ctx *c = arg;
    int m = h->month - c->from;
    cr_assert(m >= 0 && m < MAX_MONTHS);
    c->out->count[m][band_of(h->band)]++;
    if (h->score >= 0) {
        c->out->scored[m]++;
        c->out->score_sum[m] += h->score;
    }
    return 0;
}

static void new_health(struct store *st, const struct metrics_filter *f, int from, int to,
                       struct agg *out)
{
    memset(out, 0, sizeof(*out));
    struct new_ctx c = { from, out };
    cr_assert_eq(store_metrics_health(st, f, from, to, new_row, &c), KZ_OK);
}

/* Both computations agree month by month; returns how many account-months they counted. */
static int64_t same(struct store *st, const struct metrics_filter *f, const char *filter_sql,
                    int from, int to)
{
    struct agg *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    old_health(st, filter_sql, from, to, a);
    new_health(st, f, from, to, b);
    int64_t total = 0;
    for (int m = 0; m <= to - from; m++) {
        char mm[8];
        month_format(from + m, mm);
        for (int k = 0; k < NBANDS; k++) {
            cr_assert_eq(b->count[m][k], a->count[m][k], "%s band %d (filter%s): %lld, was %lld",
                         mm, k, filter_sql ? filter_sql : " none", (long long)b->count[m][k],
                         (long long)a->count[m][k]);
            total += a->count[m][k];
        }
        cr_assert_eq(b->scored[m], a->scored[m], "%s scored", mm);
        cr_assert_eq(b->score_sum[m], a->score_sum[m], "%s score sum", mm);
    }
    free(a);
    free(b);
    return total;
}

/* ------------------------------------------------------------ fixtures */

static int64_t owner;

/* Accounts 1..20 plus two far-off ids (a sparse filtered set is kept as a sorted array, a
 * dense one as a bitmap): tier, industry, owner and phase vary with the id. */
static const int64_t far_ids[] = { 5000000, 9000001 };

static void make_accounts(struct store *st)
{
    struct user u = { .role = ROLE_CSM, .email = xstrdup("csm@example.com"),
                      .name = xstrdup("CSM") };
    cr_assert_eq(store_user_create(st, &u), KZ_OK);
    owner = u.id;
    user_cleanup(&u);
    static const char *const tiers[] = { "high", "low", "tech" };
    static const char *const phases[] = { "onboarding", "adoption", "expansion" };
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(st->db, "INSERT INTO accounts (id, name, tier, industry, "
                                            "owner_id, phase, created_at, updated_at) VALUES "
                                            "(?1, 'A' || ?1, ?2, ?3, ?4, ?5, '2023-01-01', "
                                            "'2023-01-01')", -1, &s, NULL), SQLITE_OK);
    for (int i = 1; i <= 22; i++) {
        int64_t id = i <= 20 ? i : far_ids[i - 21];
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, i > 20 ? "high" : tiers[i % 3], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, i % 2 ? "SaaS" : "小売", -1, SQLITE_STATIC);
        if (i % 4)
            sqlite3_bind_int64(s, 4, owner);
        else
            sqlite3_bind_null(s, 4);
        sqlite3_bind_text(s, 5, phases[i % 3], -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
}

/* The snapshot write of store_health_save (an unchanged rewrite is skipped, a changed one
 * updates in place). */
static void put_snapshot(struct store *st, int64_t id, const char *day, int score, int band)
{
    static const char *const names[] = { "green", "yellow", "red" };
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO health_snapshots (day, account_id, score, band) "
                                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (day, account_id) DO "
                                     "UPDATE SET score = excluded.score, band = excluded.band "
                                     "WHERE (score, band) IS NOT (excluded.score, excluded.band)");
    db_bind_text(s, 1, day);
    db_bind_i64(s, 2, id);
    if (score < 0)
        sqlite3_bind_null(s, 3);
    else
        sqlite3_bind_int(s, 3, score);
    db_bind_text(s, 4, band < 3 ? names[band] : NULL);
    cr_assert_eq(db_exec_stmt(st, s), KZ_OK);
}

#define FIRST_MONTH (2023 * 12 + 10) /* 2023-11 */
#define NMONTHS 16                    /* .. 2025-02 */

struct snap {
    int64_t id;
    char day[11];
};

/* About 600 snapshots over 16 months, written in a shuffled order, a fifth of them written a
 * second time with another value, then a tenth deleted. */
static void make_snapshots(struct store *st)
{
    struct snap *v = calloc(2000, sizeof(*v));
    size_t n = 0;
    for (int i = 1; i <= 22; i++) {
        int64_t id = i <= 20 ? i : far_ids[i - 21];
        for (int m = FIRST_MONTH; m < FIRST_MONTH + NMONTHS; m++) {
            if (rnd(10) < 3)
                continue;
            int k = 1 + (int)rnd(3);
            for (int j = 0; j < k; j++) {
                char last[11], mm[8];
                month_last_day(m, last);
                month_format(m, mm);
                v[n].id = id;
                if (rnd(4) == 0) /* the month's last day, 28th to 31st */
                    memcpy(v[n].day, last, 11);
                else
                    snprintf(v[n].day, 11, "%s-%02d", mm, 1 + (int)rnd(28));
                n++;
            }
        }
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd((uint32_t)i + 1);
        struct snap t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        int band = (int)rnd(4);
        put_snapshot(st, v[i].id, v[i].day, band == 3 ? -1 : (int)rnd(101), band);
    }
    for (size_t i = 0; i < n; i += 5) /* the same day again, rescored */
        put_snapshot(st, v[i].id, v[i].day, (int)rnd(101), (int)rnd(3));
    for (size_t i = 3; i < n; i += 10) {
        sqlite3_stmt *s = db_prepare(st, "DELETE FROM health_snapshots "
                                         "WHERE day = ?1 AND account_id = ?2");
        db_bind_text(s, 1, v[i].day);
        db_bind_i64(s, 2, v[i].id);
        cr_assert_eq(db_exec_stmt(st, s), KZ_OK);
    }
    free(v);
}

static void check_all_filters(struct store *st, int from, int to, bool strict)
{
    struct metrics_filter none = { 0 }, high = { .tier = "high" }, mine = { .owner_id = owner },
                          unassigned = { .owner_id = -1 }, retail = { .industry = "小売" },
                          adoption = { .phase = "adoption" };
    char mine_sql[64];
    snprintf(mine_sql, sizeof(mine_sql), " AND a.owner_id = %lld", (long long)owner);
    int64_t all = same(st, &none, NULL, from, to);
    cr_assert_gt(all, 0);
    int64_t n_high = same(st, &high, " AND a.tier = 'high'", from, to);
    int64_t n_mine = same(st, &mine, mine_sql, from, to);
    cr_assert(n_high > 0 && n_high <= all && n_mine > 0 && n_mine <= all);
    if (strict) /* over the fixtures' months the slices are real subsets */
        cr_assert(n_high < all && n_mine < all);
    same(st, &unassigned, " AND a.owner_id IS NULL", from, to);
    same(st, &retail, " AND a.industry = '小売'", from, to);
    same(st, &adoption, " AND a.phase = 'adoption'", from, to);
}

TestSuite(metrics_health, .fini = test_db_close);

Test(metrics_health, rollup_equals_the_last_snapshot_of_each_month)
{
    struct store *st = test_db_open("metrics-health", "rollup");
    make_accounts(st);
    make_snapshots(st);
    check_all_filters(st, FIRST_MONTH, FIRST_MONTH + NMONTHS - 1, true);
    /* windows that cut a year, and one month */
    check_all_filters(st, FIRST_MONTH + 1, FIRST_MONTH + 3, true);
    check_all_filters(st, FIRST_MONTH + 4, FIRST_MONTH + 4, true);

    /* The health pass's own write (today), twice: a rescore of the same day replaces it. */
    char today[11];
    date_today(today);
    int now = month_of_date(today);
    struct health_row rows[3] = {
        { .account_id = 1, .score = 80, .band = BAND_GREEN },
        { .account_id = 2, .score = -1, .band = BAND_NONE },
        { .account_id = far_ids[0], .score = 10, .band = BAND_RED },
    };
    for (int c = 0; c < HC_COUNT; c++)
        rows[0].component[c] = rows[1].component[c] = rows[2].component[c] = -1;
    cr_assert_eq(store_health_save(st, today, rows, 3), KZ_OK);
    rows[0].score = 40;
    rows[0].band = BAND_YELLOW;
    cr_assert_eq(store_health_save(st, today, rows, 3), KZ_OK);
    struct agg a;
    struct metrics_filter none = { 0 };
    new_health(st, &none, now, now, &a);
    cr_assert_eq(a.count[0][YELLOW], 1);
    cr_assert_eq(a.count[0][RED], 1);
    cr_assert_eq(a.count[0][NONE], 1);
    cr_assert_eq(a.score_sum[0], 50);
    check_all_filters(st, now - 2, now, false);

    /* A deleted account takes its months with it. */
    cr_assert_eq(store_account_delete(st, far_ids[0]), KZ_OK);
    sqlite3_stmt *s = db_prepare(st, "SELECT count(*) FROM health_monthly WHERE account_id = ?1");
    db_bind_i64(s, 1, far_ids[0]);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int64(s, 0), 0);
    sqlite3_reset(s);
    check_all_filters(st, FIRST_MONTH, FIRST_MONTH + NMONTHS - 1, true);

    /* Snapshots are keyed by (day, account): moving one is refused, the rollup stays right. */
    cr_assert_neq(sqlite3_exec(st->db, "UPDATE health_snapshots SET day = '2024-06-15' "
                                       "WHERE account_id = 1", NULL, NULL, NULL), SQLITE_OK);
}

Test(metrics_health, migration_backfills_existing_snapshots)
{
    struct store *st = test_db_open("metrics-health", "upgrade");
    /* A database as it was before migration 012 ... */
    exec(st, "DROP TRIGGER health_snapshots_rekey; DROP TRIGGER health_monthly_insert; "
             "DROP TRIGGER health_monthly_update; DROP TRIGGER health_monthly_delete; "
             "DROP TABLE health_monthly; DROP INDEX subscriptions_renewal_metrics; "
             "DROP INDEX accounts_industry; DROP INDEX tasks_done_metrics_covering; "
             "CREATE INDEX tasks_done_metrics ON tasks(completed_at, assignee_id, type, "
             "account_id) WHERE status = 'done'; DELETE FROM schema_version WHERE version = 12");
    make_accounts(st);
    make_snapshots(st);
    /* ... upgraded: migration 012 runs at start-up and fills the rollup. */
    store_shutdown();
    cr_assert_eq(store_init(test_db_path), KZ_OK);
    st = store_get();
    check_all_filters(st, FIRST_MONTH, FIRST_MONTH + NMONTHS - 1, true);
    check_all_filters(st, FIRST_MONTH + 2, FIRST_MONTH + 13, true);
    /* and from then on the triggers keep it */
    put_snapshot(st, 3, "2024-02-29", 99, GREEN);
    put_snapshot(st, 4, "2024-02-01", 1, RED);
    check_all_filters(st, FIRST_MONTH, FIRST_MONTH + NMONTHS - 1, true);
}
