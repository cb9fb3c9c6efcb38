/*
 * Store: write keys, refused tracking messages, an account's raw events, and the usage
 * report (store/usage.h). The report reads the daily rollups only: usage_daily for event
 * counts and active_users_daily for distinct users, bucketed into days, ISO weeks (starting
 * Monday) or calendar months by the small date arithmetic at the top of this file. All its
 * queries run in one read transaction, so the ingest writer committing meanwhile cannot
 * make its parts disagree. The SQL stays in the subset SQLite and PostgreSQL share: periods
 * are computed here in C, not with either dialect's date functions.
 */
#include "store/usage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/crypto.h"

void (*store_usage_sync)(void);

void store_usage_visible(void)
{
    if (store_usage_sync && !store_usage_nosync)
        store_usage_sync();
}
_Thread_local bool store_usage_nosync;

/* ------------------------------------------------------------ write keys */

#define WRITE_KEY_COLS "id, name, key, created_at, revoked_at"

void write_key_cleanup(struct write_key *k)
{
    free(k->name);
    free(k->key);
    free(k->revoked_at);
    memset(k, 0, sizeof(*k));
}

void write_keys_free(struct write_key *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        write_key_cleanup(&v[i]);
    free(v);
}

static void write_key_row(sqlite3_stmt *s, struct write_key *k)
{
    k->id = sqlite3_column_int64(s, 0);
    k->name = db_col_text(s, 1);
    k->key = db_col_text(s, 2);
    db_col_copy(s, 3, k->created_at, sizeof(k->created_at));
    k->revoked_at = db_col_text(s, 4);
}

int store_write_key_create(struct store *st, struct write_key *k)
{
    free(k->key);
    k->key = token_new("wk_");
    db_now(k->created_at);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO write_keys (name, key, created_at) "
                                     "VALUES (?, ?, ?)");
    db_bind_text(s, 1, k->name);
    db_bind_text(s, 2, k->key);
    db_bind_text(s, 3, k->created_at);
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK)
        k->id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_write_keys_list(struct store *st, struct write_key **out, size_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " WRITE_KEY_COLS " FROM write_keys ORDER BY id");
    struct write_key *v = NULL;
    size_t cnt = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xrealloc(v, (cnt + 1) * sizeof(*v));
        memset(&v[cnt], 0, sizeof(*v));
        write_key_row(s, &v[cnt++]);
    }
    sqlite3_reset(s);
    rc = db_rc(st, rc);
    if (rc) {
        write_keys_free(v, cnt);
        v = NULL;
        cnt = 0;
    }
    *out = v;
    *n = cnt;
    return rc;
}

int store_write_key_revoke(struct store *st, int64_t id)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE write_keys SET revoked_at = COALESCE(revoked_at, ?) "
                                     "WHERE id = ?");
    db_bind_text(s, 1, now);
    db_bind_i64(s, 2, id);
    int rc = db_exec_one(st, s);
    return rc;
}

int store_write_key_lookup(struct store *st, const char *key, int64_t *id)
{
    /* The UNIQUE constraint on key is the index this walks. */
    sqlite3_stmt *s = db_prepare(st, "SELECT id FROM write_keys WHERE key = ? "
                                     "AND revoked_at IS NULL");
    db_bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return db_row_rc(st, rc);
}

/* ------------------------------------------------------------ ingest errors */

void ingest_errors_free(struct ingest_error *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].reason);
        free(v[i].message);
    }
    free(v);
}

int store_ingest_errors_list(struct store *st, bool has_cursor, const char *cursor_at,
                             int64_t cursor_id, int limit, struct ingest_error **out, size_t *n)
{
    static const char *const sql[2] = {
        "SELECT id, write_key_id, received_at, reason, message FROM ingest_errors"
        " ORDER BY received_at DESC, id DESC LIMIT ?",
        "SELECT id, write_key_id, received_at, reason, message FROM ingest_errors"
        " WHERE received_at < ? OR (received_at = ? AND id < ?)"
        " ORDER BY received_at DESC, id DESC LIMIT ?",
    };
    size_t cap = limit > 0 ? (size_t)limit + 1 : 1;
    struct ingest_error *v = xcalloc(cap, sizeof(*v));
    size_t cnt = 0;
    int b = 1, rc = SQLITE_DONE;
    sqlite3_stmt *s = db_prepare(st, sql[has_cursor ? 1 : 0]);
    if (has_cursor) {
        db_bind_text(s, b++, cursor_at);
        db_bind_text(s, b++, cursor_at);
        db_bind_i64(s, b++, cursor_id);
    }
    db_bind_i64(s, b, (int64_t)cap);
    while (cnt < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct ingest_error *e = &v[cnt++];
        e->id = sqlite3_column_int64(s, 0);
        e->write_key_id = db_col_i64(s, 1, 0);
        db_col_copy(s, 2, e->received_at, sizeof(e->received_at));
        e->reason = db_col_text(s, 3);
        e->message = db_col_text(s, 4);
    }
    if (cnt == cap)
        rc = SQLITE_DONE;
    sqlite3_reset(s);
    rc = db_rc(st, rc);
    if (rc) {
        ingest_errors_free(v, cnt);
        v = NULL;
        cnt = 0;
    }
    *out = v;
    *n = cnt;
    return rc;
}

/* ------------------------------------------------------------ raw events */

#define EVENT_COLS                                                                        \
    "id, account_id, message_id, type, name, user_id, anonymous_id, timestamp, "          \
    "original_timestamp, sent_at, received_at, properties, context"

void tracked_events_free(struct tracked_event *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].message_id);
        free(v[i].type);
        free(v[i].name);
        free(v[i].user_id);
        free(v[i].anonymous_id);
        free(v[i].original_timestamp);
        free(v[i].sent_at);
        free(v[i].properties);
        free(v[i].context);
    }
    free(v);
}

static void event_row(sqlite3_stmt *s, struct tracked_event *e)
{
    e->id = sqlite3_column_int64(s, 0);
    e->account_id = db_col_i64(s, 1, 0);
    e->message_id = db_col_text(s, 2);
    e->type = db_col_text(s, 3);
    e->name = db_col_text(s, 4);
    e->user_id = db_col_text(s, 5);
    e->anonymous_id = db_col_text(s, 6);
    db_col_copy(s, 7, e->timestamp, sizeof(e->timestamp));
    e->original_timestamp = db_col_text(s, 8);
    e->sent_at = db_col_text(s, 9);
    db_col_copy(s, 10, e->received_at, sizeof(e->received_at));
    e->properties = db_col_text(s, 11);
    e->context = db_col_text(s, 12);
}

static int read_begin(struct store *st, bool *began);
static void read_end(struct store *st, bool began);

/* One entry of an event run: [time, event id, type code] (store/ingest.c writes them). */
struct run_entry {
    int64_t ts, id;
};

static int run_entry_newer(const void *a, const void *b)
{
    const struct run_entry *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts > y->ts ? -1 : 1;
    return (x->id < y->id) - (x->id > y->id);
}

/* Appends to *v the entries of a run's JSON text that are strictly older than (ts0, id0)
 * and of type code `type` (-1: any). Text that is not a run ends the parse. */
static void run_parse(const char *p, int64_t ts0, int64_t id0, int type, struct run_entry **v,
                      size_t *n, size_t *cap)
{
    while (p && *p) {
        p = strchr(p, '[');
        if (!p)
            break;
        char *end;
        if (p[1] == '[') {
            p++;
            continue;
        }
        long long t = strtoll(p + 1, &end, 10);
        if (*end != ',')
            break;
        long long id = strtoll(end + 1, &end, 10);
        if (*end != ',')
            break;
        long code = strtol(end + 1, &end, 10);
        if (*end != ']')
            break;
        p = end + 1;
        if ((type >= 0 && code != type) || t > ts0 || (t == ts0 && id >= id0))
            continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            *v = xrealloc(*v, *cap * sizeof(**v));
        }
        (*v)[(*n)++] = (struct run_entry){ t, id };
    }
}

static int type_code_of(const char *type)
{
    static const char *const codes[] = { "track", "identify", "group", "page", "screen", "alias" };
    for (int i = 0; i < 6; i++)
        if (!strcmp(type, codes[i]))
            return i;
    return 99; /* matches nothing */
}

int store_events_list(struct store *st, const struct event_filter *f, struct tracked_event **out,
                      size_t *n)
{
    /* The account's event_runs minute by minute, newest first: the entries of one minute
     * (from every run of it) are sorted together, then their events read by id, until the
     * page is full. A minute holds only times within it, so minutes never interleave. */
    store_usage_visible();
    size_t cap = f->limit > 0 ? (size_t)f->limit + 1 : 1;
    int64_t ts0 = INT64_MAX, id0 = INT64_MAX;
    if (f->has_cursor) {
        if (time_parse(f->cursor_at, &ts0))
            return KZ_EINVAL;
        id0 = f->cursor_id;
    }
    int type = f->type ? type_code_of(f->type) : -1;
    struct tracked_event *v = xcalloc(cap, sizeof(*v));
    size_t cnt = 0;
    struct run_entry *e = NULL;
    size_t ne = 0, cape = 0;
    bool began;
    int rc = read_begin(st, &began), src = SQLITE_DONE;
    sqlite3_stmt *runs = NULL;
    if (rc == KZ_OK) {
        runs = db_prepare(st, "SELECT minute, entries FROM event_runs WHERE account_id = ? "
                              "AND minute <= ? ORDER BY minute DESC");
        db_bind_i64(runs, 1, f->account_id);
        db_bind_i64(runs, 2, ts0 == INT64_MAX ? INT64_MAX
                                              : (ts0 >= 0 ? ts0 / 60 : -((-ts0 + 59) / 60)));
    }
    int64_t minute = 0;
    bool more = rc == KZ_OK;
    while (more && cnt < cap) {
        src = sqlite3_step(runs);
        int64_t m = src == SQLITE_ROW ? sqlite3_column_int64(runs, 0) : 0;
        if (ne && (src != SQLITE_ROW || m != minute)) {
            /* the minute is complete: its events, newest first */
            qsort(e, ne, sizeof(*e), run_entry_newer);
            for (size_t i = 0; i < ne && cnt < cap; i++) {
                sqlite3_stmt *s = db_prepare(st, "SELECT " EVENT_COLS " FROM events WHERE id = ?");
                db_bind_i64(s, 1, e[i].id);
                if (sqlite3_step(s) == SQLITE_ROW) /* none: purged since */
                    event_row(s, &v[cnt++]);
                sqlite3_reset(s);
            }
            ne = 0;
        }
        if (src != SQLITE_ROW) {
            more = false;
            break;
        }
        minute = m;
        run_parse((const char *)sqlite3_column_text(runs, 1), ts0, id0, type, &e, &ne, &cape);
    }
    if (runs)
        sqlite3_reset(runs);
    if (rc == KZ_OK && more == false && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = db_rc(st, src);
    read_end(st, began);
    free(e);
    if (rc) {
        tracked_events_free(v, cnt);
        v = NULL;
        cnt = 0;
    }
    *out = v;
    *n = cnt;
    return rc;
}

/* ------------------------------------------------------------ periods */

/* Days are counted from 1970-01-01 (a Thursday), as util's date_to_days does. */

/* The Monday on or before day d (ISO weeks start on Monday). */
static int64_t week_start(int64_t d)
{
    int64_t wd = ((d + 3) % 7 + 7) % 7; /* 0 = Monday ... 6 = Sunday */
    return d - wd;
}

/* The first day of d's month. */
static int64_t month_start(int64_t d)
{
    char s[11];
    date_from_days(d, s);
    s[8] = '0';
    s[9] = '1';
    return date_to_days(s);
}

/* The first day of the period of granularity g that contains day d. */
static int64_t period_start(int64_t d, enum usage_granularity g)
{
    return g == USAGE_WEEK ? week_start(d) : g == USAGE_MONTH ? month_start(d) : d;
}

/* The first day of the period after the one starting on day start. */
static int64_t period_next(int64_t start, enum usage_granularity g)
{
    return g == USAGE_WEEK ? start + 7 : g == USAGE_MONTH ? date_add_months(start, 1) : start + 1;
}

/*
 * Lays out the periods covering [from, to] (day numbers) into rep->periods: each period's
 * label and its days clipped to the range. starts[i] receives period i's first day inside
 * the range (heap array of rep->nperiods; the caller frees it).
 */
static void periods_layout(struct usage_report *rep, int64_t from, int64_t to, int64_t **starts)
{
    enum usage_granularity g = rep->granularity;
    size_t cap = 0, cnt = 0;
    int64_t *first = NULL;
    for (int64_t p = period_start(from, g); p <= to; p = period_next(p, g)) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            rep->periods = xrealloc(rep->periods, cap * sizeof(*rep->periods));
            first = xrealloc(first, cap * sizeof(*first));
        }
        struct usage_period *per = &rep->periods[cnt];
        memset(per, 0, sizeof(*per));
        int64_t a = p < from ? from : p;
        int64_t b = period_next(p, g) - 1;
        if (b > to)
            b = to;
        date_from_days(p, per->period);
        if (g == USAGE_MONTH)
            per->period[7] = '\0';
        date_from_days(a, per->first);
        date_from_days(b, per->last);
        first[cnt++] = a;
    }
    rep->nperiods = cnt;
    *starts = first;
}

/* The index of the period containing day d: the last one whose first day is <= d. */
static size_t period_find(const int64_t *starts, size_t n, int64_t d)
{
    size_t lo = 0, hi = n; /* the answer is in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (starts[mid] <= d)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ------------------------------------------------------------ usage report */

void usage_report_cleanup(struct usage_report *rep)
{
    for (size_t i = 0; i < rep->nperiods; i++) {
        for (size_t k = 0; k < rep->periods[i].nby_name; k++)
            free(rep->periods[i].by_name[k].event);
        free(rep->periods[i].by_name);
    }
    free(rep->periods);
    free(rep->key_counts);
    free(rep->last_seen_at);
    for (size_t i = 0; i < rep->nusers; i++) {
        free(rep->users[i].user_id);
        free(rep->users[i].traits);
        free(rep->users[i].last_seen);
        free(rep->users[i].contact_name);
        free(rep->users[i].contact_email);
    }
    free(rep->users);
    memset(rep, 0, sizeof(*rep));
}

/* A read transaction around the report's queries (deferred: it takes no write lock, so the
 * ingest writer is never held up), unless the caller already has one open. */
static int read_begin(struct store *st, bool *began)
{
    *began = false;
    if (st->depth > 0)
        return KZ_OK;
    int rc = db_exec_stmt(st, db_prepare(st, "BEGIN"));
    *began = rc == KZ_OK;
    return rc;
}

static void read_end(struct store *st, bool began)
{
    if (began)
        db_exec_stmt(st, db_prepare(st, "COMMIT"));
}

/* Distinct users of the account active in [a, b] (dates). */
static int distinct_users(struct store *st, int64_t account_id, const char *a, const char *b,
                          int64_t *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT count(DISTINCT user_key) FROM active_users_daily "
                                     "WHERE account_id = ? AND day >= ? AND day <= ?");
    db_bind_i64(s, 1, account_id);
    db_bind_text(s, 2, a);
    db_bind_text(s, 3, b);
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return db_rc(st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* Distinct users between day numbers a and b (inclusive). */
static int distinct_users_days(struct store *st, int64_t account_id, int64_t a, int64_t b,
                               int64_t *out)
{
    char sa[11], sb[11];
    date_from_days(a, sa);
    date_from_days(b, sb);
    return distinct_users(st, account_id, sa, sb, out);
}

/* Active users of each period. Days need no DISTINCT (one row per user and day), so they
 * come from one grouped query; weeks and months are counted period by period. */
static int report_active_users(struct store *st, struct usage_report *rep, int64_t from)
{
    int rc = KZ_OK;
    if (rep->granularity != USAGE_DAY) {
        for (size_t i = 0; i < rep->nperiods && rc == KZ_OK; i++) {
            struct usage_period *per = &rep->periods[i];
            rc = distinct_users(st, rep->account_id, per->first, per->last, &per->active_users);
        }
        return rc;
    }
    sqlite3_stmt *s = db_prepare(st, "SELECT day, count(*) FROM active_users_daily "
                                     "WHERE account_id = ? AND day >= ? AND day <= ? "
                                     "GROUP BY day");
    db_bind_i64(s, 1, rep->account_id);
    db_bind_text(s, 2, rep->from);
    db_bind_text(s, 3, rep->to);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *day = (const char *)sqlite3_column_text(s, 0);
        if (!day || date_valid(day))
            continue; /* not a day the writer would store: ignore rather than misplace */
        int64_t i = date_to_days(day) - from;
        if (i >= 0 && (size_t)i < rep->nperiods)
            rep->periods[i].active_users = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return db_rc(st, rc);
}

/* Event counts of each period, by name. Rows come by event then day, so all the rows of
 * one (period, event) pair are consecutive: each either adds to the last entry of its
 * period or starts a new one, and every period's list ends up sorted by event. */
static int report_events(struct store *st, struct usage_report *rep, const int64_t *starts)
{
    size_t *caps = xcalloc(rep->nperiods ? rep->nperiods : 1, sizeof(*caps));
    sqlite3_stmt *s = db_prepare(st, "SELECT event, day, count FROM usage_daily "
                                     "WHERE account_id = ? AND day >= ? AND day <= ? "
                                     "ORDER BY event, day");
    db_bind_i64(s, 1, rep->account_id);
    db_bind_text(s, 2, rep->from);
    db_bind_text(s, 3, rep->to);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *event = (const char *)sqlite3_column_text(s, 0);
        const char *day = (const char *)sqlite3_column_text(s, 1);
        int64_t count = sqlite3_column_int64(s, 2);
        if (!event || !day || date_valid(day) || rep->nperiods == 0)
            continue;
        size_t i = period_find(starts, rep->nperiods, date_to_days(day));
        struct usage_period *per = &rep->periods[i];
        per->events += count;
        if (per->nby_name && strcmp(per->by_name[per->nby_name - 1].event, event) == 0) {
            per->by_name[per->nby_name - 1].count += count;
            continue;
        }
        if (per->nby_name == caps[i]) {
            caps[i] = caps[i] ? caps[i] * 2 : 8;
            per->by_name = xrealloc(per->by_name, caps[i] * sizeof(*per->by_name));
        }
        per->by_name[per->nby_name].event = xstrdup(event);
        per->by_name[per->nby_name++].count = count;
    }
    sqlite3_reset(s);
    free(caps);
    return db_rc(st, rc);
}


/* rep->key_counts[i]: the count of key_events[i] in the 30 days ending `to` (day number);
 * rep->key_used: how many are above zero. One grouped query over those 30 days. */
static int report_key_events(struct store *st, struct usage_report *rep,
                             const char *const *key_events, size_t nkey, int64_t to)
{
    char a[11];
    date_from_days(to - 29, a);
    rep->nkey = nkey;
    rep->key_counts = xcalloc(nkey ? nkey : 1, sizeof(*rep->key_counts));
    if (nkey == 0)
        return KZ_OK;
    sqlite3_stmt *s = db_prepare(st, "SELECT event, sum(count) FROM usage_daily "
                                     "WHERE account_id = ? AND day >= ? AND day <= ? "
                                     "GROUP BY event");
    db_bind_i64(s, 1, rep->account_id);
    db_bind_text(s, 2, a);
    db_bind_text(s, 3, rep->to);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *event = (const char *)sqlite3_column_text(s, 0);
        for (size_t i = 0; event && i < nkey; i++) {
            if (str_eq(key_events[i], event))
                rep->key_counts[i] += sqlite3_column_int64(s, 1);
        }
    }
    sqlite3_reset(s);
    for (size_t i = 0; i < nkey; i++)
        rep->key_used += rep->key_counts[i] > 0;
    return db_rc(st, rc);
}

/* last_seen_at of the account (KZ_ENOTFOUND when it does not exist) and its seats. */
static int report_account(struct store *st, struct usage_report *rep)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT a.last_seen_at, s.seats FROM accounts a "
                                     "LEFT JOIN subscriptions s ON s.account_id = a.id "
                                     "WHERE a.id = ?");
    db_bind_i64(s, 1, rep->account_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        rep->last_seen_at = db_col_text(s, 0);
        rep->seats = db_col_i64(s, 1, -1);
    }
    sqlite3_reset(s);
    return db_row_rc(st, rc);
}

/* The account's tracked users, most recent first, each with the contact (the lowest id
 * when several) whose external_user_id is the user's id. */
static int report_users(struct store *st, struct usage_report *rep)
{
    sqlite3_stmt *s = db_prepare(
        st, "SELECT t.user_id, t.traits, t.last_seen, c.id, c.name, c.email "
            "FROM tracked_users t LEFT JOIN contacts c ON c.id = "
            "  (SELECT min(x.id) FROM contacts x WHERE x.account_id = t.account_id "
            "   AND x.external_user_id = t.user_id) "
            "WHERE t.account_id = ? ORDER BY t.last_seen DESC, t.user_id LIMIT ?");
    db_bind_i64(s, 1, rep->account_id);
    db_bind_i64(s, 2, USAGE_MAX_USERS);
    rep->users = xcalloc(USAGE_MAX_USERS, sizeof(*rep->users));
    int rc = SQLITE_DONE;
    while (rep->nusers < USAGE_MAX_USERS && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct usage_user *u = &rep->users[rep->nusers++];
        u->user_id = db_col_text(s, 0);
        u->traits = db_col_text(s, 1);
        u->last_seen = db_col_text(s, 2);
        u->contact_id = db_col_i64(s, 3, 0);
        u->contact_name = db_col_text(s, 4);
        u->contact_email = db_col_text(s, 5);
    }
    if (rep->nusers == USAGE_MAX_USERS)
        rc = SQLITE_DONE;
    sqlite3_reset(s);
    return db_rc(st, rc);
}

int store_usage_report(struct store *st, int64_t account_id, const char *from, const char *to,
                       enum usage_granularity g, const char *const *key_events, size_t nkey,
                       struct usage_report *rep)
{
    int64_t *starts = NULL;
    bool began = false;
    memset(rep, 0, sizeof(*rep));
    if (date_valid(from) || date_valid(to) || (g != USAGE_DAY && g != USAGE_WEEK &&
                                               g != USAGE_MONTH))
        return KZ_EINVAL;
    int64_t dfrom = date_to_days(from), dto = date_to_days(to);
    if (dfrom > dto || dto - dfrom + 1 > USAGE_MAX_DAYS)
        return KZ_EINVAL;
    rep->account_id = account_id;
    memcpy(rep->from, from, 11);
    memcpy(rep->to, to, 11);
    rep->granularity = g;
    rep->seats = -1;
    rep->seat_utilisation = -1;
    periods_layout(rep, dfrom, dto, &starts);

    store_usage_visible();
    int rc = read_begin(st, &began);
    if (rc == KZ_OK)
        rc = report_account(st, rep);
    if (rc == KZ_OK)
        rc = report_active_users(st, rep, dfrom);
    if (rc == KZ_OK)
        rc = report_events(st, rep, starts);
    if (rc == KZ_OK)
        rc = distinct_users_days(st, account_id, dto, dto, &rep->dau);
    if (rc == KZ_OK)
        rc = distinct_users_days(st, account_id, dto - 6, dto, &rep->wau);
    if (rc == KZ_OK)
        rc = distinct_users_days(st, account_id, dto - 29, dto, &rep->mau);
    if (rc == KZ_OK)
        rc = report_key_events(st, rep, key_events, nkey, dto);
    if (rc == KZ_OK)
        rc = report_users(st, rep);
    read_end(st, began);
    if (rc == KZ_OK && rep->seats > 0)
        rep->seat_utilisation = round((double)rep->mau / (double)rep->seats * 10000.0) / 10000.0;
    free(starts);
    if (rc)
        usage_report_cleanup(rep);
    return rc;
}
