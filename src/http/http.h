/*
 * The HTTP layer's interface to handlers: the request a handler receives, the route table
 * entry, and the reply helpers. It knows nothing of the domain.
 *
 * A handler is `int h(struct req *r)`: it reads r (path parameters, query, JSON body, the
 * authenticated principal), then calls exactly one reply_* function and returns its value.
 * Everything a handler allocates for the reply is owned by the reply once passed to it.
 */
#ifndef KZ_HTTP_H
#define KZ_HTTP_H

#include <jansson.h>

#include "kizuna.h"
#include "util/util.h"

struct MHD_Connection;
struct MHD_Response;
struct req;

typedef int (*handler_fn)(struct req *r);

enum route_flags {
    ROUTE_PUBLIC = 1 << 0,  /* no authentication (healthz, metrics, login) */
    ROUTE_CSV_BODY = 1 << 1, /* the body is text/csv, not JSON */
    ROUTE_BIG_BODY = 1 << 2, /* allows bodies up to HTTP_BODY_MAX_BIG (imports) */
    ROUTE_WRITE_KEY = 1 << 3, /* tracking API: no user auth (the handler checks the write
                               * key), any content type, body up to HTTP_BODY_MAX_INGEST */
};

struct route {
    const char *method;
    const char *path;       /* segments; ":name" matches one segment */
    handler_fn handler;
    enum role role;         /* the least role allowed */
    unsigned flags;
};

/* The route table (http/routes.c) and its length. */
extern const struct route routes[];
extern const size_t routes_count;

#define HTTP_BODY_MAX (1u << 20)        /* 1 MiB for JSON bodies */
#define HTTP_BODY_MAX_BIG (32u << 20)   /* 32 MiB for CSV imports */
#define HTTP_BODY_MAX_INGEST 512000u    /* 500 KB a tracking request (Segment's limit) */
#define HTTP_MAX_PARAMS 4

struct principal {
    int64_t user_id;   /* 0 = anonymous */
    enum role role;
    char *email;
    char *name;
    bool via_cookie;   /* authenticated by session cookie (CSRF rules apply) */
};

struct req {
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    const struct route *route;
    size_t route_index;
    char *params[HTTP_MAX_PARAMS]; /* path parameters in order */
    size_t nparams;
    struct buf body;
    bool body_too_big;
    size_t drained;                /* bytes of a too-large body thrown away */
    json_t *json;                  /* the parsed body, after req_json() */
    struct principal user;
    char client_ip[64];
    double started_ms;
    unsigned status;               /* set by reply_* */
    struct MHD_Response *resp;     /* set by reply_* */
    char *session_cookie;          /* Set-Cookie value to add, if any */
    handler_fn resume;             /* set while suspended: replies once resumed */
    void *ctx;                     /* the handler's state across a suspension */
    void (*ctx_free)(void *ctx);   /* frees ctx with the request, if set */
};

/* Query string argument, or NULL. The string lives as long as the request. */
const char *req_query(struct req *r, const char *key);
/* The first query parameter whose name is not in known (NULL-terminated), or NULL. */
const char *req_query_unknown(struct req *r, const char *const *known);
/* Request header, or NULL. */
const char *req_header(struct req *r, const char *name);
/* Cookie value, or NULL. */
const char *req_cookie(struct req *r, const char *name);
/* Path parameter i as a positive id; 0 when it is not one (then reply 404). */
int64_t req_param_id(struct req *r, size_t i);
/* Parses the body as a JSON object (cached in r->json; owned by r). On failure replies 400
 * (malformed JSON, invalid UTF-8, not an object) and returns NULL: the handler then
 * returns r->status... so use: `if (!(body = req_json(r))) return 0;` */
json_t *req_json(struct req *r);

/* Suspends r without replying: the HTTP thread moves on to other connections. Once
 * req_resume(r) is called (from any thread), resume(r) runs in an HTTP thread and replies. */
void req_suspend(struct req *r, handler_fn resume);
void req_resume(struct req *r);

/* ---- replies: each returns 0. */
/* Sends body (reference stolen) as application/json. */
int reply_json(struct req *r, unsigned status, json_t *body);
/* Sends {"data": data, "next_cursor": next_cursor or null}; data stolen. */
int reply_list(struct req *r, json_t *data, const char *next_cursor);
/* Sends a problem+json: {"type","title","status","detail"}. */
int reply_problem(struct req *r, unsigned status, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 400 with "field": name and a detail naming it. */
int reply_field_error(struct req *r, const char *field, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 409 with "field": the value of that field conflicts with existing data. */
int reply_conflict(struct req *r, const char *field, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Maps a kz_rc to its status and replies with a problem; what names the resource
 * ("account 12 not found"). */
int reply_rc(struct req *r, int rc, const char *what);
/* 204 No Content. */
int reply_empty(struct req *r);
/* Any body with a content type; body (heap) stolen. */
int reply_bytes(struct req *r, unsigned status, const char *content_type, char *body, size_t len);
/* Adds a header to the reply already set (call after a reply_*). */
void reply_add_header(struct req *r, const char *name, const char *value);

/* kz_rc -> HTTP status: the one place this mapping lives. */
unsigned http_status_of(int rc);

#endif
