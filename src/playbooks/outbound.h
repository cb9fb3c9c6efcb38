/*
 * The outbound worker: a thread that drains the durable outbound queue (store/playbooks.h)
 * once a second, delivering with libcurl. A webhook is a POST of its JSON body (http:// or
 * https://), signed (X-Kizuna-Timestamp, X-Kizuna-Signature) with the webhook's secret and
 * carrying the message's Idempotency-Key; it succeeds on a 2xx answer. An email goes by SMTP
 * to the "smtp" setting ({"host","port","tls","user","password","from"}; TLS none, STARTTLS
 * or implicit TLS, certificates verified), its Message-ID made from the idempotency key, and
 * is logged on the account's timeline once delivered. A failed attempt is retried with
 * exponential backoff (OUTBOUND_BACKOFF_S x 2^(attempts-1), at most an hour) and given up
 * after OUTBOUND_MAX_ATTEMPTS, keeping the last error. Emails queued before the SMTP settings
 * exist wait for them without spending attempts (PUT settings/smtp wakes the worker). Every
 * transfer has a connect and an overall timeout and reads at most OUTBOUND_RESPONSE_MAX bytes
 * of an answer. KIZUNA_CA_FILE names a CA bundle to verify servers with instead of the
 * system's (tests).
 */
#ifndef KZ_PLAYBOOKS_OUTBOUND_H
#define KZ_PLAYBOOKS_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define OUTBOUND_BACKOFF_S 1
#define OUTBOUND_CONNECT_TIMEOUT_S 10
#define OUTBOUND_TIMEOUT_S 30
#define OUTBOUND_RESPONSE_MAX 65536
#define OUTBOUND_UNCONFIGURED_S 60 /* emails wait this long between looks at missing settings */

int outbound_start(void);
void outbound_stop(void);
/* Wakes the worker (after queueing). */
void outbound_wake(void);

/* The SMTP settings (the "smtp" setting's JSON). Strings are borrowed. */
struct smtp_config {
    const char *host;
    int port;
    const char *tls;      /* "none", "starttls", "tls" */
    const char *user;     /* NULL = no authentication */
    const char *password;
    const char *from;
};

/* Delivery, exposed for tests. Each returns 0, or -1 with err (n bytes) saying why.
 * outbound_http_post: key (Idempotency-Key) and secret (signature) may be NULL. */
int outbound_http_post(const char *url, const char *body, const char *key, const char *secret,
                       char *err, size_t n);
int outbound_smtp_send(const struct smtp_config *c, const char *const *to, size_t nto,
                       const char *message, char *err, size_t n);

/*
 * The RFC 5322 message of an email (CRLF line ends): From, To, Subject (RFC 2047 encoded
 * words when not plain ASCII), Date, Message-ID (<message_id>), and the text body alone
 * (text/plain; charset=UTF-8) or, with an HTML body, multipart/alternative; bodies in
 * base64. The caller frees it.
 */
char *outbound_email_message(const char *from, const char *const *to, size_t nto,
                             const char *subject, const char *text, const char *html,
                             const char *message_id, time_t date);
/* "sha256=" + the hex HMAC-SHA256 under secret of "<timestamp>.<body>" into out. */
void outbound_signature(const char *secret, int64_t timestamp, const char *body,
                        char out[static 72]);
/* The delay before retry number attempts (>= 1), in seconds. */
int64_t outbound_backoff(int64_t attempts);

#endif
