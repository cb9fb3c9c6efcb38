/*
 * Reply helpers and request accessors (http.h). Every reply builds an MHD response and
 * stores it in the request; http/server.c queues it once the handler returns. The mapping
 * from result codes to HTTP status lives here and nowhere else.
 */
#include "http/http.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *req_query(struct req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct unknown_scan {
    const char *const *known;
    const char *found;
};

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind, (void)value;
    struct unknown_scan *u = cls;
    for (const char *const *k = u->known; *k; k++)
        if (strcmp(*k, key) == 0)
            return MHD_YES;
    u->found = key;
    return MHD_NO;
}

const char *req_query_unknown(struct req *r, const char *const *known)
{
    struct unknown_scan u = { known, NULL };
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &u);
    return u.found;
}

const char *req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

int64_t req_param_id(struct req *r, size_t i)
{
    int64_t id;
    if (i >= r->nparams || r->params[i][0] < '1' || r->params[i][0] > '9' ||
        parse_i64(r->params[i], &id) || id <= 0)
        return 0;
    return id;
}

json_t *req_json(struct req *r)
{
    if (r->json)
        return r->json;
    if (r->body.len == 0) {
        reply_problem(r, 400, "a JSON object body is required");
        return NULL;
    }
    if (!utf8_valid(r->body.p, r->body.len)) {
        reply_problem(r, 400, "the body is not valid UTF-8");
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(r->body.p, r->body.len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        reply_problem(r, 400, "malformed JSON at line %d column %d: %s", err.line, err.column,
                      err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        reply_problem(r, 400, "the body must be a JSON object");
        return NULL;
    }
    r->json = j;
    return j;
}

/* ------------------------------------------------------------ replies */

static void set_response(struct req *r, unsigned status, struct MHD_Response *resp,
                         const char *content_type)
{
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
}

int reply_bytes(struct req *r, unsigned status, const char *content_type, char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    set_response(r, status, resp, content_type);
    return 0;
}

static int reply_json_type(struct req *r, unsigned status, json_t *body, const char *ctype)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        abort();
    return reply_bytes(r, status, ctype, text, strlen(text));
}

int reply_json(struct req *r, unsigned status, json_t *body)
{
    return reply_json_type(r, status, body, "application/json");
}

int reply_list(struct req *r, json_t *data, const char *next_cursor)
{
    json_t *o = json_object();
    json_object_set_new(o, "data", data);
    json_object_set_new(o, "next_cursor", next_cursor ? json_string(next_cursor) : json_null());
    return reply_json(r, 200, o);
}

static const char *status_title(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

static int problem_v(struct req *r, unsigned status, const char *field, const char *fmt,
                     va_list ap)
{
    char detail[1024];
    vsnprintf(detail, sizeof(detail), fmt, ap);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("about:blank"));
    json_object_set_new(o, "title", json_string(status_title(status)));
    json_object_set_new(o, "status", json_integer(status));
    /* detail may quote user input cut mid-character; json_string refuses invalid UTF-8 */
    json_t *d = json_string(detail);
    json_object_set_new(o, "detail", d ? d : json_string("invalid input"));
    if (field) {
        json_t *f = json_string(field);
        json_object_set_new(o, "field", f ? f : json_string("?"));
    }
    return reply_json_type(r, status, o, "application/problem+json");
}

int reply_problem(struct req *r, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem_v(r, status, NULL, fmt, ap);
    va_end(ap);
    return 0;
}

int reply_field_error(struct req *r, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem_v(r, 400, field, fmt, ap);
    va_end(ap);
    return 0;
}

int reply_conflict(struct req *r, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem_v(r, 409, field, fmt, ap);
    va_end(ap);
    return 0;
}

unsigned http_status_of(int rc)
{
    switch ((enum kz_rc)rc) {
    case KZ_OK: return 200;
    case KZ_EINVAL: return 400;
    case KZ_EAUTH: return 401;
    case KZ_EFORBIDDEN: return 403;
    case KZ_ENOTFOUND: return 404;
    case KZ_ECONFLICT: return 409;
    case KZ_ETOOBIG: return 413;
    case KZ_EBUSY: return 503;
    case KZ_ENOMEM:
    case KZ_EDB: return 500;
    }
    return 500;
}

int reply_rc(struct req *r, int rc, const char *what)
{
    unsigned status = http_status_of(rc);
    const char *why = kz_strerror(rc);
    if (rc == KZ_ECONFLICT)
        why = "already exists or conflicts with the current state";
    reply_problem(r, status, "%s: %s", what ? what : "request", why);
    if (rc == KZ_EBUSY)
        reply_add_header(r, "Retry-After", "1");
    return 0;
}

int reply_empty(struct req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    set_response(r, 204, resp, NULL);
    return 0;
}

void reply_add_header(struct req *r, const char *name, const char *value)
{
    if (r->resp)
        MHD_add_response_header(r->resp, name, value);
}
