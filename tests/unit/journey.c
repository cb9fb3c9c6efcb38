/*
 * Unit tests of the success journey: lifecycle validation (every rule names its field path),
 * the canonical JSON round trip, the pure engine rules (criteria and their detail sentences,
 * seat targets, phase advance, overdue flags, durations, TTV) against hand-computed values,
 * and the evaluation on a real SQLite store: criteria from rollup rows, reopened milestones
 * left alone, chains through phases, churn and reactivation with subscription changes.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journey/engine.h"
#include "journey/journey.h"
#include "journey/lifecycle.h"
#include "journey/phase.h"
#include "store/db.h"
#include "store/journey.h"
#include "store/store.h"
#include "util/crypto.h"
#include "unit/testdb.h"

/* ------------------------------------------------------------ lifecycle validation */

/* Parses text; returns 0 or -1 and the field named. */
static int parse(const char *text, char field[static 160])
{
    char msg[320];
    struct lifecycle lc;
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    cr_assert(j, "test JSON: %s: %s", text, err.text);
    field[0] = 0;
    int rc = lifecycle_parse(j, &lc, field, 160, msg, sizeof(msg));
    json_decref(j);
    if (rc == 0)
        lifecycle_cleanup(&lc);
    else
        cr_assert(strstr(msg, field), "the message names the field: %s / %s", msg, field);
    return rc;
}

#define TERM "{\"key\":\"churned\",\"label_ja\":\"解約\",\"label_en\":\"Churned\",\"terminal\":true}"
#define P(k) "{\"key\":\"" k "\",\"label_ja\":\"ja\",\"label_en\":\"en\"}"

static void expect_bad(const char *text, const char *want)
{
    char field[160];
    cr_expect_eq(parse(text, field), -1, "accepted: %s", text);
    cr_expect_str_eq(field, want, "for %s", text);
}

Test(lifecycle, defaults_are_valid_and_round_trip)
{
    struct lifecycle lc, again;
    char field[160], msg[320];
    lifecycle_default(&lc);
    cr_assert_eq(lc.nphases, 4);
    cr_expect_str_eq(lc.phases[0].key, "onboarding");
    cr_expect_str_eq(lc.phases[1].label_ja, "定着期");
    cr_expect_str_eq(lc.phases[2].label_ja, "拡大・更新期");
    cr_expect(lc.phases[3].terminal);
    cr_expect_eq(lc.phases[0].expected_days, 90);
    cr_expect_eq(lc.phases[2].expected_days, -1);
    cr_expect_str_eq(lifecycle_value_milestone(&lc)->key, "value_realised");
    cr_expect_str_eq(lifecycle_first(&lc)->key, "onboarding");
    cr_expect_str_eq(lifecycle_terminal(&lc)->key, "churned");
    int ph = -1;
    const struct lc_milestone *m = lifecycle_milestone(&lc, "user_spread", &ph);
    cr_assert(m);
    cr_expect_eq(ph, 1);
    cr_expect_eq(m->crit.type, LC_CRIT_ACTIVE_USERS);
    cr_expect_float_eq(m->crit.seat_share, 0.5, 1e-12);
    cr_expect_null(lifecycle_milestone(&lc, "nope", NULL));
    cr_expect_eq(lifecycle_phase_index(&lc, "expansion"), 2);
    cr_expect_eq(lifecycle_phase_index(&lc, "nope"), -1);

    json_t *j = lifecycle_to_json(&lc);
    cr_assert_eq(lifecycle_parse(j, &again, field, sizeof(field), msg, sizeof(msg)), 0, "%s", msg);
    json_t *j2 = lifecycle_to_json(&again);
    cr_expect(json_equal(j, j2), "the canonical form parses back to itself");
    json_decref(j);
    json_decref(j2);
    lifecycle_cleanup(&again);
    lifecycle_cleanup(&lc);
}

Test(lifecycle, minimal_is_valid)
{
    char field[160];
    cr_expect_eq(parse("{\"phases\":[" P("a") "," TERM "]}", field), 0, "%s", field);
    cr_expect_eq(parse("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"あ\",\"label_en\":\"A\","
                       "\"expected_days\":0,\"milestones\":[{\"key\":\"m\",\"label_ja\":\"m\","
                       "\"label_en\":\"m\",\"criterion\":{\"type\":\"active_users\","
                       "\"count\":3}}]}," TERM "]}", field), 0, "%s", field);
}

Test(lifecycle, every_rule_names_its_field)
{
    expect_bad("{}", "phases");
    expect_bad("{\"phases\":{}}", "phases");
    expect_bad("{\"phases\":[" P("a") "," TERM "],\"x\":1}", "x");
    expect_bad("{\"phases\":[" TERM "]}", "phases");
    expect_bad("{\"phases\":[" P("a") "]}", "phases");
    expect_bad("{\"phases\":[" TERM "," P("a") "]}", "phases[0].terminal");
    expect_bad("{\"phases\":[" P("a") "," P("a") "," TERM "]}", "phases[1].key");
    expect_bad("{\"phases\":[" P("A-b") "," TERM "]}", "phases[0].key");
    expect_bad("{\"phases\":[" P("1a") "," TERM "]}", "phases[0].key");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_en\":\"A\"}," TERM "]}", "phases[0].label_ja");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"\",\"label_en\":\"A\"}," TERM "]}",
               "phases[0].label_ja");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":7,\"label_en\":\"A\"}," TERM "]}",
               "phases[0].label_ja");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\","
               "\"expected_days\":-5}," TERM "]}", "phases[0].expected_days");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\","
               "\"expected_days\":3651}," TERM "]}", "phases[0].expected_days");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\","
               "\"colour\":1}," TERM "]}", "phases[0].colour");
    expect_bad("{\"phases\":[" P("a") ",{\"key\":\"c\",\"label_ja\":\"c\",\"label_en\":\"c\","
               "\"terminal\":true,\"expected_days\":3}]}", "phases[1].expected_days");
    /* milestones */
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\","
               "\"milestones\":[{\"key\":\"m\",\"label_ja\":\"m\"}]}," TERM "]}",
               "phases[0].milestones[0].label_en");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\","
               "\"milestones\":[{\"key\":\"m\",\"label_ja\":\"m\",\"label_en\":\"m\"}]},"
               "{\"key\":\"b\",\"label_ja\":\"b\",\"label_en\":\"B\","
               "\"milestones\":[{\"key\":\"m\",\"label_ja\":\"m\",\"label_en\":\"m\"}]}," TERM "]}",
               "phases[1].milestones[0].key");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\","
               "\"milestones\":[{\"key\":\"m\",\"label_ja\":\"m\",\"label_en\":\"m\",\"value\":true},"
               "{\"key\":\"n\",\"label_ja\":\"n\",\"label_en\":\"n\",\"value\":true}]}," TERM "]}",
               "phases[0].milestones[1].value");
    expect_bad("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\","
               "\"milestones\":[{\"key\":\"m\",\"label_ja\":\"m\",\"label_en\":\"m\","
               "\"required\":1}]}," TERM "]}", "phases[0].milestones[0].required");
    /* criteria */
#define CRIT(c) "{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"A\"," \
                "\"milestones\":[{\"key\":\"m\",\"label_ja\":\"m\",\"label_en\":\"m\"," \
                "\"criterion\":" c "}]}," TERM "]}"
    const char *f = "phases[0].milestones[0].criterion";
    char want[200];
    snprintf(want, sizeof(want), "%s.type", f);
    expect_bad(CRIT("{\"type\":\"magic\"}"), want);
    expect_bad(CRIT("{\"count\":1}"), want);
    expect_bad(CRIT("{\"type\":3}"), want);
    expect_bad(CRIT("[]"), f);
    snprintf(want, sizeof(want), "%s.event", f);
    expect_bad(CRIT("{\"type\":\"event_count\"}"), want);
    snprintf(want, sizeof(want), "%s.count", f);
    expect_bad(CRIT("{\"type\":\"event_count\",\"event\":\"e\",\"count\":0}"), want);
    expect_bad(CRIT("{\"type\":\"active_users\"}"), want);
    expect_bad(CRIT("{\"type\":\"active_users\",\"count\":-2}"), want);
    snprintf(want, sizeof(want), "%s.within_days", f);
    expect_bad(CRIT("{\"type\":\"event_count\",\"event\":\"e\",\"within_days\":-1}"), want);
    snprintf(want, sizeof(want), "%s.seat_share", f);
    expect_bad(CRIT("{\"type\":\"active_users\",\"seat_share\":0}"), want);
    expect_bad(CRIT("{\"type\":\"active_users\",\"seat_share\":1.01}"), want);
    expect_bad(CRIT("{\"type\":\"active_users\",\"seat_share\":\"half\"}"), want);
    expect_bad(CRIT("{\"type\":\"active_users\",\"seat_share\":0.5,\"count\":2}"), want);
    snprintf(want, sizeof(want), "%s.survey", f);
    expect_bad(CRIT("{\"type\":\"survey_answered\",\"survey\":\"poll\"}"), want);
    expect_bad(CRIT("{\"type\":\"survey_answered\"}"), want);
    snprintf(want, sizeof(want), "%s.condition", f);
    expect_bad(CRIT("{\"type\":\"subscription\",\"condition\":\"shrank\"}"), want);
    snprintf(want, sizeof(want), "%s.days", f);
    expect_bad(CRIT("{\"type\":\"subscription\",\"condition\":\"grew\",\"days\":3}"), want);
}

Test(lifecycle, limits)
{
    char text[8192], field[160];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "{\"phases\":[");
    for (int i = 0; i < LC_MAX_PHASES; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "{\"key\":\"p%d\",\"label_ja\":\"x\","
                                                          "\"label_en\":\"x\"},", i);
    snprintf(text + n, sizeof(text) - n, TERM "]}");
    expect_bad(text, "phases");
    char label[300];
    memset(label, 'x', 201);
    label[201] = 0;
    snprintf(text, sizeof(text), "{\"phases\":[{\"key\":\"a\",\"label_ja\":\"%s\",\"label_en\":"
                                 "\"A\"}," TERM "]}", label);
    expect_bad(text, "phases[0].label_ja");
    label[200] = 0;
    snprintf(text, sizeof(text), "{\"phases\":[{\"key\":\"a\",\"label_ja\":\"%s\",\"label_en\":"
                                 "\"A\"}," TERM "]}", label);
    cr_expect_eq(parse(text, field), 0, "200 bytes is allowed");
}

/* ------------------------------------------------------------ engine rules */

Test(engine, seat_target)
{
    cr_expect_eq(journey_seat_target(0.5, 20), 10);
    cr_expect_eq(journey_seat_target(0.5, 21), 11);
    cr_expect_eq(journey_seat_target(0.3, 5), 2);
    cr_expect_eq(journey_seat_target(0.3, 10), 3);
    cr_expect_eq(journey_seat_target(0.01, 3), 1);
    cr_expect_eq(journey_seat_target(1.0, 7), 7);
    cr_expect_eq(journey_seat_target(0.5, 0), -1);
    cr_expect_eq(journey_seat_target(0.5, -1), -1);
}

Test(engine, criteria_and_details)
{
    char d[300];
    struct lc_criterion ev = { .type = LC_CRIT_EVENT_COUNT, .event = (char *)"Signed In",
                               .count = 20, .within_days = 30 };
    struct jr_facts f = { .count = 19 };
    cr_expect_not(journey_criterion_met(&ev, &f, d, sizeof(d)));
    f.count = 20;
    cr_assert(journey_criterion_met(&ev, &f, d, sizeof(d)));
    cr_expect_str_eq(d, "Signed In seen 20 times in the last 30 days (at least 20)");
    ev.within_days = 0;
    cr_assert(journey_criterion_met(&ev, &f, d, sizeof(d)));
    cr_expect_str_eq(d, "Signed In seen 20 times (at least 20)");
    struct lc_criterion once = { .type = LC_CRIT_EVENT_COUNT, .event = (char *)"Setup Completed",
                                 .count = 1, .within_days = 1 };
    f.count = 1;
    cr_assert(journey_criterion_met(&once, &f, d, sizeof(d)));
    cr_expect_str_eq(d, "Setup Completed seen 1 time in the last 1 day (at least 1)");
    f.count = 20;

    struct lc_criterion au = { .type = LC_CRIT_ACTIVE_USERS, .count = 3 };
    struct jr_facts u = { .active_users = 2, .seats = -1 };
    cr_expect_not(journey_criterion_met(&au, &u, d, sizeof(d)));
    u.active_users = 3;
    cr_assert(journey_criterion_met(&au, &u, d, sizeof(d)));
    cr_expect_str_eq(d, "3 active users in 30 days (at least 3)");
    struct lc_criterion share = { .type = LC_CRIT_ACTIVE_USERS, .seat_share = 0.5 };
    u = (struct jr_facts){ .active_users = 9, .seats = 20 };
    cr_expect_not(journey_criterion_met(&share, &u, d, sizeof(d)));
    u.active_users = 10;
    cr_assert(journey_criterion_met(&share, &u, d, sizeof(d)));
    cr_expect_str_eq(d, "10 active users in 30 days (at least 10: 50% of 20 seats)");
    u = (struct jr_facts){ .active_users = 50, .seats = -1 };
    cr_expect_not(journey_criterion_met(&share, &u, d, sizeof(d)), "no seats: a share cannot be met");

    struct lc_criterion sv = { .type = LC_CRIT_SURVEY, .survey = "nps" };
    struct jr_facts s = { 0 };
    cr_expect_not(journey_criterion_met(&sv, &s, d, sizeof(d)));
    s.at = "2026-03-01T10:00:00Z";
    cr_assert(journey_criterion_met(&sv, &s, d, sizeof(d)));
    cr_expect_str_eq(d, "nps survey answered at 2026-03-01T10:00:00Z");

    struct lc_criterion sub = { .type = LC_CRIT_SUBSCRIPTION, .condition = LC_SUB_GREW };
    s.at = "2026-04-01";
    cr_assert(journey_criterion_met(&sub, &s, d, sizeof(d)));
    cr_expect_str_eq(d, "subscription grew on 2026-04-01");
    sub.condition = LC_SUB_RENEWED;
    cr_assert(journey_criterion_met(&sub, &s, d, sizeof(d)));
    cr_expect_str_eq(d, "subscription renewed on 2026-04-01");

    struct lc_criterion manual = { .type = LC_CRIT_NONE };
    cr_expect_not(journey_criterion_met(&manual, &s, d, sizeof(d)));
}

Test(engine, advance)
{
    struct lifecycle lc;
    lifecycle_default(&lc);
    size_t n = journey_milestone_count(&lc);
    cr_assert_eq(n, 9);
    cr_expect_eq(journey_milestone_index(&lc, 1, 2), 5);
    unsigned char st[9] = { 0 };
    cr_expect_eq(journey_advance(&lc, 0, st), 0);
    st[0] = st[1] = MS_COMPLETE;
    cr_expect_eq(journey_advance(&lc, 0, st), 0, "one required milestone open");
    st[2] = MS_REOPENED;
    cr_expect_eq(journey_advance(&lc, 0, st), 0, "reopened is not complete");
    st[2] = MS_COMPLETE;
    cr_expect_eq(journey_advance(&lc, 0, st), 1);
    /* adoption: habitual_use and user_spread required, proficiency optional */
    st[3] = st[5] = MS_COMPLETE;
    cr_expect_eq(journey_advance(&lc, 0, st), 2, "chains through adoption");
    cr_expect_eq(journey_advance(&lc, 1, st), 2);
    /* expansion is the last phase before the terminal one: never left by milestones */
    memset(st, MS_COMPLETE, sizeof(st));
    cr_expect_eq(journey_advance(&lc, 2, st), 2);
    cr_expect_eq(journey_advance(&lc, 3, st), 3, "the terminal phase is never left");
    cr_expect_eq(journey_advance(&lc, -1, st), -1);
    lifecycle_cleanup(&lc);

    /* A phase with no required milestones is left by hand only. */
    char field[160], msg[320];
    json_t *j = json_loads("{\"phases\":[{\"key\":\"a\",\"label_ja\":\"a\",\"label_en\":\"a\","
                           "\"milestones\":[{\"key\":\"o\",\"label_ja\":\"o\",\"label_en\":\"o\","
                           "\"required\":false}]}," P("b") "," TERM "]}", 0, NULL);
    cr_assert_eq(lifecycle_parse(j, &lc, field, sizeof(field), msg, sizeof(msg)), 0, "%s", msg);
    unsigned char one[1] = { MS_COMPLETE };
    cr_expect_eq(journey_advance(&lc, 0, one), 0);
    json_decref(j);
    lifecycle_cleanup(&lc);
}

Test(engine, required_progress)
{
    struct lifecycle lc;
    lifecycle_default(&lc);
    unsigned char st[9] = { MS_COMPLETE, MS_COMPLETE, 0, MS_COMPLETE, MS_COMPLETE, 0, 0, 0, 0 };
    size_t done, total;
    journey_required_progress(&lc, 0, st, &done, &total);
    cr_expect_eq(total, 3);
    cr_expect_eq(done, 2);
    journey_required_progress(&lc, 1, st, &done, &total);
    cr_expect_eq(total, 5, "proficiency is optional");
    cr_expect_eq(done, 3, "the optional one complete does not count");
    journey_required_progress(&lc, 3, st, &done, &total);
    cr_expect_eq(total, 7);
    journey_required_progress(&lc, -1, st, &done, &total);
    cr_expect_eq(total, 0);
    lifecycle_cleanup(&lc);
}

Test(engine, durations_overdue_ttv)
{
    cr_expect_eq(journey_days(0, 86399), 0);
    cr_expect_eq(journey_days(0, 86400), 1);
    cr_expect_eq(journey_days(1000, 1000 + 90 * 86400 + 5), 90);
    cr_expect_eq(journey_days(500, 100), 0);
    bool o, o2;
    journey_overdue(90, 90, &o, &o2);
    cr_expect(!o && !o2);
    journey_overdue(91, 90, &o, &o2);
    cr_expect(o && !o2);
    journey_overdue(179, 90, &o, &o2);
    cr_expect(o && !o2);
    journey_overdue(180, 90, &o, &o2);
    cr_expect(o && o2, "twice the usual time");
    journey_overdue(5000, -1, &o, &o2);
    cr_expect(!o && !o2, "no expectation");
    journey_overdue(0, 0, &o, &o2);
    cr_expect(!o && !o2);
    journey_overdue(1, 0, &o, &o2);
    cr_expect(o && o2);
    int64_t d = -1;
    cr_assert_eq(journey_ttv_days("2026-01-01", "2026-03-02T12:00:00Z", &d), 0);
    cr_expect_eq(d, 60);
    cr_assert_eq(journey_ttv_days("2026-01-10", "2026-01-05T00:00:00Z", &d), 0);
    cr_expect_eq(d, 0, "value before the start counts as 0 days");
    cr_expect_eq(journey_ttv_days(NULL, "2026-01-05T00:00:00Z", &d), -1);
    cr_expect_eq(journey_ttv_days("2026-01-01", NULL, &d), -1);
    cr_expect_eq(journey_ttv_days("2026-13-01", "2026-01-05T00:00:00Z", &d), -1);
}

/* ------------------------------------------------------------ evaluation on a store */

static struct store *st;

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

static int64_t qf_i64(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t qf_i64(const char *fmt, ...)
{
    char q[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(st->db, q, -1, &s, NULL), SQLITE_OK, "%s", q);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", q);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void setup(void)
{
    cr_assert_eq(crypto_setup(), 0);
    st = test_db_open("journey", "u");
}

static void teardown(void)
{
    test_db_close();
}

TestSuite(evaluation, .init = setup, .fini = teardown);

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

static void subscribe(int64_t id, int64_t seats, const char *status, const char *effective,
                      const char *renewal)
{
    struct subscription s = { .account_id = id, .mrr = 1000 * seats, .seats = seats };
    s.plan = xstrdup("Pro");
    s.renewal_date = renewal ? xstrdup(renewal) : NULL;
    memcpy(s.currency, "JPY", 4);
    memcpy(s.start_date, "2025-01-01", 11);
    snprintf(s.effective_date, sizeof(s.effective_date), "%s", effective);
    snprintf(s.status, sizeof(s.status), "%s", status);
    cr_assert_eq(journey_subscription_put(st, &s, 0), KZ_OK);
    subscription_cleanup(&s);
}

static void day_ago(int n, char out[static 11])
{
    char today[11];
    date_today(today);
    date_from_days(date_to_days(today) - n, out);
}

static char *phase_of(int64_t id)
{
    char *p = NULL, entered[21];
    cr_assert_eq(store_phase_current(st, id, &p, entered), KZ_OK);
    return p;
}

Test(evaluation, criteria_complete_milestones_and_chain_phases)
{
    int64_t a = new_account("A"), b = new_account("B"), c = new_account("C");
    char d0[11], d5[11], d40[11];
    day_ago(0, d0);
    day_ago(5, d5);
    day_ago(40, d40);
    subscribe(a, 4, "active", "2025-01-01", NULL);
    subscribe(b, 4, "active", "2025-01-01", NULL);
    /* a: set up, 2 of 4 users active (30% -> 2), basic_understanding by hand */
    sql("INSERT INTO usage_daily VALUES (%lld, '%s', 'Setup Completed', 1)", (long long)a, d5);
    sql("INSERT INTO active_users_daily VALUES (%lld, '%s', 'u1', 3)", (long long)a, d0);
    sql("INSERT INTO active_users_daily VALUES (%lld, '%s', 'u2', 3)", (long long)a, d5);
    /* ... and habitual use (20 sign-ins in 30 days) plus half the seats: adoption done too */
    sql("INSERT INTO usage_daily VALUES (%lld, '%s', 'Signed In', 12)", (long long)a, d0);
    sql("INSERT INTO usage_daily VALUES (%lld, '%s', 'Signed In', 8)", (long long)a, d5);
    /* b: only old sign-ins, outside the 30 days; one user of 4 */
    sql("INSERT INTO usage_daily VALUES (%lld, '%s', 'Signed In', 50)", (long long)b, d40);
    sql("INSERT INTO usage_daily VALUES (%lld, '%s', 'Setup Completed', 1)", (long long)b, d40);
    sql("INSERT INTO active_users_daily VALUES (%lld, '%s', 'x', 1)", (long long)b, d0);
    /* c: a reopened initial_setup is left alone */
    sql("INSERT INTO usage_daily VALUES (%lld, '%s', 'Setup Completed', 3)", (long long)c, d0);
    cr_assert_eq(store_milestone_reopen(st, c, "initial_setup", 0, "not really", "2026-01-01T00:00:00Z"),
                 KZ_OK);

    struct journey_stats s;
    cr_assert_eq(journey_evaluate(st, 0, &s), KZ_OK);
    cr_expect_eq(s.accounts, 3);
    /* a: initial_setup, hands_on_mastery, habitual_use, user_spread; b: initial_setup */
    cr_expect_eq(s.milestones, 5);
    cr_expect_eq(s.moves, 0, "basic_understanding is manual and still open");
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "state = 'complete' AND completed_by = 'criterion'", (long long)a), 4);
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "milestone = 'habitual_use'", (long long)b), 0, "sign-ins outside 30 days");
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "milestone = 'hands_on_mastery'", (long long)b), 0, "1 of 4 users");
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "milestone = 'initial_setup' AND state = 'complete'", (long long)b), 1,
                 "no window: ever");
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "state = 'reopened'", (long long)c), 1);

    bool changed = false;
    cr_assert_eq(store_milestone_complete(st, a, "basic_understanding", "manual", 0, "training",
                                          "2026-01-01T00:00:00Z", false, &changed), KZ_OK);
    cr_expect(changed);
    cr_assert_eq(journey_evaluate_account(st, a), KZ_OK);
    char *p = phase_of(a);
    cr_expect_str_eq(p, "expansion", "chained through adoption");
    free(p);
    cr_expect_eq(qf_i64("SELECT count(*) FROM phase_history WHERE account_id = %lld", (long long)a), 3);
    cr_expect_eq(qf_i64("SELECT count(*) FROM phase_history WHERE account_id = %lld AND "
                       "moved_by = 'milestones' AND phase = 'adoption' AND left_at = entered_at",
                       (long long)a), 1);
    cr_expect_eq(qf_i64("SELECT count(*) FROM phase_history WHERE account_id = %lld AND "
                       "left_at IS NULL AND phase = 'expansion'", (long long)a), 1);
    cr_expect_eq(qf_i64("SELECT phase_entered_at = (SELECT entered_at FROM phase_history WHERE "
                       "account_id = %lld AND left_at IS NULL) FROM accounts WHERE id = %lld",
                       (long long)a, (long long)a), 1);
    /* a second evaluation changes nothing */
    cr_assert_eq(journey_evaluate(st, 0, &s), KZ_OK);
    cr_expect_eq(s.milestones, 0);
    cr_expect_eq(s.moves, 0);
    cr_expect_eq(journey_evaluate_account(st, 999999), KZ_ENOTFOUND);
}

Test(evaluation, subscription_criteria_and_value_time)
{
    int64_t a = new_account("Renewing");
    subscribe(a, 10, "active", "2025-01-01", "2026-01-01");
    cr_assert_eq(journey_evaluate_all(st), KZ_OK);
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld", (long long)a),
                 0, "neither renewed nor grown yet");
    subscribe(a, 10, "active", "2026-01-01", "2027-01-01");   /* renewed */
    subscribe(a, 15, "active", "2026-02-01", "2027-01-01");   /* grew */
    cr_assert_eq(journey_evaluate_all(st), KZ_OK);
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "milestone = 'renewal' AND detail = 'subscription renewed on 2026-01-01'",
                       (long long)a), 1);
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "milestone = 'expansion' AND detail = 'subscription grew on 2026-02-01'",
                       (long long)a), 1);
    /* The value milestone by hand sets value_reached_at; reopening clears it. */
    cr_assert_eq(store_milestone_complete(st, a, "value_realised", "manual", 0, NULL,
                                          "2026-03-01T00:00:00Z", false, NULL), KZ_OK);
    cr_assert_eq(store_value_reached_sync(st, a, "value_realised"), KZ_OK);
    cr_expect_eq(qf_i64("SELECT value_reached_at = '2026-03-01T00:00:00Z' FROM accounts "
                       "WHERE id = %lld", (long long)a), 1);
    cr_assert_eq(store_milestone_reopen(st, a, "value_realised", 0, NULL, "2026-03-02T00:00:00Z"),
                 KZ_OK);
    cr_assert_eq(store_value_reached_sync(st, 0, "value_realised"), KZ_OK);
    cr_expect_eq(qf_i64("SELECT value_reached_at IS NULL FROM accounts WHERE id = %lld",
                       (long long)a), 1);
}

Test(evaluation, churn_reactivation_churn)
{
    int64_t a = new_account("Churner");
    subscribe(a, 5, "active", "2025-01-01", NULL);
    cr_assert_eq(journey_move_manual(st, a, "adoption", 0, "live"), KZ_OK);
    cr_expect_eq(journey_move_manual(st, a, "adoption", 0, "again"), KZ_ECONFLICT);
    char past[11];
    day_ago(3, past);
    subscribe(a, 5, "churned", past, NULL);
    char *p = phase_of(a);
    cr_expect_str_eq(p, "churned");
    free(p);
    subscribe(a, 5, "active", "2099-01-01", NULL); /* a future date: the move is now */
    p = phase_of(a);
    cr_expect_str_eq(p, "adoption", "back to the phase before the churn");
    free(p);
    subscribe(a, 5, "churned", "2099-02-01", NULL);
    struct journey_record j;
    cr_assert_eq(store_journey_get(st, a, &j), KZ_OK);
    static const char *const want[][2] = {
        { "onboarding", "initial" }, { "adoption", "manual" }, { "churned", "churn" },
        { "adoption", "reactivation" }, { "churned", "churn" },
    };
    cr_assert_eq(j.nhistory, 5);
    for (size_t i = 0; i < 5; i++) {
        cr_expect_str_eq(j.history[i].phase, want[i][0]);
        cr_expect_str_eq(j.history[i].moved_by, want[i][1]);
        if (i + 1 < 5)
            cr_expect_str_eq(j.history[i].left_at, j.history[i + 1].entered_at);
        cr_expect(strcmp(j.history[i].entered_at, i ? j.history[i - 1].entered_at : "") >= 0,
                  "never back in time");
    }
    cr_expect_null(j.history[4].left_at);
    journey_record_cleanup(&j);
    /* Churned accounts are not evaluated. */
    struct journey_stats s;
    cr_assert_eq(journey_evaluate(st, a, &s), KZ_OK);
    cr_expect_eq(s.moves, 0);
}

Test(evaluation, saving_the_lifecycle)
{
    int64_t a = new_account("In onboarding");
    struct lifecycle lc;
    char field[160], msg[320], *in_use = NULL;
    json_t *j = json_loads("{\"phases\":[" P("start") "," TERM "]}", 0, NULL);
    cr_assert_eq(lifecycle_parse(j, &lc, field, sizeof(field), msg, sizeof(msg)), 0, "%s", msg);
    json_decref(j);
    cr_expect_eq(journey_lifecycle_save(st, &lc, &in_use), KZ_ECONFLICT);
    cr_expect_str_eq(in_use, "onboarding");
    free(in_use);
    cr_assert_eq(journey_move_manual(st, a, "churned", 0, "closing"), KZ_OK);
    cr_assert_eq(journey_lifecycle_save(st, &lc, &in_use), KZ_OK);
    lifecycle_cleanup(&lc);
    int64_t b = new_account("After");
    char *p = phase_of(b);
    cr_expect_str_eq(p, "start", "new accounts start in the first phase saved");
    free(p);
    struct lifecycle now;
    cr_assert_eq(journey_lifecycle_load(st, &now), KZ_OK);
    cr_expect_eq(now.nphases, 2);
    lifecycle_cleanup(&now);
}

/* When few accounts still have a milestone open, its read is scoped to them (through the
 * temporary scope table); the result must be the same as a full read. */
Test(evaluation, scoped_reads_for_the_few_accounts_left)
{
    int64_t ids[10];
    char d0[11];
    day_ago(0, d0);
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof(name), "S%d", i);
        ids[i] = new_account(name);
        subscribe(ids[i], 2, "active", "2025-01-01", NULL);
        sql("INSERT INTO usage_daily VALUES (%lld, '%s', 'Setup Completed', 1)",
            (long long)ids[i], d0);
        if (i == 0)
            continue;
        /* all but the first have every onboarding criterion done already */
        cr_assert_eq(store_milestone_complete(st, ids[i], "initial_setup", "manual", 0, NULL,
                                              "2026-01-01T00:00:00Z", false, NULL), KZ_OK);
        cr_assert_eq(store_milestone_complete(st, ids[i], "hands_on_mastery", "manual", 0, NULL,
                                              "2026-01-01T00:00:00Z", false, NULL), KZ_OK);
        cr_assert_eq(store_milestone_complete(st, ids[i], "user_spread", "manual", 0, NULL,
                                              "2026-01-01T00:00:00Z", false, NULL), KZ_OK);
    }
    sql("INSERT INTO active_users_daily VALUES (%lld, '%s', 'a', 1)", (long long)ids[0], d0);
    sql("INSERT INTO active_users_daily VALUES (%lld, '%s', 'b', 1)", (long long)ids[0], d0);
    sql("INSERT INTO active_users_daily VALUES (%lld, '%s', 'c', 1)", (long long)ids[5], d0);
    struct journey_stats s;
    cr_assert_eq(journey_evaluate(st, 0, &s), KZ_OK);
    /* ids[0]: initial_setup, hands_on_mastery (2 of 2 seats: 30% -> 1), user_spread (50% -> 1) */
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE account_id = %lld AND "
                       "completed_by = 'criterion'", (long long)ids[0]), 3);
    cr_expect_eq(qf_i64("SELECT detail = '2 active users in 30 days (at least 1: 30%% of 2 seats)' "
                       "FROM milestone_states WHERE account_id = %lld AND "
                       "milestone = 'hands_on_mastery'", (long long)ids[0]), 1);
    cr_expect_eq(qf_i64("SELECT count(*) FROM milestone_states WHERE completed_by = 'criterion'"),
                 3, "nothing for the others (habitual_use needs sign-ins)");
    /* The same state through the one-account read gives the same answer. */
    cr_assert_eq(journey_evaluate(st, ids[0], &s), KZ_OK);
    cr_expect_eq(s.milestones, 0);
}
