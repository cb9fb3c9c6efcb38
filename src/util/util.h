/*
 * Small utilities every module uses: allocation that aborts on failure, byte buffers with a
 * size cap, checked number parsing, UTC time formatting and parsing, and logging.
 */
#ifndef KZ_UTIL_H
#define KZ_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- memory: these never return NULL; on failure they print and abort (h2o_mem_alloc). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);   /* xstrdup(NULL) returns NULL */
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- buffers: a growable byte buffer that refuses to grow past max (curl dynbuf). */
struct buf {
    char *p;     /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;  /* 0 = unlimited */
};
void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Both return 0, or KZ_ETOOBIG when the result would exceed b->max (b is unchanged). */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands over the contents (caller frees) and leaves b empty. */
char *buf_steal(struct buf *b);

/* ---- numbers: whole-string parses with range checks; return 0 on success, -1 otherwise. */
int parse_i64(const char *s, int64_t *out);
int parse_int_range(const char *s, long min, long max, long *out);

/* ---- time: all times are UTC. */
int64_t now_unix(void);
double now_ms(void);              /* monotonic milliseconds, for durations */
/* Formats t as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void time_format(int64_t t, char out[static 21]);
/* Parses RFC 3339 (with Z or an offset, optional fraction) into unix seconds; -1 if bad. */
int time_parse(const char *s, int64_t *out);
/* Validates "YYYY-MM-DD" (a real calendar date); 0 if valid. */
int date_valid(const char *s);
/* Today's date "YYYY-MM-DD" (UTC) into out. */
void date_today(char out[static 11]);
/* Days from 1970-01-01 for a valid date and back. */
int64_t date_to_days(const char *s);
void date_from_days(int64_t days, char out[static 11]);
/* The same day n months later (n < 0: earlier), clamped to the end of a shorter month. */
int64_t date_add_months(int64_t days, int n);

/* ---- strings */
bool str_eq(const char *a, const char *b);      /* NULL-safe */
/* Whether s is one of list (NULL-terminated; a NULL list has nothing). */
bool str_in_list(const char *s, const char *const *list);
bool utf8_valid(const char *s, size_t n);
/* True when s looks like an email: one '@' with text on both sides, no spaces, controls or
 * list separators. */
bool email_valid(const char *s);
/* True for an ISO 4217-shaped currency code: three uppercase ASCII letters. */
bool currency_code_valid(const char *s);
/* Lowercase ASCII copy; caller frees. */
char *str_lower(const char *s);

/* ---- logging: one line to stderr with a UTC timestamp. */
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...)  log_msg("info", __VA_ARGS__)
#define log_warn(...)  log_msg("warn", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

#endif
