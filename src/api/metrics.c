/*
 * /api/v1/metrics/{mrr,movements,retention,churn,ltv,cohorts}: the revenue KPIs, and
 * /api/v1/settings/currency: the reporting currency, fixed conversion rates and the gross
 * margin they use. Each revenue request runs the MRR engine (metrics/mrr.c) over one ordered
 * scan of subscription history (store/metrics.c) and shapes its monthly totals; the
 * definitions are in docs/metrics.md. Also the helpers every metric shares (api/metrics.h):
 * the query string, the settings and JSON-or-CSV replies.
 */
#include "api/metrics.h"

#include "api/fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the query string */

static const char *const tiers[] = { "high", "low", "tech", NULL };
static const char *const common_known[] = { "owner", "tier", "phase", "industry", "segment",
                                            "from", "to", "format", NULL };

/* A compiled segment lives as long as its request (req's ctx, freed with it). */
static void segment_free(void *p)
{
    seg_sql_cleanup(p);
    free(p);
}

/* ?segment=<id>: the segment's filter compiled into q's filter. Returns 0, or -1 after
 * replying 400 naming `segment`. */
static int segment_param(struct req *r, struct metrics_filter *f)
{
    const char *v = req_query(r, "segment");
    if (!v)
        return 0;
    int64_t id;
    struct seg_node *tree = NULL;
    if (parse_i64(v, &id) || id <= 0)
        return reply_field_error(r, "segment", "'segment' must be a segment id"), -1;
    if (api_segment_filter(r, "segment", id, &tree))
        return -1;
    struct seg_sql *sql = xcalloc(1, sizeof(*sql));
    seg_compile(tree, now_unix(), METRICS_SEGMENT_PARAM, sql);
    seg_node_free(tree);
    r->ctx = sql;
    r->ctx_free = segment_free;
    f->segment = sql;
    return 0;
}

int metric_query_parse(struct req *r, const char *const *extra, struct metric_query *q)
{
    const char *known[32];
    size_t k = 0;
    for (size_t i = 0; common_known[i]; i++)
        known[k++] = common_known[i];
    for (size_t i = 0; extra && extra[i] && k < 31; i++)
        known[k++] = extra[i];
    known[k] = NULL;
    memset(q, 0, sizeof(*q));
    const char *unknown = req_query_unknown(r, known);
    if (unknown)
        return reply_field_error(r, unknown, "unknown query parameter '%.100s'", unknown), -1;

    struct metrics_filter *f = &q->filter;
    const char *owner = req_query(r, "owner");
    if (owner) {
        if (strcmp(owner, "me") == 0)
            f->owner_id = r->user.user_id > 0 ? r->user.user_id : -1;
        else if (strcmp(owner, "none") == 0)
            f->owner_id = -1;
        else if (parse_i64(owner, &f->owner_id) || f->owner_id <= 0 || owner[0] == '+')
            return reply_field_error(r, "owner", "'owner' must be me, none or a user id"), -1;
    }
    f->tier = req_query(r, "tier");
    if (f->tier && !str_in_list(f->tier, tiers))
        return reply_field_error(r, "tier", "'tier' must be high, low or tech"), -1;
    f->phase = req_query(r, "phase");
    if (f->phase && api_phase_known(r, "phase", f->phase))
        return -1;
    f->industry = req_query(r, "industry");
    if (f->industry && (strlen(f->industry) > 500 || !utf8_valid(f->industry, strlen(f->industry))))
        return reply_field_error(r, "industry", "'industry' must be UTF-8 text of at most 500 "
                                                "bytes"), -1;
    if (segment_param(r, f))
        return -1;
    const char *format = req_query(r, "format");
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return reply_field_error(r, "format", "'format' must be json or csv"), -1;
    q->csv = format && strcmp(format, "csv") == 0;

    char today[11];
    date_today(today);
    int now = month_of_date(today);
    const char *from = req_query(r, "from"), *to = req_query(r, "to");
    if (from && month_parse(from, &q->from))
        return reply_field_error(r, "from", "'from' must be a month YYYY-MM"), -1;
    if (to && month_parse(to, &q->to))
        return reply_field_error(r, "to", "'to' must be a month YYYY-MM"), -1;
    if (!to)
        q->to = from && q->from > now ? q->from : now;
    if (!from)
        q->from = q->to - 11;
    if (q->from > q->to)
        return reply_field_error(r, "from", "'from' is after 'to'"), -1;
    if (q->to - q->from + 1 > MONTHS_MAX)
        return reply_field_error(r, "from", "at most %d months from 'from' to 'to'",
                                 MONTHS_MAX), -1;
    return 0;
}

/* ------------------------------------------------------------ currency settings */

#define CURRENCY_SETTING "currency"
#define RATE_MAX 1e9

static void fx_defaults(struct fx *fx)
{
    memset(fx, 0, sizeof(*fx));
    memcpy(fx->reporting, "JPY", 4);
    fx->reporting_exp = 0;
    fx->gross_margin = 0.8;
    /* Placeholders so that a new install (and the demo's USD accounts) shows one total:
     * an admin sets the company's own rates. */
    fx->rates[0] = (struct fx_rate){ .currency = "USD", .rate_nano = 150 * FX_SCALE };
    fx->rates[1] = (struct fx_rate){ .currency = "EUR", .rate_nano = 160 * FX_SCALE };
    fx->nrates = 2;
}

/*
 * Validates a settings object into fx. With r, a bad field gets a 400 naming it; without
 * (reading the stored value back) it just fails. Returns 0 or -1.
 */
static int fx_from_json(struct req *r, json_t *body, struct fx *fx)
{
    static const char *const known[] = { "reporting_currency", "rates", "gross_margin", NULL };
    char field[32];
    memset(fx, 0, sizeof(*fx));
#define BAD(name, ...) return (r ? reply_field_error(r, name, __VA_ARGS__) : 0), -1
    if (r && fields_known(r, body, known))
        return -1;
    json_t *rep = json_object_get(body, "reporting_currency");
    if (!json_is_string(rep) || currency_exponent(json_string_value(rep)) < 0)
        BAD("reporting_currency", "'reporting_currency' must be an ISO 4217 currency code");
    memcpy(fx->reporting, json_string_value(rep), 4);
    fx->reporting_exp = currency_exponent(fx->reporting);
    json_t *gm = json_object_get(body, "gross_margin");
    if (!json_is_number(gm) || !(json_number_value(gm) >= 0.0 && json_number_value(gm) <= 1.0))
        BAD("gross_margin", "'gross_margin' must be a number from 0 to 1");
    fx->gross_margin = json_number_value(gm);
    json_t *rates = json_object_get(body, "rates");
    if (!json_is_object(rates) || json_object_size(rates) > FX_RATES_MAX)
        BAD("rates", "'rates' must be an object of at most %d {\"CODE\": rate}", FX_RATES_MAX);
    const char *code;
    json_t *v;
    json_object_foreach(rates, code, v) {
        snprintf(field, sizeof(field), "rates.%.10s", code);
        if (currency_exponent(code) < 0)
            BAD(field, "'%s': not an ISO 4217 currency code", field);
        double d = json_is_number(v) ? json_number_value(v) : -1;
        int64_t nano = d > 0 && d <= RATE_MAX ? llround(d * (double)FX_SCALE) : 0;
        if (nano <= 0)
            BAD(field, "'%s' must be a positive number of at most 1e9", field);
        if (strcmp(code, fx->reporting) == 0) {
            if (nano != FX_SCALE)
                BAD(field, "'%s': the reporting currency's rate is 1", field);
            continue;
        }
        memcpy(fx->rates[fx->nrates].currency, code, 4);
        fx->rates[fx->nrates++].rate_nano = nano;
    }
#undef BAD
    return 0;
}

static json_t *fx_to_json(const struct fx *fx)
{
    json_t *o = json_object(), *rates = json_object();
    json_object_set_new(o, "reporting_currency", json_string(fx->reporting));
    for (size_t i = 0; i < fx->nrates; i++)
        json_object_set_new(rates, fx->rates[i].currency,
                            json_real((double)fx->rates[i].rate_nano / (double)FX_SCALE));
    json_object_set_new(o, "rates", rates);
    json_object_set_new(o, "gross_margin", json_real(fx->gross_margin));
    return o;
}

int metrics_fx_load(struct fx *fx)
{
    char *text = NULL;
    int rc = store_setting_get(store_get(), CURRENCY_SETTING, &text);
    if (rc == KZ_ENOTFOUND) {
        fx_defaults(fx);
        return KZ_OK;
    }
    if (rc)
        return rc;
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(o) || fx_from_json(NULL, o, fx)) {
        log_error("the stored currency settings are not valid; using the defaults");
        fx_defaults(fx);
    }
    json_decref(o);
    return KZ_OK;
}

int api_settings_currency_get(struct req *r)
{
    struct fx fx;
    int rc = metrics_fx_load(&fx);
    if (rc)
        return reply_rc(r, rc, "currency settings");
    return reply_json(r, 200, fx_to_json(&fx));
}

/* PUT replaces all three settings; a bad body changes nothing. */
int api_settings_currency_put(struct req *r)
{
    json_t *body = req_json(r);
    struct fx fx;
    if (!body || fx_from_json(r, body, &fx))
        return 0;
    json_t *o = fx_to_json(&fx);
    char *text = json_dumps(o, JSON_COMPACT);
    int rc = store_setting_put(store_get(), CURRENCY_SETTING, text);
    free(text);
    if (rc) {
        json_decref(o);
        return reply_rc(r, rc, "currency settings");
    }
    return reply_json(r, 200, o);
}

/* ------------------------------------------------------------ replies */

json_t *json_ratio(int64_t num, int64_t den)
{
    double v;
    return ratio(num, den, &v) ? json_real(v) : json_null();
}

/* Appends one CSV cell: quoted when it holds a comma, quote or line break; text that a
 * spreadsheet would run as a formula gets a leading '. */
static void csv_cell(struct buf *b, json_t *v, bool first)
{
    if (!first)
        buf_append(b, ",", 1);
    if (json_is_integer(v)) {
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        buf_printf(b, "%.10g", json_real_value(v));
    } else if (json_is_true(v) || json_is_false(v)) {
        buf_printf(b, "%s", json_is_true(v) ? "true" : "false");
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        bool formula = strchr("=+-@\t\r", s[0]) && s[0];
        bool quote = formula || strpbrk(s, ",\"\r\n") || s[0] == ' ';
        if (quote)
            buf_append(b, "\"", 1);
        if (formula)
            buf_append(b, "'", 1);
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                buf_append(b, "\"", 1);
            buf_append(b, p, 1);
        }
        if (quote)
            buf_append(b, "\"", 1);
    }
}

int metrics_reply(struct req *r, const struct metric_query *q, const char *name,
                  const char *currency, json_t *extra, json_t *rows, const char *const *cols)
{
    if (q->csv) {
        struct buf b;
        buf_init(&b, 0);
        for (size_t c = 0; cols[c]; c++)
            buf_printf(&b, "%s%s", c ? "," : "", cols[c]);
        buf_append(&b, "\r\n", 2);
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            for (size_t c = 0; cols[c]; c++)
                csv_cell(&b, json_object_get(row, cols[c]), c == 0);
            buf_append(&b, "\r\n", 2);
        }
        json_decref(rows);
        json_decref(extra);
        size_t len = b.len;
        reply_bytes(r, 200, "text/csv; charset=utf-8", buf_steal(&b), len);
        char disp[96];
        snprintf(disp, sizeof(disp), "attachment; filename=\"%s.csv\"", name);
        reply_add_header(r, "Content-Disposition", disp);
        return 0;
    }
    json_t *o = json_object();
    char m[8];
    if (currency)
        json_object_set_new(o, "currency", json_string(currency));
    month_format(q->from, m);
    json_object_set_new(o, "from", json_string(m));
    month_format(q->to, m);
    json_object_set_new(o, "to", json_string(m));
    if (extra)
        json_object_update(o, extra);
    json_decref(extra);
    json_object_set_new(o, "data", rows);
    return reply_json(r, 200, o);
}

int metric_table_parse(struct req *r, const struct metric_query *q,
                       const struct metric_table *tables, size_t n, int *idx)
{
    const char *v = req_query(r, "table");
    *idx = -1;
    if (!v)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, tables[i].name) == 0)
            *idx = (int)i;
    if (*idx < 0) {
        struct buf b;
        buf_init(&b, 0);
        for (size_t i = 0; i < n; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", tables[i].name);
        reply_field_error(r, "table", "'table' must be one of %s", b.p);
        buf_free(&b);
        return -1;
    }
    if (!q->csv)
        return reply_field_error(r, "table", "'table' applies to format=csv (the JSON reply "
                                             "holds every table)"), -1;
    return 0;
}

int metrics_reply_table(struct req *r, const struct metric_query *q, const char *name,
                        const struct metric_table *t, json_t *x, json_t *rows)
{
    json_t *v = json_object_get(x, t->name);
    json_t *table = json_is_array(v) ? json_incref(v) : json_pack("[O]", v ? v : json_null());
    char file[64];
    snprintf(file, sizeof(file), "%s-%s", name, t->name);
    json_decref(x);
    json_decref(rows);
    return metrics_reply(r, q, file, NULL, NULL, table, t->cols);
}

/* ------------------------------------------------------------ the revenue metrics */

static int feed(void *ctx, const struct sub_event *ev)
{
    mrr_engine_add(ctx, ev);
    return 0;
}

/*
 * Parses the query (extra: the route's own parameters besides the common ones, or NULL),
 * loads the settings and runs the engine over the window. Returns 0 with e and fx ready
 * (the caller frees e with mrr_engine_cleanup), or -1 after replying.
 */
static int revenue_run(struct req *r, const char *const *extra, struct metric_query *q,
                       struct fx *fx, struct mrr_engine *e)
{
    if (metric_query_parse(r, extra, q))
        return -1;
    int rc = metrics_fx_load(fx);
    if (rc)
        return reply_rc(r, rc, "currency settings"), -1;
    char until[11];
    month_last_day(q->to, until);
    mrr_engine_init(e, fx, q->from, q->to);
    rc = store_metrics_subscriptions(store_get(), &q->filter, until, feed, e);
    if (rc) {
        mrr_engine_cleanup(e);
        return reply_rc(r, rc, "subscription history"), -1;
    }
    mrr_engine_finish(e);
    return 0;
}

/* {"unconverted_currencies": [...], "excluded_accounts": n} for the reply. */
static json_t *revenue_extra(const struct mrr_engine *e)
{
    json_t *o = json_object(), *a = json_array();
    for (size_t i = 0; i < e->nmissing; i++)
        json_array_append_new(a, json_string(e->missing[i]));
    json_object_set_new(o, "unconverted_currencies", a);
    json_object_set_new(o, "excluded_accounts", json_integer(e->skipped_accounts));
    return o;
}

static const struct mrr_month *prev_of(const struct mrr_engine *e, int i)
{
    return i ? &e->months[i - 1] : &e->base;
}

static json_t *month_row(const struct mrr_engine *e, int i)
{
    char m[8];
    month_format(e->from + i, m);
    json_t *o = json_object();
    json_object_set_new(o, "month", json_string(m));
    return o;
}

static void set_i(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

/* GET /api/v1/metrics/mrr: month-end MRR, ARR, paying customers and ARPA. */
int api_metrics_mrr(struct req *r)
{
    static const char *const cols[] = { "month", "mrr", "arr", "customers", "arpa", NULL };
    struct metric_query q;
    struct fx fx;
    struct mrr_engine e;
    if (revenue_run(r, NULL, &q, &fx, &e))
        return 0;
    json_t *rows = json_array();
    for (int i = 0; i < e.n; i++) {
        const struct mrr_month *t = &e.months[i];
        json_t *o = month_row(&e, i);
        int64_t arpa;
        set_i(o, "mrr", t->mrr);
        int64_t arr;
        set_i(o, "arr", __builtin_mul_overflow(t->mrr, 12, &arr) ? INT64_MAX : arr);
        set_i(o, "customers", t->customers);
        json_object_set_new(o, "arpa", arpa_of(t->mrr, t->customers, &arpa)
                                           ? json_integer(arpa) : json_null());
        json_array_append_new(rows, o);
    }
    metrics_reply(r, &q, "mrr", fx.reporting, revenue_extra(&e), rows, cols);
    mrr_engine_cleanup(&e);
    return 0;
}

/* GET /api/v1/metrics/movements: the MRR bridge, month by month. */
int api_metrics_movements(struct req *r)
{
    static const char *const cols[] = { "month", "mrr", "new", "expansion", "contraction",
                                        "churn", "reactivation", NULL };
    struct metric_query q;
    struct fx fx;
    struct mrr_engine e;
    if (revenue_run(r, NULL, &q, &fx, &e))
        return 0;
    json_t *rows = json_array();
    for (int i = 0; i < e.n; i++) {
        const struct mrr_month *t = &e.months[i];
        json_t *o = month_row(&e, i);
        set_i(o, "mrr", t->mrr);
        set_i(o, "new", t->new_mrr);
        set_i(o, "expansion", t->expansion);
        set_i(o, "contraction", t->contraction);
        set_i(o, "churn", t->churn);
        set_i(o, "reactivation", t->reactivation);
        json_array_append_new(rows, o);
    }
    json_t *extra = revenue_extra(&e);
    json_object_set_new(extra, "start_mrr", json_integer(e.base.mrr));
    metrics_reply(r, &q, "movements", fx.reporting, extra, rows, cols);
    mrr_engine_cleanup(&e);
    return 0;
}

/* GET /api/v1/metrics/retention: NRR and GRR for each month and over trailing 12 months. */
int api_metrics_retention(struct req *r)
{
    static const char *const cols[] = { "month", "start_mrr", "expansion", "contraction",
                                        "churn", "nrr", "grr", "start_mrr_12m", "nrr_12m",
                                        "grr_12m", "logo_retention_12m", NULL };
    struct metric_query q;
    struct fx fx;
    struct mrr_engine e;
    if (revenue_run(r, NULL, &q, &fx, &e))
        return 0;
    json_t *rows = json_array();
    for (int i = 0; i < e.n; i++) {
        const struct mrr_month *t = &e.months[i];
        int64_t start = prev_of(&e, i)->mrr;
        json_t *o = month_row(&e, i);
        set_i(o, "start_mrr", start);
        set_i(o, "expansion", t->expansion);
        set_i(o, "contraction", t->contraction);
        set_i(o, "churn", t->churn);
        json_object_set_new(o, "nrr", json_ratio(start + t->expansion - t->contraction - t->churn,
                                                 start));
        json_object_set_new(o, "grr", json_ratio(start - t->contraction - t->churn, start));
        set_i(o, "start_mrr_12m", t->t12_start);
        json_object_set_new(o, "nrr_12m", json_ratio(t->t12_net, t->t12_start));
        json_object_set_new(o, "grr_12m", json_ratio(t->t12_gross, t->t12_start));
        json_object_set_new(o, "logo_retention_12m",
                            json_ratio(t->t12_logos_kept, t->t12_logos_start));
        json_array_append_new(rows, o);
    }
    metrics_reply(r, &q, "retention", fx.reporting, revenue_extra(&e), rows, cols);
    mrr_engine_cleanup(&e);
    return 0;
}

/* GET /api/v1/metrics/churn: logo and revenue churn per month. */
int api_metrics_churn(struct req *r)
{
    static const char *const cols[] = {
        "month", "start_customers", "churned_customers", "logo_churn_rate",
        "logo_retention_rate", "start_mrr", "churned_mrr", "contraction_mrr",
        "revenue_churn_rate", "net_revenue_churn_rate", NULL };
    struct metric_query q;
    struct fx fx;
    struct mrr_engine e;
    if (revenue_run(r, NULL, &q, &fx, &e))
        return 0;
    json_t *rows = json_array();
    for (int i = 0; i < e.n; i++) {
        const struct mrr_month *t = &e.months[i], *p = prev_of(&e, i);
        json_t *o = month_row(&e, i);
        set_i(o, "start_customers", p->customers);
        set_i(o, "churned_customers", t->churned_logos);
        json_object_set_new(o, "logo_churn_rate", json_ratio(t->churned_logos, p->customers));
        json_object_set_new(o, "logo_retention_rate",
                            json_ratio(p->customers - t->churned_logos, p->customers));
        set_i(o, "start_mrr", p->mrr);
        set_i(o, "churned_mrr", t->churn);
        set_i(o, "contraction_mrr", t->contraction);
        json_object_set_new(o, "revenue_churn_rate", json_ratio(t->churn + t->contraction, p->mrr));
        json_object_set_new(o, "net_revenue_churn_rate",
                            json_ratio(t->churn + t->contraction - t->expansion, p->mrr));
        json_array_append_new(rows, o);
    }
    metrics_reply(r, &q, "churn", fx.reporting, revenue_extra(&e), rows, cols);
    mrr_engine_cleanup(&e);
    return 0;
}

/* GET /api/v1/metrics/ltv: LTV = ARPA x gross margin / monthly revenue churn rate, for each
 * month and for the window (ARPA of the last month; the window's churned + contraction MRR
 * over the sum of its months' starting MRR). */
int api_metrics_ltv(struct req *r)
{
    static const char *const cols[] = { "month", "arpa", "revenue_churn_rate", "ltv", NULL };
    struct metric_query q;
    struct fx fx;
    struct mrr_engine e;
    if (revenue_run(r, NULL, &q, &fx, &e))
        return 0;
    json_t *rows = json_array();
    int64_t lost_sum = 0, start_sum = 0, arpa = 0, ltv;
    bool has_arpa = false;
    for (int i = 0; i < e.n; i++) {
        const struct mrr_month *t = &e.months[i], *p = prev_of(&e, i);
        json_t *o = month_row(&e, i);
        int64_t lost = t->churn + t->contraction;
        lost_sum += lost;
        start_sum += p->mrr;
        has_arpa = arpa_of(t->mrr, t->customers, &arpa);
        json_object_set_new(o, "arpa", has_arpa ? json_integer(arpa) : json_null());
        json_object_set_new(o, "revenue_churn_rate", json_ratio(lost, p->mrr));
        json_object_set_new(o, "ltv", has_arpa && ltv_of(arpa, fx.gross_margin, lost, p->mrr, &ltv)
                                          ? json_integer(ltv) : json_null());
        json_array_append_new(rows, o);
    }
    json_t *extra = revenue_extra(&e);
    json_object_set_new(extra, "gross_margin", json_real(fx.gross_margin));
    json_object_set_new(extra, "arpa", has_arpa ? json_integer(arpa) : json_null());
    json_object_set_new(extra, "revenue_churn_rate", json_ratio(lost_sum, start_sum));
    if (has_arpa && ltv_of(arpa, fx.gross_margin, lost_sum, start_sum, &ltv)) {
        json_object_set_new(extra, "ltv", json_integer(ltv));
        json_object_set_new(extra, "note", json_null());
    } else {
        json_object_set_new(extra, "ltv", json_null());
        json_object_set_new(extra, "note", json_string(
            has_arpa ? "LTV is undefined: no revenue churn in the period"
                     : "LTV is undefined: no paying customers at the end of the period"));
    }
    metrics_reply(r, &q, "ltv", fx.reporting, extra, rows, cols);
    mrr_engine_cleanup(&e);
    return 0;
}

/* GET /api/v1/metrics/cohorts: accounts by first paid month in the window; for each later
 * month, how many still pay and their MRR against the cohort's first month. As CSV, one row
 * per (cohort, month). */
int api_metrics_cohorts(struct req *r)
{
    static const char *const cols[] = { "cohort", "offset", "month", "customers", "mrr",
                                        "logo_retention", "revenue_retention", NULL };
    struct metric_query q;
    struct fx fx;
    struct mrr_engine e;
    if (revenue_run(r, NULL, &q, &fx, &e))
        return 0;
    json_t *rows = json_array(), *flat = json_array();
    int n = e.n;
    char cm[8], mm[8];
    for (int c = 0; c < n; c++) {
        int64_t size = e.cohort_logos[c * n], mrr0 = e.cohort_mrr[c * n];
        month_format(e.from + c, cm);
        json_t *o = json_object(), *months = json_array();
        json_object_set_new(o, "cohort", json_string(cm));
        set_i(o, "customers", size);
        set_i(o, "mrr", mrr0);
        for (int k = 0; c + k < n; k++) {
            int64_t lg = e.cohort_logos[c * n + k], mr = e.cohort_mrr[c * n + k];
            month_format(e.from + c + k, mm);
            json_t *cell = json_object();
            set_i(cell, "offset", k);
            json_object_set_new(cell, "month", json_string(mm));
            set_i(cell, "customers", lg);
            set_i(cell, "mrr", mr);
            json_object_set_new(cell, "logo_retention", json_ratio(lg, size));
            json_object_set_new(cell, "revenue_retention", json_ratio(mr, mrr0));
            if (q.csv) {
                json_t *f = json_deep_copy(cell);
                json_object_set_new(f, "cohort", json_string(cm));
                json_array_append_new(flat, f);
            }
            json_array_append_new(months, cell);
        }
        json_object_set_new(o, "months", months);
        json_array_append_new(rows, o);
    }
    if (q.csv) {
        json_decref(rows);
        rows = flat;
    } else {
        json_decref(flat);
    }
    metrics_reply(r, &q, "cohorts", fx.reporting, revenue_extra(&e), rows, cols);
    mrr_engine_cleanup(&e);
    return 0;
}
