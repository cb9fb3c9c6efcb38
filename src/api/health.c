/*
 * Health (ヘルススコア): /api/v1/settings/health-model (the DEAR model: weights, scoring
 * ranges, bands, per-tier models), /api/v1/accounts/{id}/health (the score now with the
 * explanation: each component and measure with its raw input, sub-score, weight and
 * contribution), .../health/history (daily snapshots) and /api/v1/health/recompute.
 */
#include "api/api.h"
#include "store/usage.h"
#include "api/fields.h"
#include "health/engine.h"
#include "journey/journey.h"
#include "sched/sched.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_MAX_DAYS 1096 /* three years a request */

int api_settings_health_model_get(struct req *r)
{
    struct health_model m;
    int rc = health_model_load(store_get(), &m);
    if (rc)
        return reply_rc(r, rc, "health model");
    return reply_json(r, 200, health_model_json(&m));
}

/* The model in the request's body into *m; nonzero when the request was answered (a 400
 * naming the field). */
static int model_from_body(struct req *r, struct health_model *m)
{
    json_t *body = req_json(r);
    if (!body)
        return 1;
    char field[128], msg[200];
    if (health_model_parse(body, m, field, msg)) {
        reply_field_error(r, field, "%s", msg);
        return 1;
    }
    return 0;
}

int api_settings_health_model_put(struct req *r)
{
    struct health_model m;
    if (model_from_body(r, &m))
        return 0;
    json_t *doc = health_model_json(&m);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    int rc = store_setting_put(store_get(), HEALTH_MODEL_SETTING, text);
    free(text);
    if (rc)
        return reply_rc(r, rc, "health model");
    sched_request_full();
    return reply_json(r, 200, health_model_json(&m));
}

static json_t *bands_json(const size_t count[4])
{
    return json_pack("{s:I, s:I, s:I, s:I}", "green", (json_int_t)count[BAND_GREEN], "yellow",
                     (json_int_t)count[BAND_YELLOW], "red", (json_int_t)count[BAND_RED], "none",
                     (json_int_t)count[BAND_NONE]);
}

static json_t *band_or_null(enum health_band b)
{
    return b == BAND_NONE ? json_null() : json_string(health_band_name(b));
}

static json_t *score_or_null(int score)
{
    return score < 0 ? json_null() : json_integer(score);
}

/* POST /settings/health-model/preview: the model of a PUT, scored against every account's
 * current facts next to the saved model, saving nothing. */
int api_settings_health_model_preview(struct req *r)
{
    struct health_model m;
    if (model_from_body(r, &m))
        return 0;
    store_usage_visible();
    struct health_preview *p = xmalloc(sizeof(*p));
    int rc = health_preview(store_get(), &m, p);
    if (rc) {
        free(p);
        return reply_rc(r, rc, "health model");
    }
    json_t *moves = json_array();
    for (int f = 0; f < 4; f++)
        for (int t = 0; t < 4; t++)
            if (f != t && p->moves[f][t])
                json_array_append_new(moves, json_pack("{s:o, s:o, s:I}", "from", band_or_null(f),
                                                       "to", band_or_null(t), "accounts",
                                                       (json_int_t)p->moves[f][t]));
    json_t *examples = json_array();
    for (size_t i = 0; i < p->nexamples; i++) {
        const struct health_preview_example *e = &p->examples[i];
        struct account a;
        account_init(&a);
        json_t *name = store_account_get(store_get(), e->account_id, &a) == KZ_OK
                           ? json_string(a.name) : json_null();
        account_cleanup(&a);
        json_array_append_new(examples, json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}",
                                                  "account_id", (json_int_t)e->account_id,
                                                  "name", name, "from_score",
                                                  score_or_null(e->from_score), "to_score",
                                                  score_or_null(e->to_score), "from_band",
                                                  band_or_null(e->from_band), "to_band",
                                                  band_or_null(e->to_band)));
    }
    json_t *out = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "accounts", (json_int_t)p->accounts,
                            "changed", (json_int_t)p->changed, "current", bands_json(p->current),
                            "proposed", bands_json(p->proposed), "moves", moves, "examples",
                            examples);
    free(p);
    return reply_json(r, 200, out);
}

int api_health_recompute(struct req *r)
{
    static const char *const none[] = { NULL };
    if (r->body.len) { /* nothing, or {} */
        json_t *body = req_json(r);
        if (!body || fields_known(r, body, none))
            return 0;
    }
    double t0 = now_ms();
    size_t n = 0;
    /* Every event acknowledged so far counted, then as the scheduler does: journeys first
     * (milestones count in the Deployment component). */
    store_usage_visible();
    int rc = journey_evaluate_all(store_get());
    if (!rc)
        rc = health_recompute(store_get(), 0, &n);
    if (rc)
        return reply_rc(r, rc, "health");
    return reply_json(r, 200, json_pack("{s:I, s:I}", "accounts", (json_int_t)n, "duration_ms",
                                        (json_int_t)llround(now_ms() - t0)));
}

/* ------------------------------------------------------------ one account */

static double round1(double x)
{
    return round(x * 10) / 10;
}

static json_t *measure_json(const struct health_explanation *e, int i)
{
    const struct health_measure_def *d = &health_measures[i];
    const struct health_scoring *s = &e->weights->measure[i];
    bool has = e->inputs.has[i];
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:f, s:{s:f, s:f}}", "key", d->key,
                          "label_en", d->label_en, "label_ja", d->label_ja, "unit", d->unit,
                          "has_data", has, "weight", s->weight, "range", "worst", s->worst,
                          "best", s->best);
    if (has) {
        json_object_set_new(o, "value", json_real(round(e->inputs.value[i] * 1000) / 1000));
        json_object_set_new(o, "sub_score", json_real(round1(e->result.sub[i])));
        json_object_set_new(o, "effective_weight",
                            json_real(round(e->result.measure_share[i] * 1000) / 1000));
        json_object_set_new(o, "contribution", json_real(round1(e->result.contribution[i])));
        json_object_set_new(o, "missing_reason", json_null());
    } else {
        json_object_set_new(o, "value", json_null());
        json_object_set_new(o, "sub_score", json_null());
        json_object_set_new(o, "effective_weight", json_real(0));
        json_object_set_new(o, "contribution", json_real(0));
        json_object_set_new(o, "missing_reason", json_string(e->inputs.why[i]));
    }
    return o;
}

static json_t *components_json(const struct health_explanation *e, bool *renormalised)
{
    json_t *a = json_array();
    for (int c = 0; c < HC_COUNT; c++) {
        json_t *ms = json_array();
        double contribution = 0;
        for (int i = 0; i < HM_COUNT; i++) {
            if (health_measures[i].component != (enum health_component)c)
                continue;
            json_array_append_new(ms, measure_json(e, i));
            contribution += e->result.contribution[i];
            if (!e->inputs.has[i] && e->weights->measure[i].weight > 0)
                *renormalised = true;
        }
        bool has = e->result.component_has[c];
        if (!has && e->weights->component[c] > 0)
            *renormalised = true;
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:b, s:o, s:f, s:f, s:f, s:o}", "key",
                         health_component_keys[c], "label_en", health_component_labels_en[c],
                         "label_ja", health_component_labels_ja[c], "has_data", has, "score",
                         has ? json_real(round1(e->result.component[c])) : json_null(),
                         "weight", e->weights->component[c], "effective_weight",
                         round(e->result.component_share[c] * 1000) / 1000, "contribution",
                         round1(contribution), "measures", ms));
    }
    return a;
}

/* The snapshot score of `day` from h[0..n), or -1. */
static int score_on(const struct health_snapshot *h, size_t n, const char *day)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].day, day) == 0)
            return h[i].row.score;
    return -1;
}

int api_account_health_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (!id)
        return reply_problem(r, 404, "account not found");
    if (api_account_readable(r, id))
        return 0;
    struct store *st = store_get();
    struct health_env env;
    int rc = health_env_load(st, now_unix(), &env);
    if (rc)
        return reply_rc(r, rc, "health");
    struct health_explanation e;
    rc = health_explain(st, &env, id, &e);
    if (rc) {
        health_env_cleanup(&env);
        return reply_rc(r, rc, "account");
    }
    int64_t today = env.ctx.now / 86400;
    char d0[11], d7[11], d30[11];
    date_from_days(today, d0);
    date_from_days(today - 7, d7);
    date_from_days(today - 30, d30);
    struct health_snapshot *h = NULL;
    size_t n = 0;
    rc = store_health_history(st, id, d30, d0, &h, &n);
    if (rc) {
        health_env_cleanup(&env);
        return reply_rc(r, rc, "health history");
    }
    bool renormalised = false;
    int score = e.result.has_score ? health_score_int(e.result.score) : -1;
    int s7 = score_on(h, n, d7), s30 = score_on(h, n, d30);
    char now[21];
    time_format(env.ctx.now, now);
    json_t *o = json_object();
    json_object_set_new(o, "account_id", json_integer(id));
    json_object_set_new(o, "computed_at", json_string(now));
    json_object_set_new(o, "score", json_i64_or_null(score, -1));
    json_object_set_new(o, "band", json_str_or_null(health_band_name(e.result.band)));
    json_object_set_new(o, "model", json_string(e.weights == &env.model.base ? "base" : e.facts.tier));
    json_object_set_new(o, "bands", json_pack("{s:i, s:i}", "green", e.weights->green, "red",
                                              e.weights->red));
    json_object_set_new(o, "components", components_json(&e, &renormalised));
    json_object_set_new(o, "renormalised", json_boolean(renormalised));
    json_object_set_new(o, "change_7d",
                        score >= 0 && s7 >= 0 ? json_integer(score - s7) : json_null());
    json_object_set_new(o, "change_30d",
                        score >= 0 && s30 >= 0 ? json_integer(score - s30) : json_null());
    free(h);
    health_env_cleanup(&env);
    return reply_json(r, 200, o);
}

int api_account_health_history(struct req *r)
{
    static const char *const known[] = { "from", "to", NULL };
    int64_t id = req_param_id(r, 0);
    if (!id)
        return reply_problem(r, 404, "account not found");
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    char from[11], to[11];
    date_today(to);
    const char *qt = req_query(r, "to"), *qf = req_query(r, "from");
    if (qt) {
        if (date_valid(qt))
            return reply_field_error(r, "to", "'to' must be a date YYYY-MM-DD");
        memcpy(to, qt, 11);
    }
    date_from_days(date_to_days(to) - 89, from);
    if (qf) {
        if (date_valid(qf))
            return reply_field_error(r, "from", "'from' must be a date YYYY-MM-DD");
        memcpy(from, qf, 11);
    }
    if (strcmp(from, to) > 0)
        return reply_field_error(r, "from", "'from' must not be after 'to'");
    if (date_to_days(to) - date_to_days(from) >= HISTORY_MAX_DAYS)
        return reply_field_error(r, "from", "at most %d days a request", HISTORY_MAX_DAYS);
    if (api_account_readable(r, id))
        return 0;
    struct health_snapshot *h = NULL;
    size_t n = 0;
    int rc = store_health_history(store_get(), id, from, to, &h, &n);
    if (rc)
        return reply_rc(r, rc, "health history");
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:o, s:o}", "day", h[i].day, "score",
                              json_i64_or_null(h[i].row.score, -1), "band",
                              json_str_or_null(health_band_name(h[i].row.band)));
        for (int c = 0; c < HC_COUNT; c++)
            json_object_set_new(o, health_component_keys[c],
                                json_i64_or_null(h[i].row.component[c], -1));
        json_array_append_new(data, o);
    }
    free(h);
    return reply_json(r, 200, json_pack("{s:s, s:s, s:o}", "from", from, "to", to, "data", data));
}
