/*
 * The outbound worker: a thread that drains the durable outbound queue (store/playbooks.h)
 * once a second. A webhook is an HTTP/1.1 POST of its JSON body (http:// only) and succeeds
 * on a 2xx answer; an email goes by plain SMTP to the host:port of the "email" setting
 * ({"host","port","from"}). A failed attempt is retried with exponential backoff
 * (OUTBOUND_BACKOFF_S x 2^(attempts-1), at most an hour) and given up after
 * OUTBOUND_MAX_ATTEMPTS, keeping the last error. Emails queued before the email settings
 * exist wait for them without spending attempts (PUT settings/email wakes the worker). Both clients have connect and read timeouts
 * and cap what they read.
 */
#ifndef KZ_PLAYBOOKS_OUTBOUND_H
#define KZ_PLAYBOOKS_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>

#define OUTBOUND_BACKOFF_S 1
#define OUTBOUND_TIMEOUT_S 10
#define OUTBOUND_RESPONSE_MAX 65536
#define OUTBOUND_UNCONFIGURED_S 60 /* emails wait this long between looks at missing settings */

int outbound_start(void);
void outbound_stop(void);
/* Wakes the worker (after queueing). */
void outbound_wake(void);

/* Delivery, exposed for tests. Each returns 0, or -1 with err (n bytes) saying why. */
int outbound_http_post(const char *url, const char *body, char *err, size_t n);
int outbound_smtp_send(const char *host, int port, const char *from, const char *const *to,
                       size_t nto, const char *subject, const char *body, char *err, size_t n);
/* The delay before retry number attempts (>= 1), in seconds. */
int64_t outbound_backoff(int64_t attempts);

#endif
