/*
 * The ingest writer: a single thread that takes every request waiting in the queue and
 * applies them all in one SQLite transaction (group commit: many requests, one fsync),
 * then tells each request its outcome. A request is answered only after COMMIT, so an
 * acknowledged event survives kill -9; one writer means no lock contention between writers.
 * WAL checkpoints run on a second thread, so that copying pages into the database file is
 * not paid inside the writer's commits; the same thread applies the raw-event retention
 * once an hour, in small deletes that hold the write lock only briefly.
 */
#include "ingest/ingest.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "kizuna.h"
#include "store/store.h"
#include "util/util.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;  /* the writer: jobs or stop */
static pthread_cond_t tick = PTHREAD_COND_INITIALIZER;  /* the checkpointer: stop */
static struct ingest_job *head, *tail;
static size_t queued;
static bool running, stopping;
static pthread_t thread, checkpointer;

#define CHECKPOINT_EVERY_MS 250
#define PURGE_EVERY_S 3600
#define PURGE_BATCH 10000

/* Deletes raw events older than the retention setting, a batch at a time. */
static void purge_old_events(struct store *st)
{
    int64_t days, deleted = 0, total = 0;
    if (store_event_retention(st, &days) || days == 0)
        return;
    char before[21];
    time_format(now_unix() - days * 86400, before);
    do {
        if (store_events_purge(st, before, PURGE_BATCH, &deleted))
            break;
        total += deleted;
    } while (deleted == PURGE_BATCH && !stopping);
    if (total)
        log_info("ingest: deleted %lld raw events received before %s (retention %lld days)",
                 (long long)total, before, (long long)days);
}

/* Checkpoints the WAL in the background until the writer stops; purges hourly. */
static void *checkpoint_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "kz-checkpoint");
    struct store *st = store_get();
    int64_t last_purge = 0;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&tick, &lock, &until);
        if (stopping)
            break;
        pthread_mutex_unlock(&lock);
        store_checkpoint(st);
        if (now_unix() - last_purge >= PURGE_EVERY_S) {
            last_purge = now_unix();
            purge_old_events(st);
        }
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Applies jobs (a list) in one transaction; returns the outcome for all of them. */
static int commit_jobs(struct store *st, struct ingest_job *jobs)
{
    int rc = store_begin(st);
    for (struct ingest_job *j = jobs; j && rc == KZ_OK; j = j->next)
        rc = store_ingest_apply(st, &j->batch);
    if (rc == KZ_OK)
        return store_commit(st);
    store_rollback(st);
    return rc;
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "kz-ingest");
    struct store *st = store_get();
    store_autocheckpoint(st, 0); /* the checkpointer thread does it */
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!head && !stopping)
            pthread_cond_wait(&wake, &lock);
        struct ingest_job *jobs = head;
        head = tail = NULL;
        queued = 0;
        bool stop = stopping && !jobs;
        pthread_mutex_unlock(&lock);
        if (stop)
            break;
        int rc = commit_jobs(st, jobs);
        if (rc == KZ_EBUSY) /* another connection held the write lock past the timeout */
            rc = commit_jobs(st, jobs);
        if (rc)
            log_error("ingest: a group commit failed: %s", kz_strerror(rc));
        while (jobs) {
            struct ingest_job *next = jobs->next; /* done() may free the job */
            jobs->rc = rc;
            jobs->done(jobs->ctx);
            jobs = next;
        }
    }
    return NULL;
}

int ingest_writer_start(void)
{
    pthread_mutex_lock(&lock);
    stopping = false;
    int rc = pthread_create(&thread, NULL, writer_main, NULL);
    running = rc == 0;
    if (running && pthread_create(&checkpointer, NULL, checkpoint_main, NULL) != 0) {
        stopping = true; /* without checkpoints the WAL would grow without end */
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
        pthread_join(thread, NULL);
        running = false;
        return -1;
    }
    pthread_mutex_unlock(&lock);
    return rc ? -1 : 0;
}

void ingest_writer_stop(void)
{
    pthread_mutex_lock(&lock);
    bool was = running;
    stopping = true;
    running = false;
    pthread_cond_signal(&wake);
    pthread_cond_signal(&tick);
    pthread_mutex_unlock(&lock);
    if (was) {
        pthread_join(thread, NULL);
        pthread_join(checkpointer, NULL);
    }
}

int ingest_submit(struct ingest_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&lock);
    int rc = KZ_OK;
    if (!running || queued >= INGEST_QUEUE_MAX) {
        rc = KZ_EBUSY;
    } else {
        if (tail)
            tail->next = job;
        else
            head = job;
        tail = job;
        queued++;
        pthread_cond_signal(&wake);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
