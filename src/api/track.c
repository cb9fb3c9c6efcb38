/*
 * The Segment HTTP Tracking API: POST /v1/batch, /v1/track, /v1/identify, /v1/group,
 * /v1/page, /v1/screen, /v1/alias. The write key comes as the HTTP Basic user name (or
 * "writeKey" in the body); the body is JSON whatever its content type, gzip-compressed or
 * not. Valid messages are handed to the ingest writer and the request is suspended until
 * they are committed; only then is it answered 200, listing any rejected messages.
 */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ingest/ingest.h"
#include "store/usage.h"

struct track_ctx {
    struct ingest_job job;
    bool single; /* a single-message endpoint: an invalid message is a 400 */
};

static void track_ctx_free(void *p)
{
    struct track_ctx *t = p;
    ingest_batch_free(&t->job.batch);
    free(t);
}

/* Called by the writer thread after the commit. */
static void job_done(void *ctx)
{
    req_resume(ctx);
}

static int reply_busy(struct req *r)
{
    reply_problem(r, 503, "the event queue is full; retry shortly");
    reply_add_header(r, "Retry-After", "1");
    return 0;
}

/* The reply once the writer has committed (or failed). */
static int track_reply(struct req *r)
{
    struct track_ctx *t = r->ctx;
    const struct ingest_batch *b = &t->job.batch;
    if (t->job.rc)
        return reply_busy(r);
    if (t->single && b->nrejects)
        return reply_problem(r, 400, "%s", b->rejects[0].reason);
    json_t *o = json_object();
    json_object_set_new(o, "success", json_true());
    if (b->nrejects) {
        json_t *a = json_array();
        for (size_t i = 0; i < b->nrejects; i++) {
            json_t *e = json_object();
            json_object_set_new(e, "index", json_integer((json_int_t)b->rejects[i].index));
            json_object_set_new(e, "reason", json_string(b->rejects[i].reason));
            json_array_append_new(a, e);
        }
        json_object_set_new(o, "rejected", a);
        if (b->rejects_omitted)
            json_object_set_new(o, "rejected_omitted", json_integer((json_int_t)b->rejects_omitted));
    }
    return reply_json(r, 200, o);
}

/* The id of a live write key, or 0 for a missing, unknown or revoked one. */
static int64_t write_key_id(const char *key)
{
    int64_t id = 0;
    if (!key || strlen(key) > 200 || store_write_key_lookup(store_get(), key, &id) != KZ_OK)
        id = 0;
    return id;
}

static int reply_no_key(struct req *r)
{
    reply_problem(r, 401, "a valid write key is required (HTTP Basic user name)");
    reply_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"kizuna\"");
    return 0;
}

static int track(struct req *r, const char *type)
{
    char *plain = NULL, *body_key = NULL, err[256];
    size_t len;
    /* A key in the Authorization header is checked before any work on the body; only a
     * request without one needs the body parsed to find its "writeKey". */
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(r->conn, &pass);
    int64_t key = user && *user ? write_key_id(user) : -1;
    MHD_free(user);
    MHD_free(pass);
    if (key == 0)
        return reply_no_key(r);
    int rc = ingest_gunzip(r->body.p ? r->body.p : "", r->body.len, &plain, &len);
    if (rc == KZ_ETOOBIG)
        return reply_problem(r, 413, "the decompressed body is larger than %u bytes",
                             INGEST_MAX_REQUEST);
    if (rc)
        return reply_problem(r, 400, "the body is not valid gzip");
    const char *body = plain ? plain : r->body.p ? r->body.p : "";
    if (!plain)
        len = r->body.len;
    struct track_ctx *t = xcalloc(1, sizeof(*t));
    t->single = type != NULL;
    rc = ingest_parse(body, len, type, now_unix(), &t->job.batch, &body_key, err, sizeof(err));
    free(plain);
    if (key < 0)
        key = write_key_id(body_key);
    free(body_key);
    if (!key) {
        track_ctx_free(t);
        return reply_no_key(r);
    }
    if (rc) {
        track_ctx_free(t);
        return reply_problem(r, 400, "%s", err);
    }
    t->job.batch.write_key_id = key;
    if (t->job.batch.n == 0 && t->job.batch.nrejects == 0) { /* an empty batch */
        track_ctx_free(t);
        json_t *o = json_object();
        json_object_set_new(o, "success", json_true());
        return reply_json(r, 200, o);
    }
    t->job.done = job_done;
    t->job.ctx = r;
    r->ctx = t;
    r->ctx_free = track_ctx_free;
    req_suspend(r, track_reply);
    if (ingest_submit(&t->job) != KZ_OK) {
        r->resume = reply_busy;
        req_resume(r);
    }
    return 0;
}

int api_track_batch(struct req *r)
{
    return track(r, NULL);
}

int api_track_track(struct req *r)
{
    return track(r, "track");
}

int api_track_identify(struct req *r)
{
    return track(r, "identify");
}

int api_track_group(struct req *r)
{
    return track(r, "group");
}

int api_track_page(struct req *r)
{
    return track(r, "page");
}

int api_track_screen(struct req *r)
{
    return track(r, "screen");
}

int api_track_alias(struct req *r)
{
    return track(r, "alias");
}
