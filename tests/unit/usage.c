/*
 * Unit tests of store/usage.c on a fresh SQLite file per test: write keys (create, lookup,
 * revoke), the usage report from the daily rollups (periods by day, ISO week and month,
 * distinct users counted once per period, DAU/WAU/MAU, seat utilisation, key features,
 * tracked users and their contacts), the raw events list (order, type filter, keyset
 * pagination) and the ingest errors list. Rollup and event rows are inserted with raw SQL,
 * as the ingest writer would leave them.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"
#include "store/usage.h"
#include "util/crypto.h"
#include "unit/testdb.h"

static struct store *st;
static int64_t acme, other;

/* Runs SQL built from fmt (test data only), failing the test on any error. */
static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
    char q[2048];
    char *err = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    int rc = sqlite3_exec(st->db, q, NULL, NULL, &err);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", q, err ? err : "");
}

static int64_t new_account(const char *name)
{
    struct account a;
    account_init(&a);
    a.name = xstrdup(name);
    cr_assert_eq(store_account_create(st, &a), KZ_OK);
    int64_t id = a.id;
    account_cleanup(&a);
    return id;
}

static void set_seats(int64_t account_id, int64_t seats)
{
    struct subscription s = { .account_id = account_id, .mrr = 100000, .seats = seats };
    s.plan = xstrdup("Pro");
    memcpy(s.currency, "JPY", 4);
    memcpy(s.start_date, "2025-01-01", 11);
    memcpy(s.effective_date, "2025-01-01", 11);
    memcpy(s.status, "active", 7);
    cr_assert_eq(store_subscription_put(st, &s), KZ_OK);
    subscription_cleanup(&s);
}

static void active(int64_t account_id, const char *day, const char *user_key)
{
    sql("INSERT INTO active_users_daily (account_id, day, user_key, events) "
        "VALUES (%lld, '%s', '%s', 1)", (long long)account_id, day, user_key);
}

static void used(int64_t account_id, const char *day, const char *event, int64_t count)
{
    sql("INSERT INTO usage_daily (account_id, day, event, count) VALUES (%lld, '%s', '%s', %lld)",
        (long long)account_id, day, event, (long long)count);
}

/*
 * The shared rollups. `acme` over 2025-05 and 2025-06 (2025-06-15 is a Sunday, its ISO
 * week starts on Monday 2025-06-09); `other` has activity that must never show up.
 */
static void seed(void)
{
    active(acme, "2025-05-16", "u4");      /* just outside the 30 days ending 06-15 */
    active(acme, "2025-05-20", "u3");
    active(acme, "2025-05-25", "u1");
    active(acme, "2025-06-03", "u1");
    active(acme, "2025-06-05", "u1");
    active(acme, "2025-06-06", "u2");
    active(acme, "2025-06-10", "u1");
    active(acme, "2025-06-11", "u1");
    active(acme, "2025-06-11", "u2");
    active(acme, "2025-06-14", "anon:x");
    active(acme, "2025-06-15", "u1");
    active(other, "2025-06-15", "z1");
    active(other, "2025-06-15", "z2");

    used(acme, "2025-05-16", "Export", 5);  /* outside the 30 days ending 06-15 */
    used(acme, "2025-05-17", "Export", 1);
    used(acme, "2025-05-20", "Report Created", 7);
    used(acme, "2025-06-03", "Report Created", 9);
    used(acme, "2025-06-05", "Report Created", 1);
    used(acme, "2025-06-10", "Report Created", 3);
    used(acme, "2025-06-11", "Report Created", 2);
    used(acme, "2025-06-11", "$page", 4);
    used(acme, "2025-06-15", "Export", 1);
    used(other, "2025-06-15", "Report Created", 100);
}

static void setup(void)
{
    cr_assert_eq(crypto_setup(), 0);
    st = test_db_open("usage", "u");
    acme = new_account("Acme");
    other = new_account("Globex");
}

static void teardown(void)
{
    test_db_close();
}

TestSuite(usage, .init = setup, .fini = teardown);

/* The count of event in a period (0 when absent), checking the list is sorted. */
static int64_t by_name(const struct usage_period *p, const char *event)
{
    int64_t c = 0;
    for (size_t i = 0; i < p->nby_name; i++) {
        if (i > 0)
            cr_assert_lt(strcmp(p->by_name[i - 1].event, p->by_name[i].event), 0);
        if (strcmp(p->by_name[i].event, event) == 0)
            c = p->by_name[i].count;
    }
    return c;
}

static void report(const char *from, const char *to, enum usage_granularity g,
                   struct usage_report *rep)
{
    int rc = store_usage_report(st, acme, from, to, g, NULL, 0, rep);
    cr_assert_eq(rc, KZ_OK, "report %s..%s: %d", from, to, rc);
}

/* ------------------------------------------------------------ write keys */

Test(usage, write_keys_create_lookup_revoke)
{
    struct write_key a = { 0 }, b = { 0 };
    a.name = xstrdup("Production");
    b.name = xstrdup("Staging");
    cr_assert_eq(store_write_key_create(st, &a), KZ_OK);
    cr_assert_eq(store_write_key_create(st, &b), KZ_OK);
    cr_assert_gt(a.id, 0);
    cr_assert_neq(a.id, b.id);
    cr_assert_eq(strncmp(a.key, "wk_", 3), 0);
    cr_assert_eq(strlen(a.key), 3 + 43);
    cr_assert_str_neq(a.key, b.key);
    cr_assert_eq(strlen(a.created_at), 20);

    int64_t id = 0;
    cr_assert_eq(store_write_key_lookup(st, a.key, &id), KZ_OK);
    cr_assert_eq(id, a.id);
    cr_assert_eq(store_write_key_lookup(st, b.key, &id), KZ_OK);
    cr_assert_eq(id, b.id);
    cr_assert_eq(store_write_key_lookup(st, "wk_unknown", &id), KZ_ENOTFOUND);
    cr_assert_eq(store_write_key_lookup(st, "", &id), KZ_ENOTFOUND);

    cr_assert_eq(store_write_key_revoke(st, a.id), KZ_OK);
    cr_assert_eq(store_write_key_lookup(st, a.key, &id), KZ_ENOTFOUND);
    cr_assert_eq(store_write_key_lookup(st, b.key, &id), KZ_OK); /* the other still works */
    cr_assert_eq(store_write_key_revoke(st, a.id), KZ_OK);        /* twice: still revoked */
    cr_assert_eq(store_write_key_revoke(st, 9999), KZ_ENOTFOUND);

    struct write_key *v;
    size_t n;
    cr_assert_eq(store_write_keys_list(st, &v, &n), KZ_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].id, a.id);
    cr_assert_str_eq(v[0].name, "Production");
    cr_assert_str_eq(v[0].key, a.key);
    cr_assert_not_null(v[0].revoked_at);
    cr_assert_eq(v[1].id, b.id);
    cr_assert_null(v[1].revoked_at);
    write_keys_free(v, n);
    write_key_cleanup(&a);
    write_key_cleanup(&b);
}

/* ------------------------------------------------------------ usage report */

Test(usage, by_day)
{
    struct usage_report rep;
    seed();
    report("2025-06-09", "2025-06-15", USAGE_DAY, &rep);
    cr_assert_eq(rep.account_id, acme);
    cr_assert_str_eq(rep.from, "2025-06-09");
    cr_assert_str_eq(rep.to, "2025-06-15");
    cr_assert_eq(rep.nperiods, 7);
    static const char *const days[] = {"2025-06-09", "2025-06-10", "2025-06-11", "2025-06-12",
                                       "2025-06-13", "2025-06-14", "2025-06-15"};
    static const int64_t users[] = {0, 1, 2, 0, 0, 1, 1};
    static const int64_t events[] = {0, 3, 6, 0, 0, 0, 1};
    for (size_t i = 0; i < 7; i++) {
        cr_assert_str_eq(rep.periods[i].period, days[i]);
        cr_assert_eq(rep.periods[i].active_users, users[i], "%s", days[i]);
        cr_assert_eq(rep.periods[i].events, events[i], "%s", days[i]);
    }
    cr_assert_eq(rep.periods[0].nby_name, 0);
    cr_assert_eq(rep.periods[2].nby_name, 2);
    cr_assert_str_eq(rep.periods[2].by_name[0].event, "$page");
    cr_assert_eq(by_name(&rep.periods[2], "$page"), 4);
    cr_assert_eq(by_name(&rep.periods[2], "Report Created"), 2);
    cr_assert_eq(by_name(&rep.periods[6], "Export"), 1);
    /* other's 100 on 06-15 is not ours */
    cr_assert_eq(by_name(&rep.periods[6], "Report Created"), 0);
    usage_report_cleanup(&rep);
}

Test(usage, by_week_starts_monday_and_counts_users_once)
{
    struct usage_report rep;
    seed();
    /* 2025-06-04 is a Wednesday: the first week is labelled by its Monday, 06-02, but only
     * 06-04..06-08 count (u1 on 06-03 and its 9 events are before the range). */
    report("2025-06-04", "2025-06-15", USAGE_WEEK, &rep);
    cr_assert_eq(rep.nperiods, 2);
    cr_assert_str_eq(rep.periods[0].period, "2025-06-02");
    cr_assert_str_eq(rep.periods[0].first, "2025-06-04");
    cr_assert_str_eq(rep.periods[0].last, "2025-06-08");
    cr_assert_eq(rep.periods[0].active_users, 2); /* u1, u2 */
    cr_assert_eq(rep.periods[0].events, 1);
    cr_assert_eq(by_name(&rep.periods[0], "Report Created"), 1);
    cr_assert_str_eq(rep.periods[1].period, "2025-06-09");
    cr_assert_eq(rep.periods[1].active_users, 3); /* u1 (three days, once), u2, anon:x */
    cr_assert_eq(rep.periods[1].events, 10);
    cr_assert_eq(rep.periods[1].nby_name, 3);
    cr_assert_eq(by_name(&rep.periods[1], "$page"), 4);
    cr_assert_eq(by_name(&rep.periods[1], "Export"), 1);
    cr_assert_eq(by_name(&rep.periods[1], "Report Created"), 5);
    usage_report_cleanup(&rep);

    /* A Monday to a Monday: two weeks, the second one day long. */
    report("2025-06-02", "2025-06-09", USAGE_WEEK, &rep);
    cr_assert_eq(rep.nperiods, 2);
    cr_assert_str_eq(rep.periods[0].period, "2025-06-02");
    cr_assert_eq(rep.periods[0].active_users, 2);
    cr_assert_eq(rep.periods[0].events, 10);
    cr_assert_str_eq(rep.periods[1].period, "2025-06-09");
    cr_assert_str_eq(rep.periods[1].last, "2025-06-09");
    cr_assert_eq(rep.periods[1].active_users, 0);
    usage_report_cleanup(&rep);

    /* Across a new year: 2025-01-01 is a Wednesday in the ISO week of Monday 2024-12-30;
     * a Sunday stays in the week of the Monday before it. */
    report("2025-01-01", "2025-01-12", USAGE_WEEK, &rep);
    cr_assert_eq(rep.nperiods, 2);
    cr_assert_str_eq(rep.periods[0].period, "2024-12-30");
    cr_assert_str_eq(rep.periods[1].period, "2025-01-06");
    cr_assert_str_eq(rep.periods[1].last, "2025-01-12");
    usage_report_cleanup(&rep);
}

Test(usage, by_month)
{
    struct usage_report rep;
    seed();
    report("2025-05-20", "2025-06-15", USAGE_MONTH, &rep);
    cr_assert_eq(rep.nperiods, 2);
    cr_assert_str_eq(rep.periods[0].period, "2025-05");
    cr_assert_str_eq(rep.periods[0].first, "2025-05-20");
    cr_assert_str_eq(rep.periods[0].last, "2025-05-31");
    cr_assert_eq(rep.periods[0].active_users, 2); /* u3, u1; u4 on 05-16 is before from */
    cr_assert_eq(rep.periods[0].events, 7);
    cr_assert_eq(by_name(&rep.periods[0], "Export"), 0);
    cr_assert_str_eq(rep.periods[1].period, "2025-06");
    cr_assert_str_eq(rep.periods[1].first, "2025-06-01");
    cr_assert_eq(rep.periods[1].active_users, 3); /* u1, u2, anon:x */
    cr_assert_eq(rep.periods[1].events, 9 + 1 + 3 + 2 + 4 + 1);
    cr_assert_eq(by_name(&rep.periods[1], "Report Created"), 15);
    usage_report_cleanup(&rep);

    /* Month ends: from the 31st, through a short February, into March. */
    report("2025-01-31", "2025-03-01", USAGE_MONTH, &rep);
    cr_assert_eq(rep.nperiods, 3);
    cr_assert_str_eq(rep.periods[0].period, "2025-01");
    cr_assert_str_eq(rep.periods[1].period, "2025-02");
    cr_assert_str_eq(rep.periods[1].last, "2025-02-28");
    cr_assert_str_eq(rep.periods[2].period, "2025-03");
    cr_assert_str_eq(rep.periods[2].last, "2025-03-01");
    usage_report_cleanup(&rep);
}

Test(usage, dau_wau_mau)
{
    struct usage_report rep;
    seed();
    /* They are measured at `to`, whatever the range. */
    report("2025-06-15", "2025-06-15", USAGE_DAY, &rep);
    cr_assert_eq(rep.dau, 1);  /* u1 */
    cr_assert_eq(rep.wau, 3);  /* 06-09..06-15: u1, u2, anon:x */
    cr_assert_eq(rep.mau, 4);  /* 05-17..06-15: + u3; u4 on 05-16 is out */
    cr_assert_eq(rep.nperiods, 1);
    usage_report_cleanup(&rep);

    report("2025-06-01", "2025-06-14", USAGE_DAY, &rep);
    cr_assert_eq(rep.dau, 1);  /* anon:x */
    cr_assert_eq(rep.wau, 3);  /* 06-08..06-14: u1, u2, anon:x */
    cr_assert_eq(rep.mau, 5);  /* 05-16..06-14: u4, u3, u1, u2, anon:x */
    usage_report_cleanup(&rep);
}

Test(usage, seat_utilisation)
{
    struct usage_report rep;
    seed();
    report("2025-06-15", "2025-06-15", USAGE_DAY, &rep);
    cr_assert_eq(rep.seats, -1); /* no subscription */
    cr_assert(rep.seat_utilisation < 0);
    usage_report_cleanup(&rep);

    set_seats(acme, 7);
    report("2025-06-15", "2025-06-15", USAGE_DAY, &rep);
    cr_assert_eq(rep.seats, 7);
    cr_assert_float_eq(rep.seat_utilisation, 0.5714, 1e-9); /* 4 / 7, to 4 decimals */
    usage_report_cleanup(&rep);

    set_seats(acme, 3); /* more users than seats */
    report("2025-06-15", "2025-06-15", USAGE_DAY, &rep);
    cr_assert_float_eq(rep.seat_utilisation, 1.3333, 1e-9);
    usage_report_cleanup(&rep);

    set_seats(acme, 0);
    report("2025-06-15", "2025-06-15", USAGE_DAY, &rep);
    cr_assert_eq(rep.seats, 0);
    cr_assert(rep.seat_utilisation < 0); /* no division by zero seats */
    usage_report_cleanup(&rep);
}

Test(usage, key_features_in_30_days)
{
    static const char *const keys[] = {"Report Created", "Export", "Never Used", "$page"};
    struct usage_report rep;
    seed();
    /* The 30 days ending 06-15 are 05-17..06-15 whatever the range asked for. */
    cr_assert_eq(store_usage_report(st, acme, "2025-06-15", "2025-06-15", USAGE_DAY, keys, 4,
                                    &rep), KZ_OK);
    cr_assert_eq(rep.nkey, 4);
    cr_assert_eq(rep.key_counts[0], 7 + 9 + 1 + 3 + 2);
    cr_assert_eq(rep.key_counts[1], 1 + 1); /* 05-17 and 06-15; 05-16 is out */
    cr_assert_eq(rep.key_counts[2], 0);
    cr_assert_eq(rep.key_counts[3], 4);
    cr_assert_eq(rep.key_used, 3);
    usage_report_cleanup(&rep);

    /* Thirty days later, only 06-15's Export and nothing else is left in the window. */
    cr_assert_eq(store_usage_report(st, acme, "2025-07-14", "2025-07-14", USAGE_DAY, keys, 4,
                                    &rep), KZ_OK);
    cr_assert_eq(rep.key_counts[0], 0);
    cr_assert_eq(rep.key_counts[1], 1);
    cr_assert_eq(rep.key_used, 1);
    cr_assert_eq(rep.mau, 1);
    usage_report_cleanup(&rep);
}

Test(usage, users_last_seen_and_contacts)
{
    struct usage_report rep;
    struct contact c = { .account_id = acme };
    c.name = xstrdup("Hanako Sato");
    c.email = xstrdup("hanako@example.com");
    c.external_user_id = xstrdup("u2");
    cr_assert_eq(store_contact_create(st, &c), KZ_OK);
    sql("UPDATE accounts SET last_seen_at = '2025-06-15T09:00:00Z' WHERE id = %lld",
        (long long)acme);
    sql("INSERT INTO tracked_users (user_id, account_id, traits, first_seen, last_seen) VALUES "
        "('u1', %lld, '{\"name\":\"Taro\",\"email\":\"taro@example.com\"}', "
        "'2025-05-25T00:00:00Z', '2025-06-15T09:00:00Z'), "
        "('u2', %lld, '{}', '2025-06-06T00:00:00Z', '2025-06-11T10:00:00Z'), "
        "('z1', %lld, '{}', '2025-06-15T00:00:00Z', '2025-06-15T10:00:00Z')",
        (long long)acme, (long long)acme, (long long)other);

    report("2025-06-15", "2025-06-15", USAGE_DAY, &rep);
    cr_assert_str_eq(rep.last_seen_at, "2025-06-15T09:00:00Z");
    cr_assert_eq(rep.nusers, 2);
    cr_assert_str_eq(rep.users[0].user_id, "u1"); /* most recent first */
    cr_assert_eq(rep.users[0].contact_id, 0);
    cr_assert_null(rep.users[0].contact_name);
    cr_assert_str_eq(rep.users[0].traits, "{\"name\":\"Taro\",\"email\":\"taro@example.com\"}");
    cr_assert_str_eq(rep.users[0].last_seen, "2025-06-15T09:00:00Z");
    cr_assert_str_eq(rep.users[1].user_id, "u2");
    cr_assert_eq(rep.users[1].contact_id, c.id);
    cr_assert_str_eq(rep.users[1].contact_name, "Hanako Sato");
    cr_assert_str_eq(rep.users[1].contact_email, "hanako@example.com");
    usage_report_cleanup(&rep);

    /* Never seen: no last_seen_at, no users. */
    cr_assert_eq(store_usage_report(st, other, "2025-06-15", "2025-06-15", USAGE_DAY, NULL, 0,
                                    &rep), KZ_OK);
    cr_assert_null(rep.last_seen_at);
    cr_assert_eq(rep.nusers, 1);
    cr_assert_eq(rep.dau, 0);
    usage_report_cleanup(&rep);
    contact_cleanup(&c);
}

Test(usage, bad_ranges)
{
    struct usage_report rep;
    cr_assert_eq(store_usage_report(st, acme, "2025-06-16", "2025-06-15", USAGE_DAY, NULL, 0,
                                    &rep), KZ_EINVAL);
    cr_assert_eq(store_usage_report(st, acme, "2025-02-30", "2025-06-15", USAGE_DAY, NULL, 0,
                                    &rep), KZ_EINVAL);
    /* 731 days is the most: 2023-06-15..2025-06-14 is 731 days (2024 is a leap year). */
    cr_assert_eq(store_usage_report(st, acme, "2023-06-14", "2025-06-14", USAGE_DAY, NULL, 0,
                                    &rep), KZ_EINVAL);
    cr_assert_eq(store_usage_report(st, acme, "2023-06-15", "2025-06-14", USAGE_DAY, NULL, 0,
                                    &rep), KZ_OK);
    cr_assert_eq(rep.nperiods, 731);
    usage_report_cleanup(&rep);
    cr_assert_eq(store_usage_report(st, acme, "2023-06-15", "2025-06-14", USAGE_WEEK, NULL, 0,
                                    &rep), KZ_OK);
    cr_assert_eq(rep.nperiods, 105);
    usage_report_cleanup(&rep);
    cr_assert_eq(store_usage_report(st, 9999, "2025-06-15", "2025-06-15", USAGE_DAY, NULL, 0,
                                    &rep), KZ_ENOTFOUND);
}

/* ------------------------------------------------------------ raw events and errors */

static int64_t insert_write_key(void)
{
    struct write_key k = { 0 };
    k.name = xstrdup("k");
    cr_assert_eq(store_write_key_create(st, &k), KZ_OK);
    int64_t id = k.id;
    write_key_cleanup(&k);
    return id;
}

/* A run of one entry for the last event inserted, as the writer makes for late events. */
static void run_of_last_event(int64_t account_id)
{
    sql("INSERT INTO event_runs (account_id, minute, max_id, entries) SELECT %lld, t / 60, id, "
        "json_array(json_array(t, id, CASE type WHEN 'track' THEN 0 WHEN 'page' THEN 3 "
        "ELSE 5 END)) FROM (SELECT id, type, CAST(strftime('%%s', timestamp) AS INTEGER) AS t "
        "FROM events WHERE id = last_insert_rowid())", (long long)account_id);
}

static void event(int64_t account_id, int64_t wk, const char *mid, const char *type,
                  const char *name, const char *ts)
{
    sql("INSERT INTO events (account_id, write_key_id, message_id, type, name, user_id, "
        "timestamp, received_at, properties, context) VALUES (%lld, %lld, '%s', '%s', '%s', "
        "'u1', '%s', '2025-06-15T12:00:00Z', '{\"plan\":\"pro\"}', '{\"ip\":\"1.2.3.4\"}')",
        (long long)account_id, (long long)wk, mid, type, name, ts);
    /* and its entry in the account's runs, which the writer adds with the rollups (here a
     * run of its own, as for an event attributed late) */
    run_of_last_event(account_id);
}

Test(usage, events_newest_first_with_pages)
{
    int64_t wk = insert_write_key();
    event(acme, wk, "m1", "track", "A", "2025-06-10T10:00:00Z");
    event(acme, wk, "m2", "page", "Home", "2025-06-12T10:00:00Z");
    event(acme, wk, "m3", "track", "B", "2025-06-12T10:00:00Z"); /* same time, higher id */
    event(acme, wk, "m4", "track", "C", "2025-06-11T10:00:00Z");
    event(other, wk, "m5", "track", "X", "2025-06-13T10:00:00Z");

    struct event_filter f = { .account_id = acme, .limit = 2 };
    struct tracked_event *v;
    size_t n;
    cr_assert_eq(store_events_list(st, &f, &v, &n), KZ_OK);
    cr_assert_eq(n, 3); /* limit + 1: there is more */
    cr_assert_str_eq(v[0].message_id, "m3");
    cr_assert_str_eq(v[1].message_id, "m2");
    cr_assert_str_eq(v[0].properties, "{\"plan\":\"pro\"}");
    cr_assert_str_eq(v[0].context, "{\"ip\":\"1.2.3.4\"}");
    cr_assert_str_eq(v[0].user_id, "u1");
    cr_assert_null(v[0].anonymous_id);
    cr_assert_str_eq(v[0].received_at, "2025-06-15T12:00:00Z");
    char at[21];
    memcpy(at, v[1].timestamp, sizeof(at));
    f.has_cursor = true;
    f.cursor_at = at;
    f.cursor_id = v[1].id;
    tracked_events_free(v, n);

    cr_assert_eq(store_events_list(st, &f, &v, &n), KZ_OK);
    cr_assert_eq(n, 2); /* the last page */
    cr_assert_str_eq(v[0].message_id, "m4");
    cr_assert_str_eq(v[1].message_id, "m1");
    tracked_events_free(v, n);

    struct event_filter ft = { .account_id = acme, .type = "track", .limit = 10 };
    cr_assert_eq(store_events_list(st, &ft, &v, &n), KZ_OK);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v[0].message_id, "m3");
    cr_assert_str_eq(v[1].message_id, "m4");
    cr_assert_str_eq(v[2].message_id, "m1");
    tracked_events_free(v, n);
}

Test(usage, ingest_errors_newest_first_with_pages)
{
    int64_t wk = insert_write_key();
    sql("INSERT INTO ingest_errors (write_key_id, received_at, reason, message) VALUES "
        "(%lld, '2025-06-15T10:00:00Z', 'bad type', '{\"type\":1}'), "
        "(NULL, '2025-06-15T11:00:00Z', 'too big', '{}'), "
        "(%lld, '2025-06-15T11:00:00Z', 'no userId', '{}')",
        (long long)wk, (long long)wk);
    struct ingest_error *v;
    size_t n;
    cr_assert_eq(store_ingest_errors_list(st, false, NULL, 0, 2, &v, &n), KZ_OK);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v[0].reason, "no userId");
    cr_assert_eq(v[0].write_key_id, wk);
    cr_assert_str_eq(v[1].reason, "too big");
    cr_assert_eq(v[1].write_key_id, 0);
    char at[21];
    memcpy(at, v[1].received_at, sizeof(at));
    int64_t id = v[1].id;
    ingest_errors_free(v, n);
    cr_assert_eq(store_ingest_errors_list(st, true, at, id, 2, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].reason, "bad type");
    cr_assert_str_eq(v[0].message, "{\"type\":1}");
    ingest_errors_free(v, n);
}

Test(usage, retention_purge_deletes_the_oldest_received_events_in_batches)
{
    int64_t wk = insert_write_key(), deleted = -1, days = -1;
    /* 30 events received one a day from 2025-01-01, with a gap where ids were deleted. */
    for (int i = 0; i < 30; i++) {
        char day[11];
        date_from_days(date_to_days("2025-01-01") + i, day);
        sql("INSERT INTO events (account_id, write_key_id, message_id, type, name, user_id, "
            "timestamp, received_at) VALUES (%lld, %lld, 'r%d', 'track', 'E', 'u1', "
            "'%sT00:00:00Z', '%sT09:00:00Z')", (long long)acme, (long long)wk, i, day, day);
        run_of_last_event(acme);
    }
    sql("DELETE FROM events WHERE message_id IN ('r3', 'r4', 'r5')");
    used(acme, "2025-01-02", "E", 1);
    /* Received before 2025-01-21: r0..r19 less the three gone = 17, at most 10 a call. */
    cr_assert_eq(store_events_purge(st, "2025-01-21T00:00:00Z", 10, &deleted), KZ_OK);
    cr_assert_eq(deleted, 10);
    cr_assert_eq(store_events_purge(st, "2025-01-21T00:00:00Z", 10, &deleted), KZ_OK);
    cr_assert_eq(deleted, 7);
    cr_assert_eq(store_events_purge(st, "2025-01-21T00:00:00Z", 10, &deleted), KZ_OK);
    cr_assert_eq(deleted, 0);
    sqlite3_stmt *s = db_prepare(st, "SELECT count(*), min(message_id) FROM events");
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), 10);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 1), "r20");
    sqlite3_reset(s);
    s = db_prepare(st, "SELECT count(*) FROM usage_daily");
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_gt(sqlite3_column_int(s, 0), 0, "rollups are kept");
    sqlite3_reset(s);
    /* The runs of the purged events went with them (the 3 deleted by hand above were
     * purged too, as far as their runs go: they are older than the cut). */
    s = db_prepare(st, "SELECT count(*), min(max_id) FROM event_runs");
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), 10);
    sqlite3_reset(s);
    /* Retention: the default until set, then the setting; 0 keeps everything. */
    cr_assert_eq(store_event_retention(st, &days), KZ_OK);
    cr_assert_eq(days, EVENT_RETENTION_DEFAULT);
    cr_assert_eq(store_setting_put(st, "event_retention_days", "30"), KZ_OK);
    cr_assert_eq(store_event_retention(st, &days), KZ_OK);
    cr_assert_eq(days, 30);
}

/* Runs as the writer leaves them under load: several per minute, their entries
 * interleaved in time, and a minute with one entry; the listing merges them newest first
 * and pages through them with the cursor, a type filter too. */
Test(usage, events_from_runs_merged_newest_first)
{
    int64_t wk = insert_write_key();
    /* ids 1..6; times within 12:00 (minute M) but the last one, at 11:58 */
    static const char *const ts[] = { "2025-06-12T12:00:05Z", "2025-06-12T12:00:50Z",
                                      "2025-06-12T12:00:20Z", "2025-06-12T12:00:20Z",
                                      "2025-06-12T12:00:59Z", "2025-06-12T11:58:00Z" };
    static const char *const type[] = { "track", "page", "track", "track", "page", "track" };
    int64_t id[6], t[6];
    for (int i = 0; i < 6; i++) {
        sql("INSERT INTO events (account_id, write_key_id, message_id, type, name, user_id, "
            "timestamp, received_at) VALUES (%lld, %lld, 'r%d', '%s', 'E', 'u1', '%s', "
            "'2025-06-12T12:01:00Z')", (long long)acme, (long long)wk, i, type[i], ts[i]);
        id[i] = sqlite3_last_insert_rowid(st->db);
        cr_assert_eq(time_parse(ts[i], &t[i]), 0);
    }
    int64_t m = t[0] / 60;
    /* two flushes in minute M: {0, 2, 4} then {1, 3}; one run in minute M - 2: {5} */
    sql("INSERT INTO event_runs VALUES (%lld, %lld, %lld, '[[%lld,%lld,0],[%lld,%lld,0],"
        "[%lld,%lld,3]]')", (long long)acme, (long long)m, (long long)id[4],
        (long long)t[0], (long long)id[0], (long long)t[2], (long long)id[2], (long long)t[4],
        (long long)id[4]);
    sql("INSERT INTO event_runs VALUES (%lld, %lld, %lld, '[[%lld,%lld,0],[%lld,%lld,3]]')",
        (long long)acme, (long long)m, (long long)id[3], (long long)t[3], (long long)id[3],
        (long long)t[1], (long long)id[1]);
    sql("INSERT INTO event_runs VALUES (%lld, %lld, %lld, '[[%lld,%lld,0]]')", (long long)acme,
        (long long)(t[5] / 60), (long long)id[5], (long long)t[5], (long long)id[5]);

    /* newest first: 4 (:59), 1 (:50), 3 and 2 (:20, higher id first), 0 (:05), 5 (11:58) */
    int want[] = { 4, 1, 3, 2, 0, 5 };
    struct event_filter f = { .account_id = acme, .limit = 2 };
    char at[21];
    size_t seen = 0;
    for (int page = 0; page < 3; page++) {
        struct tracked_event *v;
        size_t n;
        cr_assert_eq(store_events_list(st, &f, &v, &n), KZ_OK);
        cr_assert_eq(n, page < 2 ? 3u : 2u, "page %d: %zu rows", page, n); /* limit + 1 */
        for (size_t i = 0; i < n && i < 2; i++)
            cr_assert_eq(v[i].id, id[want[seen + i]], "page %d row %zu", page, i);
        memcpy(at, v[1].timestamp, sizeof(at));
        f.has_cursor = true;
        f.cursor_at = at;
        f.cursor_id = v[1].id;
        seen += 2;
        tracked_events_free(v, n);
    }

    struct event_filter ft = { .account_id = acme, .type = "page", .limit = 10 };
    struct tracked_event *v;
    size_t n;
    cr_assert_eq(store_events_list(st, &ft, &v, &n), KZ_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].id, id[4]);
    cr_assert_eq(v[1].id, id[1]);
    tracked_events_free(v, n);
}
