/*
 * libFuzzer target: tracking API bodies (POST /v1/batch), through ingest_parse, whose fast
 * path is a hand-written JSON scanner over outside input. Each input is parsed both ways,
 * fast and by the jansson reference path, and the results must agree: the same status and
 * error, the same messages (properties and context as equal JSON), the same rejections.
 * Any difference aborts, and AddressSanitizer watches the scanner's pointer arithmetic.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"
#include "kizuna.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_json(const char *a, const char *b)
{
    json_t *x = json_loads(a, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    json_t *y = json_loads(b, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    int eq = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

#define CHECK(cond, what)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "fast and reference paths differ: %s\n", what);                  \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static int ready;
    if (!ready) {
        crypto_setup();
        ready = 1;
    }
    if (size > INGEST_MAX_REQUEST)
        return 0;
    const char *body = (const char *)data;
    struct ingest_batch f, r;
    char *fk = NULL, *rk = NULL, ferr[256] = "", rerr[256] = "";
    int64_t now = 1795000000;
    int frc = ingest_parse(body, size, NULL, now, &f, &fk, ferr, sizeof(ferr));
    int rrc = ingest_parse_reference(body, size, NULL, now, &r, &rk, rerr, sizeof(rerr));
    CHECK(frc == rrc, "status");
    if (frc == KZ_OK) {
        CHECK(same_text(fk, rk), "writeKey");
        CHECK(f.n == r.n, "number of messages");
        for (size_t i = 0; i < f.n; i++) {
            const struct ingest_msg *a = &f.msgs[i], *b = &r.msgs[i];
            CHECK(strcmp(a->type, b->type) == 0, "type");
            CHECK(a->generated == b->generated, "generated messageId");
            CHECK(a->generated || same_text(a->message_id, b->message_id), "messageId");
            CHECK(same_text(a->user_id, b->user_id), "userId");
            CHECK(same_text(a->anonymous_id, b->anonymous_id), "anonymousId");
            CHECK(same_text(a->name, b->name), "name");
            CHECK(same_text(a->group_id, b->group_id), "groupId");
            CHECK(same_text(a->previous_id, b->previous_id), "previousId");
            CHECK(strcmp(a->timestamp, b->timestamp) == 0 && a->when == b->when, "timestamp");
            CHECK(same_text(a->original_timestamp, b->original_timestamp), "originalTimestamp");
            CHECK(same_text(a->sent_at, b->sent_at), "sentAt");
            CHECK(same_json(a->properties, b->properties), "properties");
            CHECK(same_json(a->context, b->context), "context");
        }
        CHECK(f.nrejects == r.nrejects && f.rejects_omitted == r.rejects_omitted, "rejections");
        for (size_t i = 0; i < f.nrejects; i++) {
            CHECK(f.rejects[i].index == r.rejects[i].index, "rejected index");
            CHECK(strcmp(f.rejects[i].reason, r.rejects[i].reason) == 0, "rejection reason");
            CHECK(strcmp(f.rejects[i].copy, r.rejects[i].copy) == 0, "rejected copy");
        }
    } else {
        CHECK(strcmp(ferr, rerr) == 0, "error");
    }
    ingest_batch_free(&f);
    ingest_batch_free(&r);
    free(fk);
    free(rk);
    return 0;
}
