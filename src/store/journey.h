/*
 * Store: the success journey. Phase history (every phase an account has been in; the open row
 * is the current phase, mirrored in accounts.phase and accounts.phase_entered_at), milestone
 * states, the value-milestone time (accounts.value_reached_at), and the grouped reads the
 * phase engine evaluates criteria from (one query per criterion for all accounts, or for one).
 * Phase keys and milestone keys are plain text here: the lifecycle lives in journey/.
 *
 * Strings in the structs below are heap copies owned by the struct. Functions return kz_rc.
 */
#ifndef KZ_STORE_JOURNEY_H
#define KZ_STORE_JOURNEY_H

#include "store/store.h"

struct phase_row {
    int64_t id;
    char *phase;
    char entered_at[21];
    char *left_at;         /* NULL = the open (current) row */
    char moved_by[16];     /* initial, milestones, manual, churn, reactivation */
    int64_t user_id;       /* 0 = none */
    char *user_name;
    char *reason;
};

struct milestone_row {
    char *milestone;
    char state[10];        /* complete, reopened */
    char *completed_at;
    char *completed_by;    /* criterion, manual; NULL when reopened */
    int64_t user_id;       /* 0 = none */
    char *user_name;
    char *detail;
    char updated_at[21];
};

struct journey_record {
    int64_t account_id;
    char *phase;
    char *phase_entered_at;
    char *value_reached_at;
    char *start_date;      /* the earliest subscription start date; NULL = no subscription */
    struct phase_row *history;   /* oldest first */
    size_t nhistory;
    struct milestone_row *ms;
    size_t nms;
};
void journey_record_cleanup(struct journey_record *j);

/* The journey of account id into *out (cleanup with journey_record_cleanup). */
int store_journey_get(struct store *st, int64_t id, struct journey_record *out);

/*
 * Moves account id into phase at time at (RFC 3339): closes the open history row (left_at),
 * opens a new one (moved_by, user_id 0 = none, reason may be NULL), and sets accounts.phase
 * and phase_entered_at. When expect is non-NULL and the account is no longer in that phase,
 * nothing is written and KZ_ECONFLICT is returned. KZ_ENOTFOUND for no such account.
 * Runs in its own savepoint.
 */
int store_phase_move(struct store *st, int64_t id, const char *expect, const char *phase,
                     const char *moved_by, int64_t user_id, const char *reason, const char *at);
/* The account's current phase and its entry time (*phase: caller frees). */
int store_phase_current(struct store *st, int64_t id, char **phase, char entered_at[static 21]);
/* The phase of the history row before the open one; KZ_ENOTFOUND when there is none. */
int store_phase_previous(struct store *st, int64_t id, char **phase);
/* Replaces the whole phase history of account id with rows[0..n) (oldest first, n > 0; id,
 * user_name ignored) and sets accounts.phase and phase_entered_at from the last row, which
 * must be open. For generators of past data (the demo), where the times are in the past. */
int store_phase_history_replace(struct store *st, int64_t id, const struct phase_row *rows,
                                size_t n);
/* The first phase key (in keys[0..n)) that is not in the list but holds accounts; *phase is a
 * heap copy. KZ_ENOTFOUND when every account's phase is in the list. */
int store_phase_outside(struct store *st, const char *const *keys, size_t n, char **phase);

/*
 * Marks milestone key of account id complete at `at` by `by` ("criterion" or "manual"),
 * with user (0 = none) and detail. With only_new, a milestone that already has a state
 * (complete or reopened) is left alone and *changed is false.
 */
int store_milestone_complete(struct store *st, int64_t id, const char *key, const char *by,
                             int64_t user_id, const char *detail, const char *at, bool only_new,
                             bool *changed);
/* Marks it reopened (by user, with an optional note). */
int store_milestone_reopen(struct store *st, int64_t id, const char *key, int64_t user_id,
                           const char *note, const char *at);
/* The stored state ("complete", "reopened") into state; KZ_ENOTFOUND when open (no row). */
int store_milestone_state(struct store *st, int64_t id, const char *key, char state[static 10]);
/* accounts.value_reached_at := completed_at of milestone value_key when complete, else NULL;
 * for one account (id > 0) or all (id == 0). value_key NULL clears it. */
int store_value_reached_sync(struct store *st, int64_t id, const char *value_key);

/* ------------------------------------------------------------ engine reads */

struct jr_account {
    int64_t id;
    char *phase;
    int64_t seats;         /* current subscription's seats; -1 = none */
};
void jr_accounts_free(struct jr_account *v, size_t n);
/* Accounts by id (all when only == 0, else that one). */
int store_jr_accounts(struct store *st, int64_t only, struct jr_account **out, size_t *n);

/* The scope of the grouped reads below, by `only`: 0 = every account, > 0 = that account,
 * JR_SCOPED = the accounts last given to store_jr_scope (a connection-local temporary table,
 * so that a read touches only their rows, through the account_id indexes). */
#define JR_SCOPED (-1)
int store_jr_scope(struct store *st, const int64_t *ids, size_t n);

/* A row of a grouped read: an account, a number and a time, as the read defines them. */
typedef void (*jr_row_fn)(int64_t account_id, const char *text, int64_t n, const char *at,
                          void *ctx);
/* Milestone states: text = milestone key, at = state. */
int store_jr_milestones(struct store *st, int64_t only, jr_row_fn fn, void *ctx);
/* n = sum of usage_daily counts of event on days >= since ("YYYY-MM-DD"). */
int store_jr_event_counts(struct store *st, int64_t only, const char *event, const char *since,
                          jr_row_fn fn, void *ctx);
/* n = distinct users in active_users_daily on days >= since. */
int store_jr_active_users(struct store *st, int64_t only, const char *since, jr_row_fn fn,
                          void *ctx);
/* at = first answered_at of a survey of this type. */
int store_jr_surveys(struct store *st, int64_t only, const char *type, jr_row_fn fn, void *ctx);
/* at = the first effective date (scope: all or one) the subscription renewed (grew == false: an active entry
 * whose renewal date is later than the first renewal date of the same contract start) or
 * grew (an active entry with more seats or more MRR than the account's first active one). */
int store_jr_subscription(struct store *st, int64_t only, bool grew, jr_row_fn fn, void *ctx);

#endif
