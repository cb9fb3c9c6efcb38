/*
 * Survey response import from CSV, on the shared driver (csv_import.h): the answers
 * collected by another tool (a survey service's export) stored as survey responses.
 *
 * Columns, by header name (case-insensitive): account_external_id (or external_id) and/or
 * account_id, which name the account; contact_email (or email, optional: a contact of that
 * account); type (nps, csat, ces); score (an integer in the type's range: NPS 0-10, CSAT
 * 1-5, CES 1-7); comment (optional); answered_at (a date YYYY-MM-DD, read as midnight UTC,
 * or an RFC 3339 time; not in the future). Any other column refuses the file.
 *
 * Natural key: (account, contact or none, type, answered_at to the second). A row whose key
 * is already stored is the same answer: it is not stored twice, its score and comment are set
 * from the file and it counts as "updated"; so re-importing a file never duplicates.
 * A csm may import answers only for the accounts it may write (its own and unassigned ones);
 * a row for another account is refused with the account column named.
 */
#ifndef KZ_IMPORTER_SURVEYS_CSV_H
#define KZ_IMPORTER_SURVEYS_CSV_H

#include "importer/csv_import.h"
#include "store/store.h"

/* Imports the CSV in data[0..len) as the user user_id with role role (admin: any account;
 * csm: its own and unassigned ones). rep must be initialised; it is filled in. Returns as
 * csv_import_run(). The accounts that got answers are touched for the scheduler once the
 * import is committed. */
int import_survey_responses_csv(struct store *st, const char *data, size_t len, int64_t user_id,
                                enum role role, struct import_report *rep);

#endif
