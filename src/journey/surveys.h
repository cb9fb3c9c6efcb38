/*
 * Survey answers and their standard summaries (the relationship part of DEAR's Engagement,
 * and the NPS/CSAT/CES KPIs). Pure functions over score counts: no SQL, no HTTP.
 *
 * Scales: NPS 0-10 ("how likely are you to recommend us"), CSAT 1-5 ("how satisfied are
 * you"), CES 1-7 ("the company made it easy to handle my issue", 7 = strongly agree).
 *
 * Definitions, over the responses selected (each response counted once):
 *   NPS  = % promoters (9-10) - % detractors (0-6), from -100 to +100; passives are 7-8.
 *   CSAT = % of answers 4 or 5 ("satisfied" share), with the mean score (1-5).
 *   CES  = mean score (1-7), with the % of answers 5-7 ("easy" share).
 * Percentages are rounded to one decimal and means to two, half away from zero, computed
 * in integers so that e.g. 2/3 is 66.7 and 1/8 is 12.5 exactly. With no responses the
 * counts are 0 and every figure is unknown (has_value false), never 0.
 */
#ifndef KZ_JOURNEY_SURVEYS_H
#define KZ_JOURNEY_SURVEYS_H

#include <stdbool.h>
#include <stdint.h>

enum survey_type { SURVEY_NPS = 0, SURVEY_CSAT, SURVEY_CES, SURVEY_TYPE_COUNT };

/* The score counts of one survey type: n[score] for score 0..10. */
struct survey_counts {
    int64_t n[11];
};

/* "nps", "csat", "ces". */
const char *survey_type_name(enum survey_type t);
/* 0 and *out set when s names a type, -1 otherwise. */
int survey_type_parse(const char *s, enum survey_type *out);
/* The score range of a type: NPS 0..10, CSAT 1..5, CES 1..7. */
void survey_score_range(enum survey_type t, int *min, int *max);
bool survey_score_valid(enum survey_type t, int64_t score);
/* NPS category of a score: "promoter" (9-10), "passive" (7-8) or "detractor" (0-6). */
const char *survey_nps_category(int64_t score);

struct nps_summary {
    int64_t responses, promoters, passives, detractors;
    bool has_value;
    double nps; /* -100.0 .. 100.0, one decimal */
};
struct csat_summary {
    int64_t responses, satisfied; /* satisfied: 4-5 */
    bool has_value;
    double satisfied_pct; /* 0.0 .. 100.0, one decimal */
    double mean;          /* 1.00 .. 5.00, two decimals */
};
struct ces_summary {
    int64_t responses, easy; /* easy: 5-7 */
    bool has_value;
    double mean;     /* 1.00 .. 7.00, two decimals */
    double easy_pct; /* 0.0 .. 100.0, one decimal */
};

/* Each summarises the counts of its own type (scores outside the type's range are ignored). */
void survey_nps(const struct survey_counts *c, struct nps_summary *out);
void survey_csat(const struct survey_counts *c, struct csat_summary *out);
void survey_ces(const struct survey_counts *c, struct ces_summary *out);

#endif
