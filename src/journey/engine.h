/*
 * The phase engine's pure rules, over plain values (no SQL, no HTTP), so that each is
 * unit-tested: whether a criterion is met by an account's facts (and the sentence saying
 * why), how far an account advances through the phases given its milestone states, the
 * overdue flags, durations in days and TTV. journey/journey.c feeds them from the store.
 */
#ifndef KZ_JOURNEY_ENGINE_H
#define KZ_JOURNEY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journey/lifecycle.h"

enum ms_state { MS_OPEN = 0, MS_COMPLETE, MS_REOPENED };

/* What the store found for one account and one criterion. */
struct jr_facts {
    int64_t count;        /* EVENT_COUNT: events in the window */
    int64_t active_users; /* ACTIVE_USERS: distinct users in the last 30 days */
    int64_t seats;        /* ACTIVE_USERS: seats of the current subscription; -1 = none */
    const char *at;       /* SURVEY, SUBSCRIPTION: when it first happened; NULL = never */
};

/* The active users a seat share asks for: ceil(share x seats), at least 1; -1 without seats. */
int64_t journey_seat_target(double share, int64_t seats);

/* True when f meets c; detail (n bytes) then says what satisfied it. A manual milestone
 * (LC_CRIT_NONE) is never met. */
bool journey_criterion_met(const struct lc_criterion *c, const struct jr_facts *f, char *detail,
                           size_t n);

/* The number of milestones in lc, and the index of milestone j of phase p in the flat order
 * (phases in order, milestones in order) that state arrays use. */
size_t journey_milestone_count(const struct lifecycle *lc);
size_t journey_milestone_index(const struct lifecycle *lc, size_t p, size_t j);

/*
 * The phase an account in phase cur ends in once its milestones are applied: while the
 * current phase is not terminal, has at least one required milestone, every required one is
 * complete and the next phase is not terminal, it moves to the next phase. state is indexed
 * by journey_milestone_index. Returns cur when it does not move (and for cur < 0).
 */
int journey_advance(const struct lifecycle *lc, int cur, const unsigned char *state);

/* Deployment progress (導入完了度) for the health model: the required milestones of the phases
 * up to and including phase cur (for the terminal phase: every phase before it) into *total,
 * and how many of them are complete (state: journey_milestone_index order) into *done. */
void journey_required_progress(const struct lifecycle *lc, int cur, const unsigned char *state,
                               size_t *done, size_t *total);

/* Whole days from a to b (unix seconds), rounded down, never negative. */
int64_t journey_days(int64_t a, int64_t b);

/* overdue: days > expected; overdue_2x: days >= 2 x expected (and overdue). expected < 0
 * means no expectation: both false. */
void journey_overdue(int64_t days, int64_t expected, bool *overdue, bool *overdue_2x);

/* TTV in whole days from start_date ("YYYY-MM-DD", 00:00 UTC) to value_at (RFC 3339),
 * never negative. Returns 0, or -1 when either is missing or malformed. */
int journey_ttv_days(const char *start_date, const char *value_at, int64_t *days);

#endif
