/*
 * A playbook's firing statistics for its list and page (the web editor's "runs" and "last
 * fired" columns): how many runs it has and when the latest fired, from playbook_runs'
 * (playbook_id, id) index.
 */
#include "store/db.h"
#include "store/playbooks.h"

int store_playbook_run_stats(struct store *st, int64_t playbook_id, int64_t *runs,
                             char last_fired_at[static 21])
{
    sqlite3_stmt *s = db_prepare(st, "SELECT COUNT(*), MAX(fired_at) FROM playbook_runs"
                                     " WHERE playbook_id = ?");
    db_bind_i64(s, 1, playbook_id);
    int rc = db_row_rc(st, sqlite3_step(s));
    *runs = 0;
    last_fired_at[0] = '\0';
    if (rc == KZ_OK) {
        *runs = db_col_i64(s, 0, 0);
        db_col_copy(s, 1, last_fired_at, 21);
    }
    sqlite3_reset(s);
    return rc;
}
