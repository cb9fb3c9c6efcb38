/*
 * The outbound worker (outbound.h): the thread, the retry schedule, and delivery through
 * libcurl: HTTP(S) POSTs for webhooks (signed, with an Idempotency-Key) and SMTP for emails
 * (none, STARTTLS or implicit TLS, optional AUTH), each with a connect timeout, an overall
 * timeout and a cap on what is read back. Emails are built here as MIME messages.
 */
#include "playbooks/outbound.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "store/playbooks.h"
#include "util/crypto.h"
#include "util/util.h"

/* ------------------------------------------------------------ libcurl */

/* What a transfer reads back: counted, never kept, stopped at the cap. */
static size_t on_read_back(char *p, size_t size, size_t nmemb, void *arg)
{
    (void)p;
    size_t *seen = arg;
    *seen += size * nmemb;
    return *seen > OUTBOUND_RESPONSE_MAX ? 0 : size * nmemb;
}

/* The options every transfer shares. */
static void curl_common(CURL *c, char *errbuf, size_t *seen)
{
    const char *ca = getenv("KIZUNA_CA_FILE");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)OUTBOUND_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)OUTBOUND_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_read_back);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, seen);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca && *ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
}

static void curl_error(char *err, size_t n, CURLcode cc, const char *errbuf)
{
    snprintf(err, n, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
}

/* ------------------------------------------------------------ webhooks */

void outbound_signature(const char *secret, int64_t timestamp, const char *body,
                        char out[static 72])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24];
    crypto_auth_hmacsha256_state state;
    int tl = snprintf(ts, sizeof(ts), "%lld.", (long long)timestamp);
    crypto_auth_hmacsha256_init(&state, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)ts, (unsigned long long)tl);
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&state, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, 65, mac, sizeof(mac));
}

int outbound_http_post(const char *url, const char *body, const char *key, const char *secret,
                       char *err, size_t n)
{
    char errbuf[CURL_ERROR_SIZE] = "", line[300];
    size_t seen = 0;
    struct curl_slist *hdr = NULL;
    int ret = -1;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, n, "cannot start a transfer");
        return -1;
    }
    curl_common(c, errbuf, &seen);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kizuna/" KZ_VERSION);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    if (key) {
        snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
        hdr = curl_slist_append(hdr, line);
    }
    if (secret) {
        char sig[72];
        int64_t ts = now_unix();
        outbound_signature(secret, ts, body, sig);
        snprintf(line, sizeof(line), "X-Kizuna-Timestamp: %lld", (long long)ts);
        hdr = curl_slist_append(hdr, line);
        snprintf(line, sizeof(line), "X-Kizuna-Signature: %s", sig);
        hdr = curl_slist_append(hdr, line);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* A 2xx whose answer passed the cap was still received. */
    if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && status >= 200 && status <= 299)) {
        curl_error(err, n, cc, errbuf);
        goto out;
    }
    if (status < 200 || status > 299) {
        snprintf(err, n, "HTTP %ld", status);
        goto out;
    }
    ret = 0;
out:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return ret;
}

/* ------------------------------------------------------------ email */

/* Appends s base64-encoded in lines of 76 characters, each ended by CRLF. */
static void put_base64(struct buf *b, const char *s)
{
    size_t len = strlen(s);
    for (size_t off = 0; off < len || off == 0; off += 57) {
        size_t k = len - off < 57 ? len - off : 57;
        char line[80];
        sodium_bin2base64(line, sizeof(line), (const unsigned char *)s + off, k,
                          sodium_base64_VARIANT_ORIGINAL);
        buf_printf(b, "%s\r\n", line);
        if (len == 0)
            break;
    }
}

/* Appends the Subject header: as it is when printable ASCII, else RFC 2047 encoded words of
 * at most 45 bytes of UTF-8 each (whole characters), folded one word a line. */
static void put_subject(struct buf *b, const char *s)
{
    bool plain = strlen(s) <= 900;
    for (const unsigned char *c = (const unsigned char *)s; *c && plain; c++)
        plain = *c >= ' ' && *c < 0x7f;
    if (plain && !strstr(s, "=?")) {
        buf_printf(b, "Subject: %s\r\n", s);
        return;
    }
    buf_printf(b, "Subject:");
    size_t len = strlen(s), off = 0;
    if (len == 0)
        buf_printf(b, " \r\n");
    while (off < len) {
        size_t k = len - off < 45 ? len - off : 45;
        while (off + k < len && (((unsigned char)s[off + k]) & 0xC0) == 0x80)
            k--; /* do not split a character */
        char word[80];
        sodium_bin2base64(word, sizeof(word), (const unsigned char *)s + off, k,
                          sodium_base64_VARIANT_ORIGINAL);
        buf_printf(b, "%s=?UTF-8?B?%s?=\r\n", off ? " " : " ", word);
        off += k;
    }
}

char *outbound_email_message(const char *from, const char *const *to, size_t nto,
                             const char *subject, const char *text, const char *html,
                             const char *message_id, time_t date)
{
    struct buf b;
    char when[64], boundary[40];
    struct tm tm;
    buf_init(&b, 0);
    gmtime_r(&date, &tm);
    strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    buf_printf(&b, "From: %s\r\nTo: ", from);
    for (size_t i = 0; i < nto; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", to[i]);
    buf_printf(&b, "\r\n");
    put_subject(&b, subject);
    buf_printf(&b, "Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nX-Mailer: kizuna\r\n",
               when, message_id);
    if (!html) {
        buf_printf(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n");
        put_base64(&b, text);
        return buf_steal(&b);
    }
    unsigned char rnd[12];
    char hex[25];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(boundary, sizeof(boundary), "=_kizuna_%s", hex);
    buf_printf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
    buf_printf(&b, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
    put_base64(&b, text);
    buf_printf(&b, "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
    put_base64(&b, html);
    buf_printf(&b, "--%s--\r\n", boundary);
    return buf_steal(&b);
}

struct upload {
    const char *p;
    size_t left;
};

static size_t on_upload(char *dst, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t k = size * nmemb < u->left ? size * nmemb : u->left;
    memcpy(dst, u->p, k);
    u->p += k;
    u->left -= k;
    return k;
}

int outbound_smtp_send(const struct smtp_config *cfg, const char *const *to, size_t nto,
                       const char *message, char *err, size_t n)
{
    char errbuf[CURL_ERROR_SIZE] = "", url[300], from[300];
    size_t seen = 0;
    struct curl_slist *rcpt = NULL;
    struct upload up = {message, strlen(message)};
    int ret = -1;
    bool tls = str_eq(cfg->tls, "tls");
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, n, "cannot start a transfer");
        return -1;
    }
    curl_common(c, errbuf, &seen);
    snprintf(url, sizeof(url), strchr(cfg->host, ':') ? "%s://[%s]:%d/kizuna" : "%s://%s:%d/kizuna",
             tls ? "smtps" : "smtp", cfg->host, cfg->port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (str_eq(cfg->tls, "starttls"))
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (cfg->user && *cfg->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    snprintf(from, sizeof(from), "<%s>", cfg->from);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    for (size_t i = 0; i < nto; i++) {
        char r[330];
        snprintf(r, sizeof(r), "<%s>", to[i]);
        rcpt = curl_slist_append(rcpt, r);
    }
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.left);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        curl_error(err, n, cc, errbuf);
        goto out;
    }
    ret = 0;
out:
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return ret;
}

/* ------------------------------------------------------------ the worker */

int64_t outbound_backoff(int64_t attempts)
{
    int64_t d = OUTBOUND_BACKOFF_S;
    for (int64_t i = 1; i < attempts && d < 3600; i++)
        d *= 2;
    return d < 3600 ? d : 3600;
}

/* The domain of an address ("example.com" of "cs@example.com"). */
static const char *domain_of(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at && at[1] ? at + 1 : "kizuna.invalid";
}

/* Sends email message m. 0 delivered, -1 failed (err says why), 1 the SMTP settings are
 * missing (err says so). */
static int deliver_email(struct store *st, const struct outbound_msg *m, json_t *p, char *err,
                         size_t n)
{
    char *cfg = NULL;
    json_t *c = NULL;
    int ret = -1;
    if (store_setting_get(st, "smtp", &cfg) == KZ_OK)
        c = json_loads(cfg, 0, NULL);
    if (cfg)
        secret_wipe(cfg);
    free(cfg);
    struct smtp_config sc = {
        .host = json_string_value(json_object_get(c, "host")),
        .port = (int)json_integer_value(json_object_get(c, "port")),
        .tls = json_string_value(json_object_get(c, "tls")),
        .user = json_string_value(json_object_get(c, "user")),
        .password = json_string_value(json_object_get(c, "password")),
        .from = json_string_value(json_object_get(c, "from")),
    };
    json_t *to = json_object_get(p, "to");
    if (!sc.host || !sc.from || sc.port <= 0) {
        snprintf(err, n, "SMTP settings are missing (PUT /api/v1/settings/smtp)");
        ret = 1; /* not an attempt: wait for the settings */
    } else if (json_is_array(to) && json_array_size(to) > 0 && json_array_size(to) <= 50) {
        const char *rcpt[50];
        size_t k = 0, i;
        json_t *x;
        json_array_foreach(to, i, x) {
            if (json_is_string(x))
                rcpt[k++] = json_string_value(x);
        }
        const char *subject = json_string_value(json_object_get(p, "subject"));
        const char *text = json_string_value(json_object_get(p, "body_text"));
        if (!text) /* queued before templates (010's form) */
            text = json_string_value(json_object_get(p, "body"));
        char *mid = xasprintf("%s@%s", m->idempotency_key ? m->idempotency_key : "kizuna",
                              domain_of(sc.from));
        char *msg = outbound_email_message(sc.from, rcpt, k, subject ? subject : "",
                                           text ? text : "",
                                           json_string_value(json_object_get(p, "body_html")),
                                           mid, time(NULL));
        ret = outbound_smtp_send(&sc, rcpt, k, msg, err, n);
        free(msg);
        free(mid);
    } else {
        snprintf(err, n, "email payload has no recipients");
    }
    json_decref(c);
    return ret;
}

/* 0 delivered, -1 failed (err says why), 1 the channel is not configured (err says so).
 * *p gets the parsed payload (the caller frees it). */
static int deliver(struct store *st, const struct outbound_msg *m, json_t **pp, char *err,
                   size_t n)
{
    json_t *p = *pp = json_loads(m->payload, 0, NULL);
    int ret = -1;
    if (!p) {
        snprintf(err, n, "payload is not JSON");
        return -1;
    }
    if (strcmp(m->kind, "webhook") == 0) {
        json_t *url = json_object_get(p, "url");
        char *body = json_dumps(json_object_get(p, "body"), JSON_COMPACT);
        if (json_is_string(url) && body)
            ret = outbound_http_post(json_string_value(url), body, m->idempotency_key,
                                     m->secret, err, n);
        else
            snprintf(err, n, "webhook payload lacks url or body");
        free(body);
    } else {
        ret = deliver_email(st, m, p, err, n);
    }
    return ret;
}

/* Records a delivered email on its account's timeline: type email, the subject, the
 * recipients (and the contact it went to). */
static int log_email(struct store *st, const struct outbound_msg *m, json_t *p)
{
    if (!m->account_id)
        return KZ_OK;
    struct timeline_entry e = {0};
    struct buf body;
    int64_t contact = json_integer_value(json_object_get(p, "contact_id"));
    size_t i;
    json_t *x;
    buf_init(&body, 0);
    buf_printf(&body, "To:");
    json_array_foreach(json_object_get(p, "to"), i, x) buf_printf(&body, " %s",
                                                                   json_string_value(x));
    buf_printf(&body, "\nMessage-ID: %s", m->idempotency_key ? m->idempotency_key : "");
    e.account_id = m->account_id;
    e.type = xstrdup("email");
    time_format(now_unix(), e.occurred_at);
    const char *subject = json_string_value(json_object_get(p, "subject"));
    e.summary = xstrdup(subject && *subject ? subject : "(no subject)");
    e.body = buf_steal(&body);
    if (contact > 0) {
        e.contact_ids = xmalloc(sizeof(int64_t));
        e.contact_ids[0] = contact;
        e.ncontacts = 1;
    }
    int rc = store_timeline_create(st, &e);
    if (rc == KZ_EINVAL) { /* the contact was deleted since: log without it */
        e.ncontacts = 0;
        rc = store_timeline_create(st, &e);
    }
    timeline_entry_cleanup(&e);
    return rc;
}

static pthread_mutex_t ob_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ob_wake = PTHREAD_COND_INITIALIZER;
static bool ob_stop, ob_running, ob_kick;
static pthread_t ob_thread;

/* Attempts every due message once. */
static void drain(struct store *st)
{
    char now[21];
    struct outbound_msg *v = NULL;
    size_t n = 0;
    time_format(now_unix(), now);
    if (store_outbound_due(st, now, 20, &v, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        char err[300] = "", next[21];
        json_t *p = NULL;
        int d = deliver(st, &v[i], &p, err, sizeof(err));
        int ok = d == 0, rc;
        int64_t attempts = v[i].attempts + 1;
        if (d == 1) { /* not configured: look again in a minute, no attempt counted */
            time_format(now_unix() + OUTBOUND_UNCONFIGURED_S, next);
            if ((rc = store_outbound_defer(st, v[i].id, err, next)))
                log_warn("outbound %lld: deferring failed (%d)", (long long)v[i].id, rc);
            json_decref(p);
            continue;
        }
        time_format(now_unix() + outbound_backoff(attempts), next);
        /* Sent and, for an email, its timeline entry: together. */
        rc = store_begin(st);
        if (rc == KZ_OK)
            rc = store_outbound_attempt(st, v[i].id, ok ? NULL : err,
                                        ok || attempts >= OUTBOUND_MAX_ATTEMPTS ? NULL : next);
        if (rc == KZ_OK && ok && strcmp(v[i].kind, "email") == 0)
            rc = log_email(st, &v[i], p);
        if (rc == KZ_OK)
            rc = store_commit(st);
        else
            store_rollback(st);
        if (!ok)
            log_warn("outbound %lld (%s) attempt %lld failed: %s", (long long)v[i].id,
                     v[i].kind, (long long)attempts, err);
        if (rc)
            log_warn("outbound %lld: recording the attempt failed (%d)", (long long)v[i].id, rc);
        json_decref(p);
    }
    outbound_msgs_free(v, n);
}

static void *ob_main(void *arg)
{
    (void)arg;
    struct store *st = store_get();
    pthread_mutex_lock(&ob_lock);
    while (!ob_stop) {
        pthread_mutex_unlock(&ob_lock);
        drain(st);
        pthread_mutex_lock(&ob_lock);
        if (!ob_stop && !ob_kick) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&ob_wake, &ob_lock, &until);
        }
        ob_kick = false;
    }
    pthread_mutex_unlock(&ob_lock);
    return NULL;
}

void outbound_wake(void)
{
    pthread_mutex_lock(&ob_lock);
    ob_kick = true;
    pthread_cond_signal(&ob_wake);
    pthread_mutex_unlock(&ob_lock);
}

int outbound_start(void)
{
    ob_stop = false;
    if (curl_global_init(CURL_GLOBAL_DEFAULT))
        return -1;
    if (pthread_create(&ob_thread, NULL, ob_main, NULL)) {
        curl_global_cleanup();
        return -1;
    }
    ob_running = true;
    return 0;
}

void outbound_stop(void)
{
    if (!ob_running)
        return;
    pthread_mutex_lock(&ob_lock);
    ob_stop = true;
    pthread_cond_signal(&ob_wake);
    pthread_mutex_unlock(&ob_lock);
    pthread_join(ob_thread, NULL);
    ob_running = false;
    curl_global_cleanup();
}
