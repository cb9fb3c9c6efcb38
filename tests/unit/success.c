/*
 * Unit tests of the pure success-plan and survey functions (journey/goals.c,
 * journey/surveys.c) against hand-computed values: attainment of increasing and decreasing
 * goals, clamping, the unknown cases and their reasons; NPS, CSAT and CES with their counts,
 * shares, means and the rounding (half away from zero, also for negative NPS).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "journey/goals.h"
#include "journey/surveys.h"

static double att(double baseline, double target, double current)
{
    double out = -1;
    cr_assert_eq(goal_attainment(true, baseline, target, true, current, &out), GOAL_ATTAINMENT_OK);
    return out;
}

#define cr_assert_near(a, b) cr_assert(fabs((a) - (b)) < 1e-9, "%.12g != %.12g", (double)(a), (double)(b))

Test(goals, increasing_target)
{
    cr_assert_near(att(20, 80, 50), 0.5);
    cr_assert_near(att(20, 80, 35), 0.25);
    cr_assert_near(att(20, 80, 20), 0.0);
    cr_assert_near(att(20, 80, 80), 1.0);
    cr_assert_near(att(-10, 10, 0), 0.5);
}

Test(goals, decreasing_target)
{
    /* "cut handling time from 12 to 6 minutes" */
    cr_assert_near(att(12, 6, 9), 0.5);
    cr_assert_near(att(12, 6, 7.5), 0.75);
    cr_assert_near(att(12, 6, 12), 0.0);
    cr_assert_near(att(12, 6, 6), 1.0);
}

Test(goals, clamped_to_0_and_1)
{
    cr_assert_near(att(20, 80, 120), 1.0);  /* past the target */
    cr_assert_near(att(20, 80, 5), 0.0);    /* moved away from it */
    cr_assert_near(att(12, 6, 3), 1.0);
    cr_assert_near(att(12, 6, 15), 0.0);
}

Test(goals, unknown_with_a_reason)
{
    double out = 42;
    cr_assert_eq(goal_attainment(true, 20, 80, false, 0, &out), GOAL_ATTAINMENT_NO_CURRENT);
    cr_assert_eq(goal_attainment(false, 0, 80, true, 50, &out), GOAL_ATTAINMENT_NO_BASELINE);
    cr_assert_eq(goal_attainment(true, 80, 80, true, 90, &out), GOAL_ATTAINMENT_FLAT);
    /* no current value wins over the other reasons: it is what the CSM has to fix first */
    cr_assert_eq(goal_attainment(false, 0, 80, false, 0, &out), GOAL_ATTAINMENT_NO_CURRENT);
    cr_assert_eq(out, 42, "out is untouched when unknown");
    cr_assert_str_eq(goal_attainment_reason(GOAL_ATTAINMENT_NO_CURRENT), "no_current_value");
    cr_assert_str_eq(goal_attainment_reason(GOAL_ATTAINMENT_NO_BASELINE), "no_baseline");
    cr_assert_str_eq(goal_attainment_reason(GOAL_ATTAINMENT_FLAT), "baseline_equals_target");
    cr_assert_null(goal_attainment_reason(GOAL_ATTAINMENT_OK));
}

Test(goals, extreme_values_stay_finite)
{
    double a = att(-GOAL_VALUE_MAX, GOAL_VALUE_MAX, 0);
    cr_assert_near(a, 0.5);
    a = att(GOAL_VALUE_MAX, -GOAL_VALUE_MAX, GOAL_VALUE_MAX);
    cr_assert_near(a, 0.0);
}

/* Counts from a list of scores (terminated by -1). */
static struct survey_counts counts_of(const int *scores)
{
    struct survey_counts c;
    memset(&c, 0, sizeof(c));
    for (; *scores >= 0; scores++)
        c.n[*scores]++;
    return c;
}

Test(surveys, types_and_ranges)
{
    enum survey_type t;
    int lo, hi;
    cr_assert_eq(survey_type_parse("nps", &t), 0);
    cr_assert_eq(t, SURVEY_NPS);
    cr_assert_eq(survey_type_parse("ces", &t), 0);
    cr_assert_eq(t, SURVEY_CES);
    cr_assert_eq(survey_type_parse("NPS", &t), -1);
    cr_assert_eq(survey_type_parse("", &t), -1);
    cr_assert_str_eq(survey_type_name(SURVEY_CSAT), "csat");
    survey_score_range(SURVEY_NPS, &lo, &hi);
    cr_assert(lo == 0 && hi == 10);
    survey_score_range(SURVEY_CSAT, &lo, &hi);
    cr_assert(lo == 1 && hi == 5);
    survey_score_range(SURVEY_CES, &lo, &hi);
    cr_assert(lo == 1 && hi == 7);
    cr_assert(survey_score_valid(SURVEY_NPS, 0) && survey_score_valid(SURVEY_NPS, 10));
    cr_assert(!survey_score_valid(SURVEY_NPS, -1) && !survey_score_valid(SURVEY_NPS, 11));
    cr_assert(!survey_score_valid(SURVEY_CSAT, 0) && !survey_score_valid(SURVEY_CSAT, 6));
    cr_assert(!survey_score_valid(SURVEY_CES, 0) && !survey_score_valid(SURVEY_CES, 8));
    cr_assert(survey_score_valid(SURVEY_CES, 7));
    cr_assert_str_eq(survey_nps_category(9), "promoter");
    cr_assert_str_eq(survey_nps_category(8), "passive");
    cr_assert_str_eq(survey_nps_category(7), "passive");
    cr_assert_str_eq(survey_nps_category(6), "detractor");
}

Test(surveys, nps)
{
    /* 3 promoters, 2 passives, 2 detractors: (3 - 2) / 7 = 14.2857% -> 14.3 */
    struct survey_counts c = counts_of((int[]){ 10, 10, 9, 8, 7, 6, 0, -1 });
    struct nps_summary s;
    survey_nps(&c, &s);
    cr_assert(s.has_value);
    cr_assert_eq(s.responses, 7);
    cr_assert_eq(s.promoters, 3);
    cr_assert_eq(s.passives, 2);
    cr_assert_eq(s.detractors, 2);
    cr_assert_near(s.nps, 14.3);

    c = counts_of((int[]){ 0, 3, 6, -1 });
    survey_nps(&c, &s);
    cr_assert_near(s.nps, -100.0);
    c = counts_of((int[]){ 9, 10, -1 });
    survey_nps(&c, &s);
    cr_assert_near(s.nps, 100.0);
    c = counts_of((int[]){ 7, 8, -1 });
    survey_nps(&c, &s);
    cr_assert_near(s.nps, 0.0);
    /* 1 promoter, 2 detractors of 3: -33.33 -> -33.3 */
    c = counts_of((int[]){ 10, 1, 2, -1 });
    survey_nps(&c, &s);
    cr_assert_near(s.nps, -33.3);
}

Test(surveys, nps_rounding_half_away_from_zero)
{
    /* 1 promoter in 16: 6.25 -> 6.3; 1 detractor in 16: -6.25 -> -6.3 */
    int up[17], down[17];
    for (int i = 0; i < 15; i++)
        up[i] = down[i] = 8;
    up[15] = 9, down[15] = 6;
    up[16] = down[16] = -1;
    struct survey_counts c = counts_of(up);
    struct nps_summary s;
    survey_nps(&c, &s);
    cr_assert_near(s.nps, 6.3);
    c = counts_of(down);
    survey_nps(&c, &s);
    cr_assert_near(s.nps, -6.3);
    /* 2 promoters and 1 detractor of 3: 33.33 -> 33.3; 2 of 3 promoters: 66.67 -> 66.7 */
    c = counts_of((int[]){ 9, 9, 0, -1 });
    survey_nps(&c, &s);
    cr_assert_near(s.nps, 33.3);
    c = counts_of((int[]){ 9, 9, 8, -1 });
    survey_nps(&c, &s);
    cr_assert_near(s.nps, 66.7);
}

Test(surveys, empty_is_unknown_not_zero)
{
    struct survey_counts c;
    memset(&c, 0, sizeof(c));
    struct nps_summary n;
    struct csat_summary s;
    struct ces_summary e;
    survey_nps(&c, &n);
    survey_csat(&c, &s);
    survey_ces(&c, &e);
    cr_assert(!n.has_value && n.responses == 0);
    cr_assert(!s.has_value && s.responses == 0);
    cr_assert(!e.has_value && e.responses == 0);
}

Test(surveys, csat)
{
    /* 5, 4, 4, 3, 1: satisfied 3 of 5 = 60.0%, mean 17 / 5 = 3.40 */
    struct survey_counts c = counts_of((int[]){ 5, 4, 4, 3, 1, -1 });
    struct csat_summary s;
    survey_csat(&c, &s);
    cr_assert(s.has_value);
    cr_assert_eq(s.responses, 5);
    cr_assert_eq(s.satisfied, 3);
    cr_assert_near(s.satisfied_pct, 60.0);
    cr_assert_near(s.mean, 3.4);
    /* 5, 5, 4: 100%, mean 14 / 3 = 4.667 -> 4.67 */
    c = counts_of((int[]){ 5, 5, 4, -1 });
    survey_csat(&c, &s);
    cr_assert_near(s.satisfied_pct, 100.0);
    cr_assert_near(s.mean, 4.67);
    /* a score outside 1..5 is not a CSAT answer */
    c.n[0] = 3;
    survey_csat(&c, &s);
    cr_assert_eq(s.responses, 3);
}

Test(surveys, ces)
{
    /* 7, 6, 5, 4, 2, 1: easy (5-7) 3 of 6 = 50.0%, mean 25 / 6 = 4.1667 -> 4.17 */
    struct survey_counts c = counts_of((int[]){ 7, 6, 5, 4, 2, 1, -1 });
    struct ces_summary s;
    survey_ces(&c, &s);
    cr_assert(s.has_value);
    cr_assert_eq(s.responses, 6);
    cr_assert_eq(s.easy, 3);
    cr_assert_near(s.easy_pct, 50.0);
    cr_assert_near(s.mean, 4.17);
    /* 1 easy of 8: 12.5% exactly; mean (5 + 7 * 1) / 8 = 1.5 */
    c = counts_of((int[]){ 5, 1, 1, 1, 1, 1, 1, 1, -1 });
    survey_ces(&c, &s);
    cr_assert_near(s.easy_pct, 12.5);
    cr_assert_near(s.mean, 1.5);
}
