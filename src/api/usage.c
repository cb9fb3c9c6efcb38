/*
 * Product usage as the CSM sees it: /api/v1/accounts/:id/usage (the usage report, computed
 * by the store from the daily rollups), /api/v1/accounts/:id/events (the raw events the
 * tracking API stored, newest first) and /api/v1/settings/key-events (the product's
 * important features, whose 30-day use the report counts). Key events are kept as one
 * setting, {"events":[{"name","label_ja","label_en"}]}, that the store treats as opaque
 * text: this file validates it on the way in and reads it on the way out.
 */
#include "api/api.h"
#include "util/util.h"
#include "ingest/key_events.h"
#include "api/fields.h"
#include "store/usage.h"

#include <stdlib.h>
#include <string.h>

#define KEY_EVENTS_MAX 100
#define KEY_EVENT_TEXT_MAX 200

static const char *const event_types[] = {"track", "identify", "group", "page",
                                          "screen", "alias", NULL};

/* The JSON object in text (NULL or not an object: an empty object). Caller owns it. */
static json_t *json_object_text(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

/* ------------------------------------------------------------ key events setting */

int api_settings_key_events_get(struct req *r)
{
    json_t *v;
    int rc = key_events_load(store_get(), &v);
    if (rc)
        return reply_rc(r, rc, "key events");
    return reply_json(r, 200, v);
}

/*
 * A string member of a key event: 1..KEY_EVENT_TEXT_MAX bytes, not only spaces, no NUL.
 * field is its name in replies ("events[2].name"). Returns the string (owned by ev), or
 * NULL after replying 400.
 */
static const char *key_event_text(struct req *r, json_t *ev, const char *key, const char *field)
{
    json_t *v = json_object_get(ev, key);
    if (!v)
        return reply_field_error(r, field, "'%s' is required", field), NULL;
    if (!json_is_string(v))
        return reply_field_error(r, field, "'%s' must be a string", field), NULL;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len)
        return reply_field_error(r, field, "'%s' may not contain NUL characters", field), NULL;
    if (strspn(s, " \t\r\n") == len)
        return reply_field_error(r, field, "'%s' may not be empty", field), NULL;
    if (len > KEY_EVENT_TEXT_MAX)
        return reply_field_error(r, field, "'%s' is longer than %d bytes", field,
                                 KEY_EVENT_TEXT_MAX), NULL;
    return s;
}

/* PUT /api/v1/settings/key-events {"events":[{"name","label_ja","label_en"}]}: replaces
 * the list (at most 100, names unique) and replies with it. */
int api_settings_key_events_put(struct req *r)
{
    static const char *const known[] = { "events", NULL };
    static const char *const ev_known[] = { "name", "label_ja", "label_en", NULL };
    static const char *const texts[] = { "name", "label_ja", "label_en" };
    int ret = 0;
    json_t *clean = NULL;
    char *text = NULL;
    char field[64];
    json_t *body = req_json(r);
    if (!body || fields_known(r, body, known))
        return 0;
    json_t *arr = json_object_get(body, "events");
    if (!json_is_array(arr) || json_array_size(arr) > KEY_EVENTS_MAX)
        return reply_field_error(r, "events", "'events' must be an array of at most %d "
                                              "{name, label_ja, label_en}", KEY_EVENTS_MAX);
    clean = json_array();
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *ev = json_array_get(arr, i);
        const char *key;
        json_t *val;
        snprintf(field, sizeof(field), "events[%zu]", i);
        if (!json_is_object(ev)) {
            ret = reply_field_error(r, field, "'%s' must be an object", field);
            goto out;
        }
        json_object_foreach(ev, key, val) {
            if (!str_in_list(key, ev_known)) {
                char *f = xasprintf("events[%zu].%s", i, key);
                ret = reply_field_error(r, f, "'%.100s' is not a field of a key event", key);
                free(f);
                goto out;
            }
        }
        json_t *o = json_object();
        json_array_append_new(clean, o);
        for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
            snprintf(field, sizeof(field), "events[%zu].%s", i, texts[t]);
            const char *s = key_event_text(r, ev, texts[t], field);
            if (!s)
                goto out;
            json_object_set_new(o, texts[t], json_string(s));
        }
        const char *name = json_string_value(json_object_get(o, "name"));
        for (size_t k = 0; k < i; k++) {
            if (strcmp(json_string_value(json_object_get(json_array_get(clean, k), "name")),
                       name) == 0) {
                snprintf(field, sizeof(field), "events[%zu].name", i);
                ret = reply_field_error(r, field, "'%s' repeats the name of events[%zu]", field,
                                        k);
                goto out;
            }
        }
    }
    json_t *setting = json_pack("{s:O}", "events", clean);
    text = json_dumps(setting, JSON_COMPACT);
    if (!text)
        abort(); /* only allocation fails here */
    int rc = store_setting_put(store_get(), KEY_EVENTS_SETTING, text);
    if (rc) {
        json_decref(setting);
        ret = reply_rc(r, rc, "key events");
    } else {
        ret = reply_json(r, 200, setting);
    }
out:
    free(text);
    json_decref(clean);
    return ret;
}

/* ------------------------------------------------------------ raw events */

/* A new JSON object for e; the caller owns the reference. */
static json_t *event_json(const struct tracked_event *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "message_id", json_str_or_null(e->message_id));
    json_object_set_new(o, "type", json_str_or_null(e->type));
    json_object_set_new(o, "name", json_str_or_null(e->name));
    json_object_set_new(o, "user_id", json_str_or_null(e->user_id));
    json_object_set_new(o, "anonymous_id", json_str_or_null(e->anonymous_id));
    json_object_set_new(o, "timestamp", json_string(e->timestamp));
    json_object_set_new(o, "original_timestamp", json_str_or_null(e->original_timestamp));
    json_object_set_new(o, "sent_at", json_str_or_null(e->sent_at));
    json_object_set_new(o, "received_at", json_string(e->received_at));
    json_object_set_new(o, "properties", json_object_text(e->properties));
    json_object_set_new(o, "context", json_object_text(e->context));
    return o;
}

/* GET /api/v1/accounts/:id/events?type=&limit=&cursor= : newest first by (timestamp, id). */
int api_events_list(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0), t;
    struct event_filter f = { 0 };
    char *cursor_value = NULL;
    struct tracked_event *v = NULL;
    size_t n = 0;
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_readable(r, account_id) || api_limit(r, &f.limit) ||
        api_cursor(r, &f.has_cursor, &cursor_value, &f.cursor_id))
        goto out;
    f.account_id = account_id;
    f.type = req_query(r, "type");
    if (f.type && !str_in_list(f.type, event_types)) {
        ret = reply_field_error(r, "type", "'type' must be one of track, identify, group, "
                                           "page, screen, alias");
        goto out;
    }
    if (f.has_cursor) {
        if (!cursor_value || strlen(cursor_value) != 20 || time_parse(cursor_value, &t)) {
            ret = reply_field_error(r, "cursor", "'cursor' is not a cursor this server issued");
            goto out;
        }
        f.cursor_at = cursor_value;
    }
    int rc = store_events_list(store_get(), &f, &v, &n);
    if (rc) {
        ret = reply_rc(r, rc, "events");
        goto out;
    }
    bool more = n > (size_t)f.limit; /* the store returns one row past the page */
    size_t shown = more ? (size_t)f.limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, event_json(&v[i]));
    char *next = more ? api_cursor_encode(v[shown - 1].timestamp, v[shown - 1].id) : NULL;
    ret = reply_list(r, data, next);
    free(next);
out:
    free(cursor_value);
    tracked_events_free(v, n);
    return ret;
}

/* ------------------------------------------------------------ usage report */

static const char *const granularity_names[] = {"day", "week", "month", NULL};

/*
 * Reads ?from=&to=&granularity= into from, to and *g, with the defaults (to = today in UTC,
 * from = to - 29 days, day). Returns 0, or -1 after replying 400 naming the parameter.
 */
static int usage_params(struct req *r, char from[static 11], char to[static 11],
                        enum usage_granularity *g)
{
    static const char *const known[] = { "from", "to", "granularity", NULL };
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown), -1;
    const char *qfrom = req_query(r, "from"), *qto = req_query(r, "to");
    const char *qg = req_query(r, "granularity");
    if (qto && date_valid(qto))
        return reply_field_error(r, "to", "'to' must be a date YYYY-MM-DD"), -1;
    if (qfrom && date_valid(qfrom))
        return reply_field_error(r, "from", "'from' must be a date YYYY-MM-DD"), -1;
    *g = USAGE_DAY;
    if (qg) {
        size_t i;
        for (i = 0; granularity_names[i] && strcmp(granularity_names[i], qg) != 0; i++)
            ;
        if (!granularity_names[i])
            return reply_field_error(r, "granularity",
                                     "'granularity' must be one of day, week, month"), -1;
        *g = (enum usage_granularity)i;
    }
    if (qto)
        memcpy(to, qto, 11);
    else
        date_today(to);
    int64_t dto = date_to_days(to);
    if (qfrom)
        memcpy(from, qfrom, 11);
    else
        date_from_days(dto - 29, from);
    int64_t dfrom = date_to_days(from);
    if (dfrom > dto)
        return reply_field_error(r, "from", "'from' (%s) is after 'to' (%s)", from, to), -1;
    if (dto - dfrom + 1 > USAGE_MAX_DAYS)
        return reply_field_error(r, "from", "the range from 'from' to 'to' may span at most "
                                            "%d days", USAGE_MAX_DAYS), -1;
    return 0;
}

/* A string member of obj, or NULL. */
static const char *obj_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A new JSON object for a tracked user: name and email from the contact when it has them,
 * else from the traits (name, or firstName and lastName). The caller owns it. */
static json_t *usage_user_json(const struct usage_user *u)
{
    json_t *traits = json_object_text(u->traits);
    json_t *o = json_object();
    json_t *name = NULL;
    const char *email = u->contact_email ? u->contact_email : obj_str(traits, "email");
    if (u->contact_name) {
        name = json_string(u->contact_name);
    } else if (obj_str(traits, "name")) {
        name = json_string(obj_str(traits, "name"));
    } else if (obj_str(traits, "firstName") || obj_str(traits, "lastName")) {
        const char *fn = obj_str(traits, "firstName"), *ln = obj_str(traits, "lastName");
        char *full = xasprintf("%s%s%s", fn ? fn : "", fn && ln ? " " : "", ln ? ln : "");
        name = json_string(full);
        free(full);
    }
    json_object_set_new(o, "user_id", json_str_or_null(u->user_id));
    json_object_set_new(o, "contact_id", json_i64_or_null(u->contact_id, 0));
    json_object_set_new(o, "name", name ? name : json_null());
    json_object_set_new(o, "email", json_str_or_null(email));
    json_object_set_new(o, "last_seen", json_str_or_null(u->last_seen));
    json_decref(traits);
    return o;
}

/* A new JSON object for the report; keys (the key events setting's array) labels its key
 * features. The caller owns it. */
static json_t *usage_json(const struct usage_report *rep, json_t *keys)
{
    json_t *o = json_object();
    json_t *data = json_array();
    for (size_t i = 0; i < rep->nperiods; i++) {
        const struct usage_period *per = &rep->periods[i];
        json_t *p = json_object(), *by = json_object();
        for (size_t k = 0; k < per->nby_name; k++)
            json_object_set_new(by, per->by_name[k].event, json_integer(per->by_name[k].count));
        json_object_set_new(p, "period", json_string(per->period));
        json_object_set_new(p, "active_users", json_integer(per->active_users));
        json_object_set_new(p, "events", json_integer(per->events));
        json_object_set_new(p, "events_by_name", by);
        json_array_append_new(data, p);
    }
    json_t *kev = json_array();
    for (size_t i = 0; i < rep->nkey; i++) {
        json_t *k = json_array_get(keys, i);
        json_t *e = json_object();
        json_object_set_new(e, "name", json_str_or_null(obj_str(k, "name")));
        json_object_set_new(e, "label_ja", json_str_or_null(obj_str(k, "label_ja")));
        json_object_set_new(e, "label_en", json_str_or_null(obj_str(k, "label_en")));
        json_object_set_new(e, "count_30d", json_integer(rep->key_counts[i]));
        json_array_append_new(kev, e);
    }
    json_t *kf = json_object();
    json_object_set_new(kf, "used", json_integer((json_int_t)rep->key_used));
    json_object_set_new(kf, "total", json_integer((json_int_t)rep->nkey));
    json_object_set_new(kf, "events", kev);
    json_t *users = json_array();
    for (size_t i = 0; i < rep->nusers; i++)
        json_array_append_new(users, usage_user_json(&rep->users[i]));

    json_object_set_new(o, "account_id", json_integer(rep->account_id));
    json_object_set_new(o, "from", json_string(rep->from));
    json_object_set_new(o, "to", json_string(rep->to));
    json_object_set_new(o, "granularity", json_string(granularity_names[rep->granularity]));
    json_object_set_new(o, "data", data);
    json_object_set_new(o, "dau", json_integer(rep->dau));
    json_object_set_new(o, "wau", json_integer(rep->wau));
    json_object_set_new(o, "mau", json_integer(rep->mau));
    json_object_set_new(o, "seats", json_i64_or_null(rep->seats, -1));
    json_object_set_new(o, "seat_utilisation", rep->seat_utilisation >= 0
                                                   ? json_real(rep->seat_utilisation)
                                                   : json_null());
    json_object_set_new(o, "key_features", kf);
    json_object_set_new(o, "last_seen_at", json_str_or_null(rep->last_seen_at));
    json_object_set_new(o, "users", users);
    return o;
}

/* GET /api/v1/accounts/:id/usage?from=&to=&granularity= */
int api_usage_get(struct req *r)
{
    int ret = 0;
    int64_t account_id = req_param_id(r, 0);
    char from[11], to[11];
    enum usage_granularity g;
    json_t *setting = NULL;
    const char **names = NULL;
    struct usage_report rep = { 0 };
    if (!account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_readable(r, account_id) || usage_params(r, from, to, &g))
        goto out;
    int rc = key_events_load(store_get(), &setting);
    if (rc) {
        ret = reply_rc(r, rc, "key events");
        goto out;
    }
    json_t *keys = json_object_get(setting, "events");
    size_t nkey;
    names = key_events_names(setting, &nkey);
    rc = store_usage_report(store_get(), account_id, from, to, g, names, nkey, &rep);
    if (rc) {
        ret = reply_rc(r, rc, "account");
        goto out;
    }
    ret = reply_json(r, 200, usage_json(&rep, keys));
out:
    usage_report_cleanup(&rep);
    free(names);
    json_decref(setting);
    return ret;
}
