/*
 * A throw-away database for the unit tests that need a whole store: created under /tmp with
 * the migrations applied, removed with its WAL and shared-memory files afterwards.
 */
#ifndef KZ_TEST_TESTDB_H
#define KZ_TEST_TESTDB_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "store/store.h"

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

#endif
