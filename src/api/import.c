/*
 * POST /api/v1/import/accounts (admin) and /api/v1/import/survey-responses (csm, admin):
 * the body is a CSV file (the HTTP layer has checked its content type and size). The rows
 * are imported by importer/accounts_csv.c or importer/surveys_csv.c and the reply is the
 * report: 200 {"rows","created","updated","failed","errors":[{"line","column","reason"}]}
 * even when some rows failed, because the valid ones were imported; 422 when the file itself
 * cannot be used (no header, a bad header, malformed quoting, too many rows).
 */
#include "api/api.h"
#include "sched/sched.h"
#include "api/fields.h"
#include "importer/accounts_csv.h"
#include "importer/surveys_csv.h"

/* The report as JSON (a new reference for the caller). */
static json_t *report_json(const struct import_report *rep)
{
    json_t *errors = json_array();
    for (size_t i = 0; i < rep->nerrors; i++) {
        const struct import_error *e = &rep->errors[i];
        json_array_append_new(errors, json_pack("{s:I, s:o, s:s}", "line", (json_int_t)e->line,
                                                "column", json_str_or_null(e->column),
                                                "reason", e->reason));
    }
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:o}", "rows", (json_int_t)rep->rows,
                          "created", (json_int_t)rep->created, "updated",
                          (json_int_t)rep->updated, "failed", (json_int_t)rep->failed, "errors",
                          errors);
    if (rep->errors_omitted)
        json_object_set_new(o, "errors_omitted", json_integer((json_int_t)rep->errors_omitted));
    return o;
}

/* Replies with the report of an import that returned rc (the same shape for every import). */
static int reply_report(struct req *r, int rc, const struct import_report *rep)
{
    if (rep->fatal && rep->nerrors > 0) {
        const struct import_error *e = &rep->errors[0];
        if (e->column)
            return reply_problem(r, 422, "line %ld, column \"%s\": %s", e->line, e->column,
                                 e->reason);
        return reply_problem(r, 422, "line %ld: %s", e->line, e->reason);
    }
    if (rc)
        return reply_rc(r, rc, "import");
    return reply_json(r, 200, report_json(rep));
}

/* POST /api/v1/import/survey-responses (csm, admin): NPS/CSAT/CES answers from CSV
 * (importer/surveys_csv.h); a csm only for accounts it may write. */
int api_import_survey_responses(struct req *r)
{
    struct import_report rep;
    import_report_init(&rep);
    int rc = import_survey_responses_csv(store_get(), r->body.p, r->body.len, r->user.user_id,
                                         r->user.role, &rep);
    reply_report(r, rc, &rep);
    import_report_free(&rep);
    return 0;
}

int api_import_accounts(struct req *r)
{
    struct import_report rep;
    import_report_init(&rep);
    int rc = import_accounts_csv(store_get(), r->body.p, r->body.len, &rep);
    if (rc == KZ_OK)
        sched_request_full(); /* new accounts, subscriptions: score them all soon */
    reply_report(r, rc, &rep);
    import_report_free(&rep);
    return 0;
}
