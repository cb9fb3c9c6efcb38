/*
 * Account CSV import. libcsv parses the file in strict mode (a stray or unterminated quote is
 * an error); we feed it one physical line at a time so that every row is known by the file
 * line it starts on, which is what the report names. The first non-blank row is the header:
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

#include <csv.h>
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

/* libcsv's parser state before any character of a row was seen (csv.c ROW_NOT_BEGUN). */
#define CSV_ROW_NOT_BEGUN 0
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

enum cell_state { CELL_OK = 0, CELL_TOO_BIG, CELL_BAD_UTF8, CELL_NUL };

struct cell {
    char *v;     /* trimmed and unescaped; NULL unless state is CELL_OK */
    int state;   /* enum cell_state */
};

/* ------------------------------------------------------------ import state */

struct importer {
    struct store *st;
    struct import_report *rep;
    char today[11];

    bool have_header;
    struct column *cols;
    size_t ncols;
    int idx[COL_KNOWN_COUNT];  /* column index of each known column, -1 when absent */

    struct cell *cells;        /* the row being read: up to cap cells are kept */
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

static void report_error(struct import_report *rep, long line, const char *column,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report_error(struct import_report *rep, long line, const char *column,
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

/* The file is unusable: forget the rows and errors so far, keep only this error, stop. */
static void fatal(struct importer *imp, long line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fatal(struct importer *imp, long line, const char *column, const char *fmt, ...)
{
    struct import_report *rep = imp->rep;
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    import_report_free(rep);
    rep->fatal = true;
    report_error(rep, line, column, "%s", msg);
    imp->rc = KZ_EINVAL;
    imp->stop = true;
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

static void row_reset(struct importer *imp)
{
    size_t kept = imp->ncells < imp->cap ? imp->ncells : imp->cap;
    for (size_t i = 0; i < kept; i++)
        free(imp->cells[i].v);
    imp->ncells = 0;
}

/* libcsv's field callback: keeps the cell if the row still has room for it. */
static void on_field(void *field, size_t len, void *data)
{
    struct importer *imp = data;
    if (imp->stop)
        return;
    if (imp->ncells < imp->cap) {
        struct cell *c = &imp->cells[imp->ncells];
        const char *s = field ? field : "";
        if (!field)
            len = 0;
        c->v = NULL;
        if (len > IMPORT_MAX_CELL)
            c->state = CELL_TOO_BIG;
        else if (memchr(s, '\0', len))
            c->state = CELL_NUL;
        else if (!utf8_valid(s, len))
            c->state = CELL_BAD_UTF8;
        else {
            c->state = CELL_OK;
            c->v = cell_clean(s, len);
        }
    }
    imp->ncells++;
}

static const char *cell_problem(int state)
{
    switch (state) {
    case CELL_TOO_BIG:
        return "longer than 10000 bytes";
    case CELL_NUL:
        return "contains a NUL byte";
    case CELL_BAD_UTF8:
        return "invalid UTF-8";
    default:
        return "bad cell";
    }
}

/* ------------------------------------------------------------ header */

static int known_kind(const char *name)
{
    for (int k = 0; k < COL_KNOWN_COUNT; k++)
        if (strcasecmp(name, col_names[k]) == 0)
            return k;
    return COL_CUSTOM;
}

static void process_header(struct importer *imp)
{
    long line = imp->row_line;
    if (imp->ncells > IMPORT_MAX_COLUMNS) {
        fatal(imp, line, NULL, "the header has %zu columns; at most %d are allowed",
              imp->ncells, IMPORT_MAX_COLUMNS);
        return;
    }
    imp->ncols = imp->ncells;
    imp->cols = xcalloc(imp->ncols, sizeof(*imp->cols));
    for (size_t i = 0; i < imp->ncols; i++) {
        struct cell *c = &imp->cells[i];
        if (c->state != CELL_OK) {
            char pos[32];
            snprintf(pos, sizeof(pos), "#%zu", i + 1);
            fatal(imp, line, pos, "header cell: %s", cell_problem(c->state));
            return;
        }
        imp->cols[i].name = xstrdup(c->v);
        imp->cols[i].kind = c->v[0] ? known_kind(c->v) : COL_NONE;
        if (imp->cols[i].kind == COL_NONE)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (imp->cols[j].kind != COL_NONE && strcasecmp(imp->cols[j].name, c->v) == 0) {
                fatal(imp, line, c->v, "duplicate column");
                return;
            }
        }
        if (imp->cols[i].kind < COL_KNOWN_COUNT)
            imp->idx[imp->cols[i].kind] = (int)i;
    }
    if (imp->idx[COL_NAME] < 0 && imp->idx[COL_EXTERNAL_ID] < 0 && imp->idx[COL_DOMAIN] < 0) {
        fatal(imp, line, NULL, "the header has none of the columns name, external_id, domain");
        return;
    }
    imp->have_header = true;
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
    report_error(imp->rep, w->line, column, "%s", msg);
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
        struct cell *c = &imp->cells[i];
        if (c->state != CELL_OK) {
            char pos[32];
            snprintf(pos, sizeof(pos), "#%zu", i + 1);
            row_error(imp, w, imp->cols[i].name[0] ? imp->cols[i].name : pos, "%s",
                      cell_problem(c->state));
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

static bool row_blank(struct importer *imp)
{
    size_t kept = imp->ncells < imp->cap ? imp->ncells : imp->cap;
    if (imp->ncells > kept)
        return false;
    for (size_t i = 0; i < kept; i++)
        if (imp->cells[i].state != CELL_OK || imp->cells[i].v[0])
            return false;
    return true;
}

/* Reads one data row: validates it, then writes it inside its own savepoint. A bad row is
 * counted as failed (its errors are in the report); a database failure stops the import. */
static void process_row(struct importer *imp)
{
    struct import_report *rep = imp->rep;
    struct row w;
    bool created = false;
    int rc = KZ_OK;

    memset(&w, 0, sizeof(w));
    w.line = imp->row_line;
    if (++rep->rows > IMPORT_MAX_ROWS) {
        fatal(imp, w.line, NULL, "more than %d rows", IMPORT_MAX_ROWS);
        return;
    }
    if (imp->ncells > imp->ncols) {
        row_error(imp, &w, NULL, "the row has %zu cells but the header has %zu columns",
                  imp->ncells, imp->ncols);
        goto out;
    }
    rc = validate_row(imp, &w);
    if (rc || w.bad)
        goto out;
    rc = store_begin(imp->st);
    if (rc)
        goto out;
    rc = write_row(imp, &w, &created);
    if (rc == KZ_OK)
        rc = store_commit(imp->st);
    else
        store_rollback(imp->st);
    if (rc == KZ_OK) {
        if (created)
            rep->created++;
        else
            rep->updated++;
    }
out:
    if (w.bad) {
        rep->failed++;
    } else if (rc) {
        log_error("import: database failure at line %ld: %s", w.line, kz_strerror(rc));
        imp->rc = rc;
        imp->stop = true;
    }
}

/* libcsv's row callback. */
static void on_row(int c, void *data)
{
    struct importer *imp = data;
    (void)c;
    if (imp->stop)
        goto out;
    if (row_blank(imp))
        goto out;
    if (!imp->have_header)
        process_header(imp);
    else
        process_row(imp);
out:
    row_reset(imp);
    /* Data rows keep one cell per column; more are counted and refused. */
    if (imp->have_header)
        imp->cap = imp->ncols;
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

int import_accounts_csv(struct store *st, const char *data, size_t len,
                        struct import_report *rep)
{
    struct importer imp;
    struct csv_parser parser;
    bool parser_ready = false, in_tx = false;
    int rc;

    memset(&imp, 0, sizeof(imp));
    imp.st = st;
    imp.rep = rep;
    imp.line = 1;
    imp.row_line = 1;
    imp.cap = IMPORT_MAX_COLUMNS + 1;
    imp.cells = xcalloc(imp.cap, sizeof(*imp.cells));
    for (int k = 0; k < COL_KNOWN_COUNT; k++)
        imp.idx[k] = -1;
    date_today(imp.today);

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
    while (pos < len && !imp.stop) {
        size_t n = line_len(data + pos, len - pos);
        if (parser.pstate == CSV_ROW_NOT_BEGUN)
            imp.row_line = imp.line;
        if (csv_parse(&parser, data + pos, n, on_field, on_row, &imp) != n) {
            if (imp.stop)
                break;
            if (csv_error(&parser) == CSV_ENOMEM || csv_error(&parser) == CSV_ETOOBIG)
                abort();
            if (imp.row_line == imp.line)
                fatal(&imp, imp.row_line, NULL, "malformed quoting");
            else
                fatal(&imp, imp.row_line, NULL, "malformed quoting (found on line %ld)",
                      imp.line);
            break;
        }
        pos += n;
        imp.line++;
    }
    if (!imp.stop) {
        if (parser.pstate == CSV_ROW_NOT_BEGUN)
            imp.row_line = imp.line;
        if (csv_fini(&parser, on_field, on_row, &imp) != 0 && !imp.stop)
            fatal(&imp, imp.row_line, NULL, "malformed quoting: a quoted cell is not closed");
    }
    if (!imp.stop && !imp.have_header)
        fatal(&imp, 1, NULL, "the file is empty: no header row");

    rc = imp.rc;
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
    row_reset(&imp);
    free(imp.cells);
    for (size_t i = 0; i < imp.ncols; i++)
        free(imp.cols[i].name);
    free(imp.cols);
    return rc;
}

/* ------------------------------------------------------------ command line */

/* Reads the whole file into b (at most IMPORT_CLI_MAX_FILE bytes); 0 on success. */
static int read_file(const char *path, struct buf *b)
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

int importer_cli(const char *csv_path, FILE *out)
{
    struct buf b;
    struct import_report rep;
    int code = 2;

    buf_init(&b, IMPORT_CLI_MAX_FILE);
    import_report_init(&rep);
    if (read_file(csv_path, &b)) {
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
