/*
 * Phase engine benchmark (issue 4): builds accounts with subscriptions and `days` days of
 * daily rollups each (usage_daily: "Signed In" every day, "Report Created" every day as
 * noise, "Setup Completed" for two accounts in three; active_users_daily: 1-3 users a day of
 * 4 seats; every other account has its manual milestone), then times journey_evaluate_all() twice in the process: the first pass completes
 * milestones and moves accounts (writes), the second finds nothing to change (the steady
 * state a scheduler sees). Prints seconds per pass, what each did, peak RSS and the machine.
 *
 * usage: build/bench/journey [accounts] [days]     (defaults 100000 and 30)
 */
#include "bench.h"
#include "journey/journey.h"
#include "journey/phase.h"
#include "store/db.h"

static void must(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "journey bench: %s failed: %s\n", what, kz_strerror(rc));
        exit(1);
    }
}

static void build_db(struct store *st, long naccounts, int days)
{
    char today[11], day[11];
    date_today(today);
    int64_t t = date_to_days(today);
    double t0 = bench_now();
    must(store_begin(st), "begin");
    sqlite3_stmt *acc = NULL, *sub = NULL, *hist = NULL, *use = NULL, *au = NULL;
    sqlite3_prepare_v2(st->db, "INSERT INTO accounts (name, phase, phase_entered_at, created_at, "
                               "updated_at) VALUES (?, 'onboarding', ?, ?, ?)", -1, &acc, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO phase_history (account_id, phase, entered_at, "
                               "moved_by) VALUES (?, 'onboarding', ?, 'initial')", -1, &hist, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO subscriptions (account_id, plan, mrr, currency, seats, "
                               "start_date, status, updated_at) VALUES (?, 'pro', 40000, 'JPY', "
                               "4, '2025-01-01', 'active', ?)", -1, &sub, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO usage_daily VALUES (?, ?, ?, ?)", -1, &use, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO active_users_daily VALUES (?, ?, ?, 1)", -1, &au, NULL);
    char now[21];
    time_format(now_unix(), now);
    for (long i = 0; i < naccounts; i++) {
        char name[32];
        snprintf(name, sizeof(name), "Account %06ld", i);
        sqlite3_bind_text(acc, 1, name, -1, SQLITE_TRANSIENT);
        for (int k = 2; k <= 4; k++)
            sqlite3_bind_text(acc, k, now, -1, SQLITE_STATIC);
        sqlite3_step(acc);
        sqlite3_reset(acc);
        int64_t id = sqlite3_last_insert_rowid(st->db);
        sqlite3_bind_int64(hist, 1, id);
        sqlite3_bind_text(hist, 2, now, -1, SQLITE_STATIC);
        sqlite3_step(hist);
        sqlite3_reset(hist);
        sqlite3_bind_int64(sub, 1, id);
        sqlite3_bind_text(sub, 2, now, -1, SQLITE_STATIC);
        sqlite3_step(sub);
        sqlite3_reset(sub);
        for (int dd = 0; dd < days; dd++) {
            date_from_days(t - dd, day);
            static const char *const ev[] = { "Signed In", "Report Created" };
            for (int e = 0; e < 2; e++) {
                sqlite3_bind_int64(use, 1, id);
                sqlite3_bind_text(use, 2, day, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(use, 3, ev[e], -1, SQLITE_STATIC);
                sqlite3_bind_int64(use, 4, 1 + (i + dd) % 2);
                sqlite3_step(use);
                sqlite3_reset(use);
            }
            if (dd == 3 && i % 3 != 0) {
                sqlite3_bind_int64(use, 1, id);
                sqlite3_bind_text(use, 2, day, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(use, 3, "Setup Completed", -1, SQLITE_STATIC);
                sqlite3_bind_int64(use, 4, 1);
                sqlite3_step(use);
                sqlite3_reset(use);
            }
            for (long u = 0; u < 1 + (i + dd) % 3; u++) {
                char key[16];
                snprintf(key, sizeof(key), "u%ld", u);
                sqlite3_bind_int64(au, 1, id);
                sqlite3_bind_text(au, 2, day, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(au, 3, key, -1, SQLITE_TRANSIENT);
                sqlite3_step(au);
                sqlite3_reset(au);
            }
        }
    }
    /* Every other account had its training (the manual milestone): those can move on. */
    must(db_exec_stmt(st, db_prepare(st, "INSERT INTO milestone_states (account_id, milestone, "
                                         "state, completed_at, completed_by, updated_at) "
                                         "SELECT id, 'basic_understanding', 'complete', "
                                         "created_at, 'manual', created_at FROM accounts "
                                         "WHERE id % 2 = 0")), "manual milestones");
    sqlite3_finalize(acc);
    sqlite3_finalize(hist);
    sqlite3_finalize(sub);
    sqlite3_finalize(use);
    sqlite3_finalize(au);
    must(store_commit(st), "commit");
    printf("built %ld accounts x %d days of rollups in %.1f s\n", naccounts, days,
           bench_now() - t0);
}

int main(int argc, char **argv)
{
    long naccounts = argc > 1 ? atol(argv[1]) : 100000;
    int days = argc > 2 ? atoi(argv[2]) : 30;
    char path[200];
    const char *reuse = getenv("BENCH_DB"); /* a database kept by KEEP_DB=1: skip the build */
    if (reuse)
        snprintf(path, sizeof(path), "%s", reuse);
    else
        snprintf(path, sizeof(path), "/tmp/kz-bench-journey-%d.db", getpid());
    if (!reuse)
        unlink(path);
    if (naccounts <= 0 || days <= 0 || store_init(path))
        return 1;
    struct store *st = store_get();
    bench_machine();
    if (!reuse)
        build_db(st, naccounts, days);
    for (int pass = 1; pass <= 2; pass++) {
        struct journey_stats s;
        double t0 = bench_now();
        must(journey_evaluate(st, 0, &s), "evaluate");
        printf("evaluate_all pass %d: %.3f s (%lld accounts, %lld milestones completed, %lld "
               "phase changes)\n", pass, bench_now() - t0, (long long)s.accounts,
               (long long)s.milestones, (long long)s.moves);
    }
    double t0 = bench_now();
    must(journey_evaluate_account(st, naccounts / 2), "evaluate one");
    printf("evaluate_account: %.3f ms\n", (bench_now() - t0) * 1000);
    printf("peak RSS: %.1f MB\n", (double)bench_proc_kb(getpid(), "VmHWM:") / 1024);
    store_shutdown();
    if (getenv("KEEP_DB") || reuse) {
        printf("kept %s\n", path);
        return 0;
    }
    bench_remove_db(path);
    return 0;
}
