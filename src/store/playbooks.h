/*
 * Store: playbooks, their runs, the last health band each playbook saw per account, the
 * grouped reads that trigger evaluation uses (one query per playbook over all accounts,
 * never one per account), and the durable outbound queue (webhooks and emails).
 * The playbook's audience, trigger and actions are JSON text here: playbooks/ parses them.
 * Strings in the structs below are heap copies owned by the struct. Functions return kz_rc.
 */
#ifndef KZ_STORE_PLAYBOOKS_H
#define KZ_STORE_PLAYBOOKS_H

#include "store/store.h"

struct playbook_rec {
    int64_t id;
    char *name;
    bool enabled;
    char *audience, *trigger, *actions; /* JSON text */
    int64_t cooldown_days;
    char created_at[21];
    char updated_at[21];
};
void playbook_rec_cleanup(struct playbook_rec *r);
void playbook_recs_free(struct playbook_rec *v, size_t n);

int store_playbook_create(struct store *st, struct playbook_rec *r);
int store_playbook_get(struct store *st, int64_t id, struct playbook_rec *out);
/* Saves every field of r->id; sets updated_at. KZ_ENOTFOUND when missing. */
int store_playbook_update(struct store *st, struct playbook_rec *r);
int store_playbook_delete(struct store *st, int64_t id);
/* Playbooks by id after after_id, up to limit + 1 (limit 0: all); enabled_only filters. */
int store_playbooks_list(struct store *st, int64_t after_id, int limit, bool enabled_only,
                         struct playbook_rec **out, size_t *n);

/* ---- evaluation reads */

/* Which grouped read a trigger needs, and its parameters (see playbooks/playbook.h). */
enum pbq_kind { PBQ_BAND, PBQ_PHASE, PBQ_RENEWAL, PBQ_INACTIVE, PBQ_NPS, PBQ_EVENT,
                PBQ_MILESTONES, PBQ_SEATS };
struct pb_query {
    enum pbq_kind kind;
    int64_t playbook_id;
    const char *tier;      /* audience tier; NULL = any */
    const char *phase;     /* PHASE: the phase */
    const char *since;     /* PHASE/NPS: RFC 3339 look-back; INACTIVE: cut-off */
    const char *from_day;  /* RENEWAL: today; EVENT: first day of the window */
    const char *to_day;    /* RENEWAL: last renewal date */
    const char *event;     /* EVENT */
    int64_t max_score;     /* NPS */
    bool scoped;           /* only the accounts of store_playbook_scope_set */
};

/* One account's row for a trigger; strings are owned by the row (valid during the callback). */
struct pb_candidate {
    int64_t account_id;
    char *name, *tier, *phase, *owner_name, *owner_email;
    int64_t owner_id;        /* 0 = none */
    int64_t health_score;    /* -1 = none */
    char *band, *renewal_date, *last_seen_at, *created_at, *entered_at;
    char *last_fired_at;     /* this playbook's last run for the account */
    char *prev_band;         /* BAND: the band the playbook last saw */
    int64_t nps_score;       /* NPS: lowest answer; -1 = none */
    char *nps_at;            /* NPS: latest such answer recorded */
    int64_t count;           /* EVENT: events in the window */
    int64_t active_users;    /* SEATS */
    int64_t seats;           /* SEATS; -1 = none */
    char *completed;         /* MILESTONES: completed milestone keys, '\n'-separated */
};

/* Frees a candidate's strings (any of them may be NULL) and zeroes it. */
void pb_candidate_cleanup(struct pb_candidate *c);

/* Calls fn for every account the query selects; stops when fn returns nonzero (returned). */
int store_playbook_candidates(struct store *st, const struct pb_query *q,
                              int (*fn)(const struct pb_candidate *c, void *ctx), void *ctx);

/* Remembers the current band of every scored account as the playbook's last seen band. */
int store_playbook_bands_save(struct store *st, int64_t playbook_id);

/* The scope of the scoped reads (pb_query.scoped, store_playbook_bands_save_scoped): this
 * connection's set of account ids, replaced by each call. */
int store_playbook_scope_set(struct store *st, const int64_t *ids, size_t n);
/* store_playbook_bands_save for the scope's accounts only. */
int store_playbook_bands_save_scoped(struct store *st, int64_t playbook_id);

/* ---- runs */

struct playbook_run {
    int64_t id;
    int64_t playbook_id;
    int64_t account_id;
    char *account_name;
    char fired_at[21];
    char *detail;   /* JSON object text */
    char *outcomes; /* JSON array text */
};
void playbook_runs_free(struct playbook_run *v, size_t n);
/* Inserts r (sets r->id). */
int store_playbook_run_add(struct store *st, struct playbook_run *r);
/* Runs of a playbook newest first, with id < before_id when before_id > 0, up to limit + 1. */
int store_playbook_runs_list(struct store *st, int64_t playbook_id, int64_t before_id, int limit,
                             struct playbook_run **out, size_t *n);

/* ---- the outbound queue */

#define OUTBOUND_MAX_ATTEMPTS 8

struct outbound_msg {
    int64_t id;
    char kind[8];          /* webhook, email */
    char *payload;         /* JSON text */
    int64_t playbook_id;   /* 0 = none */
    int64_t account_id;    /* 0 = none */
    int64_t attempts;
    char next_attempt_at[21];
    char status[8];        /* pending, sent, failed */
    char *last_error;
    char created_at[21];
    char *sent_at;
    char *idempotency_key; /* unique: what produced the message (migration 011) */
    char *secret;          /* webhook signing secret; NULL = none. Never shown by the API */
};
void outbound_msgs_free(struct outbound_msg *v, size_t n);
/* Queues a message due now under its idempotency key (sets *id when non-NULL). A message with
 * that key already queued is left as it is: *id is then its id and *added false. secret may
 * be NULL. */
int store_outbound_add(struct store *st, const char *kind, const char *payload, const char *key,
                       const char *secret, int64_t playbook_id, int64_t account_id, int64_t *id,
                       bool *added);
/* Pending messages due at or before now, oldest first, at most limit. */
int store_outbound_due(struct store *st, const char *now, int limit, struct outbound_msg **out,
                       size_t *n);
/* Records an attempt: sent (error NULL), or failed with error and retried at next_at (NULL:
 * given up, status failed). */
int store_outbound_attempt(struct store *st, int64_t id, const char *error, const char *next_at);
/* Puts a message off to next_at without counting an attempt (the channel is not set up). */
int store_outbound_defer(struct store *st, int64_t id, const char *error, const char *next_at);
/* Makes every pending message of kind due now (after its channel was set up). */
int store_outbound_due_now(struct store *st, const char *kind);
/* Messages newest first, with id < before_id when before_id > 0; status NULL = any. */
int store_outbound_list(struct store *st, const char *status, int64_t before_id, int limit,
                        struct outbound_msg **out, size_t *n);

/* How many runs playbook_id has and when the latest fired ("" when none) (playbook_stats.c). */
int store_playbook_run_stats(struct store *st, int64_t playbook_id, int64_t *runs,
                             char last_fired_at[static 21]);

#endif
