/*
 * GET /api/v1/accounts.csv: every account matching the list filters (api_account_filter;
 * no pagination) as an RFC 4180 CSV download. The columns are the fixed ones below, then one
 * per custom-field key (the union over the exported accounts, sorted). The file is made so
 * that importing it back (importer/accounts_csv.c) finds the same accounts and changes
 * nothing: the importer ignores the computed columns (tier, phase, arr) and matches by
 * external_id, domain, or, for accounts with neither, id.
 *
 * Cells are quoted with libcsv's csv_write when they need it (a comma, quote, line break or
 * edge space). Against CSV formula injection a text cell starting with = + - @ tab or CR is
 * prefixed with ' (the importer removes it again); the numbers written here are exempt. A
 * custom key that equals a column the importer knows (case-insensitively), or repeats an
 * earlier key but for case, is left out: importing it back would change the account.
 */
#include "api/api.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPORT_MAX_BYTES (512u << 20)

enum {
    X_ID, X_EXTERNAL_ID, X_NAME, X_DOMAIN, X_INDUSTRY, X_EMPLOYEES, X_OWNER_EMAIL, X_TIER,
    X_PHASE, X_PLAN, X_MRR, X_ARR, X_CURRENCY, X_SEATS, X_START_DATE, X_RENEWAL_DATE,
    X_STATUS, X_COUNT
};

static const char *const columns[X_COUNT] = {
    "id", "external_id", "name", "domain", "industry", "employees", "owner_email", "tier",
    "phase", "plan", "mrr", "arr", "currency", "seats", "start_date", "renewal_date", "status",
};

/* Column names the importer reads besides the ones above; custom keys must avoid them. */
static const char *const import_only[] = { "address", "purpose", "challenges", "auto_renew",
                                           NULL };

struct user_email {
    int64_t id;
    char *email;
};

struct export_row {
    char *cells[X_COUNT];  /* heap strings; NULL is an empty cell */
    json_t *custom;        /* the account's custom object, or NULL */
};

struct export_ctx {
    struct store *st;
    struct user_email *users;
    size_t nusers;
    struct export_row *rows;
    size_t nrows;
    json_t *keys;          /* custom keys seen, as an object used as a set */
    int rc;
};

/* ------------------------------------------------------------ cells */

static bool formula_start(const char *s)
{
    while (*s == '\'')
        s++;
    return *s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r';
}

static bool needs_quotes(const char *s, size_t n)
{
    if (n == 0)
        return false;
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
        return true;
    return strpbrk(s, ",\"\r\n") != NULL;
}

/* Appends one cell (text s, or empty for NULL), preceded by a comma unless first. guard
 * applies the formula-injection prefix. Returns KZ_ETOOBIG when the buffer is full. */
static int put_cell(struct buf *b, const char *s, bool first, bool guard)
{
    char *tmp = NULL;
    int rc = KZ_OK;
    if (!first && (rc = buf_append(b, ",", 1)))
        goto out;
    if (!s)
        goto out;
    if (guard && formula_start(s))
        s = tmp = xasprintf("'%s", s);
    size_t n = strlen(s);
    if (!needs_quotes(s, n)) {
        rc = buf_append(b, s, n);
        goto out;
    }
    size_t need = csv_write(NULL, 0, s, n);
    char *q = xmalloc(need);
    csv_write(q, need, s, n);
    rc = buf_append(b, q, need);
    free(q);
out:
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------ collecting */

static const char *owner_email(const struct export_ctx *x, int64_t id)
{
    size_t lo = 0, hi = x->nusers;
    while (lo < hi) {               /* users are listed in id order */
        size_t mid = lo + (hi - lo) / 2;
        if (x->users[mid].id == id)
            return x->users[mid].email;
        if (x->users[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int load_users(struct export_ctx *x)
{
    int64_t after = 0;
    for (;;) {
        struct user *v = NULL;
        size_t n = 0;
        int rc = store_users_list(x->st, after, 500, &v, &n);
        if (rc)
            return rc;
        for (size_t i = 0; i < n; i++) {
            if (v[i].id > after) {
                x->users = xrealloc(x->users, (x->nusers + 1) * sizeof(*x->users));
                x->users[x->nusers].id = v[i].id;
                x->users[x->nusers].email = v[i].email;
                v[i].email = NULL;
                x->nusers++;
                after = v[i].id;
            }
            user_cleanup(&v[i]);
        }
        free(v);
        if (n == 0)
            return KZ_OK;
    }
}

static char *i64_text(int64_t v)
{
    return xasprintf("%lld", (long long)v);
}

/* store_accounts_each callback: turns one account into a row. */
static int collect(const struct account *a, void *ctx)
{
    struct export_ctx *x = ctx;
    struct export_row row;
    struct subscription sub = { 0 };
    memset(&row, 0, sizeof(row));

    row.cells[X_ID] = i64_text(a->id);
    row.cells[X_EXTERNAL_ID] = xstrdup(a->external_id);
    row.cells[X_NAME] = xstrdup(a->name);
    row.cells[X_DOMAIN] = xstrdup(a->domain);
    row.cells[X_INDUSTRY] = xstrdup(a->industry);
    if (a->employees >= 0)
        row.cells[X_EMPLOYEES] = i64_text(a->employees);
    if (a->owner_id)
        row.cells[X_OWNER_EMAIL] = xstrdup(owner_email(x, a->owner_id));
    row.cells[X_TIER] = xstrdup(a->tier);
    row.cells[X_PHASE] = xstrdup(a->phase);
    if (a->has_subscription) {
        int rc = store_subscription_get(x->st, a->id, &sub);
        if (rc == KZ_OK) {
            row.cells[X_PLAN] = xstrdup(sub.plan);
            row.cells[X_MRR] = i64_text(sub.mrr);
            row.cells[X_ARR] = i64_text(sub.mrr * 12);
            row.cells[X_CURRENCY] = xstrdup(sub.currency);
            row.cells[X_SEATS] = i64_text(sub.seats);
            row.cells[X_START_DATE] = xstrdup(sub.start_date);
            row.cells[X_RENEWAL_DATE] = xstrdup(sub.renewal_date);
            row.cells[X_STATUS] = xstrdup(sub.status);
        } else if (rc != KZ_ENOTFOUND) {
            x->rc = rc;
        }
    }
    if (a->custom) {
        json_t *obj = json_loads(a->custom, 0, NULL);
        if (json_is_object(obj) && json_object_size(obj) > 0) {
            const char *key;
            json_t *v;
            json_object_foreach(obj, key, v)
                json_object_set(x->keys, key, json_true());
            row.custom = obj;
        } else {
            json_decref(obj);
        }
    }
    subscription_cleanup(&sub);
    x->rows = xrealloc(x->rows, (x->nrows + 1) * sizeof(*x->rows));
    x->rows[x->nrows++] = row;
    return x->rc != KZ_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool key_collides(const char *key, const char *const *kept, size_t nkept)
{
    if (!key[0])
        return true;
    for (size_t i = 0; i < X_COUNT; i++)
        if (strcasecmp(key, columns[i]) == 0)
            return true;
    for (const char *const *k = import_only; *k; k++)
        if (strcasecmp(key, *k) == 0)
            return true;
    for (size_t i = 0; i < nkept; i++)
        if (strcasecmp(key, kept[i]) == 0)
            return true;
    return false;
}

/* The text of a custom value in a cell (caller frees); NULL for JSON null. */
static char *custom_text(json_t *v)
{
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *r = xstrdup(s ? s : "");
    free(s);
    return r;
}

/* ------------------------------------------------------------ writing */

/* Writes the whole CSV into b: header, then the rows. */
static int write_csv(struct export_ctx *x, struct buf *b)
{
    const char **keys = NULL;
    size_t nkeys = 0, nkept = 0;
    int rc = KZ_OK;

    nkeys = json_object_size(x->keys);
    keys = xcalloc(nkeys ? nkeys : 1, sizeof(*keys));
    const char *key;
    json_t *v;
    size_t i = 0;
    json_object_foreach(x->keys, key, v)
        keys[i++] = key;
    qsort(keys, nkeys, sizeof(*keys), cmp_str);
    for (i = 0; i < nkeys; i++)
        if (!key_collides(keys[i], keys, nkept))
            keys[nkept++] = keys[i];

    for (i = 0; i < X_COUNT && !rc; i++)
        rc = put_cell(b, columns[i], i == 0, false);
    for (i = 0; i < nkept && !rc; i++)
        rc = put_cell(b, keys[i], false, true);
    if (!rc)
        rc = buf_append(b, "\r\n", 2);

    for (size_t r = 0; r < x->nrows && !rc; r++) {
        struct export_row *row = &x->rows[r];
        for (i = 0; i < X_COUNT && !rc; i++) {
            bool number = i == X_ID || i == X_EMPLOYEES || i == X_MRR || i == X_ARR ||
                          i == X_SEATS;
            rc = put_cell(b, row->cells[i], i == 0, !number);
        }
        for (i = 0; i < nkept && !rc; i++) {
            char *t = custom_text(row->custom ? json_object_get(row->custom, keys[i]) : NULL);
            rc = put_cell(b, t, false, true);
            free(t);
        }
        if (!rc)
            rc = buf_append(b, "\r\n", 2);
    }
    free(keys);
    return rc;
}

static void ctx_cleanup(struct export_ctx *x)
{
    for (size_t i = 0; i < x->nusers; i++)
        free(x->users[i].email);
    free(x->users);
    for (size_t r = 0; r < x->nrows; r++) {
        for (size_t i = 0; i < X_COUNT; i++)
            free(x->rows[r].cells[i]);
        json_decref(x->rows[r].custom);
    }
    free(x->rows);
    json_decref(x->keys);
}

int api_accounts_export_csv(struct req *r)
{
    struct account_filter f;
    struct export_ctx x;
    struct buf b;

    memset(&x, 0, sizeof(x));
    buf_init(&b, EXPORT_MAX_BYTES);
    if (api_account_filter(r, &f))
        goto out;
    x.st = store_get();
    x.keys = json_object();
    int rc = load_users(&x);
    if (rc == KZ_OK)
        rc = store_accounts_each(x.st, &f, collect, &x);
    if (rc == KZ_OK)
        rc = x.rc;
    if (rc) {
        reply_rc(r, rc, "accounts");
        goto out;
    }
    if (write_csv(&x, &b)) {
        reply_problem(r, 413, "the export is larger than %u MiB; narrow it with filters",
                      EXPORT_MAX_BYTES >> 20);
        goto out;
    }
    size_t len = b.len;
    reply_bytes(r, 200, "text/csv; charset=utf-8", buf_steal(&b), len);
    reply_add_header(r, "Content-Disposition", "attachment; filename=\"accounts.csv\"");
out:
    api_account_filter_cleanup(&f);
    ctx_cleanup(&x);
    buf_free(&b);
    return 0;
}
