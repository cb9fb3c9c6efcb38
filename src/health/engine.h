/*
 * The health engine: loads the model and what the measures depend on (lifecycle, key events)
 * from the settings, reads the facts, scores, and saves current health and the day's
 * snapshot. Called by the scheduler (every account on its period, touched accounts a moment
 * after a change) and by POST /api/v1/health/recompute.
 */
#ifndef KZ_HEALTH_ENGINE_H
#define KZ_HEALTH_ENGINE_H

#include "health/health.h"
#include "journey/lifecycle.h"
#include "store/health.h"

#define HEALTH_MODEL_SETTING "health_model"

/* Everything a computation needs, loaded from the settings at one moment. */
struct health_env {
    struct health_model model;
    struct health_context ctx;
    /* storage behind ctx */
    struct lifecycle lifecycle;
    json_t *key_events;
    struct health_phase *phases;
    const char **names;
};
/* Loads env at time now (unix seconds); health_env_cleanup() frees it. */
int health_env_load(struct store *st, int64_t now, struct health_env *env);
void health_env_cleanup(struct health_env *env);

/* The saved model (the defaults when never saved) into *m. */
int health_model_load(struct store *st, struct health_model *m);

/* Recomputes and saves every account (account_id == 0) or one; *count (may be NULL) gets the
 * number of accounts scored. KZ_ENOTFOUND for an unknown account. */
int health_recompute(struct store *st, int64_t account_id, size_t *count);

/* One account's explanation now: its facts, measures and result under env's model. */
struct health_explanation {
    const struct health_weights *weights;
    struct health_facts facts;
    struct health_inputs inputs;
    struct health_result result;
};
int health_explain(struct store *st, const struct health_env *env, int64_t account_id,
                   struct health_explanation *out);

/* What a proposed model would do, computed from the same facts as the saved model and
 * saving nothing (PUT /settings/health-model's preview): each band's count under both, the
 * moves between bands, and the accounts whose score moves most (at most
 * HEALTH_PREVIEW_EXAMPLES, with a band change first). Bands are indexed by enum health_band. */
#define HEALTH_PREVIEW_EXAMPLES 20
struct health_preview_example {
    int64_t account_id;
    int from_score, to_score;   /* -1: no score */
    enum health_band from_band, to_band;
};
struct health_preview {
    size_t accounts, changed;
    size_t current[4], proposed[4];
    size_t moves[4][4];         /* [from][to] */
    struct health_preview_example examples[HEALTH_PREVIEW_EXAMPLES];
    size_t nexamples;
};
int health_preview(struct store *st, const struct health_model *proposed,
                   struct health_preview *out);

#endif
