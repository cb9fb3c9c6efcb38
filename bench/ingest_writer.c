/*
 * The ingest pipeline without HTTP (issue 3): the CPU cost per event of each stage, on one
 * thread, with nothing else competing for the core. bench/ingest measures the server as a
 * whole, where the writer shares two cores with the HTTP threads, the checkpointer and the
 * load generator, so its figures move with whatever else runs; these are steadier, and
 * say which stage bounds throughput:
 *
 *   1. parse: ingest_parse of each request body (what an HTTP thread does; parallel);
 *   2. writer: store_ingest_apply of groups of GROUP requests in one transaction and the
 *      commit, as the writer thread does (one thread: SQLite has one writer);
 *   3. flush: the fold written every FLUSH_EVENTS events, as the writer does under load;
 *   4. checkpoint: copying the WAL into the database file (the checkpointer's thread).
 *
 * Same traffic as bench/ingest (bench/ingest_load.h), 1,000 accounts × 20 users, identity
 * warm-up first. Checks at the end that the rollups count every event once.
 *
 * usage: build/bench/ingest_writer [requests of 100 events, default 20000]
 */
#include <time.h>

#include "bench.h"
#include "ingest/ingest.h"
#include "ingest_load.h"
#include "store/db.h"
#include "store/usage.h"

#define GROUP 6                /* requests per commit: the server's average under load */
#define FLUSH_EVENTS 2000000   /* as ingest/writer.c */
#define CHECKPOINT_EVERY 40    /* commits (the checkpointer runs every 250 ms) */

static const char *const db_path = "/tmp/kizuna-bench-ingest-writer.db";

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void parse(const char *body, size_t len, struct ingest_batch *b)
{
    char err[160], *key = NULL;
    if (ingest_parse(body, len, NULL, now_unix(), b, &key, err, sizeof(err)) || b->nrejects) {
        fprintf(stderr, "a benchmark body was refused: %s\n", err);
        exit(1);
    }
    free(key);
    b->write_key_id = 1;
}

static void commit(struct store *st, struct ingest_batch *b, size_t n, bool flush)
{
    int rc = store_begin(st);
    if (rc == KZ_OK)
        rc = store_ingest_begin(st);
    for (size_t i = 0; i < n && rc == KZ_OK; i++)
        rc = store_ingest_apply(st, &b[i]);
    if (rc == KZ_OK && flush)
        rc = store_ingest_flush(st);
    if (rc == KZ_OK)
        rc = store_commit(st);
    if (rc) {
        fprintf(stderr, "a commit failed: %s\n", kz_strerror(rc));
        exit(1);
    }
    store_ingest_committed();
}

int main(int argc, char **argv)
{
    long nreq = argc > 1 ? atol(argv[1]) : 20000;
    if (nreq < GROUP) {
        fprintf(stderr, "usage: %s [requests, at least %d]\n", argv[0], GROUP);
        return 2;
    }
    bench_machine();
    bench_remove_db(db_path);
    if (store_init(db_path))
        return 1;
    struct store *st = store_get();
    create_accounts(st);
    store_autocheckpoint(st, 0); /* as the writer: checkpoints are counted apart below */
    if (store_ingest_open(st))
        return 1;

    struct buf body;
    buf_init(&body, HTTP_BODY_MAX_INGEST);
    for (size_t seq = 0; seq < USERS / (BATCH / 2); seq++) {
        struct ingest_batch b = { 0 };
        warmup_body(&body, (int)(seq * (BATCH / 2)), 0, seq);
        parse(body.p, body.len, &b);
        commit(st, &b, 1, false);
        ingest_batch_free(&b);
    }
    commit(st, NULL, 0, true);
    store_checkpoint(st);
    buf_free(&body);

    /* 1. parse, each request's messages freed after it as a server does (the bodies are
     * made first: their making is not measured); then again, kept for the writer */
    struct load_template *tpl = xcalloc(TEMPLATES, sizeof(*tpl));
    unsigned seed = 17;
    for (int i = 0; i < TEMPLATES; i++)
        load_template(&tpl[i], 0, &seed, "-");
    struct ingest_batch *b = xcalloc((size_t)nreq, sizeof(*b));
    double parse_s = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (long i = 0; i < nreq; i++) {
            struct load_template *t = &tpl[i % TEMPLATES];
            load_patch(t, (size_t)i);
            double c0 = thread_cpu();
            parse(t->req.p + t->body_at, t->req.len - t->body_at, &b[i]);
            if (pass == 0) {
                ingest_batch_free(&b[i]);
                parse_s += thread_cpu() - c0;
            }
        }
    }

    /* 2-4. the writer's work, stage by stage */
    double writer_s = 0, flush_s = 0, checkpoint_s = 0, w0 = bench_now();
    long since_flush = 0, commits = 0;
    for (long i = 0; i < nreq; i += GROUP) {
        size_t n = nreq - i < GROUP ? (size_t)(nreq - i) : GROUP;
        double c0 = thread_cpu();
        commit(st, &b[i], n, false);
        writer_s += thread_cpu() - c0;
        since_flush += (long)n * BATCH;
        if (since_flush >= FLUSH_EVENTS || i + GROUP >= nreq) {
            c0 = thread_cpu();
            commit(st, NULL, 0, true);
            flush_s += thread_cpu() - c0;
            since_flush = 0;
        }
        if (++commits % CHECKPOINT_EVERY == 0 || i + GROUP >= nreq) {
            c0 = thread_cpu();
            store_checkpoint(st);
            checkpoint_s += thread_cpu() - c0;
        }
    }
    double wall = bench_now() - w0, events = (double)nreq * BATCH;
    double us_writer = writer_s * 1e6 / events, us_flush = flush_s * 1e6 / events;
    printf("events: %.0f in %ld requests of %d, %d requests a commit, a flush every %d events\n",
           events, nreq, BATCH, GROUP, FLUSH_EVENTS);
    printf("CPU per event: parse %.2f us (HTTP threads), writer %.2f us + flush %.2f us "
           "(writer thread), checkpoint %.2f us (checkpointer)\n",
           parse_s * 1e6 / events, us_writer, us_flush, checkpoint_s * 1e6 / events);
    printf("writer thread alone: %.0f events/s on one core (%.0f with the checkpoints inline, "
           "wall clock %.2f s)\n", 1e6 / (us_writer + us_flush), events / wall, wall);

    for (long i = 0; i < nreq; i++)
        ingest_batch_free(&b[i]);
    free(b);
    for (int i = 0; i < TEMPLATES; i++)
        buf_free(&tpl[i].req);
    free(tpl);
    sqlite3_stmt *s = db_prepare(st, "SELECT (SELECT sum(count) FROM usage_daily), "
                                     "(SELECT count(*) FROM events WHERE type IN ('track', "
                                     "'page') AND account_id IS NOT NULL)");
    long long rolled = -1, stored = -2;
    if (sqlite3_step(s) == SQLITE_ROW) {
        rolled = sqlite3_column_int64(s, 0);
        stored = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    store_ingest_close();
    store_shutdown();
    printf("verify: %lld events stored, %lld in the rollups, %lld sent: %s\n", stored, rolled,
           (long long)events, rolled == stored && stored == (long long)events ? "equal" : "DIFFERENT");
    if (rolled != stored || stored != (long long)events)
        return 1;
    bench_remove_db(db_path);
    return 0;
}
