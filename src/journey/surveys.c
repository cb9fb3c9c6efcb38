/*
 * Survey scales and the NPS / CSAT / CES formulas (definitions in surveys.h). Rounding is
 * done on integers (round_ratio) so the figures match a hand computation exactly.
 */
#include "journey/surveys.h"

#include <stddef.h>
#include <string.h>

static const char *const type_names[SURVEY_TYPE_COUNT] = { "nps", "csat", "ces" };
static const int range_min[SURVEY_TYPE_COUNT] = { 0, 1, 1 };
static const int range_max[SURVEY_TYPE_COUNT] = { 10, 5, 7 };

const char *survey_type_name(enum survey_type t)
{
    return (unsigned)t < SURVEY_TYPE_COUNT ? type_names[t] : "unknown";
}

int survey_type_parse(const char *s, enum survey_type *out)
{
    for (int t = 0; s && t < SURVEY_TYPE_COUNT; t++) {
        if (strcmp(s, type_names[t]) == 0) {
            *out = (enum survey_type)t;
            return 0;
        }
    }
    return -1;
}

void survey_score_range(enum survey_type t, int *min, int *max)
{
    *min = range_min[t];
    *max = range_max[t];
}

bool survey_score_valid(enum survey_type t, int64_t score)
{
    return (unsigned)t < SURVEY_TYPE_COUNT && score >= range_min[t] && score <= range_max[t];
}

const char *survey_nps_category(int64_t score)
{
    return score >= 9 ? "promoter" : score >= 7 ? "passive" : "detractor";
}

/* num / den rounded half away from zero to `scale` decimal places: the result is
 * round(num * 10^scale / den) / 10^scale, computed in integers (den > 0). */
static double round_ratio(int64_t num, int64_t den, int scale)
{
    int64_t mul = scale == 1 ? 10 : 100;
    int64_t x = num * mul;
    int64_t q = x / den, r = x % den;
    if (r < 0)
        r = -r;
    if (2 * r >= den)
        q += x < 0 ? -1 : 1;
    return (double)q / (double)mul;
}

/* Sum of counts over [lo, hi] and the sum of score * count over the same scores. */
static void tally(const struct survey_counts *c, int lo, int hi, int64_t *n, int64_t *sum)
{
    *n = 0;
    *sum = 0;
    for (int s = lo; s <= hi; s++) {
        *n += c->n[s];
        *sum += c->n[s] * s;
    }
}

void survey_nps(const struct survey_counts *c, struct nps_summary *out)
{
    int64_t sum;
    memset(out, 0, sizeof(*out));
    tally(c, 0, 10, &out->responses, &sum);
    tally(c, 9, 10, &out->promoters, &sum);
    tally(c, 7, 8, &out->passives, &sum);
    tally(c, 0, 6, &out->detractors, &sum);
    if (out->responses > 0) {
        out->has_value = true;
        out->nps = round_ratio(100 * (out->promoters - out->detractors), out->responses, 1);
    }
}

void survey_csat(const struct survey_counts *c, struct csat_summary *out)
{
    int64_t sum, unused;
    memset(out, 0, sizeof(*out));
    tally(c, 1, 5, &out->responses, &sum);
    tally(c, 4, 5, &out->satisfied, &unused);
    if (out->responses > 0) {
        out->has_value = true;
        out->satisfied_pct = round_ratio(100 * out->satisfied, out->responses, 1);
        out->mean = round_ratio(sum, out->responses, 2);
    }
}

void survey_ces(const struct survey_counts *c, struct ces_summary *out)
{
    int64_t sum, unused;
    memset(out, 0, sizeof(*out));
    tally(c, 1, 7, &out->responses, &sum);
    tally(c, 5, 7, &out->easy, &unused);
    if (out->responses > 0) {
        out->has_value = true;
        out->mean = round_ratio(sum, out->responses, 2);
        out->easy_pct = round_ratio(100 * out->easy, out->responses, 1);
    }
}
