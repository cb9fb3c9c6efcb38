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

#include "ingest/fold.h"
#include "kizuna.h"
#include "util/crypto.h"
#include "util/util.h"

static void msg_cleanup(struct ingest_msg *m)
{
    if (m->block) {
        free(m->block);
        memset(m, 0, sizeof(*m));
        return;
    }
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
    out->when = when;
    if (orig != NO_TIME) {
        out->original_timestamp = xmalloc(21);
        time_format(orig, out->original_timestamp);
    }
    if (sent != NO_TIME) {
        out->sent_at = xmalloc(21);
        time_format(sent, out->sent_at);
    }
    if (!out->message_id) {
        out->message_id = token_new("kz-");
        out->generated = true;
    }
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

/* ------------------------------------------------------------ the fast path */

/*
 * /v1/batch bodies are parsed first by a validating scanner that copies what a message
 * keeps (ids, names, and its properties/traits and context as the JSON text it came in)
 * without building a tree or serialising it again. It handles the common body whole or
 * not at all: anything unusual (a syntax error, an escape in a key or an id, a lone
 * surrogate or an escaped NUL, an integer past 18 digits, invalid UTF-8, a batch-level
 * context, a repeated field) sends the body to the jansson path below, which defines the
 * behaviour; a message that is well-formed JSON but not a valid message (a wrong type, a
 * missing field, a bad time) is handed to that path's parse_msg alone, for the same
 * rejection reason and error copy.
 */

struct scan {
    const char *p, *end;
    int depth;
    bool odd; /* valid JSON, but the jansson path must decide */
};

static void ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* The length of the valid UTF-8 sequence at p (not ASCII), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    unsigned v = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

/* Bytes that a string holds as they are: printable ASCII but the quote and the backslash. */
static const bool plain_byte[256] = {
    [' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1,
};

/* p advanced over plain bytes (none a quote, a backslash, a control character or
 * non-ASCII) 8 at a time, to the first byte that is not plain, or to the last few bytes
 * before end: most of a batch's bytes are string content, and a word at a time is several
 * times faster than the table. The tests flag every byte that is not plain; the zero-byte
 * ones can also flag a plain byte above one, never below, so the lowest flag is exact. */
static const char *skip_plain_words(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
        uint64_t flags = (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                          ((w - ones * 0x20) & ~w) | w) & highs;
        if (flags) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            p += __builtin_ctzll(flags) / 8;
#endif
            break;
        }
        p += 8;
    }
    return p;
}

/* A string at s->p (on its quote): its raw content in [*b, *b + *len); *esc when it has
 * escapes. -1 on a syntax error. */
static int scan_string(struct scan *s, const char **b, size_t *len, bool *esc)
{
    const char *p = ++s->p, *end = s->end;
    *esc = false;
    while (p < end) {
        p = skip_plain_words(p, end);
        while (p < end && plain_byte[(unsigned char)*p])
            p++;
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *b = s->p;
            *len = (size_t)(p - s->p);
            s->p = p + 1;
            return 0;
        }
        if (c == '\\') {
            *esc = true;
            if (++p >= end)
                return -1;
            c = (unsigned char)*p;
            if (c == 'u') {
                long v = hex4(p + 1, end);
                if (v < 0)
                    return -1;
                if (v == 0 || (v >= 0xdc00 && v <= 0xdfff)) {
                    s->odd = true;
                } else if (v >= 0xd800 && v <= 0xdbff) {
                    long w = end - p >= 11 && p[5] == '\\' && p[6] == 'u' ? hex4(p + 7, end) : -1;
                    if (w < 0xdc00 || w > 0xdfff)
                        s->odd = true;
                    else
                        p += 6;
                }
                p += 5;
                continue;
            }
            if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' &&
                c != 'r' && c != 't')
                return -1;
            p++;
            continue;
        }
        if (c < 0x20)
            return -1;
        if (c >= 0x80) {
            size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!n)
                return -1;
            p += n;
            continue;
        }
        p++;
    }
    return -1;
}

static int scan_digits(struct scan *s)
{
    const char *b = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return (int)(s->p - b);
}

static int scan_number(struct scan *s)
{
    if (*s->p == '-')
        s->p++;
    if (s->p >= s->end)
        return -1;
    int n;
    if (*s->p == '0') {
        s->p++;
        n = 1;
    } else if ((n = scan_digits(s)) == 0) {
        return -1;
    }
    bool integer = true;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        integer = false;
        if (!scan_digits(s))
            return -1;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        integer = false;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        int e = scan_digits(s);
        if (!e)
            return -1;
        if (e > 2)
            s->odd = true; /* jansson refuses reals out of range */
    }
    if (integer && n > 18)
        s->odd = true; /* jansson refuses integers past 64 bits; the mending path decides */
    return 0;
}

static int scan_value(struct scan *s);

static int scan_word(struct scan *s, const char *w, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

/* An object or array at s->p; for an object, each key is passed to on_key (may be NULL)
 * with the value's span, and *nkeys counts them. */
typedef void (*key_fn)(void *ctx, const char *k, size_t klen, bool kesc, const char *v,
                       const char *vend, struct scan *s);

static int scan_container(struct scan *s, key_fn on_key, void *ctx, size_t *nkeys)
{
    char close = *s->p == '{' ? '}' : ']';
    bool object = close == '}';
    if (++s->depth > 1000) {
        s->odd = true;
        return -1;
    }
    s->p++;
    ws(s);
    size_t count = 0;
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        if (nkeys)
            *nkeys = 0;
        return 0;
    }
    for (;;) {
        const char *k = NULL;
        size_t klen = 0;
        bool kesc = false;
        ws(s);
        if (object) {
            if (s->p >= s->end || *s->p != '"' || scan_string(s, &k, &klen, &kesc))
                return -1;
            ws(s);
            if (s->p >= s->end || *s->p != ':')
                return -1;
            s->p++;
            ws(s);
        }
        const char *v = s->p;
        if (scan_value(s))
            return -1;
        if (object && on_key)
            on_key(ctx, k, klen, kesc, v, s->p, s);
        count++;
        ws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p != close)
            return -1;
        s->p++;
        break;
    }
    s->depth--;
    if (nkeys)
        *nkeys = count;
    return 0;
}

static int scan_value(struct scan *s)
{
    ws(s);
    if (s->p >= s->end)
        return -1;
    const char *b;
    size_t n;
    bool esc;
    switch (*s->p) {
    case '{':
    case '[':
        return scan_container(s, NULL, NULL, NULL);
    case '"':
        return scan_string(s, &b, &n, &esc);
    case 't':
        return scan_word(s, "true", 4);
    case 'f':
        return scan_word(s, "false", 5);
    case 'n':
        return scan_word(s, "null", 4);
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return -1;
    }
}

/* A message's fields, as spans of the body. */
enum { F_TYPE, F_MESSAGE_ID, F_USER_ID, F_ANONYMOUS_ID, F_TIMESTAMP, F_ORIGINAL_TIMESTAMP,
       F_SENT_AT, F_CONTEXT, F_INTEGRATIONS, F_PROPERTIES, F_TRAITS, F_EVENT, F_NAME,
       F_GROUP_ID, F_PREVIOUS_ID, F_COUNT };

struct span {
    const char *v, *end; /* the value's text; NULL when absent */
};

struct fields {
    struct span f[F_COUNT];
    struct span context_group; /* context.groupId */
};

static void on_context_key(void *ctx, const char *k, size_t klen, bool kesc, const char *v,
                           const char *vend, struct scan *s)
{
    struct fields *fl = ctx;
    if (kesc) {
        s->odd = true;
        return;
    }
    if (klen == 7 && memcmp(k, "groupId", 7) == 0) {
        if (fl->context_group.v)
            s->odd = true;
        fl->context_group.v = v;
        fl->context_group.end = vend;
    }
}

/* The field a message key names, or -1. */
static int field_of(const char *k, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)
    switch (n) {
    case 4:
        return IS("type") ? F_TYPE : IS("name") ? F_NAME : -1;
    case 5:
        return IS("event") ? F_EVENT : -1;
    case 6:
        return IS("userId") ? F_USER_ID : IS("sentAt") ? F_SENT_AT : IS("traits") ? F_TRAITS : -1;
    case 7:
        return IS("context") ? F_CONTEXT : IS("groupId") ? F_GROUP_ID : -1;
    case 9:
        return IS("messageId") ? F_MESSAGE_ID : IS("timestamp") ? F_TIMESTAMP : -1;
    case 10:
        return IS("properties") ? F_PROPERTIES : IS("previousId") ? F_PREVIOUS_ID : -1;
    case 11:
        return IS("anonymousId") ? F_ANONYMOUS_ID : -1;
    case 12:
        return IS("integrations") ? F_INTEGRATIONS : -1;
    case 17:
        return IS("originalTimestamp") ? F_ORIGINAL_TIMESTAMP : -1;
    default:
        return -1;
    }
#undef IS
}

/* A message object at s->p, in one pass: its fields' spans into fl, and context.groupId. */
static int scan_message(struct scan *s, struct fields *fl)
{
    if (++s->depth > 1000) {
        s->odd = true;
        return -1;
    }
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return 0;
    }
    for (;;) {
        const char *k;
        size_t klen;
        bool kesc;
        ws(s);
        if (s->p >= s->end || *s->p != '"' || scan_string(s, &k, &klen, &kesc))
            return -1;
        ws(s);
        if (s->p >= s->end || *s->p != ':')
            return -1;
        s->p++;
        ws(s);
        if (kesc)
            s->odd = true; /* an escaped key may spell a field's name */
        int f = kesc ? -1 : field_of(k, klen);
        const char *v = s->p;
        if (f == F_CONTEXT && v < s->end && *v == '{') {
            if (scan_container(s, on_context_key, fl, NULL))
                return -1;
        } else if (scan_value(s)) {
            return -1;
        }
        if (f >= 0) {
            if (fl->f[f].v)
                s->odd = true; /* a repeated field: jansson keeps the last */
            fl->f[f].v = v;
            fl->f[f].end = s->p;
        }
        ws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p != '}')
            return -1;
        s->p++;
        break;
    }
    s->depth--;
    return 0;
}

/* A plain string value (no escapes) of the span: its content, or NULL. */
static const char *plain_string(const struct span *sp, size_t *len)
{
    if (!sp->v || *sp->v != '"')
        return NULL;
    const char *b = sp->v + 1;
    size_t n = (size_t)(sp->end - sp->v) - 2;
    if (memchr(b, '\\', n))
        return NULL;
    *len = n;
    return b;
}

static bool is_null(const struct span *sp)
{
    return sp->v && *sp->v == 'n';
}

static bool absent(const struct span *sp)
{
    return !sp->v || is_null(sp);
}

/* A time field: *t = NO_TIME when absent; -1 when not a plain string that parses. */
static int span_time(const struct span *sp, int64_t *t)
{
    *t = NO_TIME;
    if (absent(sp))
        return 0;
    size_t n;
    const char *b = plain_string(sp, &n);
    char buf[64];
    if (!b || n >= sizeof(buf))
        return -1;
    memcpy(buf, b, n);
    buf[n] = '\0';
    return time_parse(buf, t) ? -1 : 0;
}

/* An id field: absent, or a plain string of 1..max bytes. -1 otherwise (integers too:
 * rare, and left to the jansson path). */
static int span_id(const struct span *sp, size_t max, const char **b, size_t *n)
{
    *b = NULL;
    *n = 0;
    if (absent(sp))
        return 0;
    *b = plain_string(sp, n);
    return *b && *n > 0 && *n <= max ? 0 : -1;
}

static bool span_object(const struct span *sp)
{
    return absent(sp) || *sp->v == '{';
}

/* Copies n bytes at b into the block at *at as a C string. */
static char *carve(char **at, const char *b, size_t n)
{
    if (!b)
        return NULL;
    char *r = *at;
    memcpy(r, b, n);
    r[n] = '\0';
    *at += n + 1;
    return r;
}

/* Fills out from the message's fields; 0, or -1 when the jansson path must judge it. */
static int fast_msg(const struct fields *fl, int64_t batch_sent, int64_t received,
                    struct ingest_msg *out)
{
    memset(out, 0, sizeof(*out));
    size_t tn;
    const char *tb = plain_string(&fl->f[F_TYPE], &tn);
    const char *type = NULL;
    for (const char *const *k = types; tb && *k; k++)
        if (strlen(*k) == tn && memcmp(*k, tb, tn) == 0)
            type = *k;
    if (!type)
        return -1;
    bool track = !strcmp(type, "track"), page = !strcmp(type, "page") || !strcmp(type, "screen");
    bool who = !strcmp(type, "identify") || !strcmp(type, "group");
    bool group = !strcmp(type, "group"), alias = !strcmp(type, "alias");
    const char *mid, *uid, *aid, *name = NULL, *gid = NULL, *pid = NULL;
    size_t midn, uidn, aidn, namen = 0, gidn = 0, pidn = 0;
    int64_t ts, orig, sent;
    if (span_id(&fl->f[F_MESSAGE_ID], INGEST_MAX_ID, &mid, &midn) ||
        span_id(&fl->f[F_USER_ID], INGEST_MAX_ID, &uid, &uidn) ||
        span_id(&fl->f[F_ANONYMOUS_ID], INGEST_MAX_ID, &aid, &aidn) ||
        span_time(&fl->f[F_TIMESTAMP], &ts) || span_time(&fl->f[F_ORIGINAL_TIMESTAMP], &orig) ||
        span_time(&fl->f[F_SENT_AT], &sent) || !span_object(&fl->f[F_CONTEXT]) ||
        !span_object(&fl->f[F_INTEGRATIONS]) || !span_object(&fl->f[F_PROPERTIES]) ||
        !span_object(&fl->f[F_TRAITS]) || (!uid && !aid))
        return -1;
    if (track) {
        name = plain_string(&fl->f[F_EVENT], &namen);
        if (!name || namen == 0 || namen > INGEST_MAX_NAME)
            return -1;
    } else if (page && !absent(&fl->f[F_NAME])) {
        name = plain_string(&fl->f[F_NAME], &namen);
        if (!name || namen > INGEST_MAX_NAME)
            return -1;
    } else if (group) {
        if (span_id(&fl->f[F_GROUP_ID], INGEST_MAX_ID, &gid, &gidn) || !gid)
            return -1;
    } else if (alias) {
        if (span_id(&fl->f[F_PREVIOUS_ID], INGEST_MAX_ID, &pid, &pidn) || !pid || !uid)
            return -1;
    }
    if (!group && !alias && fl->context_group.v) {
        char c = *fl->context_group.v;
        if (c == '"') {
            const char *g = plain_string(&fl->context_group, &gidn);
            if (!g)
                return -1; /* escapes: the jansson path decodes them */
            if (gidn > 0 && gidn <= INGEST_MAX_ID)
                gid = g;
            else
                gidn = 0;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            return -1; /* a number: the jansson path formats an integer one */
        }
    }
    const struct span *props = who ? &fl->f[F_TRAITS] : track || page ? &fl->f[F_PROPERTIES] : NULL;
    size_t propn = props && !absent(props) ? (size_t)(props->end - props->v) : 2;
    const struct span *ctx = &fl->f[F_CONTEXT];
    size_t ctxn = !absent(ctx) ? (size_t)(ctx->end - ctx->v) : 2;

    char *gen = mid ? NULL : token_new("kz-");
    if (gen) {
        mid = gen;
        midn = strlen(gen);
    }
    size_t size = midn + uidn + aidn + namen + gidn + pidn + propn + ctxn + 2 * 21 + 8;
    char *at = out->block = xmalloc(size);
    snprintf(out->type, sizeof(out->type), "%s", type);
    out->message_id = carve(&at, mid, midn);
    out->generated = gen != NULL;
    free(gen);
    out->user_id = carve(&at, uid, uidn);
    out->anonymous_id = carve(&at, aid, aidn);
    out->name = carve(&at, name, namen);
    out->group_id = carve(&at, gid, gidn);
    out->previous_id = carve(&at, pid, pidn);
    out->properties = props && !absent(props) ? carve(&at, props->v, propn) : carve(&at, "{}", 2);
    out->context = !absent(ctx) ? carve(&at, ctx->v, ctxn) : carve(&at, "{}", 2);

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
    fold_time_format(when, out->timestamp);
    out->when = when;
    if (orig != NO_TIME) {
        out->original_timestamp = at;
        fold_time_format(orig, at);
        at += 21;
    }
    if (sent != NO_TIME) {
        out->sent_at = at;
        fold_time_format(sent, at);
        at += 21;
    }
    return 0;
}

struct root {
    struct span batch, context, sent_at, write_key;
    int dup;
};

static void on_root_key(void *ctx, const char *k, size_t klen, bool kesc, const char *v,
                        const char *vend, struct scan *s)
{
    struct root *r = ctx;
    if (kesc) {
        s->odd = true;
        return;
    }
    struct span *sp = NULL;
    if (klen == 5 && !memcmp(k, "batch", 5))
        sp = &r->batch;
    else if (klen == 7 && !memcmp(k, "context", 7))
        sp = &r->context;
    else if (klen == 6 && !memcmp(k, "sentAt", 6))
        sp = &r->sent_at;
    else if (klen == 8 && !memcmp(k, "writeKey", 8))
        sp = &r->write_key;
    if (!sp)
        return;
    if (sp->v)
        s->odd = true;
    sp->v = v;
    sp->end = vend;
}

/* One element of the batch array, at as->p: scanned (as->odd set when the jansson path
 * must take the whole body), then parsed fast, or alone by the jansson path. */
static int fast_element(struct ingest_batch *b, size_t index, struct scan *as, int64_t sent,
                        int64_t received)
{
    const char *v = as->p;
    struct fields fl;
    bool object = *v == '{';
    if (object) {
        memset(&fl, 0, sizeof(fl));
        if (scan_message(as, &fl))
            return -1;
    } else if (scan_value(as)) {
        return -1;
    }
    if (as->odd)
        return 0;
    const char *vend = as->p;
    struct ingest_msg m;
    if (object && (size_t)(vend - v) <= INGEST_MAX_MESSAGE &&
        fast_msg(&fl, sent, received, &m) == 0) {
        add_msg(b, &m);
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadb(v, (size_t)(vend - v), JSON_DECODE_ANY, &je);
    if (!j) {
        as->odd = true;
        return 0;
    }
    char why[256];
    if (parse_msg(j, NULL, NULL, sent, received, &m, why, sizeof(why))) {
        msg_cleanup(&m);
        add_reject(b, index, why, j);
    } else {
        add_msg(b, &m);
    }
    json_decref(j);
    return 0;
}

/* The fast path for /v1/batch: 1 when the body must go to the jansson path (b untouched),
 * else the result as ingest_parse returns it. */
static int fast_parse(const char *body, size_t len, int64_t received_at, struct ingest_batch *b,
                      char **write_key, char *err, size_t errlen)
{
    struct scan s = { body, body + len, 0, false };
    struct root r;
    memset(&r, 0, sizeof(r));
    ws(&s);
    if (s.p >= s.end || *s.p != '{' || scan_container(&s, on_root_key, &r, NULL) || s.odd)
        return 1;
    ws(&s);
    if (s.p != s.end || !r.batch.v || *r.batch.v != '[')
        return 1;
    if (r.context.v && *r.context.v == '{') {
        size_t nkeys = 0;
        struct scan cs = { r.context.v, r.context.end, 0, false };
        if (scan_container(&cs, NULL, NULL, &nkeys) || nkeys)
            return 1; /* a batch context to merge into each message */
    }
    size_t wkn;
    const char *wk = NULL;
    if (r.write_key.v && *r.write_key.v == '"' && !(wk = plain_string(&r.write_key, &wkn)))
        return 1;
    int64_t sent = NO_TIME;
    if (r.sent_at.v && *r.sent_at.v == '"' && span_time(&r.sent_at, &sent))
        sent = NO_TIME;

    /* The elements of the batch, one by one. */
    struct scan as = { r.batch.v + 1, r.batch.end, 0, false };
    size_t index = 0;
    ws(&as);
    if (*as.p != ']') {
        for (;;) {
            ws(&as);
            if (fast_element(b, index++, &as, sent, received_at) || as.odd)
                goto bail;
            ws(&as);
            if (*as.p == ',') {
                as.p++;
                continue;
            }
            break;
        }
    }
    if (wk)
        *write_key = xstrndup(wk, wkn);
    (void)err;
    (void)errlen;
    return KZ_OK;
bail:
    ingest_batch_free(b);
    memset(b, 0, sizeof(*b));
    return 1;
}

static int parse_body(const char *body, size_t len, const char *type, int64_t received_at,
                      struct ingest_batch *b, char **write_key, char *err, size_t errlen,
                      bool fast)
{
    memset(b, 0, sizeof(*b));
    *write_key = NULL;
    time_format(received_at, b->received_at);
    b->received = received_at;
    if (!type && fast) {
        int frc = fast_parse(body, len, received_at, b, write_key, err, errlen);
        if (frc != 1)
            return frc;
        time_format(received_at, b->received_at);
        b->received = received_at;
    }
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

int ingest_parse(const char *body, size_t len, const char *type, int64_t received_at,
                 struct ingest_batch *b, char **write_key, char *err, size_t errlen)
{
    return parse_body(body, len, type, received_at, b, write_key, err, errlen, true);
}

int ingest_parse_reference(const char *body, size_t len, const char *type, int64_t received_at,
                           struct ingest_batch *b, char **write_key, char *err, size_t errlen)
{
    return parse_body(body, len, type, received_at, b, write_key, err, errlen, false);
}
