/*
 * Account import from CSV (libcsv, RFC 4180). Columns are found by header name
 * (case-insensitive, trimmed; a UTF-8 BOM at the start of the file is ignored). The known
 * columns set account fields and the current subscription; any other column becomes a custom
 * field. Rows update the account they match (by external_id, else by domain) and create one
 * otherwise. Valid rows are imported; a bad row is reported with its file line, the column
 * and the reason, and nothing of it is written. `kizuna import accounts FILE.csv` and
 * POST /api/v1/import/accounts both run import_accounts_csv().
 */
#ifndef KZ_IMPORTER_ACCOUNTS_CSV_H
#define KZ_IMPORTER_ACCOUNTS_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "store/store.h"

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
    size_t updated;  /* rows that matched an existing account */
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

/* Imports the CSV in data[0..len) into st, in one transaction (each row in a nested one).
 * rep must be initialised; it is filled in. Returns KZ_OK when the file was read (rows may
 * still have failed: see rep->failed), KZ_EINVAL when the file is unusable (rep->fatal),
 * or KZ_EDB / KZ_EBUSY when the database failed (nothing imported). */
int import_accounts_csv(struct store *st, const char *data, size_t len,
                        struct import_report *rep);

/* `kizuna import accounts FILE`: reads csv_path, imports it through store_get(), and prints
 * a summary and every error to out. Returns the process exit code: 0 when every row was
 * imported, 1 when some rows (or the file's content) failed, 2 when the file is unreadable
 * or the database failed. */
int importer_cli(const char *csv_path, FILE *out);

#endif
