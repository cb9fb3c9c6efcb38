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

#include "importer/csv_import.h"
#include "store/store.h"

/* Imports the CSV in data[0..len) into st with the shared driver (csv_import.h), in one
 * transaction (each row in a nested one).
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
