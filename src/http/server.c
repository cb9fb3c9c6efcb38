/*
 * libmicrohttpd glue for `kizuna serve`: a thread pool on epoll; each request is matched
 * against the route table on its first callback (so 404/405/401/403/413 are answered
 * before any body is read), its body is read into a capped buffer, then the handler runs
 * and its reply is queued. The completion callback logs one line, records metrics and
 * frees the request. SIGINT/SIGTERM stop accepting, wait for in-flight requests, and close.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/auth.h"
#include "http/http.h"
#include "http/metrics.h"
#include "http/static.h"
#include "store/store.h"

static atomic_int inflight;
static atomic_bool stopping; /* set at SIGTERM: new requests are refused, none suspends */

/* How much of a too-large chunked body is drained (to answer 413) before hanging up, and
 * how far past its limit an announced body is still drained rather than cut off. */
#define DRAIN_MAX (16u << 20)
#define DRAIN_SLACK (1u << 20)

/* ------------------------------------------------------------ routing */

/* Matches path against pattern, filling params; true on match. */
static bool path_match(const char *pattern, const char *path, struct req *r)
{
    size_t np = 0;
    const char *p = pattern, *u = path;
    char *params[HTTP_MAX_PARAMS];
    while (*p && *u) {
        if (*p != '/' || *u != '/')
            goto fail;
        p++, u++;
        const char *pe = strchrnul(p, '/'), *ue = strchrnul(u, '/');
        if (*p == ':') {
            if (ue == u || np == HTTP_MAX_PARAMS)
                goto fail;
            params[np++] = xstrndup(u, (size_t)(ue - u));
        } else if (pe - p != ue - u || memcmp(p, u, (size_t)(pe - p)) != 0) {
            goto fail;
        }
        p = pe, u = ue;
    }
    if (*p || *u)
        goto fail;
    for (size_t i = 0; i < np; i++)
        r->params[i] = params[i];
    r->nparams = np;
    return true;
fail:
    for (size_t i = 0; i < np; i++)
        free(params[i]);
    return false;
}

/* Finds the route for method + path. Returns its index, or routes_count with *allow set
 * to the methods that path does accept ("" when no route has that path). */
static size_t route_find(struct req *r, const char *method, const char *path, char *allow,
                         size_t allow_len)
{
    allow[0] = '\0';
    for (size_t i = 0; i < routes_count; i++) {
        struct req probe = { 0 };
        if (!path_match(routes[i].path, path, &probe))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            memcpy(r->params, probe.params, sizeof(probe.params));
            r->nparams = probe.nparams;
            return i;
        }
        for (size_t k = 0; k < probe.nparams; k++)
            free(probe.params[k]);
        size_t len = strlen(allow);
        snprintf(allow + len, allow_len - len, "%s%s", len ? ", " : "", routes[i].method);
    }
    return routes_count;
}

/* ------------------------------------------------------------ request lifetime */

static void req_free(struct req *r)
{
    for (size_t i = 0; i < r->nparams; i++)
        free(r->params[i]);
    buf_free(&r->body);
    json_decref(r->json);
    principal_cleanup(&r->user);
    if (r->resp)
        MHD_destroy_response(r->resp);
    free(r->session_cookie);
    if (r->ctx_free)
        r->ctx_free(r->ctx);
    free(r);
}

static void client_ip(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, n, "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

static enum MHD_Result send_reply(struct req *r)
{
    if (!r->resp)
        reply_problem(r, 500, "the handler produced no reply");
    if (r->session_cookie)
        MHD_add_response_header(r->resp, MHD_HTTP_HEADER_SET_COOKIE, r->session_cookie);
    return MHD_queue_response(r->conn, r->status, r->resp);
}

static bool is_mutating(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* True when the media type of ctype (before any ';') is want. */
static bool media_type_is(const char *ctype, const char *want)
{
    if (!ctype)
        return false;
    size_t n = strlen(want);
    return strncasecmp(ctype, want, n) == 0 && (ctype[n] == '\0' || ctype[n] == ';' ||
                                                ctype[n] == ' ');
}

/* Origin must name this server: "http://" or "https://" followed by the Host header. */
static bool origin_matches(struct req *r)
{
    const char *origin = req_header(r, "Origin");
    const char *host = req_header(r, MHD_HTTP_HEADER_HOST);
    if (!origin || !host)
        return false;
    const char *rest = NULL;
    if (strncmp(origin, "http://", 7) == 0)
        rest = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0)
        rest = origin + 8;
    return rest && strcasecmp(rest, host) == 0;
}

/* The checks made before a body is read. Returns true when a reply is already set. */
static bool precheck(struct req *r, const char *path)
{
    char allow[64];
    r->route_index = route_find(r, r->method, path, allow, sizeof(allow));
    if (r->route_index == routes_count) {
        if (!allow[0] && static_wants(r->method, path)) {
            static_serve(r, path); /* the web app: its files, or index.html for its routes */
            return true;
        }
        if (allow[0]) {
            reply_problem(r, 405, "%s is not allowed here; allowed: %s", r->method, allow);
            reply_add_header(r, "Allow", allow);
        } else {
            reply_problem(r, 404, "no such resource: %s", path);
        }
        return true;
    }
    r->route = &routes[r->route_index];

    size_t max = (r->route->flags & ROUTE_BIG_BODY)    ? HTTP_BODY_MAX_BIG
                 : (r->route->flags & ROUTE_WRITE_KEY) ? HTTP_BODY_MAX_INGEST
                                                       : HTTP_BODY_MAX;
    buf_init(&r->body, max);
    const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t len = 0;
    if (cl && (parse_i64(cl, &len) || len < 0)) {
        reply_problem(r, 400, "bad Content-Length");
        return true;
    }
    if (len > (int64_t)(max + DRAIN_SLACK)) { /* refused before reading: the connection closes */
        reply_problem(r, 413, "the body is larger than %zu bytes", max);
        return true;
    }
    /* A little over the limit is read and thrown away, then refused: a client still
     * writing its body would otherwise get a broken pipe instead of the 413. */
    r->body_too_big = len > (int64_t)max;

    /* Tracking requests carry a write key, checked by the handler, and JSON under any
     * content type (Segment and RudderStack clients differ). */
    if (r->route->flags & ROUTE_WRITE_KEY)
        return false;
    if (!(r->route->flags & ROUTE_PUBLIC)) {
        if (auth_resolve(r) != KZ_OK || r->user.user_id == 0) {
            reply_problem(r, 401, "authentication required: log in or send a bearer token");
            reply_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"kizuna\"");
            return true;
        }
        if (r->user.role < r->route->role) {
            reply_problem(r, 403, "the %s role may not do this", role_name(r->user.role));
            return true;
        }
    }

    if (is_mutating(r->method)) {
        const char *ctype = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *want = (r->route->flags & ROUTE_CSV_BODY) ? "text/csv" : "application/json";
        bool has_body = len > 0 || req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        /* A browser sends a cross-site form (text/plain, form encoding) without a
         * preflight, with the cookie: a cookie-authenticated change needs both. */
        if (r->user.via_cookie && (!origin_matches(r) || !media_type_is(ctype, want))) {
            reply_problem(r, 403, "cross-site request refused: a change made with the session "
                                  "cookie needs Origin matching the host and Content-Type %s",
                          want);
            return true;
        }
        if (has_body && !media_type_is(ctype, want)) {
            reply_problem(r, 415, "Content-Type must be %s", want);
            return true;
        }
    }
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof(*r));
        *con_cls = r;
        atomic_fetch_add(&inflight, 1);
        r->conn = conn;
        r->method = method;
        r->url = url;
        r->started_ms = now_ms();
        client_ip(conn, r->client_ip, sizeof(r->client_ip));
        if (atomic_load(&stopping)) { /* a keep-alive client's next request */
            reply_problem(r, 503, "the server is shutting down; retry");
            reply_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
            reply_add_header(r, "Retry-After", "1");
            return send_reply(r);
        }
        if (precheck(r, url))
            return send_reply(r);
        return MHD_YES;
    }
    if (r->resp && !r->resume) { /* answered on the first call: the body is not wanted */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Past the cap (a chunked body has no Content-Length to refuse up front), the rest
         * is discarded as it arrives: libmicrohttpd cannot queue a reply mid-upload. */
        if (!r->body_too_big && buf_append(&r->body, upload_data, *upload_size)) {
            r->body_too_big = true;
            buf_free(&r->body);
        }
        if (r->body_too_big && (r->drained += *upload_size) > DRAIN_MAX)
            return MHD_NO; /* a client that will not stop sending is cut off */
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->resume) { /* resumed after a suspension */
        handler_fn fn = r->resume;
        r->resume = NULL;
        fn(r);
        return send_reply(r);
    }
    if (r->body_too_big)
        reply_problem(r, 413, "the body is larger than %zu bytes", r->body.max);
    else
        r->route->handler(r);
    if (r->resume && !r->resp)
        return MHD_YES; /* suspended: req_resume() brings it back */
    return send_reply(r);
}

void req_suspend(struct req *r, handler_fn resume)
{
    r->resume = resume;
    MHD_suspend_connection(r->conn);
}

void req_resume(struct req *r)
{
    MHD_resume_connection(r->conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn;
    struct req *r = *con_cls;
    if (!r)
        return;
    double ms = now_ms() - r->started_ms;
    unsigned status = r->status ? r->status : 499;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->status)
        status = 499; /* the client went away before a reply */
    log_info("%s %s %u %.2fms", r->method, r->url, status, ms);
    metrics_record(r->route ? r->route_index : routes_count, status, ms);
    req_free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&inflight, 1);
}

/* Percent-decoding of the path and query, as libmicrohttpd's own except that "%00" stays
 * as it is: a decoded NUL would silently cut the C string (so "/accounts/1%00x" would
 * reach account 1). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    char *w = s;
    for (const char *p = s; *p;) {
        if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
            !(p[1] == '0' && p[2] == '0')) {
            char hex[3] = { p[1], p[2], 0 };
            *w++ = (char)strtol(hex, NULL, 16);
            p += 3;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("http: %s", msg);
}

/* ------------------------------------------------------------ start and stop */

/* Parses "ADDR:PORT" or "[ADDR6]:PORT"; 0 on success. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    long port;
    if (!colon || parse_int_range(colon + 1, 1, 65535, &port))
        return -1;
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof(host))
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return -1;
        *len = sizeof(*a);
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return -1;
    *len = sizeof(*a);
    return 0;
}

int http_serve(const struct config *cfg)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (parse_listen(cfg->listen, &ss, &sslen)) {
        log_error("bad listen address '%s' (want ADDR:PORT, e.g. 127.0.0.1:8080)", cfg->listen);
        return 1;
    }

    /* Block the stop signals in every thread; this one waits for them with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    static_init(cfg->web_dir);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_END);
    if (!d) {
        log_error("cannot listen on %s: %s", cfg->listen, strerror(errno));
        static_shutdown();
        return 1;
    }
    log_info("listening on http://%s (%d threads, database %s)", cfg->listen, cfg->threads,
             cfg->db_path);

    int sig = 0;
    sigwait(&stop, &sig);
    log_info("received %s: finishing in-flight requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
    atomic_store(&stopping, true);
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    for (int i = 0; i < 1000 && atomic_load(&inflight) > 0; i++)
        usleep(10 * 1000);
    MHD_stop_daemon(d);
    static_shutdown();
    log_info("stopped");
    return 0;
}
