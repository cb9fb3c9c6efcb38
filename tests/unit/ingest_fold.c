/*
 * The ingest writer's fold (store/ingest.c) against the events it stored: whatever the mix
 * of users, accounts, days and event names, flushed at any point, with a rolled-back commit
 * in the middle, the rollups, active-user rows and event runs must be exactly what the raw
 * events say. The mix reaches each of the fold's paths: a user's events for its own account
 * and for others (context.groupId), on several days; one account with more event names than
 * its cells hold; anonymous visitors; users seen before their group call.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "ingest/ingest.h"
#include "store/usage.h"
#include "testdb.h"

#define ACCOUNTS 5
#define USERS 40

static struct store *st;
static unsigned seed = 7;
static size_t message_no;

static void setup(void)
{
    st = test_db_open("ingest_fold", "t");
    for (int i = 0; i < ACCOUNTS; i++) {
        struct account a;
        account_init(&a);
        a.name = xasprintf("Account %d", i);
        a.external_id = xasprintf("acct-%d", i);
        cr_assert_eq(store_account_create(st, &a), KZ_OK);
        account_cleanup(&a);
    }
    cr_assert_eq(store_ingest_open(st), KZ_OK);
}

static void teardown(void)
{
    store_ingest_close();
    test_db_close();
}

TestSuite(ingest_fold, .init = setup, .fini = teardown);

static struct ingest_batch parse(const char *body)
{
    struct ingest_batch b = { 0 };
    char err[128], *wk = NULL;
    cr_assert_eq(ingest_parse(body, strlen(body), NULL, now_unix(), &b, &wk, err, sizeof(err)),
                 KZ_OK, "%s", err);
    cr_assert_eq(b.nrejects, 0);
    free(wk);
    b.write_key_id = 1;
    return b;
}

/* Applies the batches in one transaction, committed (or rolled back and reset). */
static void apply(struct ingest_batch *b, size_t n, bool commit)
{
    cr_assert_eq(store_begin(st), KZ_OK);
    cr_assert_eq(store_ingest_begin(st), KZ_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(store_ingest_apply(st, &b[i]), KZ_OK);
    if (commit) {
        cr_assert_eq(store_commit(st), KZ_OK);
        store_ingest_committed();
    } else {
        store_rollback(st);
        cr_assert_eq(store_ingest_reset(st), KZ_OK);
    }
}

static void flush(void)
{
    cr_assert_eq(store_begin(st), KZ_OK);
    cr_assert_eq(store_ingest_flush(st), KZ_OK);
    cr_assert_eq(store_commit(st), KZ_OK);
    store_ingest_committed();
}

/* A batch of n random activity messages over the last three days. */
static char *random_batch(int n)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "{\"batch\":[");
    char ts[21];
    for (int k = 0; k < n; k++) {
        unsigned r = (unsigned)rand_r(&seed);
        int user = (int)(r % USERS), kind = (int)(r / USERS % 10);
        time_format(now_unix() - (int64_t)(r / 400 % (3 * 86400)), ts);
        buf_printf(&b, "%s{\"messageId\":\"m-%zu\",\"timestamp\":\"%s\",", k ? "," : "",
                   message_no++, ts);
        if (kind == 0) /* an anonymous visitor of an account */
            buf_printf(&b, "\"type\":\"page\",\"anonymousId\":\"v-%u\",\"name\":\"Home\","
                       "\"context\":{\"groupId\":\"acct-%u\"}}", r % 7, r % ACCOUNTS);
        else if (kind == 1) /* for another account than the user's */
            buf_printf(&b, "\"type\":\"track\",\"userId\":\"u-%d\",\"event\":\"Shared\","
                       "\"context\":{\"groupId\":\"acct-%u\"}}", user, (r >> 8) % ACCOUNTS);
        else if (kind == 2) /* one of more names than an account's cells hold */
            buf_printf(&b, "\"type\":\"track\",\"userId\":\"u-%d\",\"event\":\"Feature %u\","
                       "\"context\":{\"groupId\":\"acct-0\"}}", user, (r >> 8) % 90);
        else if (kind == 3)
            buf_printf(&b, "\"type\":\"screen\",\"userId\":\"u-%d\",\"name\":\"Main\"}", user);
        else
            buf_printf(&b, "\"type\":\"track\",\"userId\":\"u-%d\",\"event\":\"Used %u\"}",
                       user, r % 4);
    }
    buf_printf(&b, "]}");
    return buf_steal(&b);
}

/* The group calls of users first .. last - 1 (user i belongs to account i % ACCOUNTS). */
static char *group_batch(int first, int last)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "{\"batch\":[");
    for (int u = first; u < last; u++)
        buf_printf(&b, "%s{\"type\":\"group\",\"messageId\":\"g-%d\",\"userId\":\"u-%d\","
                   "\"groupId\":\"acct-%d\"}", u > first ? "," : "", u, u, u % ACCOUNTS);
    buf_printf(&b, "]}");
    return buf_steal(&b);
}

static void apply_body(char *body, bool commit)
{
    struct ingest_batch b = parse(body);
    apply(&b, 1, commit);
    ingest_batch_free(&b);
    free(body);
}

#define ACTIVITY "type IN ('track', 'page', 'screen') AND account_id IS NOT NULL"

Test(ingest_fold, rollups_active_users_and_runs_equal_the_raw_events)
{
    /* Half the users are linked before their activity, half after some of it. */
    apply_body(group_batch(0, USERS / 2), true);
    for (int round = 0; round < 30; round++) {
        if (round == 10)
            apply_body(group_batch(USERS / 2, USERS), true);
        if (round == 15) { /* a commit that fails: nothing of it may count */
            size_t at = message_no;
            apply_body(random_batch(50), false);
            message_no = at; /* the same messageIds again: not seen, as they were not kept */
            seed += 1;
        }
        struct ingest_batch b[3];
        char *bodies[3];
        for (int i = 0; i < 3; i++) {
            bodies[i] = random_batch(40 + round % 7);
            b[i] = parse(bodies[i]);
        }
        apply(b, 3, true);
        for (int i = 0; i < 3; i++) {
            ingest_batch_free(&b[i]);
            free(bodies[i]);
        }
        if (round % 4 == 3)
            flush();
    }
    flush();

    int64_t n = q_i64("SELECT count(*) FROM events WHERE " ACTIVITY);
    cr_assert_gt(n, 3000);
    cr_expect_eq(q_i64("SELECT count(DISTINCT json_extract(context, '$.groupId')) FROM events "
                       "WHERE name LIKE 'Feature %'"), 1);
    cr_expect_gt(q_i64("SELECT count(DISTINCT name) FROM events WHERE name LIKE 'Feature %'"),
                 64);
    cr_expect_eq(q_i64("SELECT count(*) FROM events WHERE message_id LIKE 'm-%' AND "
                       "account_id IS NULL"), 0, "every user was linked in the end");
    cr_expect_eq(q_i64("SELECT sum(count) FROM usage_daily"), n);
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT account_id, substr(timestamp, 1, 10) day, "
                       "CASE type WHEN 'track' THEN name ELSE '$' || type END event, count(*) n "
                       "FROM events WHERE " ACTIVITY " GROUP BY 1, 2, 3) e FULL JOIN "
                       "usage_daily u USING (account_id, day, event) WHERE e.n IS NOT u.count"),
                 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT account_id, substr(timestamp, 1, 10) day, "
                       "COALESCE(user_id, 'anon:' || anonymous_id) user_key, count(*) n "
                       "FROM events WHERE " ACTIVITY " GROUP BY 1, 2, 3) e FULL JOIN "
                       "active_users_daily a USING (account_id, day, user_key) "
                       "WHERE e.n IS NOT a.events"),
                 0);
    /* Every attributed event is in exactly one run, of its account and minute, in order. */
    cr_expect_eq(q_i64("SELECT count(*) FROM (SELECT e.id, count(r.account_id) c FROM events e "
                       "LEFT JOIN (SELECT account_id, minute, json_extract(j.value, '$[1]') id, "
                       "json_extract(j.value, '$[0]') t FROM event_runs, json_each(entries) j) r "
                       "ON r.id = e.id AND r.account_id = e.account_id AND r.minute = "
                       "r.t / 60 AND r.t = CAST(strftime('%s', e.timestamp) AS INTEGER) "
                       "WHERE e.account_id IS NOT NULL GROUP BY e.id) WHERE c <> 1"),
                 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM event_runs, json_each(entries) a, "
                       "json_each(entries) b WHERE b.key = a.key + 1 AND "
                       "(json_extract(a.value, '$[0]'), json_extract(a.value, '$[1]')) > "
                       "(json_extract(b.value, '$[0]'), json_extract(b.value, '$[1]'))"),
                 0);
    cr_expect_eq(q_i64("SELECT count(*) FROM tracked_users t JOIN (SELECT user_id, "
                       "max(min(timestamp, received_at)) m FROM events WHERE user_id IS NOT NULL "
                       "GROUP BY 1) e USING (user_id) WHERE t.last_seen <> e.m"),
                 0);
}
