/* Unit tests for src/ingest/ingest.c: request parsing, per-message validation, Segment's
 * timestamp reconciliation, batch context merging and gzip limits. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <zlib.h>

#include "ingest/ingest.h"
#include "kizuna.h"
#include "util/crypto.h"
#include "util/util.h"

static int64_t at(const char *t)
{
    int64_t v;
    cr_assert_eq(time_parse(t, &v), 0);
    return v;
}

static int parse(const char *body, const char *type, struct ingest_batch *b)
{
    char *key = NULL, err[256];
    crypto_setup();
    int rc = ingest_parse(body, strlen(body), type, at("2026-11-22T12:00:00Z"), b, &key, err,
                          sizeof(err));
    free(key);
    return rc;
}

Test(ingest, a_body_that_is_not_a_json_object_is_refused_whole)
{
    struct ingest_batch b;
    cr_assert_eq(parse("not json", NULL, &b), KZ_EINVAL);
    cr_assert_eq(parse("[1,2]", NULL, &b), KZ_EINVAL);
    cr_assert_eq(parse("{\"batch\":{}}", NULL, &b), KZ_EINVAL);
}

Test(ingest, a_batch_keeps_its_valid_messages_and_rejects_the_rest_by_index)
{
    struct ingest_batch b;
    const char *body =
        "{\"batch\":["
        "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Login\",\"messageId\":\"m1\"},"
        "{\"type\":\"track\",\"event\":\"No user\"},"
        "{\"type\":\"track\",\"userId\":\"u1\"},"
        "{\"type\":\"bogus\",\"userId\":\"u1\"},"
        "{\"type\":\"identify\",\"userId\":42,\"traits\":{\"email\":\"a@b.jp\"}},"
        "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"E\",\"properties\":[1]},"
        "{\"type\":\"group\",\"userId\":\"u1\"},"
        "{\"type\":\"page\",\"anonymousId\":\"anon-1\",\"timestamp\":\"yesterday\"},"
        "7]}";
    cr_assert_eq(parse(body, NULL, &b), KZ_OK);
    cr_assert_eq(b.n, 2);
    cr_assert_str_eq(b.msgs[0].message_id, "m1");
    cr_assert_str_eq(b.msgs[0].name, "Login");
    cr_assert_str_eq(b.msgs[1].type, "identify");
    cr_assert_str_eq(b.msgs[1].user_id, "42");
    cr_assert_str_eq(b.msgs[1].properties, "{\"email\":\"a@b.jp\"}");
    cr_assert(strncmp(b.msgs[1].message_id, "kz-", 3) == 0, "a missing messageId is generated");
    size_t want[] = { 1, 2, 3, 5, 6, 7, 8 };
    cr_assert_eq(b.nrejects, 7);
    for (size_t i = 0; i < 7; i++)
        cr_assert_eq(b.rejects[i].index, want[i]);
    cr_assert(strstr(b.rejects[0].reason, "userId"));
    cr_assert(strstr(b.rejects[1].reason, "event"));
    cr_assert(strstr(b.rejects[2].reason, "type"));
    cr_assert(strstr(b.rejects[3].reason, "properties"));
    cr_assert(strstr(b.rejects[4].reason, "groupId"));
    cr_assert(strstr(b.rejects[5].reason, "timestamp"));
    cr_assert(strstr(b.rejects[6].reason, "object"));
    ingest_batch_free(&b);
}

Test(ingest, message_and_id_limits)
{
    struct ingest_batch b;
    char id[200], *big = xmalloc(40000);
    memset(id, 'x', 101);
    id[101] = '\0';
    char *body = xasprintf("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                           "\"messageId\":\"%s\"}]}", id);
    cr_assert_eq(parse(body, NULL, &b), KZ_OK);
    cr_assert_eq(b.n, 0);
    cr_assert_eq(b.nrejects, 1);
    cr_assert(strstr(b.rejects[0].reason, "messageId"));
    ingest_batch_free(&b);
    free(body);
    memset(big, 'y', 33000);
    big[33000] = '\0';
    body = xasprintf("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                     "\"properties\":{\"p\":\"%s\"}},{\"type\":\"track\",\"userId\":\"u\","
                     "\"event\":\"ok\"}]}", big);
    cr_assert_eq(parse(body, NULL, &b), KZ_OK);
    cr_assert_eq(b.n, 1);
    cr_assert_eq(b.nrejects, 1);
    cr_assert(strstr(b.rejects[0].reason, "32 KB"));
    cr_assert_leq(strlen(b.rejects[0].copy), INGEST_ERROR_COPY, "the kept copy is truncated");
    ingest_batch_free(&b);
    free(body);
    free(big);
}

Test(ingest, timestamps_are_skew_corrected_with_sent_at)
{
    struct ingest_batch b;
    /* The client's clock runs one hour fast: it stamped the event at 13:00 and sent it at
     * 13:00:30; the server received it at 12:00:00, so the event happened at 11:59:30. */
    const char *body = "{\"sentAt\":\"2026-11-22T13:00:30Z\",\"batch\":["
                       "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                       "\"timestamp\":\"2026-11-22T13:00:00Z\"},"
                       "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                       "\"originalTimestamp\":\"2026-11-22T22:00:00+09:00\","
                       "\"sentAt\":\"2026-11-22T13:00:00Z\"},"
                       "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}]}";
    cr_assert_eq(parse(body, NULL, &b), KZ_OK);
    cr_assert_eq(b.n, 3);
    cr_assert_str_eq(b.msgs[0].timestamp, "2026-11-22T11:59:30Z");
    cr_assert_str_eq(b.msgs[0].original_timestamp, "2026-11-22T13:00:00Z");
    cr_assert_str_eq(b.msgs[0].sent_at, "2026-11-22T13:00:30Z");
    /* its own sentAt (no skew) wins over the batch's: received time, not 11:59:30 */
    cr_assert_str_eq(b.msgs[1].timestamp, "2026-11-22T12:00:00Z");
    cr_assert_str_eq(b.msgs[2].timestamp, "2026-11-22T12:00:00Z"); /* nothing: received time */
    ingest_batch_free(&b);
    /* A timestamp without sentAt (a historical import) is used as it is. */
    cr_assert_eq(parse("{\"userId\":\"u\",\"event\":\"e\",\"timestamp\":\"2025-01-01T00:00:00Z\"}",
                       "track", &b), KZ_OK);
    cr_assert_str_eq(b.msgs[0].timestamp, "2025-01-01T00:00:00Z");
    ingest_batch_free(&b);
}

Test(ingest, batch_context_merges_into_each_message_and_gives_group_id)
{
    struct ingest_batch b;
    const char *body = "{\"context\":{\"groupId\":\"acme\",\"library\":{\"name\":\"x\"}},"
                       "\"integrations\":{\"All\":true},\"batch\":["
                       "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"},"
                       "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\","
                       "\"context\":{\"groupId\":\"beta\"}}]}";
    cr_assert_eq(parse(body, NULL, &b), KZ_OK);
    cr_assert_eq(b.n, 2);
    cr_assert_str_eq(b.msgs[0].group_id, "acme");
    cr_assert_str_eq(b.msgs[1].group_id, "beta", "the message's own context wins");
    cr_assert(strstr(b.msgs[0].context, "\"library\""));
    cr_assert_null(strstr(b.msgs[0].context, "integrations"), "integrations are not context");
    ingest_batch_free(&b);
}

Test(ingest, single_message_endpoints_take_the_type_from_the_path)
{
    struct ingest_batch b;
    cr_assert_eq(parse("{\"userId\":\"u\",\"groupId\":\"g1\",\"traits\":{\"name\":\"G\"}}",
                       "group", &b), KZ_OK);
    cr_assert_eq(b.n, 1);
    cr_assert_str_eq(b.msgs[0].type, "group");
    cr_assert_str_eq(b.msgs[0].group_id, "g1");
    ingest_batch_free(&b);
    cr_assert_eq(parse("{\"userId\":\"u\"}", "alias", &b), KZ_OK);
    cr_assert_eq(b.n, 0);
    cr_assert_eq(b.nrejects, 1);
    ingest_batch_free(&b);
}

static size_t gz(const char *in, size_t n, char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

Test(ingest, gunzip_inflates_and_stops_a_bomb_at_the_limit)
{
    char packed[4096], *out;
    size_t len;
    const char *json = "{\"batch\":[]}";
    size_t n = gz(json, strlen(json), packed, sizeof(packed));
    cr_assert_eq(ingest_gunzip(packed, n, &out, &len), KZ_OK);
    cr_assert_eq(len, strlen(json));
    cr_assert_str_eq(out, json);
    free(out);
    cr_assert_eq(ingest_gunzip(json, strlen(json), &out, &len), KZ_OK);
    cr_assert_null(out, "plain JSON is left alone");
    size_t bomb_len = 50u << 20;
    char *zeros = xcalloc(1, bomb_len), *bomb = xmalloc(1 << 20);
    n = gz(zeros, bomb_len, bomb, 1 << 20);
    cr_assert_lt(n, 100000u);
    cr_assert_eq(ingest_gunzip(bomb, n, &out, &len), KZ_ETOOBIG);
    cr_assert_eq(ingest_gunzip("\x1f\x8bgarbage", 9, &out, &len), KZ_EINVAL);
    free(zeros);
    free(bomb);
}

/* ------------------------------------------------------------ the fast path */

static bool same_json(const char *a, const char *b)
{
    json_t *x = json_loads(a, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    json_t *y = json_loads(b, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    bool eq = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

#define SAME_STR(a, b, what)                                                                   \
    cr_assert(((a) == NULL && (b) == NULL) || ((a) && (b) && strcmp((a), (b)) == 0),            \
              "%s: %s: '%s' vs '%s'", body, what, (a) ? (a) : "(null)", (b) ? (b) : "(null)")

/* Parses body both ways and checks that the fast path gives what the jansson path gives:
 * the same status and error, the same messages (properties and context as equal JSON, not
 * necessarily the same text), the same rejections. */
static void same_both_ways(const char *body)
{
    struct ingest_batch f, r;
    char *fk = NULL, *rk = NULL, ferr[256] = "", rerr[256] = "";
    int64_t now = at("2026-11-22T12:00:00Z");
    crypto_setup();
    int frc = ingest_parse(body, strlen(body), NULL, now, &f, &fk, ferr, sizeof(ferr));
    int rrc = ingest_parse_reference(body, strlen(body), NULL, now, &r, &rk, rerr, sizeof(rerr));
    cr_assert_eq(frc, rrc, "%s: status %d vs %d", body, frc, rrc);
    if (frc) {
        cr_assert_str_eq(ferr, rerr, "%s", body);
        return;
    }
    SAME_STR(fk, rk, "writeKey");
    cr_assert_eq(f.n, r.n, "%s: %zu vs %zu messages", body, f.n, r.n);
    for (size_t i = 0; i < f.n; i++) {
        const struct ingest_msg *a = &f.msgs[i], *b = &r.msgs[i];
        cr_assert_str_eq(a->type, b->type, "%s", body);
        if (!a->generated)
            SAME_STR(a->message_id, b->message_id, "messageId");
        cr_assert_eq(a->generated, b->generated, "%s", body);
        SAME_STR(a->user_id, b->user_id, "userId");
        SAME_STR(a->anonymous_id, b->anonymous_id, "anonymousId");
        SAME_STR(a->name, b->name, "name");
        SAME_STR(a->group_id, b->group_id, "groupId");
        SAME_STR(a->previous_id, b->previous_id, "previousId");
        cr_assert_str_eq(a->timestamp, b->timestamp, "%s", body);
        cr_assert_eq(a->when, b->when, "%s", body);
        SAME_STR(a->original_timestamp, b->original_timestamp, "originalTimestamp");
        SAME_STR(a->sent_at, b->sent_at, "sentAt");
        cr_assert(same_json(a->properties, b->properties), "%s: properties %s vs %s", body,
                  a->properties, b->properties);
        cr_assert(same_json(a->context, b->context), "%s: context %s vs %s", body, a->context,
                  b->context);
    }
    cr_assert_eq(f.nrejects, r.nrejects, "%s: %zu vs %zu rejected", body, f.nrejects, r.nrejects);
    for (size_t i = 0; i < f.nrejects; i++) {
        cr_assert_eq(f.rejects[i].index, r.rejects[i].index, "%s", body);
        cr_assert_str_eq(f.rejects[i].reason, r.rejects[i].reason, "%s", body);
        cr_assert_str_eq(f.rejects[i].copy, r.rejects[i].copy, "%s", body);
    }
    ingest_batch_free(&f);
    ingest_batch_free(&r);
    free(fk);
    free(rk);
}

Test(ingest, the_fast_path_for_batches_agrees_with_the_jansson_path)
{
    static const char *const bodies[] = {
        /* what SDKs send */
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"Report Created\","
        "\"properties\":{\"feature\":\"reports\",\"count\":3,\"ratio\":0.5,\"ok\":true,\"n\":null,"
        "\"tags\":[\"a\",{\"b\":[]}]},\"context\":{\"library\":{\"name\":\"analytics-node\"},"
        "\"groupId\":\"acct-1\"},\"timestamp\":\"2026-11-22T12:00:00.123Z\",\"messageId\":\"m-1\"},"
        "{\"type\":\"page\",\"anonymousId\":\"a-1\",\"name\":\"Home\",\"properties\":{\"path\":\"/\"}},"
        "{\"type\":\"page\",\"anonymousId\":\"a-1\",\"name\":null},"
        "{\"type\":\"screen\",\"userId\":\"u-2\",\"name\":\"\"},"
        "{\"type\":\"identify\",\"userId\":\"u-1\",\"traits\":{\"email\":\"a@b.jp\"},"
        "\"properties\":{\"ignored\":1}},"
        "{\"type\":\"group\",\"userId\":\"u-1\",\"groupId\":\"acct-1\",\"traits\":{\"name\":\"Acme\"}},"
        "{\"type\":\"alias\",\"userId\":\"u-1\",\"previousId\":\"a-1\"}],"
        "\"sentAt\":\"2026-11-22T12:00:01Z\",\"writeKey\":\"wk_x\"}",
        /* whitespace everywhere, UTF-8 and escapes inside values, integers as ids */
        " { \"batch\" : [ { \"type\" : \"track\" , \"userId\" : 42 , \"event\" : \"保存\" ,"
        " \"properties\" : { \"名前\" : \"株式会社\\n\\u00e9\\ud83d\\ude00\" , \"big\" : 1e10 } } ] } \n",
        /* escapes in ids and names, an integer groupId in the context, odd groupIds */
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\\u0031\",\"event\":\"E\\\"x\"},"
        "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"context\":{\"groupId\":7}},"
        "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"context\":{\"groupId\":\"\"}},"
        "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"context\":{\"groupId\":[1]}},"
        "{\"type\":\"alias\",\"userId\":\"u\",\"previousId\":\"p\",\"context\":{\"groupId\":\"g\"}}]}",
        /* invalid messages among valid ones */
        "{\"batch\":[7,\"x\",null,[],{},{\"type\":\"track\"},{\"type\":\"track\",\"userId\":\"\"},"
        "{\"type\":\"track\",\"userId\":\"u\",\"event\":5},{\"type\":\"page\",\"userId\":\"u\","
        "\"timestamp\":\"soon\"},{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\","
        "\"context\":[]},{\"type\":\"group\",\"userId\":\"u\"},{\"type\":\"alias\",\"userId\":\"u\"},"
        "{\"type\":\"Track\",\"userId\":\"u\"},{\"type\":\"track\",\"userId\":\"u\",\"event\":\"ok\"}]}",
        /* duplicate fields (jansson keeps the last), an escaped key, duplicate root keys */
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"a\",\"userId\":\"b\",\"event\":\"E\"}]}",
        "{\"batch\":[{\"type\":\"track\",\"user\\u0049d\":\"a\",\"event\":\"E\"}]}",
        "{\"batch\":[],\"batch\":[{\"type\":\"track\",\"userId\":\"a\",\"event\":\"E\"}]}",
        /* a batch context (merged), sentAt forms, writeKey not a string */
        "{\"context\":{\"ip\":\"1.2.3.4\",\"groupId\":\"g\"},\"batch\":[{\"type\":\"track\","
        "\"userId\":\"u\",\"event\":\"E\",\"context\":{\"ip\":\"5.6.7.8\"}}]}",
        "{\"context\":{},\"sentAt\":5,\"writeKey\":7,\"batch\":[{\"type\":\"track\",\"userId\":\"u\","
        "\"event\":\"E\",\"originalTimestamp\":\"2026-11-22T20:00:00+09:00\","
        "\"sentAt\":\"2026-11-22T11:00:10Z\"}]}",
        /* what jansson refuses and the mending fixes, or not */
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":"
        "{\"n\":123456789012345678901234,\"s\":\"\\ud800x\"}}]}",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"z\":\"a\\u0000b\"}}]}",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"r\":1e999}}]}",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"s\":\"\xff\"}}]}",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\"}]} trailing",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",}]}",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\"}]",
        "{\"batch\":{}}", "{\"batch\":[]}", "{}", "[]", "", "nul", "{\"batch\":[01]}",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"x\":-0.5e-3}}]}",
        "{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"x\":\"\t\"}}]}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++)
        same_both_ways(bodies[i]);
    /* the 32 KB limit: just under and just over, counted on the message as sent */
    for (size_t size = 32700; size <= 32800; size += 100) {
        char *pad = xmalloc(size + 1);
        memset(pad, 'p', size);
        pad[size] = '\0';
        char *body = xasprintf("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\","
                               "\"properties\":{\"p\":\"%s\"}}]}", pad);
        same_both_ways(body);
        free(body);
        free(pad);
    }
}
