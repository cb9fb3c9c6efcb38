/*
 * Playbook evaluation benchmark (issue 6): builds accounts with subscriptions (renewal dates
 * spread over a year, 10 seats), `days` days of usage rollups ("Signed In" and "Export"
 * every day), one NPS answer in ten accounts and account windows; then times, for one playbook
 * per trigger type, a preview (the grouped read and the decisions, no writes) and two
 * evaluations: the first fires (tasks, runs), the second finds everything in its cooldown
 * (the steady state a scheduler sees). Prints seconds, firings, peak RSS and the machine.
 *
 * usage: build/bench/playbooks [accounts] [days]     (defaults 100000 and 30)
 */
#include "bench.h"
#include "playbooks/evaluate.h"
#include "store/db.h"
#include "store/playbooks.h"

static void must(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "playbooks bench: %s failed: %s\n", what, kz_strerror(rc));
        exit(1);
    }
}

static void build_db(struct store *st, long naccounts, int days)
{
    char today[11], day[11], now[21], renewal[11];
    date_today(today);
    int64_t t = date_to_days(today);
    time_format(now_unix(), now);
    double t0 = bench_now();
    must(store_begin(st), "begin");
    sqlite3_stmt *acc, *sub, *use, *nps, *win;
    sqlite3_prepare_v2(st->db, "INSERT INTO accounts (name, phase, phase_entered_at, created_at,"
                               " updated_at, last_seen_at, health_band) VALUES (?, 'onboarding',"
                               " ?, ?, ?, ?, 'green')", -1, &acc, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO subscriptions (account_id, plan, mrr, currency, seats,"
                               " start_date, renewal_date, status, updated_at) VALUES (?, 'pro',"
                               " 40000, 'JPY', 10, '2025-01-01', ?, 'active', ?)", -1, &sub, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO usage_daily VALUES (?, ?, ?, ?)", -1, &use, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO survey_responses (account_id, type, score, answered_at,"
                               " created_at) VALUES (?, 'nps', ?, ?, ?)", -1, &nps, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO account_windows VALUES (?, ?, 0, ?, 0, 0, 0, 0, 0, 0,"
                               " NULL, 0)", -1, &win, NULL);
    for (long i = 0; i < naccounts; i++) {
        char name[32], seen[21];
        snprintf(name, sizeof(name), "Account %06ld", i);
        time_format(now_unix() - (i % 30) * 86400, seen);
        sqlite3_bind_text(acc, 1, name, -1, SQLITE_TRANSIENT);
        for (int k = 2; k <= 4; k++)
            sqlite3_bind_text(acc, k, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(acc, 5, seen, -1, SQLITE_TRANSIENT);
        sqlite3_step(acc);
        sqlite3_reset(acc);
        int64_t id = sqlite3_last_insert_rowid(st->db);
        date_from_days(t + i % 365, renewal);
        sqlite3_bind_int64(sub, 1, id);
        sqlite3_bind_text(sub, 2, renewal, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sub, 3, now, -1, SQLITE_STATIC);
        sqlite3_step(sub);
        sqlite3_reset(sub);
        for (int d = 0; d < days; d++) {
            date_from_days(t - d, day);
            for (int e = 0; e < 2; e++) {
                sqlite3_bind_int64(use, 1, id);
                sqlite3_bind_text(use, 2, day, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(use, 3, e ? "Export" : "Signed In", -1, SQLITE_STATIC);
                sqlite3_bind_int64(use, 4, 1 + (i + d) % 3);
                sqlite3_step(use);
                sqlite3_reset(use);
            }
        }
        if (i % 10 == 0) {
            sqlite3_bind_int64(nps, 1, id);
            sqlite3_bind_int64(nps, 2, i % 11);
            sqlite3_bind_text(nps, 3, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(nps, 4, now, -1, SQLITE_STATIC);
            sqlite3_step(nps);
            sqlite3_reset(nps);
        }
        sqlite3_bind_int64(win, 1, id);
        sqlite3_bind_text(win, 2, today, -1, SQLITE_STATIC);
        sqlite3_bind_int64(win, 3, 1 + i % 10);
        sqlite3_step(win);
        sqlite3_reset(win);
    }
    sqlite3_finalize(acc);
    sqlite3_finalize(sub);
    sqlite3_finalize(use);
    sqlite3_finalize(nps);
    sqlite3_finalize(win);
    must(store_commit(st), "commit");
    printf("built %ld accounts x %d days of rollups in %.1f s\n", naccounts, days,
           bench_now() - t0);
}

static const char *const triggers[] = {
    "{\"type\":\"renewal_within\",\"days\":90}",
    "{\"type\":\"inactive_for\",\"days\":14}",
    "{\"type\":\"nps_detractor\"}",
    "{\"type\":\"event_seen\",\"name\":\"Export\",\"count\":50,\"window_days\":7}",
    "{\"type\":\"seats_used\",\"min_percent\":90}",
    "{\"type\":\"milestone_overdue\"}",
    "{\"type\":\"health_band_changed\",\"to\":\"red\"}",
    "{\"type\":\"phase_entered\",\"phase\":\"onboarding\"}",
};

int main(int argc, char **argv)
{
    long naccounts = argc > 1 ? atol(argv[1]) : 100000;
    int days = argc > 2 ? atoi(argv[2]) : 30;
    char path[200];
    snprintf(path, sizeof(path), "/tmp/kz-bench-playbooks-%d.db", getpid());
    unlink(path);
    if (naccounts <= 0 || days <= 0 || store_init(path))
        return 1;
    struct store *st = store_get();
    bench_machine();
    build_db(st, naccounts, days);
    for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
        struct playbook_rec rec = {.name = "bench", .enabled = true, .audience = "{}",
                                   .trigger = (char *)triggers[i], .cooldown_days = 30,
                                   .actions = "[{\"type\":\"create_task\",\"title\":"
                                              "\"{{account.name}}: {{trigger}}\"}]"};
        struct playbook p;
        size_t n = 0, f1 = 0, f2 = 0;
        must(store_playbook_create(st, &rec), "create");
        must(playbook_load(st, rec.id, &p), "load");
        json_t *hits = json_array();
        double t0 = bench_now();
        must(playbook_evaluate(st, &p, true, hits, &n), "preview");
        double t1 = bench_now();
        must(playbook_evaluate(st, &p, false, NULL, &f1), "evaluate");
        double t2 = bench_now();
        must(playbook_evaluate(st, &p, false, NULL, &f2), "evaluate again");
        double t3 = bench_now();
        printf("%-55s preview %6.3f s (%zu accounts) | evaluate %6.3f s (%zu fired) | again "
               "%6.3f s (%zu fired)\n",
               triggers[i], t1 - t0, n, t2 - t1, f1, t3 - t2, f2);
        json_decref(hits);
        playbook_cleanup(&p);
    }
    printf("peak RSS: %.1f MB\n", (double)bench_proc_kb(getpid(), "VmHWM:") / 1024);
    store_shutdown();
    bench_remove_db(path);
    return 0;
}
