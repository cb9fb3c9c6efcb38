/*
 * The outbound worker (outbound.h): the thread, the retry schedule, and two minimal clients
 * over a TCP socket, so that no new dependency is needed: an HTTP/1.1 POST (Connection:
 * close, http:// only) and an SMTP submission without authentication or TLS (a relay on the
 * local network, or a test sink). Both connect with a timeout, read with a timeout, and stop
 * reading at OUTBOUND_RESPONSE_MAX bytes.
 */
#include "playbooks/outbound.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "store/playbooks.h"
#include "util/util.h"

/* ------------------------------------------------------------ sockets */

/* A connected socket to host:port, or -1 with err set. */
static int tcp_connect(const char *host, const char *port, char *err, size_t n)
{
    struct addrinfo hints = {0}, *res = NULL, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g) {
        snprintf(err, n, "cannot resolve %s: %s", host, gai_strerror(g));
        return -1;
    }
    int fd = -1;
    snprintf(err, n, "cannot connect to %s:%s", host, port);
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int fl = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        int c = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (c < 0 && errno == EINPROGRESS) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            int soerr = 0;
            socklen_t len = sizeof(soerr);
            if (poll(&pfd, 1, OUTBOUND_TIMEOUT_S * 1000) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
                c = 0;
            else if (soerr)
                snprintf(err, n, "cannot connect to %s:%s: %s", host, port, strerror(soerr));
            else
                snprintf(err, n, "connecting to %s:%s timed out", host, port);
        }
        if (c == 0) {
            fcntl(fd, F_SETFL, fl);
            struct timeval tv = {.tv_sec = OUTBOUND_TIMEOUT_S};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* ------------------------------------------------------------ HTTP */

int outbound_http_post(const char *url, const char *body, char *err, size_t n)
{
    char host[256], port[8] = "80";
    const char *path;
    int ret = -1, fd = -1;
    struct buf req, resp;
    buf_init(&req, 0);
    buf_init(&resp, OUTBOUND_RESPONSE_MAX);
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(err, n, "only http:// URLs are supported");
        goto out;
    }
    const char *h = url + 7;
    path = strchr(h, '/');
    size_t hl = path ? (size_t)(path - h) : strlen(h);
    if (!path)
        path = "/";
    const char *hend = h + hl, *colon = NULL;
    if (*h == '[') { /* [v6]:port */
        const char *rb = memchr(h, ']', hl);
        if (!rb) {
            snprintf(err, n, "bad URL host");
            goto out;
        }
        snprintf(host, sizeof(host), "%.*s", (int)(rb - h - 1), h + 1);
        colon = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(h, ':', hl);
        size_t l = colon ? (size_t)(colon - h) : hl;
        if (l == 0 || l >= sizeof(host)) {
            snprintf(err, n, "bad URL host");
            goto out;
        }
        snprintf(host, sizeof(host), "%.*s", (int)l, h);
    }
    if (colon) {
        long p;
        char tmp[8];
        size_t pl = (size_t)(hend - colon - 1);
        snprintf(tmp, sizeof(tmp), "%.*s", (int)(pl < 7 ? pl : 7), colon + 1);
        if (pl == 0 || pl > 5 || parse_int_range(tmp, 1, 65535, &p)) {
            snprintf(err, n, "bad URL port");
            goto out;
        }
        snprintf(port, sizeof(port), "%ld", p);
    }
    if ((fd = tcp_connect(host, port, err, n)) < 0)
        goto out;
    buf_printf(&req,
               "POST %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: kizuna/" KZ_VERSION
               "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
               "Connection: close\r\n\r\n",
               path, (int)hl, h, strlen(body));
    buf_append(&req, body, strlen(body));
    if (send_all(fd, req.p, req.len)) {
        snprintf(err, n, "sending the request failed: %s", strerror(errno));
        goto out;
    }
    char chunk[4096];
    for (;;) {
        ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, n, "reading the response failed: %s",
                     errno == EAGAIN ? "timed out" : strerror(errno));
            goto out;
        }
        if (r == 0 || buf_append(&resp, chunk, (size_t)r))
            break; /* closed, or the cap: the status line is all we need */
        if (resp.len >= 12 && memchr(resp.p, '\n', resp.len))
            break;
    }
    int status = 0;
    if (resp.len < 12 || sscanf(resp.p, "HTTP/1.%*1[01] %3d", &status) != 1) {
        snprintf(err, n, "no HTTP response");
        goto out;
    }
    if (status < 200 || status > 299) {
        snprintf(err, n, "HTTP %d", status);
        goto out;
    }
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    buf_free(&req);
    buf_free(&resp);
    return ret;
}

/* ------------------------------------------------------------ SMTP */

/* Reads one SMTP reply (possibly multi-line); returns its code, or -1. */
static int smtp_reply(int fd, struct buf *in)
{
    for (;;) {
        /* A complete reply: its last line is "NNN " + text + CRLF. */
        char *p = in->p;
        while (p && *p) {
            char *eol = strstr(p, "\n");
            if (!eol)
                break;
            if (eol - p >= 3 && (eol - p == 3 || p[3] == ' ' || p[3] == '\r')) {
                int code = -1;
                if (p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                    p[2] <= '9')
                    code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                buf_reset(in);
                return code;
            }
            p = eol + 1;
        }
        char chunk[1024];
        ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || buf_append(in, chunk, (size_t)r))
            return -1;
    }
}

static int smtp_cmd(int fd, struct buf *in, int want, char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int smtp_cmd(int fd, struct buf *in, int want, char *err, size_t n, const char *fmt, ...)
{
    char line[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (send_all(fd, line, strlen(line))) {
        snprintf(err, n, "SMTP send failed");
        return -1;
    }
    int code = smtp_reply(fd, in);
    if (code != want) {
        snprintf(err, n, "SMTP %.4s answered %d", line, code);
        return -1;
    }
    return 0;
}

static char *b64(const char *s)
{
    size_t len = strlen(s);
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *o = xmalloc(cap);
    sodium_bin2base64(o, cap, (const unsigned char *)s, len, sodium_base64_VARIANT_ORIGINAL);
    return o;
}

int outbound_smtp_send(const char *host, int port, const char *from, const char *const *to,
                       size_t nto, const char *subject, const char *body, char *err, size_t n)
{
    char ports[8];
    int ret = -1;
    struct buf in, msg;
    buf_init(&in, OUTBOUND_RESPONSE_MAX);
    buf_init(&msg, 0);
    snprintf(ports, sizeof(ports), "%d", port);
    int fd = tcp_connect(host, ports, err, n);
    if (fd < 0)
        goto out;
    if (smtp_reply(fd, &in) != 220) {
        snprintf(err, n, "SMTP server did not greet");
        goto out;
    }
    if (smtp_cmd(fd, &in, 250, err, n, "EHLO kizuna\r\n") ||
        smtp_cmd(fd, &in, 250, err, n, "MAIL FROM:<%s>\r\n", from))
        goto out;
    for (size_t i = 0; i < nto; i++)
        if (smtp_cmd(fd, &in, 250, err, n, "RCPT TO:<%s>\r\n", to[i]))
            goto out;
    if (smtp_cmd(fd, &in, 354, err, n, "DATA\r\n"))
        goto out;
    char date[64], *subj = b64(subject);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    buf_printf(&msg, "From: %s\r\nTo: ", from);
    for (size_t i = 0; i < nto; i++)
        buf_printf(&msg, "%s%s", i ? ", " : "", to[i]);
    buf_printf(&msg,
               "\r\nSubject: =?UTF-8?B?%s?=\r\nDate: %s\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n"
               "X-Mailer: kizuna\r\n\r\n",
               subj, date);
    free(subj);
    /* CRLF line ends; a line starting with '.' gets another one (RFC 5321 4.5.2). */
    bool bol = true;
    for (const char *p = body; *p; p++) {
        if (bol && *p == '.')
            buf_append(&msg, ".", 1);
        if (*p == '\r')
            continue;
        if (*p == '\n') {
            buf_append(&msg, "\r\n", 2);
            bol = true;
            continue;
        }
        buf_append(&msg, p, 1);
        bol = false;
    }
    buf_append(&msg, "\r\n.\r\n", 5);
    if (send_all(fd, msg.p, msg.len)) {
        snprintf(err, n, "SMTP send failed");
        goto out;
    }
    int code = smtp_reply(fd, &in);
    if (code != 250) {
        snprintf(err, n, "SMTP refused the message (%d)", code);
        goto out;
    }
    smtp_cmd(fd, &in, 221, err, n, "QUIT\r\n");
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    buf_free(&in);
    buf_free(&msg);
    return ret;
}

/* ------------------------------------------------------------ the worker */

int64_t outbound_backoff(int64_t attempts)
{
    int64_t d = OUTBOUND_BACKOFF_S;
    for (int64_t i = 1; i < attempts && d < 3600; i++)
        d *= 2;
    return d < 3600 ? d : 3600;
}

/* 0 delivered, -1 failed (err says why), 1 the channel is not configured (err says so). */
static int deliver(struct store *st, const struct outbound_msg *m, char *err, size_t n)
{
    json_t *p = json_loads(m->payload, 0, NULL);
    int ret = -1;
    if (!p) {
        snprintf(err, n, "payload is not JSON");
        return -1;
    }
    if (strcmp(m->kind, "webhook") == 0) {
        json_t *url = json_object_get(p, "url");
        char *body = json_dumps(json_object_get(p, "body"), JSON_COMPACT);
        if (json_is_string(url) && body)
            ret = outbound_http_post(json_string_value(url), body, err, n);
        else
            snprintf(err, n, "webhook payload lacks url or body");
        free(body);
    } else {
        char *cfg = NULL;
        json_t *c = NULL;
        if (store_setting_get(st, "email", &cfg) == KZ_OK)
            c = json_loads(cfg, 0, NULL);
        free(cfg);
        json_t *to = json_object_get(p, "to");
        const char *host = json_string_value(json_object_get(c, "host"));
        const char *from = json_string_value(json_object_get(c, "from"));
        int port = (int)json_integer_value(json_object_get(c, "port"));
        if (!host || !from || port <= 0) {
            snprintf(err, n, "email settings are missing (PUT /api/v1/settings/email)");
            ret = 1; /* not an attempt: wait for the settings */
        } else if (json_is_array(to) && json_array_size(to) > 0 && json_array_size(to) <= 50) {
            const char *rcpt[50];
            size_t k = 0, i;
            json_t *x;
            json_array_foreach(to, i, x) {
                if (json_is_string(x))
                    rcpt[k++] = json_string_value(x);
            }
            const char *subject = json_string_value(json_object_get(p, "subject"));
            const char *body = json_string_value(json_object_get(p, "body"));
            ret = outbound_smtp_send(host, port, from, rcpt, k, subject ? subject : "",
                                     body ? body : "", err, n);
        } else {
            snprintf(err, n, "email payload has no recipients");
        }
        json_decref(c);
    }
    json_decref(p);
    return ret;
}

static pthread_mutex_t ob_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ob_wake = PTHREAD_COND_INITIALIZER;
static bool ob_stop, ob_running, ob_kick;
static pthread_t ob_thread;

/* Attempts every due message once. */
static void drain(struct store *st)
{
    char now[21];
    struct outbound_msg *v = NULL;
    size_t n = 0;
    time_format(now_unix(), now);
    if (store_outbound_due(st, now, 20, &v, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        char err[300] = "", next[21];
        int d = deliver(st, &v[i], err, sizeof(err));
        int ok = d == 0, rc;
        int64_t attempts = v[i].attempts + 1;
        if (d == 1) { /* not configured: look again in a minute, no attempt counted */
            time_format(now_unix() + OUTBOUND_UNCONFIGURED_S, next);
            if ((rc = store_outbound_defer(st, v[i].id, err, next)))
                log_warn("outbound %lld: deferring failed (%d)", (long long)v[i].id, rc);
            continue;
        }
        time_format(now_unix() + outbound_backoff(attempts), next);
        rc = store_outbound_attempt(st, v[i].id, ok ? NULL : err,
                                    ok || attempts >= OUTBOUND_MAX_ATTEMPTS ? NULL : next);
        if (!ok)
            log_warn("outbound %lld (%s) attempt %lld failed: %s", (long long)v[i].id,
                     v[i].kind, (long long)attempts, err);
        if (rc)
            log_warn("outbound %lld: recording the attempt failed (%d)", (long long)v[i].id, rc);
    }
    outbound_msgs_free(v, n);
}

static void *ob_main(void *arg)
{
    (void)arg;
    struct store *st = store_get();
    pthread_mutex_lock(&ob_lock);
    while (!ob_stop) {
        pthread_mutex_unlock(&ob_lock);
        drain(st);
        pthread_mutex_lock(&ob_lock);
        if (!ob_stop && !ob_kick) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&ob_wake, &ob_lock, &until);
        }
        ob_kick = false;
    }
    pthread_mutex_unlock(&ob_lock);
    return NULL;
}

void outbound_wake(void)
{
    pthread_mutex_lock(&ob_lock);
    ob_kick = true;
    pthread_cond_signal(&ob_wake);
    pthread_mutex_unlock(&ob_lock);
}

int outbound_start(void)
{
    ob_stop = false;
    if (pthread_create(&ob_thread, NULL, ob_main, NULL))
        return -1;
    ob_running = true;
    return 0;
}

void outbound_stop(void)
{
    if (!ob_running)
        return;
    pthread_mutex_lock(&ob_lock);
    ob_stop = true;
    pthread_cond_signal(&ob_wake);
    pthread_mutex_unlock(&ob_lock);
    pthread_join(ob_thread, NULL);
    ob_running = false;
}
