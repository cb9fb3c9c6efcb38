/*
 * Metrics benchmark (issue 5): builds a database of 100,000 accounts with 36 months of
 * subscription history (a deterministic mix of trials, upgrades, downgrades, churn and
 * reactivation; a fifth of the accounts in USD), plus the journey, health, survey, task and
 * timeline rows the customer success metrics read; starts `build/kizuna serve` on it and
 * times every /api/v1/metrics endpoint over HTTP (the whole request: parse, one scan,
 * compute, JSON), a few runs each, 36-month window and the default 12-month one. Prints the
 * best and the median wall time in ms per metric, the server's CPU time per request (user +
 * system: what the request cost, whatever else the shared machine was doing), the history
 * size, the server's memory and the machine. Rows are written with plain SQL in one transaction (the store's per-row writes
 * would take minutes at this size); the schema is the server's, through store_init.
 *
 * usage: build/bench/metrics [accounts] [runs] [dense]
 *   dense: a history row for every account and month (as if each invoice were recorded),
 *   36 per account instead of one per change; KIZUNA_BENCH_KEEP=1 keeps the database,
 *   KIZUNA_BENCH_REUSE=1 times a kept one again (built the same day, same arguments) instead
 *   of building it, KIZUNA_BENCH_ONLY=name times that metric only.
 *
 * The server's start-up pass (journeys, health and playbooks of every account) runs on its
 * scheduler thread; the timing starts once the server is idle after it, so that its CPU time
 * is not counted in the first metrics'.
 */
#include "bench.h"
#include "metrics/metrics.h"
#include "store/db.h"

static int port;
static char token[128];
static long naccounts = 100000, runs = 5;
static bool dense; /* a history row for every account and month, changed or not */
static int64_t history_rows, snapshot_rows;

/* xorshift64*: the data is the same on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 33) % n;
}

static sqlite3_stmt *prep(struct store *st, const char *sql)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(st->db));
        exit(1);
    }
    return s;
}

static void step(sqlite3_stmt *s)
{
    if (sqlite3_step(s) != SQLITE_DONE) {
        fprintf(stderr, "insert failed: %s\n", sqlite3_errmsg(sqlite3_db_handle(s)));
        exit(1);
    }
    sqlite3_reset(s);
}

/* Day d (1..28) of month m as YYYY-MM-DD. */
static void day_of(int m, int d, char out[11])
{
    char mm[8];
    month_format(m, mm);
    snprintf(out, 11, "%s-%02d", mm, d);
}

static int64_t today_days;

static void build_db(const char *path, int first, int last)
{
    bench_remove_db(path);
    if (store_init(path))
        exit(1);
    struct store *st = store_get();
    bench_admin_token(st, token, sizeof(token));
    int64_t owners[5];
    for (int i = 0; i < 5; i++) {
        struct user u = { .role = ROLE_CSM };
        u.email = xasprintf("csm%d@example.com", i);
        u.name = xasprintf("CSM %d", i);
        store_user_create(st, &u);
        owners[i] = u.id;
        user_cleanup(&u);
    }
    store_begin(st);
    /* each account row is written after its history: the keys are checked at COMMIT */
    sqlite3_exec(st->db, "PRAGMA defer_foreign_keys = ON", NULL, NULL, NULL);
    sqlite3_stmt *acc = prep(st, "INSERT INTO accounts (id, name, industry, owner_id, tier, phase,"
                                 " health_band, health_score, value_reached_at, created_at,"
                                 " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt *hist = prep(st, "INSERT INTO subscription_history (account_id, effective_date,"
                                  " plan, mrr, currency, seats, status, start_date, renewal_date,"
                                  " recorded_at) VALUES (?, ?, 'pro', ?, ?, 10, ?, ?, ?, ?)");
    sqlite3_stmt *cur = prep(st, "INSERT INTO subscriptions (account_id, plan, mrr, currency,"
                                 " seats, start_date, renewal_date, status, updated_at)"
                                 " VALUES (?, 'pro', ?, ?, 10, ?, ?, ?, ?)");
    sqlite3_stmt *ph = prep(st, "INSERT INTO phase_history (account_id, phase, entered_at,"
                                " left_at, moved_by) VALUES (?, ?, ?, ?, 'manual')");
    sqlite3_stmt *snap = prep(st, "INSERT INTO health_snapshots (account_id, day, score, band)"
                                  " VALUES (?, ?, ?, ?)");
    sqlite3_stmt *srv = prep(st, "INSERT INTO survey_responses (account_id, type, score,"
                                 " answered_at, created_at) VALUES (?, ?, ?, ?, ?)");
    sqlite3_stmt *task = prep(st, "INSERT INTO tasks (account_id, title, assignee_id, type,"
                                  " status, completed_at, created_at, updated_at)"
                                  " VALUES (?, 'bench', ?, ?, 'done', ?, ?, ?)");
    sqlite3_stmt *tl = prep(st, "INSERT INTO timeline_entries (account_id, type, author_id,"
                                " occurred_at, summary, created_at, updated_at)"
                                " VALUES (?, ?, ?, ?, 'bench', ?, ?)");
    static const char *const industries[] = { "SaaS", "製造業", "小売", "金融", "医療" };
    static const char *const tiers[] = { "high", "low", "tech", "tech" };
    static const char *const phases[] = { "onboarding", "adoption", "expansion", "churned" };
    static const char *const bands[] = { "green", "yellow", "red" };
    static const char *const ttypes[] = { "call", "meeting", "email", "review" };
    static const char *const etypes[] = { "note", "meeting", "call", "email" };
    const char *now = "2026-01-01T00:00:00Z";
    char date[11], date2[11], ts[21];
    for (long id = 1; id <= naccounts; id++) {
        int start = first + (int)rnd((uint32_t)(last - first + 1));
        bool usd = rnd(5) == 0;
        int64_t mrr = (usd ? 5000 : 5000) * (1 + rnd(40)); /* cents or yen */
        const char *currency = usd ? "USD" : "JPY";
        bool trial = rnd(10) == 0;
        int phase = 0;
        /* the history: one row per change */
        char start_date[11];
        day_of(start, 1 + (int)rnd(28), start_date);
        day_of(start + 12, 1, date2);
        bool paying = !trial, churned = false;
        sqlite3_bind_int64(hist, 1, id);
        sqlite3_bind_text(hist, 2, start_date, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(hist, 3, mrr);
        sqlite3_bind_text(hist, 4, currency, -1, SQLITE_STATIC);
        sqlite3_bind_text(hist, 5, trial ? "trial" : "active", -1, SQLITE_STATIC);
        sqlite3_bind_text(hist, 6, start_date, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(hist, 7, date2, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(hist, 8, now, -1, SQLITE_STATIC);
        step(hist);
        history_rows++;
        for (int m = start + 1; m <= last; m++) {
            const char *status = NULL;
            uint32_t roll = rnd(1000);
            if (trial && !paying && !churned) {
                paying = true;
                status = "active";
            } else if (paying && roll < 15) {
                paying = false;
                churned = true;
                status = "churned";
            } else if (paying && roll < 55) {
                mrr += mrr / 5;
                status = "active";
            } else if (paying && roll < 80) {
                mrr -= mrr / 7;
                status = "active";
            } else if (churned && roll < 40) {
                paying = true;
                churned = false;
                status = "active";
            }
            if (!status && !dense)
                continue;
            if (!status)
                status = paying ? "active" : churned ? "churned" : "trial";
            day_of(m, 1 + (int)rnd(28), date);
            sqlite3_bind_int64(hist, 1, id);
            sqlite3_bind_text(hist, 2, date, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(hist, 3, mrr);
            sqlite3_bind_text(hist, 4, currency, -1, SQLITE_STATIC);
            sqlite3_bind_text(hist, 5, status, -1, SQLITE_STATIC);
            step(hist);
            history_rows++;
        }
        date_from_days(today_days + 1 + (int64_t)rnd(365), date2); /* over the coming year */
        sqlite3_bind_int64(cur, 1, id);
        sqlite3_bind_int64(cur, 2, mrr);
        sqlite3_bind_text(cur, 3, currency, -1, SQLITE_STATIC);
        sqlite3_bind_text(cur, 4, start_date, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cur, 5, date2, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cur, 6, paying ? "active" : churned ? "churned" : "trial", -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(cur, 7, now, -1, SQLITE_STATIC);
        step(cur);

        /* the journey: onboarding, then adoption for most, expansion for some */
        phase = churned ? 3 : (int)rnd(3);
        snprintf(ts, sizeof(ts), "%sT09:00:00Z", start_date);
        char left[21];
        day_of(start + 2, 10, date);
        snprintf(left, sizeof(left), "%sT09:00:00Z", date);
        sqlite3_bind_int64(ph, 1, id);
        sqlite3_bind_text(ph, 2, "onboarding", -1, SQLITE_STATIC);
        sqlite3_bind_text(ph, 3, ts, -1, SQLITE_TRANSIENT);
        if (phase)
            sqlite3_bind_text(ph, 4, left, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ph, 4);
        step(ph);
        if (phase) {
            sqlite3_bind_int64(ph, 1, id);
            sqlite3_bind_text(ph, 2, phases[phase], -1, SQLITE_STATIC);
            sqlite3_bind_text(ph, 3, left, -1, SQLITE_TRANSIENT);
            sqlite3_bind_null(ph, 4);
            step(ph);
        }
        int band = (int)rnd(3);
        sqlite3_bind_int64(acc, 1, id);
        char *name = xasprintf("Account %06ld", id);
        sqlite3_bind_text(acc, 2, name, -1, SQLITE_TRANSIENT);
        free(name);
        sqlite3_bind_text(acc, 3, industries[rnd(5)], -1, SQLITE_STATIC);
        sqlite3_bind_int64(acc, 4, owners[rnd(5)]);
        sqlite3_bind_text(acc, 5, tiers[rnd(4)], -1, SQLITE_STATIC);
        sqlite3_bind_text(acc, 6, phases[phase], -1, SQLITE_STATIC);
        sqlite3_bind_text(acc, 7, bands[band], -1, SQLITE_STATIC);
        sqlite3_bind_int64(acc, 8, 30 + band * 20);
        if (phase)
            sqlite3_bind_text(acc, 9, left, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(acc, 9);
        sqlite3_bind_text(acc, 10, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(acc, 11, now, -1, SQLITE_STATIC);
        step(acc);

        /* health: one snapshot at the end of each month from the start */
        for (int m = start; m <= last; m++) {
            month_last_day(m, date);
            int b = rnd(10) < 7 ? band : (int)rnd(3);
            sqlite3_bind_int64(snap, 1, id);
            sqlite3_bind_text(snap, 2, date, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(snap, 3, 30 + b * 20 + rnd(20));
            sqlite3_bind_text(snap, 4, bands[b], -1, SQLITE_STATIC);
            step(snap);
            snapshot_rows++;
        }
        /* a survey answer, two completed tasks and two touches */
        day_of(start + (int)rnd((uint32_t)(last - start + 1)), 1 + (int)rnd(28), date);
        snprintf(ts, sizeof(ts), "%sT10:00:00Z", date);
        sqlite3_bind_int64(srv, 1, id);
        int kind = (int)rnd(3);
        sqlite3_bind_text(srv, 2, kind == 0 ? "nps" : kind == 1 ? "csat" : "ces", -1,
                          SQLITE_STATIC);
        sqlite3_bind_int(srv, 3, kind == 0 ? (int)rnd(11) : 1 + (int)rnd(kind == 1 ? 5 : 7));
        sqlite3_bind_text(srv, 4, ts, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(srv, 5, ts, -1, SQLITE_TRANSIENT);
        step(srv);
        for (int k = 0; k < 2; k++) {
            day_of(last - (int)rnd(12), 1 + (int)rnd(28), date);
            snprintf(ts, sizeof(ts), "%sT11:00:00Z", date);
            int64_t who = owners[rnd(5)];
            sqlite3_bind_int64(task, 1, id);
            sqlite3_bind_int64(task, 2, who);
            sqlite3_bind_text(task, 3, ttypes[rnd(4)], -1, SQLITE_STATIC);
            sqlite3_bind_text(task, 4, ts, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(task, 5, ts, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(task, 6, ts, -1, SQLITE_TRANSIENT);
            step(task);
            sqlite3_bind_int64(tl, 1, id);
            sqlite3_bind_text(tl, 2, etypes[rnd(4)], -1, SQLITE_STATIC);
            sqlite3_bind_int64(tl, 3, who);
            sqlite3_bind_text(tl, 4, ts, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(tl, 5, ts, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(tl, 6, ts, -1, SQLITE_TRANSIENT);
            step(tl);
        }
    }
    sqlite3_stmt *all[] = { acc, hist, cur, ph, snap, srv, task, tl };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    if (store_commit(st)) {
        fprintf(stderr, "commit failed\n");
        exit(1);
    }
    sqlite3_exec(st->db, "ANALYZE", NULL, NULL, NULL);
    store_shutdown();
}

/* CPU time (user + system) the process has used, in ms: unlike wall time it does not count
 * waiting for a CPU that other work on the machine holds. */
static double proc_cpu_ms(pid_t pid)
{
    char p[64], line[1024];
    snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f || !fgets(line, sizeof(line), f)) {
        if (f)
            fclose(f);
        return 0;
    }
    fclose(f);
    char *c = strrchr(line, ')');
    unsigned long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (!c || sscanf(c + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Waits (at most two minutes) until pid uses less than 2% of a CPU over half a second. */
static void wait_idle(pid_t pid)
{
    double t0 = bench_now(), cpu = proc_cpu_ms(pid);
    while (bench_now() - t0 < 120) {
        usleep(500000);
        double now = proc_cpu_ms(pid);
        if (now - cpu < 10)
            break;
        cpu = now;
    }
    printf("server idle after its start-up pass: %.1f s\n", bench_now() - t0);
}

static double time_get(int fd, const char *path, char *buf, size_t cap, int *status)
{
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\n\r\n", path, token);
    double t0 = bench_now();
    *status = bench_http(fd, req, (size_t)n, buf, cap, NULL);
    return (bench_now() - t0) * 1e3;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        naccounts = strtol(argv[1], NULL, 10);
    if (argc > 2)
        runs = strtol(argv[2], NULL, 10);
    dense = argc > 3 && strcmp(argv[3], "dense") == 0;
    if (naccounts < 1 || runs < 1 || runs > 100)
        return fprintf(stderr, "usage: metrics [accounts] [runs] [dense]\n"), 2;
    signal(SIGPIPE, SIG_IGN);
    crypto_setup();
    bench_machine();
    const char *db = "/tmp/kizuna-bench-metrics.db";
    /* The 36 months of history end last month; renewals fall over the coming year. */
    char today[11], mf[8], ml[8], mh[8];
    date_today(today);
    today_days = date_to_days(today);
    int last = month_of_date(today) - 1, first = last - 35;
    month_format(first, mf);
    month_format(last, ml);
    month_format(last - 11, mh);
    double t0 = bench_now();
    if (getenv("KIZUNA_BENCH_REUSE") && access(db, R_OK) == 0) {
        /* a kept database: a token of its own for this run */
        if (store_init(db))
            return 1;
        char email[64];
        snprintf(email, sizeof(email), "bench-%d@example.com", (int)getpid());
        struct user u = { .role = ROLE_ADMIN, .email = xstrdup(email), .name = xstrdup("bench") };
        store_user_create(store_get(), &u);
        char *secret = token_new("kz_"), hash[65];
        token_hash(secret, hash);
        struct api_token t = { .user_id = u.id, .name = xstrdup("bench"),
                               .prefix = xstrdup("kz_") };
        store_token_create(store_get(), &t, hash);
        snprintf(token, sizeof(token), "%s", secret);
        free(secret);
        api_token_cleanup(&t);
        user_cleanup(&u);
        store_shutdown();
        printf("reused %s (36 months, %s..%s)\n", db, mf, ml);
    } else {
        build_db(db, first, last);
        printf("built %ld accounts, %lld subscription history rows (36 months, %s..%s), "
               "%lld health snapshots in %.1f s\n", naccounts, (long long)history_rows, mf, ml,
               (long long)snapshot_rows, bench_now() - t0);
    }

    port = 20000 + (int)(getpid() % 20000);
    pid_t pid = bench_serve(db, port, NULL);
    if (pid < 0)
        return fprintf(stderr, "server did not start\n"), 1;
    wait_idle(pid);
    int fd = bench_dial(port);
    size_t cap = 64u << 20;
    char *buf = xmalloc(cap);
    static const char *const metrics[] = { "mrr", "movements", "retention", "churn", "ltv",
                                           "cohorts", "renewals", "journey", "health",
                                           "surveys", "activity" };
    char windows[3][64];
    snprintf(windows[0], sizeof(windows[0]), "from=%s&to=%s", mf, ml);
    snprintf(windows[1], sizeof(windows[1]), "from=%s&to=%s", mh, ml);
    snprintf(windows[2], sizeof(windows[2]), "from=%s&to=%s&tier=high", mf, ml);
    /* renewals: the next 90 days (the default), all 100,000 of the coming year, and the
     * next 90 days of the high-touch accounts */
    char year[64];
    month_format(month_of_date(today) + 12, mh);
    snprintf(year, sizeof(year), "from=%.7s&to=%s", today, mh);
    int errors = 0;
    printf("%-10s %-36s %9s %9s %9s\n", "metric", "query", "best ms", "median ms", "cpu ms");
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
        for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
            if (getenv("KIZUNA_BENCH_ONLY") && strcmp(getenv("KIZUNA_BENCH_ONLY"), metrics[i]))
                continue;
            char path[256];
            const char *query = windows[w];
            if (strcmp(metrics[i], "renewals") == 0)
                query = w == 0 ? "limit=50" : w == 1 ? year : "tier=high";
            snprintf(path, sizeof(path), "/api/v1/metrics/%s?%s", metrics[i], query);
            double t[100];
            int status = 0;
            double cpu0 = proc_cpu_ms(pid);
            for (long k = 0; k < runs; k++) {
                t[k] = time_get(fd, path, buf, cap, &status);
                if (status != 200) {
                    fprintf(stderr, "%s: HTTP %d\n", path, status);
                    errors++;
                    close(fd); /* the server may have closed it */
                    fd = bench_dial(port);
                    break;
                }
            }
            if (status != 200)
                continue;
            double cpu = (proc_cpu_ms(pid) - cpu0) / (double)runs;
            qsort(t, (size_t)runs, sizeof(double), bench_cmp_double);
            printf("%-10s %-36s %9.1f %9.1f %9.1f\n", metrics[i], query, t[0], t[runs / 2], cpu);
            fflush(stdout);
        }
    }
    long rss = bench_proc_kb(pid, "VmHWM:");
    close(fd);
    bench_serve_stop(pid);
    printf("server peak resident memory: %.1f MB\n", (double)rss / 1024.0);
    free(buf);
    if (!getenv("KIZUNA_BENCH_KEEP"))
        unlink(db);
    return errors ? 1 : 0;
}
