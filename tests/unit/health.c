/* The DEAR health model: measures from facts, the weighted score with renormalisation, the
 * bands, and the model's JSON form with its validation — against hand-computed values. */
#include "health/health.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

static struct health_model model;

static void setup(void)
{
    health_model_default(&model);
}

/* An account with data for every measure but onboarding pace (see the worked example in
 * docs/health.md). */
static struct health_facts example(void)
{
    struct health_facts f;
    memset(&f, 0, sizeof(f));
    f.required_total = 6;
    f.required_done = 3;         /* 0.5 -> 50 */
    f.nps_answers = 4;
    f.nps_promoters = 2;
    f.nps_detractors = 1;        /* NPS 25 -> 62.5 */
    f.has_decision_maker = true;
    f.decision_maker_days = 105; /* halfway from 180 to 30 -> 50 */
    f.touches_90d = 3;           /* 3 of 6 -> 50 */
    f.sentiment = 4;             /* (4-1)/(5-1) -> 75 */
    f.has_usage = true;
    f.seats = 10;
    f.active_users_30 = 4;       /* 0.4 of 0.8 -> 50 */
    f.active_users_prev_30 = 8;  /* trend 0.5 = worst -> 0 */
    f.key_events_total = 4;
    f.key_events_used_30 = 1;    /* 0.25 -> 25 */
    f.days_since_seen = 15.5;    /* halfway from 30 to 1 -> 50 */
    f.goals = 2;
    f.goal_attainment_sum = 1.2; /* 0.6 -> 60 */
    return f;
}

#define assert_near(a, b) cr_assert(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, \
                                    (double)(a), (double)(b))

Test(health, weighted_score_by_hand, .init = setup)
{
    struct health_facts f = example();
    struct health_inputs in;
    struct health_result r;
    health_inputs_from_facts(&f, &in);
    cr_assert_not(in.has[HM_ONBOARDING_PACE]);
    cr_assert_str_eq(in.why[HM_ONBOARDING_PACE], "not in onboarding");
    assert_near(in.value[HM_NPS], 25);
    health_compute(&model.base, &in, &r);
    assert_near(r.sub[HM_NPS], 62.5);
    assert_near(r.sub[HM_DECISION_MAKER_DAYS], 50);
    assert_near(r.sub[HM_SENTIMENT], 75);
    assert_near(r.sub[HM_ACTIVE_USERS_TREND], 0);
    assert_near(r.component[HC_DEPLOYMENT], 50);  /* pace left out: milestones alone */
    assert_near(r.component[HC_ENGAGEMENT], 62.5); /* (2*62.5 + 50 + 50 + 2*75) / 6 */
    assert_near(r.component[HC_ADOPTION], 35);    /* (2*50 + 25 + 0 + 50) / 5 */
    assert_near(r.component[HC_ROI], 60);
    assert_near(r.score, 49.375);                 /* (25*50 + 25*62.5 + 35*35 + 15*60) / 100 */
    cr_assert(r.has_score);
    cr_assert_eq(health_score_int(r.score), 49);
    cr_assert_eq(r.band, BAND_YELLOW);
    assert_near(r.contribution[HM_NPS], 0.25 * (2.0 / 6) * 62.5);
    double sum = 0;
    for (int i = 0; i < HM_COUNT; i++)
        sum += r.contribution[i];
    assert_near(sum, r.score);
}

Test(health, missing_data_is_left_out_and_renormalised, .init = setup)
{
    struct health_facts f;
    memset(&f, 0, sizeof(f));
    f.touches_90d = 6;       /* the only measure with data */
    f.days_since_seen = -1;
    f.decision_maker_days = -1;
    struct health_inputs in;
    struct health_result r;
    health_inputs_from_facts(&f, &in);
    cr_assert_str_eq(in.why[HM_NPS], "no NPS answer from the account's contacts in 365 days");
    cr_assert_str_eq(in.why[HM_DECISION_MAKER_DAYS], "no decision maker among the contacts");
    cr_assert_str_eq(in.why[HM_SENTIMENT], "no CSM sentiment set");
    cr_assert_str_eq(in.why[HM_ACTIVE_USER_SHARE], "no product usage tracked");
    cr_assert_str_eq(in.why[HM_GOAL_ATTAINMENT], "no success-plan goal with a measured value");
    health_compute(&model.base, &in, &r);
    cr_assert(r.has_score);
    assert_near(r.score, 100);
    cr_assert_not(r.component_has[HC_ADOPTION]);
    assert_near(r.component_share[HC_ENGAGEMENT], 1);
    assert_near(r.measure_share[HM_TOUCHES_90D], 1);
    cr_assert_eq(r.band, BAND_GREEN);

    model.base.component[HC_ENGAGEMENT] = 0; /* the only component with data weighs nothing */
    health_compute(&model.base, &in, &r);
    cr_assert_not(r.has_score);
    cr_assert_eq(r.band, BAND_NONE);
}

Test(health, measure_edges, .init = setup)
{
    struct health_facts f = example();
    struct health_inputs in;
    f.in_onboarding = true;
    f.phase_days = 45;
    f.phase_expected_days = 30;     /* 1.5x expected: halfway between 1x and 2x */
    f.decision_maker_days = -1;     /* never touched: the account's age counts */
    f.account_age_days = 400;
    f.seats = 0;
    f.active_users_prev_30 = 0;
    health_inputs_from_facts(&f, &in);
    assert_near(in.value[HM_ONBOARDING_PACE], 1.5);
    assert_near(in.value[HM_DECISION_MAKER_DAYS], 400);
    cr_assert_str_eq(in.why[HM_ACTIVE_USER_SHARE], "no seats in the subscription");
    cr_assert_str_eq(in.why[HM_ACTIVE_USERS_TREND],
                     "no active users in the previous 30 days to compare");
    struct health_result r;
    health_compute(&model.base, &in, &r);
    assert_near(r.sub[HM_ONBOARDING_PACE], 50);
    assert_near(r.sub[HM_DECISION_MAKER_DAYS], 0); /* clamped below worst */
}

Test(health, bands_at_the_thresholds, .init = setup)
{
    cr_assert_eq(health_band_of(&model.base, 70), BAND_GREEN);
    cr_assert_eq(health_band_of(&model.base, 69), BAND_YELLOW);
    cr_assert_eq(health_band_of(&model.base, 40), BAND_YELLOW);
    cr_assert_eq(health_band_of(&model.base, 39), BAND_RED);
    cr_assert_eq(health_score_int(69.5), 70);
    cr_assert_eq(health_score_int(69.49), 69);
}

static void parse_fails(const char *doc, const char *want_field)
{
    json_error_t err;
    json_t *j = json_loads(doc, 0, &err);
    cr_assert_not_null(j, "bad test JSON: %s", err.text);
    struct health_model m;
    char field[128], msg[200];
    cr_assert_eq(health_model_parse(j, &m, field, msg), -1, "accepted %s", doc);
    cr_assert_str_eq(field, want_field, "%s: %s", doc, msg);
    json_decref(j);
}

Test(health, model_validation_names_the_field)
{
    parse_fails("{\"components\":{\"adoption\":{\"weight\":-1}}}", "components.adoption.weight");
    parse_fails("{\"components\":{\"engagement\":{\"measures\":{\"nps\":{\"weight\":-2}}}}}",
                "components.engagement.measures.nps.weight");
    parse_fails("{\"components\":{\"adoption\":{\"measures\":{\"nps\":{\"weight\":1}}}}}",
                "components.adoption.measures.nps");
    parse_fails("{\"components\":{\"adoption\":{\"measures\":{\"logins\":{}}}}}",
                "components.adoption.measures.logins");
    parse_fails("{\"components\":{\"happiness\":{}}}", "components.happiness");
    parse_fails("{\"bands\":{\"green\":30,\"red\":50}}", "bands.red");
    parse_fails("{\"bands\":{\"green\":101}}", "bands.green");
    parse_fails("{\"bands\":{\"green\":\"high\"}}", "bands.green");
    parse_fails("{\"colour\":1}", "colour");
    parse_fails("{\"components\":{\"roi\":{\"measures\":{\"goal_attainment\":"
                "{\"worst\":1,\"best\":1}}}}}",
                "components.roi.measures.goal_attainment.best");
    parse_fails("{\"components\":{\"deployment\":{\"weight\":0},\"engagement\":{\"weight\":0},"
                "\"adoption\":{\"weight\":0},\"roi\":{\"weight\":0}}}", "components");
    parse_fails("{\"tiers\":{\"gold\":{}}}", "tiers.gold");
    parse_fails("{\"tiers\":{\"high\":{\"bands\":{\"red\":90}}}}", "tiers.high.bands.red");
    parse_fails("{\"recompute_minutes\":0}", "recompute_minutes");
}

Test(health, model_round_trip_and_tier_inheritance)
{
    json_t *j = json_loads("{\"bands\":{\"green\":80,\"red\":50},"
                           "\"components\":{\"adoption\":{\"weight\":50,"
                           "\"measures\":{\"days_since_seen\":{\"best\":0,\"worst\":14}}}},"
                           "\"tiers\":{\"high\":{\"components\":{\"roi\":{\"weight\":40}}}}}",
                           0, NULL);
    struct health_model m;
    char field[128], msg[200];
    cr_assert_eq(health_model_parse(j, &m, field, msg), 0, "%s", msg);
    json_decref(j);
    cr_assert_eq(m.base.green, 80);
    assert_near(m.base.component[HC_ADOPTION], 50);
    assert_near(m.base.component[HC_ENGAGEMENT], 25); /* omitted: the default */
    assert_near(m.base.measure[HM_DAYS_SINCE_SEEN].worst, 14);
    assert_near(m.base.measure[HM_DAYS_SINCE_SEEN].weight, 1);
    cr_assert(m.tier_set[0]);
    assert_near(m.tier[0].component[HC_ROI], 40);
    assert_near(m.tier[0].component[HC_ADOPTION], 50); /* inherited from the base */
    cr_assert_eq(m.tier[0].green, 80);
    cr_assert_eq(health_model_for(&m, "high"), &m.tier[0]);
    cr_assert_eq(health_model_for(&m, "tech"), &m.base);

    json_t *out = health_model_json(&m); /* what GET returns is a valid PUT */
    struct health_model back;
    cr_assert_eq(health_model_parse(out, &back, field, msg), 0, "%s", msg);
    json_decref(out);
    cr_assert_eq(memcmp(&back, &m, sizeof(m)), 0);
}
