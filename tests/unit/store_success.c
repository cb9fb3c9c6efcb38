/*
 * Unit tests of store/success.c and the survey CSV importer on a fresh SQLite file per
 * test: a goal's current value is always its latest measurement (also when a back-dated one
 * arrives); the history goes with the goal; survey natural-key lookup with and without a
 * contact; counts honour the filters; the sentiment round-trips through the account; and the
 * import touches the accounts it changed for the scheduler only once it is committed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "importer/surveys_csv.h"
#include "sched/sched.h"
#include "store/db.h"
#include "store/store.h"
#include "store/success.h"
#include "unit/testdb.h"

static struct store *st;
static int64_t acme, other, yamada;

static int64_t new_account(const char *name, const char *ext)
{
    struct account a;
    account_init(&a);
    a.name = xstrdup(name);
    a.external_id = xstrdup(ext);
    cr_assert_eq(store_account_create(st, &a), KZ_OK);
    int64_t id = a.id;
    account_cleanup(&a);
    return id;
}

static void setup(void)
{
    st = test_db_open("success", "u");
    acme = new_account("Acme", "ACME");
    other = new_account("Other", "OTHER");
    struct contact c;
    memset(&c, 0, sizeof(c));
    c.account_id = acme;
    c.name = xstrdup("Yamada");
    c.email = xstrdup("Yamada@Acme.example");
    cr_assert_eq(store_contact_create(st, &c), KZ_OK);
    yamada = c.id;
    contact_cleanup(&c);
    int64_t *ids;
    size_t n;
    sched_take_touched(&ids, &n); /* start with an empty set */
    free(ids);
}

static void teardown(void)
{
    test_db_close();
}

TestSuite(store_success, .init = setup, .fini = teardown);

static struct goal new_goal(bool with_current, double current)
{
    struct goal g;
    memset(&g, 0, sizeof(g));
    g.account_id = acme;
    g.title = xstrdup("Handling time");
    g.metric = xstrdup("minutes");
    g.has_baseline = true;
    g.baseline = 12;
    g.target = 6;
    g.has_current = with_current;
    g.current = current;
    cr_assert_eq(store_goal_create(st, &g, 0), KZ_OK);
    return g;
}

static size_t value_count(int64_t goal_id)
{
    struct goal_value *v;
    size_t n;
    cr_assert_eq(store_goal_values_list(st, goal_id, NULL, 0, 100, &v, &n), KZ_OK);
    free(v);
    return n;
}

Test(store_success, current_is_the_latest_measurement)
{
    struct goal g = new_goal(true, 11);
    cr_assert_eq(value_count(g.id), 1);
    struct goal_value v = { .goal_id = g.id, .value = 10, .measured_at = "2030-01-01T00:00:00Z" };
    double cur = 0;
    cr_assert_eq(store_goal_value_add(st, acme, &v, &cur), KZ_OK);
    cr_expect_eq(cur, 10);
    struct goal_value old = { .goal_id = g.id, .value = 99, .measured_at = "2020-01-01T00:00:00Z" };
    cr_assert_eq(store_goal_value_add(st, acme, &old, &cur), KZ_OK);
    cr_expect_eq(cur, 10, "a back-dated value does not become current");
    struct goal back;
    cr_assert_eq(store_goal_get(st, acme, g.id, &back), KZ_OK);
    cr_expect(back.has_current);
    cr_expect_eq(back.current, 10);
    goal_cleanup(&back);
    /* Oldest first, paginated by (measured_at, id). */
    struct goal_value *list;
    size_t n;
    cr_assert_eq(store_goal_values_list(st, g.id, NULL, 0, 1, &list, &n), KZ_OK);
    cr_assert_eq(n, 2);
    cr_expect_eq(list[0].value, 99);
    char at[21];
    memcpy(at, list[0].measured_at, sizeof(at));
    int64_t id = list[0].id;
    free(list);
    cr_assert_eq(store_goal_values_list(st, g.id, at, id, 10, &list, &n), KZ_OK);
    cr_assert_eq(n, 2);
    cr_expect_eq(list[0].value, 11);
    cr_expect_eq(list[1].value, 10);
    free(list);
    /* Under another account the goal does not exist. */
    cr_expect_eq(store_goal_value_add(st, other, &v, &cur), KZ_ENOTFOUND);
    cr_expect_eq(value_count(g.id), 3);
    /* Deleting the goal takes its history. */
    cr_expect_eq(store_goal_delete(st, other, g.id), KZ_ENOTFOUND);
    cr_assert_eq(store_goal_delete(st, acme, g.id), KZ_OK);
    cr_expect_eq(value_count(g.id), 0);
    goal_cleanup(&g);
}

Test(store_success, update_records_current_only_when_asked)
{
    struct goal g = new_goal(false, 0);
    cr_assert_eq(value_count(g.id), 0);
    free(g.title);
    g.title = xstrdup("Renamed");
    cr_assert_eq(store_goal_update(st, &g, false, 0), KZ_OK);
    cr_expect_eq(value_count(g.id), 0);
    g.current = 8;
    cr_assert_eq(store_goal_update(st, &g, true, 0), KZ_OK);
    cr_expect_eq(value_count(g.id), 1);
    struct goal *v;
    size_t n;
    cr_assert_eq(store_goals_list(st, acme, "active", 0, 10, &v, &n), KZ_OK);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(v[0].title, "Renamed");
    cr_expect_eq(v[0].current, 8);
    goals_free(v, n);
    cr_assert_eq(store_goals_list(st, acme, "missed", 0, 10, &v, &n), KZ_OK);
    cr_expect_eq(n, 0);
    goals_free(v, n);
    goal_cleanup(&g);
}

static int64_t answer(int64_t account, int64_t contact, enum survey_type t, int64_t score,
                      const char *at)
{
    struct survey_response s;
    memset(&s, 0, sizeof(s));
    s.account_id = account;
    s.contact_id = contact;
    s.type = t;
    s.score = score;
    snprintf(s.answered_at, sizeof(s.answered_at), "%s", at);
    cr_assert_eq(store_survey_response_create(st, &s), KZ_OK);
    return s.id;
}

Test(store_success, natural_key_and_counts)
{
    int64_t anon = answer(acme, 0, SURVEY_NPS, 3, "2026-01-01T00:00:00Z");
    int64_t named = answer(acme, yamada, SURVEY_NPS, 9, "2026-01-01T00:00:00Z");
    answer(acme, yamada, SURVEY_CSAT, 5, "2026-02-01T00:00:00Z");
    answer(other, 0, SURVEY_NPS, 10, "2026-01-01T00:00:00Z");
    struct survey_response key = { .account_id = acme, .type = SURVEY_NPS,
                                   .answered_at = "2026-01-01T00:00:00Z" }, found;
    cr_assert_eq(store_survey_response_find(st, &key, &found), KZ_OK);
    cr_expect_eq(found.id, anon, "no contact matches the anonymous answer");
    survey_response_cleanup(&found);
    key.contact_id = yamada;
    cr_assert_eq(store_survey_response_find(st, &key, &found), KZ_OK);
    cr_expect_eq(found.id, named);
    survey_response_cleanup(&found);
    key.type = SURVEY_CES;
    cr_expect_eq(store_survey_response_find(st, &key, &found), KZ_ENOTFOUND);

    struct survey_filter f = { .account_id = acme };
    struct survey_counts c[SURVEY_TYPE_COUNT];
    cr_assert_eq(store_survey_counts(st, &f, c), KZ_OK);
    cr_expect_eq(c[SURVEY_NPS].n[3], 1);
    cr_expect_eq(c[SURVEY_NPS].n[9], 1);
    cr_expect_eq(c[SURVEY_NPS].n[10], 0, "another account's answer");
    cr_expect_eq(c[SURVEY_CSAT].n[5], 1);
    f.from = "2026-01-15T00:00:00Z";
    cr_assert_eq(store_survey_counts(st, &f, c), KZ_OK);
    cr_expect_eq(c[SURVEY_NPS].n[3] + c[SURVEY_NPS].n[9], 0);
    cr_expect_eq(c[SURVEY_CSAT].n[5], 1);
    f.from = NULL;
    f.has_type = true;
    f.type = SURVEY_NPS;
    f.before = "2026-01-01T00:00:01Z";
    cr_assert_eq(store_survey_counts(st, &f, c), KZ_OK);
    cr_expect_eq(c[SURVEY_NPS].n[3] + c[SURVEY_NPS].n[9], 2);
    cr_expect_eq(c[SURVEY_CSAT].n[5], 0);

    int64_t id;
    cr_expect_eq(store_contact_id_by_email(st, acme, "yamada@acme.EXAMPLE", &id), KZ_OK);
    cr_expect_eq(id, yamada);
    cr_expect_eq(store_contact_id_by_email(st, other, "yamada@acme.example", &id), KZ_ENOTFOUND);
}

Test(store_success, sentiment_round_trip)
{
    cr_assert_eq(store_account_sentiment_set(st, acme, 2, "at risk", 0), KZ_OK);
    struct account a;
    account_init(&a);
    cr_assert_eq(store_account_get(st, acme, &a), KZ_OK);
    cr_expect_eq(a.sentiment, 2);
    cr_expect_str_eq(a.sentiment_note, "at risk");
    cr_expect_neq(a.sentiment_at[0], '\0');
    account_cleanup(&a);
    cr_assert_eq(store_account_sentiment_set(st, acme, 0, "ignored", 0), KZ_OK);
    account_init(&a);
    cr_assert_eq(store_account_get(st, acme, &a), KZ_OK);
    cr_expect_eq(a.sentiment, 0);
    cr_expect_null(a.sentiment_note);
    cr_expect_eq(a.sentiment_at[0], '\0');
    account_cleanup(&a);
    cr_expect_eq(store_account_sentiment_set(st, 999999, 3, NULL, 0), KZ_ENOTFOUND);
}

Test(store_success, import_touches_the_accounts_it_changed_after_commit)
{
    static const char csv[] = "account_external_id,type,score,answered_at\n"
                              "OTHER,nps,9,2026-01-01\n"
                              "ACME,csat,2,2026-01-01\n"
                              "ACME,csat,9,2026-01-02\n";
    struct import_report rep;
    import_report_init(&rep);
    cr_assert_eq(import_survey_responses_csv(st, csv, sizeof(csv) - 1, 0, ROLE_ADMIN, &rep), KZ_OK);
    cr_expect_eq(rep.created, 2);
    cr_expect_eq(rep.failed, 1);
    import_report_free(&rep);
    int64_t *ids;
    size_t n;
    cr_assert_eq(sched_take_touched(&ids, &n), 0);
    cr_assert_eq(n, 2);
    cr_expect_eq(ids[0], acme);
    cr_expect_eq(ids[1], other);
    free(ids);
    /* A file that is refused stores nothing and touches nothing. */
    static const char bad[] = "account_external_id,type,score,answered_at,x\nACME,nps,1,2026-01-01,y\n";
    import_report_init(&rep);
    cr_expect_eq(import_survey_responses_csv(st, bad, sizeof(bad) - 1, 0, ROLE_ADMIN, &rep),
                 KZ_EINVAL);
    cr_expect(rep.fatal);
    import_report_free(&rep);
    cr_assert_eq(sched_take_touched(&ids, &n), 0);
    cr_expect_eq(n, 0);
    free(ids);
}
