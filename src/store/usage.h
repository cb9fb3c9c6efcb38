/*
 * Store: the read side of product-usage ingestion, and write keys. Write keys are the public
 * credentials of the tracking API (created, listed, revoked by admins; looked up on every
 * tracking request). The rest reads what the ingest writer stored: refused messages for
 * admins, an account's raw events page by page, and the usage report of an account, which
 * is computed from the daily rollups (usage_daily, active_users_daily) only, never from the
 * raw events, so that its cost does not grow with event volume.
 *
 * Strings in the structs below are heap copies owned by the struct; each struct has its
 * x_cleanup() (or x_free() for arrays). Functions return enum kz_rc values.
 */
#ifndef KZ_STORE_USAGE_H
#define KZ_STORE_USAGE_H

#include "store/store.h"

/* ------------------------------------------------------------ write keys */

struct write_key {
    int64_t id;
    char *name;
    char *key;            /* "wk_" + 43 base64url characters; public by design, kept as is */
    char created_at[21];
    char *revoked_at;     /* NULL = live */
};
void write_key_cleanup(struct write_key *k);
void write_keys_free(struct write_key *v, size_t n);

/* Creates a write key named k->name with a new random key (crypto_setup() must have run):
 * sets k->id, k->key (owned by k) and k->created_at. */
int store_write_key_create(struct store *st, struct write_key *k);
/* Every write key, live and revoked, by id. *out is an array of n keys (write_keys_free). */
int store_write_keys_list(struct store *st, struct write_key **out, size_t *n);
/* Marks the key revoked (revoking twice keeps the first time); KZ_ENOTFOUND when unknown. */
int store_write_key_revoke(struct store *st, int64_t id);
/* The id of the live key `key` (one indexed SELECT); KZ_ENOTFOUND when unknown or revoked. */
int store_write_key_lookup(struct store *st, const char *key, int64_t *id);

/* ------------------------------------------------------------ ingest errors */

struct ingest_error {
    int64_t id;
    int64_t write_key_id; /* 0 = none (the key was deleted) */
    char received_at[21];
    char *reason;
    char *message;        /* the refused message, truncated by the writer */
};
void ingest_errors_free(struct ingest_error *v, size_t n);

/* Newest first by (received_at, id); with has_cursor, the rows strictly before
 * (cursor_at, cursor_id). Returns up to limit + 1 rows (the extra one means "more"). */
int store_ingest_errors_list(struct store *st, bool has_cursor, const char *cursor_at,
                             int64_t cursor_id, int limit, struct ingest_error **out, size_t *n);

/* ------------------------------------------------------------ raw events */

struct tracked_event {
    int64_t id;
    int64_t account_id;
    char *message_id;
    char *type;               /* track identify group page screen alias */
    char *name;               /* NULL when none */
    char *user_id;
    char *anonymous_id;
    char timestamp[21];
    char *original_timestamp;
    char *sent_at;
    char received_at[21];
    char *properties;         /* JSON object text */
    char *context;            /* JSON object text */
};
void tracked_events_free(struct tracked_event *v, size_t n);

struct event_filter {
    int64_t account_id;
    const char *type;         /* NULL = all */
    bool has_cursor;          /* events strictly before (cursor_at, cursor_id): newest first */
    const char *cursor_at;
    int64_t cursor_id;
    int limit;                /* the store returns up to limit + 1 rows */
};
/* An account's events newest first by (timestamp, id). *out: n events (tracked_events_free). */
int store_events_list(struct store *st, const struct event_filter *f, struct tracked_event **out,
                      size_t *n);

/* ------------------------------------------------------------ usage report */

enum usage_granularity { USAGE_DAY = 0, USAGE_WEEK, USAGE_MONTH };

#define USAGE_MAX_DAYS 731   /* the longest range a report covers, from and to included */
#define USAGE_MAX_USERS 200  /* tracked users listed in a report */

struct usage_count {
    char *event;              /* track event name, or "$page" / "$screen" */
    int64_t count;
};

struct usage_period {
    char period[11];          /* "YYYY-MM-DD" (the day; the Monday of the ISO week) or "YYYY-MM" */
    char first[11];           /* the days of the period inside [from, to] */
    char last[11];
    int64_t active_users;     /* distinct users active in [first, last] */
    int64_t events;           /* sum of the counts below */
    struct usage_count *by_name; /* sorted by event name; nby_name entries */
    size_t nby_name;
};

struct usage_user {
    char *user_id;
    char *traits;             /* JSON object text from tracked_users */
    char *last_seen;
    int64_t contact_id;       /* the account's contact with this external_user_id; 0 = none */
    char *contact_name;       /* NULL without a contact (or when it has none) */
    char *contact_email;
};

struct usage_report {
    int64_t account_id;
    char from[11];
    char to[11];
    enum usage_granularity granularity;
    struct usage_period *periods; /* every period of the range in order, zeros included */
    size_t nperiods;
    int64_t dau;              /* distinct users on `to` */
    int64_t wau;              /* ... in the 7 days ending `to` */
    int64_t mau;              /* ... in the 30 days ending `to` */
    int64_t seats;            /* current subscription's seats; -1 = no subscription */
    double seat_utilisation;  /* mau / seats rounded to 4 decimals; -1 when seats <= 0 */
    int64_t *key_counts;      /* count in the 30 days ending `to` of each key event asked for */
    size_t nkey;
    size_t key_used;          /* how many of them have a count > 0 */
    char *last_seen_at;       /* accounts.last_seen_at; NULL = never */
    struct usage_user *users; /* the account's tracked users, most recent first, at most
                               * USAGE_MAX_USERS */
    size_t nusers;
};
void usage_report_cleanup(struct usage_report *rep);

/*
 * The usage report of an account over [from, to] (valid "YYYY-MM-DD" dates, from <= to, at
 * most USAGE_MAX_DAYS days: anything else is KZ_EINVAL) per granularity, with the key
 * events named in key_events[0..nkey). KZ_ENOTFOUND when the account does not exist.
 * On success rep owns everything it points to (usage_report_cleanup); on failure rep holds
 * nothing to free.
 */
int store_usage_report(struct store *st, int64_t account_id, const char *from, const char *to,
                       enum usage_granularity g, const char *const *key_events, size_t nkey,
                       struct usage_report *rep);

/* ------------------------------------------------------------ the ingest writer's side */

/* These run on the ingest writer's thread only (store/ingest.c keeps its state there).
 * store_ingest_open: loads the messageIds of the last day for deduplication and folds the
 * events stored after the last flush again (a crash recovery; store_ingest_apply calls it
 * on first use). store_ingest_flush: writes the folded rollups and last-seen times, inside
 * the caller's transaction. store_ingest_committed: after a COMMIT, tells the scheduler
 * which accounts received events. store_ingest_reset: after a ROLLBACK, forgets the
 * caches and the fold, and folds again from the database. */
int store_ingest_open(struct store *st);
int store_ingest_flush(struct store *st);
/* At the start of each of the writer's transactions: notices deleted accounts. */
int store_ingest_begin(struct store *st);
void store_ingest_committed(void);
int store_ingest_reset(struct store *st);
void store_ingest_close(void);
/* The path of the database file (heap): the writer syncs its WAL itself. */
char *store_ingest_db_file(struct store *st);
/* Events committed but not flushed into the rollups yet. */
int64_t store_ingest_pending(void);
/* Forgets the messageIds received before now minus a day; how many are kept. */
void store_ingest_expire(int64_t now);
size_t store_ingest_seen(void);

/* Set by the ingest writer while it runs: makes everything acknowledged so far visible in
 * the rollups (asks the writer to flush and waits for it). store_usage_report and
 * store_events_list call it first, so they always show every event acknowledged before
 * they were asked for. A flush under load costs the writer tens of milliseconds, so a
 * background reader that does not need that (the scheduler: sched_touch_account is called
 * once an account's rollups are written) sets store_usage_nosync on its own thread. */
extern void (*store_usage_sync)(void);
extern _Thread_local bool store_usage_nosync;
/* Calls store_usage_sync unless unset or this thread opted out: for readers that must see
 * every acknowledged event (the usage report, the events list, an evaluation asked for now). */
void store_usage_visible(void);

#endif
