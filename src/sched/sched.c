/*
 * The scheduler thread and its set of touched accounts. The set is an open-addressing hash
 * set of ids behind a mutex, capped so that a flood of changes costs bounded memory (past
 * the cap the next pass simply re-evaluates every account). The thread wakes every second:
 * it re-evaluates the touched accounts (journey, health, then the enabled playbooks for
 * those accounts only), and every account when the health model's period has passed or a
 * full pass was requested.
 */
#include "sched/sched.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "health/engine.h"
#include "journey/journey.h"
#include "playbooks/evaluate.h"
#include "kizuna.h"
#include "store/store.h"
#include "util/util.h"

/* More touched accounts than this are cheaper to re-evaluate in one full pass. */
#define TOUCHED_FULL_PASS 2000

#define TOUCHED_MAX 65536 /* ids; a power of two, and the table is twice that */

static pthread_mutex_t touched_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t *touched;          /* 2 * TOUCHED_MAX slots, 0 = empty (ids are > 0) */
static size_t touched_n;
static int touched_overflow;

void sched_touch_account(int64_t account_id)
{
    if (account_id <= 0)
        return;
    pthread_mutex_lock(&touched_lock);
    if (touched_overflow)
        goto out;
    if (!touched)
        touched = xcalloc(2 * TOUCHED_MAX, sizeof *touched);
    size_t mask = 2 * TOUCHED_MAX - 1;
    size_t i = (size_t)((uint64_t)account_id * 0x9E3779B97F4A7C15ull >> 32) & mask;
    while (touched[i] && touched[i] != account_id)
        i = (i + 1) & mask;
    if (touched[i])
        goto out;
    if (touched_n == TOUCHED_MAX) {
        touched_overflow = 1;
        goto out;
    }
    touched[i] = account_id;
    touched_n++;
out:
    pthread_mutex_unlock(&touched_lock);
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int sched_take_touched(int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    pthread_mutex_lock(&touched_lock);
    int overflow = touched_overflow;
    if (!overflow && touched_n) {
        *ids = xmalloc(touched_n * sizeof **ids);
        for (size_t i = 0; i < 2 * TOUCHED_MAX; i++)
            if (touched[i])
                (*ids)[(*n)++] = touched[i];
    }
    if (touched && (touched_n || overflow))
        memset(touched, 0, 2 * TOUCHED_MAX * sizeof *touched);
    touched_n = 0;
    touched_overflow = 0;
    pthread_mutex_unlock(&touched_lock);
    if (*n)
        qsort(*ids, *n, sizeof **ids, cmp_id);
    return overflow;
}

/* ------------------------------------------------------------ the thread */

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_wake = PTHREAD_COND_INITIALIZER;
static bool run_stop, run_full, running;
static pthread_t thread;

void sched_request_full(void)
{
    pthread_mutex_lock(&run_lock);
    run_full = true;
    pthread_cond_signal(&run_wake);
    pthread_mutex_unlock(&run_lock);
}

/* The journey first: a milestone it completes or a phase it enters counts in the health. */
static void full_pass(struct store *st)
{
    double t0 = now_ms();
    int rc = journey_evaluate_all(st);
    if (rc)
        log_warn("scheduler: journey evaluation failed (%d)", rc);
    double t1 = now_ms();
    size_t n = 0;
    rc = health_recompute(st, 0, &n);
    if (rc)
        log_warn("scheduler: health recompute failed (%d)", rc);
    else
        log_info("scheduler: journeys in %.0f ms, health of %zu accounts in %.0f ms", t1 - t0, n,
                 now_ms() - t1);
    /* Playbooks last: their triggers read the phases and bands just computed. */
    size_t fired = 0;
    if ((rc = playbooks_evaluate_all(st, &fired)))
        log_warn("scheduler: playbook evaluation failed (%d)", rc);
    else if (fired)
        log_info("scheduler: playbooks fired %zu times", fired);
}

static void touched_pass(struct store *st, const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = journey_evaluate_account(st, ids[i]);
        if (!rc)
            rc = health_recompute(st, ids[i], NULL);
        if (rc && rc != KZ_ENOTFOUND) /* a deleted account is not an error */
            log_warn("scheduler: account %lld not re-evaluated (%d)", (long long)ids[i], rc);
    }
    /* Then the playbooks, for these accounts only: a change that turns an account red fires
     * "health turned red" a second later, not at the next full pass. */
    size_t fired = 0;
    int rc = playbooks_evaluate_accounts(st, ids, n, &fired);
    if (rc)
        log_warn("scheduler: playbook evaluation of touched accounts failed (%d)", rc);
    else if (fired)
        log_info("scheduler: playbooks fired %zu times for touched accounts", fired);
}

static void *sched_main(void *arg)
{
    (void)arg;
    struct store *st = store_get();
    double last_full = 0; /* a full pass at start-up brings every score up to date */
    pthread_mutex_lock(&run_lock);
    while (!run_stop) {
        struct health_model m;
        pthread_mutex_unlock(&run_lock);
        bool due = health_model_load(st, &m) == KZ_OK &&
                   (last_full == 0 || now_ms() - last_full >= m.recompute_minutes * 60000.0);
        pthread_mutex_lock(&run_lock);
        due = due || run_full;
        run_full = false;
        pthread_mutex_unlock(&run_lock);

        int64_t *ids;
        size_t n;
        int overflow = sched_take_touched(&ids, &n);
        if (due || overflow || n > TOUCHED_FULL_PASS) {
            full_pass(st);
            last_full = now_ms();
        } else {
            touched_pass(st, ids, n);
        }
        free(ids);

        pthread_mutex_lock(&run_lock);
        if (!run_stop && !run_full) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&run_wake, &run_lock, &until);
        }
    }
    pthread_mutex_unlock(&run_lock);
    return NULL;
}

int sched_start(void)
{
    run_stop = false;
    if (pthread_create(&thread, NULL, sched_main, NULL))
        return -1;
    running = true;
    return 0;
}

void sched_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&run_lock);
    run_stop = true;
    pthread_cond_signal(&run_wake);
    pthread_mutex_unlock(&run_lock);
    pthread_join(thread, NULL);
    running = false;
}
