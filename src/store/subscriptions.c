/*
 * Store: subscriptions. Every change is appended to subscription_history with its effective
 * date; the subscriptions row is a copy of the latest entry (by effective date, then the
 * order recorded), so revenue over time can be rebuilt exactly from the history alone.
 */
#include "store/db.h"

#include <stdlib.h>
#include <string.h>

#define HISTORY_COLS "account_id, plan, mrr, currency, seats, start_date, renewal_date, " \
                     "auto_renew, status, effective_date, recorded_at"

void subscription_cleanup(struct subscription *s)
{
    free(s->plan);
    free(s->renewal_date);
    memset(s, 0, sizeof(*s));
}

void subscriptions_free(struct subscription *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        subscription_cleanup(&v[i]);
    free(v);
}

static void sub_row(sqlite3_stmt *s, struct subscription *out)
{
    memset(out, 0, sizeof(*out));
    out->account_id = sqlite3_column_int64(s, 0);
    out->plan = db_col_text(s, 1);
    out->mrr = sqlite3_column_int64(s, 2);
    db_col_copy(s, 3, out->currency, sizeof(out->currency));
    out->seats = sqlite3_column_int64(s, 4);
    db_col_copy(s, 5, out->start_date, sizeof(out->start_date));
    out->renewal_date = db_col_text(s, 6);
    out->auto_renew = sqlite3_column_int(s, 7) != 0;
    db_col_copy(s, 8, out->status, sizeof(out->status));
    db_col_copy(s, 9, out->effective_date, sizeof(out->effective_date));
    db_col_copy(s, 10, out->updated_at, sizeof(out->updated_at));
}

int store_subscription_get(struct store *st, int64_t account_id, struct subscription *out)
{
    /* The current row plus the effective date of the history entry it copies. */
    sqlite3_stmt *s = db_prepare(
        st, "SELECT s.account_id, s.plan, s.mrr, s.currency, s.seats, s.start_date, "
            "s.renewal_date, s.auto_renew, s.status, "
            "(SELECT max(effective_date) FROM subscription_history h "
            "  WHERE h.account_id = s.account_id), s.updated_at "
            "FROM subscriptions s WHERE s.account_id = ?");
    db_bind_i64(s, 1, account_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        sub_row(s, out);
    sqlite3_reset(s);
    return db_row_rc(st, rc);
}

int store_subscription_put(struct store *st, const struct subscription *sub)
{
    char now[21];
    db_now(now);
    int rc = store_begin(st);
    if (rc)
        return rc;
    sqlite3_stmt *s = db_prepare(st, "INSERT INTO subscription_history (account_id, plan, mrr, "
                                     "currency, seats, start_date, renewal_date, auto_renew, "
                                     "status, effective_date, recorded_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    db_bind_i64(s, 1, sub->account_id);
    db_bind_text(s, 2, sub->plan);
    db_bind_i64(s, 3, sub->mrr);
    db_bind_text(s, 4, sub->currency);
    db_bind_i64(s, 5, sub->seats);
    db_bind_text(s, 6, sub->start_date);
    db_bind_text(s, 7, sub->renewal_date);
    db_bind_i64(s, 8, sub->auto_renew);
    db_bind_text(s, 9, sub->status);
    db_bind_text(s, 10, sub->effective_date);
    db_bind_text(s, 11, now);
    rc = db_exec_stmt(st, s);
    if (rc == KZ_OK) {
        /* The current subscription is the latest history entry (a backdated change may not
         * be the latest). */
        s = db_prepare(st, "INSERT INTO subscriptions (account_id, plan, mrr, currency, seats, "
                           "start_date, renewal_date, auto_renew, status, updated_at) "
                           "SELECT account_id, plan, mrr, currency, seats, start_date, "
                           "renewal_date, auto_renew, status, ?2 FROM subscription_history "
                           "WHERE account_id = ?1 ORDER BY effective_date DESC, id DESC LIMIT 1 "
                           "ON CONFLICT (account_id) DO UPDATE SET plan = excluded.plan, "
                           "mrr = excluded.mrr, currency = excluded.currency, "
                           "seats = excluded.seats, start_date = excluded.start_date, "
                           "renewal_date = excluded.renewal_date, "
                           "auto_renew = excluded.auto_renew, status = excluded.status, "
                           "updated_at = excluded.updated_at");
        db_bind_i64(s, 1, sub->account_id);
        db_bind_text(s, 2, now);
        rc = db_exec_stmt(st, s);
    }
    if (rc == KZ_OK) {
        s = db_prepare(st, "UPDATE accounts SET (sort_arr, sort_renewal) = (SELECT s.mrr * 12, "
                           "COALESCE(s.renewal_date, '9999-12-31') FROM subscriptions s "
                           "WHERE s.account_id = accounts.id) WHERE id = ?");
        db_bind_i64(s, 1, sub->account_id);
        rc = db_exec_stmt(st, s);
    }
    if (rc == KZ_OK)
        rc = store_tiers_recompute(st, sub->account_id);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int store_subscription_history(struct store *st, int64_t account_id, struct subscription **out,
                               size_t *n)
{
    sqlite3_stmt *s = db_prepare(st, "SELECT " HISTORY_COLS " FROM subscription_history "
                                     "WHERE account_id = ? ORDER BY effective_date, id");
    db_bind_i64(s, 1, account_id);
    struct subscription *v = NULL;
    size_t cnt = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xrealloc(v, (cnt + 1) * sizeof(*v));
        sub_row(s, &v[cnt++]);
    }
    sqlite3_reset(s);
    *out = v;
    *n = cnt;
    return db_rc(st, rc);
}
