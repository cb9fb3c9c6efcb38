/*
 * Prometheus metrics for the server: requests by route, method and status, a latency
 * histogram per route, and the database size. One mutex guards the counters; recording
 * costs a short locked section per request.
 */
#include "http/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/store.h"
#include "util/util.h"

static const double bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 };
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))
#define MAX_STATUSES 16
#define MAX_ROUTES 256

struct route_stats {
    unsigned status[MAX_STATUSES];
    uint64_t count[MAX_STATUSES];
    uint64_t buckets[NBOUNDS];
    uint64_t total;
    double sum;
};

static struct route_stats stats[MAX_ROUTES + 1];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void metrics_record(size_t route_index, unsigned status, double ms)
{
    if (route_index > MAX_ROUTES)
        route_index = MAX_ROUTES;
    double s = ms / 1000.0;
    pthread_mutex_lock(&lock);
    struct route_stats *rs = &stats[route_index];
    for (size_t i = 0; i < MAX_STATUSES; i++) {
        if (rs->status[i] == status || rs->status[i] == 0) {
            rs->status[i] = status;
            rs->count[i]++;
            break;
        }
    }
    for (size_t i = 0; i < NBOUNDS; i++)
        if (s <= bounds[i])
            rs->buckets[i]++;
    rs->total++;
    rs->sum += s;
    pthread_mutex_unlock(&lock);
}

char *metrics_render(void)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "# HELP kizuna_http_requests_total HTTP requests by route, method and status.\n"
                   "# TYPE kizuna_http_requests_total counter\n");
    pthread_mutex_lock(&lock);
    size_t n = routes_count < MAX_ROUTES ? routes_count : MAX_ROUTES;
    for (size_t r = 0; r <= n; r++) {
        const struct route_stats *rs = &stats[r == n ? MAX_ROUTES : r];
        const char *route = r == n ? "unmatched" : routes[r].path;
        const char *method = r == n ? "any" : routes[r].method;
        for (size_t i = 0; i < MAX_STATUSES && rs->status[i]; i++)
            buf_printf(&b, "kizuna_http_requests_total{method=\"%s\",route=\"%s\",status=\"%u\"} %llu\n",
                       method, route, rs->status[i], (unsigned long long)rs->count[i]);
    }
    buf_printf(&b, "# HELP kizuna_http_request_duration_seconds Time from first byte to reply.\n"
                   "# TYPE kizuna_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= n; r++) {
        const struct route_stats *rs = &stats[r == n ? MAX_ROUTES : r];
        if (!rs->total)
            continue;
        const char *route = r == n ? "unmatched" : routes[r].path;
        const char *method = r == n ? "any" : routes[r].method;
        for (size_t i = 0; i < NBOUNDS; i++)
            buf_printf(&b, "kizuna_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
                       method, route, bounds[i], (unsigned long long)rs->buckets[i]);
        buf_printf(&b, "kizuna_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n"
                       "kizuna_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
                       "kizuna_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
                   method, route, (unsigned long long)rs->total, method, route, rs->sum, method,
                   route, (unsigned long long)rs->total);
    }
    pthread_mutex_unlock(&lock);
    buf_printf(&b, "# HELP kizuna_db_size_bytes Size of the database file and its WAL.\n"
                   "# TYPE kizuna_db_size_bytes gauge\n"
                   "kizuna_db_size_bytes %lld\n", (long long)store_db_size());
    return buf_steal(&b);
}
