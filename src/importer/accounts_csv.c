/*
 * Account CSV import, on the shared driver (csv_import.h: libcsv in strict mode, fed one
 * physical line at a time so that every row is known by the file line it starts on, which is
 * what the report names). The first non-blank row is the header:
 * its names (trimmed, case-insensitive, BOM ignored) map columns to account fields, the
 * subscription, or a custom field. Each data row is validated completely first (every bad
 * cell is reported), then written inside its own savepoint of the one import transaction, so
 * a row is imported whole or not at all. An empty cell leaves a field unchanged on update.
 *
 * Columns a Kizuna export writes that are computed here (tier, phase, arr) are ignored; its
 * id column matches an account only when the row has neither external_id nor domain and the
 * account with that id has neither either (so an export re-imported into its own database
 * never duplicates accounts that have no keys, and an id from elsewhere never overwrites).
 * A leading ' that the export put before = + - @ (formula-injection guard) is removed.
 *
 * Other rules: cells are trimmed (also of U+3000); a column with an empty header is ignored;
 * an account found by domain while the row's external_id is unknown is matched only when it
 * has no external_id yet (and then gets this one); the subscription columns include
 * auto_renew, and an empty renewal_date or auto_renew keeps the current value. A file-level
 * problem (header, malformed quoting, more than IMPORT_MAX_ROWS rows) rolls back everything.
 */
#include "importer/accounts_csv.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journey/phase.h"
#include "util/util.h"

/* The CLI refuses files larger than this (the HTTP route allows 32 MiB). */
#define IMPORT_CLI_MAX_FILE (1024u << 20)

/* ------------------------------------------------------------ columns */

enum col_kind {
    COL_NONE = -1,   /* an empty header cell: the column is ignored */
    COL_EXTERNAL_ID = 0,
    COL_NAME,
    COL_DOMAIN,
    COL_INDUSTRY,
    COL_EMPLOYEES,
    COL_OWNER_EMAIL,
    COL_ADDRESS,
    COL_PURPOSE,
    COL_CHALLENGES,
    COL_PLAN,
    COL_MRR,
    COL_CURRENCY,
    COL_SEATS,
    COL_START_DATE,
    COL_RENEWAL_DATE,
    COL_STATUS,
    COL_AUTO_RENEW,
    COL_ID,          /* export's id: a last-resort match key */
    COL_TIER,        /* export-only columns, ignored */
    COL_PHASE,
    COL_ARR,
    COL_KNOWN_COUNT,
    COL_CUSTOM = COL_KNOWN_COUNT,
};

static const char *const col_names[COL_KNOWN_COUNT] = {
    [COL_EXTERNAL_ID] = "external_id", [COL_NAME] = "name",
    [COL_DOMAIN] = "domain",           [COL_INDUSTRY] = "industry",
    [COL_EMPLOYEES] = "employees",     [COL_OWNER_EMAIL] = "owner_email",
    [COL_ADDRESS] = "address",         [COL_PURPOSE] = "purpose",
    [COL_CHALLENGES] = "challenges",   [COL_PLAN] = "plan",
    [COL_MRR] = "mrr",                 [COL_CURRENCY] = "currency",
    [COL_SEATS] = "seats",             [COL_START_DATE] = "start_date",
    [COL_RENEWAL_DATE] = "renewal_date", [COL_STATUS] = "status",
    [COL_AUTO_RENEW] = "auto_renew",   [COL_ID] = "id",
    [COL_TIER] = "tier",               [COL_PHASE] = "phase",
    [COL_ARR] = "arr",
};

/* The columns that describe a subscription: any of them non-empty means "set it". */
static const enum col_kind sub_cols[] = {
    COL_PLAN, COL_MRR, COL_CURRENCY, COL_SEATS, COL_START_DATE, COL_RENEWAL_DATE, COL_STATUS,
    COL_AUTO_RENEW,
};
static const enum col_kind sub_required[] = { COL_PLAN, COL_MRR, COL_CURRENCY, COL_START_DATE };

/* The same limits as the accounts API (api/accounts.c). */
static const struct {
    enum col_kind kind;
    size_t max;
} max_len[] = {
    { COL_NAME, 300 },      { COL_DOMAIN, 253 },   { COL_EXTERNAL_ID, 200 },
    { COL_INDUSTRY, 200 },  { COL_ADDRESS, 1000 }, { COL_PLAN, 200 },
};
#define MAX_EMPLOYEES 100000000
#define MAX_SEATS 10000000
#define MAX_CUSTOM_JSON 65536

struct column {
    int kind;    /* enum col_kind */
    char *name;  /* the header text, trimmed (also the custom field's key) */
};

/* ------------------------------------------------------------ import state */

struct importer {
    struct store *st;
    struct import_report *rep;
    struct csv_import *ci;
    char today[11];

    struct column *cols;
    size_t ncols;
    int idx[COL_KNOWN_COUNT];  /* column index of each known column, -1 when absent */

    const struct csv_cell *cells; /* the row being handled (the driver's) */
    size_t ncells;
};

/* ------------------------------------------------------------ header */

static int known_kind(const char *name)
{
    for (int k = 0; k < COL_KNOWN_COUNT; k++)
        if (strcasecmp(name, col_names[k]) == 0)
            return k;
    return COL_CUSTOM;
}

/* The header callback: maps the header's names to columns (see the file comment). */
static void on_header(struct csv_import *ci, const struct csv_cell *cells, size_t n, long line,
                      void *ctx)
{
    struct importer *imp = ctx;
    imp->ncols = n;
    imp->cols = xcalloc(imp->ncols, sizeof(*imp->cols));
    for (size_t i = 0; i < imp->ncols; i++) {
        const struct csv_cell *c = &cells[i];
        if (c->state != CSV_CELL_OK) {
            char pos[32];
            snprintf(pos, sizeof(pos), "#%zu", i + 1);
            csv_import_fatal(ci, line, pos, "header cell: %s", csv_cell_problem(c->state));
            return;
        }
        imp->cols[i].name = xstrdup(c->v);
        imp->cols[i].kind = c->v[0] ? known_kind(c->v) : COL_NONE;
        if (imp->cols[i].kind == COL_NONE)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (imp->cols[j].kind != COL_NONE && strcasecmp(imp->cols[j].name, c->v) == 0) {
                csv_import_fatal(ci, line, c->v, "duplicate column");
                return;
            }
        }
        if (imp->cols[i].kind < COL_KNOWN_COUNT)
            imp->idx[imp->cols[i].kind] = (int)i;
    }
    if (imp->idx[COL_NAME] < 0 && imp->idx[COL_EXTERNAL_ID] < 0 && imp->idx[COL_DOMAIN] < 0)
        csv_import_fatal(ci, line, NULL,
                         "the header has none of the columns name, external_id, domain");
}

/* ------------------------------------------------------------ rows */

/* A row's values, validated. Strings point into the row's cells. */
struct row {
    long line;
    const char *v[COL_KNOWN_COUNT]; /* non-empty value of each known column, else NULL */
    int64_t employees, mrr, seats, id;
    bool auto_renew;
    int64_t owner_id;
    char status[8];
    bool has_sub;
    bool bad;
};

static void row_error(struct importer *imp, struct row *w, const char *column,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void row_error(struct importer *imp, struct row *w, const char *column,
                      const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    import_report_error(imp->rep, w->line, column, "%s", msg);
    w->bad = true;
}

/* A non-negative integer written with digits only; 0 on success. */
static int parse_count(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return -1;
    return parse_i64(s, out);
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "true", "yes", "1" }, *const no[] = { "false", "no", "0" };
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

static bool currency_valid(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return false;
    return s[3] == '\0';
}

/* Checks every cell of the row, reporting each problem; fills w. Returns a database error
 * (the owner lookup) or KZ_OK; w->bad says whether the row is refused. */
static int validate_row(struct importer *imp, struct row *w)
{
    int rc = KZ_OK;
    struct user u = { 0 };

    for (size_t i = 0; i < imp->ncols && i < imp->ncells; i++) {
        const struct csv_cell *c = &imp->cells[i];
        if (c->state != CSV_CELL_OK) {
            char pos[32];
            snprintf(pos, sizeof(pos), "#%zu", i + 1);
            row_error(imp, w, imp->cols[i].name[0] ? imp->cols[i].name : pos, "%s",
                      csv_cell_problem(c->state));
            continue;
        }
        int k = imp->cols[i].kind;
        if (k >= 0 && k < COL_KNOWN_COUNT && c->v[0])
            w->v[k] = c->v;
    }
    if (w->bad)
        goto out;

    for (size_t i = 0; i < sizeof(max_len) / sizeof(max_len[0]); i++) {
        const char *v = w->v[max_len[i].kind];
        if (v && strlen(v) > max_len[i].max)
            row_error(imp, w, col_names[max_len[i].kind], "longer than %zu bytes",
                      max_len[i].max);
    }
    if (w->v[COL_EMPLOYEES] &&
        (parse_count(w->v[COL_EMPLOYEES], &w->employees) || w->employees > MAX_EMPLOYEES))
        row_error(imp, w, "employees", "not an integer from 0 to %d: \"%.40s\"", MAX_EMPLOYEES,
                  w->v[COL_EMPLOYEES]);
    if (w->v[COL_ID] && (parse_count(w->v[COL_ID], &w->id) || w->id <= 0))
        row_error(imp, w, "id", "not an account id: \"%.40s\"", w->v[COL_ID]);

    for (size_t i = 0; i < sizeof(sub_cols) / sizeof(sub_cols[0]); i++)
        if (w->v[sub_cols[i]])
            w->has_sub = true;
    if (w->has_sub) {
        for (size_t i = 0; i < sizeof(sub_required) / sizeof(sub_required[0]); i++)
            if (!w->v[sub_required[i]])
                row_error(imp, w, col_names[sub_required[i]],
                          "required when a subscription is given (plan, mrr, currency, "
                          "start_date)");
        if (w->v[COL_MRR] && (parse_count(w->v[COL_MRR], &w->mrr) || w->mrr > INT64_MAX / 12))
            row_error(imp, w, "mrr", "not a non-negative integer in minor units: \"%.40s\"",
                      w->v[COL_MRR]);
        if (w->v[COL_CURRENCY] && !currency_valid(w->v[COL_CURRENCY]))
            row_error(imp, w, "currency", "not an ISO 4217 code (3 capital letters): \"%.40s\"",
                      w->v[COL_CURRENCY]);
        w->seats = 1;
        if (w->v[COL_SEATS] && (parse_count(w->v[COL_SEATS], &w->seats) || w->seats > MAX_SEATS))
            row_error(imp, w, "seats", "not an integer from 0 to %d: \"%.40s\"", MAX_SEATS,
                      w->v[COL_SEATS]);
        if (w->v[COL_START_DATE] && date_valid(w->v[COL_START_DATE]))
            row_error(imp, w, "start_date", "not a date YYYY-MM-DD: \"%.40s\"",
                      w->v[COL_START_DATE]);
        if (w->v[COL_RENEWAL_DATE] && date_valid(w->v[COL_RENEWAL_DATE]))
            row_error(imp, w, "renewal_date", "not a date YYYY-MM-DD: \"%.40s\"",
                      w->v[COL_RENEWAL_DATE]);
        else if (w->v[COL_RENEWAL_DATE] && w->v[COL_START_DATE] &&
                 !date_valid(w->v[COL_START_DATE]) &&
                 strcmp(w->v[COL_RENEWAL_DATE], w->v[COL_START_DATE]) < 0)
            row_error(imp, w, "renewal_date", "before start_date");
        snprintf(w->status, sizeof(w->status), "active");
        if (w->v[COL_STATUS]) {
            const char *s = w->v[COL_STATUS];
            if (strcasecmp(s, "trial") != 0 && strcasecmp(s, "active") != 0 &&
                strcasecmp(s, "churned") != 0) {
                row_error(imp, w, "status", "must be trial, active or churned: \"%.40s\"", s);
            } else {
                snprintf(w->status, sizeof(w->status), "%s", s);
                for (char *q = w->status; *q; q++)
                    *q = (char)tolower((unsigned char)*q);
            }
        }
        w->auto_renew = true;
        if (w->v[COL_AUTO_RENEW] && parse_bool(w->v[COL_AUTO_RENEW], &w->auto_renew))
            row_error(imp, w, "auto_renew", "must be true or false: \"%.40s\"",
                      w->v[COL_AUTO_RENEW]);
    }

    if (w->v[COL_OWNER_EMAIL]) {
        const char *email = w->v[COL_OWNER_EMAIL];
        rc = store_user_by_email(imp->st, email, &u);
        if (rc == KZ_ENOTFOUND) {
            char *lower = str_lower(email);
            if (strcmp(lower, email) != 0)
                rc = store_user_by_email(imp->st, lower, &u);
            free(lower);
        }
        if (rc == KZ_ENOTFOUND) {
            rc = KZ_OK;
            row_error(imp, w, "owner_email", "no user with this email: \"%.80s\"", email);
        } else if (rc) {
            goto out;
        } else if (u.disabled) {
            row_error(imp, w, "owner_email", "the user %.80s is disabled", email);
        } else {
            w->owner_id = u.id;
        }
    }
out:
    user_cleanup(&u);
    return rc;
}

/* Replaces *field with a copy of v when v is given and differs; sets *changed. */
static void set_str(char **field, const char *v, bool *changed)
{
    if (!v || str_eq(*field, v))
        return;
    free(*field);
    *field = xstrdup(v);
    *changed = true;
}

/* Whether a stored custom value reads as cell text v: a string equal to it, or another JSON
 * value whose compact text is v (as the export writes it), which is then kept as it is. */
static bool custom_same(json_t *old, const char *v)
{
    if (!old)
        return false;
    if (json_is_string(old))
        return strcmp(json_string_value(old), v) == 0;
    char *text = json_dumps(old, JSON_COMPACT | JSON_ENCODE_ANY);
    bool same = text && strcmp(text, v) == 0;
    free(text);
    return same;
}

/* Merges the row's custom columns (non-empty cells, as strings) into a->custom. */
static void merge_custom(struct importer *imp, struct account *a, bool *changed)
{
    json_t *obj = a->custom ? json_loads(a->custom, 0, NULL) : NULL;
    if (!json_is_object(obj)) {
        json_decref(obj);
        obj = json_object();
    }
    bool any = false;
    for (size_t i = 0; i < imp->ncols && i < imp->ncells; i++) {
        if (imp->cols[i].kind != COL_CUSTOM || !imp->cells[i].v[0])
            continue;
        json_t *old = json_object_get(obj, imp->cols[i].name);
        if (custom_same(old, imp->cells[i].v))
            continue;
        json_object_set_new(obj, imp->cols[i].name, json_string(imp->cells[i].v));
        any = true;
    }
    if (any || !a->custom) {
        char *text = json_dumps(obj, JSON_COMPACT);
        free(a->custom);
        a->custom = xstrdup(text ? text : "{}");
        free(text);
        *changed = true;
    }
    json_decref(obj);
}

/* Finds the account the row means (see the file comment). *found says whether a was
 * filled; a must be initialised by the caller, who cleans it up. */
static int match_account(struct importer *imp, struct row *w, struct account *a, bool *found)
{
    int rc = KZ_ENOTFOUND;
    *found = false;
    if (w->v[COL_EXTERNAL_ID]) {
        rc = store_account_by_external_id(imp->st, w->v[COL_EXTERNAL_ID], a);
        if (rc == KZ_ENOTFOUND && w->v[COL_DOMAIN]) {
            /* An account known by domain only gets this external_id. */
            account_cleanup(a);
            account_init(a);
            rc = store_account_by_domain(imp->st, w->v[COL_DOMAIN], a);
            if (rc == KZ_OK && a->external_id && a->external_id[0])
                rc = KZ_ENOTFOUND;
        }
    } else if (w->v[COL_DOMAIN]) {
        rc = store_account_by_domain(imp->st, w->v[COL_DOMAIN], a);
    } else if (w->v[COL_ID]) {
        rc = store_account_get(imp->st, w->id, a);
        if (rc == KZ_OK && ((a->external_id && a->external_id[0]) || (a->domain && a->domain[0])))
            rc = KZ_ENOTFOUND;
    }
    if (rc == KZ_OK) {
        *found = true;
        return KZ_OK;
    }
    account_cleanup(a);
    account_init(a);
    return rc == KZ_ENOTFOUND ? KZ_OK : rc;
}

static bool sub_differs(const struct subscription *a, const struct subscription *b)
{
    return !str_eq(a->plan, b->plan) || a->mrr != b->mrr ||
           strcmp(a->currency, b->currency) != 0 || a->seats != b->seats ||
           strcmp(a->start_date, b->start_date) != 0 ||
           !str_eq(a->renewal_date, b->renewal_date) || a->auto_renew != b->auto_renew ||
           strcmp(a->status, b->status) != 0;
}

/* Writes the row's subscription when it differs from the account's current one. An empty
 * renewal_date or auto_renew keeps the current value (a Kizuna export has no auto_renew). */
static int write_subscription(struct importer *imp, struct row *w, int64_t account_id)
{
    struct subscription cur = { 0 }, s = { 0 };
    int rc = store_subscription_get(imp->st, account_id, &cur);
    bool had = rc == KZ_OK;
    if (rc && rc != KZ_ENOTFOUND)
        goto out;
    rc = KZ_OK;

    s.account_id = account_id;
    s.plan = xstrdup(w->v[COL_PLAN]);
    s.mrr = w->mrr;
    snprintf(s.currency, sizeof(s.currency), "%s", w->v[COL_CURRENCY]);
    s.seats = w->seats;
    snprintf(s.start_date, sizeof(s.start_date), "%s", w->v[COL_START_DATE]);
    if (w->v[COL_RENEWAL_DATE])
        s.renewal_date = xstrdup(w->v[COL_RENEWAL_DATE]);
    else if (had && cur.renewal_date)
        s.renewal_date = xstrdup(cur.renewal_date);
    s.auto_renew = w->v[COL_AUTO_RENEW] || !had ? w->auto_renew : cur.auto_renew;
    snprintf(s.status, sizeof(s.status), "%s", w->status);
    if (had && !sub_differs(&s, &cur))
        goto out;
    snprintf(s.effective_date, sizeof(s.effective_date), "%s", had ? imp->today : s.start_date);
    /* Also recomputes the tier, and moves the phase on churn or reactivation. */
    rc = journey_subscription_put(imp->st, &s, 0);
out:
    subscription_cleanup(&cur);
    subscription_cleanup(&s);
    return rc;
}

/* Writes a validated row: creates or updates the account, then its subscription. A conflict
 * (an external_id taken meanwhile) is reported as a row error and returned as KZ_ECONFLICT;
 * *created says which it was. */
static int write_row(struct importer *imp, struct row *w, bool *created)
{
    struct account a;
    bool found, changed = false;
    account_init(&a);
    int rc = match_account(imp, w, &a, &found);
    if (rc)
        goto out;
    *created = !found;
    if (!found && !w->v[COL_NAME]) {
        row_error(imp, w, "name", "required to create an account");
        rc = KZ_EINVAL;
        goto out;
    }
    set_str(&a.name, w->v[COL_NAME], &changed);
    set_str(&a.external_id, w->v[COL_EXTERNAL_ID], &changed);
    set_str(&a.domain, w->v[COL_DOMAIN], &changed);
    set_str(&a.industry, w->v[COL_INDUSTRY], &changed);
    set_str(&a.address, w->v[COL_ADDRESS], &changed);
    set_str(&a.purpose, w->v[COL_PURPOSE], &changed);
    set_str(&a.challenges, w->v[COL_CHALLENGES], &changed);
    if (w->v[COL_EMPLOYEES] && a.employees != w->employees)
        a.employees = w->employees, changed = true;
    if (w->v[COL_OWNER_EMAIL] && a.owner_id != w->owner_id)
        a.owner_id = w->owner_id, changed = true;
    merge_custom(imp, &a, &changed);
    if (strlen(a.custom) > MAX_CUSTOM_JSON) {
        row_error(imp, w, NULL, "the custom fields would exceed 64 KiB");
        rc = KZ_EINVAL;
        goto out;
    }

    if (!found) {
        /* A churned customer starts in the terminal phase; any other in the first phase of
         * the lifecycle (the store's default). */
        if (!a.phase && w->has_sub && strcmp(w->status, "churned") == 0)
            a.phase = journey_initial_phase(imp->st, true);
        rc = store_account_create(imp->st, &a);
    } else if (changed) {
        rc = store_account_update(imp->st, &a);
    }
    if (rc == KZ_ECONFLICT) {
        row_error(imp, w, w->v[COL_EXTERNAL_ID] ? "external_id" : NULL,
                  "conflicts with another account");
        goto out;
    }
    if (rc == KZ_EINVAL || rc == KZ_ETOOBIG) {
        row_error(imp, w, NULL, "the account was refused (%s)", kz_strerror(rc));
        goto out;
    }
    if (rc)
        goto out;
    if (w->has_sub)
        rc = write_subscription(imp, w, a.id);
    if (rc == KZ_EINVAL || rc == KZ_ECONFLICT || rc == KZ_ETOOBIG)
        row_error(imp, w, NULL, "the subscription was refused (%s)", kz_strerror(rc));
out:
    account_cleanup(&a);
    return rc;
}

/* The row callback: validates the row, then writes it (the driver holds its savepoint). */
static int on_row(struct csv_import *ci, const struct csv_cell *cells, size_t n, long line,
                  enum csv_row_outcome *outcome, void *ctx)
{
    struct importer *imp = ctx;
    struct row w;
    bool created = false;
    int rc;

    (void)ci;
    memset(&w, 0, sizeof(w));
    w.line = line;
    imp->cells = cells;
    imp->ncells = n;
    rc = validate_row(imp, &w);
    if (rc == KZ_OK && !w.bad)
        rc = write_row(imp, &w, &created);
    imp->cells = NULL;
    imp->ncells = 0;
    if (w.bad)
        return KZ_EINVAL;
    *outcome = created ? CSV_ROW_CREATED : CSV_ROW_UPDATED;
    return rc;
}

int import_accounts_csv(struct store *st, const char *data, size_t len,
                        struct import_report *rep)
{
    static const struct csv_import_ops ops = { .header = on_header, .row = on_row };
    struct importer imp;

    memset(&imp, 0, sizeof(imp));
    imp.st = st;
    imp.rep = rep;
    for (int k = 0; k < COL_KNOWN_COUNT; k++)
        imp.idx[k] = -1;
    date_today(imp.today);
    int rc = csv_import_run(st, data, len, rep, &ops, &imp);
    for (size_t i = 0; i < imp.ncols; i++)
        free(imp.cols[i].name);
    free(imp.cols);
    return rc;
}

/* ------------------------------------------------------------ command line */

int importer_cli(const char *csv_path, FILE *out)
{
    struct buf b;
    struct import_report rep;
    int code = 2;

    buf_init(&b, IMPORT_CLI_MAX_FILE);
    import_report_init(&rep);
    if (csv_import_read_file(csv_path, &b)) {
        fprintf(out, "kizuna: cannot read %s: %s\n", csv_path, strerror(errno));
        goto out;
    }
    int rc = import_accounts_csv(store_get(), b.p, b.len, &rep);
    if (rc && !rep.fatal) {
        fprintf(out, "kizuna: import of %s failed: %s (nothing was imported)\n", csv_path,
                kz_strerror(rc));
        goto out;
    }
    if (rep.fatal)
        fprintf(out, "%s: the file cannot be imported (nothing was imported)\n", csv_path);
    else
        fprintf(out, "%s: %zu rows: %zu created, %zu updated, %zu failed\n", csv_path, rep.rows,
                rep.created, rep.updated, rep.failed);
    for (size_t i = 0; i < rep.nerrors; i++) {
        const struct import_error *e = &rep.errors[i];
        if (e->column)
            fprintf(out, "  line %ld, column \"%s\": %s\n", e->line, e->column, e->reason);
        else
            fprintf(out, "  line %ld: %s\n", e->line, e->reason);
    }
    if (rep.errors_omitted)
        fprintf(out, "  ... and %zu more errors\n", rep.errors_omitted);
    code = rep.fatal || rep.failed ? 1 : 0;
out:
    import_report_free(&rep);
    buf_free(&b);
    return code;
}
