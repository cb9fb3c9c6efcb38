/*
 * SQLite store for segments (store/segments.h), and the two helpers (db.h) that run a
 * compiled segment filter: a statement prepared for one use (every filter has its own SQL
 * text, so caching them would grow the per-connection cache without bound) and the binding
 * of the filter's typed values to its numbered placeholders.
 */
#include "store/db.h"
#include "store/segments.h"

#include <stdlib.h>
#include <string.h>

#define SEGMENT_COLS "id, name, description, filter, created_by, created_at, updated_at"

sqlite3_stmt *db_prepare_transient(struct store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        log_error("cannot prepare a segment query (%s)", sqlite3_errmsg(st->db));
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

void db_bind_segment(sqlite3_stmt *s, int first, const struct seg_sql *q)
{
    for (size_t i = 0; i < q->nbinds; i++) {
        const struct seg_bind *b = &q->binds[i];
        int k = first + (int)i;
        if (b->type == SEG_BIND_INT)
            sqlite3_bind_int64(s, k, b->i);
        else if (b->type == SEG_BIND_REAL)
            sqlite3_bind_double(s, k, b->d);
        else
            sqlite3_bind_text(s, k, b->s, -1, SQLITE_TRANSIENT);
    }
}

void segment_cleanup(struct segment *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->description);
    free(s->filter);
    memset(s, 0, sizeof(*s));
}

void segments_free(struct segment *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        segment_cleanup(&v[i]);
    free(v);
}

static void segment_read(sqlite3_stmt *s, struct segment *out)
{
    out->id = sqlite3_column_int64(s, 0);
    out->name = db_col_text(s, 1);
    out->description = db_col_text(s, 2);
    out->filter = db_col_text(s, 3);
    out->created_by = db_col_i64(s, 4, 0);
    db_col_copy(s, 5, out->created_at, sizeof(out->created_at));
    db_col_copy(s, 6, out->updated_at, sizeof(out->updated_at));
}

int store_segment_get(struct store *st, int64_t id, struct segment *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " SEGMENT_COLS " FROM segments WHERE id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    int rc = sqlite3_step(s);
    int krc = db_row_rc(st, rc);
    if (krc == KZ_OK)
        segment_read(s, out);
    sqlite3_reset(s);
    return krc;
}

int store_segment_create(struct store *st, struct segment *seg)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO segments (name, description, filter, "
                                     "created_by, created_at, updated_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?)");
    db_bind_text(s, 1, seg->name);
    db_bind_text(s, 2, seg->description);
    db_bind_text(s, 3, seg->filter);
    db_bind_i64_null(s, 4, seg->created_by, 0);
    db_bind_text(s, 5, now);
    db_bind_text(s, 6, now);
    int rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    seg->id = sqlite3_last_insert_rowid(st->db);
    memcpy(seg->created_at, now, sizeof(now));
    memcpy(seg->updated_at, now, sizeof(now));
    return KZ_OK;
}

int store_segment_update(struct store *st, struct segment *seg)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE segments SET name = ?, description = ?, "
                                     "filter = ?, updated_at = ? WHERE id = ?");
    db_bind_text(s, 1, seg->name);
    db_bind_text(s, 2, seg->description);
    db_bind_text(s, 3, seg->filter);
    db_bind_text(s, 4, now);
    db_bind_i64(s, 5, seg->id);
    int rc = db_exec_one(st, s);
    if (rc == KZ_OK)
        memcpy(seg->updated_at, now, sizeof(now));
    return rc;
}

int store_segment_delete(struct store *st, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM segments WHERE id = ?");
    db_bind_i64(s, 1, id);
    return db_exec_one(st, s);
}

int store_segments_list(struct store *st, const char *after_name, int64_t after_id, int limit,
                        struct segment **out, size_t *n)
{
    sqlite3_stmt *s = after_name
        ? db_prepare(st, "SELECT " SEGMENT_COLS " FROM segments WHERE (name, id) > (?, ?) "
                         "ORDER BY name, id LIMIT ?")
        : db_prepare(st, "SELECT " SEGMENT_COLS " FROM segments ORDER BY name, id LIMIT ?3");
    if (after_name) {
        db_bind_text(s, 1, after_name);
        db_bind_i64(s, 2, after_id);
    }
    db_bind_i64(s, 3, (int64_t)limit + 1);
    struct segment *v = NULL;
    size_t cnt = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xrealloc(v, (cnt + 1) * sizeof(*v));
        memset(&v[cnt], 0, sizeof(*v));
        segment_read(s, &v[cnt++]);
    }
    sqlite3_reset(s);
    rc = db_rc(st, rc);
    if (rc) {
        segments_free(v, cnt);
        v = NULL;
        cnt = 0;
    }
    *out = v;
    *n = cnt;
    return rc;
}

/* COUNT(*) of the accounts matching filter (and a.id = account_id when it is not 0). */
static int segment_count(struct store *st, const struct seg_node *filter, int64_t account_id,
                         int64_t *count)
{
    struct seg_sql where;
    seg_compile(filter, now_unix(), 2, &where); /* ?1 is the account id */
    char *sql = xasprintf("SELECT COUNT(*) FROM accounts a "
                          "LEFT JOIN subscriptions s ON s.account_id = a.id WHERE %s(%s)",
                          account_id ? "a.id = ?1 AND " : "", where.sql);
    sqlite3_stmt *s = db_prepare_transient(st, sql);
    free(sql);
    int rc = KZ_EDB;
    if (s) {
        if (account_id)
            db_bind_i64(s, 1, account_id);
        db_bind_segment(s, 2, &where);
        int src = sqlite3_step(s);
        if (src == SQLITE_ROW)
            *count = sqlite3_column_int64(s, 0);
        rc = db_rc(st, src);
        sqlite3_finalize(s);
    }
    seg_sql_cleanup(&where);
    return rc;
}

int store_segment_count(struct store *st, const struct seg_node *filter, int64_t *count)
{
    return segment_count(st, filter, 0, count);
}

int store_segment_has(struct store *st, const struct seg_node *filter, int64_t account_id,
                      bool *member)
{
    int64_t n = 0;
    int rc = segment_count(st, filter, account_id, &n);
    *member = rc == KZ_OK && n > 0;
    return rc;
}
