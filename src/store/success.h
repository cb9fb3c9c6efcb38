/*
 * Store: success plans (goals and their measured values), survey responses (NPS, CSAT,
 * CES) and the CSM sentiment of an account (migration 004's tables and columns). Every read
 * and write is scoped by account_id, so an id used under the wrong account is not found.
 *
 * Strings in the structs below are heap copies owned by the struct; each struct has its
 * x_cleanup() (and x_free() for arrays). Functions return enum kz_rc values.
 */
#ifndef KZ_STORE_SUCCESS_H
#define KZ_STORE_SUCCESS_H

#include "journey/surveys.h"
#include "store/store.h"

/* ------------------------------------------------------------ goals */

struct goal {
    int64_t id;
    int64_t account_id;
    char *title;
    char *metric;
    char *unit;           /* NULL = none */
    bool has_baseline;
    double baseline;      /* the Before, measured at onboarding */
    double target;
    bool has_current;
    double current;       /* the latest measured value (the After) */
    char *due_date;       /* NULL = none */
    char *status;         /* active, achieved, missed, cancelled */
    char created_at[21];
    char updated_at[21];
};
void goal_cleanup(struct goal *g);
void goals_free(struct goal *v, size_t n);

int store_goal_get(struct store *st, int64_t account_id, int64_t id, struct goal *out);
/*
 * Inserts g (status NULL: active) and sets g->id and the times. When g->has_current, the
 * value is also recorded in the goal's history, measured now by user_id (0 = none).
 */
int store_goal_create(struct store *st, struct goal *g, int64_t user_id);
/*
 * Saves title, metric, unit, baseline, target, due_date and status of goal g->id. When
 * record_current is set, g->current is appended to the history (measured now by user_id) and
 * the goal's current value becomes its latest measurement (written back into g). One
 * transaction. KZ_ENOTFOUND when there is no such goal.
 */
int store_goal_update(struct store *st, struct goal *g, bool record_current, int64_t user_id);
int store_goal_delete(struct store *st, int64_t account_id, int64_t id);
/* Goals of an account by id after after_id (status NULL: any), up to limit + 1. */
int store_goals_list(struct store *st, int64_t account_id, const char *status, int64_t after_id,
                     int limit, struct goal **out, size_t *n);

struct goal_value {
    int64_t id;
    int64_t goal_id;
    double value;
    char measured_at[21];
    int64_t user_id;      /* 0 = none */
};
/*
 * Records a measurement of goal v->goal_id of account_id (sets v->id) and makes the goal's
 * current value its latest measurement (by measured_at, then id); *current gets that value.
 * KZ_ENOTFOUND when the goal does not exist under that account.
 */
int store_goal_value_add(struct store *st, int64_t account_id, struct goal_value *v,
                         double *current);
/* The history oldest first (measured_at, id), after the keyset (after_at, after_id) when
 * after_at is non-NULL; up to limit + 1. *out is a heap array (caller frees). */
int store_goal_values_list(struct store *st, int64_t goal_id, const char *after_at,
                           int64_t after_id, int limit, struct goal_value **out, size_t *n);

/* ------------------------------------------------------------ survey responses */

struct survey_response {
    int64_t id;
    int64_t account_id;
    int64_t contact_id;   /* 0 = none */
    enum survey_type type;
    int64_t score;
    char *comment;
    char answered_at[21];
    char created_at[21];
};
void survey_response_cleanup(struct survey_response *s);
void survey_responses_free(struct survey_response *v, size_t n);

int store_survey_response_get(struct store *st, int64_t account_id, int64_t id,
                              struct survey_response *out);
/* Inserts s (sets id and created_at). A contact or account that does not exist is a
 * foreign-key failure: KZ_ECONFLICT. */
int store_survey_response_create(struct store *st, struct survey_response *s);
int store_survey_response_delete(struct store *st, int64_t account_id, int64_t id);
/*
 * The response with the natural key (account, contact or none, type, answered_at) used by
 * the CSV import to recognise a row it stored before: KZ_OK with *out filled, or
 * KZ_ENOTFOUND.
 */
int store_survey_response_find(struct store *st, const struct survey_response *key,
                               struct survey_response *out);
/* Sets score and comment of response s->id. */
int store_survey_response_set(struct store *st, const struct survey_response *s);

struct survey_filter {
    int64_t account_id;
    bool has_type;
    enum survey_type type;
    const char *from;     /* answered_at >= from (RFC 3339 UTC), or NULL */
    const char *before;   /* answered_at < before, or NULL */
    bool has_cursor;      /* newest first: rows before (cursor_at, cursor_id) */
    char cursor_at[21];
    int64_t cursor_id;
    int limit;            /* the list returns up to limit + 1 rows */
};
int store_survey_responses_list(struct store *st, const struct survey_filter *f,
                                struct survey_response **out, size_t *n);
/* Score counts per type over every response matching f (cursor and limit ignored). */
int store_survey_counts(struct store *st, const struct survey_filter *f,
                        struct survey_counts counts[SURVEY_TYPE_COUNT]);

/* The contact of account_id whose email is email (case-insensitive): KZ_OK with *id, or
 * KZ_ENOTFOUND. */
int store_contact_id_by_email(struct store *st, int64_t account_id, const char *email,
                              int64_t *id);

/* ------------------------------------------------------------ CSM sentiment */

/* Sets (score 1..5) or, with score 0, clears the account's sentiment, note, time and
 * author. KZ_ENOTFOUND when there is no such account. */
int store_account_sentiment_set(struct store *st, int64_t account_id, int score,
                                const char *note, int64_t user_id);

#endif
