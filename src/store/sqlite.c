/*
 * SQLite backend core: one connection per thread (WAL, foreign keys, busy timeout, full
 * sync), numbered migrations applied at start-up in one transaction each and recorded in
 * schema_version, the per-connection prepared-statement cache, and nested transactions.
 */
#include "store/db.h"
#include "store/migrations.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *db_path;
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *conns;
static _Thread_local struct store *this_thread;

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_error("sqlite: %s", err ? err : "unknown error");
        sqlite3_free(err);
        return KZ_EDB;
    }
    return KZ_OK;
}

static sqlite3 *open_conn(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        log_error("cannot open database %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 1);
    if (exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                     "PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;")) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int migrate(sqlite3 *db)
{
    if (exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                     " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"))
        return KZ_EDB;
    for (int i = 0; i < migrations_count; i++) {
        const struct migration *m = &migrations[i];
        if (exec_sql(db, "BEGIN IMMEDIATE"))
            return KZ_EDB;
        sqlite3_stmt *s;
        sqlite3_prepare_v2(db, "SELECT 1 FROM schema_version WHERE version = ?", -1, &s, NULL);
        sqlite3_bind_int(s, 1, m->version);
        int done = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
        if (done) {
            exec_sql(db, "ROLLBACK");
            continue;
        }
        if (exec_sql(db, m->sql)) {
            log_error("migration %s failed", m->name);
            exec_sql(db, "ROLLBACK");
            return KZ_EDB;
        }
        char now[21];
        db_now(now);
        sqlite3_prepare_v2(db, "INSERT INTO schema_version (version, name, applied_at) "
                               "VALUES (?, ?, ?)", -1, &s, NULL);
        sqlite3_bind_int(s, 1, m->version);
        sqlite3_bind_text(s, 2, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE || exec_sql(db, "COMMIT")) {
            exec_sql(db, "ROLLBACK");
            return KZ_EDB;
        }
        log_info("applied migration %s", m->name);
    }
    return KZ_OK;
}

int store_init(const char *path)
{
    /* SQLite's allocation statistics take a global mutex on every malloc; we never read
     * them. Must precede the first connection (later calls are refused, harmlessly). */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    free(db_path);
    db_path = xstrdup(path);
    sqlite3 *db = open_conn(path);
    if (!db)
        return KZ_EDB;
    int rc = migrate(db);
    sqlite3_close(db);
    return rc;
}

struct store *store_get(void)
{
    if (this_thread)
        return this_thread;
    sqlite3 *db = open_conn(db_path);
    if (!db) {
        log_error("cannot open a database connection; stopping");
        abort();
    }
    struct store *st = xcalloc(1, sizeof(*st));
    st->db = db;
    pthread_mutex_lock(&conns_lock);
    st->next = conns;
    conns = st;
    pthread_mutex_unlock(&conns_lock);
    this_thread = st;
    return st;
}

void store_shutdown(void)
{
    pthread_mutex_lock(&conns_lock);
    struct store *st = conns;
    conns = NULL;
    pthread_mutex_unlock(&conns_lock);
    while (st) {
        struct store *next = st->next;
        for (size_t i = 0; i < st->nslots; i++) {
            sqlite3_finalize(st->slots[i].stmt);
            free(st->slots[i].sql);
        }
        free(st->slots);
        if (!next)
            exec_sql(st->db, "PRAGMA wal_checkpoint(TRUNCATE)");
        sqlite3_close(st->db);
        free(st);
        st = next;
    }
    this_thread = NULL;
}

int64_t store_db_size(void)
{
    struct stat sb;
    int64_t total = 0;
    if (db_path && stat(db_path, &sb) == 0)
        total += sb.st_size;
    char *wal = xasprintf("%s-wal", db_path ? db_path : "");
    if (stat(wal, &sb) == 0)
        total += sb.st_size;
    free(wal);
    return total;
}

/* ------------------------------------------------------------ statements */

static sqlite3_stmt *slot_stmt(struct stmt_slot *slot)
{
    sqlite3_reset(slot->stmt);
    sqlite3_clear_bindings(slot->stmt);
    return slot->stmt;
}

sqlite3_stmt *db_prepare(struct store *st, const char *sql)
{
    /* Most SQL is a string literal: its pointer finds the slot with one comparison of text
     * instead of one per slot. The text is still compared because built SQL (list filters)
     * is freed after use and another query may later come at the same address. */
    for (size_t i = 0; i < st->nslots; i++)
        if (st->slots[i].key == sql && strcmp(st->slots[i].sql, sql) == 0)
            return slot_stmt(&st->slots[i]);
    for (size_t i = 0; i < st->nslots; i++)
        if (strcmp(st->slots[i].sql, sql) == 0)
            return slot_stmt(&st->slots[i]);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        log_error("bad SQL (%s): %s", sqlite3_errmsg(st->db), sql);
        abort();
    }
    st->slots = xrealloc(st->slots, (st->nslots + 1) * sizeof(*st->slots));
    st->slots[st->nslots].key = sql;
    st->slots[st->nslots].sql = xstrdup(sql);
    st->slots[st->nslots].stmt = s;
    st->nslots++;
    return s;
}

int db_rc(struct store *st, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return KZ_OK;
    case SQLITE_CONSTRAINT:
        /* a reference to a row that is gone is bad input; anything else is a conflict */
        return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? KZ_EINVAL : KZ_ECONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return KZ_EBUSY;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
        return KZ_ETOOBIG;
    default:
        log_error("sqlite error %d: %s", rc, sqlite3_errmsg(st->db));
        return KZ_EDB;
    }
}

int db_exec_stmt(struct store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    int krc = db_rc(st, rc);
    sqlite3_reset(s);
    return krc;
}

int db_row_rc(struct store *st, int rc)
{
    return rc == SQLITE_ROW ? KZ_OK : rc == SQLITE_DONE ? KZ_ENOTFOUND : db_rc(st, rc);
}

int db_exec_one(struct store *st, sqlite3_stmt *s)
{
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK && sqlite3_changes(st->db) == 0)
        rc = KZ_ENOTFOUND;
    return rc;
}

void db_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

void db_bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
    sqlite3_bind_int64(s, i, v);
}

void db_bind_i64_null(sqlite3_stmt *s, int i, int64_t v, int64_t null_value)
{
    if (v == null_value)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, v);
}

char *db_col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, i)) : NULL;
}

void db_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int64_t db_col_i64(sqlite3_stmt *s, int i, int64_t null_value)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return null_value;
    return sqlite3_column_int64(s, i);
}

void db_now(char out[static 21])
{
    time_format(now_unix(), out);
}

/* ------------------------------------------------------------ transactions */

int store_begin(struct store *st)
{
    int rc = exec_sql(st->db, st->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT sp");
    if (rc == KZ_OK)
        st->depth++;
    return rc == KZ_OK ? KZ_OK : KZ_EBUSY;
}

int store_commit(struct store *st)
{
    int rc = exec_sql(st->db, st->depth == 1 ? "COMMIT" : "RELEASE sp");
    if (rc == KZ_OK)
        st->depth--;
    else
        store_rollback(st);
    return rc;
}

void store_rollback(struct store *st)
{
    if (st->depth <= 0)
        return;
    if (st->depth == 1)
        exec_sql(st->db, "ROLLBACK");
    else
        exec_sql(st->db, "ROLLBACK TO sp; RELEASE sp");
    st->depth--;
}

int store_integrity_check(struct store *st)
{
    sqlite3_stmt *s = db_prepare(st, "PRAGMA integrity_check");
    int ok = sqlite3_step(s) == SQLITE_ROW &&
             str_eq((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_reset(s);
    return ok ? KZ_OK : KZ_EDB;
}

void store_autocheckpoint(struct store *st, int pages)
{
    sqlite3_wal_autocheckpoint(st->db, pages);
}

int store_checkpoint(struct store *st)
{
    int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK ? KZ_OK : db_rc(st, rc);
}

int store_backup(struct store *st, const char *path)
{
    sqlite3 *dst = NULL;
    int rc = sqlite3_open(path, &dst);
    if (rc == SQLITE_OK) {
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", st->db, "main");
        if (b) {
            while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY ||
                   rc == SQLITE_LOCKED)
                sqlite3_sleep(10);
            sqlite3_backup_finish(b);
        }
        rc = sqlite3_errcode(dst);
    }
    if (rc != SQLITE_OK)
        log_error("backup to %s failed: %s", path, dst ? sqlite3_errmsg(dst) : "no memory");
    sqlite3_close(dst);
    return rc == SQLITE_OK ? KZ_OK : KZ_EDB;
}
