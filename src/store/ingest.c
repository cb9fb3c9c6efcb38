/*
 * Store: applying tracked messages, inside the writer's transaction (store_ingest_apply),
 * and what the writer keeps in memory between its commits.
 *
 * Per event, the commit path only appends its row to events (activity events 32 to an
 * INSERT, with ids given in advance: only this thread adds events). A repeated (write key,
 * messageId) is recognised by an in-memory set of the messageIds received in the last day
 * (ingest/fold.h; at most DEDUPE_MAX_DEFAULT, or KIZUNA_INGEST_DEDUPE_MAX), rebuilt from the
 * events at start-up, and skipped before any side effect, so a retried batch is never
 * counted twice, before or after a restart. Identity (group links a user to an account,
 * creating it; identify updates the user's contact; alias gives a visitor's anonymous
 * activity its user, and its account when the user has one) is applied at once, as the
 * rare messages they are. Everything else an event changes — the daily rollups, the user's
 * and the account's last-seen times, a user's first link by context, the account's event
 * runs — is folded in memory and written by store_ingest_flush, one upsert per row
 * (account, day, event; account, day, user; user; account; account and minute), with the
 * last event id it covers (ingest_state.folded_through) in the same transaction. After a
 * crash, the events past that id are folded again at start-up (store_ingest_open): what was
 * acknowledged is durable in events, and the rollups are exact once replayed, never
 * counted twice. When the writer flushes, and how a reader waits for it: ingest/writer.c.
 *
 * Attribution reads two caches: groupId -> account (cleared at every flush, so that an
 * external_id edited elsewhere is seen within one) and userId -> account (kept; it also
 * holds the users' folded times). Deleting an account counts in ingest_state (a trigger,
 * 005_ingest_fold.sql); the writer notices it at its next transaction and forgets its
 * caches and its fold, folding the unflushed events again from the database. A failed
 * transaction does the same (store_ingest_reset), and forgets the messageIds it added.
 *
 * Times: an event's time becomes a last-seen time only up to the time it was received, so
 * a client with a clock far in the future cannot set "last seen" ahead of now.
 */
#include "store/db.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/fold.h"
#include "ingest/ingest.h"
#include "sched/sched.h"
#include "store/usage.h"

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

/* The account of a tracked user (0 for none); *found tells whether the user has a row. */
static int64_t user_account(struct store *st, const char *user_id, bool *found)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT account_id FROM tracked_users WHERE user_id = ?");
    db_bind_text(s, 1, user_id);
    *found = sqlite3_step(s) == SQLITE_ROW;
    int64_t id = *found ? db_col_i64(s, 0, 0) : 0;
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

/* Records that user_id was seen between first and last, with account > 0 in that
 * account: a group call (linked) moves the user there; an event attributed by its context
 * only links a user that has no account yet. With traits, merges them. */
static int touch_user(struct store *st, const char *user_id, int64_t account, bool linked,
                      const char *first, const char *last, const char *traits)
{
    sqlite3_stmt *s = db_prepare(
        st, "INSERT INTO tracked_users (user_id, account_id, traits, first_seen, last_seen) "
            "VALUES (?1, ?2, COALESCE(?3, '{}'), ?4, ?6) ON CONFLICT (user_id) DO UPDATE SET "
            "account_id = CASE WHEN ?5 THEN COALESCE(excluded.account_id, account_id) "
            "ELSE COALESCE(account_id, excluded.account_id) END, "
            "traits = CASE WHEN ?3 IS NULL THEN traits ELSE json_patch(traits, ?3) END, "
            "first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)");
    db_bind_text(s, 1, user_id);
    db_bind_i64_null(s, 2, account, 0);
    db_bind_text(s, 3, traits);
    db_bind_text(s, 4, first);
    db_bind_i64(s, 5, linked);
    db_bind_text(s, 6, last);
    return db_exec_stmt(st, s);
}

static char *received_of(struct store *st, int64_t id);

/* An activity event waiting to be inserted with others in one statement. */
struct pending_event {
    const struct ingest_batch *b;
    const struct ingest_msg *m;
    int64_t account, id;
};

/* ------------------------------------------------------------ the writer's memory */

#define USERS_CACHE_MAX 200000   /* cached users kept past a flush; past it, all are dropped */
#define DEDUPE_WINDOW_S 86400    /* a day, as Segment documents its own messageId dedupe */
#define DEDUPE_MAX_DEFAULT 2000000

/*
 * Most events add one to a rollup row (account, day, event) and one to an active-user row
 * (account, day, user). Looked up in hash maps, each would be one or two cache misses more
 * per event, so the counts are kept where the fold already is: the rollup counts in a
 * short list of (day, event number) cells under the account's entry (accounts are few next
 * to users: their entries and cells stay in cache), and the active-user count in the user's
 * entry, which the event looked up anyway. They go to the maps rollups and actives at the flush (and there at once
 * when an account has CELLS_MAX cells, or a user's event is for another account or day).
 * The account's entries for event_runs are kept with its cells too, so that the flush
 * sorts each account's few, mostly in order, instead of all of them together.
 */
#define CELLS_MAX 64
struct rollup_cell {
    int32_t day;    /* day_of() */
    uint32_t name;  /* in W.name_of */
    int64_t count;
};
struct stream_entry {
    int64_t when;
    int64_t id_type; /* the event id << 3 | type_code(): 16 bytes an event, not 24 */
};
struct account_fold {
    int64_t account;
    struct rollup_cell *c;
    size_t n, cap;
    struct stream_entry *s;     /* its attributed events, for event_runs */
    size_t ns, caps;
};
/* The user entry's values past the ones described in W.users. */
#define U_ACT_ACCOUNT 4
#define U_ACT_DAY 5
#define U_ACT_COUNT 6

static struct {
    bool open;
    struct dedupe seen;      /* recent (write key, messageId) fingerprints */
    uint64_t *undo;          /* fingerprints added by the open transaction */
    size_t nundo, capundo;
    /* The fold: what the events past `folded` add, not yet in the database. */
    struct kmap rollups;     /* {account, day} + event name -> v[0] count */
    struct kmap actives;     /* {account, day} + user key -> v[0] events */
    struct kmap users;       /* user id -> v[0] account (0 none), the cache of tracked_users;
                              * v[3] flags: USER_DIRTY seen between v[1] and v[2] since the
                              * flush; USER_STORED its row exists with account v[0];
                              * v[U_ACT_*]: its active-user count not yet in actives */
    size_t users_dirty;
    struct kmap accounts;    /* account id -> v[0] last seen (unix), v[1] its fold in folds + 1 */
    struct account_fold *folds; /* the accounts' rollup counts and events (fold_of) */
    size_t nfolds, capfolds;
    struct kmap names;       /* rollup name -> v[0] its number in name_of */
    char **name_of;
    size_t nnames, capnames;
    struct kmap groups;      /* external id -> v[0] account id (cache) */
    struct kmap touched;     /* accounts that received events in this commit */
    struct kmap unlinked;    /* users with unattributed events in the fold (group flushes) */
    struct kmap anons;       /* anonymousIds with userless events in the fold (alias flushes) */
    int64_t folded;          /* the last event id whose effects are in the database */
    int64_t last_id;         /* the last event id folded in memory */
    int64_t pending;         /* events folded since the last flush */
    int64_t accounts_deleted; /* ingest_state.accounts_deleted when last read */
    int64_t next_id;         /* the id the next event gets in this transaction; 0: ask */
    uint64_t *fps;           /* the messageId fingerprints of the batch being applied */
    size_t capfps;
    struct pending_event *buffered; /* activity events not inserted yet (insert_buffered) */
    size_t nbuffered, capbuffered;
} W;

/* Store-side statistics for the benchmark and tests. */
static int64_t stat_flushes;

/* An event type's code in event_runs entries (005_ingest_fold.sql). */
static int type_code(const char *type)
{
    static const char *const codes[] = { "track", "identify", "group", "page", "screen" };
    for (int i = 0; i < 5; i++)
        if (!strcmp(type, codes[i]))
            return i;
    return 5; /* alias */
}

/* The SQL of type_code(type) and of a run of one event, for the rare rows made in SQL. */
#define SQL_TYPE_CODE                                                                         \
    "CASE type WHEN 'track' THEN 0 WHEN 'identify' THEN 1 WHEN 'group' THEN 2 "                \
    "WHEN 'page' THEN 3 WHEN 'screen' THEN 4 ELSE 5 END"
#define SQL_ONE_EVENT_RUN(t)                                                                  \
    "(" t " - ((" t " % 60) + 60) % 60) / 60, id, json_array(json_array(" t ", id, "         \
    SQL_TYPE_CODE "))"
#define SQL_UNIX "CAST(strftime('%s', timestamp) AS INTEGER)"

static int64_t minute_of(int64_t t)
{
    return t >= 0 ? t / 60 : -((-t + 59) / 60);
}

static int stream_cmp(const void *a, const void *b)
{
    const struct stream_entry *x = a, *y = b;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    return (x->id_type > y->id_type) - (x->id_type < y->id_type);
}

struct day_key {
    int64_t account;
    int64_t day;
};

static int64_t day_of(int64_t t)
{
    return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* Forgets the accounts' folds and the names (with W.accounts, which points at them). */
static void folds_clear(void)
{
    W.nfolds = 0;
    for (size_t i = 0; i < W.nnames; i++)
        free(W.name_of[i]);
    W.nnames = 0;
    kmap_clear(&W.names);
}

/* Adds count to the {account, day} + key row of map m (rollups or actives). */
static void day_row_add(struct kmap *m, int64_t account, int64_t day, const char *prefix,
                        const char *key, size_t n, int64_t count)
{
    char k[sizeof(struct day_key) + 512];
    struct day_key dk = { account, day };
    size_t p = strlen(prefix);
    memcpy(k, &dk, sizeof(dk));
    memcpy(k + sizeof(dk), prefix, p);
    memcpy(k + sizeof(dk) + p, key, n);
    kmap_get(m, k, sizeof(dk) + p + n, NULL)->v[0] += count;
}

static size_t capped(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > max ? max : n;
}

static uint32_t name_number(const char *name, size_t n)
{
    bool created;
    struct kmap_entry *e = kmap_get(&W.names, name, n, &created);
    if (created) {
        if (W.nnames == W.capnames) {
            W.capnames = W.capnames ? W.capnames * 2 : 64;
            W.name_of = xrealloc(W.name_of, W.capnames * sizeof(*W.name_of));
        }
        W.name_of[W.nnames] = xstrndup(name, n);
        e->v[0] = (int64_t)W.nnames++;
    }
    return (uint32_t)e->v[0];
}

/* The fold of the account whose entry (of W.accounts) is a. */
static struct account_fold *fold_of(struct kmap_entry *a, int64_t account)
{
    size_t at = (size_t)a->v[1];
    if (!at || at > W.nfolds || W.folds[at - 1].account != account) {
        if (W.nfolds == W.capfolds) {
            size_t cap = W.capfolds ? W.capfolds * 2 : 256;
            W.folds = xrealloc(W.folds, cap * sizeof(*W.folds));
            memset(W.folds + W.capfolds, 0, (cap - W.capfolds) * sizeof(*W.folds));
            W.capfolds = cap;
        }
        struct account_fold *f = &W.folds[W.nfolds];
        f->account = account;
        f->n = f->ns = 0; /* its arrays are kept from an earlier flush */
        a->v[1] = (int64_t)++W.nfolds;
    }
    return &W.folds[a->v[1] - 1];
}

static void stream_push(struct kmap_entry *a, int64_t account, int64_t when, int64_t id,
                        const char *type)
{
    struct account_fold *f = fold_of(a, account);
    if (f->ns == f->caps) {
        f->caps = f->caps ? f->caps * 2 : 64;
        f->s = xrealloc(f->s, f->caps * sizeof(*f->s));
    }
    f->s[f->ns++] = (struct stream_entry){ when, id << 3 | type_code(type) };
}

/* Counts an activity named event for the account (entry a) on day. */
static void fold_rollup(struct kmap_entry *a, int64_t account, int64_t day, const char *event)
{
    size_t n = capped(event, 500);
    struct account_fold *l = fold_of(a, account);
    uint32_t name = name_number(event, n);
    for (size_t i = 0; i < l->n; i++) {
        if (l->c[i].name == name && l->c[i].day == day) {
            l->c[i].count++;
            return;
        }
    }
    if (l->n == CELLS_MAX) {
        day_row_add(&W.rollups, account, day, "", event, n, 1);
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->c = xrealloc(l->c, l->cap * sizeof(*l->c));
    }
    l->c[l->n++] = (struct rollup_cell){ (int32_t)day, name, 1 };
}

/* Moves a user entry's active-user count into actives. */
static void active_spill(struct kmap_entry *u)
{
    if (!u->v[U_ACT_COUNT])
        return;
    day_row_add(&W.actives, u->v[U_ACT_ACCOUNT], u->v[U_ACT_DAY], "", kmap_key(u),
                u->keylen > 500 ? 500 : u->keylen, u->v[U_ACT_COUNT]);
    u->v[U_ACT_COUNT] = 0;
}

/* Counts an activity of the user (entry u) for the account on day. */
static void fold_active(struct kmap_entry *u, int64_t account, int64_t day)
{
    if (u->v[U_ACT_COUNT] && u->v[U_ACT_ACCOUNT] == account && u->v[U_ACT_DAY] == day) {
        u->v[U_ACT_COUNT]++;
        return;
    }
    active_spill(u);
    u->v[U_ACT_ACCOUNT] = account;
    u->v[U_ACT_DAY] = day;
    u->v[U_ACT_COUNT] = 1;
}

/* Moves the accounts' cells into rollups. */
static void cells_spill(void)
{
    for (size_t i = 0; i < W.nfolds; i++) {
        struct account_fold *l = &W.folds[i];
        for (size_t k = 0; k < l->n; k++) {
            const char *name = W.name_of[l->c[k].name];
            day_row_add(&W.rollups, l->account, l->c[k].day, "", name, strlen(name),
                        l->c[k].count);
        }
        l->n = 0;
    }
}

/* The cache entry of user_id, read from tracked_users when not cached. */
#define USER_DIRTY 1
#define USER_STORED 2

static struct kmap_entry *user_entry(struct store *st, const char *user_id)
{
    size_t n = strlen(user_id);
    struct kmap_entry *e = kmap_find(&W.users, user_id, n);
    if (e)
        return e;
    bool found;
    int64_t account = user_account(st, user_id, &found);
    e = kmap_get(&W.users, user_id, n, NULL);
    e->v[0] = account;
    e->v[3] = found ? USER_STORED : 0;
    return e;
}

static void fold_user(struct kmap_entry *e, int64_t account, int64_t seen)
{
    if (!e->v[0] && account) {
        e->v[0] = account;
        e->v[3] &= ~USER_STORED;
    }
    if (!(e->v[3] & USER_DIRTY)) {
        e->v[1] = e->v[2] = seen;
        e->v[3] |= USER_DIRTY;
        W.users_dirty++;
    } else if (seen < e->v[1]) {
        e->v[1] = seen;
    } else if (seen > e->v[2]) {
        e->v[2] = seen;
    }
}

static struct kmap_entry *fold_account(int64_t account, int64_t seen)
{
    bool created;
    struct kmap_entry *e = kmap_get(&W.accounts, &account, sizeof(account), &created);
    if (created || seen > e->v[0])
        e->v[0] = seen;
    return e;
}

static void touch_sched(int64_t account)
{
    kmap_get(&W.touched, &account, sizeof(account), NULL);
}

/* The cached account of external id g (0 when none). */
static int64_t group_cached(struct store *st, const char *g)
{
    size_t n = strlen(g);
    struct kmap_entry *e = kmap_find(&W.groups, g, n);
    if (e)
        return e->v[0];
    int64_t id = account_by_external(st, g);
    if (id) /* an unknown one is asked again: an account may be given that id any time */
        kmap_get(&W.groups, g, n, NULL)->v[0] = id;
    return id;
}

static bool is_activity_type(const char *type)
{
    return type[0] == 't' || type[0] == 'p' || (type[0] == 's' && type[1] == 'c');
}

/* Folds one stored event (at the commit, or replayed at start-up). */
static void fold_event(struct store *st, int64_t id, int64_t account, const char *type,
                       const char *name, const char *user_id, const char *anonymous_id,
                       int64_t when, int64_t received, struct kmap_entry *user)
{
    int64_t seen = when < received ? when : received;
    bool activity = is_activity_type(type);
    if (user_id && !account)
        kmap_get(&W.unlinked, user_id, strlen(user_id), NULL);
    if (!user_id && anonymous_id)
        kmap_get(&W.anons, anonymous_id, strlen(anonymous_id), NULL);
    if (activity && user_id && !user)
        user = user_entry(st, user_id);
    if (account) {
        struct kmap_entry *a = fold_account(account, seen);
        if (activity) {
            int64_t day = day_of(when);
            fold_rollup(a, account, day, rollup_name(type, name));
            if (user_id)
                fold_active(user, account, day);
            else if (anonymous_id)
                day_row_add(&W.actives, account, day, "anon:", anonymous_id,
                            capped(anonymous_id, 495), 1);
        }
        stream_push(a, account, when, id, type);
    }
    if (activity && user_id)
        fold_user(user, account, seen);
    if (id > W.last_id)
        W.last_id = id;
    W.pending++;
}

static void undo_push(uint64_t fp)
{
    if (W.nundo == W.capundo) {
        W.capundo = W.capundo ? W.capundo * 2 : 1024;
        W.undo = xrealloc(W.undo, W.capundo * sizeof(*W.undo));
    }
    W.undo[W.nundo++] = fp;
}

/* Statements that write MULTI_ROWS rows at once (one VDBE run instead of MULTI_ROWS), made
 * on first use from their parts: a head, one row's placeholders, a tail. */
#define MULTI_ROWS 64
struct multi {
    const char *head, *row, *tail;
    char *one, *many;
};
static struct multi sql_rollups = {
    "INSERT INTO usage_daily (account_id, day, event, count) VALUES ", "(?, ?, ?, ?)",
    " ON CONFLICT (account_id, day, event) DO UPDATE SET count = count + excluded.count",
    NULL, NULL
};
static struct multi sql_actives = {
    "INSERT INTO active_users_daily (account_id, day, user_key, events) VALUES ", "(?, ?, ?, ?)",
    " ON CONFLICT (account_id, day, user_key) DO UPDATE SET events = events + excluded.events",
    NULL, NULL
};

static const char *multi_sql(struct multi *m, size_t rows)
{
    char **slot = rows == 1 ? &m->one : &m->many;
    if (!*slot) {
        struct buf b;
        buf_init(&b, 0);
        buf_printf(&b, "%s", m->head);
        for (size_t i = 0; i < rows; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", m->row);
        buf_printf(&b, "%s", m->tail);
        *slot = buf_steal(&b);
    }
    return *slot;
}

static int day_row_cmp(const void *a, const void *b)
{
    const struct kmap_entry *x = *(struct kmap_entry *const *)a, *y = *(struct kmap_entry *const *)b;
    struct day_key kx, ky;
    memcpy(&kx, kmap_key(x), sizeof(kx));
    memcpy(&ky, kmap_key(y), sizeof(ky));
    if (kx.account != ky.account)
        return kx.account < ky.account ? -1 : 1;
    if (kx.day != ky.day)
        return kx.day < ky.day ? -1 : 1;
    size_t lx = x->keylen - sizeof(kx), ly = y->keylen - sizeof(ky);
    int c = memcmp(kmap_key(x) + sizeof(kx), kmap_key(y) + sizeof(ky), lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

/* Orders map entries by key as SQLite's binary collation orders text. */
static int key_cmp(const void *a, const void *b)
{
    const struct kmap_entry *x = *(struct kmap_entry *const *)a, *y = *(struct kmap_entry *const *)b;
    int c = memcmp(kmap_key(x), kmap_key(y), x->keylen < y->keylen ? x->keylen : y->keylen);
    return c ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/* Adds the counts of a {account, day} + text map (rollups or active users) to their table,
 * in key order (the table's order: each page is visited once). */
static int flush_day_rows(struct store *st, struct kmap *m, struct multi *sql)
{
    if (!m->n)
        return KZ_OK;
    struct kmap_entry **v = xmalloc(m->n * sizeof(*v));
    size_t n = 0;
    kmap_each(m, e)
        v[n++] = e;
    qsort(v, n, sizeof(*v), day_row_cmp);
    char (*days)[11] = xmalloc(MULTI_ROWS * sizeof(*days));
    int rc = KZ_OK;
    for (size_t i = 0; i < n && rc == KZ_OK;) {
        size_t k = n - i >= MULTI_ROWS ? MULTI_ROWS : 1;
        sqlite3_stmt *s = db_prepare(st, multi_sql(sql, k));
        for (size_t r = 0; r < k; r++, i++) {
            struct day_key dk;
            memcpy(&dk, kmap_key(v[i]), sizeof(dk));
            date_from_days(dk.day, days[r]);
            int c = (int)(4 * r);
            db_bind_i64(s, c + 1, dk.account);
            sqlite3_bind_text(s, c + 2, days[r], 10, SQLITE_STATIC);
            sqlite3_bind_text(s, c + 3, kmap_key(v[i]) + sizeof(dk), (int)(v[i]->keylen - sizeof(dk)),
                              SQLITE_STATIC);
            db_bind_i64(s, c + 4, v[i]->v[0]);
        }
        rc = db_exec_stmt(st, s);
    }
    free(days);
    free(v);
    return rc;
}

/* Appends the decimal digits of v. */
static void put_i64(struct buf *b, int64_t v)
{
    char d[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        d[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        d[n++] = '-';
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = d[n - 1 - i];
    buf_append(b, out, (size_t)n);
}

static int fold_account_cmp(const void *a, const void *b)
{
    const struct account_fold *x = *(struct account_fold *const *)a;
    const struct account_fold *y = *(struct account_fold *const *)b;
    return (x->account > y->account) - (x->account < y->account);
}

/* Writes the accounts' stream entries as event_runs rows, in the table's order: one per
 * account and minute, its entries (by time, id) as JSON [[time, id, type], ...]. */
static int flush_runs(struct store *st)
{
    struct account_fold **v = xmalloc((W.nfolds ? W.nfolds : 1) * sizeof(*v));
    for (size_t i = 0; i < W.nfolds; i++)
        v[i] = &W.folds[i];
    qsort(v, W.nfolds, sizeof(*v), fold_account_cmp);
    struct buf b;
    buf_init(&b, 0);
    int rc = KZ_OK;
    for (size_t k = 0; k < W.nfolds && rc == KZ_OK; k++) {
        struct stream_entry *e = v[k]->s;
        size_t n = v[k]->ns;
        for (size_t i = 1; i < n; i++) { /* mostly in order already */
            if (stream_cmp(&e[i - 1], &e[i]) > 0) {
                qsort(e, n, sizeof(*e), stream_cmp);
                break;
            }
        }
        for (size_t i = 0; i < n && rc == KZ_OK;) {
            int64_t minute = minute_of(e[i].when), max_id = 0;
            buf_reset(&b);
            buf_append(&b, "[", 1);
            size_t j = i;
            for (; j < n && minute_of(e[j].when) == minute; j++) {
                buf_append(&b, j > i ? ",[" : "[", j > i ? 2 : 1);
                int64_t id = e[j].id_type >> 3;
                put_i64(&b, e[j].when);
                buf_append(&b, ",", 1);
                put_i64(&b, id);
                buf_append(&b, ",", 1);
                put_i64(&b, e[j].id_type & 7);
                buf_append(&b, "]", 1);
                if (id > max_id)
                    max_id = id;
            }
            buf_append(&b, "]", 1);
            sqlite3_stmt *s = db_prepare(st, "INSERT INTO event_runs (account_id, minute, "
                                             "max_id, entries) VALUES (?, ?, ?, ?)");
            db_bind_i64(s, 1, v[k]->account);
            db_bind_i64(s, 2, minute);
            db_bind_i64(s, 3, max_id);
            sqlite3_bind_text(s, 4, b.p, (int)b.len, SQLITE_STATIC);
            rc = db_exec_stmt(st, s);
            i = j;
        }
    }
    buf_free(&b);
    free(v);
    return rc;
}

int store_ingest_flush(struct store *st)
{
    if (!W.open)
        return KZ_OK;
    int rc = KZ_OK;
    char t[21], t2[21];
    /* The users seen (any with an active-user count is one), in the table's order
     * (user_id, binary), each page visited once. */
    struct kmap_entry **dirty = xmalloc((W.users_dirty ? W.users_dirty : 1) * sizeof(*dirty));
    size_t nd = 0;
    if (W.users_dirty) {
        kmap_each(&W.users, e) {
            active_spill(e);
            if ((e->v[3] & USER_DIRTY) && nd < W.users_dirty)
                dirty[nd++] = e;
        }
    }
    qsort(dirty, nd, sizeof(*dirty), key_cmp);
    cells_spill();
    if (rc == KZ_OK)
        rc = flush_day_rows(st, &W.rollups, &sql_rollups);
    if (rc == KZ_OK)
        rc = flush_day_rows(st, &W.actives, &sql_actives);
    for (size_t i = 0; i < nd && rc == KZ_OK; i++) {
        struct kmap_entry *e = dirty[i];
        fold_time_format(e->v[1], t);
        fold_time_format(e->v[2], t2);
        bool done = false;
        if (e->v[3] & USER_STORED) { /* only the times: no index entry moves */
            sqlite3_stmt *s = db_prepare(st, "UPDATE tracked_users SET first_seen = "
                                             "min(first_seen, ?2), last_seen = max(last_seen, ?3) "
                                             "WHERE user_id = ?1");
            sqlite3_bind_text(s, 1, kmap_key(e), (int)e->keylen, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, t, 20, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, t2, 20, SQLITE_STATIC);
            rc = db_exec_stmt(st, s);
            done = rc == KZ_OK && sqlite3_changes(st->db) == 1;
        }
        if (rc == KZ_OK && !done)
            rc = touch_user(st, kmap_key(e), e->v[0], false, t, t2, NULL);
        e->v[3] = USER_STORED;
    }
    free(dirty);
    kmap_each(&W.accounts, e) {
        if (rc)
            break;
        int64_t account;
        memcpy(&account, kmap_key(e), sizeof(account));
        fold_time_format(e->v[0], t);
        rc = touch_account(st, account, t);
        touch_sched(account); /* told to the scheduler after the commit */
    }
    rc = rc ? rc : flush_runs(st);
    if (rc == KZ_OK && W.last_id > W.folded) {
        sqlite3_stmt *s = db_prepare(st, "UPDATE ingest_state SET folded_through = ? WHERE id = 1");
        db_bind_i64(s, 1, W.last_id);
        rc = db_exec_stmt(st, s);
    }
    if (rc)
        return rc; /* the caller rolls back, then store_ingest_reset() */
    W.folded = W.last_id;
    W.pending = 0;
    stat_flushes++;
    kmap_clear(&W.rollups);
    kmap_clear(&W.actives);
    kmap_clear(&W.accounts);
    folds_clear();
    kmap_clear(&W.groups);
    kmap_clear(&W.unlinked);
    kmap_clear(&W.anons);
    W.users_dirty = 0;
    if (W.users.n > USERS_CACHE_MAX)
        kmap_clear(&W.users);
    return KZ_OK;
}

int64_t store_ingest_pending(void)
{
    return W.pending;
}

/* Folds the events past W.folded again (start-up, or after a rollback). */
static int replay(struct store *st)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT id, account_id, type, name, user_id, anonymous_id, "
                                     "timestamp, received_at FROM events WHERE id > ? ORDER BY id");
    db_bind_i64(s, 1, W.folded);
    int rc;
    int64_t n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t when = 0, received = 0;
        time_parse((const char *)sqlite3_column_text(s, 6), &when);
        time_parse((const char *)sqlite3_column_text(s, 7), &received);
        fold_event(st, sqlite3_column_int64(s, 0), db_col_i64(s, 1, 0),
                   (const char *)sqlite3_column_text(s, 2), (const char *)sqlite3_column_text(s, 3),
                   (const char *)sqlite3_column_text(s, 4), (const char *)sqlite3_column_text(s, 5),
                   when, received, NULL);
        n++;
    }
    sqlite3_reset(s);
    if (n)
        log_info("ingest: folded %lld events stored after the last flush again", (long long)n);
    return db_rc(st, rc);
}

static void forget(void)
{
    kmap_clear(&W.rollups);
    kmap_clear(&W.actives);
    kmap_clear(&W.users);
    W.users_dirty = 0;
    kmap_clear(&W.accounts);
    folds_clear();
    kmap_clear(&W.groups);
    kmap_clear(&W.touched);
    kmap_clear(&W.unlinked);
    kmap_clear(&W.anons);
    W.pending = 0;
}

static int read_folded(struct store *st)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT folded_through, accounts_deleted FROM ingest_state "
                                     "WHERE id = 1");
    int rc = sqlite3_step(s);
    W.folded = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    W.accounts_deleted = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
    sqlite3_reset(s);
    W.last_id = W.folded;
    return db_row_rc(st, rc);
}

int store_ingest_begin(struct store *st)
{
    if (!W.open)
        return store_ingest_open(st) ? KZ_EDB : KZ_OK;
    sqlite3_stmt *s = db_prepare(st, "SELECT accounts_deleted FROM ingest_state WHERE id = 1");
    int rc = sqlite3_step(s);
    int64_t deleted = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    rc = db_row_rc(st, rc);
    if (rc || deleted == W.accounts_deleted)
        return rc;
    /* An account was deleted (its events with it): what is cached or folded about
     * accounts may name it, so it is all read again (inside this transaction). */
    W.accounts_deleted = deleted;
    forget();
    rc = read_folded(st);
    if (rc == KZ_OK)
        rc = replay(st);
    return rc;
}

int store_ingest_reset(struct store *st)
{
    W.next_id = 0;
    W.nbuffered = 0;
    while (W.nundo) /* the fingerprints of the rolled-back events, newest first */
        dedupe_remove_newest(&W.seen, W.undo[--W.nundo]);
    forget();
    int rc = read_folded(st);
    if (rc == KZ_OK)
        rc = replay(st);
    return rc;
}

/* Rebuilds the messageId set from the events received in the window (ids grow with the
 * time received, so the first one is found by binary search, as the purge does). */
static int rebuild_seen(struct store *st, int64_t now)
{
    char since[21];
    time_format(now - DEDUPE_WINDOW_S, since);
    sqlite3_stmt *s = db_prepare(st, "SELECT min(id), max(id) FROM events");
    int64_t lo = 0, hi = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        lo = db_col_i64(s, 0, 0);
        hi = db_col_i64(s, 1, 0);
    }
    sqlite3_reset(s);
    if (!lo)
        return KZ_OK;
    int64_t first = hi + 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        char *at = received_of(st, mid);
        bool recent = at && strcmp(at, since) >= 0;
        free(at);
        if (recent)
            first = mid, hi = mid - 1;
        else
            lo = mid + 1;
    }
    s = db_prepare(st, "SELECT write_key_id, message_id, received_at FROM events WHERE id >= ? "
                       "ORDER BY id");
    db_bind_i64(s, 1, first);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *mid = (const char *)sqlite3_column_text(s, 1);
        int64_t at = 0;
        time_parse((const char *)sqlite3_column_text(s, 2), &at);
        uint64_t fp = dedupe_fp(sqlite3_column_int64(s, 0), mid ? mid : "");
        if (!dedupe_has(&W.seen, fp))
            dedupe_add(&W.seen, fp, at);
    }
    sqlite3_reset(s);
    if (W.seen.n)
        log_info("ingest: %zu messageIds of the last day loaded for deduplication", W.seen.n);
    return db_rc(st, rc);
}

int store_ingest_open(struct store *st)
{
    if (W.open)
        store_ingest_close();
    memset(&W, 0, sizeof(W));
    size_t max = DEDUPE_MAX_DEFAULT;
    const char *env = getenv("KIZUNA_INGEST_DEDUPE_MAX");
    int64_t v;
    if (env && parse_i64(env, &v) == 0 && v > 0)
        max = (size_t)v;
    dedupe_init(&W.seen, max);
    /* The writer's working set (the events' tail, the rollups, the accounts) stays in its
     * page cache instead of being read again from the OS on every commit. */
    sqlite3_exec(st->db, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
    /* Its commits do not wait for the disk: the writer's syncer thread makes the WAL
     * durable before any request is answered (ingest/writer.c), overlapping the sync of
     * one group with the work on the next. */
    sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    int rc = read_folded(st);
    if (rc == KZ_OK)
        rc = rebuild_seen(st, now_unix());
    W.open = true;
    if (rc == KZ_OK)
        rc = replay(st);
    if (rc == KZ_OK && W.pending) {
        rc = store_begin(st);
        if (rc == KZ_OK)
            rc = store_ingest_flush(st);
        if (rc == KZ_OK)
            rc = store_commit(st);
        else
            store_rollback(st);
        store_ingest_committed();
    }
    return rc;
}

char *store_ingest_db_file(struct store *st)
{
    const char *f = sqlite3_db_filename(st->db, "main");
    return xstrdup(f ? f : "");
}

void store_ingest_close(void)
{
    dedupe_free(&W.seen);
    kmap_free(&W.rollups);
    kmap_free(&W.actives);
    kmap_free(&W.users);
    kmap_free(&W.accounts);
    folds_clear();
    kmap_free(&W.names);
    for (size_t i = 0; i < W.capfolds; i++) {
        free(W.folds[i].c);
        free(W.folds[i].s);
    }
    free(W.folds);
    free(W.name_of);
    kmap_free(&W.groups);
    kmap_free(&W.touched);
    kmap_free(&W.unlinked);
    kmap_free(&W.anons);
    free(W.undo);
    free(W.fps);
    free(W.buffered);
    memset(&W, 0, sizeof(W));
}

void store_ingest_committed(void)
{
    W.nundo = 0;
    W.next_id = 0;
    kmap_each(&W.touched, e) {
        int64_t account;
        memcpy(&account, kmap_key(e), sizeof(account));
        sched_touch_account(account);
    }
    kmap_clear(&W.touched);
}

void store_ingest_expire(int64_t now)
{
    dedupe_expire(&W.seen, now - DEDUPE_WINDOW_S);
}

size_t store_ingest_seen(void)
{
    return W.seen.n;
}

/* A group call linked user_id to account: its earlier unattributed activity now counts
 * for the account, and its identify traits become the account's contact. The fold was
 * flushed first, so these events are all counted here, once. */
static int link_user(struct store *st, const char *user_id, int64_t account)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT type, name, timestamp, received_at FROM events "
                                     "WHERE user_id = ? AND account_id IS NULL");
    db_bind_text(s, 1, user_id);
    struct { char type[9]; char *name; char ts[21]; char rcv[21]; } *v = NULL;
    size_t n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        v = xrealloc(v, (n + 1) * sizeof(*v));
        db_col_copy(s, 0, v[n].type, sizeof(v[n].type));
        v[n].name = db_col_text(s, 1);
        db_col_copy(s, 2, v[n].ts, sizeof(v[n].ts));
        db_col_copy(s, 3, v[n].rcv, sizeof(v[n].rcv));
        n++;
    }
    sqlite3_reset(s);
    int rc = KZ_OK;
    char latest[21] = "";
    for (size_t i = 0; i < n; i++) {
        if (rc == KZ_OK && is_activity(v[i].type)) {
            rc = rollup_add(st, account, v[i].ts, rollup_name(v[i].type, v[i].name), user_id);
            const char *seen = strcmp(v[i].ts, v[i].rcv) < 0 ? v[i].ts : v[i].rcv;
            if (strcmp(seen, latest) > 0)
                snprintf(latest, sizeof(latest), "%s", seen);
        }
    }
    if (rc == KZ_OK && latest[0])
        rc = touch_account(st, account, latest);
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    if (rc == KZ_OK && n) {
        s = db_prepare(st, "INSERT INTO event_runs (account_id, minute, max_id, entries) "
                           "SELECT ?, " SQL_ONE_EVENT_RUN(SQL_UNIX) " FROM events "
                           "WHERE user_id = ? AND account_id IS NULL");
        db_bind_i64(s, 1, account);
        db_bind_text(s, 2, user_id);
        rc = db_exec_stmt(st, s);
    }
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

/* An alias: the anonymous activity of previous_id is user_id's from now on, and when the
 * user already belongs to an account, the unattributed part of it counts there now (the
 * fold was flushed first, so it is counted here, once). */
static int alias_user(struct store *st, const char *previous_id, const char *user_id,
                      int64_t account)
{
    int rc = KZ_OK;
    if (account) {
        sqlite3_stmt *s = db_prepare(st, "SELECT type, name, timestamp, received_at FROM events "
                                         "WHERE anonymous_id = ? AND user_id IS NULL "
                                         "AND account_id IS NULL");
        db_bind_text(s, 1, previous_id);
        char latest[21] = "";
        while (rc == KZ_OK && sqlite3_step(s) == SQLITE_ROW) {
            const char *type = (const char *)sqlite3_column_text(s, 0);
            const char *ts = (const char *)sqlite3_column_text(s, 2);
            const char *rcv = (const char *)sqlite3_column_text(s, 3);
            if (!type || !ts || !rcv || !is_activity(type))
                continue;
            char day_ts[21];
            snprintf(day_ts, sizeof(day_ts), "%s", ts);
            rc = rollup_add(st, account, day_ts, rollup_name(type, (const char *)sqlite3_column_text(s, 1)),
                            user_id);
            const char *seen = strcmp(ts, rcv) < 0 ? ts : rcv;
            if (strcmp(seen, latest) > 0)
                snprintf(latest, sizeof(latest), "%s", seen);
        }
        sqlite3_reset(s);
        if (rc == KZ_OK && latest[0])
            rc = touch_account(st, account, latest);
        if (rc == KZ_OK) {
            s = db_prepare(st, "INSERT INTO event_runs (account_id, minute, max_id, entries) "
                               "SELECT ?, " SQL_ONE_EVENT_RUN(SQL_UNIX) " FROM events WHERE "
                               "anonymous_id = ? AND user_id IS NULL AND account_id IS NULL");
            db_bind_i64(s, 1, account);
            db_bind_text(s, 2, previous_id);
            rc = db_exec_stmt(st, s);
        }
        if (rc == KZ_OK) {
            s = db_prepare(st, "UPDATE events SET account_id = ? WHERE anonymous_id = ? "
                               "AND user_id IS NULL AND account_id IS NULL");
            db_bind_i64(s, 1, account);
            db_bind_text(s, 2, previous_id);
            rc = db_exec_stmt(st, s);
        }
    }
    if (rc == KZ_OK) {
        sqlite3_stmt *s = db_prepare(st, "UPDATE events SET user_id = ? WHERE anonymous_id = ? "
                                         "AND user_id IS NULL");
        db_bind_text(s, 1, user_id);
        db_bind_text(s, 2, previous_id);
        rc = db_exec_stmt(st, s);
    }
    return rc;
}

/* Binds text that outlives the statement's step (no copy), or NULL. */
static void bind_static(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

#define EVENT_INSERT "INSERT INTO events (id, account_id, write_key_id, message_id, type, name, " \
                     "user_id, anonymous_id, timestamp, original_timestamp, sent_at, received_at, " \
                     "properties, context) VALUES "
#define EVENT_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define EVENT_COLS 14
#define EVENT_ROWS 32 /* events a multi-row INSERT writes */

/* The id the next event gets: events are appended, and only this thread adds them. */
static int next_event_id(struct store *st, int64_t *id)
{
    if (!W.next_id) {
        sqlite3_stmt *s = db_prepare(st, "SELECT COALESCE(max(id), 0) + 1 FROM events");
        int rc = sqlite3_step(s);
        W.next_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        sqlite3_reset(s);
        if (!W.next_id)
            return db_rc(st, rc == SQLITE_ROW ? SQLITE_ERROR : rc);
    }
    *id = W.next_id++;
    return KZ_OK;
}

static void bind_event(sqlite3_stmt *s, int at, const struct ingest_batch *b,
                       const struct ingest_msg *m, int64_t account, int64_t id)
{
    db_bind_i64(s, at + 1, id);
    db_bind_i64_null(s, at + 2, account, 0);
    db_bind_i64(s, at + 3, b->write_key_id);
    bind_static(s, at + 4, m->message_id);
    bind_static(s, at + 5, m->type);
    bind_static(s, at + 6, m->name);
    bind_static(s, at + 7, m->user_id);
    bind_static(s, at + 8, m->anonymous_id);
    bind_static(s, at + 9, m->timestamp);
    bind_static(s, at + 10, m->original_timestamp);
    bind_static(s, at + 11, m->sent_at);
    bind_static(s, at + 12, b->received_at);
    bind_static(s, at + 13, m->properties);
    bind_static(s, at + 14, m->context);
}

/* Inserts one event now, with the id given. */
static int insert_event(struct store *st, const struct ingest_batch *b, const struct ingest_msg *m,
                        int64_t account, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, EVENT_INSERT EVENT_ROW);
    bind_event(s, 0, b, m, account, id);
    return db_exec_stmt(st, s); /* steps and resets: the strings are not kept */
}

/* Inserts the buffered activity events, EVENT_ROWS to a statement. Their ids were given
 * when they were buffered (and folded); the messages live until the job is answered. */
static int insert_buffered(struct store *st)
{
    static char *many;
    if (!many) {
        struct buf q;
        buf_init(&q, 0);
        buf_printf(&q, "%s", EVENT_INSERT);
        for (int i = 0; i < EVENT_ROWS; i++)
            buf_printf(&q, "%s%s", i ? ", " : "", EVENT_ROW);
        many = buf_steal(&q);
    }
    int rc = KZ_OK;
    size_t i = 0;
    for (; rc == KZ_OK && W.nbuffered - i >= EVENT_ROWS; i += EVENT_ROWS) {
        sqlite3_stmt *s = db_prepare(st, many);
        for (int r = 0; r < EVENT_ROWS; r++) {
            const struct pending_event *e = &W.buffered[i + (size_t)r];
            bind_event(s, r * EVENT_COLS, e->b, e->m, e->account, e->id);
        }
        rc = db_exec_stmt(st, s);
    }
    for (; rc == KZ_OK && i < W.nbuffered; i++) {
        const struct pending_event *e = &W.buffered[i];
        rc = insert_event(st, e->b, e->m, e->account, e->id);
    }
    W.nbuffered = 0;
    return rc;
}

static void buffer_event(const struct ingest_batch *b, const struct ingest_msg *m,
                         int64_t account, int64_t id)
{
    if (W.nbuffered == W.capbuffered) {
        W.capbuffered = W.capbuffered ? W.capbuffered * 2 : 256;
        W.buffered = xrealloc(W.buffered, W.capbuffered * sizeof(*W.buffered));
    }
    W.buffered[W.nbuffered++] = (struct pending_event){ b, m, account, id };
}

/* Applies message m of batch b; fp is its dedupe_fp() (unused when m->generated). */
static int apply_msg(struct store *st, const struct ingest_batch *b, const struct ingest_msg *m,
                     uint64_t fp)
{
    int64_t account = 0;
    int rc = KZ_OK;
    bool group = !strcmp(m->type, "group"), identify = !strcmp(m->type, "identify");
    bool alias = !strcmp(m->type, "alias");
    /* A repeat is skipped before any side effect. */
    if (!m->generated) {
        if (!dedupe_add_new(&W.seen, fp, b->received))
            return KZ_OK;
        undo_push(fp);
    }
    int64_t seen = m->when < b->received ? m->when : b->received;
    bool activity = is_activity_type(m->type);

    if (!activity) /* what follows reads and rewrites stored events */
        rc = insert_buffered(st);
    /* A group call rewrites the user's unattributed events, an alias the visitor's userless
     * ones: those must not be in the fold (they are counted when rewritten), so it is
     * flushed first when it holds any. */
    if (rc == KZ_OK && ((group && m->user_id &&
                         kmap_find(&W.unlinked, m->user_id, strlen(m->user_id))) ||
                        (alias && kmap_find(&W.anons, m->previous_id, strlen(m->previous_id)))))
        rc = store_ingest_flush(st);
    if (rc)
        return rc;
    if (group) {
        rc = group_account(st, m, &account);
        if (rc == KZ_OK)
            kmap_get(&W.groups, m->group_id, strlen(m->group_id), NULL)->v[0] = account;
    } else if (m->group_id) {
        account = group_cached(st, m->group_id);
    }
    struct kmap_entry *user = NULL;
    if (rc == KZ_OK && m->user_id && !group && !account)
        account = (user = user_entry(st, m->user_id))->v[0];
    if (rc)
        return rc;

    int64_t id = 0;
    rc = next_event_id(st, &id);
    if (rc)
        return rc;
    if (activity) {
        buffer_event(b, m, account, id);
        fold_event(st, id, account, m->type, m->name, m->user_id, m->anonymous_id, m->when,
                   b->received, user);
        return KZ_OK;
    }
    rc = insert_event(st, b, m, account, id);
    if (rc)
        return rc;
    /* identify, group, alias: applied now, and counted as folded (nothing of theirs is
     * in the fold but last-seen times, which replaying again leaves as they are). */
    char seen_at[21];
    fold_time_format(seen, seen_at);
    if (m->user_id) {
        rc = touch_user(st, m->user_id, account, group, seen_at, seen_at,
                        identify ? m->properties : NULL);
        if (!user)
            user = user_entry(st, m->user_id);
        if (group || !user->v[0])
            user->v[0] = account ? account : user->v[0];
        if (group && account) /* touch_user wrote the row with this very account */
            user->v[3] |= USER_STORED;
        if (rc == KZ_OK && group)
            rc = link_user(st, m->user_id, account);
        else if (rc == KZ_OK && identify && account)
            rc = upsert_contact(st, account, m->user_id, m->properties);
    }
    if (rc == KZ_OK && alias)
        rc = alias_user(st, m->previous_id, m->user_id, user ? user->v[0] : 0);
    if (rc == KZ_OK && account) {
        stream_push(fold_account(account, seen), account, m->when, id, m->type);
        touch_sched(account); /* identity changed now; activity shows at the flush */
    }
    if (id > W.last_id)
        W.last_id = id;
    W.pending++;
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
    s = db_prepare(st, "SELECT max(id) FROM (SELECT id FROM events WHERE id <= ? ORDER BY id "
                       "LIMIT ?)");
    db_bind_i64(s, 1, cut);
    db_bind_i64(s, 2, max);
    int64_t last = sqlite3_step(s) == SQLITE_ROW ? db_col_i64(s, 0, 0) : 0;
    sqlite3_reset(s);
    s = db_prepare(st, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? "
                       "ORDER BY id LIMIT ?)");
    db_bind_i64(s, 1, cut);
    db_bind_i64(s, 2, max);
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK)
        *deleted = sqlite3_changes(st->db);
    if (rc == KZ_OK && last) {
        /* The runs all of whose events are gone now (events up to `last` are). */
        s = db_prepare(st, "DELETE FROM event_runs WHERE max_id <= ?");
        db_bind_i64(s, 1, last);
        rc = db_exec_stmt(st, s);
    }
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
    if (!W.open)
        rc = store_ingest_open(st);
    for (size_t i = 0; i < b->nrejects && rc == KZ_OK; i++) {
        sqlite3_stmt *s = db_prepare(st, "INSERT INTO ingest_errors (write_key_id, received_at, "
                                         "reason, message) VALUES (?, ?, ?, ?)");
        db_bind_i64(s, 1, b->write_key_id);
        db_bind_text(s, 2, b->received_at);
        db_bind_text(s, 3, b->rejects[i].reason);
        db_bind_text(s, 4, b->rejects[i].copy);
        rc = db_exec_stmt(st, s);
    }
    /* The messageId set and the user cache are probed for nearly every message, each
     * probe a likely cache miss: all of the request's are started first. */
    if (b->n > W.capfps) {
        W.capfps = b->n;
        W.fps = xrealloc(W.fps, W.capfps * sizeof(*W.fps));
    }
    for (size_t i = 0; i < b->n; i++) {
        const struct ingest_msg *m = &b->msgs[i];
        W.fps[i] = m->generated ? 0 : dedupe_fp(b->write_key_id, m->message_id);
        if (!m->generated)
            dedupe_prefetch(&W.seen, W.fps[i], i);
        if (m->user_id)
            kmap_prefetch(&W.users, m->user_id, strlen(m->user_id));
    }
    for (size_t i = 0; i < b->n && rc == KZ_OK; i++)
        rc = apply_msg(st, b, &b->msgs[i], W.fps[i]);
    if (rc == KZ_OK)
        rc = insert_buffered(st);
    W.nbuffered = 0;
    return rc;
}
