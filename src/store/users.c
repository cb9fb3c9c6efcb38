/*
 * Store: users, browser sessions, personal API tokens and settings. Sessions and tokens are
 * found by the hash of their secret; the secret itself is never stored.
 */
#include "store/db.h"

#include <stdlib.h>
#include <string.h>

#define USER_COLS "id, email, name, role, disabled, password_hash, created_at, updated_at"

void user_cleanup(struct user *u)
{
    free(u->email);
    free(u->name);
    free(u->password_hash);
    memset(u, 0, sizeof(*u));
}

static void user_row(sqlite3_stmt *s, struct user *u)
{
    u->id = sqlite3_column_int64(s, 0);
    u->email = db_col_text(s, 1);
    u->name = db_col_text(s, 2);
    if (role_parse((const char *)sqlite3_column_text(s, 3), &u->role))
        u->role = ROLE_VIEWER;
    u->disabled = sqlite3_column_int(s, 4) != 0;
    u->password_hash = db_col_text(s, 5);
    db_col_copy(s, 6, u->created_at, sizeof(u->created_at));
    db_col_copy(s, 7, u->updated_at, sizeof(u->updated_at));
}

static int user_one(struct store *st, sqlite3_stmt *s, struct user *out)
{
    int rc = sqlite3_step(s);
    int krc = db_row_rc(st, rc);
    if (krc == KZ_OK)
        user_row(s, out);
    sqlite3_reset(s);
    return krc;
}

int store_user_get(struct store *st, int64_t id, struct user *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " USER_COLS " FROM users WHERE id = ?");
    db_bind_i64(s, 1, id);
    return user_one(st, s, out);
}

int store_user_by_email(struct store *st, const char *email, struct user *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " USER_COLS " FROM users WHERE lower(email) = lower(?)");
    db_bind_text(s, 1, email);
    return user_one(st, s, out);
}

int store_user_create(struct store *st, struct user *u)
{
    db_now(u->created_at);
    memcpy(u->updated_at, u->created_at, sizeof(u->updated_at));
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO users (email, name, role, disabled, "
                                     "password_hash, created_at, updated_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?)");
    db_bind_text(s, 1, u->email);
    db_bind_text(s, 2, u->name);
    db_bind_text(s, 3, role_name(u->role));
    db_bind_i64(s, 4, u->disabled);
    db_bind_text(s, 5, u->password_hash);
    db_bind_text(s, 6, u->created_at);
    db_bind_text(s, 7, u->updated_at);
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK)
        u->id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_user_update(struct store *st, struct user *u)
{
    db_now(u->updated_at);
    sqlite3_stmt *s = db_prepare(st, "UPDATE users SET email = ?, name = ?, role = ?, "
                                     "disabled = ?, password_hash = COALESCE(?, password_hash), "
                                     "updated_at = ? WHERE id = ?");
    db_bind_text(s, 1, u->email);
    db_bind_text(s, 2, u->name);
    db_bind_text(s, 3, role_name(u->role));
    db_bind_i64(s, 4, u->disabled);
    db_bind_text(s, 5, u->password_hash);
    db_bind_text(s, 6, u->updated_at);
    db_bind_i64(s, 7, u->id);
    int rc = db_exec_one(st, s);
    if (rc == KZ_OK && u->disabled) { /* a disabled user is logged out everywhere */
        s = db_prepare(st, "DELETE FROM sessions WHERE user_id = ?");
        db_bind_i64(s, 1, u->id);
        rc = db_exec_stmt(st, s);
    }
    return rc;
}

int store_user_delete(struct store *st, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM users WHERE id = ?");
    db_bind_i64(s, 1, id);
    int rc = db_exec_one(st, s);
    return rc;
}

int store_users_list(struct store *st, int64_t after_id, int limit, struct user **out, size_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " USER_COLS " FROM users WHERE id > ? "
                                     "ORDER BY id LIMIT ?");
    db_bind_i64(s, 1, after_id);
    db_bind_i64(s, 2, limit + 1);
    struct user *v = NULL;
    size_t cnt = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xrealloc(v, (cnt + 1) * sizeof(*v));
        memset(&v[cnt], 0, sizeof(*v));
        user_row(s, &v[cnt++]);
    }
    sqlite3_reset(s);
    *out = v;
    *n = cnt;
    return db_rc(st, rc);
}

int store_admin_count(struct store *st, int64_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT count(*) FROM users WHERE role = 'admin' "
                                     "AND disabled = 0");
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return db_rc(st, rc);
}

/* ------------------------------------------------------------ sessions */

int store_session_create(struct store *st, const char *token_hash, int64_t user_id,
                         int64_t expires_at)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO sessions (token_hash, user_id, created_at, "
                                     "expires_at) VALUES (?, ?, ?, ?)");
    db_bind_text(s, 1, token_hash);
    db_bind_i64(s, 2, user_id);
    db_bind_text(s, 3, now);
    db_bind_i64(s, 4, expires_at);
    return db_exec_stmt(st, s);
}

int store_session_user(struct store *st, const char *token_hash, int64_t now, int64_t *user_id)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT user_id FROM sessions WHERE token_hash = ? "
                                     "AND expires_at > ?");
    db_bind_text(s, 1, token_hash);
    db_bind_i64(s, 2, now);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *user_id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return db_row_rc(st, rc);
}

int store_session_delete(struct store *st, const char *token_hash)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM sessions WHERE token_hash = ?");
    db_bind_text(s, 1, token_hash);
    return db_exec_stmt(st, s);
}

int store_sessions_purge(struct store *st, int64_t now)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM sessions WHERE expires_at <= ?");
    db_bind_i64(s, 1, now);
    return db_exec_stmt(st, s);
}

/* ------------------------------------------------------------ API tokens */

#define TOKEN_COLS "id, user_id, name, prefix, created_at, last_used_at, revoked_at"

void api_token_cleanup(struct api_token *t)
{
    free(t->name);
    free(t->prefix);
    free(t->last_used_at);
    free(t->revoked_at);
    memset(t, 0, sizeof(*t));
}

static void token_row(sqlite3_stmt *s, struct api_token *t)
{
    t->id = sqlite3_column_int64(s, 0);
    t->user_id = sqlite3_column_int64(s, 1);
    t->name = db_col_text(s, 2);
    t->prefix = db_col_text(s, 3);
    db_col_copy(s, 4, t->created_at, sizeof(t->created_at));
    t->last_used_at = db_col_text(s, 5);
    t->revoked_at = db_col_text(s, 6);
}

int store_token_create(struct store *st, struct api_token *t, const char *token_hash)
{
    db_now(t->created_at);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO api_tokens (user_id, name, token_hash, "
                                     "prefix, created_at) VALUES (?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, t->user_id);
    db_bind_text(s, 2, t->name);
    db_bind_text(s, 3, token_hash);
    db_bind_text(s, 4, t->prefix);
    db_bind_text(s, 5, t->created_at);
    int rc = db_exec_stmt(st, s);
    if (rc == KZ_OK)
        t->id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_token_lookup(struct store *st, const char *token_hash, int64_t *user_id)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT id, user_id, last_used_at FROM api_tokens "
                                     "WHERE token_hash = ? AND revoked_at IS NULL");
    db_bind_text(s, 1, token_hash);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? KZ_ENOTFOUND : db_rc(st, rc);
    }
    int64_t id = sqlite3_column_int64(s, 0);
    *user_id = sqlite3_column_int64(s, 1);
    char last[21], now[21];
    db_col_copy(s, 2, last, sizeof(last));
    sqlite3_reset(s);
    db_now(now);
    /* Record use at most once a minute, so reads stay reads. */
    if (strncmp(last, now, 16) != 0) {
        s = db_prepare(st, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
        db_bind_text(s, 1, now);
        db_bind_i64(s, 2, id);
        db_exec_stmt(st, s);
    }
    return KZ_OK;
}

int store_tokens_list(struct store *st, int64_t user_id, struct api_token **out, size_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " TOKEN_COLS " FROM api_tokens "
                                     "WHERE ? = 0 OR user_id = ? ORDER BY id");
    db_bind_i64(s, 1, user_id);
    db_bind_i64(s, 2, user_id);
    struct api_token *v = NULL;
    size_t cnt = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xrealloc(v, (cnt + 1) * sizeof(*v));
        memset(&v[cnt], 0, sizeof(*v));
        token_row(s, &v[cnt++]);
    }
    sqlite3_reset(s);
    *out = v;
    *n = cnt;
    return db_rc(st, rc);
}

int store_token_get(struct store *st, int64_t id, struct api_token *out)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " TOKEN_COLS " FROM api_tokens WHERE id = ?");
    db_bind_i64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        token_row(s, out);
    sqlite3_reset(s);
    return db_row_rc(st, rc);
}

int store_token_revoke(struct store *st, int64_t id)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) "
                                     "WHERE id = ?");
    db_bind_text(s, 1, now);
    db_bind_i64(s, 2, id);
    int rc = db_exec_one(st, s);
    return rc;
}

/* ------------------------------------------------------------ settings */

int store_setting_get(struct store *st, const char *key, char **json)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT value FROM settings WHERE key = ?");
    db_bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *json = db_col_text(s, 0);
    sqlite3_reset(s);
    return db_row_rc(st, rc);
}

int store_setting_put(struct store *st, const char *key, const char *json)
{
    char now[21];
    db_now(now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
                                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                                     "updated_at = excluded.updated_at");
    db_bind_text(s, 1, key);
    db_bind_text(s, 2, json);
    db_bind_text(s, 3, now);
    return db_exec_stmt(st, s);
}
