/*
 * Store: what the health engine reads and writes. The facts of every account are read with
 * a handful of grouped queries (never one query per account), so a full recompute of
 * 100,000 accounts costs a few table scans; results are written in one transaction, an
 * account row only when its score or band changed, plus one snapshot per account and day.
 */
#ifndef KZ_STORE_HEALTH_H
#define KZ_STORE_HEALTH_H

#include "health/health.h"
#include "store/store.h"

/* What the facts depend on beyond the tables: the lifecycle and the key events. */
struct health_phase {
    const char *key;
    double expected_days;       /* <= 0: no expected duration */
    bool onboarding;            /* the phase whose pace the deployment component watches */
    const char *const *required; /* required milestone keys of this phase and those before */
    size_t nrequired;
};
struct health_context {
    int64_t now;                 /* unix seconds */
    const struct health_phase *phases;
    size_t nphases;
    const char *const *key_events;
    size_t nkey_events;
};

/* Brings the account windows (migration 004: usage, NPS, decision-maker and timeline
 * touches over their trailing windows) up to date: of one account (always), or of every
 * account whose window is stale (another day or other key events). *refreshed (may be NULL)
 * gets the number of accounts recomputed. */
int store_health_windows_refresh(struct store *st, const struct health_context *ctx,
                                 int64_t account_id, size_t *refreshed);

/* The facts of every account (account_id == 0) or of one account, ordered by account id;
 * *out (caller frees) gets *n entries. KZ_ENOTFOUND when the one account does not exist. */
int store_health_facts(struct store *st, const struct health_context *ctx, int64_t account_id,
                       struct health_facts **out, size_t *n);

struct health_row {
    int64_t account_id;
    int score;                  /* -1: no score */
    enum health_band band;
    int component[HC_COUNT];    /* -1: no data */
};

/* Writes the current health of n accounts (accounts.health_*, only where it changed) and
 * their snapshot for day ("YYYY-MM-DD"), in one transaction. */
int store_health_save(struct store *st, const char *day, const struct health_row *rows,
                      size_t n);

/* The account's snapshots from..to (inclusive days), oldest first; *out caller frees. */
struct health_snapshot {
    char day[11];
    struct health_row row;
};
int store_health_history(struct store *st, int64_t account_id, const char *from, const char *to,
                         struct health_snapshot **out, size_t *n);

#endif
