/*
 * The health engine (see engine.h): settings in, facts from the store, scores out.
 */
#include "health/engine.h"

#include <stdlib.h>
#include <string.h>

#include "ingest/key_events.h"
#include "journey/phase.h"
#include "kizuna.h"
#include "util/util.h"

int health_model_load(struct store *st, struct health_model *m)
{
    char *text = NULL;
    int rc = store_setting_get(st, HEALTH_MODEL_SETTING, &text);
    if (rc == KZ_ENOTFOUND) {
        health_model_default(m);
        return KZ_OK;
    }
    if (rc)
        return rc;
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    char field[128], msg[200];
    rc = health_model_parse(doc, m, field, msg);
    json_decref(doc);
    if (rc) { /* only valid models are saved; a damaged row falls back to the defaults */
        log_warn("health: saved model unreadable (%s): using the defaults", msg);
        health_model_default(m);
    }
    return KZ_OK;
}

/* The lifecycle as the health measures need it: each phase with its expected days and the
 * required milestones of it and of every phase before it (for the terminal phase, of every
 * phase: it has none of its own), as journey_required_progress counts them. */
static int load_phases(struct store *st, struct health_env *env)
{
    int rc = journey_lifecycle_load(st, &env->lifecycle);
    if (rc)
        return rc;
    const struct lifecycle *lc = &env->lifecycle;
    const struct lc_phase *first = lifecycle_first(lc);
    size_t nm = 0;
    for (size_t i = 0; i < lc->nphases; i++)
        nm += lc->phases[i].nms;
    env->phases = xcalloc(lc->nphases ? lc->nphases : 1, sizeof(*env->phases));
    env->names = xcalloc(nm ? nm : 1, sizeof(*env->names));
    size_t nreq = 0;
    for (size_t i = 0; i < lc->nphases; i++) {
        const struct lc_phase *p = &lc->phases[i];
        for (size_t j = 0; j < p->nms; j++)
            if (p->ms[j].required)
                env->names[nreq++] = p->ms[j].key;
        env->phases[i] = (struct health_phase){
            .key = p->key,
            .expected_days = (double)p->expected_days, /* -1: none */
            .onboarding = p == first,
            .required = env->names,
            .nrequired = nreq,
        };
    }
    env->ctx.phases = env->phases;
    env->ctx.nphases = lc->nphases;
    return KZ_OK;
}

static int load_key_events(struct store *st, struct health_env *env)
{
    int rc = key_events_load(st, &env->key_events);
    if (rc)
        return rc;
    size_t n;
    const char **names = key_events_names(env->key_events, &n);
    for (size_t i = 0; i < n; i++) /* keep the named ones, in place */
        if (names[i])
            names[env->ctx.nkey_events++] = names[i];
    env->ctx.key_events = names;
    return KZ_OK;
}

int health_env_load(struct store *st, int64_t now, struct health_env *env)
{
    memset(env, 0, sizeof(*env));
    env->ctx.now = now;
    int rc = health_model_load(st, &env->model);
    if (!rc)
        rc = load_phases(st, env);
    if (!rc)
        rc = load_key_events(st, env);
    if (rc)
        health_env_cleanup(env);
    return rc;
}

void health_env_cleanup(struct health_env *env)
{
    free(env->phases);
    free(env->names);
    free((void *)env->ctx.key_events);
    lifecycle_cleanup(&env->lifecycle);
    json_decref(env->key_events);
    memset(env, 0, sizeof(*env));
}

static int component_int(const struct health_result *r, int c)
{
    return r->component_has[c] ? health_score_int(r->component[c]) : -1;
}

/* The environment now and the facts of every account (0) or one, the windows brought up to
 * date first. On success the caller frees *facts and cleans env up. */
static int load_facts(struct store *st, int64_t account_id, struct health_env *env,
                      struct health_facts **facts, size_t *n)
{
    *facts = NULL;
    *n = 0;
    int rc = health_env_load(st, now_unix(), env);
    if (rc)
        return rc;
    /* Saved windows for the next full pass (one account's facts read its rollups anyway). */
    rc = store_health_windows_refresh(st, &env->ctx, account_id, NULL);
    if (!rc)
        rc = store_health_facts(st, &env->ctx, account_id, facts, n);
    if (rc) {
        free(*facts);
        *facts = NULL;
        health_env_cleanup(env);
    }
    return rc;
}

int health_recompute(struct store *st, int64_t account_id, size_t *count)
{
    struct health_env env;
    struct health_facts *facts;
    size_t n;
    int rc = load_facts(st, account_id, &env, &facts, &n);
    if (rc)
        return rc;
    struct health_row *rows = xcalloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        struct health_inputs in;
        struct health_result res;
        health_inputs_from_facts(&facts[i], &in);
        health_compute(health_model_for(&env.model, facts[i].tier), &in, &res);
        rows[i].account_id = facts[i].account_id;
        rows[i].score = res.has_score ? health_score_int(res.score) : -1;
        rows[i].band = res.band;
        for (int c = 0; c < HC_COUNT; c++)
            rows[i].component[c] = component_int(&res, c);
    }
    char day[11];
    date_from_days(env.ctx.now / 86400, day);
    rc = store_health_save(st, day, rows, n);
    if (!rc && count)
        *count = n;
    free(rows);
    free(facts);
    health_env_cleanup(&env);
    return rc;
}

int health_explain(struct store *st, const struct health_env *env, int64_t account_id,
                   struct health_explanation *out)
{
    struct health_facts *facts = NULL;
    size_t n = 0;
    int rc = store_health_facts(st, &env->ctx, account_id, &facts, &n);
    if (rc)
        return rc;
    out->facts = facts[0];
    free(facts);
    out->weights = health_model_for(&env->model, out->facts.tier);
    health_inputs_from_facts(&out->facts, &out->inputs);
    health_compute(out->weights, &out->inputs, &out->result);
    return KZ_OK;
}

/* Orders examples: a band change first, then the larger score move. */
static int example_cmp(const void *a, const void *b)
{
    const struct health_preview_example *x = a, *y = b;
    bool cx = x->from_band != x->to_band, cy = y->from_band != y->to_band;
    if (cx != cy)
        return cx ? -1 : 1;
    int dx = abs(x->to_score - x->from_score), dy = abs(y->to_score - y->from_score);
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return x->account_id < y->account_id ? -1 : x->account_id > y->account_id;
}

static int score_int(const struct health_result *r)
{
    return r->has_score ? health_score_int(r->score) : -1;
}

int health_preview(struct store *st, const struct health_model *proposed,
                   struct health_preview *out)
{
    memset(out, 0, sizeof(*out));
    struct health_env env;
    struct health_facts *facts;
    size_t n;
    int rc = load_facts(st, 0, &env, &facts, &n);
    if (rc)
        return rc;
    /* The examples: a bounded set kept sorted, the weakest replaced. */
    for (size_t i = 0; i < n; i++) {
        struct health_inputs in;
        struct health_result now, then;
        health_inputs_from_facts(&facts[i], &in);
        health_compute(health_model_for(&env.model, facts[i].tier), &in, &now);
        health_compute(health_model_for(proposed, facts[i].tier), &in, &then);
        out->current[now.band]++;
        out->proposed[then.band]++;
        out->moves[now.band][then.band]++;
        struct health_preview_example ex = {
            .account_id = facts[i].account_id, .from_score = score_int(&now),
            .to_score = score_int(&then), .from_band = now.band, .to_band = then.band,
        };
        if (ex.from_band != ex.to_band)
            out->changed++;
        if (ex.from_band == ex.to_band && ex.from_score == ex.to_score)
            continue;
        if (out->nexamples < HEALTH_PREVIEW_EXAMPLES) {
            out->examples[out->nexamples++] = ex;
        } else if (example_cmp(&ex, &out->examples[HEALTH_PREVIEW_EXAMPLES - 1]) < 0) {
            out->examples[HEALTH_PREVIEW_EXAMPLES - 1] = ex;
        } else {
            continue;
        }
        qsort(out->examples, out->nexamples, sizeof(ex), example_cmp);
    }
    out->accounts = n;
    free(facts);
    health_env_cleanup(&env);
    return KZ_OK;
}
