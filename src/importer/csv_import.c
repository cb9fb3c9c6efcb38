/*
 * The shared CSV import driver (csv_import.h): libcsv in strict mode fed one physical line
 * at a time, cell cleaning, the header/data row dispatch with one savepoint per row, and the
 * report. The importers (accounts_csv.c, surveys_csv.c) only say what a header and a row
 * mean.
 */
#include "importer/csv_import.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcsv's parser state before any character of a row was seen (csv.c ROW_NOT_BEGUN). */
#define CSV_ROW_NOT_BEGUN 0

struct csv_import {
    struct store *st;
    struct import_report *rep;
    const struct csv_import_ops *ops;
    void *ctx;

    bool have_header;
    size_t ncols;              /* the header's width */

    struct csv_cell *cells;    /* the row being read: up to cap cells are kept */
    size_t ncells;             /* cells seen, including those past cap */
    size_t cap;

    long line;                 /* the physical line being fed to the parser */
    long row_line;             /* the line the current row started on */
    int rc;                    /* a database failure or KZ_EINVAL (fatal): stops the import */
    bool stop;
};

/* ------------------------------------------------------------ report */

void import_report_init(struct import_report *rep)
{
    memset(rep, 0, sizeof(*rep));
}

void import_report_free(struct import_report *rep)
{
    for (size_t i = 0; i < rep->nerrors; i++) {
        free(rep->errors[i].column);
        free(rep->errors[i].reason);
    }
    free(rep->errors);
    import_report_init(rep);
}

void import_report_error(struct import_report *rep, long line, const char *column,
                         const char *fmt, ...)
{
    if (rep->nerrors >= IMPORT_MAX_ERRORS) {
        rep->errors_omitted++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *reason = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    va_start(ap, fmt);
    vsnprintf(reason, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);
    rep->errors = xrealloc(rep->errors, (rep->nerrors + 1) * sizeof(*rep->errors));
    rep->errors[rep->nerrors].line = line;
    rep->errors[rep->nerrors].column = xstrdup(column);
    rep->errors[rep->nerrors].reason = reason;
    rep->nerrors++;
}

struct import_report *csv_import_report(struct csv_import *ci)
{
    return ci->rep;
}

void csv_import_fatal(struct csv_import *ci, long line, const char *column, const char *fmt, ...)
{
    struct import_report *rep = ci->rep;
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    import_report_free(rep);
    rep->fatal = true;
    import_report_error(rep, line, column, "%s", msg);
    ci->rc = KZ_EINVAL;
    ci->stop = true;
}

/* ------------------------------------------------------------ cells */

/* Length of the whitespace at s (ASCII space, tab, CR, LF, or U+3000 ideographic space). */
static size_t space_at(const char *s, size_t n)
{
    if (n >= 1 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        return 1;
    if (n >= 3 && (unsigned char)s[0] == 0xe3 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0x80)
        return 3;
    return 0;
}

static bool formula_char(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* A trimmed copy of s[0..n) (caller frees), with one leading ' removed when it guards a
 * formula character (the export adds it: see api/accounts_csv.c). */
static char *cell_clean(const char *s, size_t n)
{
    size_t k;
    while (n && (k = space_at(s, n)) > 0)
        s += k, n -= k;
    while (n) {
        if (space_at(s + n - 1, 1))
            n--;
        else if (n >= 3 && space_at(s + n - 3, 3) == 3)
            n -= 3;
        else
            break;
    }
    size_t q = 0;
    while (q < n && s[q] == '\'')
        q++;
    if (q > 0 && q < n && formula_char(s[q]))
        s++, n--;
    return xstrndup(s, n);
}

static void row_reset(struct csv_import *ci)
{
    size_t kept = ci->ncells < ci->cap ? ci->ncells : ci->cap;
    for (size_t i = 0; i < kept; i++)
        free(ci->cells[i].v);
    ci->ncells = 0;
}

/* libcsv's field callback: keeps the cell if the row still has room for it. */
static void on_field(void *field, size_t len, void *data)
{
    struct csv_import *ci = data;
    if (ci->stop)
        return;
    if (ci->ncells < ci->cap) {
        struct csv_cell *c = &ci->cells[ci->ncells];
        const char *s = field ? field : "";
        if (!field)
            len = 0;
        c->v = NULL;
        if (len > IMPORT_MAX_CELL)
            c->state = CSV_CELL_TOO_BIG;
        else if (memchr(s, '\0', len))
            c->state = CSV_CELL_NUL;
        else if (!utf8_valid(s, len))
            c->state = CSV_CELL_BAD_UTF8;
        else {
            c->state = CSV_CELL_OK;
            c->v = cell_clean(s, len);
        }
    }
    ci->ncells++;
}

const char *csv_cell_problem(int state)
{
    switch (state) {
    case CSV_CELL_TOO_BIG:
        return "longer than 10000 bytes";
    case CSV_CELL_NUL:
        return "contains a NUL byte";
    case CSV_CELL_BAD_UTF8:
        return "invalid UTF-8";
    default:
        return "bad cell";
    }
}

static bool row_blank(struct csv_import *ci)
{
    size_t kept = ci->ncells < ci->cap ? ci->ncells : ci->cap;
    if (ci->ncells > kept)
        return false;
    for (size_t i = 0; i < kept; i++)
        if (ci->cells[i].state != CSV_CELL_OK || ci->cells[i].v[0])
            return false;
    return true;
}

/* ------------------------------------------------------------ rows */

static void process_header(struct csv_import *ci)
{
    if (ci->ncells > IMPORT_MAX_COLUMNS) {
        csv_import_fatal(ci, ci->row_line, NULL,
                         "the header has %zu columns; at most %d are allowed", ci->ncells,
                         IMPORT_MAX_COLUMNS);
        return;
    }
    ci->ops->header(ci, ci->cells, ci->ncells, ci->row_line, ci->ctx);
    if (ci->stop)
        return;
    ci->ncols = ci->ncells;
    ci->have_header = true;
}

/* One data row: the importer's row callback inside its own savepoint. A refused row is
 * counted as failed (its errors are in the report); a database failure stops the import. */
static void process_row(struct csv_import *ci)
{
    struct import_report *rep = ci->rep;
    enum csv_row_outcome outcome = CSV_ROW_CREATED;
    long line = ci->row_line;
    int rc;

    if (++rep->rows > IMPORT_MAX_ROWS) {
        csv_import_fatal(ci, line, NULL, "more than %d rows", IMPORT_MAX_ROWS);
        return;
    }
    if (ci->ncells > ci->ncols) {
        import_report_error(rep, line, NULL, "the row has %zu cells but the header has %zu "
                                             "columns", ci->ncells, ci->ncols);
        rep->failed++;
        return;
    }
    rc = store_begin(ci->st);
    if (rc == KZ_OK) {
        rc = ci->ops->row(ci, ci->cells, ci->ncells, line, &outcome, ci->ctx);
        if (rc == KZ_OK)
            rc = store_commit(ci->st);
        else
            store_rollback(ci->st);
    }
    if (rc == KZ_OK) {
        if (outcome == CSV_ROW_CREATED)
            rep->created++;
        else
            rep->updated++;
    } else if (rc == KZ_EINVAL) {
        rep->failed++;
    } else {
        log_error("import: database failure at line %ld: %s", line, kz_strerror(rc));
        ci->rc = rc;
        ci->stop = true;
    }
}

/* libcsv's row callback. */
static void on_row(int c, void *data)
{
    struct csv_import *ci = data;
    (void)c;
    if (ci->stop)
        goto out;
    if (row_blank(ci))
        goto out;
    if (!ci->have_header)
        process_header(ci);
    else
        process_row(ci);
out:
    row_reset(ci);
    /* Data rows keep one cell per column; more are counted and refused. */
    if (ci->have_header)
        ci->cap = ci->ncols;
}

/* ------------------------------------------------------------ driver */

/* Length of the physical line at p (through its LF, CR, or CRLF), at most n. */
static size_t line_len(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            return i + 1;
        if (p[i] == '\r')
            return i + 1 < n && p[i + 1] == '\n' ? i + 2 : i + 1;
    }
    return n;
}

int csv_import_run(struct store *st, const char *data, size_t len, struct import_report *rep,
                   const struct csv_import_ops *ops, void *ctx)
{
    struct csv_import ci;
    struct csv_parser parser;
    bool parser_ready = false, in_tx = false;
    int rc;

    memset(&ci, 0, sizeof(ci));
    ci.st = st;
    ci.rep = rep;
    ci.ops = ops;
    ci.ctx = ctx;
    ci.line = 1;
    ci.row_line = 1;
    ci.cap = IMPORT_MAX_COLUMNS + 1;
    ci.cells = xcalloc(ci.cap, sizeof(*ci.cells));

    if (!data)
        len = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        data += 3, len -= 3;

    rc = store_begin(st);
    if (rc)
        goto out;
    in_tx = true;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        abort();
    parser_ready = true;

    size_t pos = 0;
    while (pos < len && !ci.stop) {
        size_t n = line_len(data + pos, len - pos);
        if (parser.pstate == CSV_ROW_NOT_BEGUN)
            ci.row_line = ci.line;
        if (csv_parse(&parser, data + pos, n, on_field, on_row, &ci) != n) {
            if (ci.stop)
                break;
            if (csv_error(&parser) == CSV_ENOMEM || csv_error(&parser) == CSV_ETOOBIG)
                abort();
            if (ci.row_line == ci.line)
                csv_import_fatal(&ci, ci.row_line, NULL, "malformed quoting");
            else
                csv_import_fatal(&ci, ci.row_line, NULL,
                                 "malformed quoting (found on line %ld)", ci.line);
            break;
        }
        pos += n;
        ci.line++;
    }
    if (!ci.stop) {
        if (parser.pstate == CSV_ROW_NOT_BEGUN)
            ci.row_line = ci.line;
        if (csv_fini(&parser, on_field, on_row, &ci) != 0 && !ci.stop)
            csv_import_fatal(&ci, ci.row_line, NULL,
                             "malformed quoting: a quoted cell is not closed");
    }
    if (!ci.stop && !ci.have_header)
        csv_import_fatal(&ci, 1, NULL, "the file is empty: no header row");

    rc = ci.rc;
    if (rc == KZ_OK) {
        rc = store_commit(st);
        in_tx = false;
    }
out:
    if (in_tx)
        store_rollback(st);
    if (rc && !rep->fatal) {
        /* a database failure: nothing was imported */
        rep->created = rep->updated = 0;
    }
    if (rep->fatal)
        rep->rows = rep->created = rep->updated = rep->failed = 0;
    if (parser_ready)
        csv_free(&parser);
    row_reset(&ci);
    free(ci.cells);
    return rc;
}

int csv_import_read_file(const char *path, struct buf *b)
{
    char chunk[65536];
    size_t n;
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(b, chunk, n)) {
            errno = EFBIG;
            rc = -1;
            goto out;
        }
    }
    if (ferror(f))
        rc = -1;
out:
    fclose(f);
    return rc;
}
