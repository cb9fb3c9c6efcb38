/*
 * Unit tests of store/playbooks.c and playbooks/evaluate.c on a fresh SQLite file per test:
 * the outbound queue's states (pending with the last error and a later attempt, sent, failed
 * after the last attempt, deferred without spending attempts, released at once), the default
 * playbooks from the migration, and an evaluation that fires once, then never again within
 * the cooldown, with its task, its run and nothing from a preview; milestone_overdue from the
 * lifecycle in force and the milestone states.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "playbooks/evaluate.h"
#include "store/db.h"
#include "store/playbooks.h"
#include "store/store.h"
#include "unit/testdb.h"

static struct store *st;

static void setup(void)
{
    st = test_db_open("playbooks", "u");
}

static void teardown(void)
{
    test_db_close();
}

static struct outbound_msg one(int64_t id)
{
    struct outbound_msg *v, m;
    size_t n;
    cr_assert_eq(store_outbound_list(st, NULL, id + 1, 1, &v, &n), KZ_OK);
    cr_assert(n >= 1 && v[0].id == id);
    m = v[0];
    m.payload = xstrdup(m.payload);
    m.last_error = xstrdup(m.last_error);
    m.sent_at = xstrdup(m.sent_at);
    outbound_msgs_free(v, n);
    return m;
}

static void msg_free(struct outbound_msg *m)
{
    free(m->payload);
    free(m->last_error);
    free(m->sent_at);
}

TestSuite(store_playbooks, .init = setup, .fini = teardown);

Test(store_playbooks, outbound_states)
{
    int64_t a, b;
    struct outbound_msg *v, m;
    size_t n;
    char now[21], later[21];
    bool added = false;
    cr_assert_eq(store_outbound_add(st, "webhook", "{\"url\":\"http://x/\",\"body\":{}}", "k1",
                                    "whsec_s", 0, 0, &a, &added),
                 KZ_OK);
    cr_expect(added);
    cr_assert_eq(store_outbound_add(st, "email", "{\"to\":[\"a@b.example\"]}", "k2", NULL, 0, 0,
                                    &b, NULL),
                 KZ_OK);
    /* The same key again: a no-op answering the first message's id. */
    int64_t again = 0;
    cr_assert_eq(store_outbound_add(st, "webhook", "{\"url\":\"http://y/\",\"body\":{}}", "k1",
                                    NULL, 0, 0, &again, &added),
                 KZ_OK);
    cr_expect(!added);
    cr_expect_eq(again, a);
    m = one(a);
    cr_expect_str_eq(m.payload, "{\"url\":\"http://x/\",\"body\":{}}");
    msg_free(&m);
    time_format(now_unix() + 1, now);
    time_format(now_unix() + 3600, later);
    cr_assert_eq(store_outbound_due(st, now, 10, &v, &n), KZ_OK);
    cr_expect_eq(n, 2, "both due");
    outbound_msgs_free(v, n);

    /* A failure with a retry: pending, counted, not due before its time. */
    cr_assert_eq(store_outbound_attempt(st, a, "HTTP 503", later), KZ_OK);
    m = one(a);
    cr_expect_str_eq(m.status, "pending");
    cr_expect_eq(m.attempts, 1);
    cr_expect_str_eq(m.last_error, "HTTP 503");
    cr_expect_str_eq(m.next_attempt_at, later);
    msg_free(&m);
    cr_assert_eq(store_outbound_due(st, now, 10, &v, &n), KZ_OK);
    cr_expect(n == 1 && v[0].id == b, "only the email is due");
    outbound_msgs_free(v, n);

    /* The last attempt fails: failed and visible with its error. */
    cr_assert_eq(store_outbound_attempt(st, a, "HTTP 500", NULL), KZ_OK);
    m = one(a);
    cr_expect_str_eq(m.status, "failed");
    cr_expect_eq(m.attempts, 2);
    cr_expect_str_eq(m.last_error, "HTTP 500");
    msg_free(&m);
    cr_assert_eq(store_outbound_list(st, "failed", 0, 10, &v, &n), KZ_OK);
    cr_expect(n == 1 && v[0].id == a);
    outbound_msgs_free(v, n);

    /* Deferred: no attempt spent; released by due_now; then sent. */
    cr_assert_eq(store_outbound_defer(st, b, "email settings are missing", later), KZ_OK);
    m = one(b);
    cr_expect_eq(m.attempts, 0);
    cr_expect_str_eq(m.next_attempt_at, later);
    msg_free(&m);
    cr_assert_eq(store_outbound_due_now(st, "email"), KZ_OK);
    cr_assert_eq(store_outbound_due(st, now, 10, &v, &n), KZ_OK);
    cr_expect(n == 1 && v[0].id == b, "released");
    outbound_msgs_free(v, n);
    cr_assert_eq(store_outbound_attempt(st, b, NULL, NULL), KZ_OK);
    m = one(b);
    cr_expect_str_eq(m.status, "sent");
    cr_expect_eq(m.attempts, 1);
    cr_expect(m.sent_at != NULL);
    msg_free(&m);
    cr_expect_eq(store_outbound_defer(st, b, "x", later), KZ_ENOTFOUND, "sent is final");
}

Test(store_playbooks, defaults_ship_disabled)
{
    struct playbook_rec *v;
    size_t n;
    cr_assert_eq(store_playbooks_list(st, 0, 0, false, &v, &n), KZ_OK);
    cr_expect_eq(n, 7);
    for (size_t i = 0; i < n; i++) {
        struct playbook p;
        cr_expect(!v[i].enabled, "%s", v[i].name);
        cr_expect_eq(playbook_load(st, v[i].id, &p), KZ_OK, "%s parses", v[i].name);
        playbook_cleanup(&p);
    }
    playbook_recs_free(v, n);
    cr_assert_eq(store_playbooks_list(st, 0, 0, true, &v, &n), KZ_OK);
    cr_expect_eq(n, 0);
    playbook_recs_free(v, n);
}

Test(store_playbooks, evaluate_fires_once_within_the_cooldown)
{
    struct account a;
    struct subscription s;
    struct playbook_rec rec = {0};
    struct playbook p;
    char renewal[11];
    account_init(&a);
    a.name = xstrdup("Acme");
    cr_assert_eq(store_account_create(st, &a), KZ_OK);
    memset(&s, 0, sizeof(s));
    s.account_id = a.id;
    s.plan = xstrdup("Pro");
    s.mrr = 1000;
    strcpy(s.currency, "JPY");
    s.seats = 5;
    strcpy(s.start_date, "2025-01-01");
    date_from_days(now_unix() / 86400 + 10, renewal);
    s.renewal_date = xstrdup(renewal);
    strcpy(s.status, "active");
    date_today(s.effective_date);
    cr_assert_eq(store_subscription_put(st, &s), KZ_OK);
    subscription_cleanup(&s);

    rec.name = "Renewal";
    rec.enabled = true;
    rec.audience = "{}";
    rec.trigger = "{\"type\":\"renewal_within\",\"days\":30}";
    rec.actions = "[{\"type\":\"create_task\",\"title\":\"Renew {{account.name}}\"}]";
    rec.cooldown_days = 30;
    cr_assert_eq(store_playbook_create(st, &rec), KZ_OK);
    cr_assert_eq(playbook_load(st, rec.id, &p), KZ_OK);

    json_t *hits = json_array();
    size_t fired = 9;
    cr_assert_eq(playbook_evaluate(st, &p, true, hits, &fired), KZ_OK);
    cr_expect_eq(fired, 1);
    cr_expect_eq(json_array_size(hits), 1);
    json_decref(hits);

    struct playbook_run *runs;
    size_t n;
    cr_assert_eq(store_playbook_runs_list(st, p.id, 0, 10, &runs, &n), KZ_OK);
    cr_expect_eq(n, 0, "preview fires nothing");
    playbook_runs_free(runs, n);

    cr_assert_eq(playbook_evaluate(st, &p, false, NULL, &fired), KZ_OK);
    cr_expect_eq(fired, 1);
    cr_assert_eq(playbook_evaluate(st, &p, false, NULL, &fired), KZ_OK);
    cr_expect_eq(fired, 0, "cooldown");
    cr_assert_eq(store_playbook_runs_list(st, p.id, 0, 10, &runs, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_expect_eq(runs[0].account_id, a.id);
    cr_expect(strstr(runs[0].outcomes, "\"status\":\"done\"") != NULL, "%s", runs[0].outcomes);
    playbook_runs_free(runs, n);

    struct task_filter f = {.account_id = a.id, .limit = 10};
    struct task *t;
    cr_assert_eq(store_tasks_list(st, &f, &t, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(t[0].title, "Renew Acme");
    char src[40];
    snprintf(src, sizeof(src), "playbook:%lld", (long long)p.id);
    cr_expect_str_eq(t[0].source, src);
    tasks_free(t, n);
    playbook_cleanup(&p);
    account_cleanup(&a);
}

/* An account created directly, in phase onboarding since days_ago days. */
static int64_t onboarding_account(const char *name, int days_ago)
{
    char at[21];
    time_format(now_unix() - (int64_t)days_ago * 86400, at);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO accounts (name, phase, phase_entered_at,"
                                     " created_at, updated_at) VALUES (?, 'onboarding', ?, ?, ?)");
    db_bind_text(s, 1, name);
    db_bind_text(s, 2, at);
    db_bind_text(s, 3, at);
    db_bind_text(s, 4, at);
    cr_assert_eq(db_exec_stmt(st, s), KZ_OK);
    return sqlite3_last_insert_rowid(st->db);
}

static void complete(int64_t account, const char *milestone)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO milestone_states (account_id, milestone, state,"
                                     " completed_at, completed_by, updated_at)"
                                     " VALUES (?, ?, 'complete', ?, 'manual', ?)");
    db_bind_i64(s, 1, account);
    db_bind_text(s, 2, milestone);
    db_bind_text(s, 3, now);
    db_bind_text(s, 4, now);
    cr_assert_eq(db_exec_stmt(st, s), KZ_OK);
}

/* milestone_overdue through the store and the lifecycle in force (default: onboarding is
 * expected to take 90 days, with three required milestones). */
Test(store_playbooks, milestone_overdue_from_the_lifecycle)
{
    int64_t stalled = onboarding_account("Stalled", 100);
    int64_t done = onboarding_account("Done but slow", 100);
    int64_t fresh = onboarding_account("Fresh", 10);
    complete(stalled, "initial_setup");
    complete(stalled, "hands_on_mastery"); /* not basic_understanding */
    complete(done, "initial_setup");
    complete(done, "basic_understanding");
    complete(done, "hands_on_mastery");
    struct playbook_rec rec = {.name = "Stalled", .enabled = true, .audience = "{}",
                               .trigger = "{\"type\":\"milestone_overdue\",\"phase\":\"onboarding\"}",
                               .actions = "[{\"type\":\"create_task\",\"title\":\"{{trigger}}\"}]",
                               .cooldown_days = 30};
    struct playbook p;
    cr_assert_eq(store_playbook_create(st, &rec), KZ_OK);
    cr_assert_eq(playbook_load(st, rec.id, &p), KZ_OK);
    json_t *hits = json_array();
    size_t n = 0;
    cr_assert_eq(playbook_evaluate(st, &p, true, hits, &n), KZ_OK);
    cr_assert_eq(n, 1);
    json_t *h = json_array_get(hits, 0);
    cr_expect_eq(json_integer_value(json_object_get(h, "account_id")), stalled);
    json_t *d = json_object_get(h, "detail");
    cr_expect_eq(json_integer_value(json_object_get(d, "open_required")), 1);
    cr_expect_eq(json_integer_value(json_object_get(d, "expected_days")), 90);
    cr_expect_eq(json_integer_value(json_object_get(d, "days_in_phase")), 100);
    (void)done;
    (void)fresh;
    json_decref(hits);
    playbook_cleanup(&p);
}
