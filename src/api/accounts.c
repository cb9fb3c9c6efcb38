/*
 * /api/v1/accounts: the customer companies. Create, read, patch, delete, and a list with
 * filters, sorts and keyset pagination. The current subscription's plan, MRR, ARR and
 * renewal date are included so that a list row is complete.
 */
#include "api/api.h"
#include "api/fields.h"
#include "journey/phase.h"
#include "sched/sched.h"

#include <stdlib.h>
#include <string.h>

static const char *const tiers[] = { "high", "low", "tech", NULL };

int api_phase_known(struct req *r, const char *field, const char *phase)
{
    struct lifecycle lc;
    int rc = journey_lifecycle_load(store_get(), &lc);
    if (rc)
        return reply_rc(r, rc, "lifecycle settings"), -1;
    bool ok = lifecycle_phase_index(&lc, phase) >= 0;
    lifecycle_cleanup(&lc);
    if (!ok)
        return reply_field_error(r, field, "'%s' must be a phase of the lifecycle settings",
                                 field), -1;
    return 0;
}

json_t *api_account_json(const struct account *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "name", json_str_or_null(a->name));
    json_object_set_new(o, "domain", json_str_or_null(a->domain));
    json_object_set_new(o, "external_id", json_str_or_null(a->external_id));
    json_object_set_new(o, "industry", json_str_or_null(a->industry));
    json_object_set_new(o, "employees", json_i64_or_null(a->employees, -1));
    json_object_set_new(o, "address", json_str_or_null(a->address));
    json_object_set_new(o, "purpose", json_str_or_null(a->purpose));
    json_object_set_new(o, "challenges", json_str_or_null(a->challenges));
    json_object_set_new(o, "owner_id", json_i64_or_null(a->owner_id, 0));
    json_object_set_new(o, "tier", json_string(a->tier));
    json_object_set_new(o, "tier_override", json_str_or_null(a->tier_override));
    json_object_set_new(o, "phase", json_str_or_null(a->phase));
    json_t *custom = a->custom ? json_loads(a->custom, 0, NULL) : NULL;
    json_object_set_new(o, "custom", custom ? custom : json_object());
    json_object_set_new(o, "plan", json_str_or_null(a->has_subscription ? a->plan : NULL));
    json_object_set_new(o, "mrr", a->has_subscription ? json_integer(a->mrr) : json_null());
    json_object_set_new(o, "arr", a->has_subscription ? json_integer(a->mrr * 12) : json_null());
    json_object_set_new(o, "currency", json_str_or_null(a->has_subscription ? a->currency : NULL));
    json_object_set_new(o, "renewal_date", json_str_or_null(a->renewal_date));
    json_object_set_new(o, "subscription_status",
                        json_str_or_null(a->has_subscription ? a->status : NULL));
    json_object_set_new(o, "health", json_i64_or_null(a->health_score, -1));
    json_object_set_new(o, "band", json_str_or_null(a->health_band[0] ? a->health_band : NULL));
    json_object_set_new(o, "last_seen_at", json_str_or_null(a->last_seen_at));
    json_object_set_new(o, "created_at", json_string(a->created_at));
    json_object_set_new(o, "updated_at", json_string(a->updated_at));
    /* The CSM sentiment (PUT /api/v1/accounts/{id}/sentiment), or null. */
    json_object_set_new(o, "sentiment",
                        a->sentiment ? json_pack("{s:i, s:o, s:s, s:o}", "score", a->sentiment,
                                                 "note", json_str_or_null(a->sentiment_note),
                                                 "at", a->sentiment_at, "by",
                                                 json_i64_or_null(a->sentiment_by, 0))
                                     : json_null());
    return o;
}

/* The value of query parameter key when it is one of allowed (or absent). */
static int query_enum(struct req *r, const char *key, const char *const *allowed, const char **out)
{
    const char *v = req_query(r, key);
    *out = NULL;
    if (!v)
        return 0;
    for (const char *const *a = allowed; *a; a++)
        if (strcmp(*a, v) == 0)
            return (*out = *a), 0;
    reply_field_error(r, key, "unknown value for '%s'", key);
    return -1;
}

/* A free-text query parameter of at most 500 bytes of UTF-8. */
static int query_text(struct req *r, const char *key, const char **out)
{
    const char *v = req_query(r, key);
    *out = NULL;
    if (!v)
        return 0;
    if (strlen(v) > 500 || !utf8_valid(v, strlen(v))) {
        reply_field_error(r, key, "'%s' must be UTF-8 text of at most 500 bytes", key);
        return -1;
    }
    *out = v;
    return 0;
}

int api_account_filter(struct req *r, struct account_filter *f)
{
    static const char *const known[] = { "owner", "tier", "phase", "industry", "external_id", "q",
                                         "renewal_before", "sort", "limit", "cursor", "domain",
                                         "band", "segment", NULL };
    static const char *const sorts[] = { "name", "arr", "renewal_date", "created_at", "health",
                                         NULL };
    static const char *const bands[] = { "green", "yellow", "red", "none", NULL };
    memset(f, 0, sizeof(*f));
    /* Unknown parameters are refused rather than ignored: a typo must not list everything. */
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown), -1;
    const char *owner = req_query(r, "owner");
    if (owner) {
        if (strcmp(owner, "me") == 0)
            f->owner_id = r->user.user_id;
        else if (strcmp(owner, "none") == 0)
            f->owner_id = -1;
        else if (parse_i64(owner, &f->owner_id) || f->owner_id <= 0)
            return reply_field_error(r, "owner", "'owner' must be me, none or a user id"), -1;
    }
    if (query_enum(r, "tier", tiers, &f->tier) || query_text(r, "phase", &f->phase) ||
        (f->phase && api_phase_known(r, "phase", f->phase)) || query_enum(r, "band", bands, &f->band) ||
        query_text(r, "industry", &f->industry) || query_text(r, "external_id", &f->external_id) ||
        query_text(r, "domain", &f->domain) || query_text(r, "q", &f->q))
        return -1;
    f->renewal_before = req_query(r, "renewal_before");
    if (f->renewal_before && date_valid(f->renewal_before))
        return reply_field_error(r, "renewal_before", "'renewal_before' must be YYYY-MM-DD"), -1;
    const char *sort = req_query(r, "sort");
    if (sort) {
        f->desc = sort[0] == '-';
        for (const char *const *s = sorts; *s; s++)
            if (strcmp(*s, sort + f->desc) == 0)
                f->sort = *s;
        if (!f->sort)
            return reply_field_error(r, "sort", "'sort' must be name, arr, renewal_date, "
                                                "created_at or health, with - for descending"),
                   -1;
    }
    /* Last, so that nothing fails after the segment's tree is allocated. */
    const char *segment = req_query(r, "segment");
    if (segment) {
        int64_t id;
        if (segment[0] < '1' || segment[0] > '9' || parse_i64(segment, &id))
            return reply_field_error(r, "segment", "'segment' must be a segment id"), -1;
        if (api_segment_filter(r, "segment", id, &f->segment))
            return -1;
    }
    return 0;
}

/* Validates the account fields in body into a; creating requires the name. */
static int account_fields(struct req *r, json_t *body, struct account *a, bool creating)
{
    static const char *const known[] = {
        "name", "domain", "external_id", "industry", "employees", "address", "purpose",
        "challenges", "owner_id", "tier_override", "phase", "custom", NULL };
    unsigned opt = FIELD_NULLABLE;
    if (fields_known(r, body, known) ||
        field_str(r, body, "name", creating ? FIELD_REQUIRED : 0, 300, &a->name) ||
        field_str(r, body, "domain", opt, 253, &a->domain) ||
        field_str(r, body, "external_id", opt, 200, &a->external_id) ||
        field_str(r, body, "industry", opt, 200, &a->industry) ||
        field_i64(r, body, "employees", opt, 0, 100000000, -1, &a->employees) ||
        field_str(r, body, "address", opt, 1000, &a->address) ||
        field_str(r, body, "purpose", opt, 10000, &a->purpose) ||
        field_str(r, body, "challenges", opt, 10000, &a->challenges) ||
        field_user_id(r, body, "owner_id", opt, &a->owner_id) ||
        field_enum(r, body, "tier_override", opt, tiers, &a->tier_override) ||
        field_str(r, body, "phase", 0, 64, &a->phase) ||
        field_object(r, body, "custom", opt, &a->custom))
        return -1;
    if (json_object_get(body, "phase") && api_phase_known(r, "phase", a->phase))
        return -1;
    if (json_object_get(body, "custom") && a->custom && strlen(a->custom) > ACCOUNT_CUSTOM_MAX)
        return reply_field_error(r, "custom", "'custom' is larger than 64 KiB"), -1;
    /* A csm may only hand an account to itself or leave it unassigned. */
    if (r->user.role < ROLE_ADMIN && a->owner_id && a->owner_id != r->user.user_id)
        return reply_problem(r, 403, "a csm may only assign accounts to themselves"), -1;
    return 0;
}

static int reply_saved(struct req *r, int rc, struct account *a, unsigned status)
{
    if (rc == KZ_ECONFLICT)
        return reply_conflict(r, "external_id", "another account has this external_id");
    if (rc)
        return reply_rc(r, rc, "account");
    return reply_json(r, status, api_account_json(a));
}

int api_accounts_list(struct req *r)
{
    struct account_filter f;
    bool has;
    char *value = NULL;
    if (api_account_filter(r, &f) || api_limit(r, &f.limit) ||
        api_cursor(r, &has, &value, &f.cursor_id))
        return api_account_filter_cleanup(&f), 0;
    f.has_cursor = has;
    f.cursor_value = value;
    struct account *v;
    size_t n;
    int rc = store_accounts_list(store_get(), &f, &v, &n);
    free(value);
    api_account_filter_cleanup(&f);
    if (rc)
        return reply_rc(r, rc, "accounts");
    json_t *data = json_array();
    for (size_t i = 0; i < n && i < (size_t)f.limit; i++)
        json_array_append_new(data, api_account_json(&v[i]));
    char *next = NULL;
    if (n > (size_t)f.limit) {
        char *sv = account_sort_value(&v[f.limit - 1], f.sort);
        next = api_cursor_encode(sv, v[f.limit - 1].id);
        free(sv);
    }
    accounts_free(v, n);
    reply_list(r, data, next);
    free(next);
    return 0;
}

int api_accounts_create(struct req *r)
{
    json_t *body = req_json(r);
    if (!body)
        return 0;
    struct account a;
    account_init(&a);
    /* A csm creating an account without an owner becomes its owner. */
    if (r->user.role == ROLE_CSM && !json_object_get(body, "owner_id"))
        a.owner_id = r->user.user_id;
    /* Without a phase the store starts it in the first phase of the lifecycle. */
    if (account_fields(r, body, &a, true) == 0)
        reply_saved(r, store_account_create(store_get(), &a), &a, 201);
    account_cleanup(&a);
    return 0;
}

int api_accounts_get(struct req *r)
{
    struct account a;
    account_init(&a);
    int rc = store_account_get(store_get(), req_param_id(r, 0), &a);
    reply_saved(r, rc, &a, 200);
    account_cleanup(&a);
    return 0;
}

int api_accounts_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (api_account_writable(r, id))
        return 0;
    json_t *body = req_json(r);
    if (!body)
        return 0;
    struct account a;
    account_init(&a);
    char *before = NULL;
    int rc = store_account_get(store_get(), id, &a);
    if (rc) {
        reply_rc(r, rc, "account");
        goto out;
    }
    before = xstrdup(a.phase);
    if (account_fields(r, body, &a, false))
        goto out;
    if (str_eq(a.phase, before)) {
        reply_saved(r, store_account_update(store_get(), &a), &a, 200);
        goto out;
    }
    /* A phase change goes through the journey's transition (phase history) with the rest of
     * the update, in one transaction: the row itself keeps its phase until then. */
    char *after = a.phase;
    a.phase = xstrdup(before);
    struct store *st = store_get();
    rc = store_begin(st);
    if (rc == KZ_OK) {
        rc = store_account_update(st, &a);
        if (rc == KZ_OK)
            rc = journey_move_manual(st, id, after, r->user.user_id,
                                     "phase changed with the account (PATCH)");
        if (rc)
            store_rollback(st);
        else
            rc = store_commit(st);
    }
    if (rc == KZ_OK) {
        free(a.phase);
        a.phase = after;
        after = NULL;
        sched_touch_account(id);
    }
    free(after);
    reply_saved(r, rc, &a, 200);
out:
    free(before);
    account_cleanup(&a);
    return 0;
}

int api_accounts_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (api_account_writable(r, id))
        return 0;
    int rc = store_account_delete(store_get(), id);
    return rc ? reply_rc(r, rc, "account") : reply_empty(r);
}
