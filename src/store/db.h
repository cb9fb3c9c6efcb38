/*
 * Internal helpers shared by the store's SQLite files (not for use outside src/store/):
 * the connection struct, the prepared-statement cache and typed bind/column helpers.
 */
#ifndef KZ_STORE_DB_H
#define KZ_STORE_DB_H

#include <sqlite3.h>

#include "store/store.h"
#include "util/util.h"

struct stmt_slot {
    const char *key; /* the caller's SQL pointer when first prepared: a hint, not an identity */
    char *sql;
    sqlite3_stmt *stmt;
};

struct store {
    sqlite3 *db;
    struct stmt_slot *slots;
    size_t nslots;
    int depth;            /* transaction nesting: 0 = none, >0 = savepoints */
    struct store *next;   /* all connections, for store_shutdown() */
};

/* The cached statement for sql (prepared on first use), reset and with bindings cleared.
 * The SQL is ours, so a prepare failure is a bug: it aborts with the message. */
sqlite3_stmt *db_prepare(struct store *st, const char *sql);
/* Maps an SQLite result to a kz_rc, logging unexpected errors. */
int db_rc(struct store *st, int rc);
/* Steps a statement that returns no rows, resets it, and returns a kz_rc
 * (a constraint violation is KZ_ECONFLICT). */
int db_exec_stmt(struct store *st, sqlite3_stmt *s);
/* The kz_rc of a step that expects one row: KZ_OK for a row, KZ_ENOTFOUND for none. */
int db_row_rc(struct store *st, int rc);
/* db_exec_stmt for an UPDATE or DELETE of one row: KZ_ENOTFOUND when no row changed. */
int db_exec_one(struct store *st, sqlite3_stmt *s);

void db_bind_text(sqlite3_stmt *s, int i, const char *v);      /* NULL binds NULL */
void db_bind_i64(sqlite3_stmt *s, int i, int64_t v);
void db_bind_i64_null(sqlite3_stmt *s, int i, int64_t v, int64_t null_value);
char *db_col_text(sqlite3_stmt *s, int i);                    /* heap copy or NULL */
void db_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n); /* "" for NULL */
int64_t db_col_i64(sqlite3_stmt *s, int i, int64_t null_value);

/* Segment filters (store/segments.c): a statement prepared for one use, which the caller
 * finalizes (NULL, logged, when SQLite refuses it), and the binding of a compiled filter's
 * values to ?first .. ?(first + nbinds - 1). */
struct seg_sql;
sqlite3_stmt *db_prepare_transient(struct store *st, const char *sql);
void db_bind_segment(sqlite3_stmt *s, int first, const struct seg_sql *q);

/* Current UTC time in the store's text format. */
void db_now(char out[static 21]);

#endif
