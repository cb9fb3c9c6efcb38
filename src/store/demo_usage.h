/*
 * Store: writing product usage directly, without tracking messages: the rows the ingest
 * writer (store/ingest.c) produces for each message, for generators that already know the
 * whole picture (the demo dataset, demo/demo_usage.c). The shapes are the writer's: a
 * usage_daily count per (account, UTC day, event name, "$page" for page views), an
 * active_users_daily row per (account, day, userId) with the number of activity events,
 * tracked_users with first and last seen, accounts.last_seen_at, and raw events rows.
 * Counts are added to existing rows, as the writer does. Functions return kz_rc values.
 */
#ifndef KZ_STORE_DEMO_USAGE_H
#define KZ_STORE_DEMO_USAGE_H

#include "store/usage.h"

/* Adds count to the usage_daily row of (account_id, day "YYYY-MM-DD", event). */
int store_usage_daily_add(struct store *st, int64_t account_id, const char *day,
                          const char *event, int64_t count);
/* Adds events to the active_users_daily row of (account_id, day, user_key). */
int store_active_user_day_add(struct store *st, int64_t account_id, const char *day,
                              const char *user_key, int64_t events);
/* Inserts the tracked user user_id of account_id (traits: JSON object text, NULL = {}),
 * first and last seen as RFC 3339 times. KZ_ECONFLICT when user_id is already tracked. */
int store_tracked_user_insert(struct store *st, const char *user_id, int64_t account_id,
                              const char *traits, const char *first_seen,
                              const char *last_seen);
/* Moves accounts.last_seen_at forward to at (never back). */
int store_account_seen(struct store *st, int64_t account_id, const char *at);
/* Inserts a raw event from write key write_key_id: every column from e (e->id is set to the
 * new row's id; NULL properties or context store {}). KZ_ECONFLICT when (write key,
 * message_id) exists. The rollups are not touched: they are the caller's to add. */
int store_event_insert(struct store *st, int64_t write_key_id, struct tracked_event *e);

#endif
