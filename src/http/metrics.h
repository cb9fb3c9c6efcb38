/* Request counters and latency histograms per route, rendered as Prometheus text. */
#ifndef KZ_HTTP_METRICS_H
#define KZ_HTTP_METRICS_H

#include <stddef.h>

/* route_index == routes_count means "no route matched". */
void metrics_record(size_t route_index, unsigned status, double ms);
/* The Prometheus text exposition (version 0.0.4); caller frees. */
char *metrics_render(void);

#endif
