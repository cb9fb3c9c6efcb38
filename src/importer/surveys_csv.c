/*
 * Survey response CSV import (surveys_csv.h): the header maps the known columns; each row
 * is validated completely (every bad cell reported with its column), then stored or matched
 * by its natural key inside the savepoint the driver holds for it.
 */
#include "importer/surveys_csv.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journey/surveys.h"
#include "sched/sched.h"
#include "store/success.h"

/* How far in the future an answer may be dated (clock skew), as in the API. */
#define FUTURE_SKEW_SECONDS 300

enum scol {
    SC_EXTERNAL_ID = 0,
    SC_ACCOUNT_ID,
    SC_CONTACT_EMAIL,
    SC_TYPE,
    SC_SCORE,
    SC_COMMENT,
    SC_ANSWERED_AT,
    SC_COUNT,
};

static const char *const scol_names[SC_COUNT] = {
    [SC_EXTERNAL_ID] = "account_external_id", [SC_ACCOUNT_ID] = "account_id",
    [SC_CONTACT_EMAIL] = "contact_email",     [SC_TYPE] = "type",
    [SC_SCORE] = "score",                     [SC_COMMENT] = "comment",
    [SC_ANSWERED_AT] = "answered_at",
};

/* Other names accepted for a column. */
static const struct {
    const char *name;
    enum scol col;
} aliases[] = {
    { "external_id", SC_EXTERNAL_ID },
    { "email", SC_CONTACT_EMAIL },
};

struct simporter {
    struct store *st;
    struct import_report *rep;
    int64_t user_id;
    enum role role;
    int idx[SC_COUNT];     /* column index of each column, -1 when absent */
    int64_t *touched;      /* accounts that got an answer, to touch after the commit */
    size_t ntouched, cap;
};

/* One row being checked: the non-empty value of each column and what it means. */
struct srow {
    long line;
    const char *v[SC_COUNT];
    struct survey_response s;
    bool bad;
};

static void row_error(struct simporter *imp, struct srow *w, enum scol col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void row_error(struct simporter *imp, struct srow *w, enum scol col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    import_report_error(imp->rep, w->line, scol_names[col], "%s", msg);
    w->bad = true;
}

static void on_header(struct csv_import *ci, const struct csv_cell *cells, size_t n, long line,
                      void *ctx)
{
    struct simporter *imp = ctx;
    for (size_t i = 0; i < n; i++) {
        const struct csv_cell *c = &cells[i];
        char pos[32];
        snprintf(pos, sizeof(pos), "#%zu", i + 1);
        if (c->state != CSV_CELL_OK) {
            csv_import_fatal(ci, line, pos, "header cell: %s", csv_cell_problem(c->state));
            return;
        }
        if (!c->v[0])
            continue; /* an unnamed column is ignored */
        int col = -1;
        for (int k = 0; k < SC_COUNT && col < 0; k++)
            if (strcasecmp(c->v, scol_names[k]) == 0)
                col = k;
        for (size_t k = 0; k < sizeof(aliases) / sizeof(aliases[0]) && col < 0; k++)
            if (strcasecmp(c->v, aliases[k].name) == 0)
                col = (int)aliases[k].col;
        if (col < 0) {
            csv_import_fatal(ci, line, c->v, "unknown column (the columns are "
                             "account_external_id, account_id, contact_email, type, score, "
                             "comment, answered_at)");
            return;
        }
        if (imp->idx[col] >= 0) {
            csv_import_fatal(ci, line, c->v, "duplicate column");
            return;
        }
        imp->idx[col] = (int)i;
    }
    if (imp->idx[SC_EXTERNAL_ID] < 0 && imp->idx[SC_ACCOUNT_ID] < 0) {
        csv_import_fatal(ci, line, NULL,
                         "the header has neither account_external_id nor account_id");
        return;
    }
    for (int k = SC_TYPE; k < SC_COUNT; k++) {
        if (k != SC_COMMENT && imp->idx[k] < 0) {
            csv_import_fatal(ci, line, NULL, "the header has no %s column", scol_names[k]);
            return;
        }
    }
}

/* A whole-string decimal integer, optionally signed; 0 on success. */
static int parse_int_cell(const char *s, int64_t *out)
{
    size_t i = s[0] == '-' ? 1 : 0;
    if (!s[i] || strlen(s + i) > 18)
        return -1;
    for (; s[i]; i++)
        if (!isdigit((unsigned char)s[i]))
            return -1;
    return parse_i64(s, out);
}

/* The account the row names, and whether this user may add answers to it. */
static int check_account(struct simporter *imp, struct srow *w)
{
    int rc;
    int64_t owner = 0, id = 0;
    if (w->v[SC_ACCOUNT_ID] && (parse_int_cell(w->v[SC_ACCOUNT_ID], &id) || id <= 0)) {
        row_error(imp, w, SC_ACCOUNT_ID, "not an account id: \"%.40s\"", w->v[SC_ACCOUNT_ID]);
        return KZ_OK;
    }
    if (w->v[SC_EXTERNAL_ID]) {
        struct account a;
        account_init(&a);
        rc = store_account_by_external_id(imp->st, w->v[SC_EXTERNAL_ID], &a);
        owner = a.owner_id;
        int64_t found = a.id;
        account_cleanup(&a);
        if (rc == KZ_ENOTFOUND) {
            row_error(imp, w, SC_EXTERNAL_ID, "no account has this external_id: \"%.80s\"",
                      w->v[SC_EXTERNAL_ID]);
            return KZ_OK;
        }
        if (rc)
            return rc;
        if (id && id != found) {
            row_error(imp, w, SC_ACCOUNT_ID, "account %lld is not the account with external_id "
                      "\"%.80s\"", (long long)id, w->v[SC_EXTERNAL_ID]);
            return KZ_OK;
        }
        id = found;
    } else if (id) {
        rc = store_account_owner(imp->st, id, &owner);
        if (rc == KZ_ENOTFOUND) {
            row_error(imp, w, SC_ACCOUNT_ID, "no account has id %lld", (long long)id);
            return KZ_OK;
        }
        if (rc)
            return rc;
    } else {
        row_error(imp, w, imp->idx[SC_EXTERNAL_ID] >= 0 ? SC_EXTERNAL_ID : SC_ACCOUNT_ID,
                  "required: the account the answer belongs to");
        return KZ_OK;
    }
    if (imp->role < ROLE_ADMIN && !(imp->role == ROLE_CSM && (owner == 0 || owner == imp->user_id))) {
        row_error(imp, w, w->v[SC_EXTERNAL_ID] ? SC_EXTERNAL_ID : SC_ACCOUNT_ID,
                  "a %s may only add answers to accounts they own or unassigned ones",
                  role_name(imp->role));
        return KZ_OK;
    }
    w->s.account_id = id;
    return KZ_OK;
}

/* Checks every cell of the row (each problem reported); fills w->s. Returns a database
 * error or KZ_OK; w->bad says whether the row is refused. */
static int validate(struct simporter *imp, const struct csv_cell *cells, size_t n, struct srow *w)
{
    for (int k = 0; k < SC_COUNT; k++) {
        int i = imp->idx[k];
        if (i < 0 || (size_t)i >= n)
            continue;
        if (cells[i].state != CSV_CELL_OK)
            row_error(imp, w, (enum scol)k, "%s", csv_cell_problem(cells[i].state));
        else if (cells[i].v[0])
            w->v[k] = cells[i].v;
    }
    if (w->bad)
        return KZ_OK;
    int rc = check_account(imp, w);
    if (rc)
        return rc;

    bool type_ok = false;
    if (!w->v[SC_TYPE]) {
        row_error(imp, w, SC_TYPE, "required: nps, csat or ces");
    } else {
        char *lower = str_lower(w->v[SC_TYPE]);
        type_ok = survey_type_parse(lower, &w->s.type) == 0;
        free(lower);
        if (!type_ok)
            row_error(imp, w, SC_TYPE, "must be nps, csat or ces: \"%.40s\"", w->v[SC_TYPE]);
    }
    if (!w->v[SC_SCORE]) {
        row_error(imp, w, SC_SCORE, "required");
    } else if (type_ok) {
        int lo, hi;
        survey_score_range(w->s.type, &lo, &hi);
        if (parse_int_cell(w->v[SC_SCORE], &w->s.score) ||
            !survey_score_valid(w->s.type, w->s.score))
            row_error(imp, w, SC_SCORE, "not an integer from %d to %d (%s): \"%.40s\"", lo, hi,
                      survey_type_name(w->s.type), w->v[SC_SCORE]);
    }
    int64_t t;
    const char *at = w->v[SC_ANSWERED_AT];
    if (!at) {
        row_error(imp, w, SC_ANSWERED_AT, "required");
    } else if (date_valid(at) == 0) {
        time_format(date_to_days(at) * 86400, w->s.answered_at);
    } else if (time_parse(at, &t) == 0) {
        time_format(t, w->s.answered_at);
    } else {
        row_error(imp, w, SC_ANSWERED_AT, "not a date YYYY-MM-DD or an RFC 3339 time: "
                  "\"%.40s\"", at);
    }
    if (w->s.answered_at[0] && time_parse(w->s.answered_at, &t) == 0 &&
        t > now_unix() + FUTURE_SKEW_SECONDS)
        row_error(imp, w, SC_ANSWERED_AT, "in the future: \"%.40s\"", at);

    if (w->v[SC_CONTACT_EMAIL] && w->s.account_id) {
        rc = store_contact_id_by_email(imp->st, w->s.account_id, w->v[SC_CONTACT_EMAIL],
                                       &w->s.contact_id);
        if (rc == KZ_ENOTFOUND)
            row_error(imp, w, SC_CONTACT_EMAIL, "no contact of this account has the email "
                      "\"%.80s\"", w->v[SC_CONTACT_EMAIL]);
        else if (rc)
            return rc;
    }
    return KZ_OK;
}

static void remember_account(struct simporter *imp, int64_t id)
{
    if (imp->ntouched && imp->touched[imp->ntouched - 1] == id)
        return;
    if (imp->ntouched == imp->cap) {
        imp->cap = imp->cap ? imp->cap * 2 : 64;
        imp->touched = xrealloc(imp->touched, imp->cap * sizeof(*imp->touched));
    }
    imp->touched[imp->ntouched++] = id;
}

static int on_row(struct csv_import *ci, const struct csv_cell *cells, size_t n, long line,
                  enum csv_row_outcome *outcome, void *ctx)
{
    struct simporter *imp = ctx;
    struct srow w;
    struct survey_response old = { 0 };
    (void)ci;
    memset(&w, 0, sizeof(w));
    w.line = line;
    int rc = validate(imp, cells, n, &w);
    if (rc || w.bad)
        goto out;
    /* The cell belongs to the driver: the response gets its own copy. */
    w.s.comment = xstrdup(w.v[SC_COMMENT]);
    rc = store_survey_response_find(imp->st, &w.s, &old);
    if (rc == KZ_OK) {
        *outcome = CSV_ROW_UPDATED;
        if (old.score != w.s.score || !str_eq(old.comment, w.s.comment)) {
            w.s.id = old.id;
            rc = store_survey_response_set(imp->st, &w.s);
        }
    } else if (rc == KZ_ENOTFOUND) {
        *outcome = CSV_ROW_CREATED;
        rc = store_survey_response_create(imp->st, &w.s);
    }
    if (rc == KZ_OK)
        remember_account(imp, w.s.account_id);
out:
    survey_response_cleanup(&old);
    survey_response_cleanup(&w.s);
    return w.bad ? KZ_EINVAL : rc;
}

int import_survey_responses_csv(struct store *st, const char *data, size_t len, int64_t user_id,
                                enum role role, struct import_report *rep)
{
    static const struct csv_import_ops ops = { .header = on_header, .row = on_row };
    struct simporter imp;
    memset(&imp, 0, sizeof(imp));
    imp.st = st;
    imp.rep = rep;
    imp.user_id = user_id;
    imp.role = role;
    for (int k = 0; k < SC_COUNT; k++)
        imp.idx[k] = -1;
    int rc = csv_import_run(st, data, len, rep, &ops, &imp);
    if (rc == KZ_OK)
        for (size_t i = 0; i < imp.ntouched; i++)
            sched_touch_account(imp.touched[i]);
    free(imp.touched);
    return rc;
}
