/*
 * /api/v1/accounts/:id/survey-responses: the NPS (0-10), CSAT (1-5) and CES (1-7) answers
 * of an account's contacts. The list is newest first with keyset pagination, filtered by
 * type= and answered_at from=/to=, and carries the summary of every response the filters
 * select (not only the page): NPS, CSAT and CES by the standard definitions of
 * journey/surveys.h. Answers are created and deleted, never edited (an answer is a fact).
 * Role rule as for contacts; every write touches the account for the scheduler (the NPS is
 * part of its health).
 */
#include "api/api.h"
#include "api/fields.h"
#include "journey/surveys.h"
#include "sched/sched.h"
#include "store/success.h"

#include <stdlib.h>
#include <string.h>

static const char *const survey_types[] = {"nps", "csat", "ces", NULL};
static const char *const survey_known[] = {
    "type", "contact_id", "score", "comment", "answered_at", NULL,
};

/* How far in the future an answer may be dated (clock skew). */
#define FUTURE_SKEW_SECONDS 300

static json_t *survey_json(const struct survey_response *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(s->id));
    json_object_set_new(o, "account_id", json_integer(s->account_id));
    json_object_set_new(o, "contact_id", json_i64_or_null(s->contact_id, 0));
    json_object_set_new(o, "type", json_string(survey_type_name(s->type)));
    json_object_set_new(o, "score", json_integer(s->score));
    json_object_set_new(o, "comment", json_str_or_null(s->comment));
    json_object_set_new(o, "answered_at", json_string(s->answered_at));
    json_object_set_new(o, "created_at", json_string(s->created_at));
    return o;
}

/* The summary object of the list reply (journey/surveys.h) for counts per type. */
static json_t *summary_json(const struct survey_counts counts[SURVEY_TYPE_COUNT])
{
    struct nps_summary nps;
    struct csat_summary csat;
    struct ces_summary ces;
    survey_nps(&counts[SURVEY_NPS], &nps);
    survey_csat(&counts[SURVEY_CSAT], &csat);
    survey_ces(&counts[SURVEY_CES], &ces);
#define OPT(has, v) ((has) ? json_real(v) : json_null())
    return json_pack(
        "{s:{s:I, s:I, s:I, s:I, s:o}, s:{s:I, s:I, s:o, s:o}, s:{s:I, s:I, s:o, s:o}}",
        "nps", "responses", (json_int_t)nps.responses, "promoters", (json_int_t)nps.promoters,
        "passives", (json_int_t)nps.passives, "detractors", (json_int_t)nps.detractors, "score",
        OPT(nps.has_value, nps.nps),
        "csat", "responses", (json_int_t)csat.responses, "satisfied", (json_int_t)csat.satisfied,
        "satisfied_pct", OPT(csat.has_value, csat.satisfied_pct), "mean",
        OPT(csat.has_value, csat.mean),
        "ces", "responses", (json_int_t)ces.responses, "easy", (json_int_t)ces.easy, "easy_pct",
        OPT(ces.has_value, ces.easy_pct), "mean", OPT(ces.has_value, ces.mean));
#undef OPT
}

/*
 * A from= or to= bound: a date YYYY-MM-DD or an RFC 3339 time, as the UTC text the store
 * compares. from is inclusive (a date: from its first second); to is inclusive too (a date:
 * through its last second), so it is returned as the exclusive bound after it. Returns 0
 * (out empty when absent), or -1 after replying 400 naming the parameter.
 */
static int query_bound(struct req *r, const char *key, bool upper, char out[static 21])
{
    const char *v = req_query(r, key);
    int64_t t;
    out[0] = '\0';
    if (!v)
        return 0;
    if (date_valid(v) == 0) {
        t = date_to_days(v) * 86400 + (upper ? 86400 : 0);
    } else if (time_parse(v, &t) == 0) {
        t += upper ? 1 : 0;
    } else {
        reply_field_error(r, key, "'%s' must be a date YYYY-MM-DD or an RFC 3339 time", key);
        return -1;
    }
    time_format(t, out);
    return 0;
}

/* GET /api/v1/accounts/:id/survey-responses?type=&from=&to=&limit=&cursor= */
int api_surveys_list(struct req *r)
{
    static const char *const known[] = {"type", "from", "to", "limit", "cursor", NULL};
    int ret = 0;
    struct survey_filter f = {0};
    char from[21], before[21], *cursor_value = NULL;
    struct survey_response *v = NULL;
    struct survey_counts counts[SURVEY_TYPE_COUNT];
    size_t n = 0;
    int64_t t;
    f.account_id = req_param_id(r, 0);
    if (!f.account_id)
        return reply_problem(r, 404, "account not found");
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown);
    const char *type = req_query(r, "type");
    if (type && survey_type_parse(type, &f.type))
        return reply_field_error(r, "type", "type must be one of nps, csat, ces");
    f.has_type = type != NULL;
    if (query_bound(r, "from", false, from) || query_bound(r, "to", true, before))
        return 0;
    f.from = from[0] ? from : NULL;
    f.before = before[0] ? before : NULL;
    if (api_account_readable(r, f.account_id) || api_limit(r, &f.limit) ||
        api_cursor(r, &f.has_cursor, &cursor_value, &f.cursor_id))
        goto out;
    if (f.has_cursor) {
        if (time_parse(cursor_value, &t)) {
            ret = reply_field_error(r, "cursor", "'cursor' is not a cursor this server issued");
            goto out;
        }
        time_format(t, f.cursor_at);
    }
    int rc = store_survey_responses_list(store_get(), &f, &v, &n);
    if (rc == KZ_OK)
        rc = store_survey_counts(store_get(), &f, counts);
    if (rc) {
        ret = reply_rc(r, rc, "survey responses");
        goto out;
    }
    bool more = n > (size_t)f.limit; /* the store returns one row past the page */
    size_t shown = more ? (size_t)f.limit : n;
    json_t *data = json_array();
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(data, survey_json(&v[i]));
    char *next = more ? api_cursor_encode(v[shown - 1].answered_at, v[shown - 1].id) : NULL;
    ret = reply_json(r, 200, json_pack("{s:o, s:o, s:o}", "data", data, "next_cursor",
                                       json_str_or_null(next), "summary", summary_json(counts)));
    free(next);
out:
    free(cursor_value);
    survey_responses_free(v, n);
    return ret;
}

/* POST /api/v1/accounts/:id/survey-responses: 201 with the stored answer. */
int api_surveys_create(struct req *r)
{
    struct survey_response s = {0};
    char *type = NULL;
    int ret = 0;
    json_t *body, *score;
    struct contact c = {0};
    s.account_id = req_param_id(r, 0);
    if (!s.account_id)
        return reply_problem(r, 404, "account not found");
    if (api_account_writable(r, s.account_id))
        goto out;
    if (!(body = req_json(r)))
        goto out;
    time_format(now_unix(), s.answered_at);
    if (fields_known(r, body, survey_known) ||
        field_enum(r, body, "type", FIELD_REQUIRED, survey_types, &type) ||
        field_i64(r, body, "contact_id", FIELD_NULLABLE, 1, INT64_MAX, 0, &s.contact_id) ||
        field_str(r, body, "comment", FIELD_NULLABLE, 10000, &s.comment) ||
        field_time(r, body, "answered_at", 0, s.answered_at))
        goto out;
    survey_type_parse(type, &s.type);
    int lo, hi;
    survey_score_range(s.type, &lo, &hi);
    score = json_object_get(body, "score");
    if (!score) {
        ret = reply_field_error(r, "score", "'score' is required");
        goto out;
    }
    if (!json_is_integer(score) || !survey_score_valid(s.type, json_integer_value(score))) {
        ret = reply_field_error(r, "score", "'score' of a %s answer must be an integer from %d "
                                            "to %d", type, lo, hi);
        goto out;
    }
    s.score = json_integer_value(score);
    int64_t t;
    if (time_parse(s.answered_at, &t) == 0 && t > now_unix() + FUTURE_SKEW_SECONDS) {
        ret = reply_field_error(r, "answered_at", "'answered_at' may not be in the future");
        goto out;
    }
    if (s.contact_id) {
        int rc = store_contact_get(store_get(), s.account_id, s.contact_id, &c);
        if (rc == KZ_ENOTFOUND) {
            ret = reply_field_error(r, "contact_id", "'contact_id': account %lld has no contact "
                                                     "%lld", (long long)s.account_id,
                                    (long long)s.contact_id);
            goto out;
        }
        if (rc) {
            ret = reply_rc(r, rc, "contact");
            goto out;
        }
    }
    int rc = store_survey_response_create(store_get(), &s);
    if (rc) {
        ret = reply_rc(r, rc, "survey response");
        goto out;
    }
    sched_touch_account(s.account_id);
    ret = reply_json(r, 201, survey_json(&s));
out:
    free(type);
    contact_cleanup(&c);
    survey_response_cleanup(&s);
    return ret;
}

/* GET /api/v1/accounts/:id/survey-responses/:rid */
int api_surveys_get(struct req *r)
{
    int64_t account_id = req_param_id(r, 0), id = req_param_id(r, 1);
    struct survey_response s = {0};
    if (!account_id || !id)
        return reply_problem(r, 404, "survey response not found");
    if (api_account_readable(r, account_id))
        return 0;
    int rc = store_survey_response_get(store_get(), account_id, id, &s);
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "survey response %lld not found", (long long)id);
    if (rc)
        return reply_rc(r, rc, "survey response");
    int ret = reply_json(r, 200, survey_json(&s));
    survey_response_cleanup(&s);
    return ret;
}

/* DELETE /api/v1/accounts/:id/survey-responses/:rid: 204. */
int api_surveys_delete(struct req *r)
{
    int64_t account_id = req_param_id(r, 0), id = req_param_id(r, 1);
    if (!account_id || !id)
        return reply_problem(r, 404, "survey response not found");
    if (api_account_writable(r, account_id))
        return 0;
    int rc = store_survey_response_delete(store_get(), account_id, id);
    if (rc == KZ_ENOTFOUND)
        return reply_problem(r, 404, "survey response %lld not found", (long long)id);
    if (rc)
        return reply_rc(r, rc, "survey response");
    sched_touch_account(account_id);
    return reply_empty(r);
}

/* ------------------------------------------------------------ CSM sentiment */

static const char *const sentiment_known[] = {"score", "note", NULL};

/* Replies 200 with the account (whose JSON carries the sentiment). */
static int reply_account(struct req *r, int64_t id)
{
    struct account a;
    account_init(&a);
    int rc = store_account_get(store_get(), id, &a);
    int ret = rc ? reply_rc(r, rc, "account") : reply_json(r, 200, api_account_json(&a));
    account_cleanup(&a);
    return ret;
}

/* PUT /api/v1/accounts/:id/sentiment {"score": 1..5, "note"}: 200 with the account. */
int api_sentiment_put(struct req *r)
{
    int64_t id = req_param_id(r, 0), score = 0;
    char *note = NULL;
    json_t *body;
    if (!id)
        return reply_problem(r, 404, "account not found");
    if (api_account_writable(r, id) || !(body = req_json(r)))
        return 0;
    if (fields_known(r, body, sentiment_known) ||
        field_i64(r, body, "score", FIELD_REQUIRED, 1, 5, 0, &score) ||
        field_str(r, body, "note", FIELD_NULLABLE, 2000, &note))
        goto out;
    int rc = store_account_sentiment_set(store_get(), id, (int)score, note, r->user.user_id);
    if (rc) {
        reply_rc(r, rc, "account");
        goto out;
    }
    sched_touch_account(id);
    reply_account(r, id);
out:
    free(note);
    return 0;
}

/* DELETE /api/v1/accounts/:id/sentiment: 204; clearing an unset sentiment is not an error. */
int api_sentiment_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (!id)
        return reply_problem(r, 404, "account not found");
    if (api_account_writable(r, id))
        return 0;
    int rc = store_account_sentiment_set(store_get(), id, 0, NULL, 0);
    if (rc)
        return reply_rc(r, rc, "account");
    sched_touch_account(id);
    return reply_empty(r);
}
