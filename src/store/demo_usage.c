/*
 * Store: direct usage writes (store/demo_usage.h). The upserts mirror rollup_add and
 * touch_account in store/ingest.c, so a generated row cannot differ in shape from one the
 * writer makes; the inserts refuse duplicates instead of merging them.
 */
#include "store/demo_usage.h"

#include "store/db.h"

int store_usage_daily_add(struct store *st, int64_t account_id, const char *day,
                          const char *event, int64_t count)
{
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO usage_daily (account_id, day, event, count) "
                                     "VALUES (?, ?, ?, ?) ON CONFLICT (account_id, day, event) "
                                     "DO UPDATE SET count = count + excluded.count");
    db_bind_i64(s, 1, account_id);
    db_bind_text(s, 2, day);
    db_bind_text(s, 3, event);
    db_bind_i64(s, 4, count);
    return db_exec_stmt(st, s);
}

int store_active_user_day_add(struct store *st, int64_t account_id, const char *day,
                              const char *user_key, int64_t events)
{
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO active_users_daily (account_id, day, user_key, "
                                     "events) VALUES (?, ?, ?, ?) "
                                     "ON CONFLICT (account_id, day, user_key) "
                                     "DO UPDATE SET events = events + excluded.events");
    db_bind_i64(s, 1, account_id);
    db_bind_text(s, 2, day);
    db_bind_text(s, 3, user_key);
    db_bind_i64(s, 4, events);
    return db_exec_stmt(st, s);
}

int store_tracked_user_insert(struct store *st, const char *user_id, int64_t account_id,
                              const char *traits, const char *first_seen,
                              const char *last_seen)
{
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO tracked_users (user_id, account_id, traits, "
                                     "first_seen, last_seen) VALUES (?, ?, COALESCE(?, '{}'), "
                                     "?, ?)");
    db_bind_text(s, 1, user_id);
    db_bind_i64(s, 2, account_id);
    db_bind_text(s, 3, traits);
    db_bind_text(s, 4, first_seen);
    db_bind_text(s, 5, last_seen);
    return db_exec_stmt(st, s);
}

int store_account_seen(struct store *st, int64_t account_id, const char *at)
{
    sqlite3_stmt *s = db_prepare(st, "UPDATE accounts SET last_seen_at = ?1 WHERE id = ?2 AND "
                                     "(last_seen_at IS NULL OR last_seen_at < ?1)");
    db_bind_text(s, 1, at);
    db_bind_i64(s, 2, account_id);
    return db_exec_stmt(st, s);
}

int store_event_insert(struct store *st, int64_t write_key_id, struct tracked_event *e)
{
    sqlite3_stmt *s = db_prepare(
        st, "INSERT INTO events (account_id, write_key_id, message_id, type, name, user_id, "
            "anonymous_id, timestamp, original_timestamp, sent_at, received_at, properties, "
            "context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, '{}'), "
            "COALESCE(?, '{}'))");
    db_bind_i64_null(s, 1, e->account_id, 0);
    db_bind_i64(s, 2, write_key_id);
    db_bind_text(s, 3, e->message_id);
    db_bind_text(s, 4, e->type);
    db_bind_text(s, 5, e->name);
    db_bind_text(s, 6, e->user_id);
    db_bind_text(s, 7, e->anonymous_id);
    db_bind_text(s, 8, e->timestamp);
    db_bind_text(s, 9, e->original_timestamp);
    db_bind_text(s, 10, e->sent_at);
    db_bind_text(s, 11, e->received_at);
    db_bind_text(s, 12, e->properties);
    db_bind_text(s, 13, e->context);
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK)
        e->id = sqlite3_last_insert_rowid(st->db);
    return rc;
}
