/*
 * /api/v1/segments: saved filters on any account field (docs/segments.md). A segment has a
 * name, a description and a filter tree; its members are the accounts the tree matches now
 * (GET .../accounts: the accounts list's JSON, sorts and cursors), and the accounts list
 * takes ?segment=<id>. POST /api/v1/segments/preview counts and lists the members of a
 * filter not saved yet. Role rule: everyone reads; csm and admin create; the creator or an
 * admin changes or deletes a segment (viewers are stopped by the route table).
 */
#include "api/api.h"
#include "api/fields.h"
#include "journey/phase.h"
#include "segments/filter.h"
#include "store/segments.h"

#include <stdlib.h>
#include <string.h>

static const char *const segment_known[] = { "name", "description", "filter", NULL };

/* A new JSON object for s; member_count < 0 leaves it out (lists). */
static json_t *segment_json(const struct segment *s, int64_t member_count)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(s->id));
    json_object_set_new(o, "name", json_str_or_null(s->name));
    json_object_set_new(o, "description", json_str_or_null(s->description));
    json_t *filter = s->filter ? json_loads(s->filter, 0, NULL) : NULL;
    json_object_set_new(o, "filter", filter ? filter : json_null());
    json_object_set_new(o, "created_by", json_i64_or_null(s->created_by, 0));
    json_object_set_new(o, "created_at", json_string(s->created_at));
    json_object_set_new(o, "updated_at", json_string(s->updated_at));
    if (member_count >= 0)
        json_object_set_new(o, "member_count", json_integer(member_count));
    return o;
}

static int reply_segment_rc(struct req *r, int rc, int64_t id)
{
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "segment %lld not found", (long long)id);
    if (rc == KZ_ECONFLICT)
        return reply_conflict(r, "name", "another segment has this name");
    return reply_rc(r, rc, "segment");
}

/*
 * Validates the filter tree j (named "filter" in errors). On success returns 0 with *tree
 * (caller frees with seg_node_free) and, when text is not NULL, *text its compact JSON
 * (caller frees). Returns -1 after replying 400 naming the JSON path of the bad node.
 */
static int filter_parse(struct req *r, json_t *j, struct seg_node **tree, char **text)
{
    struct seg_error err;
    *tree = NULL;
    if (seg_parse(j, "filter", tree, &err))
        return reply_field_error(r, err.path, "'%s' %s", err.path, err.detail), -1;
    if (!text)
        return 0;
    char *t = json_dumps(j, JSON_COMPACT);
    if (!t || strlen(t) > SEGMENT_FILTER_MAX) {
        free(t);
        seg_node_free(*tree);
        *tree = NULL;
        return reply_field_error(r, "filter", "'filter' is larger than %d bytes",
                                 SEGMENT_FILTER_MAX), -1;
    }
    *text = t;
    return 0;
}

int api_segment_filter(struct req *r, const char *field, int64_t id, struct seg_node **out)
{
    struct segment s;
    *out = NULL;
    int rc = store_segment_get(store_get(), id, &s);
    if (rc == KZ_ENOTFOUND)
        return reply_field_error(r, field, "'%s': no segment has id %lld", field,
                                 (long long)id), -1;
    if (rc)
        return reply_rc(r, rc, "segment"), -1;
    json_t *j = json_loads(s.filter, 0, NULL);
    struct seg_error err;
    int bad = !j || seg_parse(j, "filter", out, &err);
    json_decref(j);
    segment_cleanup(&s);
    /* Only a filter saved by another version of Kizuna could fail here. */
    if (bad)
        return reply_problem(r, 409, "segment %lld has a filter this server cannot read",
                             (long long)id), -1;
    return 0;
}

void api_account_filter_cleanup(struct account_filter *f)
{
    seg_node_free(f->segment);
    f->segment = NULL;
}

/* The write rule: the creator or an admin. Returns 0, or -1 after replying 403. */
static int segment_writable(struct req *r, const struct segment *s)
{
    if (r->user.role >= ROLE_ADMIN || (s->created_by && s->created_by == r->user.user_id))
        return 0;
    reply_problem(r, 403, "only the creator of a segment or an admin may change it");
    return -1;
}

/* Applies name, description and filter of body to s (patch semantics); *count gets the
 * member count of the resulting filter. Returns 0, or -1 after replying. */
static int segment_fields(struct req *r, json_t *body, bool creating, struct segment *s,
                          int64_t *count)
{
    struct seg_node *tree = NULL;
    if (fields_known(r, body, segment_known) ||
        field_str(r, body, "name", creating ? FIELD_REQUIRED : 0, SEGMENT_NAME_MAX, &s->name) ||
        field_str(r, body, "description", FIELD_NULLABLE, SEGMENT_DESCRIPTION_MAX,
                  &s->description))
        return -1;
    json_t *jf = json_object_get(body, "filter");
    if (!jf && creating)
        return reply_field_error(r, "filter", "'filter' is required"), -1;
    if (jf) {
        char *text = NULL;
        if (filter_parse(r, jf, &tree, &text))
            return -1;
        free(s->filter);
        s->filter = text;
    } else {
        json_t *j = json_loads(s->filter, 0, NULL);
        struct seg_error err;
        int bad = !j || seg_parse(j, "filter", &tree, &err);
        json_decref(j);
        if (bad)
            return reply_field_error(r, "filter", "the stored filter cannot be read: send a "
                                                  "new 'filter'"), -1;
    }
    int rc = store_segment_count(store_get(), tree, count);
    seg_node_free(tree);
    if (rc)
        return reply_rc(r, rc, "segment members"), -1;
    return 0;
}

/* GET /api/v1/segments?limit=&cursor= : by name, then id. */
int api_segments_list(struct req *r)
{
    static const char *const known[] = { "limit", "cursor", NULL };
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    int limit;
    bool has;
    char *after = NULL;
    int64_t after_id = 0;
    if (api_limit(r, &limit) || api_cursor(r, &has, &after, &after_id))
        return 0;
    struct segment *v = NULL;
    size_t n = 0;
    int rc = store_segments_list(store_get(), has ? after : NULL, after_id, limit, &v, &n);
    free(after);
    if (rc)
        return reply_rc(r, rc, "segments");
    json_t *data = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++)
        json_array_append_new(data, segment_json(&v[i], -1));
    char *next = n > (size_t)limit ? api_cursor_encode(v[limit - 1].name, v[limit - 1].id)
                                   : NULL;
    segments_free(v, n);
    reply_list(r, data, next);
    free(next);
    return 0;
}

/* POST /api/v1/segments: 201 with the segment and its member count. */
int api_segments_create(struct req *r)
{
    json_t *body = req_json(r);
    if (!body)
        return 0;
    struct segment s = { 0 };
    int64_t count = 0;
    if (segment_fields(r, body, true, &s, &count) == 0) {
        s.created_by = r->user.user_id;
        int rc = store_segment_create(store_get(), &s);
        if (rc)
            reply_segment_rc(r, rc, 0);
        else
            reply_json(r, 201, segment_json(&s, count));
    }
    segment_cleanup(&s);
    return 0;
}

/* GET /api/v1/segments/:id, with member_count. */
int api_segments_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct segment s;
    int rc = id ? store_segment_get(store_get(), id, &s) : KZ_ENOTFOUND;
    if (rc)
        return reply_segment_rc(r, rc, id);
    struct seg_node *tree = NULL;
    if (api_segment_filter(r, "id", id, &tree) == 0) {
        int64_t count = 0;
        rc = store_segment_count(store_get(), tree, &count);
        if (rc)
            reply_rc(r, rc, "segment members");
        else
            reply_json(r, 200, segment_json(&s, count));
    }
    seg_node_free(tree);
    segment_cleanup(&s);
    return 0;
}

/* PATCH /api/v1/segments/:id: the creator or an admin; only the fields present change. */
int api_segments_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct segment s;
    int rc = id ? store_segment_get(store_get(), id, &s) : KZ_ENOTFOUND;
    if (rc)
        return reply_segment_rc(r, rc, id);
    json_t *body;
    int64_t count = 0;
    if (segment_writable(r, &s) == 0 && (body = req_json(r)) &&
        segment_fields(r, body, false, &s, &count) == 0) {
        rc = store_segment_update(store_get(), &s);
        if (rc)
            reply_segment_rc(r, rc, id);
        else
            reply_json(r, 200, segment_json(&s, count));
    }
    segment_cleanup(&s);
    return 0;
}

/* DELETE /api/v1/segments/:id: the creator or an admin. */
int api_segments_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct segment s;
    int rc = id ? store_segment_get(store_get(), id, &s) : KZ_ENOTFOUND;
    if (rc)
        return reply_segment_rc(r, rc, id);
    if (segment_writable(r, &s) == 0) {
        rc = store_segment_delete(store_get(), id);
        if (rc)
            reply_segment_rc(r, rc, id);
        else
            reply_empty(r);
    }
    segment_cleanup(&s);
    return 0;
}

/* Replies with one page of the accounts matching f (the accounts list's JSON and cursor). */
static int reply_accounts_page(struct req *r, struct account_filter *f)
{
    struct account *v;
    size_t n;
    int rc = store_accounts_list(store_get(), f, &v, &n);
    if (rc)
        return reply_rc(r, rc, "accounts");
    json_t *data = json_array();
    for (size_t i = 0; i < n && i < (size_t)f->limit; i++)
        json_array_append_new(data, api_account_json(&v[i]));
    char *next = NULL;
    if (n > (size_t)f->limit) {
        char *sv = account_sort_value(&v[f->limit - 1], f->sort);
        next = api_cursor_encode(sv, v[f->limit - 1].id);
        free(sv);
    }
    accounts_free(v, n);
    reply_list(r, data, next);
    free(next);
    return 0;
}

/* GET /api/v1/segments/:id/accounts: the members, with the accounts list's filters, sorts
 * and cursors (?segment= is refused: the path names the segment). */
int api_segment_accounts(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct segment s;
    int rc = id ? store_segment_get(store_get(), id, &s) : KZ_ENOTFOUND;
    if (rc)
        return reply_segment_rc(r, rc, id);
    segment_cleanup(&s);
    if (req_query(r, "segment"))
        return reply_field_error(r, "segment", "'segment' is not a parameter of a segment's "
                                               "member list");
    struct account_filter f;
    bool has;
    char *value = NULL;
    if (api_account_filter(r, &f) == 0 && api_limit(r, &f.limit) == 0 &&
        api_cursor(r, &has, &value, &f.cursor_id) == 0 &&
        api_segment_filter(r, "id", id, &f.segment) == 0) {
        f.has_cursor = has;
        f.cursor_value = value;
        reply_accounts_page(r, &f);
    }
    free(value);
    api_account_filter_cleanup(&f);
    return 0;
}

/* POST /api/v1/segments/preview {filter, limit?, sort?}: the member count and the first
 * page of members of a filter not saved yet. Changes nothing. */
int api_segments_preview(struct req *r)
{
    static const char *const known[] = { "filter", "limit", "sort", NULL };
    static const char *const sorts[] = { "name", "-name", "arr", "-arr", "renewal_date",
                                         "-renewal_date", "created_at", "-created_at",
                                         "health", "-health", NULL };
    json_t *body = req_json(r);
    if (!body)
        return 0;
    int64_t limit = API_LIMIT_DEFAULT;
    char *sort = NULL;
    struct account_filter f;
    memset(&f, 0, sizeof(f));
    if (fields_known(r, body, known) ||
        field_i64(r, body, "limit", 0, 1, API_LIMIT_MAX, API_LIMIT_DEFAULT, &limit) ||
        field_enum(r, body, "sort", 0, sorts, &sort))
        goto out;
    json_t *jf = json_object_get(body, "filter");
    if (!jf) {
        reply_field_error(r, "filter", "'filter' is required");
        goto out;
    }
    if (filter_parse(r, jf, &f.segment, NULL))
        goto out;
    int64_t count = 0;
    int rc = store_segment_count(store_get(), f.segment, &count);
    if (rc) {
        reply_rc(r, rc, "segment members");
        goto out;
    }
    f.limit = (int)limit;
    if (sort) {
        f.desc = sort[0] == '-';
        f.sort = sort + f.desc;
    }
    struct account *v;
    size_t n;
    rc = store_accounts_list(store_get(), &f, &v, &n);
    if (rc) {
        reply_rc(r, rc, "accounts");
        goto out;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n && i < (size_t)f.limit; i++)
        json_array_append_new(data, api_account_json(&v[i]));
    accounts_free(v, n);
    reply_json(r, 200, json_pack("{s:I, s:o}", "count", (json_int_t)count, "data", data));
out:
    free(sort);
    api_account_filter_cleanup(&f);
    return 0;
}

/* GET /api/v1/segments/fields: the fields, their types, operators and allowed values
 * (segments/filter.c's tables), with the phases of the lifecycle in force as the values of
 * `phase` (labels in value_labels), so that editors never copy the language. */
int api_segments_fields(struct req *r)
{
    static const char *const known[] = { NULL };
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    struct lifecycle lc;
    int rc = journey_lifecycle_load(store_get(), &lc);
    if (rc)
        return reply_rc(r, rc, "lifecycle settings");
    json_t *o = seg_fields_json();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(o, "fields"), i, f) {
        if (strcmp(json_string_value(json_object_get(f, "name")), "phase") != 0)
            continue;
        json_t *values = json_array(), *labels = json_object();
        for (size_t k = 0; k < lc.nphases; k++) {
            json_array_append_new(values, json_string(lc.phases[k].key));
            json_object_set_new(labels, lc.phases[k].key,
                                json_pack("{s:s, s:s}", "ja", lc.phases[k].label_ja, "en",
                                          lc.phases[k].label_en));
        }
        json_object_set_new(f, "values", values);
        json_object_set_new(f, "value_labels", labels);
    }
    lifecycle_cleanup(&lc);
    return reply_json(r, 200, o);
}
