/*
 * The DEAR health score (ヘルススコア): Deployment, Engagement, Adoption, ROI. Pure functions
 * over plain structs (no SQL, no HTTP), so every formula is unit-tested on hand-computed
 * values. docs/health.md states them all.
 *
 * A model gives each component a weight and each measure a weight and a scoring range:
 * the measure's raw value maps linearly onto 0..100 between `worst` (0) and `best` (100),
 * clamped (best may be below worst: fewer days since last seen is better). A component's
 * score is the weighted mean of its measures that have data; the health score is the
 * weighted mean of the components that have data. A measure without data is left out and
 * the remaining weights renormalised, and the explanation says why: never a silent zero.
 * The band is green at or above `green`, red below `red`, yellow between.
 */
#ifndef KZ_HEALTH_H
#define KZ_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum health_component { HC_DEPLOYMENT, HC_ENGAGEMENT, HC_ADOPTION, HC_ROI, HC_COUNT };

enum health_measure {
    HM_MILESTONES_DONE,     /* D: required milestones complete up to the current phase, share */
    HM_ONBOARDING_PACE,     /* D: days in onboarding / its expected days (only in onboarding) */
    HM_NPS,                 /* E: NPS over each contact's latest answer in 365 days */
    HM_DECISION_MAKER_DAYS, /* E: days since the last timeline touch with a decision maker */
    HM_TOUCHES_90D,         /* E: timeline entries in the last 90 days */
    HM_SENTIMENT,           /* E: the CSM's 1-5 rating */
    HM_ACTIVE_USER_SHARE,   /* A: distinct active users in 30 days / seats */
    HM_FEATURE_BREADTH,     /* A: key events used in 30 days / key events configured */
    HM_ACTIVE_USERS_TREND,  /* A: active users in 30 days / in the 30 days before */
    HM_DAYS_SINCE_SEEN,     /* A: days since the account's last tracked event */
    HM_GOAL_ATTAINMENT,     /* R: mean attainment of the success-plan goals */
    HM_COUNT
};

enum health_band { BAND_NONE, BAND_RED, BAND_YELLOW, BAND_GREEN };

struct health_measure_def {
    const char *key;
    enum health_component component;
    const char *unit;        /* what the raw value counts: "share", "days", ... */
    const char *label_en, *label_ja;
};
extern const struct health_measure_def health_measures[HM_COUNT];
extern const char *const health_component_keys[HC_COUNT];
extern const char *const health_component_labels_en[HC_COUNT];
extern const char *const health_component_labels_ja[HC_COUNT];

struct health_scoring {
    double weight;           /* >= 0; 0 leaves the measure out */
    double worst, best;      /* raw values scoring 0 and 100 (worst != best) */
};

struct health_weights {
    double component[HC_COUNT];            /* >= 0, at least one > 0 */
    struct health_scoring measure[HM_COUNT];
    int green;                             /* green when score >= green */
    int red;                               /* red when score < red; 0 <= red <= green <= 100 */
};

#define HEALTH_TIERS 3 /* high, low, tech: indexes of health_tier_keys */
extern const char *const health_tier_keys[HEALTH_TIERS];

struct health_model {
    struct health_weights base;
    bool tier_set[HEALTH_TIERS];
    struct health_weights tier[HEALTH_TIERS]; /* a tier's own model, when tier_set */
    int recompute_minutes;                    /* the scheduler's full recompute period */
};

/* The defaults (docs/health.md). */
void health_model_default(struct health_model *m);
/* The weights that apply to an account of tier ("high", "low", "tech"; NULL = base). */
const struct health_weights *health_model_for(const struct health_model *m, const char *tier);

/* Reads a model from its JSON form; omitted parts keep their defaults (a tier's omitted parts
 * keep the base model's). On a bad document returns -1 and fills field (the JSON path, e.g.
 * "components.adoption.measures.nps.weight") and msg; *m is then unspecified. */
int health_model_parse(json_t *doc, struct health_model *m, char field[static 128],
                       char msg[static 200]);
/* The model's JSON form (a new reference). */
json_t *health_model_json(const struct health_model *m);

/* One account's measures: has[i] false leaves measure i out, with why[i] saying why. */
struct health_inputs {
    bool has[HM_COUNT];
    double value[HM_COUNT];
    const char *why[HM_COUNT]; /* static text, set when !has */
};

/* The facts about one account that the measures are built from (filled by the store). */
struct health_facts {
    int64_t account_id;
    char tier[5];
    int required_total, required_done; /* required milestones up to the current phase */
    bool in_onboarding;
    double phase_days, phase_expected_days;
    int nps_answers, nps_promoters, nps_detractors; /* each contact's latest, 365 days */
    bool has_decision_maker;
    double decision_maker_days;        /* < 0: never touched */
    double account_age_days;
    int touches_90d;
    int sentiment;                     /* 0 = not set */
    int seats;
    bool has_usage;                    /* any tracked activity ever */
    int active_users_30, active_users_prev_30;
    int key_events_total, key_events_used_30;
    double days_since_seen;            /* < 0: never seen */
    int goals;                         /* goals with an attainment */
    double goal_attainment_sum;
};

void health_inputs_from_facts(const struct health_facts *f, struct health_inputs *in);

struct health_result {
    double score;                     /* 0..100; meaningful when has_score */
    bool has_score;
    enum health_band band;            /* BAND_NONE without a score */
    bool component_has[HC_COUNT];
    double component[HC_COUNT];       /* 0..100 */
    double component_share[HC_COUNT]; /* the component's effective weight, 0..1 */
    double sub[HM_COUNT];             /* each measure's sub-score 0..100 (when has) */
    double measure_share[HM_COUNT];   /* effective weight within its component, 0..1 */
    double contribution[HM_COUNT];    /* points of the health score; they sum to score */
};

void health_compute(const struct health_weights *w, const struct health_inputs *in,
                    struct health_result *out);
enum health_band health_band_of(const struct health_weights *w, int score);
const char *health_band_name(enum health_band b); /* "green", "yellow", "red", NULL */

/* The score as stored and shown: rounded half up to an integer. */
int health_score_int(double score);

#endif
