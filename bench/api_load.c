/*
 * API latency benchmark (DESIGN.md §6): builds a database of 100,000 accounts with
 * subscriptions, starts `build/kizuna serve` on it, and drives an open-loop load at a fixed
 * rate (default 1,000 requests/s for 10 s) over keep-alive connections, half account-list
 * pages and half account pages. Latency is measured from each request's scheduled send time
 * (no coordinated omission). Prints p50/p99/max, the achieved rate, the server's resident
 * memory and the machine.
 *
 * usage: build/bench/api_load [accounts] [rate] [seconds]
 */
#include <pthread.h>

#include "bench.h"

#define CONNS 8

static int port;
static char token[128];
static long naccounts = 100000, rate = 1000, seconds = 10;

struct worker {
    int idx;
    double *lat;
    size_t n, errors;
};

static void build_db(const char *path)
{
    unlink(path);
    if (store_init(path))
        exit(1);
    struct store *st = store_get();
    bench_admin_token(st, token, sizeof(token));
    store_begin(st);
    for (long i = 0; i < naccounts; i++) {
        struct account a;
        account_init(&a);
        a.name = xasprintf("Account %06ld 株式会社", (i * 7919) % naccounts);
        a.domain = xasprintf("a%ld.example.com", i);
        a.external_id = xasprintf("ext-%ld", i);
        a.industry = xstrdup(i % 3 ? "SaaS" : "製造業");
        store_account_create(st, &a);
        struct subscription s = { .account_id = a.id, .mrr = 10000 + (i % 500) * 1000,
                                  .seats = 10, .auto_renew = true };
        s.plan = xstrdup("pro");
        memcpy(s.currency, "JPY", 4);
        memcpy(s.status, "active", 7);
        memcpy(s.start_date, "2025-01-01", 11);
        memcpy(s.effective_date, "2025-01-01", 11);
        s.renewal_date = xasprintf("2026-%02ld-15", 1 + i % 12);
        store_subscription_put(st, &s);
        subscription_cleanup(&s);
        account_cleanup(&a);
    }
    store_commit(st);
    store_shutdown();
}

/* Sends one GET and reads the whole response; returns the status or -1. */
static int get(int fd, const char *path, char *buf, size_t cap)
{
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\n\r\n", path, token);
    return bench_http(fd, req, (size_t)n, buf, cap, NULL);
}

static double start_at;

static void *run(void *arg)
{
    struct worker *w = arg;
    size_t total = (size_t)(rate * seconds / CONNS);
    w->lat = xcalloc(total, sizeof(double));
    char *buf = xmalloc(1 << 20);
    int fd = bench_dial(port);
    unsigned seed = (unsigned)w->idx * 7919u + 1;
    double interval = (double)CONNS / (double)rate;
    for (size_t k = 0; k < total && fd >= 0; k++) {
        double due = start_at + (double)k * interval + (double)w->idx * interval / CONNS;
        double t = bench_now();
        if (t < due)
            usleep((useconds_t)((due - t) * 1e6));
        char path[128];
        if (k % 2)
            snprintf(path, sizeof(path), "/api/v1/accounts/%ld", 1 + (long)(rand_r(&seed) % naccounts));
        else
            snprintf(path, sizeof(path), "/api/v1/accounts?limit=50&sort=%s",
                     (k / 2) % 2 ? "-arr" : "name");
        int status = get(fd, path, buf, 1 << 20);
        if (status != 200)
            w->errors++;
        w->lat[w->n++] = (bench_now() - due) * 1e3;
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        naccounts = strtol(argv[1], NULL, 10);
    if (argc > 2)
        rate = strtol(argv[2], NULL, 10);
    if (argc > 3)
        seconds = strtol(argv[3], NULL, 10);
    if (naccounts < 1 || rate < CONNS || seconds < 1)
        return fprintf(stderr, "usage: api_load [accounts] [rate] [seconds]\n"), 2;
    crypto_setup();
    bench_machine();
    const char *db = "/tmp/kizuna-bench-api.db";
    double t0 = bench_now();
    build_db(db);
    printf("built %ld accounts with subscriptions in %.1f s\n", naccounts, bench_now() - t0);

    port = 20000 + (int)(getpid() % 20000);
    pid_t pid = bench_serve(db, port, NULL);
    if (pid < 0)
        return fprintf(stderr, "server did not start\n"), 1;

    pthread_t th[CONNS];
    struct worker w[CONNS] = { 0 };
    start_at = bench_now() + 0.05;
    for (int i = 0; i < CONNS; i++) {
        w[i].idx = i;
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    size_t n = 0, errors = 0;
    for (int i = 0; i < CONNS; i++) {
        pthread_join(th[i], NULL);
        n += w[i].n;
        errors += w[i].errors;
    }
    double elapsed = bench_now() - start_at;
    double *all = xcalloc(n, sizeof(double));
    size_t k = 0;
    for (int i = 0; i < CONNS; i++) {
        memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
        k += w[i].n;
        free(w[i].lat);
    }
    qsort(all, n, sizeof(double), bench_cmp_double);
    long rss = bench_proc_kb(pid, "VmRSS:");
    bench_serve_stop(pid);
    printf("load: %zu requests (account list pages + account pages) at %ld/s target, "
           "%.0f/s achieved, %zu errors\n", n, rate, (double)n / elapsed, errors);
    printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", all[n / 2],
           all[(size_t)(n * 0.9)], all[(size_t)(n * 0.99)], all[n - 1]);
    printf("server resident memory: %.1f MB\n", (double)rss / 1024.0);
    free(all);
    unlink(db);
    return errors ? 1 : 0;
}
