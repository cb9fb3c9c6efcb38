/*
 * The CSV import machinery every importer shares (accounts, survey responses): libcsv in
 * strict RFC 4180 mode, fed one physical line at a time so that every row is known by the
 * file line it starts on; cells trimmed (also of U+3000), checked for size, NUL bytes and
 * UTF-8, and un-guarded (a leading ' before = + - @ that an export added is removed); blank
 * rows skipped; the first non-blank row handed to the importer as the header, each further
 * row as data inside its own savepoint of one import transaction, so a row is imported whole
 * or not at all; and the report of rows, created, updated, failed, and errors with line,
 * column and reason. A file-level problem (header, malformed quoting, more than
 * IMPORT_MAX_ROWS rows) rolls back everything and leaves one fatal error.
 */
#ifndef KZ_IMPORTER_CSV_IMPORT_H
#define KZ_IMPORTER_CSV_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "util/util.h"

#define IMPORT_MAX_ROWS 100000
#define IMPORT_MAX_COLUMNS 200
#define IMPORT_MAX_CELL 10000
/* Errors kept in a report; further ones are only counted (errors_omitted). */
#define IMPORT_MAX_ERRORS 1000

struct import_error {
    long line;     /* 1-based file line where the row starts (the header is line 1) */
    char *column;  /* the column's header name, or NULL when the error is about the row */
    char *reason;
};

struct import_report {
    size_t rows;     /* data rows read (blank lines are not rows) */
    size_t created;
    size_t updated;  /* rows that matched an existing record */
    size_t failed;   /* rows not imported */
    struct import_error *errors;
    size_t nerrors;
    size_t errors_omitted;
    /* Set when the file itself is unusable (no header, a bad header, too many rows): then
     * nothing was imported, the counts are 0 and errors[0] says why. */
    bool fatal;
};

void import_report_init(struct import_report *rep);
/* Frees what the report owns (the errors) and leaves it empty; rep itself is the caller's. */
void import_report_free(struct import_report *rep);
/* Adds an error (column may be NULL); past IMPORT_MAX_ERRORS it is only counted. */
void import_report_error(struct import_report *rep, long line, const char *column,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

enum csv_cell_state { CSV_CELL_OK = 0, CSV_CELL_TOO_BIG, CSV_CELL_BAD_UTF8, CSV_CELL_NUL };

struct csv_cell {
    char *v;     /* trimmed and unescaped; NULL unless state is CSV_CELL_OK */
    int state;   /* enum csv_cell_state */
};
/* What is wrong with a cell that is not CSV_CELL_OK ("invalid UTF-8", ...). */
const char *csv_cell_problem(int state);

struct csv_import;

enum csv_row_outcome { CSV_ROW_CREATED, CSV_ROW_UPDATED };

/* What an importer plugs in. Cells are the driver's: valid only during the call. */
struct csv_import_ops {
    /* The header row (n cells, starting on file line `line`). Refuses the file with
     * csv_import_fatal. */
    void (*header)(struct csv_import *ci, const struct csv_cell *cells, size_t n, long line,
                   void *ctx);
    /*
     * One data row (n <= the header's width; the driver refuses wider rows), inside its own
     * savepoint. Returns KZ_OK with *outcome set when the row was written; KZ_EINVAL when
     * the row is refused (its errors reported with import_report_error on `line`: then
     * nothing of it is kept); any other code is a database failure that stops the import.
     */
    int (*row)(struct csv_import *ci, const struct csv_cell *cells, size_t n, long line,
               enum csv_row_outcome *outcome, void *ctx);
};

/* Imports the CSV in data[0..len) into st with ops (a UTF-8 BOM is skipped). rep must be
 * initialised; it is filled in. Returns KZ_OK when the file was read (rows may still have
 * failed: rep->failed), KZ_EINVAL when the file is unusable (rep->fatal), or KZ_EDB /
 * KZ_EBUSY when the database failed (nothing imported). */
int csv_import_run(struct store *st, const char *data, size_t len, struct import_report *rep,
                   const struct csv_import_ops *ops, void *ctx);
/* The file is unusable: forgets the rows and errors so far, keeps only this error, stops. */
void csv_import_fatal(struct csv_import *ci, long line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The report being filled. */
struct import_report *csv_import_report(struct csv_import *ci);

/* Reads the whole file at path into b (which caps its size); 0, or -1 with errno set. */
int csv_import_read_file(const char *path, struct buf *b);

#endif
