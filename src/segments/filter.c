/*
 * Segment filter trees (filter.h): JSON -> AST -> SQL. The parser checks the shape of every
 * node and, for conditions, that the field exists, the operator applies to the field's type
 * and the value has the type the operator needs; an error names the JSON path of the node.
 * The compiler walks the AST and appends fixed SQL fragments, giving each value a numbered
 * placeholder and an entry in the bind list. Conditions on a missing value (an account
 * without a subscription, a score never computed) are false, except is_null and ne; `not`
 * is the exact complement of its child (NULLs are folded to false before negating).
 */
#include "segments/filter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ------------------------------------------------------------ fields and operators */

enum seg_op { OP_EQ, OP_NE, OP_LT, OP_LTE, OP_GT, OP_GTE, OP_IN, OP_CONTAINS, OP_WITHIN_DAYS,
              OP_IS_NULL, OP_COUNT };

static const char *const op_names[OP_COUNT] = {
    "eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "within_days", "is_null",
};

enum seg_type {
    T_TEXT,       /* free text: eq ne in contains is_null */
    T_ENUM,       /* one of a list: eq ne in is_null */
    T_INT,        /* integer in [min, max]: eq ne lt lte gt gte in is_null */
    T_DATE,       /* YYYY-MM-DD: eq ne lt lte gt gte within_days is_null */
    T_DAYS_SINCE, /* a timestamp compared as whole days before now: like T_INT on days */
    T_BOOL,       /* eq ne is_null */
    T_CUSTOM,     /* custom.<key>: the JSON value's own type */
};

#define B(op) (1u << (op))
static const unsigned type_ops[] = {
    [T_TEXT] = B(OP_EQ) | B(OP_NE) | B(OP_IN) | B(OP_CONTAINS) | B(OP_IS_NULL),
    [T_ENUM] = B(OP_EQ) | B(OP_NE) | B(OP_IN) | B(OP_IS_NULL),
    [T_INT] = B(OP_EQ) | B(OP_NE) | B(OP_LT) | B(OP_LTE) | B(OP_GT) | B(OP_GTE) | B(OP_IN) |
              B(OP_IS_NULL),
    [T_DATE] = B(OP_EQ) | B(OP_NE) | B(OP_LT) | B(OP_LTE) | B(OP_GT) | B(OP_GTE) |
               B(OP_WITHIN_DAYS) | B(OP_IS_NULL),
    [T_DAYS_SINCE] = B(OP_EQ) | B(OP_NE) | B(OP_LT) | B(OP_LTE) | B(OP_GT) | B(OP_GTE) |
                     B(OP_WITHIN_DAYS) | B(OP_IS_NULL),
    [T_BOOL] = B(OP_EQ) | B(OP_NE) | B(OP_IS_NULL),
    [T_CUSTOM] = B(OP_EQ) | B(OP_NE) | B(OP_LT) | B(OP_LTE) | B(OP_GT) | B(OP_GTE) | B(OP_IN) |
                 B(OP_CONTAINS) | B(OP_IS_NULL),
};

static const char *const tiers[] = { "high", "low", "tech", NULL };
static const char *const bands[] = { "green", "yellow", "red", NULL };
static const char *const statuses[] = { "trial", "active", "churned", NULL };

struct seg_field {
    const char *name;
    enum seg_type type;
    const char *expr;            /* SQL over a and s: a fixed fragment */
    const char *const *allowed;  /* T_ENUM */
    int64_t min, max;            /* T_INT */
    int direction;               /* T_DATE within_days: +1 the next N days, -1 the last N */
};

#define MONEY_MAX 1000000000000000LL
static const struct seg_field fields[] = {
    { "name", T_TEXT, "a.name", NULL, 0, 0, 0 },
    { "domain", T_TEXT, "a.domain", NULL, 0, 0, 0 },
    { "external_id", T_TEXT, "a.external_id", NULL, 0, 0, 0 },
    { "industry", T_TEXT, "a.industry", NULL, 0, 0, 0 },
    { "address", T_TEXT, "a.address", NULL, 0, 0, 0 },
    { "phase", T_TEXT, "a.phase", NULL, 0, 0, 0 },
    { "tier", T_ENUM, "a.tier", tiers, 0, 0, 0 },
    { "tier_override", T_ENUM, "a.tier_override", tiers, 0, 0, 0 },
    { "owner", T_INT, "a.owner_id", NULL, 1, INT64_MAX, 0 },
    { "employees", T_INT, "a.employees", NULL, 0, 100000000, 0 },
    { "health", T_INT, "a.health_score", NULL, 0, 100, 0 },
    { "band", T_ENUM, "a.health_band", bands, 0, 0, 0 },
    { "sentiment", T_INT, "a.sentiment", NULL, 1, 5, 0 },
    { "nps", T_INT,
      "(SELECT r.score FROM survey_responses r WHERE r.account_id = a.id AND r.type = 'nps' "
      "ORDER BY r.answered_at DESC, r.id DESC LIMIT 1)", NULL, 0, 10, 0 },
    { "arr", T_INT, "(s.mrr * 12)", NULL, 0, MONEY_MAX, 0 },
    { "mrr", T_INT, "s.mrr", NULL, 0, MONEY_MAX, 0 },
    { "seats", T_INT, "s.seats", NULL, 0, 100000000, 0 },
    { "currency", T_TEXT, "s.currency", NULL, 0, 0, 0 },
    { "plan", T_TEXT, "s.plan", NULL, 0, 0, 0 },
    { "subscription_status", T_ENUM, "s.status", statuses, 0, 0, 0 },
    { "auto_renew", T_BOOL, "s.auto_renew", NULL, 0, 0, 0 },
    { "renewal_date", T_DATE, "s.renewal_date", NULL, 0, 0, +1 },
    { "start_date", T_DATE, "s.start_date", NULL, 0, 0, -1 },
    { "created_at", T_DATE, "substr(a.created_at, 1, 10)", NULL, 0, 0, -1 },
    { "last_seen", T_DAYS_SINCE, "a.last_seen_at", NULL, 0, SEG_DAYS_MAX, 0 },
    { "days_in_phase", T_DAYS_SINCE, "a.phase_entered_at", NULL, 0, SEG_DAYS_MAX, 0 },
};
static const struct seg_field custom_field = { "custom", T_CUSTOM, NULL, NULL, 0, 0, 0 };

/* ------------------------------------------------------------ the language as data */

static const char *const type_names[] = {
    [T_TEXT] = "text", [T_ENUM] = "enum", [T_INT] = "integer", [T_DATE] = "date",
    [T_DAYS_SINCE] = "days_since", [T_BOOL] = "boolean", [T_CUSTOM] = "custom",
};

static json_t *ops_json(unsigned mask)
{
    json_t *a = json_array();
    for (int i = 0; i < OP_COUNT; i++)
        if (mask & B(i))
            json_array_append_new(a, json_string(op_names[i]));
    return a;
}

json_t *seg_fields_json(void)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const struct seg_field *f = &fields[i];
        json_t *o = json_pack("{s:s, s:s, s:o}", "name", f->name, "type", type_names[f->type],
                              "ops", ops_json(type_ops[f->type]));
        if (f->type == T_ENUM) {
            json_t *v = json_array();
            for (const char *const *a = f->allowed; *a; a++)
                json_array_append_new(v, json_string(*a));
            json_object_set_new(o, "values", v);
        } else if (f->type == T_INT || f->type == T_DAYS_SINCE) {
            json_object_set_new(o, "min", json_integer(f->min));
            json_object_set_new(o, "max", json_integer(f->max));
        } else if (f->type == T_DATE) {
            /* within_days N: the next N days (renewals) or the last N (starts, creation) */
            json_object_set_new(o, "within_days", json_string(f->direction > 0 ? "next"
                                                                                : "last"));
        }
        json_array_append_new(list, o);
    }
    json_t *custom = json_pack("{s:s, s:s, s:o, s:i}", "prefix", "custom.", "type",
                               type_names[T_CUSTOM], "ops", ops_json(type_ops[T_CUSTOM]),
                               "key_max", SEG_KEY_MAX);
    json_t *limits = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "depth", SEG_MAX_DEPTH,
                               "conditions", SEG_MAX_CONDITIONS, "nodes", SEG_MAX_NODES,
                               "in_values", SEG_MAX_IN, "text_bytes", SEG_TEXT_MAX,
                               "days_max", SEG_DAYS_MAX);
    return json_pack("{s:o, s:o, s:o, s:o}", "ops", ops_json((1u << OP_COUNT) - 1), "fields",
                     list, "custom", custom, "limits", limits);
}

/* ------------------------------------------------------------ the AST */

enum seg_kind { K_AND, K_OR, K_NOT, K_COND };

struct seg_value {
    enum seg_bind_type type; /* a bool is an INT 0/1 */
    int64_t i;
    double d;
    char *s;
};

struct seg_node {
    enum seg_kind kind;
    struct seg_node **kids; /* and, or: any number; not: one */
    size_t nkids;
    const struct seg_field *field;
    char *custom_key;       /* custom.<key>: the key */
    enum seg_op op;
    bool is_null;           /* OP_IS_NULL: true = missing, false = present */
    struct seg_value *values;
    size_t nvalues;
};

void seg_node_free(struct seg_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        seg_node_free(n->kids[i]);
    free(n->kids);
    free(n->custom_key);
    for (size_t i = 0; i < n->nvalues; i++)
        free(n->values[i].s);
    free(n->values);
    free(n);
}

size_t seg_count_conditions(const struct seg_node *n)
{
    if (!n)
        return 0;
    if (n->kind == K_COND)
        return 1;
    size_t c = 0;
    for (size_t i = 0; i < n->nkids; i++)
        c += seg_count_conditions(n->kids[i]);
    return c;
}

/* ------------------------------------------------------------ parsing */

struct parser {
    struct seg_error *err;
    size_t conditions;
    size_t nodes;
};

static int fail(struct parser *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, const char *path, const char *fmt, ...)
{
    snprintf(p->err->path, sizeof(p->err->path), "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->detail, sizeof(p->err->detail), fmt, ap);
    va_end(ap);
    return -1;
}

/* base.key or base.key[index]; a key (user input when unknown) is cut to 100 bytes on a
 * UTF-8 character boundary, so that the path stays valid text for the reply. */
static void subpath(char out[SEG_PATH_MAX], const char *base, const char *key, long index)
{
    int len = (int)strnlen(key, 101);
    if (len > 100)
        for (len = 100; len > 0 && ((unsigned char)key[len] & 0xC0) == 0x80; len--)
            ;
    if (index >= 0)
        snprintf(out, SEG_PATH_MAX, "%s.%.*s[%ld]", base, len, key, index);
    else
        snprintf(out, SEG_PATH_MAX, "%s.%.*s", base, len, key);
}

/* A string without NUL of at most max bytes into v; -1 after failing. */
static int text_value(struct parser *p, const char *path, const json_t *j, size_t max,
                      struct seg_value *v)
{
    if (!json_is_string(j))
        return fail(p, path, "must be a string");
    const char *s = json_string_value(j);
    if (strlen(s) != json_string_length(j))
        return fail(p, path, "may not contain NUL characters");
    if (strlen(s) > max)
        return fail(p, path, "is longer than %zu bytes", max);
    v->type = SEG_BIND_TEXT;
    v->s = xstrdup(s);
    return 0;
}

static int int_value(struct parser *p, const char *path, const json_t *j, int64_t min,
                     int64_t max, struct seg_value *v)
{
    if (!json_is_integer(j))
        return fail(p, path, "must be an integer");
    json_int_t x = json_integer_value(j);
    if (x < min || x > max)
        return fail(p, path, "must be from %lld to %lld", (long long)min, (long long)max);
    v->type = SEG_BIND_INT;
    v->i = x;
    return 0;
}

/* One value (an `in` element or the value of any other comparison) for field f and op. */
static int one_value(struct parser *p, const char *path, const struct seg_field *f,
                     enum seg_op op, const json_t *j, struct seg_value *v)
{
    switch (f->type) {
    case T_TEXT:
        return text_value(p, path, j, SEG_TEXT_MAX, v);
    case T_ENUM:
        if (text_value(p, path, j, SEG_TEXT_MAX, v))
            return -1;
        if (!str_in_list(v->s, f->allowed)) {
            char list[128] = "";
            for (const char *const *a = f->allowed; *a; a++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                         a == f->allowed ? "" : ", ", *a);
            return fail(p, path, "'%s' is one of %s", f->name, list);
        }
        return 0;
    case T_INT:
        return int_value(p, path, j, f->min, f->max, v);
    case T_DAYS_SINCE:
        return int_value(p, path, j, 0, SEG_DAYS_MAX, v);
    case T_DATE:
        if (op == OP_WITHIN_DAYS)
            return int_value(p, path, j, 0, SEG_DAYS_MAX, v);
        if (!json_is_string(j) || date_valid(json_string_value(j)))
            return fail(p, path, "must be a date YYYY-MM-DD");
        v->type = SEG_BIND_TEXT;
        v->s = xstrdup(json_string_value(j));
        return 0;
    case T_BOOL:
        if (!json_is_boolean(j))
            return fail(p, path, "must be true or false");
        v->type = SEG_BIND_INT;
        v->i = json_is_true(j);
        return 0;
    case T_CUSTOM:
        if (json_is_string(j))
            return text_value(p, path, j, SEG_TEXT_MAX, v);
        if (op == OP_CONTAINS)
            return fail(p, path, "must be a string");
        if (json_is_integer(j)) {
            v->type = SEG_BIND_INT;
            v->i = json_integer_value(j);
            return 0;
        }
        if (json_is_real(j)) {
            v->type = SEG_BIND_REAL;
            v->d = json_real_value(j);
            return 0;
        }
        if (json_is_boolean(j) && (op == OP_EQ || op == OP_NE)) {
            v->type = SEG_BIND_INT;
            v->i = json_is_true(j);
            return 0;
        }
        return fail(p, path, "must be a string or a number%s",
                    op == OP_EQ || op == OP_NE ? " or a boolean" : "");
    }
    return fail(p, path, "unsupported field type");
}

/* The field of a condition: a known name, or custom.<key> with a key SQLite's JSON paths
 * can quote (no '"', '\' or control characters). */
static int parse_field(struct parser *p, const char *path, const json_t *j, struct seg_node *n)
{
    if (!json_is_string(j))
        return fail(p, path, "must be a string naming an account field");
    const char *name = json_string_value(j);
    if (strlen(name) != json_string_length(j))
        return fail(p, path, "may not contain NUL characters");
    if (strncmp(name, "custom.", 7) == 0) {
        const char *key = name + 7;
        size_t len = strlen(key);
        if (len == 0 || len > SEG_KEY_MAX)
            return fail(p, path, "a custom field key has 1 to %d bytes", SEG_KEY_MAX);
        for (const char *c = key; *c; c++)
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20 || *c == 0x7f)
                return fail(p, path, "a custom field key may not contain '\"', '\\' or "
                                     "control characters");
        n->field = &custom_field;
        n->custom_key = xstrdup(key);
        return 0;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strcmp(fields[i].name, name) == 0)
            return (n->field = &fields[i]), 0;
    return fail(p, path, "unknown field '%.100s' (see docs/segments.md for the fields)", name);
}

static int parse_condition(struct parser *p, const char *path, const json_t *j,
                           struct seg_node *n)
{
    char sub[SEG_PATH_MAX];
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        if (strcmp(key, "field") && strcmp(key, "op") && strcmp(key, "value")) {
            subpath(sub, path, key, -1);
            return fail(p, sub, "unknown key '%.100s': a condition has field, op and value",
                        key);
        }
    }
    n->kind = K_COND;
    if (++p->conditions > SEG_MAX_CONDITIONS)
        return fail(p, path, "a filter has at most %d conditions", SEG_MAX_CONDITIONS);
    subpath(sub, path, "field", -1);
    const json_t *jf = json_object_get(j, "field");
    if (!jf)
        return fail(p, sub, "is required");
    if (parse_field(p, sub, jf, n))
        return -1;

    subpath(sub, path, "op", -1);
    const json_t *jo = json_object_get(j, "op");
    if (!jo)
        return fail(p, sub, "is required");
    const char *op = json_is_string(jo) ? json_string_value(jo) : NULL;
    int found = -1;
    for (int i = 0; op && i < OP_COUNT; i++)
        if (strcmp(op_names[i], op) == 0)
            found = i;
    if (found < 0)
        return fail(p, sub, "unknown operator: use eq, ne, lt, lte, gt, gte, in, contains, "
                            "within_days or is_null");
    n->op = (enum seg_op)found;
    if (!(type_ops[n->field->type] & B(n->op)))
        return fail(p, sub, "operator '%s' does not apply to field '%s'", op_names[n->op],
                    n->field->name);

    subpath(sub, path, "value", -1);
    const json_t *jv = json_object_get(j, "value");
    if (n->op == OP_IS_NULL) {
        if (jv && !json_is_boolean(jv))
            return fail(p, sub, "is_null takes true (the default) or false");
        n->is_null = !jv || json_is_true(jv);
        return 0;
    }
    if (!jv)
        return fail(p, sub, "is required");
    if (n->op == OP_IN) {
        if (!json_is_array(jv))
            return fail(p, sub, "'in' takes an array of values");
        size_t cnt = json_array_size(jv);
        if (cnt == 0 || cnt > SEG_MAX_IN)
            return fail(p, sub, "'in' takes 1 to %d values", SEG_MAX_IN);
        n->values = xcalloc(cnt, sizeof(*n->values));
        for (size_t i = 0; i < cnt; i++) {
            char el[SEG_PATH_MAX];
            subpath(el, path, "value", (long)i);
            n->nvalues = i + 1;
            if (one_value(p, el, n->field, OP_EQ, json_array_get(jv, i), &n->values[i]))
                return -1;
        }
        return 0;
    }
    n->values = xcalloc(1, sizeof(*n->values));
    n->nvalues = 1;
    return one_value(p, sub, n->field, n->op, jv, n->values);
}

static int parse_node(struct parser *p, const char *path, const json_t *j, int depth,
                      struct seg_node **out)
{
    *out = NULL;
    if (!json_is_object(j))
        return fail(p, path, "must be an object: a condition {field, op, value} or one of "
                             "and, or, not");
    if (depth > SEG_MAX_DEPTH)
        return fail(p, path, "filters nest at most %d levels deep", SEG_MAX_DEPTH);
    if (++p->nodes > SEG_MAX_NODES)
        return fail(p, path, "a filter has at most %d nodes (and, or, not and conditions)",
                    SEG_MAX_NODES);
    struct seg_node *n = xcalloc(1, sizeof(*n));
    *out = n;
    static const char *const groups[] = { "and", "or", "not" };
    for (int g = 0; g < 3; g++) {
        const json_t *kids = json_object_get(j, groups[g]);
        if (!kids)
            continue;
        char sub[SEG_PATH_MAX];
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v) {
            if (strcmp(key, groups[g])) {
                subpath(sub, path, key, -1);
                return fail(p, sub, "unexpected key '%.100s' beside '%s'", key, groups[g]);
            }
        }
        subpath(sub, path, groups[g], -1);
        if (g == 2) {
            n->kind = K_NOT;
            n->kids = xcalloc(1, sizeof(*n->kids));
            n->nkids = 1;
            return parse_node(p, sub, kids, depth + 1, &n->kids[0]);
        }
        n->kind = g == 0 ? K_AND : K_OR;
        if (!json_is_array(kids))
            return fail(p, sub, "'%s' takes an array of filters", groups[g]);
        size_t cnt = json_array_size(kids);
        n->kids = xcalloc(cnt ? cnt : 1, sizeof(*n->kids));
        for (size_t i = 0; i < cnt; i++) {
            subpath(sub, path, groups[g], (long)i);
            n->nkids = i + 1;
            if (parse_node(p, sub, json_array_get(kids, i), depth + 1, &n->kids[i]))
                return -1;
        }
        return 0;
    }
    return parse_condition(p, path, j, n);
}

int seg_parse(const json_t *j, const char *path, struct seg_node **out, struct seg_error *err)
{
    struct parser p = { .err = err };
    memset(err, 0, sizeof(*err));
    struct seg_node *n;
    if (parse_node(&p, path, j, 1, &n)) {
        seg_node_free(n);
        *out = NULL;
        return -1;
    }
    *out = n;
    return 0;
}

/* ------------------------------------------------------------ compiling */

struct compiler {
    struct buf sql;
    struct seg_bind *binds;
    size_t nbinds;
    int first;
    int64_t now;
};

/* Adds a value to bind; returns its placeholder number. */
static int add_bind(struct compiler *c, enum seg_bind_type t, int64_t i, double d,
                    const char *s)
{
    c->binds = xrealloc(c->binds, (c->nbinds + 1) * sizeof(*c->binds));
    c->binds[c->nbinds] = (struct seg_bind){ .type = t, .i = i, .d = d, .s = xstrdup(s) };
    return c->first + (int)c->nbinds++;
}

static int bind_value(struct compiler *c, const struct seg_value *v)
{
    return add_bind(c, v->type, v->i, v->d, v->s);
}

static int bind_text(struct compiler *c, const char *s)
{
    return add_bind(c, SEG_BIND_TEXT, 0, 0, s);
}

/* The date n days from today ("YYYY-MM-DD"), bound. */
static int bind_day(struct compiler *c, int64_t n)
{
    char d[11];
    date_from_days(c->now / 86400 + n, d);
    return bind_text(c, d);
}

/* The time `days` whole days before now ("YYYY-MM-DDTHH:MM:SSZ", the stored format), bound. */
static int bind_cutoff(struct compiler *c, int64_t days)
{
    char t[21];
    time_format(c->now - days * 86400, t);
    return bind_text(c, t);
}

/* "%" + s with LIKE wildcards escaped + "%": contains, case-insensitive for ASCII. */
static int bind_like(struct compiler *c, const char *s)
{
    struct buf b;
    buf_init(&b, 0);
    buf_append(&b, "%", 1);
    for (const char *q = s; *q; q++) {
        if (*q == '%' || *q == '_' || *q == '\\')
            buf_append(&b, "\\", 1);
        buf_append(&b, q, 1);
    }
    buf_append(&b, "%", 1);
    int k = bind_text(c, b.p);
    buf_free(&b);
    return k;
}

static const char *const cmp_sql[] = {
    [OP_EQ] = "=", [OP_LT] = "<", [OP_LTE] = "<=", [OP_GT] = ">", [OP_GTE] = ">=",
};

/* A days-since condition on the timestamp expression e. days_since(t) is the number of whole
 * days from t to now, so days_since >= k exactly when t <= now - k days (cut-off c(k)). */
static void compile_days_since(struct compiler *c, const char *e, enum seg_op op, int64_t n)
{
    struct buf *q = &c->sql;
    switch (op) {
    case OP_EQ:
    case OP_NE: {
        int lo = bind_cutoff(c, n + 1), hi = bind_cutoff(c, n);
        if (op == OP_EQ)
            buf_printf(q, "(%s > ?%d AND %s <= ?%d)", e, lo, e, hi);
        else
            buf_printf(q, "(%s IS NULL OR %s <= ?%d OR %s > ?%d)", e, e, lo, e, hi);
        return;
    }
    case OP_LT: buf_printf(q, "%s > ?%d", e, bind_cutoff(c, n)); return;
    case OP_LTE:
    case OP_WITHIN_DAYS: buf_printf(q, "%s > ?%d", e, bind_cutoff(c, n + 1)); return;
    case OP_GT: buf_printf(q, "%s <= ?%d", e, bind_cutoff(c, n + 1)); return;
    case OP_GTE: buf_printf(q, "%s <= ?%d", e, bind_cutoff(c, n)); return;
    default: return;
    }
}

static void compile_cond(struct compiler *c, const struct seg_node *n)
{
    struct buf *q = &c->sql;
    char custom[64];
    const char *e = n->field->expr;
    if (n->field->type == T_CUSTOM) {
        /* The key goes in a bound JSON path, never in the SQL text. */
        char *jpath = xasprintf("$.\"%s\"", n->custom_key);
        snprintf(custom, sizeof(custom), "json_extract(a.custom, ?%d)", bind_text(c, jpath));
        free(jpath);
        e = custom;
    }
    if (n->op == OP_IS_NULL) {
        buf_printf(q, "%s IS %sNULL", e, n->is_null ? "" : "NOT ");
        return;
    }
    if (n->field->type == T_DAYS_SINCE) {
        compile_days_since(c, e, n->op, n->values[0].i);
        return;
    }
    switch (n->op) {
    case OP_EQ:
    case OP_LT:
    case OP_LTE:
    case OP_GT:
    case OP_GTE:
        buf_printf(q, "%s %s ?%d", e, cmp_sql[n->op], bind_value(c, &n->values[0]));
        return;
    case OP_NE:
        buf_printf(q, "(%s IS NULL OR %s <> ?%d)", e, e, bind_value(c, &n->values[0]));
        return;
    case OP_IN:
        buf_printf(q, "%s IN (", e);
        for (size_t i = 0; i < n->nvalues; i++)
            buf_printf(q, "%s?%d", i ? ", " : "", bind_value(c, &n->values[i]));
        buf_printf(q, ")");
        return;
    case OP_CONTAINS:
        buf_printf(q, "%s LIKE ?%d ESCAPE '\\'", e, bind_like(c, n->values[0].s));
        return;
    case OP_WITHIN_DAYS: {
        /* renewal_date: today .. today + N; dates in the past (created_at): today - N .. today */
        int64_t days = n->values[0].i;
        int from = bind_day(c, n->field->direction > 0 ? 0 : -days);
        int to = bind_day(c, n->field->direction > 0 ? days : 0);
        buf_printf(q, "(%s >= ?%d AND %s <= ?%d)", e, from, e, to);
        return;
    }
    default:
        return;
    }
}

static void compile_node(struct compiler *c, const struct seg_node *n)
{
    struct buf *q = &c->sql;
    switch (n->kind) {
    case K_COND:
        compile_cond(c, n);
        return;
    case K_NOT:
        /* COALESCE: a NULL child (a comparison with a missing value) counts as false. */
        buf_printf(q, "NOT COALESCE(");
        compile_node(c, n->kids[0]);
        buf_printf(q, ", 0)");
        return;
    case K_AND:
    case K_OR:
        if (n->nkids == 0) {
            buf_printf(q, n->kind == K_AND ? "1 = 1" : "1 = 0");
            return;
        }
        buf_printf(q, "(");
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                buf_printf(q, n->kind == K_AND ? " AND " : " OR ");
            compile_node(c, n->kids[i]);
        }
        buf_printf(q, ")");
        return;
    }
}

void seg_compile(const struct seg_node *n, int64_t now, int first_param, struct seg_sql *out)
{
    struct compiler c = { .first = first_param, .now = now };
    buf_init(&c.sql, 0);
    compile_node(&c, n);
    out->sql = buf_steal(&c.sql);
    out->binds = c.binds;
    out->nbinds = c.nbinds;
}

void seg_sql_cleanup(struct seg_sql *q)
{
    if (!q)
        return;
    free(q->sql);
    for (size_t i = 0; i < q->nbinds; i++)
        free(q->binds[i].s);
    free(q->binds);
    memset(q, 0, sizeof(*q));
}
