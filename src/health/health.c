/*
 * The DEAR health model: defaults, its JSON form, the measures built from an account's facts,
 * and the weighted score with its explanation. See health.h and docs/health.md.
 */
#include "health/health.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const health_component_keys[HC_COUNT] = {
    "deployment", "engagement", "adoption", "roi",
};

const char *const health_tier_keys[HEALTH_TIERS] = { "high", "low", "tech" };

const char *const health_component_labels_en[HC_COUNT] = {
    "Deployment", "Engagement", "Adoption", "ROI",
};
const char *const health_component_labels_ja[HC_COUNT] = {
    "導入完了度", "関係性", "活用度", "費用対効果",
};

const struct health_measure_def health_measures[HM_COUNT] = {
    [HM_MILESTONES_DONE] = { "milestones_done", HC_DEPLOYMENT, "share",
                             "Required milestones complete", "必須マイルストーン達成率" },
    [HM_ONBOARDING_PACE] = { "onboarding_pace", HC_DEPLOYMENT, "ratio",
                             "Time in onboarding vs expected", "導入期の経過（想定期間比）" },
    [HM_NPS] = { "nps", HC_ENGAGEMENT, "nps", "NPS of the contacts", "担当者のNPS" },
    [HM_DECISION_MAKER_DAYS] = { "decision_maker_days", HC_ENGAGEMENT, "days",
                                 "Days since the last touch with a decision maker",
                                 "決裁者との最終接点からの日数" },
    [HM_TOUCHES_90D] = { "touches_90d", HC_ENGAGEMENT, "count", "Touches in 90 days",
                         "90日間の接点数" },
    [HM_SENTIMENT] = { "sentiment", HC_ENGAGEMENT, "rating", "CSM sentiment", "CSMの所感" },
    [HM_ACTIVE_USER_SHARE] = { "active_user_share", HC_ADOPTION, "share",
                               "Active users in 30 days per seat", "アクティブユーザー率（席数比）" },
    [HM_FEATURE_BREADTH] = { "feature_breadth", HC_ADOPTION, "share",
                             "Key features used in 30 days", "主要機能の利用幅" },
    [HM_ACTIVE_USERS_TREND] = { "active_users_trend", HC_ADOPTION, "ratio",
                                "Active users vs the previous 30 days",
                                "アクティブユーザー推移（前30日比）" },
    [HM_DAYS_SINCE_SEEN] = { "days_since_seen", HC_ADOPTION, "days", "Days since last seen",
                             "最終利用からの日数" },
    [HM_GOAL_ATTAINMENT] = { "goal_attainment", HC_ROI, "share", "Success-plan goal attainment",
                             "成功計画の目標達成度" },
};

#define MAX_RECOMPUTE_MINUTES (7 * 24 * 60)

void health_model_default(struct health_model *m)
{
    memset(m, 0, sizeof(*m));
    struct health_weights *w = &m->base;
    w->component[HC_DEPLOYMENT] = 25;
    w->component[HC_ENGAGEMENT] = 25;
    w->component[HC_ADOPTION] = 35;
    w->component[HC_ROI] = 15;
    /*                                          weight  worst   best */
    w->measure[HM_MILESTONES_DONE] = (struct health_scoring){ 3, 0, 1 };
    w->measure[HM_ONBOARDING_PACE] = (struct health_scoring){ 1, 2, 1 };
    w->measure[HM_NPS] = (struct health_scoring){ 2, -100, 100 };
    w->measure[HM_DECISION_MAKER_DAYS] = (struct health_scoring){ 1, 180, 30 };
    w->measure[HM_TOUCHES_90D] = (struct health_scoring){ 1, 0, 6 };
    w->measure[HM_SENTIMENT] = (struct health_scoring){ 2, 1, 5 };
    w->measure[HM_ACTIVE_USER_SHARE] = (struct health_scoring){ 2, 0, 0.8 };
    w->measure[HM_FEATURE_BREADTH] = (struct health_scoring){ 1, 0, 1 };
    w->measure[HM_ACTIVE_USERS_TREND] = (struct health_scoring){ 1, 0.5, 1 };
    w->measure[HM_DAYS_SINCE_SEEN] = (struct health_scoring){ 1, 30, 1 };
    w->measure[HM_GOAL_ATTAINMENT] = (struct health_scoring){ 1, 0, 1 };
    w->green = 70;
    w->red = 40;
    m->recompute_minutes = 15;
}

const struct health_weights *health_model_for(const struct health_model *m, const char *tier)
{
    for (int t = 0; tier && t < HEALTH_TIERS; t++)
        if (m->tier_set[t] && strcmp(tier, health_tier_keys[t]) == 0)
            return &m->tier[t];
    return &m->base;
}

/* ------------------------------------------------------------ JSON form */

static int fail(char *field, char *msg, const char *path, const char *what)
{
    snprintf(field, 128, "%s", path);
    if (snprintf(msg, 200, "'%s' %s", path, what) >= 200)
        msg[199] = '\0'; /* a long path shortens the message; the field stays exact */
    return -1;
}

/* path + "." + key (just key at the top level), cut at 127 bytes. */
static void join(char out[static 128], const char *path, const char *key)
{
    if (snprintf(out, 128, "%s%s%.60s", path, *path ? "." : "", key) >= 128)
        out[127] = '\0';
}

/* A finite number at obj[key] into *out (absent: unchanged). */
static int get_number(json_t *obj, const char *key, const char *path, double min, double max,
                      double *out, char *field, char *msg)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    char p[128];
    join(p, path, key);
    if (!json_is_number(v))
        return fail(field, msg, p, "must be a number");
    double d = json_number_value(v);
    if (!isfinite(d) || d < min || d > max) {
        char what[96];
        snprintf(what, sizeof(what), "must be between %g and %g", min, max);
        return fail(field, msg, p, what);
    }
    *out = d;
    return 0;
}

/* Refuses a key of obj not in known (NULL-terminated). */
static int only_known(json_t *obj, const char *path, const char *const *known, char *field,
                      char *msg)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            char p[128];
            join(p, path, key);
            return fail(field, msg, p, "is not a known field");
        }
    }
    return 0;
}

static int parse_measure(json_t *obj, const char *path, struct health_scoring *s, char *field,
                         char *msg)
{
    static const char *const known[] = { "weight", "worst", "best", NULL };
    if (!json_is_object(obj))
        return fail(field, msg, path, "must be an object {weight, worst, best}");
    if (only_known(obj, path, known, field, msg) ||
        get_number(obj, "weight", path, 0, 1000, &s->weight, field, msg) ||
        get_number(obj, "worst", path, -1e9, 1e9, &s->worst, field, msg) ||
        get_number(obj, "best", path, -1e9, 1e9, &s->best, field, msg))
        return -1;
    if (s->worst == s->best) {
        char p[128];
        join(p, path, "best");
        return fail(field, msg, p, "must differ from 'worst'");
    }
    return 0;
}

static int parse_component(json_t *obj, const char *path, enum health_component c,
                           struct health_weights *w, char *field, char *msg)
{
    static const char *const known[] = { "weight", "measures", NULL };
    if (!json_is_object(obj))
        return fail(field, msg, path, "must be an object {weight, measures}");
    if (only_known(obj, path, known, field, msg) ||
        get_number(obj, "weight", path, 0, 1000, &w->component[c], field, msg))
        return -1;
    json_t *ms = json_object_get(obj, "measures");
    if (!ms)
        return 0;
    char p[128];
    join(p, path, "measures");
    if (!json_is_object(ms))
        return fail(field, msg, p, "must be an object keyed by measure");
    const char *key;
    json_t *v;
    json_object_foreach(ms, key, v) {
        char mp[128];
        join(mp, p, key);
        int found = -1;
        for (int i = 0; i < HM_COUNT && found < 0; i++)
            if (strcmp(health_measures[i].key, key) == 0)
                found = i;
        if (found < 0)
            return fail(field, msg, mp, "is not a known measure");
        if (health_measures[found].component != c)
            return fail(field, msg, mp, "belongs to another component");
        if (parse_measure(v, mp, &w->measure[found], field, msg))
            return -1;
    }
    return 0;
}

/* The weights part of a model document (base or a tier), applied over *w. */
static int parse_weights(json_t *doc, const char *path, struct health_weights *w, char *field,
                         char *msg)
{
    char p[128];
    json_t *bands = json_object_get(doc, "bands");
    if (bands) {
        static const char *const known[] = { "green", "red", NULL };
        join(p, path, "bands");
        if (!json_is_object(bands))
            return fail(field, msg, p, "must be an object {green, red}");
        double green = w->green, red = w->red;
        if (only_known(bands, p, known, field, msg) ||
            get_number(bands, "green", p, 0, 100, &green, field, msg) ||
            get_number(bands, "red", p, 0, 100, &red, field, msg))
            return -1;
        if (green != floor(green) || red != floor(red))
            return fail(field, msg, p, "thresholds must be whole numbers");
        if (red > green) {
            join(p, path, "bands.red");
            return fail(field, msg, p, "must not be above 'green' (red < yellow < green)");
        }
        w->green = (int)green;
        w->red = (int)red;
    }
    json_t *comps = json_object_get(doc, "components");
    if (comps) {
        join(p, path, "components");
        if (!json_is_object(comps))
            return fail(field, msg, p, "must be an object keyed by component");
        const char *key;
        json_t *v;
        json_object_foreach(comps, key, v) {
            char cp[128];
            join(cp, p, key);
            int c = -1;
            for (int i = 0; i < HC_COUNT && c < 0; i++)
                if (strcmp(health_component_keys[i], key) == 0)
                    c = i;
            if (c < 0)
                return fail(field, msg, cp, "is not a component (deployment, engagement, "
                                            "adoption, roi)");
            if (parse_component(v, cp, (enum health_component)c, w, field, msg))
                return -1;
        }
    }
    double total = 0;
    for (int c = 0; c < HC_COUNT; c++)
        total += w->component[c];
    if (total <= 0) {
        join(p, path, "components");
        return fail(field, msg, p, "must give at least one component a weight above 0");
    }
    return 0;
}

int health_model_parse(json_t *doc, struct health_model *m, char field[static 128],
                       char msg[static 200])
{
    static const char *const known[] = { "bands", "components", "tiers", "recompute_minutes",
                                         NULL };
    static const char *const tier_known[] = { "bands", "components", NULL };
    health_model_default(m);
    if (!json_is_object(doc))
        return fail(field, msg, "body", "must be a JSON object");
    if (only_known(doc, "", known, field, msg) || parse_weights(doc, "", &m->base, field, msg))
        return -1;
    double minutes = m->recompute_minutes;
    if (get_number(doc, "recompute_minutes", "", 1, MAX_RECOMPUTE_MINUTES, &minutes, field, msg))
        return -1;
    if (minutes != floor(minutes))
        return fail(field, msg, "recompute_minutes", "must be a whole number of minutes");
    m->recompute_minutes = (int)minutes;
    json_t *tiers = json_object_get(doc, "tiers");
    if (!tiers || json_is_null(tiers))
        return 0;
    if (!json_is_object(tiers))
        return fail(field, msg, "tiers", "must be an object keyed by tier (high, low, tech)");
    const char *key;
    json_t *v;
    json_object_foreach(tiers, key, v) {
        char tp[128];
        join(tp, "tiers", key);
        int t = -1;
        for (int i = 0; i < HEALTH_TIERS && t < 0; i++)
            if (strcmp(health_tier_keys[i], key) == 0)
                t = i;
        if (t < 0)
            return fail(field, msg, tp, "is not a tier (high, low, tech)");
        if (!json_is_object(v))
            return fail(field, msg, tp, "must be an object {bands, components}");
        m->tier[t] = m->base;
        m->tier_set[t] = true;
        if (only_known(v, tp, tier_known, field, msg) ||
            parse_weights(v, tp, &m->tier[t], field, msg))
            return -1;
    }
    return 0;
}

static json_t *weights_json(const struct health_weights *w)
{
    json_t *comps = json_object();
    for (int c = 0; c < HC_COUNT; c++) {
        json_t *ms = json_object();
        for (int i = 0; i < HM_COUNT; i++) {
            if (health_measures[i].component != (enum health_component)c)
                continue;
            const struct health_scoring *s = &w->measure[i];
            json_object_set_new(ms, health_measures[i].key,
                                json_pack("{s:f, s:f, s:f}", "weight", s->weight, "worst",
                                          s->worst, "best", s->best));
        }
        json_object_set_new(comps, health_component_keys[c],
                            json_pack("{s:f, s:o}", "weight", w->component[c], "measures", ms));
    }
    return json_pack("{s:{s:i, s:i}, s:o}", "bands", "green", w->green, "red", w->red,
                     "components", comps);
}

json_t *health_model_json(const struct health_model *m)
{
    json_t *o = weights_json(&m->base);
    json_t *tiers = json_object();
    for (int t = 0; t < HEALTH_TIERS; t++)
        if (m->tier_set[t])
            json_object_set_new(tiers, health_tier_keys[t], weights_json(&m->tier[t]));
    json_object_set_new(o, "tiers", tiers);
    json_object_set_new(o, "recompute_minutes", json_integer(m->recompute_minutes));
    return o;
}

/* ------------------------------------------------------------ measures and score */

static void set(struct health_inputs *in, enum health_measure i, double v)
{
    in->has[i] = true;
    in->value[i] = v;
    in->why[i] = NULL;
}

static void unset(struct health_inputs *in, enum health_measure i, const char *why)
{
    in->has[i] = false;
    in->value[i] = 0;
    in->why[i] = why;
}

void health_inputs_from_facts(const struct health_facts *f, struct health_inputs *in)
{
    memset(in, 0, sizeof(*in));
    if (f->required_total > 0)
        set(in, HM_MILESTONES_DONE, (double)f->required_done / f->required_total);
    else
        unset(in, HM_MILESTONES_DONE, "no required milestones up to the current phase");

    if (!f->in_onboarding)
        unset(in, HM_ONBOARDING_PACE, "not in onboarding");
    else if (f->phase_expected_days <= 0)
        unset(in, HM_ONBOARDING_PACE, "onboarding has no expected duration");
    else
        set(in, HM_ONBOARDING_PACE, f->phase_days / f->phase_expected_days);

    if (f->nps_answers > 0)
        set(in, HM_NPS, 100.0 * (f->nps_promoters - f->nps_detractors) / f->nps_answers);
    else
        unset(in, HM_NPS, "no NPS answer from the account's contacts in 365 days");

    if (!f->has_decision_maker)
        unset(in, HM_DECISION_MAKER_DAYS, "no decision maker among the contacts");
    else if (f->decision_maker_days < 0) /* never touched: as long as the account exists */
        set(in, HM_DECISION_MAKER_DAYS, f->account_age_days);
    else
        set(in, HM_DECISION_MAKER_DAYS, f->decision_maker_days);

    set(in, HM_TOUCHES_90D, f->touches_90d);

    if (f->sentiment >= 1 && f->sentiment <= 5)
        set(in, HM_SENTIMENT, f->sentiment);
    else
        unset(in, HM_SENTIMENT, "no CSM sentiment set");

    if (!f->has_usage)
        unset(in, HM_ACTIVE_USER_SHARE, "no product usage tracked");
    else if (f->seats <= 0)
        unset(in, HM_ACTIVE_USER_SHARE, "no seats in the subscription");
    else
        set(in, HM_ACTIVE_USER_SHARE, (double)f->active_users_30 / f->seats);

    if (f->key_events_total <= 0)
        unset(in, HM_FEATURE_BREADTH, "no key events configured");
    else if (!f->has_usage)
        unset(in, HM_FEATURE_BREADTH, "no product usage tracked");
    else
        set(in, HM_FEATURE_BREADTH, (double)f->key_events_used_30 / f->key_events_total);

    if (!f->has_usage)
        unset(in, HM_ACTIVE_USERS_TREND, "no product usage tracked");
    else if (f->active_users_prev_30 <= 0)
        unset(in, HM_ACTIVE_USERS_TREND, "no active users in the previous 30 days to compare");
    else
        set(in, HM_ACTIVE_USERS_TREND, (double)f->active_users_30 / f->active_users_prev_30);

    if (f->days_since_seen < 0)
        unset(in, HM_DAYS_SINCE_SEEN, "no product usage tracked");
    else
        set(in, HM_DAYS_SINCE_SEEN, f->days_since_seen);

    if (f->goals > 0)
        set(in, HM_GOAL_ATTAINMENT, f->goal_attainment_sum / f->goals);
    else
        unset(in, HM_GOAL_ATTAINMENT, "no success-plan goal with a measured value");
}

static double sub_score(const struct health_scoring *s, double v)
{
    double x = (v - s->worst) / (s->best - s->worst);
    if (x < 0)
        x = 0;
    if (x > 1)
        x = 1;
    return 100 * x;
}

void health_compute(const struct health_weights *w, const struct health_inputs *in,
                    struct health_result *out)
{
    memset(out, 0, sizeof(*out));
    double msum[HC_COUNT] = { 0 };
    for (int i = 0; i < HM_COUNT; i++) {
        if (!in->has[i])
            continue;
        out->sub[i] = sub_score(&w->measure[i], in->value[i]);
        enum health_component c = health_measures[i].component;
        msum[c] += w->measure[i].weight;
        out->component[c] += w->measure[i].weight * out->sub[i];
    }
    double csum = 0;
    for (int c = 0; c < HC_COUNT; c++) {
        out->component_has[c] = msum[c] > 0;
        if (out->component_has[c]) {
            out->component[c] /= msum[c];
            csum += w->component[c];
        }
    }
    if (csum <= 0)
        return; /* no weighted component has data: no score, and has_score says so */
    for (int c = 0; c < HC_COUNT; c++) {
        if (!out->component_has[c])
            continue;
        out->component_share[c] = w->component[c] / csum;
        out->score += out->component_share[c] * out->component[c];
    }
    for (int i = 0; i < HM_COUNT; i++) {
        enum health_component c = health_measures[i].component;
        if (!in->has[i] || msum[c] <= 0)
            continue;
        out->measure_share[i] = w->measure[i].weight / msum[c];
        out->contribution[i] = out->component_share[c] * out->measure_share[i] * out->sub[i];
    }
    out->has_score = true;
    out->band = health_band_of(w, health_score_int(out->score));
}

int health_score_int(double score)
{
    return (int)floor(score + 0.5);
}

enum health_band health_band_of(const struct health_weights *w, int score)
{
    if (score >= w->green)
        return BAND_GREEN;
    if (score < w->red)
        return BAND_RED;
    return BAND_YELLOW;
}

const char *health_band_name(enum health_band b)
{
    switch (b) {
    case BAND_GREEN:
        return "green";
    case BAND_YELLOW:
        return "yellow";
    case BAND_RED:
        return "red";
    case BAND_NONE:
        break;
    }
    return NULL;
}
