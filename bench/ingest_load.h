/*
 * The ingestion benchmarks' traffic (bench/ingest, bench/ingest_writer): 1,000 accounts
 * "acct-NNNN" of 20 users "u-NNNNN" each; identify + group warm-up batches; load batches of
 * 100 track (80%) and page (20%) events of random users, with properties and a context
 * (context.groupId on a third of them), as a Segment server library sends them.
 */
#ifndef KZ_BENCH_INGEST_LOAD_H
#define KZ_BENCH_INGEST_LOAD_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "store/store.h"
#include "util/util.h"

#define ACCOUNTS 1000
#define USERS_PER_ACCOUNT 20
#define USERS (ACCOUNTS * USERS_PER_ACCOUNT)
#define BATCH 100

static const char *const track_events[] = {
    "Report Created", "Dashboard Viewed", "Export CSV", "Invite Sent", "Login",
    "Filter Applied", "Comment Added", "Integration Connected",
};
static const char *const pages[] = { "Dashboard", "Accounts", "Reports", "Settings", "Billing" };
static const char *const features[] = { "reports", "dashboards", "exports", "team", "auth" };
static const char *const plans[] = { "starter", "pro", "enterprise" };

/* The accounts the group calls name (external_id "acct-NNNN", as a CRM import would have
 * made them). */
static inline void create_accounts(struct store *st)
{
    store_begin(st);
    for (int i = 0; i < ACCOUNTS; i++) {
        struct account a;
        account_init(&a);
        a.name = xasprintf("Account %04d 株式会社", i);
        a.domain = xasprintf("acct-%04d.example.com", i);
        a.external_id = xasprintf("acct-%04d", i);
        a.industry = xstrdup(i % 3 ? "SaaS" : "製造業");
        store_account_create(st, &a);
        account_cleanup(&a);
    }
    store_commit(st);
}

/* "YYYY-MM-DDTHH:MM:SS" of now (UTC) into out. */
static inline void utc_now(char out[static 20])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* Appends to b, which is sized for any batch; running out is a bug in this file. */
#define PUT(b, ...) do { if (buf_printf((b), __VA_ARGS__)) abort(); } while (0)

/* The body of a warm-up batch: identify + group for users first .. first + BATCH/2 - 1. */
static inline void warmup_body(struct buf *b, int first, int w, size_t seq)
{
    char now[20];
    utc_now(now);
    buf_reset(b);
    PUT(b, "{\"batch\":[");
    for (int k = 0; k < BATCH / 2; k++) {
        int u = first + k, acct = u / USERS_PER_ACCOUNT;
        PUT(b, "%s{\"type\":\"identify\",\"userId\":\"u-%05d\",\"traits\":{\"email\":"
            "\"user%05d@acct-%04d.example.com\",\"name\":\"User %05d\",\"role\":\"%s\"},"
            "\"timestamp\":\"%s.%03dZ\",\"messageId\":\"%08x-0000-4000-8000-%012zx\"}",
            k ? "," : "", u, u, acct, u, u % USERS_PER_ACCOUNT ? "member" : "admin",
            now, k * 7, (unsigned)w | 0x10000000u, seq * BATCH + (size_t)k * 2);
        PUT(b, ",{\"type\":\"group\",\"userId\":\"u-%05d\",\"groupId\":\"acct-%04d\","
            "\"traits\":{\"name\":\"Account %04d\",\"plan\":\"%s\",\"employees\":%d},"
            "\"timestamp\":\"%s.%03dZ\",\"messageId\":\"%08x-0000-4000-8000-%012zx\"}",
            u, acct, acct, plans[acct % 3], 10 + acct % 490, now, k * 7 + 1,
            (unsigned)w | 0x10000000u, seq * BATCH + (size_t)k * 2 + 1);
    }
    PUT(b, "],\"sentAt\":\"%s.999Z\"}", now);
}

/*
 * The load's requests. Building 100 events with snprintf costs the load generator about
 * 1.4 µs an event, CPU taken from the server on the same two cores; so each connection
 * builds TEMPLATES whole requests once (realistic, all different) and before each send
 * only writes the fields that must change in place, at fixed width: the messageIds'
 * sequence numbers (unique per connection and send), the timestamps and sentAt (now).
 * The server receives the same kind of batch as before. (bench/ingest_writer parses the
 * same bodies.)
 */
#define TEMPLATES 32

struct load_template {
    struct buf req;                   /* the whole request, headers and body */
    size_t id_at[BATCH], ts_at[BATCH]; /* offsets of the 12 hex digits, of "YYYY-..SS" */
    size_t sent_at;
    size_t body_at;                   /* where the body starts */
};

static inline void put_hex12(char *p, size_t v)
{
    for (int i = 11; i >= 0; i--, v >>= 4)
        p[i] = "0123456789abcdef"[v & 15];
}

/* The request of a load batch: BATCH track (80%) and page (20%) events of random users. */
static inline void load_template(struct load_template *t, int w, unsigned *seed,
                                 const char *auth)
{
    char now[20];
    utc_now(now);
    struct buf b;
    buf_init(&b, HTTP_BODY_MAX_INGEST);
    PUT(&b, "{\"batch\":[");
    for (int k = 0; k < BATCH; k++) {
        unsigned r = (unsigned)rand_r(seed);
        int u = (int)(r % USERS), acct = u / USERS_PER_ACCOUNT;
        r /= USERS;
        if (r % 5)
            PUT(&b, "%s{\"type\":\"track\",\"userId\":\"u-%05d\",\"event\":\"%s\",\"properties\":"
                "{\"feature\":\"%s\",\"plan\":\"%s\",\"count\":%u,\"duration_ms\":%u,"
                "\"source\":\"web\"}", k ? "," : "", u, track_events[r % 8],
                features[(r / 8) % 5], plans[acct % 3], r % 50, r % 3000);
        else
            PUT(&b, "%s{\"type\":\"page\",\"userId\":\"u-%05d\",\"name\":\"%s\",\"properties\":"
                "{\"path\":\"/%s\",\"url\":\"https://app.example.com/%s\",\"title\":\"%s\","
                "\"referrer\":\"https://app.example.com/\"}", k ? "," : "", u,
                pages[(r / 5) % 5], pages[(r / 5) % 5], pages[(r / 5) % 5], pages[(r / 5) % 5]);
        PUT(&b, ",\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"6.2.0\"},"
            "\"ip\":\"203.0.113.%u\"", r % 250);
        if (r % 3 == 0)
            PUT(&b, ",\"groupId\":\"acct-%04d\"", acct);
        PUT(&b, "},\"timestamp\":\"");
        t->ts_at[k] = b.len;
        PUT(&b, "%s.%03dZ\",\"messageId\":\"%08x-0000-4000-8000-", now, k * 9,
            (unsigned)w | 0x20000000u);
        t->id_at[k] = b.len;
        PUT(&b, "000000000000\"}");
    }
    PUT(&b, "],\"sentAt\":\"");
    t->sent_at = b.len;
    PUT(&b, "%s.999Z\"}", now);
    buf_init(&t->req, HTTP_BODY_MAX_INGEST + 1024);
    PUT(&t->req, "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", auth, b.len);
    size_t head = t->req.len;
    t->body_at = head;
    if (buf_append(&t->req, b.p, b.len))
        abort();
    for (int k = 0; k < BATCH; k++) {
        t->ts_at[k] += head;
        t->id_at[k] += head;
    }
    t->sent_at += head;
    buf_free(&b);
}

/* Makes template t the request of this connection's send seq: new messageIds, times now. */
static inline void load_patch(struct load_template *t, size_t seq)
{
    char now[20];
    utc_now(now);
    for (int k = 0; k < BATCH; k++) {
        put_hex12(t->req.p + t->id_at[k], seq * BATCH + (size_t)k);
        memcpy(t->req.p + t->ts_at[k], now, 19);
    }
    memcpy(t->req.p + t->sent_at, now, 19);
}

#endif
