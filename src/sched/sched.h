/*
 * The scheduler: one thread that keeps derived state fresh (the journey, then the health). Journey criteria and health
 * scores are evaluated for every account on a schedule, and for the accounts whose data
 * changed a moment after the change: code that changes an account's data (a survey answer,
 * a goal value, a milestone, events from the ingest writer) calls sched_touch_account(),
 * which only records the id; the scheduler thread takes the set and re-evaluates those
 * accounts off the request path.
 */
#ifndef KZ_SCHED_H
#define KZ_SCHED_H

#include <stddef.h>
#include <stdint.h>

/* Marks the account for re-evaluation. Thread-safe, never blocks on I/O, never fails: when
 * too many accounts are pending, the next pass re-evaluates all of them instead. */
void sched_touch_account(int64_t account_id);

/* Asks the scheduler for a pass over every account as soon as possible (after a settings
 * change that affects every score). */
void sched_request_full(void);

/* Starts and stops the scheduler thread (kizuna serve). Start returns 0 or -1. */
int sched_start(void);
void sched_stop(void);

/* Takes the pending set: *ids (caller frees) gets *n ids, sorted ascending; returns 1 when
 * the set overflowed (every account should be re-evaluated; *ids is then NULL), else 0. */
int sched_take_touched(int64_t **ids, size_t *n);

#endif
