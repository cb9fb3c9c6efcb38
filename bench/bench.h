/*
 * Helpers shared by the benchmarks in bench/ (header only: the Makefile builds each .c file
 * in bench/ into its own binary). A benchmark builds its database through the store, starts
 * the real `build/kizuna serve` on it as a child, talks HTTP/1.1 to it over raw keep-alive
 * sockets, and prints the machine it ran on and the server's memory.
 * The functions are static inline so that a benchmark that uses only some of them builds
 * under -Werror.
 */
#ifndef KZ_BENCH_H
#define KZ_BENCH_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* Removes a benchmark's database file and its WAL and shared-memory files. */
static inline void bench_remove_db(const char *path)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

/* Seconds on the monotonic clock. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort comparator for doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Prints "machine: N cpus, model, RAM". */
static inline void bench_machine(void)
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

/* A kB figure from /proc/<pid>/status: field is "VmRSS:" (resident now) or "VmHWM:"
 * (peak resident). Returns -1 when it can't be read. */
static inline long bench_proc_kb(pid_t pid, const char *field)
{
    char p[64], line[256];
    size_t flen = strlen(field);
    snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "r");
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, flen) == 0)
            kb = strtol(line + flen, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* Creates an admin user and an API token for it in the open store; the secret goes to
 * token (cap bytes). */
static inline void bench_admin_token(struct store *st, char *token, size_t cap)
{
    struct user u = { .role = ROLE_ADMIN };
    u.email = xstrdup("bench@example.com");
    u.name = xstrdup("bench");
    store_user_create(st, &u);
    char *secret = token_new("kz_");
    char hash[65];
    token_hash(secret, hash);
    struct api_token t = { .user_id = u.id, .name = xstrdup("bench"), .prefix = xstrdup("kz_") };
    store_token_create(st, &t, hash);
    snprintf(token, cap, "%s", secret);
    free(secret);
    api_token_cleanup(&t);
    user_cleanup(&u);
}

/* A TCP connection to 127.0.0.1:port with Nagle off, or -1. */
static inline int bench_dial(int port)
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

/* Sends the len bytes of req (a whole HTTP/1.1 request) on fd and reads the whole response
 * into buf (cap bytes, NUL-terminated). Returns the status or -1; when body is not NULL it
 * is set to the start of the response body inside buf. */
static inline int bench_http(int fd, const char *req, size_t len, char *buf, size_t cap,
                             char **body)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, req + off, len - off);
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    size_t got = 0;
    char *b = NULL;
    long clen = -1;
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - got - 1);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = '\0';
        if (!b && (b = strstr(buf, "\r\n\r\n"))) {
            b += 4;
            char *cl = strcasestr(buf, "Content-Length:");
            clen = cl && cl < b ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (b && (size_t)(b - buf) + (size_t)clen <= got) {
            if (body)
                *body = b;
            return (int)strtol(buf + 9, NULL, 10);
        }
        if (got >= cap - 1)
            return -1;
    }
}

/* Starts `build/kizuna serve` on db at 127.0.0.1:port with its stderr to log (NULL: discarded)
 * and waits until it accepts connections. Returns the child's pid, or -1 when it did not
 * start within 4 s. */
static inline pid_t bench_serve(const char *db, int port, const char *log)
{
    char listen_at[32];
    snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log ? log : "/dev/null", "w", stderr))
            _exit(127);
        execl("build/kizuna", "kizuna", "serve", "--db", db, "--listen", listen_at, (char *)NULL);
        _exit(127);
    }
    int fd = -1;
    for (int i = 0; i < 200 && (fd = bench_dial(port)) < 0; i++)
        usleep(20000);
    if (fd < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    close(fd);
    return pid;
}

/* Stops the server with SIGTERM and waits for it; returns its exit status (or -1). */
static inline int bench_serve_stop(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
