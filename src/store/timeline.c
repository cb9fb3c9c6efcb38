/*
 * SQLite store for the conversation history of an account (timeline entries: notes,
 * meetings, calls, emails, tickets, hand-offs) and the contacts who took part in each
 * (timeline_contacts). An entry and its participant links are always written in one
 * transaction, and every participant must be a contact of the entry's own account.
 * Lists are newest first by (occurred_at DESC, id DESC) with a keyset cursor.
 * An empty body is stored as '' (the column is NOT NULL) and read back as NULL.
 */
#include "store/db.h"

#include <stdlib.h>
#include <string.h>

#define ENTRY_COLS                                                                                 \
    "id, account_id, type, author_id, occurred_at, summary, body, created_at, updated_at"

void timeline_entry_cleanup(struct timeline_entry *e)
{
    if (!e)
        return;
    free(e->type);
    free(e->summary);
    free(e->body);
    free(e->contact_ids);
    memset(e, 0, sizeof(*e));
}

void timeline_entries_free(struct timeline_entry *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        timeline_entry_cleanup(&v[i]);
    free(v);
}

/* Fills e (assumed empty) from a row selected with ENTRY_COLS; e owns the copies. */
static void entry_read(sqlite3_stmt *s, struct timeline_entry *e)
{
    e->id = db_col_i64(s, 0, 0);
    e->account_id = db_col_i64(s, 1, 0);
    e->type = db_col_text(s, 2);
    e->author_id = db_col_i64(s, 3, 0);
    db_col_copy(s, 4, e->occurred_at, sizeof(e->occurred_at));
    e->summary = db_col_text(s, 5);
    e->body = db_col_text(s, 6);
    if (e->body && !*e->body) {
        free(e->body);
        e->body = NULL;
    }
    db_col_copy(s, 7, e->created_at, sizeof(e->created_at));
    db_col_copy(s, 8, e->updated_at, sizeof(e->updated_at));
}

/* Loads e->contact_ids (ascending) for an entry read from the database; e owns the array. */
static int entry_load_contacts(struct store *st, struct timeline_entry *e)
{
    int rc = KZ_OK;
    size_t cap = 0;
    sqlite3_stmt *s = db_prepare(st, "SELECT contact_id FROM timeline_contacts"
                                     " WHERE entry_id = ? AND account_id = ?"
                                     " ORDER BY contact_id");
    free(e->contact_ids);
    e->contact_ids = NULL;
    e->ncontacts = 0;
    db_bind_i64(s, 1, e->id);
    db_bind_i64(s, 2, e->account_id);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            goto out;
        }
        if (e->ncontacts == cap) {
            cap = cap ? cap * 2 : 4;
            e->contact_ids = xrealloc(e->contact_ids, cap * sizeof(*e->contact_ids));
        }
        e->contact_ids[e->ncontacts++] = db_col_i64(s, 0, 0);
    }
out:
    sqlite3_reset(s);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts e->contact_ids ascending (the order reads return) and drops repeated ids. */
static void entry_dedup_contacts(struct timeline_entry *e)
{
    size_t k = 0;
    if (e->ncontacts == 0)
        return;
    qsort(e->contact_ids, e->ncontacts, sizeof(*e->contact_ids), cmp_i64);
    for (size_t i = 0; i < e->ncontacts; i++) {
        if (k == 0 || e->contact_ids[k - 1] != e->contact_ids[i])
            e->contact_ids[k++] = e->contact_ids[i];
    }
    e->ncontacts = k;
}

/*
 * Replaces the participant links of entry e with e->contact_ids. Must run inside a
 * transaction. KZ_EINVAL when an id is not a contact of e->account_id.
 */
static int entry_write_contacts(struct store *st, struct timeline_entry *e)
{
    int rc;
    entry_dedup_contacts(e);
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM timeline_contacts"
                                     " WHERE entry_id = ? AND account_id = ?");
    db_bind_i64(s, 1, e->id);
    db_bind_i64(s, 2, e->account_id);
    rc = db_exec_stmt(st, s);
    if (rc)
        goto out;
    for (size_t i = 0; i < e->ncontacts; i++) {
        s = db_prepare(st, "SELECT 1 FROM contacts WHERE id = ? AND account_id = ?");
        db_bind_i64(s, 1, e->contact_ids[i]);
        db_bind_i64(s, 2, e->account_id);
        int src = sqlite3_step(s);
        sqlite3_reset(s);
        if (src == SQLITE_DONE) {
            rc = KZ_EINVAL;
            goto out;
        }
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            goto out;
        }
        s = db_prepare(st, "INSERT INTO timeline_contacts (account_id, entry_id, contact_id)"
                           " VALUES (?, ?, ?)");
        db_bind_i64(s, 1, e->account_id);
        db_bind_i64(s, 2, e->id);
        db_bind_i64(s, 3, e->contact_ids[i]);
        rc = db_exec_stmt(st, s);
        if (rc)
            goto out;
    }
out:
    return rc;
}

/*
 * Loads entry id of account_id, with its contact ids, into *out (overwritten: pass an empty
 * struct; the caller frees it with timeline_entry_cleanup). KZ_ENOTFOUND when no such entry
 * belongs to that account.
 */
int store_timeline_get(struct store *st, int64_t account_id, int64_t id, struct timeline_entry *out)
{
    int rc;
    sqlite3_stmt *s = db_prepare(st, "SELECT " ENTRY_COLS " FROM timeline_entries"
                                     " WHERE id = ? AND account_id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        entry_read(s, out);
        rc = KZ_OK;
    } else if (src == SQLITE_DONE) {
        rc = KZ_ENOTFOUND;
    } else {
        rc = db_rc(st, src);
    }
    sqlite3_reset(s);
    if (rc == KZ_OK)
        rc = entry_load_contacts(st, out);
    if (rc)
        timeline_entry_cleanup(out);
    return rc;
}

/*
 * Inserts e and its participant links in one transaction. An empty e->occurred_at means
 * now. On success e->id and the times are set, and e->contact_ids is sorted with duplicates
 * removed; e stays owned by the caller. KZ_EINVAL when a contact id is not a contact of
 * e->account_id (nothing is written then).
 */
int store_timeline_create(struct store *st, struct timeline_entry *e)
{
    char now[21];
    db_now(now);
    if (!e->occurred_at[0])
        memcpy(e->occurred_at, now, sizeof(now));
    bool in_tx = false;
    int rc = store_begin(st);
    if (rc)
        goto out;
    in_tx = true;
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO timeline_entries (account_id, type,"
                                     " author_id, occurred_at, summary, body, created_at,"
                                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, e->account_id);
    db_bind_text(s, 2, e->type);
    db_bind_i64_null(s, 3, e->author_id, 0);
    db_bind_text(s, 4, e->occurred_at);
    db_bind_text(s, 5, e->summary);
    db_bind_text(s, 6, e->body ? e->body : "");
    db_bind_text(s, 7, now);
    db_bind_text(s, 8, now);
    rc = db_exec_stmt(st, s);
    if (rc)
        goto out;
    e->id = sqlite3_last_insert_rowid(st->db);
    rc = entry_write_contacts(st, e);
    if (rc)
        goto out;
    in_tx = false; /* store_commit rolls back itself when it fails */
    rc = store_commit(st);
    if (rc)
        goto out;
    memcpy(e->created_at, now, sizeof(now));
    memcpy(e->updated_at, now, sizeof(now));
out:
    if (in_tx)
        store_rollback(st);
    if (rc)
        e->id = 0;
    return rc;
}

/*
 * Saves type, occurred_at, summary, body and author_id of e (found by e->id and
 * e->account_id) and replaces its participants with e->contact_ids, in one transaction.
 * Sets e->updated_at. KZ_ENOTFOUND when no such entry belongs to that account; KZ_EINVAL
 * when a contact id is not a contact of that account (nothing is changed then).
 */
int store_timeline_update(struct store *st, struct timeline_entry *e)
{
    char now[21];
    db_now(now);
    bool in_tx = false;
    int rc = store_begin(st);
    if (rc)
        goto out;
    in_tx = true;
    sqlite3_stmt *s = db_prepare(st, "UPDATE timeline_entries SET type = ?, author_id = ?,"
                                     " occurred_at = ?, summary = ?, body = ?, updated_at = ?"
                                     " WHERE id = ? AND account_id = ?");
    db_bind_text(s, 1, e->type);
    db_bind_i64_null(s, 2, e->author_id, 0);
    db_bind_text(s, 3, e->occurred_at);
    db_bind_text(s, 4, e->summary);
    db_bind_text(s, 5, e->body ? e->body : "");
    db_bind_text(s, 6, now);
    db_bind_i64(s, 7, e->id);
    db_bind_i64(s, 8, e->account_id);
    rc = db_exec_stmt(st, s);
    if (rc)
        goto out;
    if (sqlite3_changes(st->db) == 0) {
        rc = KZ_ENOTFOUND;
        goto out;
    }
    rc = entry_write_contacts(st, e);
    if (rc)
        goto out;
    in_tx = false; /* store_commit rolls back itself when it fails */
    rc = store_commit(st);
    if (rc)
        goto out;
    memcpy(e->updated_at, now, sizeof(now));
out:
    if (in_tx)
        store_rollback(st);
    return rc;
}

/* Deletes an entry and its links. KZ_ENOTFOUND when it does not belong to account_id. */
int store_timeline_delete(struct store *st, int64_t account_id, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM timeline_entries"
                                     " WHERE id = ? AND account_id = ?");
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    int rc = db_exec_one(st, s);
    return rc;
}

/*
 * Entries of f->account_id (of f->type when set), newest first by (occurred_at, id), after
 * the cursor when f->has_cursor, at most f->limit + 1 of them, each with its contact ids.
 * *out is a heap array of *n entries: the caller frees it with timeline_entries_free();
 * on error *out is NULL and *n 0.
 */
int store_timeline_list(struct store *st, const struct timeline_filter *f,
                        struct timeline_entry **out, size_t *n)
{
    /* Indexed by (type set) * 2 + (cursor set): the SQL is fixed text, values are bound. */
    static const char *const sql[4] = {
        "SELECT " ENTRY_COLS " FROM timeline_entries WHERE account_id = ?"
        " ORDER BY occurred_at DESC, id DESC LIMIT ?",
        "SELECT " ENTRY_COLS " FROM timeline_entries WHERE account_id = ?"
        " AND (occurred_at < ? OR (occurred_at = ? AND id < ?))"
        " ORDER BY occurred_at DESC, id DESC LIMIT ?",
        "SELECT " ENTRY_COLS " FROM timeline_entries WHERE account_id = ? AND type = ?"
        " ORDER BY occurred_at DESC, id DESC LIMIT ?",
        "SELECT " ENTRY_COLS " FROM timeline_entries WHERE account_id = ? AND type = ?"
        " AND (occurred_at < ? OR (occurred_at = ? AND id < ?))"
        " ORDER BY occurred_at DESC, id DESC LIMIT ?",
    };
    int rc = KZ_OK;
    size_t cap = f->limit > 0 ? (size_t)f->limit + 1 : 1;
    struct timeline_entry *v = xcalloc(cap, sizeof(*v));
    size_t count = 0;
    int b = 1;
    sqlite3_stmt *s = db_prepare(st, sql[(f->type ? 2 : 0) + (f->has_cursor ? 1 : 0)]);
    db_bind_i64(s, b++, f->account_id);
    if (f->type)
        db_bind_text(s, b++, f->type);
    if (f->has_cursor) {
        db_bind_text(s, b++, f->cursor_at);
        db_bind_text(s, b++, f->cursor_at);
        db_bind_i64(s, b++, f->cursor_id);
    }
    db_bind_i64(s, b, (int64_t)cap);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            sqlite3_reset(s);
            goto out;
        }
        entry_read(s, &v[count++]);
        if (count == cap)
            break;
    }
    sqlite3_reset(s);
    for (size_t i = 0; i < count; i++) {
        rc = entry_load_contacts(st, &v[i]);
        if (rc)
            goto out;
    }
out:
    if (rc) {
        timeline_entries_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}
