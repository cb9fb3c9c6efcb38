/*
 * A throw-away database for the unit tests that need a whole store: created under /tmp with
 * the migrations applied, removed with its WAL and shared-memory files afterwards.
 */
#ifndef KZ_TEST_TESTDB_H
#define KZ_TEST_TESTDB_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"
#include "util/util.h"

static char test_db_path[128];

/* Opens /tmp/kz-<name>-<pid>-<tag>.db afresh and returns this thread's store. */
static inline struct store *test_db_open(const char *name, const char *tag)
{
    snprintf(test_db_path, sizeof(test_db_path), "/tmp/kz-%s-%d-%s.db", name, getpid(), tag);
    unlink(test_db_path);
    cr_assert_eq(store_init(test_db_path), KZ_OK);
    return store_get();
}

static inline void test_db_close(void)
{
    char p[160];
    store_shutdown();
    unlink(test_db_path);
    snprintf(p, sizeof(p), "%s-wal", test_db_path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", test_db_path);
    unlink(p);
}

/* The single value of sql on this thread's store (the query must return a row). */
static inline sqlite3_stmt *test_q_row(const char *sql)
{
    sqlite3 *db = store_get()->db;
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
    return s;
}

static inline int64_t q_i64(const char *sql)
{
    sqlite3_stmt *s = test_q_row(sql);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static inline double q_num(const char *sql)
{
    sqlite3_stmt *s = test_q_row(sql);
    double v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* The text value ("" for NULL; caller frees). */
static inline char *q_text(const char *sql)
{
    sqlite3_stmt *s = test_q_row(sql);
    const unsigned char *t = sqlite3_column_text(s, 0);
    char *v = xstrdup(t ? (const char *)t : "");
    sqlite3_finalize(s);
    return v;
}

#endif
