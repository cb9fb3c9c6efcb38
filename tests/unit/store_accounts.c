/*
 * Unit tests for the store's accounts, subscriptions (history and the current row), tiers,
 * users, sessions and tokens, on a fresh SQLite file per test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/migrations.h"
#include "store/store.h"
#include "unit/testdb.h"

static struct store *st;

static void setup(void)
{
    st = test_db_open("unit", "u");
}

static void teardown(void)
{
    test_db_close();
}

static int64_t new_account(const char *name, const char *ext, int64_t owner)
{
    struct account a;
    account_init(&a);
    a.name = xstrdup(name);
    a.external_id = ext ? xstrdup(ext) : NULL;
    a.domain = xasprintf("%s.example", name);
    a.owner_id = owner;
    cr_assert_eq(store_account_create(st, &a), KZ_OK);
    int64_t id = a.id;
    account_cleanup(&a);
    return id;
}

static void put_sub(int64_t id, const char *eff, int64_t mrr, const char *cur, const char *status)
{
    struct subscription s = { .account_id = id, .mrr = mrr, .seats = 10, .auto_renew = true };
    s.plan = xstrdup("pro");
    memcpy(s.currency, cur, 4);
    snprintf(s.status, sizeof(s.status), "%s", status);
    snprintf(s.start_date, sizeof(s.start_date), "2025-01-01");
    snprintf(s.effective_date, sizeof(s.effective_date), "%s", eff);
    s.renewal_date = xstrdup("2026-01-01");
    cr_assert_eq(store_subscription_put(st, &s), KZ_OK);
    subscription_cleanup(&s);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, migrations_are_recorded_once)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT count(*), max(version) FROM schema_version");
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), migrations_count);
    cr_assert_eq(sqlite3_column_int(s, 1), migrations[migrations_count - 1].version);
    sqlite3_reset(s);
    store_shutdown();
    cr_assert_eq(store_init(test_db_path), KZ_OK); /* applying again is a no-op */
    st = store_get();
    s = db_prepare(st, "SELECT count(*) FROM schema_version");
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), migrations_count);
    sqlite3_reset(s);
    cr_assert_eq(store_integrity_check(st), KZ_OK);
}

Test(store, account_create_get_update_delete)
{
    int64_t id = new_account("Acme", "ext-1", 0);
    struct account a;
    cr_assert_eq(store_account_get(st, id, &a), KZ_OK);
    cr_assert_str_eq(a.name, "Acme");
    cr_assert_str_eq(a.external_id, "ext-1");
    cr_assert_str_eq(a.phase, "onboarding");
    cr_assert_str_eq(a.tier, "tech");
    cr_assert_str_eq(a.custom, "{}");
    cr_assert_eq(a.employees, -1);
    cr_assert_not(a.has_subscription);
    free(a.industry);
    a.industry = xstrdup("製造業");
    a.employees = 250;
    cr_assert_eq(store_account_update(st, &a), KZ_OK);
    account_cleanup(&a);
    cr_assert_eq(store_account_by_external_id(st, "ext-1", &a), KZ_OK);
    cr_assert_str_eq(a.industry, "製造業");
    cr_assert_eq(a.employees, 250);
    account_cleanup(&a);
    cr_assert_eq(store_account_by_domain(st, "ACME.example", &a), KZ_OK);
    cr_assert_eq(a.id, id);
    account_cleanup(&a);
    cr_assert_eq(store_account_delete(st, id), KZ_OK);
    cr_assert_eq(store_account_get(st, id, &a), KZ_ENOTFOUND);
    cr_assert_eq(store_account_delete(st, id), KZ_ENOTFOUND);
}

Test(store, duplicate_external_id_is_a_conflict)
{
    new_account("One", "same", 0);
    struct account a;
    account_init(&a);
    a.name = xstrdup("Two");
    a.external_id = xstrdup("same");
    cr_assert_eq(store_account_create(st, &a), KZ_ECONFLICT);
    account_cleanup(&a);
}

Test(store, subscription_history_keeps_every_change_and_current_is_latest)
{
    int64_t id = new_account("Beta", NULL, 0);
    put_sub(id, "2025-01-01", 100000, "JPY", "trial");
    put_sub(id, "2025-03-01", 300000, "JPY", "active");
    put_sub(id, "2025-02-01", 200000, "JPY", "active"); /* backdated: not the latest */
    struct subscription *h;
    size_t n;
    cr_assert_eq(store_subscription_history(st, id, &h, &n), KZ_OK);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(h[0].effective_date, "2025-01-01");
    cr_assert_str_eq(h[1].effective_date, "2025-02-01");
    cr_assert_eq(h[1].mrr, 200000);
    cr_assert_str_eq(h[2].effective_date, "2025-03-01");
    subscriptions_free(h, n);
    struct subscription cur;
    cr_assert_eq(store_subscription_get(st, id, &cur), KZ_OK);
    cr_assert_eq(cur.mrr, 300000);
    cr_assert_str_eq(cur.status, "active");
    cr_assert_str_eq(cur.effective_date, "2025-03-01");
    subscription_cleanup(&cur);
}

Test(store, tier_follows_arr_thresholds_and_override)
{
    int64_t id = new_account("Gamma", NULL, 0);
    struct account a;
    put_sub(id, "2025-01-01", 1000000, "JPY", "active"); /* ARR 12,000,000 = high */
    cr_assert_eq(store_account_get(st, id, &a), KZ_OK);
    cr_assert_str_eq(a.tier, "high");
    account_cleanup(&a);
    put_sub(id, "2025-02-01", 999999, "JPY", "active"); /* just under: low */
    cr_assert_eq(store_account_get(st, id, &a), KZ_OK);
    cr_assert_str_eq(a.tier, "low");
    a.tier_override = xstrdup("high");
    cr_assert_eq(store_account_update(st, &a), KZ_OK);
    cr_assert_str_eq(a.tier, "high");
    account_cleanup(&a);
    int64_t other = new_account("Delta", NULL, 0);
    put_sub(other, "2025-01-01", 5000000, "USD", "churned");
    cr_assert_eq(store_account_get(st, other, &a), KZ_OK);
    cr_assert_str_eq(a.tier, "tech");
    account_cleanup(&a);
    /* New thresholds recompute every account. */
    struct tier_threshold t[] = { { "JPY", 50000000, 100 } };
    cr_assert_eq(store_tier_thresholds_put(st, t, 1), KZ_OK);
    struct tier_threshold *got;
    size_t n;
    cr_assert_eq(store_tier_thresholds_get(st, &got, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(got[0].high_min_arr, 50000000);
    free(got);
    cr_assert_eq(store_account_get(st, id, &a), KZ_OK);
    cr_assert_str_eq(a.tier, "high"); /* override still wins */
    free(a.tier_override);
    a.tier_override = NULL;
    cr_assert_eq(store_account_update(st, &a), KZ_OK);
    cr_assert_str_eq(a.tier, "low");
    account_cleanup(&a);
}

Test(store, list_filters_sorts_and_pages_by_keyset)
{
    const char *names[] = { "d-co", "a-co", "c-co", "b-co", "e-co" };
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char ext[16];
        snprintf(ext, sizeof(ext), "x%d", i);
        ids[i] = new_account(names[i], ext, 0);
        put_sub(ids[i], "2025-01-01", (i + 1) * 1000, "JPY", "active");
    }
    struct account_filter f = { .limit = 2 };
    struct account *v;
    size_t n;
    /* name order across pages: a, b | c, d | e */
    const char *want[] = { "a-co", "b-co", "c-co", "d-co", "e-co" };
    size_t seen = 0;
    char *cursor = NULL;
    for (int page = 0; page < 4; page++) {
        f.has_cursor = cursor != NULL;
        f.cursor_value = cursor;
        cr_assert_eq(store_accounts_list(st, &f, &v, &n), KZ_OK);
        for (size_t i = 0; i < n && i < 2; i++)
            cr_assert_str_eq(v[i].name, want[seen++]);
        free(cursor);
        cursor = NULL;
        if (n > 2) {
            cursor = account_sort_value(&v[1], f.sort);
            f.cursor_id = v[1].id;
        }
        accounts_free(v, n);
        if (!cursor)
            break;
    }
    cr_assert_eq(seen, 5);
    /* ARR descending */
    struct account_filter g = { .sort = "arr", .desc = true, .limit = 10 };
    cr_assert_eq(store_accounts_list(st, &g, &v, &n), KZ_OK);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(v[0].name, "e-co");
    cr_assert_eq(v[0].mrr, 5000);
    cr_assert_str_eq(v[4].name, "d-co");
    accounts_free(v, n);
    /* q matches a substring; LIKE wildcards in q are literal */
    struct account_filter q = { .q = "c-c", .limit = 10 };
    cr_assert_eq(store_accounts_list(st, &q, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0].name, "c-co");
    accounts_free(v, n);
    struct account_filter pct = { .q = "%", .limit = 10 };
    cr_assert_eq(store_accounts_list(st, &pct, &v, &n), KZ_OK);
    cr_assert_eq(n, 0);
    accounts_free(v, n);
    struct account_filter ext = { .external_id = "x3", .limit = 10 };
    cr_assert_eq(store_accounts_list(st, &ext, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].id, ids[3]);
    accounts_free(v, n);
}

Test(store, users_sessions_and_tokens)
{
    struct user u = { .role = ROLE_CSM };
    u.email = xstrdup("Sato@Example.com");
    u.name = xstrdup("佐藤");
    u.password_hash = xstrdup("$argon2id$fake");
    cr_assert_eq(store_user_create(st, &u), KZ_OK);
    struct user dup = { .role = ROLE_VIEWER };
    dup.email = xstrdup("Sato@Example.com");
    dup.name = xstrdup("x");
    cr_assert_eq(store_user_create(st, &dup), KZ_ECONFLICT);
    user_cleanup(&dup);
    struct user got = { 0 };
    cr_assert_eq(store_user_by_email(st, "sato@example.com", &got), KZ_OK);
    cr_assert_eq(got.id, u.id);
    cr_assert_eq(got.role, ROLE_CSM);
    user_cleanup(&got);

    int64_t uid = 0;
    cr_assert_eq(store_session_create(st, "h1", u.id, 2000), KZ_OK);
    cr_assert_eq(store_session_user(st, "h1", 1999, &uid), KZ_OK);
    cr_assert_eq(uid, u.id);
    cr_assert_eq(store_session_user(st, "h1", 2000, &uid), KZ_ENOTFOUND); /* expired */
    u.disabled = true; /* disabling logs the user out */
    cr_assert_eq(store_user_update(st, &u), KZ_OK);
    cr_assert_eq(store_session_user(st, "h1", 1, &uid), KZ_ENOTFOUND);

    struct api_token t = { .user_id = u.id };
    t.name = xstrdup("ci");
    t.prefix = xstrdup("kz_abcde");
    cr_assert_eq(store_token_create(st, &t, "tokhash"), KZ_OK);
    cr_assert_eq(store_token_lookup(st, "tokhash", &uid), KZ_OK);
    cr_assert_eq(uid, u.id);
    cr_assert_eq(store_token_revoke(st, t.id), KZ_OK);
    cr_assert_eq(store_token_lookup(st, "tokhash", &uid), KZ_ENOTFOUND);
    api_token_cleanup(&t);
    user_cleanup(&u);
}
