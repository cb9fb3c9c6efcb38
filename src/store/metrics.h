/*
 * Store: the reads behind /api/v1/metrics/.... Each function runs one set-based query (no
 * per-account queries) restricted to the accounts matching a metrics_filter, and streams the
 * rows to a callback in the order the domain code consumes them; the callback's pointers are
 * valid only during the call, and a nonzero return from it stops the scan (and is returned).
 * Nothing here computes a KPI: that is src/metrics/ and src/api/metrics*.c.
 */
#ifndef KZ_STORE_METRICS_H
#define KZ_STORE_METRICS_H

#include "metrics/metrics.h"
#include "segments/filter.h"
#include "store/store.h"

/* The account slice every metric takes, as on the accounts list. */
/* The first placeholder of a segment's compiled filter in the metrics queries. */
#define METRICS_SEGMENT_PARAM 20

struct metrics_filter {
    int64_t owner_id;            /* > 0: this owner; -1: unassigned; 0: any */
    const char *tier, *phase, *industry; /* NULL: any */
    const struct seg_sql *segment; /* a segment compiled from METRICS_SEGMENT_PARAM; NULL: any */
};

/* subscription_history rows with effective_date <= until ("YYYY-MM-DD"), ordered by
 * account, effective date, then the order recorded, as struct sub_event. */
int store_metrics_subscriptions(struct store *st, const struct metrics_filter *f,
                                const char *until,
                                int (*fn)(void *ctx, const struct sub_event *ev), void *ctx);

/* A current subscription renewing in [from, to] (dates), not churned: what the 30/60/90-day
 * windows sum. The band tells only what the windows need (at risk, unscored); the listed
 * rows' details come from store_metrics_renewal_details. */
struct renewal_row {
    int64_t account_id;
    const char *renewal_date;
    int64_t mrr;                 /* minor units of currency */
    const char *currency;
    const char *status;          /* trial or active */
    bool red;                    /* the account's health band is red */
    bool unscored;               /* the account has no health band */
};
/* Ordered by renewal date, then account id. */
int store_metrics_renewals(struct store *st, const struct metrics_filter *f, const char *from,
                           const char *to,
                           int (*fn)(void *ctx, const struct renewal_row *r), void *ctx);
/* What a listed renewal shows of its account and subscription. */
struct renewal_detail {
    int64_t account_id;
    const char *name;
    int64_t owner_id;            /* 0 = unassigned */
    const char *health_band;     /* NULL when never computed */
    const char *phase;
    const char *plan;
    bool auto_renew;
};
/* The details of n accounts (ids[i]), in the order given; an account gone since is skipped. */
int store_metrics_renewal_details(struct store *st, const int64_t *ids, size_t n,
                                  int (*fn)(void *ctx, const struct renewal_detail *d),
                                  void *ctx);

/* Tasks completed (by assignee) or timeline entries (by author) in [from, to) (RFC 3339
 * bounds), on the filtered accounts: one row each (count 1), in time order. */
struct activity_count {
    int64_t user_id;
    const char *day;             /* the time: YYYY-MM-DD... */
    const char *type;
    int64_t count;
};
int store_metrics_tasks_done(struct store *st, const struct metrics_filter *f, const char *from,
                             const char *to,
                             int (*fn)(void *ctx, const struct activity_count *c), void *ctx);
int store_metrics_touches(struct store *st, const struct metrics_filter *f, const char *from,
                          const char *to,
                          int (*fn)(void *ctx, const struct activity_count *c), void *ctx);
/* Every filtered account with its owner and current subscription (mrr 0 and currency NULL
 * when it has none, or status is not active): the book of business. */
struct book_row {
    int64_t account_id;
    int64_t owner_id;
    int64_t mrr;
    const char *currency;
};
int store_metrics_book(struct store *st, const struct metrics_filter *f,
                       int (*fn)(void *ctx, const struct book_row *b), void *ctx);
/* id -> name of every user (enabled or not), by id. */
int store_metrics_users(struct store *st,
                        int (*fn)(void *ctx, int64_t id, const char *name, const char *email),
                        void *ctx);

/* Phase history of the filtered accounts, ordered by account, entered_at, id. */
struct phase_row {
    int64_t account_id;
    const char *phase;
    const char *entered_at;
    const char *left_at;         /* NULL for the current phase */
};
int store_metrics_phase_history(struct store *st, const struct metrics_filter *f,
                                int (*fn)(void *ctx, const struct phase_row *p), void *ctx);
/* Filtered accounts whose value milestone was reached in [from, to), with their first
 * contract start (the earliest start_date of their subscription history; NULL if none). */
struct ttv_row {
    int64_t account_id;
    const char *start_date;
    const char *value_reached_at;
};
int store_metrics_ttv(struct store *st, const struct metrics_filter *f, const char *from,
                      const char *to, int (*fn)(void *ctx, const struct ttv_row *t), void *ctx);
/* Counts of the filtered accounts by a current column: "phase" or "health_band" (key NULL
 * for accounts without one). */
int store_metrics_account_counts(struct store *st, const struct metrics_filter *f,
                                 const char *column,
                                 int (*fn)(void *ctx, const char *key, int64_t n), void *ctx);

/* Each filtered account's health in each month from..to (months as in metrics.h) that has a
 * snapshot: the band and score of its last snapshot of that month, read from the monthly
 * rollup of migration 012 (one row per account and year), one call per account and month,
 * in no particular order. */
struct health_month {
    int64_t account_id;
    int month;
    const char *band;            /* "green", "yellow", "red"; NULL when no measure had data */
    int64_t score;               /* -1 when NULL */
};
int store_metrics_health(struct store *st, const struct metrics_filter *f, int from, int to,
                         int (*fn)(void *ctx, const struct health_month *h), void *ctx);

/* Survey answers answered in [from, to), one row each (count 1), in time order. */
struct survey_count {
    const char *month;           /* answered_at: YYYY-MM... */
    const char *type;            /* nps csat ces */
    int score;
    int64_t count;
};
int store_metrics_surveys(struct store *st, const struct metrics_filter *f, const char *from,
                          const char *to,
                          int (*fn)(void *ctx, const struct survey_count *c), void *ctx);

#endif
