/*
 * The lifecycle settings (the success journey map, サクセスジャーニーマップ): ordered phases, each
 * with Japanese and English labels, an expected duration and milestones; a milestone is
 * required or optional and is completed by hand or by a criterion on the account's data.
 * This module parses and validates the settings JSON into plain structs and writes them back
 * as JSON. It is pure: no SQL, no HTTP. The rules are stated in docs/journey.md.
 */
#ifndef KZ_JOURNEY_LIFECYCLE_H
#define KZ_JOURNEY_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_MAX_PHASES 20
#define LC_MAX_MILESTONES_PER_PHASE 30
#define LC_MAX_MILESTONES 100      /* across all phases */
#define LC_KEY_MAX 64              /* [a-z0-9_], starting with a letter */
#define LC_LABEL_MAX 200           /* bytes of UTF-8 */
#define LC_EVENT_MAX 200
#define LC_DAYS_MAX 3650

enum lc_criterion_type {
    LC_CRIT_NONE = 0,        /* manual milestone */
    LC_CRIT_EVENT_COUNT,     /* event seen at least count times (within within_days, 0 = ever) */
    LC_CRIT_ACTIVE_USERS,    /* distinct users in 30 days >= count, or >= seat_share x seats */
    LC_CRIT_SURVEY,          /* a survey of this type answered */
    LC_CRIT_SUBSCRIPTION,    /* the subscription renewed, or grew */
};

enum lc_sub_condition { LC_SUB_RENEWED = 0, LC_SUB_GREW };

struct lc_criterion {
    enum lc_criterion_type type;
    char *event;             /* EVENT_COUNT */
    int64_t count;           /* EVENT_COUNT; ACTIVE_USERS (0 when seat_share is used) */
    int64_t within_days;     /* EVENT_COUNT; 0 = all time */
    double seat_share;       /* ACTIVE_USERS; 0 when count is used */
    char survey[5];          /* SURVEY: nps, csat, ces */
    enum lc_sub_condition condition; /* SUBSCRIPTION */
};

struct lc_milestone {
    char *key;
    char *label_ja;
    char *label_en;
    bool required;
    bool value;              /* the value milestone: its completion ends TTV */
    struct lc_criterion crit;
};

struct lc_phase {
    char *key;
    char *label_ja;
    char *label_en;
    int64_t expected_days;   /* -1 = no expectation */
    bool terminal;           /* the churn phase: entered on churn, never left by milestones */
    struct lc_milestone *ms;
    size_t nms;
};

struct lifecycle {
    struct lc_phase *phases;
    size_t nphases;
};

void lifecycle_cleanup(struct lifecycle *lc);

/*
 * Parses and validates root (the settings object {"phases": [...]}) into *out. On success
 * returns 0 and *out owns its strings (lifecycle_cleanup). On failure returns -1, *out holds
 * nothing, field gets the path of the offending field ("phases[1].milestones[0].label_ja")
 * and msg a sentence saying what is wrong.
 */
int lifecycle_parse(json_t *root, struct lifecycle *out, char *field, size_t fieldsz, char *msg,
                    size_t msgsz);
/* The default lifecycle (from the seeds) into *out. Never fails. */
void lifecycle_default(struct lifecycle *out);
/* The JSON text of the default lifecycle (static). */
const char *lifecycle_default_json(void);
/* The JSON of one criterion (null for a manual milestone); the caller owns it. */
json_t *lifecycle_criterion_json(const struct lc_criterion *c);
/* A new JSON object for lc (canonical form: every field present); the caller owns it. */
json_t *lifecycle_to_json(const struct lifecycle *lc);

/* The index of the phase with this key, or -1. */
int lifecycle_phase_index(const struct lifecycle *lc, const char *key);
/* The milestone with this key (and its phase index in *phase when non-NULL), or NULL. */
const struct lc_milestone *lifecycle_milestone(const struct lifecycle *lc, const char *key,
                                               int *phase);
/* The first phase (where new accounts start), and the terminal phase (or NULL). */
const struct lc_phase *lifecycle_first(const struct lifecycle *lc);
const struct lc_phase *lifecycle_terminal(const struct lifecycle *lc);
/* The value milestone, or NULL when none is marked. */
const struct lc_milestone *lifecycle_value_milestone(const struct lifecycle *lc);

#endif
