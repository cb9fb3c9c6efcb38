/*
 * bench/health: a full health recompute over 100,000 accounts with 90 days of usage rollups
 * (DESIGN.md §6: target <= 1 s on the 2-core machine).
 *
 *   build/bench/health [accounts] [days] [db]
 *
 * Builds the database once (default build/bench/health.db; reused while it matches the
 * accounts and days asked for): accounts with a subscription, a phase and its milestones,
 * contacts with a decision maker, timeline touches, NPS answers, goals, CSM sentiment, and
 * for every day of the window each account's active users and events (rows of
 * active_users_daily and usage_daily, as the ingest writer makes them). Then it times:
 * the first pass of a day (every account's windows rebuilt from its rollups and records, then
 * scored and saved), a scheduled pass (windows current: facts, scores, save), and the
 * explanation of single accounts (GET /accounts/{id}/health). Prints peak RSS.
 */
#include <sqlite3.h>
#include <sys/resource.h>

#include "bench.h"
#include "health/engine.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static double rnd01(void)
{
    return (rnd() & 0xFFFFFF) / 16777216.0;
}

static void must(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "bench/health: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    must(db, sqlite3_prepare_v2(db, sql, -1, &s, NULL), sql);
    return s;
}

static void step(sqlite3 *db, sqlite3_stmt *s)
{
    must(db, sqlite3_step(s), sqlite3_sql(s));
    sqlite3_reset(s);
}

static const char *const MILESTONES[] = {
    "initial_setup", "basic_understanding", "hands_on_mastery",
    "habitual_use", "proficiency", "user_spread",
    "value_realised", "renewal", "expansion",
};
static const char *const PHASES[] = { "onboarding", "adoption", "expansion", "churned" };
static const char *const EVENTS[] = { "Report Created", "Dashboard Viewed", "Export Run",
                                      "Invite Sent", "Login", "Search", "Comment Added",
                                      "Settings Changed" };

#define KEY_EVENTS                                                                         \
    "{\"events\":[{\"name\":\"Report Created\",\"label_ja\":\"レポート作成\","             \
    "\"label_en\":\"Report created\"},{\"name\":\"Dashboard Viewed\",\"label_ja\":"       \
    "\"ダッシュボード閲覧\",\"label_en\":\"Dashboard viewed\"},{\"name\":\"Export Run\","  \
    "\"label_ja\":\"エクスポート\",\"label_en\":\"Export\"},{\"name\":\"Invite Sent\","    \
    "\"label_ja\":\"招待\",\"label_en\":\"Invite\"}]}"

static void generate(const char *path, long accounts, int days, const char *marker)
{
    sqlite3 *db;
    must(NULL, sqlite3_open(path, &db), "open");
    sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL;", NULL, NULL, NULL);
    must(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
    int64_t now = now_unix(), today = now / 86400;
    char ts[21], day[11];
    sqlite3_stmt *acc = prep(db, "INSERT INTO accounts (id, name, tier, phase, phase_entered_at, "
                                 "sentiment, last_seen_at, created_at, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt *sub = prep(db, "INSERT INTO subscriptions (account_id, plan, mrr, currency, "
                                 "seats, start_date, status, updated_at) "
                                 "VALUES (?, 'Pro', ?, 'JPY', ?, '2024-01-01', 'active', ?)");
    sqlite3_stmt *ms = prep(db, "INSERT INTO milestone_states (account_id, milestone, state, "
                                "completed_at, completed_by, updated_at) "
                                "VALUES (?, ?, 'complete', ?, 'criterion', ?)");
    sqlite3_stmt *con = prep(db, "INSERT INTO contacts (account_id, name, role, created_at, "
                                 "updated_at) VALUES (?, 'c', ?, ?, ?)");
    sqlite3_stmt *tl = prep(db, "INSERT INTO timeline_entries (account_id, type, occurred_at, "
                                "summary, created_at, updated_at) VALUES (?, 'meeting', ?, "
                                "'touch', ?, ?)");
    sqlite3_stmt *tc = prep(db, "INSERT INTO timeline_contacts (account_id, entry_id, "
                                "contact_id) VALUES (?, ?, ?)");
    sqlite3_stmt *nps = prep(db, "INSERT INTO survey_responses (account_id, contact_id, type, "
                                 "score, answered_at, created_at) VALUES (?, ?, 'nps', ?, ?, ?)");
    sqlite3_stmt *goal = prep(db, "INSERT INTO goals (account_id, title, metric, baseline, "
                                  "target, current, created_at, updated_at) "
                                  "VALUES (?, 'Reduce handling time', 'minutes', 30, 10, ?, ?, ?)");
    sqlite3_stmt *au = prep(db, "INSERT INTO active_users_daily (account_id, day, user_key, "
                                "events) VALUES (?, ?, ?, ?)");
    sqlite3_stmt *ud = prep(db, "INSERT INTO usage_daily (account_id, day, event, count) "
                                "VALUES (?, ?, ?, ?)");
    time_format(now, ts);
    long au_rows = 0, ud_rows = 0;
    for (long id = 1; id <= accounts; id++) {
        int seats = 3 + (int)(rnd() % 28);
        int users = seats * 7 / 10 + 1;
        double p = 0.05 + 0.4 * rnd01();       /* each user's chance to be active a day */
        int idle = (int)(rnd() % 100) < 10 ? (int)(rnd() % 60) : 0; /* recent silent days */
        const char *phase = PHASES[rnd() % 4];
        char name[32], entered[21], seen[21];
        snprintf(name, sizeof(name), "Account %ld", id);
        time_format(now - (int64_t)(rnd() % 200) * 86400, entered);
        time_format(now - (int64_t)idle * 86400 - (int64_t)(rnd() % 86400), seen);
        sqlite3_bind_int64(acc, 1, id);
        sqlite3_bind_text(acc, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(acc, 3, (const char *[]){ "high", "low", "tech" }[rnd() % 3], -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(acc, 4, phase, -1, SQLITE_STATIC);
        sqlite3_bind_text(acc, 5, entered, -1, SQLITE_TRANSIENT);
        if (rnd() % 2)
            sqlite3_bind_int(acc, 6, 1 + (int)(rnd() % 5));
        else
            sqlite3_bind_null(acc, 6);
        sqlite3_bind_text(acc, 7, seen, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(acc, 8, "2024-01-01T00:00:00Z", -1, SQLITE_STATIC);
        sqlite3_bind_text(acc, 9, ts, -1, SQLITE_STATIC);
        step(db, acc);
        sqlite3_bind_int64(sub, 1, id);
        sqlite3_bind_int(sub, 2, seats * 3000);
        sqlite3_bind_int(sub, 3, seats);
        sqlite3_bind_text(sub, 4, ts, -1, SQLITE_STATIC);
        step(db, sub);
        int done = (int)(rnd() % 10);
        for (int m = 0; m < done; m++) {
            sqlite3_bind_int64(ms, 1, id);
            sqlite3_bind_text(ms, 2, MILESTONES[m], -1, SQLITE_STATIC);
            sqlite3_bind_text(ms, 3, ts, -1, SQLITE_STATIC);
            sqlite3_bind_text(ms, 4, ts, -1, SQLITE_STATIC);
            step(db, ms);
        }
        int64_t contact[3];
        for (int c = 0; c < 3; c++) {
            sqlite3_bind_int64(con, 1, id);
            sqlite3_bind_text(con, 2, c == 0 ? "decision_maker" : "user", -1, SQLITE_STATIC);
            sqlite3_bind_text(con, 3, ts, -1, SQLITE_STATIC);
            sqlite3_bind_text(con, 4, ts, -1, SQLITE_STATIC);
            step(db, con);
            contact[c] = sqlite3_last_insert_rowid(db);
        }
        for (int t = 0; t < 6; t++) {
            char at[21];
            time_format(now - (int64_t)(rnd() % 180) * 86400, at);
            sqlite3_bind_int64(tl, 1, id);
            sqlite3_bind_text(tl, 2, at, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(tl, 3, ts, -1, SQLITE_STATIC);
            sqlite3_bind_text(tl, 4, ts, -1, SQLITE_STATIC);
            step(db, tl);
            int64_t entry = sqlite3_last_insert_rowid(db);
            sqlite3_bind_int64(tc, 1, id);
            sqlite3_bind_int64(tc, 2, entry);
            sqlite3_bind_int64(tc, 3, contact[t % 2 ? 1 : 0]);
            step(db, tc);
        }
        for (int r = 0; r < 2; r++) {
            char at[21];
            time_format(now - (int64_t)(rnd() % 300) * 86400, at);
            sqlite3_bind_int64(nps, 1, id);
            sqlite3_bind_int64(nps, 2, contact[r]);
            sqlite3_bind_int(nps, 3, (int)(rnd() % 11));
            sqlite3_bind_text(nps, 4, at, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(nps, 5, ts, -1, SQLITE_STATIC);
            step(db, nps);
        }
        if (id % 3 == 0) {
            sqlite3_bind_int64(goal, 1, id);
            sqlite3_bind_double(goal, 2, 10 + 20 * rnd01());
            sqlite3_bind_text(goal, 3, ts, -1, SQLITE_STATIC);
            sqlite3_bind_text(goal, 4, ts, -1, SQLITE_STATIC);
            step(db, goal);
        }
        for (int d = days - 1; d >= idle; d--) {
            date_from_days(today - d, day);
            int active = 0;
            for (int u = 0; u < users; u++) {
                if (rnd01() >= p)
                    continue;
                char key[16];
                snprintf(key, sizeof(key), "u%03d", u);
                sqlite3_bind_int64(au, 1, id);
                sqlite3_bind_text(au, 2, day, -1, SQLITE_STATIC);
                sqlite3_bind_text(au, 3, key, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(au, 4, 1 + (int)(rnd() % 20));
                step(db, au);
                active++;
                au_rows++;
            }
            if (!active)
                continue;
            int first = (int)(rnd() % 8), kinds = 1 + (int)(rnd() % 3);
            for (int e = 0; e < kinds; e++) {
                sqlite3_bind_int64(ud, 1, id);
                sqlite3_bind_text(ud, 2, day, -1, SQLITE_STATIC);
                sqlite3_bind_text(ud, 3, EVENTS[(first + e) % 8], -1, SQLITE_STATIC);
                sqlite3_bind_int(ud, 4, active * (1 + (int)(rnd() % 10)));
                step(db, ud);
                ud_rows++;
            }
        }
        if (id % 10000 == 0)
            fprintf(stderr, "  generated %ld accounts\r", id);
    }
    sqlite3_stmt *set = prep(db, "INSERT OR REPLACE INTO settings (key, value, updated_at) "
                                 "VALUES (?, ?, ?)");
    /* The lifecycle is the default one (src/journey/lifecycle.c), whose milestone keys the
     * generated milestone states use. */
    const char *const kv[][2] = { { "key_events", KEY_EVENTS }, { "bench_health", marker } };
    for (size_t i = 0; i < 2; i++) {
        sqlite3_bind_text(set, 1, kv[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(set, 2, kv[i][1], -1, SQLITE_STATIC);
        sqlite3_bind_text(set, 3, ts, -1, SQLITE_STATIC);
        step(db, set);
    }
    sqlite3_stmt *all[] = { acc, sub, ms, con, tl, tc, nps, goal, au, ud, set };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    must(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    fprintf(stderr, "  generated %ld accounts: %ld active_users_daily rows, %ld usage_daily "
                    "rows\n", accounts, au_rows, ud_rows);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    long accounts = argc > 1 ? atol(argv[1]) : 100000;
    int days = argc > 2 ? atoi(argv[2]) : 90;
    const char *path = argc > 3 ? argv[3] : "build/bench/health.db";
    if (accounts < 1 || days < 1) {
        fprintf(stderr, "usage: build/bench/health [accounts] [days] [db]\n");
        return 2;
    }
    char marker[64];
    snprintf(marker, sizeof(marker), "%ld accounts x %d days v1", accounts, days);
    bench_machine();
    if (crypto_setup() || store_init(path))
        return 1;
    struct store *st = store_get();
    char *have = NULL;
    if (store_setting_get(st, "bench_health", &have) || strcmp(have, marker) != 0) {
        free(have);
        have = NULL;
        store_shutdown();
        unlink(path);
        if (store_init(path))
            return 1;
        st = store_get();
        fprintf(stderr, "building %s (%s)...\n", path, marker);
        double t0 = bench_now();
        generate(path, accounts, days, marker);
        fprintf(stderr, "  built in %.1f s\n", bench_now() - t0);
    }
    free(have);
    printf("health recompute: %ld accounts, %d days of rollups, database %.0f MB\n", accounts,
           days, (double)store_db_size() / 1e6);

    /* Every window stale, as on the first pass of a day. */
    sqlite3 *raw;
    must(NULL, sqlite3_open(path, &raw), "open");
    must(raw, sqlite3_exec(raw, "UPDATE account_windows SET day = ''", NULL, NULL, NULL),
         "stale windows");
    sqlite3_close(raw);
    st = store_get();
    double t0 = bench_now();
    size_t n = 0;
    if (health_recompute(st, 0, &n))
        return 1;
    double first = bench_now() - t0;
    printf("  first pass of the day (account windows rebuilt): %zu accounts in %.3f s\n", n,
           first);

    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        t0 = bench_now();
        if (health_recompute(st, 0, &n))
            return 1;
        double t = bench_now() - t0;
        best = t < best ? t : best;
        printf("  scheduled full pass %d: %zu accounts in %.3f s\n", i + 1, n, t);
    }

    struct health_env env;
    if (health_env_load(st, now_unix(), &env))
        return 1;
    int reps = 1000;
    t0 = bench_now();
    for (int i = 0; i < reps; i++) {
        struct health_explanation e;
        if (health_explain(st, &env, 1 + (int64_t)(rnd() % (uint32_t)accounts), &e))
            return 1;
    }
    double per = (bench_now() - t0) / reps * 1000;
    /* A model preview (POST /settings/health-model/preview): every account scored twice. */
    struct health_model proposed = env.model;
    proposed.base.green = 60;
    proposed.base.red = 30;
    struct health_preview *pv = malloc(sizeof(*pv));
    t0 = bench_now();
    if (!pv || health_preview(st, &proposed, pv))
        return 1;
    printf("  model preview: %zu accounts, %zu change band, in %.3f s\n", pv->accounts,
           pv->changed, bench_now() - t0);
    free(pv);
    health_env_cleanup(&env);
    printf("  one account explained (GET /accounts/{id}/health work): %.2f ms\n", per);
    printf("  best full pass: %.3f s (target <= 1 s); peak RSS %.0f MB\n", best,
           peak_rss_kb() / 1024.0);
    store_shutdown();
    return 0;
}
