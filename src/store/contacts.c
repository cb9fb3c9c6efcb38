/*
 * SQLite store for contacts: the stakeholders of an account (decision maker, champion,
 * admin, user). Every read and write is scoped by account_id, so a contact id used under
 * the wrong account is simply not found. Lists are keyset-paginated by id.
 */
#include "store/db.h"

#include <stdlib.h>
#include <string.h>

#define CONTACT_COLS                                                                               \
    "id, account_id, name, email, title, role, phone, external_user_id, notes, created_at, "       \
    "updated_at"

void contact_cleanup(struct contact *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->email);
    free(c->title);
    free(c->role);
    free(c->phone);
    free(c->external_user_id);
    free(c->notes);
    memset(c, 0, sizeof(*c));
}

void contacts_free(struct contact *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        contact_cleanup(&v[i]);
    free(v);
}

/* Fills c (assumed empty) from a row selected with CONTACT_COLS; c owns the copies. */
static void contact_read(sqlite3_stmt *s, struct contact *c)
{
    c->id = db_col_i64(s, 0, 0);
    c->account_id = db_col_i64(s, 1, 0);
    c->name = db_col_text(s, 2);
    c->email = db_col_text(s, 3);
    c->title = db_col_text(s, 4);
    c->role = db_col_text(s, 5);
    c->phone = db_col_text(s, 6);
    c->external_user_id = db_col_text(s, 7);
    c->notes = db_col_text(s, 8);
    db_col_copy(s, 9, c->created_at, sizeof(c->created_at));
    db_col_copy(s, 10, c->updated_at, sizeof(c->updated_at));
}

/*
 * Loads contact id of account_id into *out (overwritten, not freed first: pass an empty
 * struct; the caller frees it with contact_cleanup). KZ_ENOTFOUND when no such contact
 * belongs to that account; *out is then zeroed.
 */
int store_contact_get(struct store *st, int64_t account_id, int64_t id, struct contact *out)
{
    int rc;
    sqlite3_stmt *s = db_prepare(st, "SELECT " CONTACT_COLS " FROM contacts"
                                     " WHERE id = ? AND account_id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        contact_read(s, out);
        rc = KZ_OK;
    } else if (src == SQLITE_DONE) {
        rc = KZ_ENOTFOUND;
    } else {
        rc = db_rc(st, src);
    }
    sqlite3_reset(s);
    return rc;
}

/*
 * Inserts c (its account_id must exist: otherwise KZ_ECONFLICT from the foreign key).
 * A NULL role is stored as "user" and c->role is set accordingly. On success c->id,
 * c->created_at and c->updated_at are set. c stays owned by the caller.
 */
int store_contact_create(struct store *st, struct contact *c)
{
    char now[21];
    db_now(now);
    if (!c->role)
        c->role = xstrdup("user");
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO contacts (account_id, name, email, title,"
                                     " role, phone, external_user_id, notes, created_at,"
                                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, c->account_id);
    db_bind_text(s, 2, c->name);
    db_bind_text(s, 3, c->email);
    db_bind_text(s, 4, c->title);
    db_bind_text(s, 5, c->role);
    db_bind_text(s, 6, c->phone);
    db_bind_text(s, 7, c->external_user_id);
    db_bind_text(s, 8, c->notes);
    db_bind_text(s, 9, now);
    db_bind_text(s, 10, now);
    int rc = db_exec_stmt(st, s);
    if (rc)
        goto out;
    c->id = sqlite3_last_insert_rowid(st->db);
    memcpy(c->created_at, now, sizeof(now));
    memcpy(c->updated_at, now, sizeof(now));
out:
    return rc;
}

/*
 * Saves every writable field of c (the row is found by c->id and c->account_id) and sets
 * c->updated_at. KZ_ENOTFOUND when no such contact belongs to that account.
 */
int store_contact_update(struct store *st, struct contact *c)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE contacts SET name = ?, email = ?, title = ?,"
                                     " role = ?, phone = ?, external_user_id = ?, notes = ?,"
                                     " updated_at = ? WHERE id = ? AND account_id = ?");
    db_bind_text(s, 1, c->name);
    db_bind_text(s, 2, c->email);
    db_bind_text(s, 3, c->title);
    db_bind_text(s, 4, c->role ? c->role : "user");
    db_bind_text(s, 5, c->phone);
    db_bind_text(s, 6, c->external_user_id);
    db_bind_text(s, 7, c->notes);
    db_bind_text(s, 8, now);
    db_bind_i64(s, 9, c->id);
    db_bind_i64(s, 10, c->account_id);
    int rc = db_exec_stmt(st, s);
    if (rc)
        goto out;
    if (sqlite3_changes(st->db) == 0) {
        rc = KZ_ENOTFOUND;
        goto out;
    }
    memcpy(c->updated_at, now, sizeof(now));
out:
    return rc;
}

/* Deletes a contact (its timeline links go with it). KZ_ENOTFOUND when not in account_id. */
int store_contact_delete(struct store *st, int64_t account_id, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM contacts WHERE id = ? AND account_id = ?");
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, account_id);
    int rc = db_exec_one(st, s);
    return rc;
}

/*
 * The contacts of account_id with id > after_id, by id, at most limit + 1 of them (so the
 * caller can tell whether there is a next page). *out is a heap array of *n contacts that
 * the caller frees with contacts_free(*out, *n); on error *out is NULL and *n 0.
 */
int store_contacts_list(struct store *st, int64_t account_id, int64_t after_id, int limit,
                        struct contact **out, size_t *n)
{
    int rc = KZ_OK;
    size_t cap = limit > 0 ? (size_t)limit + 1 : 1;
    struct contact *v = xcalloc(cap, sizeof(*v));
    size_t count = 0;
    sqlite3_stmt *s = db_prepare(st, "SELECT " CONTACT_COLS " FROM contacts"
                                     " WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?");
    db_bind_i64(s, 1, account_id);
    db_bind_i64(s, 2, after_id);
    db_bind_i64(s, 3, (int64_t)cap);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            goto out;
        }
        contact_read(s, &v[count++]);
        if (count == cap)
            break;
    }
out:
    sqlite3_reset(s);
    if (rc) {
        contacts_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}
