/*
 * SQLite store for tasks (CTAs): the work of CSMs, created by hand or by playbooks.
 * The store keeps completed_at consistent with status: a task that becomes done gets the
 * current time (unless it already has one), any other status clears it. Lists are sorted by
 * due date ascending with undated tasks last, then id, and paginated by a keyset on both.
 * The list query is assembled from fixed SQL fragments chosen by which filters are set;
 * every value is bound.
 */
#include "store/db.h"

#include <stdlib.h>
#include <string.h>

#define TASK_COLS                                                                                  \
    "id, account_id, title, assignee_id, due_date, type, status, completed_at, source, "           \
    "notes, created_by, created_at, updated_at"

void task_cleanup(struct task *t)
{
    if (!t)
        return;
    free(t->title);
    free(t->due_date);
    free(t->type);
    free(t->status);
    free(t->completed_at);
    free(t->source);
    free(t->notes);
    memset(t, 0, sizeof(*t));
}

void tasks_free(struct task *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        task_cleanup(&v[i]);
    free(v);
}

/* Fills t (assumed empty) from a row selected with TASK_COLS; t owns the copies. */
static void task_read(sqlite3_stmt *s, struct task *t)
{
    t->id = db_col_i64(s, 0, 0);
    t->account_id = db_col_i64(s, 1, 0);
    t->title = db_col_text(s, 2);
    t->assignee_id = db_col_i64(s, 3, 0);
    t->due_date = db_col_text(s, 4);
    t->type = db_col_text(s, 5);
    t->status = db_col_text(s, 6);
    t->completed_at = db_col_text(s, 7);
    t->source = db_col_text(s, 8);
    t->notes = db_col_text(s, 9);
    t->created_by = db_col_i64(s, 10, 0);
    db_col_copy(s, 11, t->created_at, sizeof(t->created_at));
    db_col_copy(s, 12, t->updated_at, sizeof(t->updated_at));
}

/* Applies the defaults and the status/completed_at rule to t before it is written. */
static void task_normalise(struct task *t, const char now[static 21])
{
    if (!t->type)
        t->type = xstrdup("other");
    if (!t->status)
        t->status = xstrdup("open");
    if (!t->source)
        t->source = xstrdup("manual");
    if (str_eq(t->status, "done")) {
        if (!t->completed_at)
            t->completed_at = xstrdup(now);
    } else {
        free(t->completed_at);
        t->completed_at = NULL;
    }
}

/*
 * Loads task id into *out (overwritten: pass an empty struct; the caller frees it with
 * task_cleanup). KZ_ENOTFOUND when there is no such task.
 */
int store_task_get(struct store *st, int64_t id, struct task *out)
{
    int rc;
    sqlite3_stmt *s = db_prepare(st, "SELECT " TASK_COLS " FROM tasks WHERE id = ?");
    memset(out, 0, sizeof(*out));
    db_bind_i64(s, 1, id);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        task_read(s, out);
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
 * Inserts t. NULL type, status and source default to "other", "open" and "manual"; a done
 * task gets completed_at = now. assignee_id and created_by 0 are stored as NULL. On success
 * t->id and the times are set; t stays owned by the caller. A missing account or user is a
 * foreign-key failure: KZ_ECONFLICT.
 */
int store_task_create(struct store *st, struct task *t)
{
    char now[21];
    db_now(now);
    task_normalise(t, now);
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO tasks (account_id, title, assignee_id,"
                                     " due_date, type, status, completed_at, source, notes,"
                                     " created_by, created_at, updated_at)"
                                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, t->account_id);
    db_bind_text(s, 2, t->title);
    db_bind_i64_null(s, 3, t->assignee_id, 0);
    db_bind_text(s, 4, t->due_date);
    db_bind_text(s, 5, t->type);
    db_bind_text(s, 6, t->status);
    db_bind_text(s, 7, t->completed_at);
    db_bind_text(s, 8, t->source);
    db_bind_text(s, 9, t->notes);
    db_bind_i64_null(s, 10, t->created_by, 0);
    db_bind_text(s, 11, now);
    db_bind_text(s, 12, now);
    int rc = db_exec_stmt(st, s);
    if (rc)
        goto out;
    t->id = sqlite3_last_insert_rowid(st->db);
    memcpy(t->created_at, now, sizeof(now));
    memcpy(t->updated_at, now, sizeof(now));
out:
    return rc;
}

/*
 * Saves title, assignee_id, due_date, type, status, completed_at, source and notes of task
 * t->id (account_id and created_by never change), applying the completed_at rule: moving to
 * done stamps now unless t->completed_at is already set (pass the stored value when the task
 * was done already), any other status clears it. Sets t->updated_at. KZ_ENOTFOUND when
 * there is no such task.
 */
int store_task_update(struct store *st, struct task *t)
{
    char now[21];
    db_now(now);
    task_normalise(t, now);
    sqlite3_stmt *s = db_prepare(st, "UPDATE tasks SET title = ?, assignee_id = ?,"
                                     " due_date = ?, type = ?, status = ?, completed_at = ?,"
                                     " source = ?, notes = ?, updated_at = ? WHERE id = ?");
    db_bind_text(s, 1, t->title);
    db_bind_i64_null(s, 2, t->assignee_id, 0);
    db_bind_text(s, 3, t->due_date);
    db_bind_text(s, 4, t->type);
    db_bind_text(s, 5, t->status);
    db_bind_text(s, 6, t->completed_at);
    db_bind_text(s, 7, t->source);
    db_bind_text(s, 8, t->notes);
    db_bind_text(s, 9, now);
    db_bind_i64(s, 10, t->id);
    int rc = db_exec_stmt(st, s);
    if (rc)
        goto out;
    if (sqlite3_changes(st->db) == 0) {
        rc = KZ_ENOTFOUND;
        goto out;
    }
    memcpy(t->updated_at, now, sizeof(now));
out:
    return rc;
}

/* Deletes a task. KZ_ENOTFOUND when there is no such task. */
int store_task_delete(struct store *st, int64_t id)
{
    sqlite3_stmt *s = db_prepare(st, "DELETE FROM tasks WHERE id = ?");
    db_bind_i64(s, 1, id);
    int rc = db_exec_one(st, s);
    return rc;
}

/*
 * Tasks matching f, by due date (undated last) then id, after the keyset cursor
 * (f->cursor_due, f->cursor_id) when f->has_cursor (cursor_due NULL: the cursor row had no
 * due date), at most f->limit + 1 of them. *out is a heap array of *n tasks that the caller
 * frees with tasks_free(*out, *n); on error *out is NULL and *n 0.
 */
int store_tasks_list(struct store *st, const struct task_filter *f, struct task **out, size_t *n)
{
    int rc = KZ_OK;
    size_t cap = f->limit > 0 ? (size_t)f->limit + 1 : 1;
    struct task *v = xcalloc(cap, sizeof(*v));
    size_t count = 0;
    struct buf sql;
    sqlite3_stmt *s = NULL;
    int b = 1;

    /* Only fixed fragments go into the SQL text: the values are bound below. */
    buf_init(&sql, 0);
    buf_printf(&sql, "%s", "SELECT " TASK_COLS " FROM tasks WHERE 1 = 1");
    if (f->assignee_id > 0)
        buf_printf(&sql, "%s", " AND assignee_id = ?");
    else if (f->assignee_id < 0)
        buf_printf(&sql, "%s", " AND assignee_id IS NULL");
    if (f->account_id > 0)
        buf_printf(&sql, "%s", " AND account_id = ?");
    if (f->status)
        buf_printf(&sql, "%s", " AND status = ?");
    if (f->type)
        buf_printf(&sql, "%s", " AND type = ?");
    if (f->due_before)
        buf_printf(&sql, "%s", " AND due_date < ?");
    if (f->has_cursor && f->cursor_due)
        buf_printf(&sql, "%s",
                   " AND (due_date > ? OR (due_date = ? AND id > ?)"
                   " OR due_date IS NULL)");
    else if (f->has_cursor)
        buf_printf(&sql, "%s", " AND due_date IS NULL AND id > ?");
    buf_printf(&sql, "%s", " ORDER BY due_date IS NULL, due_date, id LIMIT ?");

    s = db_prepare(st, sql.p);
    if (f->assignee_id > 0)
        db_bind_i64(s, b++, f->assignee_id);
    if (f->account_id > 0)
        db_bind_i64(s, b++, f->account_id);
    if (f->status)
        db_bind_text(s, b++, f->status);
    if (f->type)
        db_bind_text(s, b++, f->type);
    if (f->due_before)
        db_bind_text(s, b++, f->due_before);
    if (f->has_cursor && f->cursor_due) {
        db_bind_text(s, b++, f->cursor_due);
        db_bind_text(s, b++, f->cursor_due);
        db_bind_i64(s, b++, f->cursor_id);
    } else if (f->has_cursor) {
        db_bind_i64(s, b++, f->cursor_id);
    }
    db_bind_i64(s, b, (int64_t)cap);
    for (;;) {
        int src = sqlite3_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = db_rc(st, src);
            goto out;
        }
        task_read(s, &v[count++]);
        if (count == cap)
            break;
    }
out:
    sqlite3_reset(s);
    buf_free(&sql);
    if (rc) {
        tasks_free(v, count);
        v = NULL;
        count = 0;
    }
    *out = v;
    *n = count;
    return rc;
}
