/*
 * SQLite store for email (store/email.h): the email_templates table (migration 011), one
 * account's placeholder values for a rendering, and the contacts of a role an email goes to.
 * Every value is bound.
 */
#include "store/email.h"

#include <stdlib.h>
#include <string.h>

#include "store/db.h"

#define ET_COLS "id, name, subject, body_text, body_html, created_at, updated_at"

void email_template_cleanup(struct email_template *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->subject);
    free(t->body_text);
    free(t->body_html);
    memset(t, 0, sizeof(*t));
}

void email_templates_free(struct email_template *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        email_template_cleanup(&v[i]);
    free(v);
}

static void et_read(sqlite3_stmt *s, struct email_template *t)
{
    t->id = db_col_i64(s, 0, 0);
    t->name = db_col_text(s, 1);
    t->subject = db_col_text(s, 2);
    t->body_text = db_col_text(s, 3);
    t->body_html = db_col_text(s, 4);
    db_col_copy(s, 5, t->created_at, sizeof(t->created_at));
    db_col_copy(s, 6, t->updated_at, sizeof(t->updated_at));
}

/* Binds the template's editable fields to parameters 1-4: name, subject, body_text, body_html. */
static void et_bind(sqlite3_stmt *s, const struct email_template *t)
{
    db_bind_text(s, 1, t->name);
    db_bind_text(s, 2, t->subject);
    db_bind_text(s, 3, t->body_text);
    db_bind_text(s, 4, t->body_html);
}

int store_email_template_create(struct store *st, struct email_template *t)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO email_templates (name, subject, body_text,"
                                     " body_html, created_at, updated_at)"
                                     " VALUES (?, ?, ?, ?, ?, ?)");
    et_bind(s, t);
    db_bind_text(s, 5, now);
    db_bind_text(s, 6, now);
    int rc = db_exec_stmt(st, s);
    if (rc)
        return rc;
    t->id = sqlite3_last_insert_rowid(st->db);
    memcpy(t->created_at, now, sizeof(now));
    memcpy(t->updated_at, now, sizeof(now));
    return KZ_OK;
}

int store_email_template_get(struct store *st, int64_t id, struct email_template *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " ET_COLS " FROM email_templates WHERE id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    int rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK)
        et_read(s, out);
    sqlite3_reset(s);
    return rc;
}

int store_email_template_update(struct store *st, struct email_template *t)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE email_templates SET name = ?, subject = ?,"
                                     " body_text = ?, body_html = ?, updated_at = ?"
                                     " WHERE id = ?");
    et_bind(s, t);
    db_bind_text(s, 5, now);
    db_bind_i64(s, 6, t->id);
    int rc = db_exec_one(st, s);
    if (rc == KZ_OK)
        memcpy(t->updated_at, now, sizeof(now));
    return rc;
}

int store_email_template_delete(struct store *st, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM email_templates WHERE id = ?");
    db_bind_i64(s, 1, id);
    return db_exec_one(st, s);
}

int store_email_templates_list(struct store *st, int64_t after_id, int limit,
                               struct email_template **out, size_t *n)
{
    int rc = KZ_OK;
    size_t cap = 16, count = 0;
    struct email_template *v = xcalloc(cap, sizeof(*v));
    sqlite3_stmt *s = db_prepare(st, "SELECT " ET_COLS " FROM email_templates WHERE id > ?"
                                     " ORDER BY id LIMIT ?");
    db_bind_i64(s, 1, after_id);
    db_bind_i64(s, 2, limit + 1);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        if (count == cap) {
            v = xrealloc(v, (cap *= 2) * sizeof(*v));
            memset(v + count, 0, (cap - count) * sizeof(*v));
        }
        et_read(s, &v[count++]);
    }
    sqlite3_reset(s);
    if (rc) {
        email_templates_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}

/* ------------------------------------------------------------ rendering reads */

int store_email_account(struct store *st, int64_t account_id, struct pb_candidate *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT a.id, a.name, a.tier, a.phase, a.owner_id, u.name,"
                                     " u.email, a.health_score, a.health_band, s.renewal_date"
                                     " FROM accounts a LEFT JOIN users u ON u.id = a.owner_id"
                                     " LEFT JOIN subscriptions s ON s.account_id = a.id"
                                     " WHERE a.id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, account_id);
    int rc = db_row_rc(st, sqlite3_step(s));
    if (rc == KZ_OK) {
        out->account_id = db_col_i64(s, 0, 0);
        out->name = db_col_text(s, 1);
        out->tier = db_col_text(s, 2);
        out->phase = db_col_text(s, 3);
        out->owner_id = db_col_i64(s, 4, 0);
        out->owner_name = db_col_text(s, 5);
        out->owner_email = db_col_text(s, 6);
        out->health_score = db_col_i64(s, 7, -1);
        out->band = db_col_text(s, 8);
        out->renewal_date = db_col_text(s, 9);
    }
    sqlite3_reset(s);
    return rc;
}

int store_contacts_with_role(struct store *st, int64_t account_id, const char *role,
                             struct contact **out, size_t *n)
{
    int rc = KZ_OK;
    size_t cap = 8, count = 0;
    struct contact *v = xcalloc(cap, sizeof(*v));
    sqlite3_stmt *s = db_prepare(st, "SELECT id, name, email FROM contacts WHERE account_id = ?"
                                     " AND role = ? AND email IS NOT NULL ORDER BY id LIMIT 50");
    db_bind_i64(s, 1, account_id);
    db_bind_text(s, 2, role);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            break;
        }
        if (count == cap) {
            v = xrealloc(v, (cap *= 2) * sizeof(*v));
            memset(v + count, 0, (cap - count) * sizeof(*v));
        }
        struct contact *c = &v[count++];
        c->id = db_col_i64(s, 0, 0);
        c->account_id = account_id;
        c->name = db_col_text(s, 1);
        c->email = db_col_text(s, 2);
    }
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
