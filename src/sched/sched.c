/*
 * The scheduler's set of touched accounts: an open-addressing hash set of ids behind a
 * mutex, capped so that a flood of changes costs bounded memory (past the cap the next pass
 * simply re-evaluates every account).
 */
#include "sched/sched.h"
#include "util/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
