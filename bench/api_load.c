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
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/crypto.h"
#include "util/util.h"

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
    struct user u = { .role = ROLE_ADMIN };
    u.email = xstrdup("bench@example.com");
    u.name = xstrdup("bench");
    store_user_create(st, &u);
    char *secret = token_new("kz_");
    char hash[65];
    token_hash(secret, hash);
    struct api_token t = { .user_id = u.id, .name = xstrdup("bench"), .prefix = xstrdup("kz_") };
    store_token_create(st, &t, hash);
    snprintf(token, sizeof(token), "%s", secret);
    free(secret);
    api_token_cleanup(&t);
    user_cleanup(&u);
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

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends one GET and reads the whole response; returns the status or -1. */
static int get(int fd, const char *path, char *buf, size_t cap)
{
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\n\r\n", path, token);
    if (write(fd, req, (size_t)n) != n)
        return -1;
    size_t len = 0;
    char *body = NULL;
    long clen = -1;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        if (!body && (body = strstr(buf, "\r\n\r\n"))) {
            body += 4;
            char *cl = strcasestr(buf, "Content-Length:");
            clen = cl ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (body && (size_t)(body - buf) + (size_t)clen <= len)
            return (int)strtol(buf + 9, NULL, 10);
        if (len >= cap - 1)
            return -1;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double start_at;

static void *run(void *arg)
{
    struct worker *w = arg;
    size_t total = (size_t)(rate * seconds / CONNS);
    w->lat = xcalloc(total, sizeof(double));
    char *buf = xmalloc(1 << 20);
    int fd = dial();
    unsigned seed = (unsigned)w->idx * 7919u + 1;
    double interval = (double)CONNS / (double)rate;
    for (size_t k = 0; k < total && fd >= 0; k++) {
        double due = start_at + (double)k * interval + (double)w->idx * interval / CONNS;
        double t = now_s();
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
        w->lat[w->n++] = (now_s() - due) * 1e3;
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long rss_kb(pid_t pid)
{
    char p[64], line[256];
    snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "r");
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static void machine(void)
{
    char line[256], model[200] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "model name", 10) == 0) {
            snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    printf("machine: %ld cpus, %s, %.1f GiB\n", sysconf(_SC_NPROCESSORS_ONLN), model,
           (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / (1 << 30));
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
    machine();
    const char *db = "/tmp/kizuna-bench-api.db";
    double t0 = now_s();
    build_db(db);
    printf("built %ld accounts with subscriptions in %.1f s\n", naccounts, now_s() - t0);

    port = 20000 + (int)(getpid() % 20000);
    char listen_at[32];
    snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execl("build/kizuna", "kizuna", "serve", "--db", db, "--listen", listen_at, (char *)NULL);
        _exit(127);
    }
    int fd = -1;
    for (int i = 0; i < 200 && (fd = dial()) < 0; i++)
        usleep(20000);
    if (fd < 0)
        return fprintf(stderr, "server did not start\n"), 1;
    close(fd);

    pthread_t th[CONNS];
    struct worker w[CONNS] = { 0 };
    start_at = now_s() + 0.05;
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
    double elapsed = now_s() - start_at;
    double *all = xcalloc(n, sizeof(double));
    size_t k = 0;
    for (int i = 0; i < CONNS; i++) {
        memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
        k += w[i].n;
        free(w[i].lat);
    }
    qsort(all, n, sizeof(double), cmp);
    long rss = rss_kb(pid);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    printf("load: %zu requests (account list pages + account pages) at %ld/s target, "
           "%.0f/s achieved, %zu errors\n", n, rate, (double)n / elapsed, errors);
    printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", all[n / 2],
           all[(size_t)(n * 0.9)], all[(size_t)(n * 0.99)], all[n - 1]);
    printf("server resident memory: %.1f MB\n", (double)rss / 1024.0);
    free(all);
    unlink(db);
    return errors ? 1 : 0;
}
