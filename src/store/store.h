/*
 * The store: the only code that speaks SQL. This header is the interface; store/sqlite*.c
 * implement it on SQLite (a PostgreSQL backend implements the same functions later).
 *
 * Each thread uses its own connection (store_get()); prepared statements are cached per
 * connection and reused. Strings in the structs below are heap copies owned by the struct:
 * x_free()/x_cleanup() frees them. Functions return enum kz_rc values.
 */
#ifndef KZ_STORE_H
#define KZ_STORE_H

#include "kizuna.h"

struct store;

/* Opens (creating if needed) the database at path and applies pending migrations.
 * Must be called once before store_get(). Returns KZ_OK or KZ_EDB (message logged). */
int store_init(const char *path);
/* This thread's connection, opened on first use. Never NULL after store_init succeeded. */
struct store *store_get(void);
/* Closes every connection (checkpointing the WAL). Call after all threads stopped. */
void store_shutdown(void);
/* Size of the database file plus its WAL, in bytes. */
int64_t store_db_size(void);

/* Transactions nest as savepoints; each begin is paired with commit or rollback. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Copies the live database to path with SQLite's online backup API. */
int store_backup(struct store *st, const char *path);

/* WAL checkpoints: pages == 0 stops this connection from checkpointing in its commits
 * (SQLite's default is 1000); store_checkpoint copies what it can from the WAL into the
 * database without waiting for readers (a passive checkpoint). */
void store_autocheckpoint(struct store *st, int pages);
int store_checkpoint(struct store *st);

/* Runs PRAGMA integrity_check; KZ_OK when it says "ok". */
int store_integrity_check(struct store *st);

/* ------------------------------------------------------------ users, sessions, tokens */

struct user {
    int64_t id;
    char *email;
    char *name;
    enum role role;
    bool disabled;
    char *password_hash; /* argon2id string; NULL when no password set */
    char created_at[21];
    char updated_at[21];
};
void user_cleanup(struct user *u);

int store_user_get(struct store *st, int64_t id, struct user *out);
int store_user_by_email(struct store *st, const char *email, struct user *out);
/* Creates u (id and times are set on success). KZ_ECONFLICT when the email exists. */
int store_user_create(struct store *st, struct user *u);
/* Updates name, email, role, disabled and (when non-NULL) password_hash. */
int store_user_update(struct store *st, struct user *u);
int store_user_delete(struct store *st, int64_t id);
/* Users ordered by id after after_id; *out is an array of n users (caller frees each + array). */
int store_users_list(struct store *st, int64_t after_id, int limit, struct user **out, size_t *n);
/* Number of enabled admins. */
int store_admin_count(struct store *st, int64_t *n);

int store_session_create(struct store *st, const char *token_hash, int64_t user_id,
                         int64_t expires_at);
/* Finds a live session; KZ_ENOTFOUND if missing or expired. */
int store_session_user(struct store *st, const char *token_hash, int64_t now, int64_t *user_id);
int store_session_delete(struct store *st, const char *token_hash);
int store_sessions_purge(struct store *st, int64_t now);

struct api_token {
    int64_t id;
    int64_t user_id;
    char *name;
    char *prefix;        /* first characters of the secret, to recognise it in lists */
    char created_at[21];
    char *last_used_at;  /* NULL = never */
    char *revoked_at;    /* NULL = live */
};
void api_token_cleanup(struct api_token *t);
int store_token_create(struct store *st, struct api_token *t, const char *token_hash);
/* Finds the live token with this hash and records its use; KZ_ENOTFOUND otherwise. */
int store_token_lookup(struct store *st, const char *token_hash, int64_t *user_id);
/* user_id 0 lists every user's tokens. */
int store_tokens_list(struct store *st, int64_t user_id, struct api_token **out, size_t *n);
int store_token_get(struct store *st, int64_t id, struct api_token *out);
int store_token_revoke(struct store *st, int64_t id);

/* ------------------------------------------------------------ settings */

/* *json is a heap string the caller frees; KZ_ENOTFOUND when the key was never set. */
int store_setting_get(struct store *st, const char *key, char **json);
int store_setting_put(struct store *st, const char *key, const char *json);

/* ------------------------------------------------------------ accounts */

#define ACCOUNT_CUSTOM_MAX 65536 /* bytes of an account's custom fields (JSON text) */

struct account {
    int64_t id;
    char *name;
    char *domain;
    char *external_id;
    char *industry;
    int64_t employees;   /* -1 = unknown */
    char *address;
    char *purpose;       /* purpose of adoption (導入目的) */
    char *challenges;    /* business challenges */
    int64_t owner_id;    /* 0 = unassigned */
    char tier[5];        /* effective tier: high, low, tech */
    char *tier_override; /* NULL = computed from ARR */
    char *phase;
    char *custom;        /* JSON object text */
    char created_at[21];
    char updated_at[21];
    /* Read-only, from the current subscription (has_subscription false: none). */
    bool has_subscription;
    int64_t mrr;
    char currency[4];
    char *renewal_date;
    char *plan;
    char *status;
    /* Read-only, kept by the health engine and the ingest writer. */
    int health_score;    /* -1 = not scored */
    char health_band[7]; /* green, yellow, red; "" = not scored */
    char *last_seen_at;  /* the last tracked event; NULL = never */

    /* Read-only here: the CSM sentiment (0 = none), a 1-5 rating with a note, when and by
     * whom (set by store_account_sentiment_set in store/success.h). */
    int sentiment;
    char *sentiment_note;
    char sentiment_at[21];
    int64_t sentiment_by;
};
void account_init(struct account *a);
void account_cleanup(struct account *a);

struct seg_node;
struct account_filter {
    int64_t owner_id;          /* > 0: this owner; -1: unassigned; 0: any */
    const char *tier, *phase, *industry, *external_id, *domain;
    const char *band;          /* green, yellow, red, or none (not scored) */
    const char *q;             /* substring of name or domain */
    const char *renewal_before; /* date: renewal_date < this */
    const char *sort;          /* name (default), arr, renewal_date, created_at, health */
    bool desc;
    bool has_cursor;           /* keyset: rows after (cursor_value, cursor_id) in sort order */
    const char *cursor_value;
    int64_t cursor_id;
    int limit;                 /* the store returns up to limit + 1 rows */
    /* A segment's filter tree (segments/filter.h), AND-ed with the filters above; NULL:
     * none. Owned by whoever set it (api_account_filter_cleanup in the API). */
    struct seg_node *segment;
};
/* The keyset value of a for the given sort field, as text (caller frees). */
char *account_sort_value(const struct account *a, const char *sort);

int store_account_get(struct store *st, int64_t id, struct account *out);
int store_account_by_external_id(struct store *st, const char *external_id, struct account *out);
int store_account_by_domain(struct store *st, const char *domain, struct account *out);
/* Creates a (sets id, times, tier). KZ_ECONFLICT when external_id exists. */
int store_account_create(struct store *st, struct account *a);
/* Saves every writable field of a (and recomputes its tier). */
int store_account_update(struct store *st, struct account *a);
int store_account_delete(struct store *st, int64_t id);
int store_accounts_list(struct store *st, const struct account_filter *f, struct account **out,
                        size_t *n);
/* Calls fn for every account matching f (no limit, no cursor); stops when fn returns nonzero. */
int store_accounts_each(struct store *st, const struct account_filter *f,
                        int (*fn)(const struct account *a, void *ctx), void *ctx);
/* Owner of an account (0 = unassigned); KZ_ENOTFOUND when there is no such account. */
int store_account_owner(struct store *st, int64_t id, int64_t *owner_id);
void accounts_free(struct account *v, size_t n);

/* Touch-tier thresholds on ARR (12 x MRR) per currency. An account's tier is its override,
 * else high when ARR >= high_min_arr, low when ARR >= low_min_arr, else tech (also when its
 * currency has no thresholds, or it has no subscription or a churned one). */
struct tier_threshold {
    char currency[4];
    int64_t high_min_arr;
    int64_t low_min_arr;
};
int store_tier_thresholds_get(struct store *st, struct tier_threshold **out, size_t *n);
/* Replaces all thresholds and recomputes every account's tier, in one transaction. */
int store_tier_thresholds_put(struct store *st, const struct tier_threshold *v, size_t n);
/* Recomputes the effective tier of one account (id > 0) or all (id == 0). */
int store_tiers_recompute(struct store *st, int64_t id);

/* ------------------------------------------------------------ subscriptions */

struct subscription {
    int64_t account_id;
    char *plan;
    int64_t mrr;          /* minor units of currency */
    char currency[4];     /* ISO 4217 */
    int64_t seats;
    char start_date[11];
    char *renewal_date;   /* NULL = none */
    bool auto_renew;
    char status[8];       /* trial, active, churned */
    char effective_date[11]; /* history entries; for the current row, its latest change */
    char updated_at[21];
};
void subscription_cleanup(struct subscription *s);

int store_subscription_get(struct store *st, int64_t account_id, struct subscription *out);
/* Appends s to the history (s->effective_date) and makes the latest entry current. */
int store_subscription_put(struct store *st, const struct subscription *s);
/* History oldest first: by effective_date, then the order it was recorded. */
int store_subscription_history(struct store *st, int64_t account_id, struct subscription **out,
                               size_t *n);
void subscriptions_free(struct subscription *v, size_t n);

/* ------------------------------------------------------------ contacts */

struct contact {
    int64_t id;
    int64_t account_id;
    char *name;
    char *email;
    char *title;
    char *role;          /* decision_maker, champion, admin, user */
    char *phone;
    char *external_user_id;
    char *notes;
    char created_at[21];
    char updated_at[21];
};
void contact_cleanup(struct contact *c);
int store_contact_get(struct store *st, int64_t account_id, int64_t id, struct contact *out);
int store_contact_create(struct store *st, struct contact *c);
int store_contact_update(struct store *st, struct contact *c);
int store_contact_delete(struct store *st, int64_t account_id, int64_t id);
/* Contacts of an account by id after after_id, up to limit + 1. */
int store_contacts_list(struct store *st, int64_t account_id, int64_t after_id, int limit,
                        struct contact **out, size_t *n);
void contacts_free(struct contact *v, size_t n);

/* ------------------------------------------------------------ timeline */

struct timeline_entry {
    int64_t id;
    int64_t account_id;
    char *type;          /* note, meeting, call, email, ticket, handoff */
    int64_t author_id;   /* 0 = none */
    char occurred_at[21];
    char *summary;
    char *body;
    int64_t *contact_ids;
    size_t ncontacts;
    char created_at[21];
    char updated_at[21];
};
void timeline_entry_cleanup(struct timeline_entry *e);
int store_timeline_get(struct store *st, int64_t account_id, int64_t id, struct timeline_entry *out);
/* KZ_EINVAL when a contact id does not belong to the account. */
int store_timeline_create(struct store *st, struct timeline_entry *e);
int store_timeline_update(struct store *st, struct timeline_entry *e);
int store_timeline_delete(struct store *st, int64_t account_id, int64_t id);
struct timeline_filter {
    int64_t account_id;
    const char *type;    /* NULL = all */
    bool has_cursor;     /* entries before (cursor_at, cursor_id): newest first */
    char cursor_at[21];
    int64_t cursor_id;
    int limit;
};
int store_timeline_list(struct store *st, const struct timeline_filter *f,
                        struct timeline_entry **out, size_t *n);
void timeline_entries_free(struct timeline_entry *v, size_t n);

/* ------------------------------------------------------------ tasks */

struct task {
    int64_t id;
    int64_t account_id;
    char *title;
    int64_t assignee_id; /* 0 = unassigned */
    char *due_date;      /* NULL = none */
    char *type;          /* call, meeting, email, review, other */
    char *status;        /* open, done, cancelled */
    char *completed_at;  /* set when status becomes done */
    char *source;        /* "manual", or the playbook that created it */
    char *notes;
    int64_t created_by;
    char created_at[21];
    char updated_at[21];
};
void task_cleanup(struct task *t);
int store_task_get(struct store *st, int64_t id, struct task *out);
int store_task_create(struct store *st, struct task *t);
int store_task_update(struct store *st, struct task *t);
int store_task_delete(struct store *st, int64_t id);
struct task_filter {
    int64_t assignee_id; /* > 0: this user; -1: unassigned; 0: any */
    int64_t account_id;  /* 0: any */
    const char *status;  /* NULL: any */
    const char *type;
    const char *due_before; /* date: due_date < this */
    bool has_cursor;     /* sorted by due date (no due date last), then id */
    const char *cursor_due;
    int64_t cursor_id;
    int limit;
};
int store_tasks_list(struct store *st, const struct task_filter *f, struct task **out, size_t *n);
void tasks_free(struct task *v, size_t n);

/* ------------------------------------------------------------ usage ingestion */

struct ingest_batch;
/* Applies one request's messages (store/ingest.c): stores new events (a repeated
 * (write key, messageId) is skipped), resolves identity (group links a user to an account,
 * creating it; identify updates the contact), attributes events, updates the daily rollups
 * and last-seen times, and records the rejected messages. Runs inside the caller's
 * transaction. */
int store_ingest_apply(struct store *st, const struct ingest_batch *b);

/* Raw-event retention: deletes up to max events received before `before` (RFC 3339),
 * oldest first, and sets *deleted. Events are stored in the order received, so the cut is
 * found by a binary search on the row id (no index on the ingest path). Rollups stay. */
int store_events_purge(struct store *st, const char *before, int max, int64_t *deleted);

#define EVENT_RETENTION_DEFAULT 400 /* days: a year and a month, for year-on-year views */
/* The retention in days (setting "event_retention_days"; 0 = keep forever). */
int store_event_retention(struct store *st, int64_t *days);

#endif
