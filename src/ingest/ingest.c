/*
 * Parsing and validation of Segment HTTP Tracking API requests. A request is refused as a
 * whole only when it is not a JSON object (or a batch without a "batch" array); otherwise
 * each message is checked on its own and a bad one is rejected alone, because tracking
 * clients do not retry a 400 and would lose the good events with it. Times are reconciled
 * as Segment defines them: timestamp = receivedAt - (sentAt - originalTimestamp).
 */
#include "ingest/ingest.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kizuna.h"
#include "util/crypto.h"
#include "util/util.h"

static void msg_cleanup(struct ingest_msg *m)
{
    free(m->message_id);
    free(m->user_id);
    free(m->anonymous_id);
    free(m->name);
    free(m->group_id);
    free(m->previous_id);
    free(m->original_timestamp);
    free(m->sent_at);
    free(m->properties);
    free(m->context);
    memset(m, 0, sizeof(*m));
}

void ingest_batch_free(struct ingest_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        msg_cleanup(&b->msgs[i]);
    for (size_t i = 0; i < b->nrejects; i++) {
        free(b->rejects[i].reason);
        free(b->rejects[i].copy);
    }
    free(b->msgs);
    free(b->rejects);
    b->msgs = NULL;
    b->rejects = NULL;
    b->n = b->nrejects = 0;
}

int ingest_gunzip(const char *body, size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (len < 2 || (unsigned char)body[0] != 0x1f || (unsigned char)body[1] != 0x8b)
        return KZ_OK;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return KZ_EINVAL;
    char *buf = xmalloc(INGEST_MAX_REQUEST + 1);
    z.next_in = (unsigned char *)(uintptr_t)body;
    z.avail_in = (uInt)len;
    z.next_out = (unsigned char *)buf;
    z.avail_out = INGEST_MAX_REQUEST + 1; /* one byte more than allowed: overflow shows */
    int zrc = inflate(&z, Z_FINISH);
    size_t produced = z.total_out;
    inflateEnd(&z);
    if (produced > INGEST_MAX_REQUEST || (zrc == Z_BUF_ERROR && z.avail_out == 0)) {
        free(buf);
        return KZ_ETOOBIG;
    }
    if (zrc != Z_STREAM_END) {
        free(buf);
        return KZ_EINVAL;
    }
    buf[produced] = '\0';
    *out = buf;
    *outlen = produced;
    return KZ_OK;
}

/* ------------------------------------------------------------ one message */

static const char *const types[] = { "track", "identify", "group", "page", "screen", "alias",
                                     NULL };

/* An id: a non-empty string of at most INGEST_MAX_ID bytes, or an integer (as text). */
static int take_id(json_t *m, const char *key, char **out, char *why, size_t n)
{
    json_t *v = json_object_get(m, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = xasprintf("%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > INGEST_MAX_ID || strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, n, "'%s' must be a string of 1 to %u characters", key, INGEST_MAX_ID);
        return -1;
    }
    *out = xstrdup(json_string_value(v));
    return 0;
}

#define NO_TIME INT64_MIN
/* The times we store: years 1900 to 9999, so that RFC 3339 text sorts and parses. */
#define TIME_MIN (-2208988800LL)   /* 1900-01-01T00:00:00Z */
#define TIME_MAX 253402300799LL    /* 9999-12-31T23:59:59Z */

/* An ISO 8601 time when present; *t = NO_TIME when absent. */
static int take_time(json_t *m, const char *key, int64_t *t, char *why, size_t n)
{
    json_t *v = json_object_get(m, key);
    *t = NO_TIME;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || time_parse(json_string_value(v), t)) {
        snprintf(why, n, "'%s' must be an ISO 8601 time", key);
        return -1;
    }
    return 0;
}

static int take_object(json_t *m, const char *key, json_t **out, char *why, size_t n)
{
    json_t *v = json_object_get(m, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        snprintf(why, n, "'%s' must be an object", key);
        return -1;
    }
    *out = v;
    return 0;
}

static char *dump_object(json_t *o)
{
    if (!o)
        return xstrdup("{}");
    char *s = json_dumps(o, JSON_COMPACT);
    char *r = xstrdup(s ? s : "{}");
    free(s);
    return r;
}

/* Validates message m into out. batch_ctx and batch_sent (may be NULL / NO_TIME) come from
 * the batch. Returns 0, or -1 with why filled. */
static int parse_msg(json_t *m, const char *type, json_t *batch_ctx, int64_t batch_sent, int64_t received, struct ingest_msg *out, char *why,
                     size_t n)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(m))
        return snprintf(why, n, "a message must be a JSON object"), -1;
    char *text = json_dumps(m, JSON_COMPACT);
    size_t size = text ? strlen(text) : 0;
    free(text);
    if (size > INGEST_MAX_MESSAGE)
        return snprintf(why, n, "the message is larger than 32 KB (%zu bytes)", size), -1;

    if (!type) {
        json_t *t = json_object_get(m, "type");
        for (const char *const *k = types; t && *k && !type; k++)
            if (json_is_string(t) && strcmp(*k, json_string_value(t)) == 0)
                type = *k;
        if (!type)
            return snprintf(why, n, "'type' must be one of track, identify, group, page, "
                                    "screen, alias"), -1;
    }
    snprintf(out->type, sizeof(out->type), "%s", type);

    json_t *props = NULL, *traits = NULL, *ctx = NULL, *integ = NULL;
    int64_t ts, orig, sent;
    if (take_id(m, "messageId", &out->message_id, why, n) ||
        take_id(m, "userId", &out->user_id, why, n) ||
        take_id(m, "anonymousId", &out->anonymous_id, why, n) ||
        take_time(m, "timestamp", &ts, why, n) ||
        take_time(m, "originalTimestamp", &orig, why, n) ||
        take_time(m, "sentAt", &sent, why, n) ||
        take_object(m, "context", &ctx, why, n) || take_object(m, "integrations", &integ, why, n) ||
        take_object(m, "properties", &props, why, n) || take_object(m, "traits", &traits, why, n))
        return -1;
    if (!strcmp(type, "identify") || !strcmp(type, "group"))
        props = traits; /* what is kept: traits for who, properties for what */
    if (!out->user_id && !out->anonymous_id)
        return snprintf(why, n, "'userId' or 'anonymousId' is required"), -1;

    if (!strcmp(type, "track")) {
        json_t *e = json_object_get(m, "event");
        if (!json_is_string(e) || json_string_length(e) == 0 ||
            json_string_length(e) > INGEST_MAX_NAME || strlen(json_string_value(e)) != json_string_length(e))
            return snprintf(why, n, "'event' must be a string of 1 to %u characters",
                            INGEST_MAX_NAME), -1;
        out->name = xstrdup(json_string_value(e));
    } else if (!strcmp(type, "page") || !strcmp(type, "screen")) {
        json_t *e = json_object_get(m, "name");
        if (e && !json_is_null(e)) {
            if (!json_is_string(e) || json_string_length(e) > INGEST_MAX_NAME)
                return snprintf(why, n, "'name' must be a string of at most %u characters",
                                INGEST_MAX_NAME), -1;
            out->name = xstrdup(json_string_value(e));
        }
    } else if (!strcmp(type, "group")) {
        if (take_id(m, "groupId", &out->group_id, why, n))
            return -1;
        if (!out->group_id)
            return snprintf(why, n, "'groupId' is required"), -1;
    } else if (!strcmp(type, "alias")) {
        if (take_id(m, "previousId", &out->previous_id, why, n))
            return -1;
        if (!out->previous_id || !out->user_id)
            return snprintf(why, n, "'previousId' and 'userId' are required"), -1;
    }

    /* The batch's context applies to each message; the message's own keys win. The
     * integrations object (validated above) routes messages to Segment's destinations and
     * means nothing here, so it is not kept. */
    json_t *merged = batch_ctx ? json_deep_copy(batch_ctx) : json_object();
    if (ctx)
        json_object_update(merged, ctx);
    if (!out->group_id && strcmp(type, "alias") != 0) {
        json_t *g = json_object_get(merged, "groupId");
        if (json_is_string(g) && json_string_length(g) > 0 && json_string_length(g) <= INGEST_MAX_ID)
            out->group_id = xstrdup(json_string_value(g));
        else if (json_is_integer(g))
            out->group_id = xasprintf("%lld", (long long)json_integer_value(g));
    }
    out->context = dump_object(merged);
    json_decref(merged);
    out->properties = dump_object(props);

    /* Time: skew-correct with sentAt when both ends are known; a correction that lands
     * outside the years we store falls back to the received time. */
    if (orig == NO_TIME)
        orig = ts;
    if (sent == NO_TIME)
        sent = batch_sent;
    int64_t when = received;
    if (orig != NO_TIME && sent != NO_TIME)
        when = received - (sent - orig);
    else if (orig != NO_TIME)
        when = orig;
    if (when < TIME_MIN || when > TIME_MAX)
        when = received;
    time_format(when, out->timestamp);
    if (orig != NO_TIME) {
        out->original_timestamp = xmalloc(21);
        time_format(orig, out->original_timestamp);
    }
    if (sent != NO_TIME) {
        out->sent_at = xmalloc(21);
        time_format(sent, out->sent_at);
    }
    if (!out->message_id)
        out->message_id = token_new("kz-");
    return 0;
}

/* A copy of m for the error log: at most INGEST_ERROR_COPY bytes, cut on a UTF-8 boundary. */
static char *error_copy(json_t *m)
{
    char *s = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return xstrdup("");
    size_t len = strlen(s);
    if (len > INGEST_ERROR_COPY) {
        len = INGEST_ERROR_COPY;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    char *r = xstrndup(s, len);
    free(s);
    return r;
}

static void add_reject(struct ingest_batch *b, size_t index, const char *why, json_t *m)
{
    if (b->nrejects == INGEST_MAX_REJECTS) {
        b->rejects_omitted++;
        return;
    }
    if ((b->nrejects & (b->nrejects - 1)) == 0) /* grow at powers of two */
        b->rejects = xrealloc(b->rejects, (b->nrejects ? b->nrejects * 2 : 1) * sizeof(*b->rejects));
    struct ingest_reject *r = &b->rejects[b->nrejects++];
    r->index = index;
    r->reason = xstrdup(why);
    r->copy = error_copy(m);
}

static void add_msg(struct ingest_batch *b, const struct ingest_msg *m)
{
    if ((b->n & (b->n - 1)) == 0) /* grow at powers of two */
        b->msgs = xrealloc(b->msgs, (b->n ? b->n * 2 : 1) * sizeof(*b->msgs));
    b->msgs[b->n++] = *m;
}

/* The value of the 4 hex digits at p (before end), or -1. */
static long hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    char digits[5] = { p[0], p[1], p[2], p[3], 0 };
    for (int i = 0; i < 4; i++)
        if (!isxdigit((unsigned char)digits[i]))
            return -1;
    return strtol(digits, NULL, 16);
}

/* A copy of JSON text that jansson refused, with what is valid JSON but beyond jansson
 * mended, so that one odd value does not cost a batch its other messages: a lone UTF-16
 * surrogate escape becomes U+FFFD, and an integer too large for 64 bits becomes a string
 * of its digits. (Escaped NULs are allowed by the second parse instead.) Caller frees. */
static char *json_mend(const char *in, size_t len, size_t *outlen)
{
    struct buf b;
    buf_init(&b, 0);
    const char *p = in, *end = in + len;
    bool in_string = false;
    while (p < end) {
        if (in_string) {
            if (*p == '"') {
                in_string = false;
            } else if (*p == '\\' && p + 1 < end && p[1] == 'u' && hex4(p + 2, end) >= 0) {
                long v = hex4(p + 2, end);
                bool high = v >= 0xd800 && v <= 0xdbff, low = v >= 0xdc00 && v <= 0xdfff;
                bool paired = high && end - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
                              (hex4(p + 8, end) & 0xfc00) == 0xdc00;
                if ((high && !paired) || low) {
                    buf_append(&b, "\\ufffd", 6);
                    p += 6;
                    continue;
                }
                size_t n = paired ? 12 : 6;
                buf_append(&b, p, n);
                p += n;
                continue;
            } else if (*p == '\\' && p + 1 < end) {
                buf_append(&b, p, 2);
                p += 2;
                continue;
            }
            buf_append(&b, p++, 1);
            continue;
        }
        if (*p == '"') {
            in_string = true;
        } else if (*p == '-' || isdigit((unsigned char)*p)) {
            const char *q = p + (*p == '-');
            while (q < end && isdigit((unsigned char)*q))
                q++;
            bool integer = q >= end || (*q != '.' && *q != 'e' && *q != 'E');
            if (integer && q - p > 18) {
                buf_append(&b, "\"", 1);
                buf_append(&b, p, (size_t)(q - p));
                buf_append(&b, "\"", 1);
            } else {
                buf_append(&b, p, (size_t)(q - p));
            }
            p = q;
            continue;
        }
        buf_append(&b, p++, 1);
    }
    *outlen = b.len;
    return buf_steal(&b);
}

int ingest_parse(const char *body, size_t len, const char *type, int64_t received_at,
                 struct ingest_batch *b, char **write_key, char *err, size_t errlen)
{
    memset(b, 0, sizeof(*b));
    *write_key = NULL;
    time_format(received_at, b->received_at);
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    if (!root) {
        size_t mlen;
        char *mended = json_mend(body, len, &mlen);
        json_error_t je2;
        root = json_loadb(mended, mlen, JSON_ALLOW_NUL, &je2);
        free(mended);
    }
    if (!root)
        return snprintf(err, errlen, "the body is not JSON: %s (line %d)", je.text, je.line),
               KZ_EINVAL;
    int rc = KZ_EINVAL;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "the body must be a JSON object");
        goto out;
    }
    json_t *wk = json_object_get(root, "writeKey");
    if (json_is_string(wk))
        *write_key = xstrdup(json_string_value(wk));

    char why[256];
    struct ingest_msg m;
    if (type) {
        if (parse_msg(root, type, NULL, NO_TIME, received_at, &m, why, sizeof(why))) {
            msg_cleanup(&m);
            add_reject(b, 0, why, root);
        } else {
            add_msg(b, &m);
        }
        rc = KZ_OK;
        goto out;
    }
    json_t *batch = json_object_get(root, "batch");
    if (!json_is_array(batch)) {
        snprintf(err, errlen, "'batch' must be an array of messages");
        goto out;
    }
    json_t *ctx = json_object_get(root, "context");
    int64_t sent = NO_TIME;
    json_t *s = json_object_get(root, "sentAt");
    if (json_is_string(s) && time_parse(json_string_value(s), &sent))
        sent = NO_TIME;
    size_t i;
    json_t *v;
    json_array_foreach(batch, i, v) {
        if (parse_msg(v, NULL, json_is_object(ctx) ? ctx : NULL, sent, received_at, &m, why,
                      sizeof(why))) {
            msg_cleanup(&m);
            add_reject(b, i, why, v);
        } else {
            add_msg(b, &m);
        }
    }
    rc = KZ_OK;
out:
    json_decref(root);
    if (rc) {
        free(*write_key);
        *write_key = NULL;
    }
    return rc;
}
