/*
 * Unit tests for the demo dataset (demo/demo.c): its size and variety (accounts, every
 * contact role, timeline type and task state, every kind of MRR movement in the history),
 * its consistency (phase vs subscription), and its determinism (same seed and today, same
 * content). Checked with SQL through the store's connection, on a fresh file per test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo/demo.h"
#include "store/db.h"
#include "store/store.h"
#include "unit/testdb.h"
#include "util/crypto.h"

#define TODAY "2025-06-15"

static struct store *st;

static void setup(void)
{
    cr_assert_eq(crypto_setup(), 0);
}

TestSuite(demo, .init = setup);

/* Every history entry classified against the previous entry of its account. */
#define MOVES                                                                               \
    "WITH h AS (SELECT mrr, status, LAG(mrr) OVER w AS pmrr, LAG(status) OVER w AS pstatus"  \
    "  FROM subscription_history WINDOW w AS (PARTITION BY account_id"                      \
    "  ORDER BY effective_date, id)), m AS (SELECT CASE"                                     \
    "  WHEN pstatus IS NULL AND status = 'trial' THEN 'trial'"                               \
    "  WHEN (pstatus IS NULL OR pstatus = 'trial') AND status = 'active' THEN 'new'"         \
    "  WHEN pstatus = 'active' AND status = 'churned' AND mrr = 0 THEN 'churn'"              \
    "  WHEN pstatus = 'churned' AND status = 'active' AND mrr > 0 THEN 'reactivation'"       \
    "  WHEN pstatus = 'active' AND status = 'active' AND mrr > pmrr THEN 'expansion'"        \
    "  WHEN pstatus = 'active' AND status = 'active' AND mrr < pmrr THEN 'contraction'"      \
    "  ELSE 'other' END AS kind FROM h) "

Test(demo, size_variety_and_consistency)
{
    st = test_db_open("demo", "a");
    FILE *log = tmpfile();
    cr_assert_eq(demo_generate(st, 42, TODAY, log), KZ_OK);

    cr_expect_geq(q_i64("SELECT count(*) FROM accounts"), 300);
    cr_expect_eq(q_i64("SELECT count(*) FROM users WHERE role = 'csm'"), 3);
    cr_expect_eq(q_i64("SELECT count(*) FROM users WHERE role = 'viewer'"), 1);
    cr_expect_eq(q_i64("SELECT count(*) FROM users WHERE role = 'admin'"), 0, "serve makes it");
    cr_expect_eq(q_i64("SELECT count(*) FROM users WHERE email = 'sato@example.com' "
                       "AND name = '佐藤 美咲'"), 1);

    /* Names: Japanese and English companies, unique domains and external ids. */
    cr_expect_gt(q_i64("SELECT count(*) FROM accounts WHERE name LIKE '%株式会社%'"), 150);
    cr_expect_gt(q_i64("SELECT count(*) FROM accounts WHERE name LIKE '% Inc.'"), 50);
    cr_expect_eq(q_i64("SELECT count(DISTINCT domain) FROM accounts"),
                 q_i64("SELECT count(*) FROM accounts"));
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT external_id FROM accounts "
                       "WHERE external_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"), 0);
    cr_expect_geq(q_i64("SELECT count(DISTINCT industry) FROM accounts"), 7);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts WHERE address IS NULL OR purpose IS NULL "
                       "OR challenges IS NULL OR employees IS NULL"), 0);
    cr_expect_gt(q_i64("SELECT count(*) FROM accounts WHERE owner_id IS NULL"), 0);
    cr_expect_eq(q_i64("SELECT count(DISTINCT owner_id) FROM accounts"), 3);

    /* Subscriptions: mostly JPY with some USD; 24 months of history up to today. */
    int64_t jpy = q_i64("SELECT count(*) FROM subscriptions WHERE currency = 'JPY'");
    int64_t usd = q_i64("SELECT count(*) FROM subscriptions WHERE currency = 'USD'");
    cr_expect_gt(jpy, usd);
    cr_expect_gt(usd, 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM "
                       "subscriptions s WHERE s.account_id = a.id)"), 0);
    cr_expect_eq(q_i64("SELECT min(effective_date) BETWEEN '2023-06-15' AND '2023-07-15' "
                       "FROM subscription_history"), 1, "history starts 24 months back");
    cr_expect_eq(q_i64("SELECT max(effective_date) BETWEEN '2025-05-15' AND '" TODAY "' "
                       "FROM subscription_history"), 1, "history runs up to today");

    /* Every kind of MRR movement. */
    static const char *const kinds[] = { "trial", "new", "expansion", "contraction", "churn",
                                         "reactivation" };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char *sql = xasprintf(MOVES "SELECT count(*) FROM m WHERE kind = '%s'", kinds[i]);
        cr_expect_gt(q_i64(sql), 0, "no %s in the history", kinds[i]);
        free(sql);
    }
    cr_expect_gt(q_i64("SELECT count(*) FROM subscription_history h JOIN subscription_history p"
                       " ON p.account_id = h.account_id AND p.id < h.id AND h.plan <> p.plan"
                       " WHERE h.status = 'active' AND p.status = 'active'"), 0,
                 "plan changes");
    cr_expect_eq(q_i64("SELECT count(*) FROM subscription_history WHERE status = 'churned' "
                       "AND mrr <> 0"), 0);

    /* Phases agree with the subscriptions. */
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts a JOIN subscriptions s ON "
                       "s.account_id = a.id WHERE (a.phase = 'churned') <> "
                       "(s.status = 'churned')"), 0);
    static const char *const phases[] = { "onboarding", "adoption", "expansion", "churned" };
    for (size_t i = 0; i < 4; i++) {
        char *sql = xasprintf("SELECT count(*) FROM accounts WHERE phase = '%s'", phases[i]);
        cr_expect_gt(q_i64(sql), 0, "no account in phase %s", phases[i]);
        free(sql);
    }
    cr_expect_gt(q_i64("SELECT count(DISTINCT tier) FROM accounts"), 2);

    /* Contacts with every role, timeline entries of every type, tasks in every state. */
    static const char *const roles[] = { "decision_maker", "champion", "admin", "user" };
    for (size_t i = 0; i < 4; i++) {
        char *sql = xasprintf("SELECT count(*) FROM contacts WHERE role = '%s'", roles[i]);
        cr_expect_gt(q_i64(sql), 0, "no %s contact", roles[i]);
        free(sql);
    }
    static const char *const types[] = { "note", "meeting", "call", "email", "ticket",
                                         "handoff" };
    for (size_t i = 0; i < 6; i++) {
        char *sql = xasprintf("SELECT count(*) FROM timeline_entries WHERE type = '%s'",
                              types[i]);
        cr_expect_gt(q_i64(sql), 0, "no %s entry", types[i]);
        free(sql);
    }
    cr_expect_eq(q_i64("SELECT count(*) FROM timeline_entries WHERE occurred_at > '"
                       TODAY "T23:59:59Z'"), 0, "nothing in the future");
    cr_expect_gt(q_i64("SELECT count(*) FROM timeline_contacts"), 0);
    cr_expect_gt(q_i64("SELECT count(*) FROM tasks WHERE status = 'open' AND due_date < '"
                       TODAY "'"), 0, "some tasks are overdue");
    cr_expect_gt(q_i64("SELECT count(*) FROM tasks WHERE status = 'open' AND due_date >= '"
                       TODAY "'"), 0);
    cr_expect_gt(q_i64("SELECT count(*) FROM tasks WHERE status = 'done' AND "
                       "completed_at IS NOT NULL"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM tasks t JOIN accounts a ON a.id = t.account_id "
                       "WHERE t.assignee_id IS NOT a.owner_id"), 0);

    /* The one-line summary. */
    char line[512] = "";
    rewind(log);
    cr_assert_not_null(fgets(line, sizeof(line), log));
    cr_expect_not_null(strstr(line, "300 accounts"), "%s", line);
    cr_expect_null(fgets(line + 256, 256, log), "one line only");
    fclose(log);

    /* The demo users can log in with the documented password. */
    struct user u = { 0 };
    cr_assert_eq(store_user_by_email(st, "suzuki@example.com", &u), KZ_OK);
    cr_expect(password_verify(u.password_hash, DEMO_PASSWORD));
    user_cleanup(&u);
    test_db_close();
}

Test(demo, refuses_a_database_with_accounts)
{
    st = test_db_open("demo", "b");
    cr_assert_eq(demo_generate(st, 1, TODAY, NULL), KZ_OK);
    int64_t n = q_i64("SELECT count(*) FROM accounts");
    cr_expect_eq(demo_generate(st, 2, TODAY, NULL), KZ_ECONFLICT);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts"), n);
    cr_expect_eq(demo_generate(st, 1, "2025-02-30", NULL), KZ_EINVAL);
    test_db_close();
}

/* The content of the generated data, leaving out what the store stamps with the clock
 * (created_at, updated_at, recorded_at) and the salted password hashes. */
static char *fingerprint(void)
{
    static const char *const parts[] = {
        "SELECT count(*) || '/' || total(mrr) FROM subscriptions",
        "SELECT group_concat(x, ';') FROM (SELECT id || '|' || name || '|' || domain || '|' || "
        "ifnull(external_id, '') || '|' || industry || '|' || employees || '|' || address || "
        "'|' || purpose || '|' || challenges || '|' || ifnull(owner_id, 0) || '|' || tier || "
        "'|' || phase || '|' || custom AS x FROM accounts ORDER BY id)",
        "SELECT group_concat(x, ';') FROM (SELECT account_id || '|' || effective_date || '|' || "
        "plan || '|' || mrr || '|' || currency || '|' || seats || '|' || status || '|' || "
        "start_date || '|' || ifnull(renewal_date, '') || '|' || auto_renew AS x "
        "FROM subscription_history ORDER BY id)",
        "SELECT group_concat(x, ';') FROM (SELECT account_id || '|' || name || '|' || email || "
        "'|' || title || '|' || role || '|' || phone || '|' || ifnull(external_user_id, '') "
        "AS x FROM contacts ORDER BY id)",
        "SELECT group_concat(x, ';') FROM (SELECT account_id || '|' || type || '|' || "
        "ifnull(author_id, 0) || '|' || occurred_at || '|' || summary || '|' || body AS x "
        "FROM timeline_entries ORDER BY id)",
        "SELECT group_concat(x, ';') FROM (SELECT entry_id || '|' || contact_id AS x "
        "FROM timeline_contacts ORDER BY entry_id, contact_id)",
        "SELECT group_concat(x, ';') FROM (SELECT account_id || '|' || title || '|' || "
        "ifnull(assignee_id, 0) || '|' || due_date || '|' || type || '|' || status || '|' || "
        "ifnull(completed_at, '') AS x FROM tasks ORDER BY id)",
        "SELECT group_concat(x, ';') FROM (SELECT id || '|' || email || '|' || name || '|' || "
        "role AS x FROM users ORDER BY id)",
    };
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        char *t = q_text(parts[i]);
        buf_printf(&b, "%s\n", t);
        free(t);
    }
    return buf_steal(&b);
}

static char *generate(const char *tag, uint64_t seed, const char *today)
{
    st = test_db_open("demo", tag);
    cr_assert_eq(demo_generate(st, seed, today, NULL), KZ_OK);
    char *f = fingerprint();
    test_db_close();
    return f;
}

Test(demo, same_seed_same_content)
{
    char *a = generate("c", 7, TODAY);
    char *b = generate("d", 7, TODAY);
    char *c = generate("e", 8, TODAY);
    char *d = generate("f", 7, "2025-07-15");
    cr_expect_gt(strlen(a), 100000);
    cr_expect(strcmp(a, b) == 0, "the same seed and today give the same data");
    cr_expect(strcmp(a, c) != 0, "another seed gives other data");
    cr_expect(strcmp(a, d) != 0, "another today gives other data");
    free(a);
    free(b);
    free(c);
    free(d);
}
