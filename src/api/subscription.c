/*
 * /api/v1/accounts/{id}/subscription: the current subscription (GET, PUT) and its history.
 * A PUT is a change with an effective date (default today): it is appended to the history,
 * never overwrites it, so revenue movements can be rebuilt exactly. ARR = 12 x MRR.
 */
#include "api/api.h"
#include "api/fields.h"
#include "journey/phase.h"
#include "sched/sched.h"

#include <stdlib.h>
#include <string.h>

static json_t *sub_json(const struct subscription *s, bool current)
{
    json_t *o = json_object();
    if (current)
        json_object_set_new(o, "account_id", json_integer(s->account_id));
    json_object_set_new(o, "effective_date", json_string(s->effective_date));
    json_object_set_new(o, "plan", json_str_or_null(s->plan));
    json_object_set_new(o, "mrr", json_integer(s->mrr));
    if (current)
        json_object_set_new(o, "arr", json_integer(s->mrr * 12));
    json_object_set_new(o, "currency", json_string(s->currency));
    json_object_set_new(o, "seats", json_integer(s->seats));
    json_object_set_new(o, "status", json_string(s->status));
    json_object_set_new(o, "start_date", json_string(s->start_date));
    json_object_set_new(o, "renewal_date", json_str_or_null(s->renewal_date));
    json_object_set_new(o, "auto_renew", json_boolean(s->auto_renew));
    json_object_set_new(o, current ? "updated_at" : "recorded_at", json_string(s->updated_at));
    return o;
}

int api_subscription_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (api_account_readable(r, id))
        return 0;
    struct subscription s;
    int rc = store_subscription_get(store_get(), id, &s);
    if (rc)
        return reply_rc(r, rc, "subscription");
    reply_json(r, 200, sub_json(&s, true));
    subscription_cleanup(&s);
    return 0;
}

int api_subscription_put(struct req *r)
{
    static const char *const known[] = { "plan", "mrr", "currency", "seats", "start_date",
                                         "renewal_date", "auto_renew", "status", "effective_date",
                                         NULL };
    static const char *const statuses[] = { "trial", "active", "churned", NULL };
    int64_t id = req_param_id(r, 0);
    if (api_account_writable(r, id))
        return 0;
    json_t *body = req_json(r);
    if (!body)
        return 0;
    struct subscription s = { .account_id = id, .seats = 1, .auto_renew = true };
    char *currency = NULL, *status = NULL, *start = NULL, *effective = NULL;
    const unsigned req = FIELD_REQUIRED;
    if (fields_known(r, body, known) || field_str(r, body, "plan", req, 200, &s.plan) ||
        field_i64(r, body, "mrr", req, 0, INT64_MAX / 12, 0, &s.mrr) ||
        field_str(r, body, "currency", req, 3, &currency) ||
        field_i64(r, body, "seats", 0, 0, 10000000, 0, &s.seats) ||
        field_date(r, body, "start_date", req, &start) ||
        field_date(r, body, "renewal_date", FIELD_NULLABLE, &s.renewal_date) ||
        field_bool(r, body, "auto_renew", 0, &s.auto_renew) ||
        field_enum(r, body, "status", req, statuses, &status) ||
        field_date(r, body, "effective_date", 0, &effective))
        goto out;
    if (!currency_code_valid(currency)) {
        reply_field_error(r, "currency", "'currency' must be an ISO 4217 code such as JPY or USD");
        goto out;
    }
    if (s.renewal_date && strcmp(s.renewal_date, start) < 0) {
        reply_field_error(r, "renewal_date", "'renewal_date' is before 'start_date'");
        goto out;
    }
    memcpy(s.currency, currency, 4);
    memcpy(s.status, status, strlen(status) + 1);
    memcpy(s.start_date, start, 11);
    if (effective)
        memcpy(s.effective_date, effective, 11);
    else
        date_today(s.effective_date);
    /* With the phase change it implies (churn, reactivation), in one transaction. */
    int rc = journey_subscription_put(store_get(), &s, r->user.user_id);
    subscription_cleanup(&s);
    if (rc == KZ_OK)
        sched_touch_account(id); /* seats, churn: journey and health */
    if (rc == KZ_OK)
        rc = store_subscription_get(store_get(), id, &s);
    if (rc)
        reply_rc(r, rc, "subscription");
    else
        reply_json(r, 200, sub_json(&s, true));
out:
    subscription_cleanup(&s);
    free(currency);
    free(status);
    free(start);
    free(effective);
    return 0;
}

int api_subscription_history(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (api_account_readable(r, id))
        return 0;
    struct subscription *v;
    size_t n;
    int rc = store_subscription_history(store_get(), id, &v, &n);
    if (rc)
        return reply_rc(r, rc, "subscription history");
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sub_json(&v[i], false));
    subscriptions_free(v, n);
    json_t *o = json_object();
    json_object_set_new(o, "data", data);
    return reply_json(r, 200, o);
}
