/*
 * Unit tests for the demo's success plans and survey answers (demo/demo_success.c): every
 * account has goals measured over time and answers of every type within range and within
 * the 24 months up to today; a goal's current value is its latest measurement; customers
 * that churn answer worse; and the same seed and today give the same goals and answers.
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

TestSuite(demo_success, .init = setup);

Test(demo_success, goals_and_answers)
{
    st = test_db_open("demo-success", "a");
    cr_assert_eq(demo_generate(st, 1, TODAY, NULL), KZ_OK);
    cr_expect_geq(q_num("SELECT count(DISTINCT account_id) FROM goals"), 250);
    cr_expect_gt(q_num("SELECT count(*) FROM goal_values"), q_num("SELECT count(*) FROM goals"));
    for (const char *const *s = (const char *const[]){ "active", "achieved", "missed",
                                                       "cancelled", NULL }; *s; s++) {
        char *sql = xasprintf("SELECT count(*) FROM goals WHERE status = '%s'", *s);
        cr_expect_gt(q_num(sql), 0, "%s", *s);
        free(sql);
    }
    /* Increasing and decreasing goals, all with a baseline and a due date. */
    cr_expect_gt(q_num("SELECT count(*) FROM goals WHERE target > baseline"), 0);
    cr_expect_gt(q_num("SELECT count(*) FROM goals WHERE target < baseline"), 0);
    cr_expect_eq(q_num("SELECT count(*) FROM goals WHERE baseline IS NULL OR due_date IS NULL"), 0);
    /* current is the latest measurement */
    cr_expect_eq(q_num("SELECT count(*) FROM goals g WHERE g.current IS NOT (SELECT value FROM "
                       "goal_values v WHERE v.goal_id = g.id ORDER BY measured_at DESC, id DESC "
                       "LIMIT 1)"), 0);
    cr_expect_eq(q_num("SELECT count(*) FROM goal_values WHERE measured_at >= '" TODAY "'"), 0);

    /* Answers of every type, in range, in the 24 months before today, mostly from contacts
     * of the account itself. */
    for (const char *const *t = (const char *const[]){ "nps", "csat", "ces", NULL }; *t; t++) {
        char *sql = xasprintf("SELECT count(*) FROM survey_responses WHERE type = '%s'", *t);
        cr_expect_gt(q_num(sql), 300, "%s", *t);
        free(sql);
    }
    cr_expect_eq(q_num("SELECT count(*) FROM survey_responses WHERE answered_at < '2023-06-15' "
                       "OR answered_at >= '" TODAY "'"), 0);
    cr_expect_eq(q_num("SELECT count(*) FROM survey_responses s JOIN contacts c ON "
                       "c.id = s.contact_id WHERE c.account_id <> s.account_id"), 0);
    cr_expect_gt(q_num("SELECT count(*) FROM survey_responses WHERE contact_id IS NULL"), 0);
    cr_expect_gt(q_num("SELECT count(*) FROM survey_responses WHERE comment IS NOT NULL"), 0);
    /* Customers that churn answer worse (NPS as promoters minus detractors). */
    static const char nps_sql[] =
        "SELECT 100.0 * (sum(score >= 9) - sum(score <= 6)) / count(*) FROM survey_responses s "
        "JOIN accounts a ON a.id = s.account_id WHERE s.type = 'nps' AND a.phase %s 'churned'";
    char *churned = xasprintf(nps_sql, "="), *kept = xasprintf(nps_sql, "<>");
    double nps_churned = q_num(churned), nps_kept = q_num(kept);
    cr_expect_lt(nps_churned + 30, nps_kept, "churned %.1f, kept %.1f", nps_churned, nps_kept);
    free(churned);
    free(kept);
    test_db_close();
}

/* The goals, values and answers, without what the store stamps with the clock. */
static char *fingerprint(void)
{
    char *a = q_text("SELECT group_concat(x, ';') FROM (SELECT account_id || '|' || title || '|' "
                     "|| metric || '|' || unit || '|' || baseline || '|' || target || '|' || "
                     "ifnull(current, '') || '|' || due_date || '|' || status AS x FROM goals "
                     "ORDER BY id)");
    char *b = q_text("SELECT group_concat(x, ';') FROM (SELECT goal_id || '|' || value || '|' || "
                     "measured_at AS x FROM goal_values ORDER BY id)");
    char *c = q_text("SELECT group_concat(x, ';') FROM (SELECT account_id || '|' || "
                     "ifnull(contact_id, 0) || '|' || type || '|' || score || '|' || "
                     "ifnull(comment, '') || '|' || answered_at AS x FROM survey_responses "
                     "ORDER BY id)");
    char *f = xasprintf("%s\n%s\n%s", a, b, c);
    free(a);
    free(b);
    free(c);
    return f;
}

Test(demo_success, deterministic)
{
    st = test_db_open("demo-success", "b");
    cr_assert_eq(demo_generate(st, 7, TODAY, NULL), KZ_OK);
    char *first = fingerprint();
    test_db_close();
    st = test_db_open("demo-success", "c");
    cr_assert_eq(demo_generate(st, 7, TODAY, NULL), KZ_OK);
    char *second = fingerprint();
    test_db_close();
    st = test_db_open("demo-success", "d");
    cr_assert_eq(demo_generate(st, 8, TODAY, NULL), KZ_OK);
    char *other = fingerprint();
    test_db_close();
    cr_expect(strcmp(first, second) == 0, "same seed and today, same goals and answers");
    cr_expect(strcmp(first, other) != 0, "another seed, other goals and answers");
    free(first);
    free(second);
    free(other);
}
