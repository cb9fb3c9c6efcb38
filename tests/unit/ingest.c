/* Unit tests for src/ingest/ingest.c: request parsing, per-message validation, Segment's
 * timestamp reconciliation, batch context merging and gzip limits. */
#include <criterion/criterion.h>
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
