/*
 * Ingestion benchmark (DESIGN.md §6, issue 3): builds a database with an admin token and
 * 1,000 accounts, starts `build/kizuna serve` on it, creates a write key through the API and
 * then measures, over C keep-alive connections in closed loop (default 16 for 10 s):
 *
 *   1. the floor: GET /healthz, the same server's rate on a trivial endpoint;
 *   2. an identity warm-up: identify + group for 1,000 accounts × 20 users (batches of 100);
 *   3. the load: POST /v1/batch with 100 track/page events a request (unique messageIds,
 *      users from the 20,000, context.groupId on a third of them).
 *
 * The server answers 200 only after the events are committed, so the events of 200 replies
 * are the durable events. Prints the machine, the floor, durable events/s, batch requests/s
 * and both as a share of the floor, p50/p99 latency, the server's peak resident memory,
 * where its threads spent CPU and whether anything else ran on the machine meanwhile, and
 * the ingest writer's commits, syncs and flushes (from the server log); then stops the
 * server, opens the database with the store and checks that it holds exactly the track/page
 * events that were acknowledged, and that the rollups, the active-user rows and the
 * accounts' event runs (written by the writer's flushes, behind the replies) count each of
 * them exactly once (the database is removed when all went well).
 * Exits non-zero on any reply other than 200 {"success":true} or a count that differs.
 *
 * usage: build/bench/ingest [seconds] [connections]
 */
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/resource.h>

#include "bench.h"
#include "ingest_load.h"
#include "http/http.h"
#include "store/db.h"

#define RESP_MAX 65536
#define MAX_CONNS 256
#define MAX_THREADS 128

static const char *const db_path = "/tmp/kizuna-bench-ingest.db";
static const char *const log_path = "/tmp/kizuna-bench-ingest.log";

static int port;
static long seconds = 10, conns = 16;
static char token[128];
static char basic[256];   /* "Basic " + base64("wk_...:") */
static double deadline;


enum phase { PHASE_FLOOR, PHASE_WARMUP, PHASE_LOAD };

struct worker {
    int idx;
    enum phase phase;
    double *lat;           /* ms per request (floor and load) */
    size_t n, cap;
    size_t requests;       /* answered 200 */
    size_t errors;         /* not 200, or the connection failed */
    size_t unsuccessful;   /* 200 without "success": true, or with rejected messages */
    size_t events;         /* acknowledged messages */
    size_t checked;        /* replies whose body was checked */
    double finished;
    char first_error[160];
};

/* ------------------------------------------------------------------ database */

/* A fresh database: an admin with an API token, and the accounts the group calls name
 * (external_id "acct-NNNN", as a CRM import would have made them). */
static void build_db(void)
{
    bench_remove_db(db_path);
    if (store_init(db_path))
        exit(1);
    struct store *st = store_get();
    bench_admin_token(st, token, sizeof(token));
    create_accounts(st);
    store_shutdown();
}

/* Counts the rows of the events table of one type class in the stopped server's database;
 * -1 on error. */
static long long count_events(struct store *st, const char *where)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE %s", where);
    sqlite3_stmt *s = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* One number from the stopped server's database; -1 on error. */
static long long scalar(struct store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* Prints the ingest writer's summary line from the server log (commits, syncs, flushes). */
static void print_writer_summary(void)
{
    FILE *f = fopen(log_path, "r");
    char line[512], last[512] = "";
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, "ingest: ") && strstr(line, " commits; "))
            snprintf(last, sizeof(last), "%s", line);
    if (f)
        fclose(f);
    const char *p = strstr(last, "ingest: ");
    if (p)
        printf("  writer: %s", p + 8);
}

/* ------------------------------------------------------------------ HTTP */

/* Creates a write key with the admin token and sets basic to its Authorization value.
 * Returns 0, or -1 with the reason printed. */
static int create_write_key(void)
{
    int fd = bench_dial(port);
    if (fd < 0)
        return fprintf(stderr, "write key: cannot connect\n"), -1;
    static const char body[] = "{\"name\":\"bench\"}";
    char req[512], resp[4096], *rb = NULL;
    int n = snprintf(req, sizeof(req), "POST /api/v1/write-keys HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", token, sizeof(body) - 1, body);
    int status = bench_http(fd, req, (size_t)n, resp, sizeof(resp), &rb);
    close(fd);
    json_t *j = status == 201 ? json_loads(rb, 0, NULL) : NULL;
    const char *key = json_string_value(json_object_get(j, "key"));
    if (!key) {
        fprintf(stderr, "POST /api/v1/write-keys: status %d, %s\n", status, rb ? rb : "no reply");
        json_decref(j);
        return -1;
    }
    char user[128];
    int un = snprintf(user, sizeof(user), "%s:", key);
    char b64[sodium_base64_ENCODED_LEN(sizeof(user), sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)user, (size_t)un,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(basic, sizeof(basic), "Basic %s", b64);
    printf("write key: %.6s… created through POST /api/v1/write-keys\n", key);
    json_decref(j);
    return 0;
}

/* Checks a /v1/batch reply body: "success" must be true; any array member (a list of
 * rejected messages) counts against the batch. Returns the messages acknowledged out of
 * sent, or -1 when the batch was not a success. */
static long batch_acked(const char *body, long sent)
{
    json_t *j = json_loads(body, 0, NULL);
    long acked = -1;
    if (json_is_true(json_object_get(j, "success"))) {
        acked = sent;
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
            if (json_is_array(v))
                acked -= (long)json_array_size(v);
    }
    json_decref(j);
    return acked;
}

/* ------------------------------------------------------------------ messages */

/* Wraps body in a POST /v1/batch request into req. */
static void batch_request(struct buf *req, const struct buf *body)
{
    buf_reset(req);
    PUT(req, "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", basic, body->len);
    if (buf_append(req, body->p, body->len))
        abort();
}

/* ------------------------------------------------------------------ load */

static void record(struct worker *w, double ms)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 1 << 16;
        w->lat = xrealloc(w->lat, w->cap * sizeof(double));
    }
    w->lat[w->n++] = ms;
}

static void fail(struct worker *w, int status, const char *body)
{
    w->errors++;
    if (!w->first_error[0])
        snprintf(w->first_error, sizeof(w->first_error), "status %d: %.120s", status,
                 body ? body : "(connection failed)");
}

/* One connection in closed loop until the deadline (warm-up: until its batches are sent). */
static void *run(void *arg)
{
    struct worker *w = arg;
    char *resp = xmalloc(RESP_MAX);
    struct buf body, req;
    buf_init(&body, HTTP_BODY_MAX_INGEST);
    buf_init(&req, HTTP_BODY_MAX_INGEST + 1024);
    unsigned seed = (unsigned)w->idx * 7919u + 17;
    int fd = bench_dial(port);
    static const char healthz[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    size_t nwarm = USERS / (BATCH / 2);
    struct load_template *tpl = NULL;
    if (w->phase == PHASE_LOAD) {
        tpl = xcalloc(TEMPLATES, sizeof(*tpl));
        for (int i = 0; i < TEMPLATES; i++)
            load_template(&tpl[i], w->idx, &seed, basic);
    }
    for (size_t seq = 0;; seq++) {
        size_t wb = (size_t)w->idx + seq * (size_t)conns; /* this worker's warm-up batch */
        if (w->phase == PHASE_WARMUP ? wb >= nwarm : bench_now() >= deadline)
            break;
        if (fd < 0 && (fd = bench_dial(port)) < 0) {
            fail(w, -1, NULL);
            break;
        }
        const char *r = healthz;
        size_t rlen = sizeof(healthz) - 1;
        if (w->phase == PHASE_WARMUP) {
            warmup_body(&body, (int)(wb * (BATCH / 2)), w->idx, seq);
            batch_request(&req, &body);
            r = req.p;
            rlen = req.len;
        } else if (w->phase == PHASE_LOAD) {
            struct load_template *t = &tpl[seq % TEMPLATES];
            load_patch(t, seq);
            r = t->req.p;
            rlen = t->req.len;
        }
        char *rb = NULL;
        double t0 = bench_now();
        int status = bench_http(fd, r, rlen, resp, RESP_MAX, &rb);
        double ms = (bench_now() - t0) * 1e3;
        if (status != 200) {
            fail(w, status, rb);
            close(fd);
            fd = -1;
            continue;
        }
        w->requests++;
        if (w->phase != PHASE_WARMUP)
            record(w, ms);
        if (w->phase != PHASE_FLOOR) {
            long acked = batch_acked(rb, BATCH);
            w->checked++;
            if (acked != BATCH) {
                w->unsuccessful++;
                if (!w->first_error[0])
                    snprintf(w->first_error, sizeof(w->first_error), "200: %.120s", rb);
            }
            if (acked > 0)
                w->events += (size_t)acked;
        }
    }
    w->finished = bench_now();
    if (fd >= 0)
        close(fd);
    for (int i = 0; tpl && i < TEMPLATES; i++)
        buf_free(&tpl[i].req);
    free(tpl);
    buf_free(&req);
    buf_free(&body);
    free(resp);
    return NULL;
}

struct result {
    size_t requests, errors, unsuccessful, events, checked, n;
    double elapsed, p50, p90, p99, max;
    char first_error[160];
};

/* Runs one phase on conns connections (closed loop for `seconds`, or until the warm-up's
 * batches are all sent) and sums the workers up. */
static struct result run_phase(enum phase phase)
{
    pthread_t th[MAX_CONNS];
    struct worker *w = xcalloc((size_t)conns, sizeof(*w));
    double start = bench_now();
    deadline = start + (double)seconds;
    for (long i = 0; i < conns; i++) {
        w[i].idx = (int)i;
        w[i].phase = phase;
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    struct result res = { 0 };
    double end = start;
    for (long i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        res.requests += w[i].requests;
        res.errors += w[i].errors;
        res.unsuccessful += w[i].unsuccessful;
        res.events += w[i].events;
        res.checked += w[i].checked;
        res.n += w[i].n;
        if (w[i].finished > end)
            end = w[i].finished;
        if (!res.first_error[0] && w[i].first_error[0])
            memcpy(res.first_error, w[i].first_error, sizeof(res.first_error));
    }
    res.elapsed = end - start;
    if (res.n) {
        double *all = xcalloc(res.n, sizeof(double));
        size_t k = 0;
        for (long i = 0; i < conns; i++) {
            memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
            k += w[i].n;
        }
        qsort(all, res.n, sizeof(double), bench_cmp_double);
        res.p50 = all[res.n / 2];
        res.p90 = all[(size_t)((double)res.n * 0.9)];
        res.p99 = all[(size_t)((double)res.n * 0.99)];
        res.max = all[res.n - 1];
        free(all);
    }
    for (long i = 0; i < conns; i++)
        free(w[i].lat);
    free(w);
    return res;
}

/* ------------------------------------------------------------------ server CPU by thread */

struct thread_cpu {
    int tid;
    char name[32];
    long long ticks;   /* utime + stime */
};

/* Reads the CPU time of each of pid's threads into t (at most MAX_THREADS); returns how many. */
static size_t threads_cpu(pid_t pid, struct thread_cpu *t)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < MAX_THREADS) {
        if (e->d_name[0] == '.')
            continue;
        char p[384], line[1024];
        snprintf(p, sizeof(p), "%s/%s/stat", dir, e->d_name);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        if (fgets(line, sizeof(line), f)) {
            char *lp = strchr(line, '('), *rp = strrchr(line, ')');
            unsigned long long ut = 0, stm = 0;
            /* after "(comm) ": state and 10 fields, then utime and stime */
            if (lp && rp && sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                                          "%*u %llu %llu", &ut, &stm) == 2) {
                t[n].tid = (int)strtol(e->d_name, NULL, 10);
                snprintf(t[n].name, sizeof(t[n].name), "%.*s", (int)(rp - lp - 1), lp + 1);
                t[n].ticks = (long long)(ut + stm);
                n++;
            }
        }
        fclose(f);
    }
    if (d)
        closedir(d);
    return n;
}

/* Prints the server threads' share of one CPU between the two snapshots; returns the total. */
static double print_threads_cpu(pid_t pid, const struct thread_cpu *a, size_t na,
                              const struct thread_cpu *b, size_t nb, double elapsed)
{
    double hz = (double)sysconf(_SC_CLK_TCK), total = 0;
    printf("  server CPU by thread (%% of one CPU; pid %d is the main thread):", (int)pid);
    for (size_t i = 0; i < nb; i++) {
        long long before = 0;
        for (size_t j = 0; j < na; j++)
            if (a[j].tid == b[i].tid)
                before = a[j].ticks;
        double pct = (double)(b[i].ticks - before) / hz / elapsed * 100.0;
        total += pct;
        if (pct >= 1.0)
            printf(" %s/%d %.0f%%", b[i].name, b[i].tid, pct);
    }
    printf("; total %.0f%%\n", total);
    return total;
}

/* CPU seconds all processes spent busy so far (from /proc/stat), to tell whether something
 * else ran on the machine during the measurement. */
static double machine_busy(void)
{
    unsigned long long v[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                     &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
        v[0] = 0;
    if (f)
        fclose(f);
    /* user nice system (idle iowait) irq softirq steal */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    if ((argc > 1 && parse_int_range(argv[1], 1, 3600, &seconds)) ||
        (argc > 2 && parse_int_range(argv[2], 1, MAX_CONNS, &conns)))
        return fprintf(stderr, "usage: ingest [seconds (1..3600)] [connections (1..%d)]\n",
                       MAX_CONNS), 2;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    crypto_setup();
    bench_machine();
    double t0 = bench_now();
    build_db();
    printf("built: admin + API token, %d accounts in %.2f s (%s)\n", ACCOUNTS, bench_now() - t0,
           db_path);

    port = 20000 + (int)(getpid() % 20000);
    pid_t pid = bench_serve(db_path, port, log_path);
    if (pid < 0)
        return fprintf(stderr, "server did not start (see %s)\n", log_path), 1;
    int bad = 0;
    if (create_write_key()) {
        bench_serve_stop(pid);
        return 1;
    }

    struct result fl = run_phase(PHASE_FLOOR);
    double floor_rps = (double)fl.requests / fl.elapsed;
    printf("floor: GET /healthz, %ld connections × %ld s, closed loop: %zu requests, %.0f/s, "
           "p50 %.3f ms, p99 %.3f ms, %zu errors\n", conns, seconds, fl.requests, floor_rps,
           fl.p50, fl.p99, fl.errors);
    bad |= fl.errors != 0;

    struct result wu = run_phase(PHASE_WARMUP);
    printf("warm-up: identify + group for %d accounts × %d users: %zu messages in %zu batches "
           "of %d, %.2f s, %.0f messages/s, %zu errors, %zu not success\n", ACCOUNTS,
           USERS_PER_ACCOUNT, wu.events, wu.requests, BATCH, wu.elapsed,
           (double)wu.events / wu.elapsed, wu.errors, wu.unsuccessful);
    bad |= wu.errors != 0 || wu.unsuccessful != 0;

    struct thread_cpu *ta = xcalloc(MAX_THREADS, sizeof(*ta));
    struct thread_cpu *tb = xcalloc(MAX_THREADS, sizeof(*tb));
    size_t na = threads_cpu(pid, ta);
    double c0 = self_cpu(), m0 = machine_busy();
    struct result ld = run_phase(PHASE_LOAD);
    double client_cpu = self_cpu() - c0, busy = machine_busy() - m0;
    size_t nb = threads_cpu(pid, tb);
    double eps = (double)ld.events / ld.elapsed, rps = (double)ld.requests / ld.elapsed;
    printf("load: POST /v1/batch, %ld connections × %ld s, closed loop, %d track/page events "
           "a request\n", conns, seconds, BATCH);
    printf("  durable events: %zu acknowledged, %.0f events/s\n", ld.events, eps);
    printf("  requests: %zu answered 200, %.1f/s; %zu errors; %zu of %zu replies checked not "
           "{\"success\":true}\n", ld.requests, rps, ld.errors, ld.unsuccessful, ld.checked);
    printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", ld.p50, ld.p90, ld.p99,
           ld.max);
    printf("  vs floor (%.0f requests/s): events/s %.1f%%, batch requests/s %.1f%%\n",
           floor_rps, eps / floor_rps * 100.0, rps / floor_rps * 100.0);
    printf("  target (DESIGN.md §6): >= 200,000 events/s: %s; >= 50%% of floor: %s by "
           "events/s, %s by requests/s\n", eps >= 200000 ? "met" : "NOT met",
           eps >= floor_rps * 0.5 ? "met" : "NOT met", rps >= floor_rps * 0.5 ? "met" : "NOT met");
    double server_cpu = print_threads_cpu(pid, ta, na, tb, nb, ld.elapsed);
    double other = busy / ld.elapsed * 100.0 - server_cpu - client_cpu / ld.elapsed * 100.0;
    printf("  load generator CPU: %.0f%% of one CPU; everything else on the machine: %.0f%%%s\n",
           client_cpu / ld.elapsed * 100.0, other > 0 ? other : 0,
           other > 20 ? " (busy: figures disturbed)" : "");
    bad |= ld.errors != 0 || ld.unsuccessful != 0;
    if (fl.first_error[0] || wu.first_error[0] || ld.first_error[0])
        printf("first error: %s\n", fl.first_error[0] ? fl.first_error :
               wu.first_error[0] ? wu.first_error : ld.first_error);
    free(ta);
    free(tb);

    long hwm = bench_proc_kb(pid, "VmHWM:"), rss = bench_proc_kb(pid, "VmRSS:");
    int rc = bench_serve_stop(pid);
    print_writer_summary();
    printf("server memory: peak resident (VmHWM) %.1f MB, resident at the end %.1f MB; "
           "exit status %d after SIGTERM\n", (double)hwm / 1024.0, (double)rss / 1024.0, rc);

    if (store_init(db_path))
        return 1;
    struct store *st = store_get();
    long long stored = count_events(st, "type IN ('track', 'page')");
    long long ident = count_events(st, "type IN ('identify', 'group')");
    /* Every user of the load was grouped first, so every event counts for an account: the
     * rollups, the active-user rows and the accounts' streams (written behind the replies,
     * from the writer's fold, the rest at SIGTERM) must hold each event exactly once. */
    long long rolled = scalar(st, "SELECT sum(count) FROM usage_daily");
    long long active = scalar(st, "SELECT sum(events) FROM active_users_daily");
    long long streamed = scalar(st, "SELECT sum(json_array_length(entries)) FROM event_runs");
    long long folded = scalar(st, "SELECT folded_through FROM ingest_state");
    long long last = scalar(st, "SELECT max(id) FROM events");
    store_shutdown();
    bool same = stored == (long long)ld.events;
    printf("verify: %lld track/page events in the database, %zu acknowledged: %s; "
           "%lld identify/group (%zu acknowledged)\n", stored, ld.events,
           same ? "equal" : "DIFFERENT", ident, wu.events);
    bool rolled_ok = rolled == stored && active == stored && streamed == stored + ident &&
                     folded == last;
    printf("verify: rollups %lld events, active-user rows %lld events, %lld event-run entries, "
           "folded through %lld of %lld: %s\n", rolled, active, streamed, folded, last,
           rolled_ok ? "all agree" : "DIFFERENT");
    bad |= !same || !rolled_ok;
    if (bad) {
        printf("FAILED (server log: %s, database kept: %s)\n", log_path, db_path);
        return 1;
    }
    if (!getenv("KEEP_DB"))
        bench_remove_db(db_path);
    return 0;
}
