/*
 * Store: the reads behind a CSM's cockpit (GET /api/v1/cockpit) and the cross-account
 * activity feed (GET /api/v1/activity). Every read starts from an index on the user
 * (tasks_assignee, accounts_owner) or walks the timeline's time index newest first, so
 * that its cost follows one user's book of business, not the 100,000 accounts of the
 * database (docs/cockpit.md has the query plans).
 *
 * Strings in the structs below are heap copies owned by the struct; arrays are freed with
 * their x_free(). Functions return enum kz_rc values.
 */
#ifndef KZ_STORE_COCKPIT_H
#define KZ_STORE_COCKPIT_H

#include "store/store.h"

/* "Falling fast": the score is at least this many points below the account's snapshot of
 * COCKPIT_FALLING_DAYS days ago (docs/cockpit.md). */
#define COCKPIT_FALLING_POINTS 10
#define COCKPIT_FALLING_DAYS 7
/* Renewals this many days ahead (today included) are shown. */
#define COCKPIT_RENEWAL_DAYS 90
/* The cockpit's recent activity: entries of the last this many days. */
#define COCKPIT_ACTIVITY_DAYS 90

/* ------------------------------------------------------------ tasks */

struct cockpit_task {
    struct task t;
    char *account_name;
};
void cockpit_tasks_free(struct cockpit_task *v, size_t n);

struct cockpit_task_counts {
    int64_t open, overdue, due_today;
};
/*
 * The open tasks assigned to user_id, overdue first (by due date ascending, so every task due
 * before today comes first), then by due date, undated last, then id; at most limit of them,
 * each with its account's name. counts (may be NULL) gets the totals over every open task
 * of the user, today being the date "YYYY-MM-DD". *out: heap array of *n (caller frees with
 * cockpit_tasks_free).
 */
int store_cockpit_tasks(struct store *st, int64_t user_id, const char *today, int limit,
                        struct cockpit_task **out, size_t *n, struct cockpit_task_counts *counts);

/* ------------------------------------------------------------ accounts at risk */

struct cockpit_risk {
    int64_t account_id;
    char *name;
    char tier[5];
    char *phase;
    int score;           /* the current health score (the last pass) */
    char band[7];        /* green, yellow, red */
    int score_before;    /* the snapshot COCKPIT_FALLING_DAYS days ago; -1 = none */
    bool red, falling;   /* why it is at risk: either or both */
    int64_t mrr;         /* -1 = no subscription */
    char currency[4];
    /* The weakest DEAR component in today's snapshot ("" = none scored): what pulls the
     * score down. */
    char weakest[12];
    int weakest_score;
};
void cockpit_risks_free(struct cockpit_risk *v, size_t n);
/*
 * The accounts owned by user_id that are in the red band or falling fast (current score at
 * least COCKPIT_FALLING_POINTS below the snapshot of day before, "YYYY-MM-DD"), lowest score
 * first, then id; today is today's date (for the weakest component). At most limit of them
 * in *out (heap array of *n, caller frees with cockpit_risks_free); *total gets how many
 * there are, *red and *falling how many of them are red and falling.
 */
int store_cockpit_at_risk(struct store *st, int64_t user_id, const char *today,
                          const char *before, int limit, struct cockpit_risk **out, size_t *n,
                          int64_t *total, int64_t *red, int64_t *falling);

/* ------------------------------------------------------------ renewals */

struct cockpit_renewal {
    int64_t account_id;
    char *name;
    char tier[5];
    char *phase;
    char renewal_date[11];
    int64_t mrr;
    char currency[4];
    char status[8];      /* trial, active */
    bool auto_renew;
    int score;           /* -1 = not scored */
    char band[7];        /* "" = not scored */
};
void cockpit_renewals_free(struct cockpit_renewal *v, size_t n);
/*
 * The accounts owned by user_id whose subscription (not churned) renews from `from` to `to`
 * (dates, both included), soonest first, then id; at most limit in *out (heap array of *n,
 * caller frees with cockpit_renewals_free), *total gets how many there are.
 */
int store_cockpit_renewals(struct store *st, int64_t user_id, const char *from, const char *to,
                           int limit, struct cockpit_renewal **out, size_t *n, int64_t *total);

/* Number of accounts owned by user_id. */
int store_cockpit_accounts(struct store *st, int64_t user_id, int64_t *n);

/* ------------------------------------------------------------ activity */

struct activity_entry {
    int64_t id;
    int64_t account_id;
    char *account_name;
    char *type;
    int64_t author_id;   /* 0 = none */
    char *author_name;   /* NULL = none */
    char occurred_at[21];
    char *summary;
    char created_at[21];
};
void activity_entries_free(struct activity_entry *v, size_t n);

struct activity_filter {
    int64_t owner_id;    /* > 0: accounts of this owner; -1: unassigned accounts; 0: any */
    int64_t account_id;  /* 0: any */
    const char *type;    /* NULL: any */
    const char *since;   /* RFC 3339: occurred_at >= this; NULL: any time */
    bool has_cursor;     /* entries before (cursor_at, cursor_id): newest first */
    char cursor_at[21];
    int64_t cursor_id;
    int limit;           /* the store returns up to limit + 1 rows */
};
/*
 * Timeline entries across accounts matching f, newest first by (occurred_at, id), each with
 * its account's and author's names. *out: heap array of *n (caller frees with
 * activity_entries_free).
 */
int store_activity_list(struct store *st, const struct activity_filter *f,
                        struct activity_entry **out, size_t *n);

/* ------------------------------------------------------------ team */

struct team_member {
    int64_t id;
    char *name;
    enum role role;
    bool disabled;
};
void team_members_free(struct team_member *v, size_t n);
/* Users by id after after_id, up to limit + 1: id, name, role and disabled only. */
int store_team_list(struct store *st, int64_t after_id, int limit, struct team_member **out,
                    size_t *n);

#endif
