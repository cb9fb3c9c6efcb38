/*
 * Usage ingestion, the domain side: parsing and validating Segment HTTP Tracking API
 * requests into messages (ingest.c), and the writer thread that commits them in groups
 * (writer.c). No HTTP and no SQL here: the store applies a batch (store/ingest.c).
 */
#ifndef KZ_INGEST_H
#define KZ_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INGEST_MAX_REQUEST 512000u  /* bytes after decompression */
#define INGEST_MAX_MESSAGE 32768u   /* bytes of one message, serialized */
#define INGEST_MAX_ID 100u          /* messageId, userId, ... */
#define INGEST_MAX_NAME 200u        /* event and page names */
#define INGEST_ERROR_COPY 2000u     /* bytes of a refused message kept for admins */
#define INGEST_MAX_REJECTS 1000u    /* refused messages listed and kept per request */

/* One valid message. Strings are heap copies owned by the message (NULL when absent). */
struct ingest_msg {
    char type[9];            /* track identify group page screen alias */
    char *message_id;        /* given, or generated */
    char *user_id;
    char *anonymous_id;
    char *name;              /* track: event; page/screen: name */
    char *group_id;          /* group: groupId; others: context.groupId */
    char *previous_id;       /* alias */
    char timestamp[21];      /* skew-corrected event time */
    int64_t when;            /* the same, as unix time */
    bool generated;          /* message_id was made here (none was given): never a repeat */
    char *original_timestamp;
    char *sent_at;
    char *properties;        /* JSON object text: properties (track/page/screen) or traits */
    char *context;           /* JSON object text, batch context merged in */
    char *block;             /* when set, every string above lies in it (one allocation) */
};

struct ingest_reject {
    size_t index;            /* position in the batch (0 for single-message endpoints) */
    char *reason;
    char *copy;              /* the message, truncated to INGEST_ERROR_COPY bytes */
};

/* A request's worth of messages, and the refused ones. */
struct ingest_batch {
    int64_t write_key_id;
    char received_at[21];
    int64_t received;               /* the same, as unix time */
    struct ingest_msg *msgs;
    size_t n;
    struct ingest_reject *rejects;  /* the first INGEST_MAX_REJECTS */
    size_t nrejects;
    size_t rejects_omitted;         /* refused past that, counted only */
};

void ingest_batch_free(struct ingest_batch *b);

/* Decompresses body into *out when it is gzip (by magic bytes), refusing output past
 * INGEST_MAX_REQUEST as it inflates (a gzip bomb costs at most that much work). Returns
 * KZ_OK (with *out NULL when the body was not gzip), KZ_ETOOBIG or KZ_EINVAL (corrupt). */
int ingest_gunzip(const char *body, size_t len, char **out, size_t *outlen);

/* Parses a request body. type is the endpoint's message type ("track", ...) or NULL for
 * /v1/batch. received_at is the server time. On KZ_OK, b holds the valid messages and the
 * rejections, and *write_key the body's "writeKey" if any (heap, or NULL). On KZ_EINVAL the
 * body as a whole is unusable and err says why. */
int ingest_parse(const char *body, size_t len, const char *type, int64_t received_at,
                 struct ingest_batch *b, char **write_key, char *err, size_t errlen);

/* ingest_parse without its fast path for /v1/batch (a scanner that keeps properties and
 * context as sent): the jansson path that defines the behaviour, for tests to compare. */
int ingest_parse_reference(const char *body, size_t len, const char *type, int64_t received_at,
                           struct ingest_batch *b, char **write_key, char *err, size_t errlen);

/* ---- the writer thread (writer.c): group commit. */

/* A request waiting for its messages to be committed. The submitter keeps it alive until
 * done(ctx) is called, from the writer thread, after COMMIT (rc KZ_OK) or a failure. */
struct ingest_job {
    struct ingest_batch batch;
    int rc;
    void (*done)(void *ctx);
    void *ctx;
    struct ingest_job *next;
};

#define INGEST_QUEUE_MAX 20000 /* jobs waiting; past this, submissions are refused (503) */

/* Starts the writer thread; 0 on success. */
int ingest_writer_start(void);
/* Commits what is queued, then stops the thread. */
void ingest_writer_stop(void);
/* Queues job; KZ_EBUSY when the writer is not running or the queue is full. */
int ingest_submit(struct ingest_job *job);

#endif
