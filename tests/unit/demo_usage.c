/*
 * Unit tests for the demo's product usage (demo/demo_usage.c): rollups in the ingest writer's
 * shapes and consistent with each other (every active user is a tracked user of the account,
 * event counts only on days with active users and adding up to the users' events, last seen
 * times on the last active day), usage that follows the story (nothing while churned, silence
 * before a churn, weekdays busier than weekends, onboarding below its milestone targets), raw
 * events that match the rollups of their days, the key events setting, determinism, and a
 * journey evaluation right after the demo that completes nothing and moves nobody.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo/demo.h"
#include "demo/demo_usage.h"
#include "health/engine.h"
#include "journey/phase.h"
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

TestSuite(demo_usage, .init = setup, .timeout = 300);

/* The subscription status of the account (column a.account_id) on day (column a.day). */
#define STATUS_ON(a)                                                                      \
    "(SELECT h.status FROM subscription_history h WHERE h.account_id = " a ".account_id " \
    "AND h.effective_date <= " a ".day ORDER BY h.effective_date DESC, h.id DESC LIMIT 1)"

Test(demo_usage, rollups_consistent_and_following_the_story)
{
    st = test_db_open("demo-usage", "a");
    cr_assert_eq(demo_generate(st, 42, TODAY, NULL), KZ_OK);

    /* Volume: most accounts have users and usage, over the 120 days ending yesterday. */
    cr_expect_gt(q_i64("SELECT count(*) FROM tracked_users"), 3000);
    cr_expect_gt(q_i64("SELECT count(DISTINCT account_id) FROM active_users_daily"), 200);
    cr_expect_eq(q_i64("SELECT min(day) = date('" TODAY "', '-120 days') FROM usage_daily"), 1);
    cr_expect_eq(q_i64("SELECT max(day) = date('" TODAY "', '-1 day') FROM usage_daily"), 1);

    /* Every active user is a tracked user of that account; every tracked user was active. */
    cr_expect_eq(q_i64("SELECT count(*) FROM active_users_daily u LEFT JOIN tracked_users t "
                       "ON t.user_id = u.user_key WHERE t.account_id IS NOT u.account_id"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM tracked_users t LEFT JOIN (SELECT DISTINCT "
                       "user_key FROM active_users_daily) u ON u.user_key = t.user_id "
                       "WHERE u.user_key IS NULL"), 0);
    /* Event counts only on days with active users, and they add up to the users' events. */
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT account_id, day, sum(count) n FROM "
                       "usage_daily GROUP BY 1, 2) e FULL JOIN (SELECT account_id, day, "
                       "sum(events) n FROM active_users_daily GROUP BY 1, 2) u USING "
                       "(account_id, day) WHERE e.n IS NOT u.n"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM active_users_daily WHERE events < 1"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM usage_daily WHERE count < 1"), 0);

    /* Last seen: the account's on its last active day, each user's on its own. */
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts a LEFT JOIN (SELECT account_id, max(day) "
                       "d FROM active_users_daily GROUP BY 1) u ON u.account_id = a.id "
                       "WHERE substr(a.last_seen_at, 1, 10) IS NOT u.d"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts a WHERE last_seen_at <> (SELECT "
                       "max(last_seen) FROM tracked_users t WHERE t.account_id = a.id)"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM tracked_users t JOIN (SELECT user_key, min(day) f, "
                       "max(day) l FROM active_users_daily GROUP BY 1) u ON u.user_key = "
                       "t.user_id WHERE substr(t.last_seen, 1, 10) <> u.l OR "
                       "substr(t.first_seen, 1, 10) > u.f OR t.first_seen > t.last_seen"), 0);

    /* Some users are the account's contacts: by external user id, or the champion by email. */
    cr_expect_gt(q_i64("SELECT count(*) FROM tracked_users t JOIN contacts c ON "
                       "c.external_user_id = t.user_id AND c.account_id = t.account_id"), 100);
    cr_expect_gt(q_i64("SELECT count(*) FROM tracked_users t JOIN contacts c ON c.account_id = "
                       "t.account_id AND c.role = 'champion' AND c.email = "
                       "json_extract(t.traits, '$.email')"), 100);
    cr_expect_eq(q_i64("SELECT count(*) FROM tracked_users WHERE json_extract(traits, '$.name') "
                       "IS NULL OR json_extract(traits, '$.email') NOT LIKE '%@%'"), 0);
    /* About 30-90% of the seats (the pool of an account under its open milestones, less). */
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT t.account_id, count(*) n, s.seats FROM "
                       "tracked_users t JOIN subscriptions s USING (account_id) WHERE "
                       "s.status <> 'churned' GROUP BY 1) WHERE n > 0.9 * seats + 1"), 0);

    /* Nobody is active while the account is not a customer, nor in the week before a churn. */
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT DISTINCT account_id, day FROM usage_daily) "
                       "x WHERE " STATUS_ON("x") " IS NOT 'active' AND " STATUS_ON("x")
                       " IS NOT 'trial'"), 0);
    cr_expect_gt(q_i64("SELECT count(*) FROM subscription_history h WHERE h.status = 'churned' "
                       "AND h.effective_date >= date('" TODAY "', '-100 days')"), 3);
    cr_expect_eq(q_i64("SELECT count(*) FROM subscription_history h JOIN active_users_daily u "
                       "ON u.account_id = h.account_id AND u.day < h.effective_date AND "
                       "u.day >= date(h.effective_date, '-7 days') WHERE h.status = 'churned'"),
                 0);
    /* ... and the usage of the accounts that churned in the last 30 days faded: their last
     * 30 days as customers saw far less activity than the 30 days two months before. */
#define CHURNED_30 "FROM subscription_history h JOIN active_users_daily u ON u.account_id = " \
                   "h.account_id WHERE h.status = 'churned' AND h.effective_date >= date('" \
                   TODAY "', '-30 days') AND "
    int64_t before = q_i64("SELECT count(*) " CHURNED_30 "u.day >= date(h.effective_date, "
                           "'-90 days') AND u.day < date(h.effective_date, '-60 days')");
    int64_t last = q_i64("SELECT count(*) " CHURNED_30 "u.day >= date(h.effective_date, "
                         "'-30 days') AND u.day < h.effective_date");
    cr_expect_gt(before, 2 * last, "%lld active user-days, then %lld", (long long)before,
                 (long long)last);

    /* Weekdays are busier than weekends. */
    double weekday = q_num("SELECT count(*) / 5.0 FROM active_users_daily WHERE "
                           "strftime('%w', day) BETWEEN '1' AND '5'");
    double weekend = q_num("SELECT count(*) / 2.0 FROM active_users_daily WHERE "
                           "strftime('%w', day) IN ('0', '6')");
    cr_expect_gt(weekday, 4 * weekend, "weekday %g, weekend %g", weekday, weekend);

    /* Onboarding accounts have not yet reached 30% of their seats in 30 days, adoption
     * accounts 50%; expansion accounts use more of their seats and more key features. */
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts a JOIN subscriptions s ON s.account_id = "
                       "a.id WHERE a.phase = 'onboarding' AND (SELECT count(DISTINCT user_key) "
                       "FROM active_users_daily u WHERE u.account_id = a.id AND u.day >= "
                       "date('" TODAY "', '-29 days')) >= 0.3 * s.seats"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts a JOIN subscriptions s ON s.account_id = "
                       "a.id WHERE a.phase = 'adoption' AND (SELECT count(DISTINCT user_key) "
                       "FROM active_users_daily u WHERE u.account_id = a.id AND u.day >= "
                       "date('" TODAY "', '-29 days')) >= 0.5 * s.seats"), 0);
#define KEYS_USED(ph)                                                                       \
    "SELECT avg((SELECT count(DISTINCT event) FROM usage_daily u WHERE u.account_id = a.id " \
    "AND u.event IN (SELECT json_extract(j.value, '$.name') FROM settings s, "               \
    "json_each(s.value, '$.events') j WHERE s.key = 'key_events'))) FROM accounts a "       \
    "WHERE a.phase = '" ph "'"
    cr_expect_gt(q_num(KEYS_USED("expansion")), q_num(KEYS_USED("onboarding")));
    cr_expect_geq(q_num(KEYS_USED("expansion")), 3);
    /* Sign-ins, page views and the one-time setup event. */
    cr_expect_gt(q_i64("SELECT count(*) FROM usage_daily WHERE event = 'Signed In'"), 1000);
    cr_expect_gt(q_i64("SELECT count(*) FROM usage_daily WHERE event = '$page'"), 1000);
    cr_expect_gt(q_i64("SELECT count(*) FROM usage_daily WHERE event = 'Setup Completed'"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM usage_daily u WHERE event = 'Setup Completed' AND "
                       "NOT EXISTS (SELECT 1 FROM milestone_states m WHERE m.account_id = "
                       "u.account_id AND m.milestone = 'initial_setup' AND m.state = "
                       "'complete' AND substr(m.completed_at, 1, 10) = u.day)"), 0);

    /* The key events setting: five features with Japanese and English labels. */
    cr_expect_eq(q_i64("SELECT json_array_length(value, '$.events') FROM settings WHERE "
                       "key = 'key_events'"), 5);
    cr_expect_eq(q_i64("SELECT count(*) FROM settings s, json_each(s.value, '$.events') j "
                       "WHERE s.key = 'key_events' AND json_extract(j.value, '$.label_ja') = "
                       "'レポート作成' AND json_extract(j.value, '$.name') = 'Report Created'"), 1);

    /* Raw events: a few accounts' last days, under the demo write key, matching the rollups
     * of those days exactly. */
    int64_t raw = q_i64("SELECT count(*) FROM events");
    cr_expect(raw > 100 && raw < 20000, "%lld raw events", (long long)raw);
    cr_expect_eq(q_i64("SELECT count(DISTINCT account_id) FROM events"), 6);
    cr_expect_eq(q_i64("SELECT count(*) FROM events e JOIN write_keys k ON k.id = "
                       "e.write_key_id WHERE k.name = 'Demo product' AND k.revoked_at IS NULL"),
                 raw);
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT account_id, substr(timestamp, 1, 10) day, "
                       "CASE type WHEN 'page' THEN '$page' ELSE name END event, count(*) n "
                       "FROM events GROUP BY 1, 2, 3) e FULL JOIN (SELECT account_id, day, "
                       "event, count n FROM usage_daily WHERE (account_id, day) IN (SELECT "
                       "DISTINCT account_id, substr(timestamp, 1, 10) FROM events)) u "
                       "USING (account_id, day, event) WHERE e.n IS NOT u.n"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM events WHERE type NOT IN ('track', 'page') OR "
                       "user_id IS NULL OR received_at < timestamp OR sent_at <> received_at "
                       "OR original_timestamp <> timestamp OR json_extract(context, "
                       "'$.groupId') IS NOT (SELECT external_id FROM accounts a WHERE a.id = "
                       "events.account_id)"), 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM tracked_users t JOIN (SELECT user_id, "
                       "max(timestamp) m FROM events GROUP BY 1) e USING (user_id) "
                       "WHERE t.last_seen < e.m"), 0);
    test_db_close();
}

/* Everything the usage wrote (the write key itself is random). */
static char *fingerprint(void)
{
    static const char *const parts[] = {
        "SELECT group_concat(x, ';') FROM (SELECT account_id || day || event || count AS x "
        "FROM usage_daily ORDER BY 1)",
        "SELECT group_concat(x, ';') FROM (SELECT account_id || day || user_key || events AS x "
        "FROM active_users_daily ORDER BY 1)",
        "SELECT group_concat(x, ';') FROM (SELECT user_id || account_id || traits || first_seen "
        "|| last_seen AS x FROM tracked_users ORDER BY 1)",
        "SELECT group_concat(x, ';') FROM (SELECT id || account_id || message_id || type || "
        "ifnull(name, '') || user_id || timestamp || sent_at || received_at || properties || "
        "context AS x FROM events ORDER BY id)",
        "SELECT group_concat(id || ifnull(last_seen_at, ''), ';') FROM accounts",
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

static char *generate(const char *tag, uint64_t seed)
{
    st = test_db_open("demo-usage", tag);
    cr_assert_eq(demo_generate(st, seed, TODAY, NULL), KZ_OK);
    char *f = fingerprint();
    test_db_close();
    return f;
}

Test(demo_usage, same_seed_same_usage)
{
    char *a = generate("b", 5);
    char *b = generate("c", 5);
    char *c = generate("d", 6);
    cr_expect_gt(strlen(a), 1000000);
    cr_expect(strcmp(a, b) == 0, "the same seed and today give the same usage");
    cr_expect(strcmp(a, c) != 0, "another seed gives other usage");
    free(a);
    free(b);
    free(c);
}

/* Today is the clock's here: the journey and the health score read the windows up to now. */
Test(demo_usage, journey_evaluation_after_demo_changes_nothing_and_health_has_adoption)
{
    st = test_db_open("demo-usage", "e");
    cr_assert_eq(demo_generate(st, 1, NULL, NULL), KZ_OK);
    struct journey_stats js;
    cr_assert_eq(journey_evaluate(st, 0, &js), KZ_OK);
    cr_expect_eq(js.accounts, 300);
    cr_expect_eq(js.milestones, 0, "the usage completes no milestone the demo left open");
    cr_expect_eq(js.moves, 0, "the usage moves no account");

    size_t n = 0;
    cr_assert_eq(health_recompute(st, 0, &n), KZ_OK);
    cr_expect_eq(n, 300);
    /* Live accounts with usage have an adoption score; healthy ones score well on it. */
    int64_t live = q_i64("SELECT count(*) FROM accounts WHERE phase <> 'churned' AND "
                         "last_seen_at IS NOT NULL");
    cr_expect_gt(live, 200);
    cr_expect_eq(q_i64("SELECT count(*) FROM accounts a JOIN health_snapshots h ON "
                       "h.account_id = a.id WHERE a.phase <> 'churned' AND a.last_seen_at IS "
                       "NOT NULL AND h.adoption IS NOT NULL"), live);
    cr_expect_gt(q_i64("SELECT count(*) FROM health_snapshots WHERE adoption >= 70"), 50);
    cr_expect_gt(q_i64("SELECT count(*) FROM health_snapshots WHERE adoption < 50"), 5);
    test_db_close();
}
