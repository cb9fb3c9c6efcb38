/*
 * Store: applying tracked messages (store_ingest_apply), inside the writer's transaction.
 * An event is inserted first; when its (write key, messageId) was seen before, nothing else
 * happens, so a retried batch is never counted twice. Then identity (group links a user to
 * an account, creating it; identify updates the user's contact), attribution (context
 * groupId, else the user's account; a user's earlier unattributed events are attributed
 * when its group call arrives, rollups included), daily rollups and last-seen times.
 */
#include "store/db.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

static bool is_activity(const char *type)
{
    return !strcmp(type, "track") || !strcmp(type, "page") || !strcmp(type, "screen");
}

/* The rollup name of an activity: the track event, or "$page" / "$screen". */
static const char *rollup_name(const char *type, const char *name)
{
    if (!strcmp(type, "track"))
        return name;
    return !strcmp(type, "page") ? "$page" : "$screen";
}

/* Counts one activity of user_key on the day of timestamp for the account. */
static int rollup_add(struct store *st, int64_t account, const char *timestamp, const char *event,
                      const char *user_key)
{
    char day[11];
    snprintf(day, sizeof(day), "%.10s", timestamp);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO usage_daily (account_id, day, event, count) "
                                     "VALUES (?, ?, ?, 1) ON CONFLICT (account_id, day, event) "
                                     "DO UPDATE SET count = count + 1");
    db_bind_i64(s, 1, account);
    db_bind_text(s, 2, day);
    db_bind_text(s, 3, event);
    int rc = db_exec_stmt(st, s);
    if (rc || !user_key)
        return rc;
    s = db_prepare(st, "INSERT INTO active_users_daily (account_id, day, user_key, events) "
                       "VALUES (?, ?, ?, 1) ON CONFLICT (account_id, day, user_key) "
                       "DO UPDATE SET events = events + 1");
    db_bind_i64(s, 1, account);
    db_bind_text(s, 2, day);
    db_bind_text(s, 3, user_key);
    return db_exec_stmt(st, s);
}

static int touch_account(struct store *st, int64_t account, const char *timestamp)
{
    sqlite3_stmt *s = db_prepare(st, "UPDATE accounts SET last_seen_at = ?1 WHERE id = ?2 AND "
                                     "(last_seen_at IS NULL OR last_seen_at < ?1)");
    db_bind_text(s, 1, timestamp);
    db_bind_i64(s, 2, account);
    return db_exec_stmt(st, s);
}

/* The account with this external id (0 when none). */
static int64_t account_by_external(struct store *st, const char *external_id)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT id FROM accounts WHERE external_id = ?");
    db_bind_text(s, 1, external_id);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return id;
}

static int64_t user_account(struct store *st, const char *user_id)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT account_id FROM tracked_users WHERE user_id = ?");
    db_bind_text(s, 1, user_id);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? db_col_i64(s, 0, 0) : 0;
    sqlite3_reset(s);
    return id;
}

static const char *trait_str(json_t *traits, const char *key)
{
    json_t *v = json_object_get(traits, key);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/* The account a group call names: found by external id, or created; its traits applied
 * (name, industry, employees to their columns; every other trait into custom fields). */
static int group_account(struct store *st, const struct ingest_msg *m, int64_t *out)
{
    json_t *traits = json_loads(m->properties, 0, NULL);
    struct account a;
    account_init(&a);
    int rc = store_account_by_external_id(st, m->group_id, &a);
    bool creating = rc == KZ_ENOTFOUND;
    if (rc && !creating)
        goto out;
    const char *name = trait_str(traits, "name");
    if (name || creating) {
        free(a.name);
        a.name = xstrdup(name ? name : m->group_id);
    }
    if (creating)
        a.external_id = xstrdup(m->group_id);
    const char *industry = trait_str(traits, "industry");
    if (industry) {
        free(a.industry);
        a.industry = xstrdup(industry);
    }
    json_t *emp = json_object_get(traits, "employees");
    if (json_is_integer(emp) && json_integer_value(emp) >= 0)
        a.employees = json_integer_value(emp);
    json_t *custom = json_loads(a.custom ? a.custom : "{}", 0, NULL);
    if (!json_is_object(custom)) {
        json_decref(custom);
        custom = json_object();
    }
    const char *key;
    json_t *v;
    bool changed = creating || name || industry || json_is_integer(emp);
    json_object_foreach(traits, key, v) {
        if (!strcmp(key, "name") || !strcmp(key, "industry") || !strcmp(key, "employees"))
            continue;
        json_t *old = json_object_get(custom, key);
        if (!old || !json_equal(old, v)) {
            json_object_set(custom, key, v);
            changed = true;
        }
    }
    char *text = json_dumps(custom, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(custom);
    if (text && strlen(text) <= ACCOUNT_CUSTOM_MAX) { /* past the cap, the old fields stay */
        free(a.custom);
        a.custom = xstrdup(text);
    }
    free(text);
    if (creating)
        rc = store_account_create(st, &a);
    else if (changed)
        rc = store_account_update(st, &a);
    else
        rc = KZ_OK;
    *out = a.id;
out:
    account_cleanup(&a);
    json_decref(traits);
    return rc;
}

/* Creates or updates the contact of user_id in the account from identify traits. */
static int upsert_contact(struct store *st, int64_t account, const char *user_id, const char *traits_json)
{
    json_t *traits = json_loads(traits_json, 0, NULL);
    const char *email = trait_str(traits, "email"), *name = trait_str(traits, "name");
    if (email && !email_valid(email)) /* kept in the user's traits, not on the contact */
        email = NULL;
    const char *title = trait_str(traits, "title"), *phone = trait_str(traits, "phone");
    char *full = NULL;
    if (!name && (trait_str(traits, "firstName") || trait_str(traits, "lastName"))) {
        const char *f = trait_str(traits, "firstName"), *l = trait_str(traits, "lastName");
        full = xasprintf("%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
        name = full;
    }
    sqlite3_stmt *s = db_prepare(st, "SELECT id FROM contacts WHERE account_id = ? AND "
                                     "external_user_id = ?");
    db_bind_i64(s, 1, account);
    db_bind_text(s, 2, user_id);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    char now[21];
    db_now(now);
    if (id) {
        s = db_prepare(st, "UPDATE contacts SET name = COALESCE(?, name), "
                           "email = COALESCE(?, email), title = COALESCE(?, title), "
                           "phone = COALESCE(?, phone), updated_at = ? WHERE id = ?");
        db_bind_text(s, 1, name);
        db_bind_text(s, 2, email);
        db_bind_text(s, 3, title);
        db_bind_text(s, 4, phone);
        db_bind_text(s, 5, now);
        db_bind_i64(s, 6, id);
    } else {
        s = db_prepare(st, "INSERT INTO contacts (account_id, name, email, title, phone, role, "
                           "external_user_id, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, ?, 'user', ?, ?, ?)");
        db_bind_i64(s, 1, account);
        db_bind_text(s, 2, name ? name : email ? email : user_id);
        db_bind_text(s, 3, email);
        db_bind_text(s, 4, title);
        db_bind_text(s, 5, phone);
        db_bind_text(s, 6, user_id);
        db_bind_text(s, 7, now);
        db_bind_text(s, 8, now);
    }
    int rc = db_exec_stmt(st, s);
    free(full);
    json_decref(traits);
    return rc;
}

/* Records that user_id was seen, with account > 0 in that account: a group call (linked)
 * moves the user there; an event attributed by its context only links a user that has no
 * account yet. With traits, merges them. */
static int touch_user(struct store *st, const char *user_id, int64_t account, bool linked,
                      const char *timestamp, const char *traits)
{
    sqlite3_stmt *s = db_prepare(
        st, "INSERT INTO tracked_users (user_id, account_id, traits, first_seen, last_seen) "
            "VALUES (?1, ?2, COALESCE(?3, '{}'), ?4, ?4) ON CONFLICT (user_id) DO UPDATE SET "
            "account_id = CASE WHEN ?5 THEN COALESCE(excluded.account_id, account_id) "
            "ELSE COALESCE(account_id, excluded.account_id) END, "
            "traits = CASE WHEN ?3 IS NULL THEN traits ELSE json_patch(traits, ?3) END, "
            "first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)");
    db_bind_text(s, 1, user_id);
    db_bind_i64_null(s, 2, account, 0);
    db_bind_text(s, 3, traits);
    db_bind_text(s, 4, timestamp);
    db_bind_i64(s, 5, linked);
    return db_exec_stmt(st, s);
}

/* A group call linked user_id to account: its earlier unattributed activity now counts
 * for the account, and its identify traits become the account's contact. */
static int link_user(struct store *st, const char *user_id, int64_t account)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT type, name, timestamp FROM events "
                                     "WHERE user_id = ? AND account_id IS NULL");
    db_bind_text(s, 1, user_id);
    struct { char type[9]; char *name; char ts[21]; } *v = NULL;
    size_t n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        v = xrealloc(v, (n + 1) * sizeof(*v));
        db_col_copy(s, 0, v[n].type, sizeof(v[n].type));
        v[n].name = db_col_text(s, 1);
        db_col_copy(s, 2, v[n].ts, sizeof(v[n].ts));
        n++;
    }
    sqlite3_reset(s);
    int rc = KZ_OK;
    char *latest = NULL;
    for (size_t i = 0; i < n; i++) {
        if (rc == KZ_OK && is_activity(v[i].type)) {
            rc = rollup_add(st, account, v[i].ts, rollup_name(v[i].type, v[i].name), user_id);
            if (!latest || strcmp(v[i].ts, latest) > 0)
                latest = v[i].ts;
        }
    }
    if (rc == KZ_OK && latest)
        rc = touch_account(st, account, latest);
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    if (rc == KZ_OK && n) {
        s = db_prepare(st, "UPDATE events SET account_id = ? WHERE user_id = ? AND "
                           "account_id IS NULL");
        db_bind_i64(s, 1, account);
        db_bind_text(s, 2, user_id);
        rc = db_exec_stmt(st, s);
    }
    if (rc == KZ_OK) {
        s = db_prepare(st, "SELECT traits FROM tracked_users WHERE user_id = ? AND traits <> '{}'");
        db_bind_text(s, 1, user_id);
        char *traits = sqlite3_step(s) == SQLITE_ROW ? db_col_text(s, 0) : NULL;
        sqlite3_reset(s);
        if (traits)
            rc = upsert_contact(st, account, user_id, traits);
        free(traits);
    }
    return rc;
}

/* Inserts the event; *fresh is false when its messageId was seen before. */
static int insert_event(struct store *st, int64_t write_key, const char *received_at,
                        const struct ingest_msg *m, int64_t account, bool *fresh)
{
    sqlite3_stmt *s = db_prepare(
        st, "INSERT INTO events (account_id, write_key_id, message_id, type, name, user_id, "
            "anonymous_id, timestamp, original_timestamp, sent_at, received_at, properties, "
            "context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (write_key_id, message_id) DO NOTHING");
    db_bind_i64_null(s, 1, account, 0);
    db_bind_i64(s, 2, write_key);
    db_bind_text(s, 3, m->message_id);
    db_bind_text(s, 4, m->type);
    db_bind_text(s, 5, m->name);
    db_bind_text(s, 6, m->user_id);
    db_bind_text(s, 7, m->anonymous_id);
    db_bind_text(s, 8, m->timestamp);
    db_bind_text(s, 9, m->original_timestamp);
    db_bind_text(s, 10, m->sent_at);
    db_bind_text(s, 11, received_at);
    db_bind_text(s, 12, m->properties);
    db_bind_text(s, 13, m->context);
    int rc = db_exec_stmt(st, s);
    *fresh = rc == KZ_OK && sqlite3_changes(st->db) > 0;
    return rc;
}

static int apply_msg(struct store *st, const struct ingest_batch *b, const struct ingest_msg *m)
{
    int64_t account = 0;
    int rc = KZ_OK;
    bool group = !strcmp(m->type, "group"), identify = !strcmp(m->type, "identify");
    sqlite3_stmt *s;
    /* A group call writes the account before its event row exists, so a repeat is looked
     * up first; for the others, the insert itself finds it, before any side effect. */
    if (group) {
        s = db_prepare(st, "SELECT 1 FROM events WHERE write_key_id = ? AND message_id = ?");
        db_bind_i64(s, 1, b->write_key_id);
        db_bind_text(s, 2, m->message_id);
        bool seen = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_reset(s);
        if (seen)
            return KZ_OK;
    }

    if (group) {
        rc = group_account(st, m, &account);
    } else if (m->group_id) {
        account = account_by_external(st, m->group_id);
    }
    if (rc == KZ_OK && !account && m->user_id && !group)
        account = user_account(st, m->user_id);
    if (rc)
        return rc;

    bool fresh;
    rc = insert_event(st, b->write_key_id, b->received_at, m, account, &fresh);
    if (rc || !fresh)
        return rc;

    if (m->user_id) {
        rc = touch_user(st, m->user_id, account, group, m->timestamp,
                        identify ? m->properties : NULL);
        if (rc == KZ_OK && group)
            rc = link_user(st, m->user_id, account);
        else if (rc == KZ_OK && identify && account)
            rc = upsert_contact(st, account, m->user_id, m->properties);
    }
    if (rc == KZ_OK && !strcmp(m->type, "alias")) {
        /* The anonymous activity of previousId is the user's from now on. */
        s = db_prepare(st, "UPDATE events SET user_id = ? WHERE anonymous_id = ? AND user_id IS NULL");
        db_bind_text(s, 1, m->user_id);
        db_bind_text(s, 2, m->previous_id);
        rc = db_exec_stmt(st, s);
    }
    if (rc == KZ_OK && account && is_activity(m->type)) {
        char *anon = m->user_id ? NULL : xasprintf("anon:%s", m->anonymous_id);
        rc = rollup_add(st, account, m->timestamp, rollup_name(m->type, m->name),
                        m->user_id ? m->user_id : anon);
        free(anon);
    }
    if (rc == KZ_OK && account)
        rc = touch_account(st, account, m->timestamp);
    return rc;
}

/* received_at of event id, or NULL (heap). */
static char *received_of(struct store *st, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT received_at FROM events WHERE id >= ? ORDER BY id LIMIT 1");
    db_bind_i64(s, 1, id);
    char *r = sqlite3_step(s) == SQLITE_ROW ? db_col_text(s, 0) : NULL;
    sqlite3_reset(s);
    return r;
}

int store_events_purge(struct store *st, const char *before, int max, int64_t *deleted)
{
    *deleted = 0;
    sqlite3_stmt *s = db_prepare(st, "SELECT min(id), max(id) FROM events");
    int64_t lo = 0, hi = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        lo = db_col_i64(s, 0, 0);
        hi = db_col_i64(s, 1, 0);
    }
    sqlite3_reset(s);
    if (!lo)
        return KZ_OK;
    /* The last id received before the cut: ids grow with the time received. */
    int64_t cut = lo - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        char *at = received_of(st, mid);
        bool old = at && strcmp(at, before) < 0;
        free(at);
        if (old)
            cut = mid, lo = mid + 1;
        else
            hi = mid - 1;
    }
    s = db_prepare(st, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? "
                       "ORDER BY id LIMIT ?)");
    db_bind_i64(s, 1, cut);
    db_bind_i64(s, 2, max);
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK)
        *deleted = sqlite3_changes(st->db);
    return rc;
}

int store_event_retention(struct store *st, int64_t *days)
{
    char *v = NULL;
    int rc = store_setting_get(st, "event_retention_days", &v);
    *days = EVENT_RETENTION_DEFAULT;
    if (rc == KZ_OK && (parse_i64(v, days) || *days < 0))
        *days = EVENT_RETENTION_DEFAULT;
    free(v);
    return rc == KZ_ENOTFOUND ? KZ_OK : rc;
}

int store_ingest_apply(struct store *st, const struct ingest_batch *b)
{
    int rc = KZ_OK;
    for (size_t i = 0; i < b->nrejects && rc == KZ_OK; i++) {
        sqlite3_stmt *s = db_prepare(st, "INSERT INTO ingest_errors (write_key_id, received_at, "
                                         "reason, message) VALUES (?, ?, ?, ?)");
        db_bind_i64(s, 1, b->write_key_id);
        db_bind_text(s, 2, b->received_at);
        db_bind_text(s, 3, b->rejects[i].reason);
        db_bind_text(s, 4, b->rejects[i].copy);
        rc = db_exec_stmt(st, s);
    }
    for (size_t i = 0; i < b->n && rc == KZ_OK; i++)
        rc = apply_msg(st, b, &b->msgs[i]);
    return rc;
}
