/*
 * The ingest writer: a single thread that takes every request waiting in the queue and
 * applies them all in one SQLite transaction (group commit), then hands them to the syncer
 * thread, which makes the WAL durable with one fdatasync for all the requests committed
 * before it and only then answers them: an acknowledged event survives kill -9 and power
 * loss, and the writer applies the next group while the previous one is being synced. One
 * writer means no lock contention between writers and lets the store keep its fold and
 * caches in memory (store/ingest.c). WAL checkpoints run on a third thread, so that copying
 * pages into the database file is not paid inside the writer's commits; the same thread
 * applies the raw-event retention once an hour, in small deletes.
 */
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kizuna.h"
#include "store/store.h"
#include "store/usage.h"
#include "util/util.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;  /* the writer: jobs or stop */
static pthread_cond_t tick = PTHREAD_COND_INITIALIZER;  /* the checkpointer: stop */
static struct ingest_job *head, *tail;
static size_t queued;
static bool running, stopping;
static pthread_t thread, checkpointer;

#define CHECKPOINT_EVERY_MS 250
/* The fold (rollups, last-seen times, the accounts' event streams) is flushed in a commit
 * of its own once the writer has been idle for flush_idle_ms (at light load, a moment after
 * the events), under load after the first group of jobs committed once it is flush_ms old
 * or holds flush_events events (that group's replies go out first), and at once when a
 * usage report or event listing asks (store_usage_sync). Flushing at every commit would
 * undo the folding: under load the queue is often empty for an instant between commits.
 * Under load a flush writes about as many rows whatever the time it covers (a row per
 * account, day and event; per active user), and no request is applied meanwhile, so it
 * comes rarely: every 10 s, or 2 million events (about 50 MB of fold, replayed in a few
 * seconds at start-up after a crash). They can be set for tests and tuning:
 * KIZUNA_INGEST_FLUSH_MS, KIZUNA_INGEST_FLUSH_EVENTS, KIZUNA_INGEST_FLUSH_IDLE_MS. */
static int64_t flush_ms = 10000, flush_events = 2000000, flush_idle_ms = 50;
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

static pthread_cond_t flushed = PTHREAD_COND_INITIALIZER; /* usage_sync(): a flush done */
static bool sync_wanted;    /* a reader waits for a flush */
static uint64_t flush_gen;  /* flushes done */
static int64_t last_flush_ms, last_commit_ms;
static int start_rc;
static bool started;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Applies jobs (a list) in one transaction, or, with jobs NULL, flushes the fold in a
 * transaction of its own. The flush never rides in a commit of jobs: their replies would
 * wait for it, and under load nothing would be parsed meanwhile. */
static int commit_jobs(struct store *st, struct ingest_job *jobs)
{
    int rc = store_begin(st);
    if (rc == KZ_OK)
        rc = store_ingest_begin(st);
    for (struct ingest_job *j = jobs; j && rc == KZ_OK; j = j->next)
        rc = store_ingest_apply(st, &j->batch);
    if (rc == KZ_OK && !jobs && store_ingest_pending())
        rc = store_ingest_flush(st);
    if (rc == KZ_OK)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc == KZ_OK) {
        store_ingest_committed();
    } else {
        int rrc = store_ingest_reset(st); /* forget what the rolled-back commit folded */
        if (rrc)
            log_error("ingest: cannot fold the unflushed events again: %s", kz_strerror(rrc));
    }
    return rc;
}

/* Tells each job of the list its outcome. */
static void finish(struct ingest_job *jobs, int rc)
{
    while (jobs) {
        struct ingest_job *next = jobs->next; /* done() may free the job */
        jobs->rc = rc;
        jobs->done(jobs->ctx);
        jobs = next;
    }
}

/*
 * The syncer: the writer commits without waiting for the disk (synchronous=NORMAL on its
 * connection) and hands the committed jobs here; this thread makes the WAL durable with
 * one fdatasync for every job committed before it started, then answers them. So the
 * writer applies the next group while the previous one is being synced, instead of
 * sitting idle in fsync, and no request is acknowledged before its events are on disk.
 * (fsync acts on the file, whichever descriptor asks: SQLite's frames written through its
 * own descriptor are flushed by ours.)
 */
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static struct ingest_job *sync_head, *sync_tail;
static bool syncer_stop;
static pthread_t syncer;
static int64_t n_commits, n_syncs, n_flushes, n_synced_jobs;
static double sync_ms_total;
static char *wal_path, *db_file;

static void to_syncer(struct ingest_job *jobs)
{
    struct ingest_job *last = jobs;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&lock);
    if (sync_tail)
        sync_tail->next = jobs;
    else
        sync_head = jobs;
    sync_tail = last;
    pthread_cond_signal(&sync_cv);
    pthread_mutex_unlock(&lock);
}

static int sync_file(const char *path, bool may_be_absent)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return may_be_absent && errno == ENOENT ? KZ_OK : KZ_EDB;
    int rc = fdatasync(fd) == 0 ? KZ_OK : KZ_EDB;
    close(fd);
    return rc;
}

static void *syncer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "kz-ingest-sync");
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!sync_head && !syncer_stop)
            pthread_cond_wait(&sync_cv, &lock);
        struct ingest_job *jobs = sync_head;
        sync_head = sync_tail = NULL;
        if (!jobs)
            break;
        pthread_mutex_unlock(&lock);
        /* The WAL holds the commits; without one (never in WAL mode while the writer's
         * connection is open), they went to the database file. */
        n_syncs++;
        for (struct ingest_job *j = jobs; j; j = j->next)
            n_synced_jobs++;
        double t0 = now_ms();
        int rc = sync_file(wal_path, true);
        if (rc == KZ_OK && access(wal_path, F_OK) != 0)
            rc = sync_file(db_file, false);
        if (rc)
            log_error("ingest: cannot sync %s: %s", wal_path, strerror(errno));
        sync_ms_total += now_ms() - t0;
        finish(jobs, rc);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "kz-ingest");
    struct store *st = store_get();
    store_autocheckpoint(st, 0); /* the checkpointer thread does it */
    int rc = store_ingest_open(st);
    if (rc == KZ_OK) {
        db_file = store_ingest_db_file(st);
        wal_path = xasprintf("%s-wal", db_file);
    }
    pthread_mutex_lock(&lock);
    start_rc = rc;
    started = true;
    last_flush_ms = mono_ms();
    pthread_cond_broadcast(&flushed);
    pthread_mutex_unlock(&lock);
    if (rc) {
        log_error("ingest: cannot open the writer's state: %s", kz_strerror(rc));
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&lock);
        bool idle = false;
        for (;;) {
            if (head || stopping || sync_wanted)
                break;
            int64_t pending = store_ingest_pending(), now = mono_ms();
            if (pending && (now - last_flush_ms >= flush_ms || pending >= flush_events))
                break;
            if (pending && now - last_commit_ms >= flush_idle_ms) {
                idle = true;
                break;
            }
            if (pending) {
                int64_t wait = last_flush_ms + flush_ms - now;
                if (last_commit_ms + flush_idle_ms - now < wait)
                    wait = last_commit_ms + flush_idle_ms - now;
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += wait / 1000;
                until.tv_nsec += (wait % 1000) * 1000000L;
                until.tv_sec += until.tv_nsec / 1000000000L;
                until.tv_nsec %= 1000000000L;
                pthread_cond_timedwait(&wake, &lock, &until);
            } else {
                pthread_cond_wait(&wake, &lock);
            }
        }
        struct ingest_job *jobs = head;
        head = tail = NULL;
        queued = 0;
        bool stop = stopping && !jobs && !store_ingest_pending();
        pthread_mutex_unlock(&lock);
        if (stop)
            break;
        if (jobs) {
            rc = commit_jobs(st, jobs);
            if (rc) /* a lock held past the timeout, or a deleted account folded again */
                rc = commit_jobs(st, jobs);
            last_commit_ms = mono_ms();
            n_commits++;
            if (rc)
                log_error("ingest: a group commit failed: %s", kz_strerror(rc));
            if (rc == KZ_OK)
                to_syncer(jobs); /* answered once the WAL is on disk */
            else
                finish(jobs, rc);
        }
        /* The flush, in its own commit, after the jobs' replies are on their way: when the
         * writer went idle, a reader asked, the server stops, or the fold is flush_ms old. */
        pthread_mutex_lock(&lock);
        bool flush = idle || sync_wanted || stopping || mono_ms() - last_flush_ms >= flush_ms ||
                     store_ingest_pending() >= flush_events;
        pthread_mutex_unlock(&lock);
        if (!flush)
            continue;
        rc = KZ_OK;
        if (store_ingest_pending()) {
            rc = commit_jobs(st, NULL);
            if (rc)
                rc = commit_jobs(st, NULL);
            n_commits++;
            if (rc)
                log_error("ingest: a flush failed: %s", kz_strerror(rc));
        }
        if (rc == KZ_OK) {
            pthread_mutex_lock(&lock);
            last_flush_ms = mono_ms();
            n_flushes++;
            sync_wanted = false;
            flush_gen++;
            pthread_cond_broadcast(&flushed);
            pthread_mutex_unlock(&lock);
            store_ingest_expire(now_unix());
        }
    }
    store_ingest_close();
    return NULL;
}

/* store_usage_sync while the writer runs: waits (2 s at most) for a flush that starts after
 * the call, so that every event acknowledged before it is in the rollups. */
static void usage_sync(void)
{
    pthread_mutex_lock(&lock);
    uint64_t want = flush_gen + 1;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    while (running && !stopping && flush_gen < want) {
        sync_wanted = true;
        pthread_cond_signal(&wake);
        if (pthread_cond_timedwait(&flushed, &lock, &until) != 0)
            break;
    }
    pthread_mutex_unlock(&lock);
}

static void env_knob(const char *name, int64_t *v)
{
    const char *e = getenv(name);
    int64_t x;
    if (e && parse_i64(e, &x) == 0 && x >= 0)
        *v = x;
}

int ingest_writer_start(void)
{
    env_knob("KIZUNA_INGEST_FLUSH_MS", &flush_ms);
    env_knob("KIZUNA_INGEST_FLUSH_EVENTS", &flush_events);
    env_knob("KIZUNA_INGEST_FLUSH_IDLE_MS", &flush_idle_ms);
    pthread_mutex_lock(&lock);
    stopping = false;
    started = false;
    int rc = pthread_create(&thread, NULL, writer_main, NULL);
    running = rc == 0;
    while (running && !started)
        pthread_cond_wait(&flushed, &lock);
    if (running && start_rc) {
        pthread_mutex_unlock(&lock);
        pthread_join(thread, NULL);
        running = false;
        return -1;
    }
    syncer_stop = false;
    if (running && pthread_create(&syncer, NULL, syncer_main, NULL) != 0) {
        stopping = true;
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
        pthread_join(thread, NULL);
        running = false;
        return -1;
    }
    if (running && pthread_create(&checkpointer, NULL, checkpoint_main, NULL) != 0) {
        stopping = true; /* without checkpoints the WAL would grow without end */
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
        pthread_join(thread, NULL);
        running = false;
        return -1;
    }
    if (running)
        store_usage_sync = usage_sync;
    pthread_mutex_unlock(&lock);
    return rc ? -1 : 0;
}

void ingest_writer_stop(void)
{
    pthread_mutex_lock(&lock);
    bool was = running;
    stopping = true;
    running = false;
    store_usage_sync = NULL;
    pthread_cond_signal(&wake);
    pthread_cond_signal(&tick);
    pthread_cond_broadcast(&flushed);
    pthread_mutex_unlock(&lock);
    if (was) {
        pthread_join(thread, NULL); /* it has handed every committed job to the syncer */
        pthread_mutex_lock(&lock);
        syncer_stop = true;
        pthread_cond_signal(&sync_cv);
        pthread_mutex_unlock(&lock);
        pthread_join(syncer, NULL);
        pthread_join(checkpointer, NULL);
        log_info("ingest: %lld commits; %lld syncs of %.1f requests in %.2f ms on average; "
                 "%lld flushes", (long long)n_commits, (long long)n_syncs,
                 n_syncs ? (double)n_synced_jobs / (double)n_syncs : 0.0,
                 n_syncs ? sync_ms_total / (double)n_syncs : 0.0, (long long)n_flushes);
        free(wal_path);
        free(db_file);
        wal_path = db_file = NULL;
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
