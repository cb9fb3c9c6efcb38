/*
 * /api/v1/settings/tiers: the ARR thresholds (per currency) that assign each account its
 * touch tier (high / low / tech touch). Saving them recomputes every account's tier.
 * /api/v1/settings/ingest: how many days raw tracked events are kept (rollups stay).
 */
#include "api/api.h"
#include "api/fields.h"

#include <stdlib.h>
#include <string.h>

static int reply_tiers(struct req *r)
{
    struct tier_threshold *v;
    size_t n;
    int rc = store_tier_thresholds_get(store_get(), &v, &n);
    if (rc)
        return reply_rc(r, rc, "tier settings");
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "currency", json_string(v[i].currency));
        json_object_set_new(o, "high_min_arr", json_integer(v[i].high_min_arr));
        json_object_set_new(o, "low_min_arr", json_integer(v[i].low_min_arr));
        json_array_append_new(a, o);
    }
    free(v);
    json_t *o = json_object();
    json_object_set_new(o, "thresholds", a);
    return reply_json(r, 200, o);
}

int api_settings_tiers_get(struct req *r)
{
    return reply_tiers(r);
}

int api_settings_tiers_put(struct req *r)
{
    static const char *const known[] = { "thresholds", NULL };
    static const char *const row_known[] = { "currency", "high_min_arr", "low_min_arr", NULL };
    json_t *body = req_json(r);
    if (!body || fields_known(r, body, known))
        return 0;
    json_t *arr = json_object_get(body, "thresholds");
    if (!json_is_array(arr) || json_array_size(arr) > 200)
        return reply_field_error(r, "thresholds", "'thresholds' must be an array of at most "
                                                  "200 {currency, high_min_arr, low_min_arr}");
    size_t n = json_array_size(arr);
    struct tier_threshold *v = xcalloc(n, sizeof(*v));
    char field[64];
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(arr, i);
        snprintf(field, sizeof(field), "thresholds[%zu]", i);
        if (!json_is_object(row)) {
            reply_field_error(r, field, "'%s' must be an object", field);
            goto out;
        }
        char *cur = NULL;
        int bad = fields_known(r, row, row_known) ||
                  field_str(r, row, "currency", FIELD_REQUIRED, 3, &cur) ||
                  field_i64(r, row, "high_min_arr", FIELD_REQUIRED, 0, INT64_MAX, 0,
                            &v[i].high_min_arr) ||
                  field_i64(r, row, "low_min_arr", FIELD_REQUIRED, 0, INT64_MAX, 0,
                            &v[i].low_min_arr);
        if (!bad && !currency_code_valid(cur)) {
            reply_field_error(r, "currency", "%s: 'currency' must be an ISO 4217 code", field);
            bad = 1;
        }
        if (!bad && v[i].low_min_arr > v[i].high_min_arr) {
            reply_field_error(r, "low_min_arr", "%s: 'low_min_arr' exceeds 'high_min_arr'", field);
            bad = 1;
        }
        for (size_t k = 0; !bad && k < i; k++) {
            if (strcmp(v[k].currency, cur) == 0) {
                reply_field_error(r, "currency", "%s: currency %s appears twice", field, cur);
                bad = 1;
            }
        }
        if (!bad)
            memcpy(v[i].currency, cur, 4);
        free(cur);
        if (bad)
            goto out;
    }
    int rc = store_tier_thresholds_put(store_get(), v, n);
    if (rc)
        reply_rc(r, rc, "tier settings");
    else
        reply_tiers(r);
out:
    free(v);
    return 0;
}

static int reply_ingest_settings(struct req *r)
{
    int64_t days;
    int rc = store_event_retention(store_get(), &days);
    if (rc)
        return reply_rc(r, rc, "ingest settings");
    json_t *o = json_object();
    json_object_set_new(o, "retention_days", json_integer(days));
    return reply_json(r, 200, o);
}

int api_settings_ingest_get(struct req *r)
{
    return reply_ingest_settings(r);
}

int api_settings_ingest_put(struct req *r)
{
    static const char *const known[] = { "retention_days", NULL };
    json_t *body = req_json(r);
    int64_t days = 0;
    if (!body || fields_known(r, body, known) ||
        field_i64(r, body, "retention_days", FIELD_REQUIRED, 0, 3650, 0, &days))
        return 0;
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)days);
    int rc = store_setting_put(store_get(), "event_retention_days", text);
    return rc ? reply_rc(r, rc, "ingest settings") : reply_ingest_settings(r);
}
