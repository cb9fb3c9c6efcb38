/*
 * Implementation of util.h: aborting allocators, capped buffers, checked parsing, UTC time
 * and the log line format. Nothing here knows about HTTP, JSON or SQL.
 */
#include "util/util.h"
#include "kizuna.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(size_t n)
{
    fprintf(stderr, "kizuna: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* ---------------------------------------------------------------- buffers */

void buf_init(struct buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    free(b->p);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
    if (b->max && (extra > b->max || b->len > b->max - extra))
        return KZ_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
    if (buf_reserve(b, n))
        return KZ_ETOOBIG;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n))
        return KZ_ETOOBIG;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *buf_steal(struct buf *b)
{
    char *p = b->p ? b->p : xstrdup("");
    buf_init(b, b->max);
    return p;
}

/* ---------------------------------------------------------------- numbers */

int parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int parse_int_range(const char *s, long min, long max, long *out)
{
    int64_t v;
    if (parse_i64(s, &v) || v < min || v > max)
        return -1;
    *out = (long)v;
    return 0;
}

/* ---------------------------------------------------------------- time */

int64_t now_unix(void)
{
    return (int64_t)time(NULL);
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void time_format(int64_t t, char out[static 21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_ymd(const char *s, int *y, int *m, int *d)
{
    if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, m) || s[7] != '-' ||
        digits(s + 8, 2, d))
        return -1;
    if (*y < 1900 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int date_valid(const char *s)
{
    int y, m, d;
    if (!s || strlen(s) != 10)
        return -1;
    return parse_ymd(s, &y, &m, &d);
}

int64_t date_to_days(const char *s)
{
    int y, m, d;
    if (parse_ymd(s, &y, &m, &d))
        return 0;
    return days_from_civil(y, m, d);
}

void date_from_days(int64_t days, char out[static 11])
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The calendar date of a day number (inverse of days_from_civil). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int64_t date_add_months(int64_t days, int n)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int total = y * 12 + (m - 1) + n;
    y = total / 12;
    m = total % 12 + 1;
    int last = days_in_month(y, m);
    return days_from_civil(y, m, d > last ? last : d);
}

void date_today(char out[static 11])
{
    date_from_days(now_unix() / 86400, out);
}

int time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 20 || parse_ymd(s, &y, &mo, &d))
        return -1;
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return -1;
    if (h > 23 || mi > 59 || se > 60)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = (oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se) - off;
    return 0;
}

/* ---------------------------------------------------------------- strings */

bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool str_in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        size_t len;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if ((size_t)(e - p) < len)
            return false;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
        p += len;
    }
    return true;
}

bool email_valid(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strpbrk(s, "<>,;"))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

bool currency_code_valid(const char *s)
{
    return s && strlen(s) == 3 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) &&
           isupper((unsigned char)s[2]);
}

char *str_lower(const char *s)
{
    char *r = xstrdup(s);
    for (char *p = r; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return r;
}

/* ---------------------------------------------------------------- logging */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_msg(const char *level, const char *fmt, ...)
{
    char ts[21];
    time_format(now_unix(), ts);
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s %s ", ts, level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&log_lock);
    va_end(ap);
}

/* ---------------------------------------------------------------- kizuna.h */

const char *kz_strerror(enum kz_rc rc)
{
    switch (rc) {
    case KZ_OK: return "ok";
    case KZ_ENOMEM: return "out of memory";
    case KZ_EINVAL: return "invalid input";
    case KZ_ENOTFOUND: return "not found";
    case KZ_ECONFLICT: return "conflict";
    case KZ_EBUSY: return "database busy";
    case KZ_EDB: return "database error";
    case KZ_ETOOBIG: return "too large";
    case KZ_EAUTH: return "not authenticated";
    case KZ_EFORBIDDEN: return "forbidden";
    }
    return "unknown error";
}

const char *role_name(enum role r)
{
    switch (r) {
    case ROLE_VIEWER: return "viewer";
    case ROLE_CSM: return "csm";
    case ROLE_ADMIN: return "admin";
    case ROLE_NONE: break;
    }
    return "none";
}

int role_parse(const char *s, enum role *out)
{
    if (str_eq(s, "viewer"))
        *out = ROLE_VIEWER;
    else if (str_eq(s, "csm"))
        *out = ROLE_CSM;
    else if (str_eq(s, "admin"))
        *out = ROLE_ADMIN;
    else
        return KZ_EINVAL;
    return KZ_OK;
}
