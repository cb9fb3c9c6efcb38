/*
 * Unit tests of store/cockpit.c on hand-built data: two CSMs' books written with SQL, then
 * the cockpit's reads checked for exact membership and order. My open tasks come overdue
 * first, then by due date, undated last, never another user's or a closed one; at risk are
 * my red accounts and my accounts that fell at least 10 points in 7 days (not one that fell
 * 9, nor another CSM's red one, nor a churned one), lowest score first, with the reason and the weakest
 * component; renewals are mine within the window, soonest first, never churned; activity is
 * newest first on my accounts only, and pages on its keyset.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/cockpit.h"
#include "store/db.h"
#include "testdb.h"

static struct store *st;
static char today[11], d7[11];

static void exec(const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &err);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, err ? err : "");
}

/* Runs a printf-formatted statement (test data only: the values are ours). */
static void execf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void execf(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    exec(sql);
}

static char days_buf[16][11];
static int days_i;
/* The date off days from today (a rotating static buffer). */
static const char *day(int64_t off)
{
    char *b = days_buf[days_i++ % 16];
    date_from_days(now_unix() / 86400 + off, b);
    return b;
}

/* Users 1 (me), 2 (another CSM); accounts 1..6 mine, 7 theirs, 8 unassigned. */
static void setup(void)
{
    st = test_db_open("cockpit", "t");
    date_from_days(now_unix() / 86400, today);
    date_from_days(now_unix() / 86400 - 7, d7);
    exec("INSERT INTO users (id, email, name, role, created_at, updated_at) VALUES"
         " (1, 'me@x', 'Me', 'csm', 't', 't'), (2, 'other@x', 'Other', 'csm', 't', 't'),"
         " (3, 'adm@x', 'Admin', 'admin', 't', 't')");
    for (int i = 1; i <= 8; i++)
        execf("INSERT INTO accounts (id, name, owner_id, created_at, updated_at)"
              " VALUES (%d, 'Acct %d', %s, 't', 't')",
              i, i, i <= 6 ? "1" : i == 7 ? "2" : "NULL");
}

static void teardown(void) { test_db_close(); }

TestSuite(store_cockpit, .init = setup, .fini = teardown);

Test(store_cockpit, tasks_overdue_first_then_by_due_date_undated_last)
{
    /* id, account, assignee, due, status */
    execf("INSERT INTO tasks (id, account_id, title, assignee_id, due_date, status, created_at,"
          " updated_at) VALUES"
          " (1, 1, 'later', 1, '%s', 'open', 't', 't'),"
          " (2, 2, 'undated', 1, NULL, 'open', 't', 't'),"
          " (3, 3, 'overdue', 1, '%s', 'open', 't', 't'),"
          " (4, 1, 'today', 1, '%s', 'open', 't', 't'),"
          " (5, 1, 'done', 1, '%s', 'done', 't', 't'),"
          " (6, 7, 'theirs', 2, '%s', 'open', 't', 't'),"
          " (7, 7, 'mine on theirs', 1, '%s', 'open', 't', 't'),"
          " (8, 1, 'very overdue', 1, '%s', 'open', 't', 't')",
          day(10), day(-2), today, day(-5), day(-9), day(3), day(-30));
    struct cockpit_task *v;
    size_t n;
    struct cockpit_task_counts c;
    cr_assert_eq(store_cockpit_tasks(st, 1, today, 50, &v, &n, &c), KZ_OK);
    int64_t want[] = {8, 3, 4, 7, 1, 2};
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i].t.id, want[i], "position %zu: task %lld", i, (long long)v[i].t.id);
    cr_assert_str_eq(v[0].account_name, "Acct 1");
    cr_assert_str_eq(v[3].account_name, "Acct 7");
    cr_assert_eq(c.open, 6);
    cr_assert_eq(c.overdue, 2);
    cr_assert_eq(c.due_today, 1);
    cockpit_tasks_free(v, n);
    /* Capped: the first two, the counts still the totals. */
    cr_assert_eq(store_cockpit_tasks(st, 1, today, 2, &v, &n, &c), KZ_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[1].t.id, 3);
    cr_assert_eq(c.open, 6);
    cockpit_tasks_free(v, n);
}

Test(store_cockpit, at_risk_red_or_falling_fast_mine_only)
{
    /* account: score, band now; the snapshot 7 days ago; today's components */
    exec("UPDATE accounts SET health_score = 35, health_band = 'red' WHERE id = 1");
    exec("UPDATE accounts SET health_score = 55, health_band = 'yellow' WHERE id = 2"); /* fell 15 */
    exec("UPDATE accounts SET health_score = 61, health_band = 'yellow' WHERE id = 3"); /* fell 9 */
    exec("UPDATE accounts SET health_score = 80, health_band = 'green' WHERE id = 4");  /* rose */
    exec("UPDATE accounts SET health_score = 20, health_band = 'red' WHERE id = 5");    /* red, fell */
    exec("UPDATE accounts SET health_score = 50, health_band = 'yellow' WHERE id = 6"); /* no history */
    exec("UPDATE accounts SET health_score = 5, health_band = 'red' WHERE id = 4");     /* churned: */
    exec("INSERT INTO subscriptions (account_id, plan, mrr, currency, seats, start_date, status,"
         " updated_at) VALUES (4, 'Pro', 0, 'JPY', 10, '2025-01-01', 'churned', 't')"); /* lost */
    exec("INSERT INTO subscriptions (account_id, plan, mrr, currency, seats, start_date, status,"
         " updated_at) VALUES (1, 'Pro', 1000, 'JPY', 10, '2025-01-01', 'active', 't')");
    exec("UPDATE accounts SET health_score = 10, health_band = 'red' WHERE id = 7");    /* theirs */
    exec("UPDATE accounts SET health_score = 12, health_band = 'red' WHERE id = 8");    /* nobody's */
    execf("INSERT INTO health_snapshots (day, account_id, score, band) VALUES"
          " ('%s', 2, 70, 'green'), ('%s', 3, 70, 'green'), ('%s', 4, 60, 'yellow'),"
          " ('%s', 5, 45, 'yellow'), ('%s', 7, 90, 'green')",
          d7, d7, d7, d7, d7);
    /* A fall over another span does not count: account 6 fell 40 points in 8 days. */
    execf("INSERT INTO health_snapshots (day, account_id, score, band) VALUES ('%s', 6, 90, 'green')",
          day(-8));
    execf("INSERT INTO health_snapshots (day, account_id, score, band, deployment, engagement,"
          " adoption, roi) VALUES ('%s', 2, 55, 'yellow', 70, 40, 62, NULL)",
          today);
    struct cockpit_risk *v;
    size_t n;
    int64_t total, red, falling;
    cr_assert_eq(store_cockpit_at_risk(st, 1, today, d7, 50, &v, &n, &total, &red, &falling),
                 KZ_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(total, 3);
    cr_assert_eq(red, 2);
    cr_assert_eq(falling, 2);
    /* Lowest score first: 5 (red and falling), 1 (red), 2 (falling). */
    cr_assert_eq(v[0].account_id, 5);
    cr_assert(v[0].red && v[0].falling);
    cr_assert_eq(v[0].score_before, 45);
    cr_assert_eq(v[1].account_id, 1);
    cr_assert(v[1].red && !v[1].falling);
    cr_assert_eq(v[1].score_before, -1);
    cr_assert_eq(v[2].account_id, 2);
    cr_assert(!v[2].red && v[2].falling);
    cr_assert_eq(v[2].score, 55);
    cr_assert_eq(v[2].score_before, 70);
    cr_assert_str_eq(v[2].band, "yellow");
    cr_assert_str_eq(v[2].weakest, "engagement");
    cr_assert_eq(v[2].weakest_score, 40);
    cr_assert_str_eq(v[0].weakest, "");
    cr_assert_str_eq(v[2].name, "Acct 2");
    cockpit_risks_free(v, n);
    /* The other CSM: their red account only. */
    cr_assert_eq(store_cockpit_at_risk(st, 2, today, d7, 50, &v, &n, &total, &red, &falling),
                 KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].account_id, 7);
    cr_assert(v[0].red && v[0].falling);
    cockpit_risks_free(v, n);
    /* Capped at one: the worst, with the totals. */
    cr_assert_eq(store_cockpit_at_risk(st, 1, today, d7, 1, &v, &n, &total, &red, &falling),
                 KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].account_id, 5);
    cr_assert_eq(total, 3);
    cockpit_risks_free(v, n);
}

Test(store_cockpit, renewals_mine_within_the_window_soonest_first)
{
    const char *sub = "INSERT INTO subscriptions (account_id, plan, mrr, currency, seats,"
                      " start_date, renewal_date, status, updated_at) VALUES"
                      " (%d, 'Pro', %d, 'JPY', 10, '2025-01-01', '%s', '%s', 't')";
    execf(sub, 1, 1000, day(60), "active");
    execf(sub, 2, 2000, today, "trial");
    execf(sub, 3, 3000, day(90), "active");
    execf(sub, 4, 4000, day(91), "active");   /* too late */
    execf(sub, 5, 5000, day(-1), "active");   /* passed */
    execf(sub, 6, 6000, day(30), "churned");  /* churned */
    execf(sub, 7, 7000, day(10), "active");   /* theirs */
    exec("UPDATE accounts SET health_score = 30, health_band = 'red', phase = 'adoption'"
         " WHERE id = 3");
    struct cockpit_renewal *v;
    size_t n;
    int64_t total;
    cr_assert_eq(store_cockpit_renewals(st, 1, today, day(90), 50, &v, &n, &total), KZ_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(total, 3);
    cr_assert_eq(v[0].account_id, 2);
    cr_assert_str_eq(v[0].status, "trial");
    cr_assert_eq(v[1].account_id, 1);
    cr_assert_eq(v[1].mrr, 1000);
    cr_assert_eq(v[2].account_id, 3);
    cr_assert_str_eq(v[2].renewal_date, day(90));
    cr_assert_str_eq(v[2].band, "red");
    cr_assert_eq(v[2].score, 30);
    cr_assert_str_eq(v[2].phase, "adoption");
    cr_assert_eq(v[0].score, -1);
    cr_assert_str_eq(v[0].band, "");
    cockpit_renewals_free(v, n);
    int64_t mine;
    cr_assert_eq(store_cockpit_accounts(st, 1, &mine), KZ_OK);
    cr_assert_eq(mine, 6);
}

Test(store_cockpit, activity_newest_first_on_my_accounts_with_names)
{
    exec("INSERT INTO timeline_entries (id, account_id, type, author_id, occurred_at, summary,"
         " created_at, updated_at) VALUES"
         " (1, 1, 'note', 1, '2026-01-01T10:00:00Z', 'one', 't', 't'),"
         " (2, 7, 'call', 2, '2026-01-03T10:00:00Z', 'theirs', 't', 't'),"
         " (3, 2, 'call', 2, '2026-01-02T10:00:00Z', 'two', 't', 't'),"
         " (4, 1, 'meeting', NULL, '2026-01-02T10:00:00Z', 'same time', 't', 't'),"
         " (5, 8, 'note', 3, '2026-01-04T10:00:00Z', 'unowned', 't', 't')");
    struct activity_entry *v;
    size_t n;
    struct activity_filter f = {.owner_id = 1, .limit = 50};
    cr_assert_eq(store_activity_list(st, &f, &v, &n), KZ_OK);
    int64_t want[] = {4, 3, 1};
    cr_assert_eq(n, 3);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i].id, want[i]);
    cr_assert_str_eq(v[1].account_name, "Acct 2");
    cr_assert_str_eq(v[1].author_name, "Other");
    cr_assert_null(v[0].author_name);
    activity_entries_free(v, n);
    /* A page of one, then the next after its keyset. */
    f.limit = 1;
    cr_assert_eq(store_activity_list(st, &f, &v, &n), KZ_OK);
    cr_assert_eq(n, 2);
    f.has_cursor = true;
    memcpy(f.cursor_at, v[0].occurred_at, 21);
    f.cursor_id = v[0].id;
    activity_entries_free(v, n);
    cr_assert_eq(store_activity_list(st, &f, &v, &n), KZ_OK);
    cr_assert_eq(v[0].id, 3);
    activity_entries_free(v, n);
    /* Every account, of one type, since a time; the unassigned ones. */
    struct activity_filter g = {.type = "call", .since = "2026-01-02T12:00:00Z", .limit = 50};
    cr_assert_eq(store_activity_list(st, &g, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].id, 2);
    activity_entries_free(v, n);
    struct activity_filter h = {.owner_id = -1, .limit = 50};
    cr_assert_eq(store_activity_list(st, &h, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].id, 5);
    activity_entries_free(v, n);
    struct activity_filter k = {.account_id = 1, .limit = 50};
    cr_assert_eq(store_activity_list(st, &k, &v, &n), KZ_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].id, 4);
    activity_entries_free(v, n);
    /* A book past 2,000 accounts without a time bound takes the other plan (the timeline
     * newest first): the same entries in the same order, pages included. */
    exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2001)"
         " INSERT INTO accounts (name, owner_id, created_at, updated_at)"
         " SELECT 'Filler ' || i, 1, 't', 't' FROM n");
    struct activity_filter big = {.owner_id = 1, .limit = 2};
    cr_assert_eq(store_activity_list(st, &big, &v, &n), KZ_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(v[0].id, 4);
    cr_assert_eq(v[1].id, 3);
    cr_assert_eq(v[2].id, 1);
    activity_entries_free(v, n);
    big.since = "2026-01-02T00:00:00Z";
    cr_assert_eq(store_activity_list(st, &big, &v, &n), KZ_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[1].id, 3);
    activity_entries_free(v, n);
}

Test(store_cockpit, team_names_and_roles)
{
    struct team_member *v;
    size_t n;
    cr_assert_eq(store_team_list(st, 0, 2, &v, &n), KZ_OK);
    cr_assert_eq(n, 3); /* limit + 1 */
    cr_assert_str_eq(v[0].name, "Me");
    cr_assert_eq(v[0].role, ROLE_CSM);
    cr_assert_eq(v[2].role, ROLE_ADMIN);
    team_members_free(v, n);
    cr_assert_eq(store_team_list(st, 2, 50, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].id, 3);
    team_members_free(v, n);
}
