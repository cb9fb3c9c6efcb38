/*
 * Demo product usage (demo_usage.c), called once by demo.c after the accounts are written:
 * the product's users of each account (tracked_users, some of them its contacts), their
 * daily activity over the last 120 days as the ingest writer rolls it up (active_users_daily,
 * usage_daily, accounts.last_seen_at), the key events setting, and raw events for the last
 * days of a few accounts under a "Demo product" write key. The usage follows each account's
 * story as the store has it (subscription history, phase, milestones): it ramps up during
 * onboarding, grows or declines while the account is a customer, fades out weeks before a
 * churn and is silent afterwards, and it never meets a journey criterion that the demo left
 * open. Deterministic: a pure function of the seed, today and what the store holds.
 */
#ifndef KZ_DEMO_USAGE_H
#define KZ_DEMO_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define DEMO_USAGE_DAYS 120       /* the days of usage, ending yesterday */
#define DEMO_USAGE_RAW_ACCOUNTS 6 /* accounts that get raw events */
#define DEMO_USAGE_RAW_DAYS 3     /* ... for their last days */

struct demo_usage_stats {
    size_t users;       /* tracked users */
    size_t user_days;   /* active_users_daily rows */
    size_t rollups;     /* usage_daily rows */
    size_t events;      /* raw events */
};

/* Generates the usage of every account in st that has an external id (the groupId the
 * product would send; the others have none) up to the day before `today` (days since 1970),
 * inside the caller's transaction; stats (may be NULL) gets what was written.
 * Returns KZ_OK or a store error. crypto_setup() must have run (the write key). */
int demo_usage_generate(struct store *st, uint64_t seed, int64_t today,
                        struct demo_usage_stats *stats);

#endif
