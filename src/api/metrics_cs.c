/*
 * /api/v1/metrics/{renewals,journey,health,surveys,activity}: the customer success KPIs
 * besides revenue. Renewals due in the next 30/60/90 days with the MRR at risk; the journey
 * (phase distribution, onboarding completion, the phase funnel, time to value); health band
 * distribution month by month; NPS, CSAT and CES month by month; and the CSMs' key actions
 * (KAI) per week with their book of business. Each reads its rows in one or a few set-based
 * queries (store/metrics.c) and folds them here; definitions in docs/metrics.md.
 */
#include "api/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "journey/phase.h"

static void set_i(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

/* sum / n as a JSON real rounded to 0.1, or null when n is 0. */
static json_t *json_avg(double sum, int64_t n)
{
    if (n <= 0)
        return json_null();
    return json_real(round(sum / (double)n * 10.0) / 10.0);
}

/* [first day of from, last day of to] as dates, and as RFC 3339 bounds [lo, hi). */
static void window_dates(const struct metric_query *q, char from[11], char to[11],
                         char lo[21], char hi[21])
{
    char m[8];
    month_format(q->from, m);
    snprintf(from, 11, "%.7s-01", m);
    month_last_day(q->to, to);
    snprintf(lo, 21, "%.7s-01T00:00:00Z", m);
    month_format(q->to + 1, m);
    snprintf(hi, 21, "%.7s-01T00:00:00Z", m);
}

/* Days since 1970 of a date or an RFC 3339 time (its date part); -1 when malformed. */
static int64_t day_number(const char *s)
{
    char d[11];
    if (!s || strlen(s) < 10)
        return -1;
    memcpy(d, s, 10);
    d[10] = '\0';
    if (date_valid(d))
        return -1;
    return date_to_days(d);
}

/* ------------------------------------------------------------ renewals */

/* A renewal listed: what the scan knew; the account's details are read after the scan, for
 * the listed rows only. */
struct renewal_listed {
    int64_t account_id;
    char renewal_date[11];
    int64_t days, mrr;
    int window;
    bool trial;
};

struct renewals_ctx {
    const struct fx *fx;
    int64_t today;
    const char *list_from, *list_to; /* the renewal dates listed */
    bool csv;
    int limit;
    struct renewal_listed *listed;
    size_t nlisted, cap;
    int64_t total;
    /* windows 30, 60, 90 days: accounts, mrr, at risk (red), unscored */
    int64_t w_accounts[3], w_mrr[3], w_risk[3], w_unscored[3];
    char missing[MRR_MISSING_MAX][4];
    size_t nmissing;
    int64_t excluded;
};

static int renewal_row(void *arg, const struct renewal_row *r)
{
    struct renewals_ctx *c = arg;
    int64_t mrr = 0;
    if (r->mrr > 0 && fx_convert(c->fx, r->currency ? r->currency : "", r->mrr < MRR_INPUT_CAP
                                 ? r->mrr : MRR_INPUT_CAP, &mrr)) {
        bool seen = false;
        for (size_t i = 0; i < c->nmissing; i++)
            seen |= strcmp(c->missing[i], r->currency) == 0;
        if (!seen && c->nmissing < MRR_MISSING_MAX && r->currency && strlen(r->currency) == 3)
            memcpy(c->missing[c->nmissing++], r->currency, 4);
        c->excluded++;
        return 0;
    }
    bool trial = r->status && strcmp(r->status, "trial") == 0;
    if (trial)
        mrr = 0;
    if (mrr > MRR_CAP)
        mrr = MRR_CAP;
    int64_t days = day_number(r->renewal_date) - c->today;
    int window = days < 0 ? 0 : days <= 30 ? 30 : days <= 60 ? 60 : days <= 90 ? 90 : 0;
    for (int w = 0; w < 3; w++) {
        if (days < 0 || days > 30 * (w + 1))
            continue;
        c->w_accounts[w]++;
        c->w_mrr[w] += mrr;
        if (r->red)
            c->w_risk[w] += mrr;
        if (r->unscored)
            c->w_unscored[w] += mrr;
    }
    if (!r->renewal_date || strcmp(r->renewal_date, c->list_from) < 0 ||
        strcmp(r->renewal_date, c->list_to) > 0)
        return 0;
    c->total++;
    if (!c->csv && c->nlisted >= (size_t)c->limit)
        return 0;
    if (c->nlisted == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->listed = xrealloc(c->listed, c->cap * sizeof(*c->listed));
    }
    struct renewal_listed *l = &c->listed[c->nlisted++];
    l->account_id = r->account_id;
    snprintf(l->renewal_date, sizeof(l->renewal_date), "%s", r->renewal_date);
    l->days = days;
    l->mrr = mrr;
    l->window = window;
    l->trial = trial;
    return 0;
}

struct renewal_rows {
    const struct renewals_ctx *c;
    size_t next;                 /* the listed row the next detail belongs to */
    json_t *rows;
};

static json_t *renewal_json(const struct renewal_listed *l, const struct renewal_detail *d)
{
    json_t *o = json_object();
    set_i(o, "account_id", l->account_id);
    json_object_set_new(o, "name", json_string(d && d->name ? d->name : ""));
    json_object_set_new(o, "renewal_date", json_string(l->renewal_date));
    set_i(o, "days_until", l->days);
    json_object_set_new(o, "window", l->window ? json_integer(l->window) : json_null());
    set_i(o, "mrr", l->mrr);
    json_object_set_new(o, "owner_id", d && d->owner_id ? json_integer(d->owner_id)
                                                         : json_null());
    json_object_set_new(o, "health_band", d && d->health_band ? json_string(d->health_band)
                                                               : json_null());
    json_object_set_new(o, "phase", d && d->phase ? json_string(d->phase) : json_null());
    json_object_set_new(o, "plan", d && d->plan ? json_string(d->plan) : json_null());
    json_object_set_new(o, "status", json_string(l->trial ? "trial" : "active"));
    json_object_set_new(o, "auto_renew", json_boolean(d && d->auto_renew));
    return o;
}

/* Details come in the listed order; a listed account deleted since the scan has none. */
static int renewal_detail_row(void *arg, const struct renewal_detail *d)
{
    struct renewal_rows *x = arg;
    while (x->next < x->c->nlisted && x->c->listed[x->next].account_id != d->account_id)
        json_array_append_new(x->rows, renewal_json(&x->c->listed[x->next++], NULL));
    if (x->next < x->c->nlisted)
        json_array_append_new(x->rows, renewal_json(&x->c->listed[x->next++], d));
    return 0;
}

/*
 * GET /api/v1/metrics/renewals: current subscriptions (not churned) renewing from today to
 * today + 90 days, or in the months from..to when either is given; the 30/60/90-day windows
 * always count from today. A trial's MRR counts 0. JSON lists the first `limit` (default
 * 50, at most 500) by renewal date with "total"; CSV lists them all.
 */
int api_metrics_renewals(struct req *r)
{
    static const char *const extra[] = { "limit", "table", NULL };
    static const char *const wcols[] = { "days", "accounts", "mrr", "at_risk_mrr",
                                         "expected_mrr", "unscored_mrr", NULL };
    static const struct metric_table tables[] = { { "windows", wcols } };
    int table;
    static const char *const cols[] = { "account_id", "name", "renewal_date", "days_until",
                                        "window", "mrr", "owner_id", "health_band", "phase",
                                        "plan", "status", "auto_renew", NULL };
    struct metric_query q;
    struct fx fx;
    int limit;
    if (metric_query_parse(r, extra, &q) || api_limit(r, &limit) ||
        metric_table_parse(r, &q, tables, 1, &table))
        return 0;
    int rc = metrics_fx_load(&fx);
    if (rc)
        return reply_rc(r, rc, "currency settings");
    char today[11], from[11], to[11], lo[21], hi[21];
    date_today(today);
    struct renewals_ctx c = { .fx = &fx, .today = date_to_days(today), .csv = q.csv,
                              .limit = limit };
    /* Read the listed range and the 90 days from today together: the windows never depend
     * on from/to. */
    char soon[11];
    date_from_days(c.today + 90, soon);
    if (req_query(r, "from") || req_query(r, "to")) {
        window_dates(&q, from, to, lo, hi);
    } else {
        memcpy(from, today, 11);
        memcpy(to, soon, 11);
        q.from = month_of_date(from);
        q.to = month_of_date(to);
    }
    c.list_from = from;
    c.list_to = to;
    rc = store_metrics_renewals(store_get(), &q.filter, strcmp(from, today) < 0 ? from : today,
                                strcmp(to, soon) > 0 ? to : soon, renewal_row, &c);
    struct renewal_rows rows = { .c = &c, .rows = json_array() };
    if (!rc) {
        int64_t *ids = xcalloc(c.nlisted ? c.nlisted : 1, sizeof(*ids));
        for (size_t i = 0; i < c.nlisted; i++)
            ids[i] = c.listed[i].account_id;
        rc = store_metrics_renewal_details(store_get(), ids, c.nlisted, renewal_detail_row,
                                           &rows);
        free(ids);
        while (!rc && rows.next < c.nlisted)
            json_array_append_new(rows.rows, renewal_json(&c.listed[rows.next++], NULL));
    }
    free(c.listed);
    if (rc) {
        json_decref(rows.rows);
        return reply_rc(r, rc, "renewals");
    }
    json_t *x = json_object(), *windows = json_array(), *missing = json_array();
    json_object_set_new(x, "as_of", json_string(today));
    for (int w = 0; w < 3; w++) {
        json_t *o = json_object();
        set_i(o, "days", 30 * (w + 1));
        set_i(o, "accounts", c.w_accounts[w]);
        set_i(o, "mrr", c.w_mrr[w]);
        set_i(o, "at_risk_mrr", c.w_risk[w]);
        set_i(o, "expected_mrr", c.w_mrr[w] - c.w_risk[w]);
        set_i(o, "unscored_mrr", c.w_unscored[w]);
        json_array_append_new(windows, o);
    }
    json_object_set_new(x, "windows", windows);
    set_i(x, "total", c.total);
    for (size_t i = 0; i < c.nmissing; i++)
        json_array_append_new(missing, json_string(c.missing[i]));
    json_object_set_new(x, "unconverted_currencies", missing);
    set_i(x, "excluded_accounts", c.excluded);
    if (table >= 0)
        return metrics_reply_table(r, &q, "renewals", &tables[table], x, rows.rows);
    return metrics_reply(r, &q, "renewals", fx.reporting, x, rows.rows, cols);
}

/* ------------------------------------------------------------ journey */

/* The journey follows the lifecycle in force (settings/lifecycle): its first phase is where
 * onboarding starts, its terminal phase is churn, and the funnel has a row per phase in its
 * order. History rows in a phase the lifecycle no longer has are not counted. */
struct journey_ctx {
    const struct lifecycle *lc;
    int first, terminal;  /* phase indexes; terminal -1 when none */
    int from, to, n;
    /* per month of onboarding start: started, completed (so far), days to complete */
    int64_t *started, *completed;
    double *days;
    int64_t funnel[LC_MAX_PHASES]; /* by phase index; the first phase's is the started */
    /* the current account */
    int64_t account;
    int64_t onboard_at;   /* unix seconds of its first entry into the first phase, -1 none */
    int onboard_month;
    int64_t done_at;      /* first move on from there to a live phase, -1 none */
    bool reached[LC_MAX_PHASES];
};

static void journey_flush(struct journey_ctx *c)
{
    if (c->account > 0 && c->onboard_at >= 0 && c->onboard_month >= c->from &&
        c->onboard_month <= c->to) {
        int i = c->onboard_month - c->from;
        c->started[i]++;
        if (c->done_at >= 0) {
            c->completed[i]++;
            c->days[i] += (double)(c->done_at - c->onboard_at) / 86400.0;
        }
        c->funnel[c->first]++;
        for (size_t k = 0; k < c->lc->nphases; k++)
            if ((int)k != c->first)
                c->funnel[k] += c->reached[k];
    }
    c->onboard_at = -1;
    c->done_at = -1;
    memset(c->reached, 0, sizeof(c->reached));
}

static int journey_row(void *arg, const struct phase_row *p)
{
    struct journey_ctx *c = arg;
    if (p->account_id != c->account) {
        journey_flush(c);
        c->account = p->account_id;
    }
    int64_t t;
    if (!p->phase || !p->entered_at || time_parse(p->entered_at, &t))
        return 0;
    int k = lifecycle_phase_index(c->lc, p->phase);
    if (k < 0)
        return 0; /* a phase removed from the lifecycle */
    if (k == c->first) {
        if (c->onboard_at < 0) {
            c->onboard_at = t;
            c->onboard_month = month_of_date(p->entered_at);
        }
        return 0;
    }
    if (c->onboard_at < 0)
        return 0; /* history before onboarding: not in the funnel */
    if (k != c->terminal && c->done_at < 0)
        c->done_at = t;
    c->reached[k] = true;
    return 0;
}

struct ttv_acc {
    int from, n;
    int64_t *reached;
    double *days;
    int64_t total, with_start;
    double total_days;
};

static int ttv_row(void *arg, const struct ttv_row *t)
{
    struct ttv_acc *a = arg;
    int m = month_of_date(t->value_reached_at);
    int64_t at, start = day_number(t->start_date);
    if (m < a->from || m >= a->from + a->n || time_parse(t->value_reached_at, &at))
        return 0;
    a->total++;
    a->reached[m - a->from]++;
    if (start >= 0) {
        double d = (double)at / 86400.0 - (double)start;
        a->days[m - a->from] += d;
        a->total_days += d;
        a->with_start++;
    }
    return 0;
}

static int count_into(void *arg, const char *key, int64_t n)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", key ? json_string(key) : json_null());
    set_i(o, "accounts", n);
    json_array_append_new(arg, o);
    return 0;
}

/*
 * GET /api/v1/metrics/journey, following the lifecycle in force: accounts by current phase
 * (every phase, in lifecycle order); for the accounts whose onboarding (the first phase)
 * started in the window, by start month: how many completed it (moved on to a phase other
 * than the terminal one) and in how many days on average, and the funnel (the first phase,
 * then each later phase with the accounts that ever reached it, the terminal phase last);
 * time to value (contract start to the value milestone) by the month the value was reached.
 */
int api_metrics_journey(struct req *r)
{
    static const char *const cols[] = { "month", "onboarding_started", "onboarding_completed",
                                        "completion_rate", "avg_onboarding_days",
                                        "value_reached", "avg_ttv_days", NULL };
    static const char *const extra[] = { "table", NULL };
    static const char *const pcols[] = { "phase", "accounts", "label_ja", "label_en", NULL };
    static const char *const fcols[] = { "phase", "accounts", "share", "label_ja", "label_en",
                                         "terminal", NULL };
    static const struct metric_table tables[] = { { "phases", pcols }, { "funnel", fcols } };
    struct metric_query q;
    int table;
    if (metric_query_parse(r, extra, &q) || metric_table_parse(r, &q, tables, 2, &table))
        return 0;
    struct lifecycle lc;
    int rc = journey_lifecycle_load(store_get(), &lc);
    if (rc)
        return reply_rc(r, rc, "lifecycle settings");
    size_t n = (size_t)(q.to - q.from + 1);
    const struct lc_phase *terminal = lifecycle_terminal(&lc);
    struct journey_ctx c = { .lc = &lc, .first = 0,
                             .terminal = terminal ? (int)(terminal - lc.phases) : -1,
                             .from = q.from, .to = q.to, .n = (int)n, .account = -1,
                             .onboard_at = -1, .done_at = -1 };
    c.started = xcalloc(n, sizeof(int64_t));
    c.completed = xcalloc(n, sizeof(int64_t));
    c.days = xcalloc(n, sizeof(double));
    struct ttv_acc t = { .from = q.from, .n = (int)n };
    t.reached = xcalloc(n, sizeof(int64_t));
    t.days = xcalloc(n, sizeof(double));
    json_t *phases = json_array(), *rows = NULL;
    char from[11], to[11], lo[21], hi[21];
    window_dates(&q, from, to, lo, hi);
    rc = store_metrics_phase_history(store_get(), &q.filter, journey_row, &c);
    journey_flush(&c);
    if (!rc)
        rc = store_metrics_ttv(store_get(), &q.filter, lo, hi, ttv_row, &t);
    if (!rc)
        rc = store_metrics_account_counts(store_get(), &q.filter, "phase", count_into, phases);
    if (rc) {
        reply_rc(r, rc, "journey");
        json_decref(phases);
        goto out;
    }
    rows = json_array();
    int64_t started = 0, completed = 0;
    double days = 0;
    for (size_t i = 0; i < n; i++) {
        char m[8];
        month_format(q.from + (int)i, m);
        json_t *o = json_object();
        json_object_set_new(o, "month", json_string(m));
        set_i(o, "onboarding_started", c.started[i]);
        set_i(o, "onboarding_completed", c.completed[i]);
        json_object_set_new(o, "completion_rate", json_ratio(c.completed[i], c.started[i]));
        json_object_set_new(o, "avg_onboarding_days", json_avg(c.days[i], c.completed[i]));
        set_i(o, "value_reached", t.reached[i]);
        json_object_set_new(o, "avg_ttv_days", json_avg(t.days[i], t.reached[i]));
        json_array_append_new(rows, o);
        started += c.started[i];
        completed += c.completed[i];
        days += c.days[i];
    }
    json_t *x = json_object(), *onb = json_object(), *funnel = json_array(), *ttv = json_object();
    /* phases: [{"phase", "accounts", "label_ja", "label_en"}], every phase of the lifecycle
     * in its order (an account in a phase the lifecycle no longer has is not listed) */
    json_t *dist = json_array();
    for (size_t k = 0; k < lc.nphases; k++) {
        const struct lc_phase *ph = &lc.phases[k];
        int64_t count = 0;
        size_t i;
        json_t *p;
        json_array_foreach(phases, i, p) {
            const char *key = json_string_value(json_object_get(p, "key"));
            if (key && strcmp(key, ph->key) == 0)
                count = json_integer_value(json_object_get(p, "accounts"));
        }
        json_t *o = json_object();
        json_object_set_new(o, "phase", json_string(ph->key));
        set_i(o, "accounts", count);
        json_object_set_new(o, "label_ja", json_string(ph->label_ja));
        json_object_set_new(o, "label_en", json_string(ph->label_en));
        json_array_append_new(dist, o);
    }
    json_decref(phases);
    json_object_set_new(x, "phases", dist);
    set_i(onb, "started", started);
    set_i(onb, "completed", completed);
    json_object_set_new(onb, "completion_rate", json_ratio(completed, started));
    json_object_set_new(onb, "avg_days", json_avg(days, completed));
    json_object_set_new(onb, "phase", json_string(lc.phases[0].key));
    json_object_set_new(x, "onboarding", onb);
    /* funnel: the first phase (onboarding started), then every later phase in lifecycle
     * order with the accounts that ever reached it; the terminal (churn) phase is last */
    for (size_t k = 0; k < lc.nphases; k++) {
        const struct lc_phase *ph = &lc.phases[k];
        json_t *o = json_object();
        json_object_set_new(o, "phase", json_string(ph->key));
        set_i(o, "accounts", c.funnel[k]);
        json_object_set_new(o, "share", json_ratio(c.funnel[k], c.funnel[0]));
        json_object_set_new(o, "label_ja", json_string(ph->label_ja));
        json_object_set_new(o, "label_en", json_string(ph->label_en));
        json_object_set_new(o, "terminal", json_boolean(ph->terminal));
        json_array_append_new(funnel, o);
    }
    json_object_set_new(x, "funnel", funnel);
    set_i(ttv, "accounts", t.total);
    json_object_set_new(ttv, "avg_days", json_avg(t.total_days, t.with_start));
    json_object_set_new(x, "ttv", ttv);
    if (table >= 0)
        metrics_reply_table(r, &q, "journey", &tables[table], x, rows);
    else
        metrics_reply(r, &q, "journey", NULL, x, rows, cols);
out:
    free(c.started);
    free(c.completed);
    free(c.days);
    free(t.reached);
    free(t.days);
    lifecycle_cleanup(&lc);
    return 0;
}

/* ------------------------------------------------------------ health */

enum { BAND_GREEN, BAND_YELLOW, BAND_RED, BAND_NONE, BANDS };

struct health_ctx {
    int from, n;
    int64_t *count;       /* n x BANDS */
    int64_t *scored;      /* n: months with a score */
    double *score_sum;
};

static int band_index(const char *b)
{
    if (!b)
        return BAND_NONE;
    if (strcmp(b, "green") == 0)
        return BAND_GREEN;
    if (strcmp(b, "yellow") == 0)
        return BAND_YELLOW;
    if (strcmp(b, "red") == 0)
        return BAND_RED;
    return BAND_NONE;
}

/* One account in one month, by its last snapshot of the month. */
static int health_row(void *arg, const struct health_month *h)
{
    struct health_ctx *c = arg;
    int m = h->month - c->from;
    if (m < 0 || m >= c->n)
        return 0;
    c->count[m * BANDS + band_index(h->band)]++;
    if (h->score >= 0) {
        c->scored[m]++;
        c->score_sum[m] += (double)h->score;
    }
    return 0;
}

/* GET /api/v1/metrics/health: for each month, the accounts by the band of their last health
 * snapshot of that month, and the average score; plus the current distribution. */
int api_metrics_health(struct req *r)
{
    static const char *const cols[] = { "month", "accounts", "green", "yellow", "red",
                                        "unscored", "avg_score", NULL };
    static const char *const extra[] = { "table", NULL };
    static const char *const ccols[] = { "green", "yellow", "red", "unscored", NULL };
    static const struct metric_table tables[] = { { "current", ccols } };
    struct metric_query q;
    int table;
    if (metric_query_parse(r, extra, &q) || metric_table_parse(r, &q, tables, 1, &table))
        return 0;
    size_t n = (size_t)(q.to - q.from + 1);
    struct health_ctx c = { .from = q.from, .n = (int)n };
    c.count = xcalloc(n * BANDS, sizeof(int64_t));
    c.scored = xcalloc(n, sizeof(int64_t));
    c.score_sum = xcalloc(n, sizeof(double));
    json_t *current = json_array();
    int rc = store_metrics_health(store_get(), &q.filter, q.from, q.to, health_row, &c);
    if (!rc)
        rc = store_metrics_account_counts(store_get(), &q.filter, "health_band", count_into,
                                          current);
    if (rc) {
        reply_rc(r, rc, "health");
        json_decref(current);
        goto out;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const int64_t *b = &c.count[i * BANDS];
        char m[8];
        month_format(q.from + (int)i, m);
        json_t *o = json_object();
        json_object_set_new(o, "month", json_string(m));
        set_i(o, "accounts", b[0] + b[1] + b[2] + b[3]);
        set_i(o, "green", b[BAND_GREEN]);
        set_i(o, "yellow", b[BAND_YELLOW]);
        set_i(o, "red", b[BAND_RED]);
        set_i(o, "unscored", b[BAND_NONE]);
        json_object_set_new(o, "avg_score", json_avg(c.score_sum[i], c.scored[i]));
        json_array_append_new(rows, o);
    }
    json_t *x = json_object(), *cur = json_object();
    set_i(cur, "green", 0);
    set_i(cur, "yellow", 0);
    set_i(cur, "red", 0);
    set_i(cur, "unscored", 0);
    size_t i;
    json_t *p;
    json_array_foreach(current, i, p) {
        const char *k = json_string_value(json_object_get(p, "key"));
        int bi = band_index(k);
        static const char *const names[] = { "green", "yellow", "red", "unscored" };
        json_t *old = json_object_get(cur, names[bi]);
        set_i(cur, names[bi], json_integer_value(old) +
                                  json_integer_value(json_object_get(p, "accounts")));
    }
    json_decref(current);
    json_object_set_new(x, "current", cur);
    if (table >= 0)
        metrics_reply_table(r, &q, "health", &tables[table], x, rows);
    else
        metrics_reply(r, &q, "health", NULL, x, rows, cols);
out:
    free(c.count);
    free(c.scored);
    free(c.score_sum);
    return 0;
}

/* ------------------------------------------------------------ surveys */

struct survey_month {
    int64_t nps_n, promoters, passives, detractors;
    int64_t csat_n, csat_satisfied, csat_sum;
    int64_t ces_n, ces_sum;
};

struct surveys_ctx {
    int from, n;
    struct survey_month *m;   /* n months + the total at index n */
};

static void survey_add(struct survey_month *s, const struct survey_count *c)
{
    if (strcmp(c->type, "nps") == 0) {
        s->nps_n += c->count;
        if (c->score >= 9)
            s->promoters += c->count;
        else if (c->score >= 7)
            s->passives += c->count;
        else
            s->detractors += c->count;
    } else if (strcmp(c->type, "csat") == 0) {
        s->csat_n += c->count;
        s->csat_sum += c->score * c->count;
        if (c->score >= 4)
            s->csat_satisfied += c->count;
    } else if (strcmp(c->type, "ces") == 0) {
        s->ces_n += c->count;
        s->ces_sum += c->score * c->count;
    }
}

static int survey_row(void *arg, const struct survey_count *c)
{
    struct surveys_ctx *x = arg;
    char m[8];
    snprintf(m, sizeof(m), "%.7s", c->month);
    int i = month_of_date(m) - x->from;
    if (i < 0 || i >= x->n)
        return 0;
    survey_add(&x->m[i], c);
    survey_add(&x->m[x->n], c);
    return 0;
}

/* NPS = (promoters - detractors) / answers x 100, rounded to 0.1. */
static json_t *json_score(int64_t num, int64_t den)
{
    if (den <= 0)
        return json_null();
    return json_real(round((double)num * 1000.0 / (double)den) / 10.0);
}

static json_t *survey_json(const struct survey_month *s)
{
    json_t *o = json_object();
    set_i(o, "nps_responses", s->nps_n);
    set_i(o, "promoters", s->promoters);
    set_i(o, "passives", s->passives);
    set_i(o, "detractors", s->detractors);
    json_object_set_new(o, "nps", json_score(s->promoters - s->detractors, s->nps_n));
    set_i(o, "csat_responses", s->csat_n);
    json_object_set_new(o, "csat", json_score(s->csat_satisfied, s->csat_n));
    json_object_set_new(o, "csat_avg", json_avg((double)s->csat_sum, s->csat_n));
    set_i(o, "ces_responses", s->ces_n);
    json_object_set_new(o, "ces_avg", json_avg((double)s->ces_sum, s->ces_n));
    return o;
}

/* GET /api/v1/metrics/surveys: NPS (-100..100), CSAT (% of answers 4 or 5, and the average
 * 1-5) and CES (average 1-7) by the month answered, and for the whole window. */
int api_metrics_surveys(struct req *r)
{
    static const char *const cols[] = { "month", "nps_responses", "promoters", "passives",
                                        "detractors", "nps", "csat_responses", "csat",
                                        "csat_avg", "ces_responses", "ces_avg", NULL };
    struct metric_query q;
    if (metric_query_parse(r, NULL, &q))
        return 0;
    size_t n = (size_t)(q.to - q.from + 1);
    struct surveys_ctx c = { .from = q.from, .n = (int)n };
    c.m = xcalloc(n + 1, sizeof(*c.m));
    char from[11], to[11], lo[21], hi[21];
    window_dates(&q, from, to, lo, hi);
    int rc = store_metrics_surveys(store_get(), &q.filter, lo, hi, survey_row, &c);
    if (rc) {
        reply_rc(r, rc, "surveys");
        goto out;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        char m[8];
        month_format(q.from + (int)i, m);
        json_t *o = json_object(), *s = survey_json(&c.m[i]);
        json_object_set_new(o, "month", json_string(m));
        json_object_update(o, s);
        json_decref(s);
        json_array_append_new(rows, o);
    }
    json_t *x = json_object();
    json_object_set_new(x, "total", survey_json(&c.m[n]));
    metrics_reply(r, &q, "surveys", NULL, x, rows, cols);
out:
    free(c.m);
    return 0;
}

/* ------------------------------------------------------------ team activity (KAI) */

static const char *const task_types[] = { "call", "meeting", "email", "review", "other", NULL };
static const char *const touch_types[] = { "note", "meeting", "call", "email", "ticket",
                                           "handoff", NULL };
#define NTASK 5
#define NTOUCH 6

struct kai {
    int64_t user_id;
    int64_t week;                 /* day number of the week's Monday */
    int64_t tasks[NTASK], touches[NTOUCH];
};

struct activity_acc {
    struct kai *v;
    size_t n, cap;
    uint32_t *slots;              /* open addressing: index + 1 into v, 0 = empty */
    size_t nslots;                /* a power of two, at least twice n */
    bool touches;                 /* which query is streaming */
    char last_day[11];            /* rows come in time order: the last date seen ... */
    int64_t last_week;            /* ... and its week (-1: not a date) */
};

static int type_index(const char *t, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(t, list[i]) == 0)
            return i;
    return -1;
}

static size_t kai_hash(int64_t user, int64_t week, size_t mask)
{
    uint64_t h = (uint64_t)user * 0x9E3779B97F4A7C15ull ^ (uint64_t)week * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(h ^ (h >> 29)) & mask;
}

/* The (user, week) entry, created empty when new. */
static struct kai *kai_get(struct activity_acc *a, int64_t user, int64_t week)
{
    if (2 * (a->n + 1) > a->nslots) {
        size_t ns = a->nslots ? a->nslots * 2 : 256;
        uint32_t *slots = xcalloc(ns, sizeof(uint32_t));
        for (size_t i = 0; i < a->n; i++) {
            size_t h = kai_hash(a->v[i].user_id, a->v[i].week, ns - 1);
            while (slots[h])
                h = (h + 1) & (ns - 1);
            slots[h] = (uint32_t)i + 1;
        }
        free(a->slots);
        a->slots = slots;
        a->nslots = ns;
    }
    size_t h = kai_hash(user, week, a->nslots - 1);
    while (a->slots[h]) {
        struct kai *k = &a->v[a->slots[h] - 1];
        if (k->user_id == user && k->week == week)
            return k;
        h = (h + 1) & (a->nslots - 1);
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    struct kai *k = &a->v[a->n];
    memset(k, 0, sizeof(*k));
    k->user_id = user;
    k->week = week;
    a->slots[h] = (uint32_t)++a->n;
    return k;
}

static int activity_row(void *arg, const struct activity_count *c)
{
    struct activity_acc *a = arg;
    if (strncmp(c->day, a->last_day, 10) != 0) {
        int64_t day = day_number(c->day);
        snprintf(a->last_day, sizeof(a->last_day), "%.10s", c->day);
        /* 1970-01-01 was a Thursday: Monday-based weeks start at day - (day + 3) % 7. */
        a->last_week = day < 0 ? -1 : day - ((day % 7 + 7 + 3) % 7);
    }
    int t = type_index(c->type, a->touches ? touch_types : task_types);
    if (a->last_week < 0 || t < 0)
        return 0;
    struct kai *k = kai_get(a, c->user_id, a->last_week);
    if (a->touches)
        k->touches[t] += c->count;
    else
        k->tasks[t] += c->count;
    return 0;
}

static int kai_cmp(const void *x, const void *y)
{
    const struct kai *a = x, *b = y;
    if (a->user_id != b->user_id)
        return a->user_id < b->user_id ? -1 : 1;
    return (a->week > b->week) - (a->week < b->week);
}

struct user_name {
    int64_t id;
    char *name;
};
struct users_acc {
    struct user_name *v;
    size_t n;
};

static int user_row(void *arg, int64_t id, const char *name, const char *email)
{
    struct users_acc *u = arg;
    (void)email;
    u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
    u->v[u->n].id = id;
    u->v[u->n++].name = xstrdup(name ? name : "");
    return 0;
}

static const char *user_name_of(const struct users_acc *u, int64_t id)
{
    size_t lo = 0, hi = u->n; /* by id */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (u->v[mid].id == id)
            return u->v[mid].name;
        if (u->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct book {
    int64_t owner_id, accounts, paying, mrr;
};
struct book_acc {
    const struct fx *fx;
    struct book *v;
    size_t n;
    int64_t excluded;
};

static int book_row(void *arg, const struct book_row *b)
{
    struct book_acc *a = arg;
    /* The rows come by owner (store_metrics_book): the last owner is the one, nearly always. */
    struct book *k = a->n && a->v[a->n - 1].owner_id == b->owner_id ? &a->v[a->n - 1] : NULL;
    for (size_t i = 0; !k && i < a->n; i++)
        if (a->v[i].owner_id == b->owner_id)
            k = &a->v[i];
    if (!k) {
        a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
        k = &a->v[a->n++];
        memset(k, 0, sizeof(*k));
        k->owner_id = b->owner_id;
    }
    k->accounts++;
    int64_t mrr = 0;
    if (b->currency && b->mrr > 0) {
        if (fx_convert(a->fx, b->currency, b->mrr < MRR_INPUT_CAP ? b->mrr : MRR_INPUT_CAP,
                       &mrr)) {
            a->excluded++;
            return 0;
        }
        k->paying++;
        k->mrr += mrr < MRR_CAP ? mrr : MRR_CAP;
    }
    return 0;
}

static int book_cmp(const void *x, const void *y)
{
    const struct book *a = x, *b = y;
    return (a->owner_id > b->owner_id) - (a->owner_id < b->owner_id);
}

/*
 * GET /api/v1/metrics/activity: per CSM and week (Monday to Sunday, by the Monday's date),
 * tasks completed by type (by assignee, completed_at in the window) and timeline touches by
 * type (by author, occurred_at in the window), on the filtered accounts; and each owner's
 * book of business now: accounts owned, paying accounts, MRR and ARR.
 */
int api_metrics_activity(struct req *r)
{
    static const char *const cols[] = {
        "user_id", "user_name", "week", "tasks_call", "tasks_meeting", "tasks_email",
        "tasks_review", "tasks_other", "tasks_total", "touches_note", "touches_meeting",
        "touches_call", "touches_email", "touches_ticket", "touches_handoff", "touches_total",
        NULL };
    static const char *const extra[] = { "table", NULL };
    static const char *const bcols[] = { "owner_id", "owner_name", "accounts", "paying_accounts",
                                         "mrr", "arr", NULL };
    static const struct metric_table tables[] = { { "book", bcols } };
    struct metric_query q;
    struct fx fx;
    int table;
    if (metric_query_parse(r, extra, &q) || metric_table_parse(r, &q, tables, 1, &table))
        return 0;
    int rc = metrics_fx_load(&fx);
    if (rc)
        return reply_rc(r, rc, "currency settings");
    char from[11], to[11], lo[21], hi[21];
    window_dates(&q, from, to, lo, hi);
    struct activity_acc a = { .last_week = -1 };
    struct users_acc u = { 0 };
    struct book_acc b = { .fx = &fx };
    rc = store_metrics_tasks_done(store_get(), &q.filter, lo, hi, activity_row, &a);
    a.touches = true;
    if (!rc)
        rc = store_metrics_touches(store_get(), &q.filter, lo, hi, activity_row, &a);
    if (!rc)
        rc = store_metrics_users(store_get(), user_row, &u);
    if (!rc)
        rc = store_metrics_book(store_get(), &q.filter, book_row, &b);
    if (rc) {
        reply_rc(r, rc, "activity");
        goto out;
    }
    if (a.n)
        qsort(a.v, a.n, sizeof(*a.v), kai_cmp);
    json_t *rows = json_array();
    for (size_t i = 0; i < a.n; i++) {
        const struct kai *k = &a.v[i];
        char week[11], key[32];
        date_from_days(k->week, week);
        json_t *o = json_object();
        set_i(o, "user_id", k->user_id);
        const char *name = user_name_of(&u, k->user_id);
        json_object_set_new(o, "user_name", name ? json_string(name) : json_null());
        json_object_set_new(o, "week", json_string(week));
        int64_t total = 0;
        for (int t = 0; t < NTASK; t++) {
            snprintf(key, sizeof(key), "tasks_%s", task_types[t]);
            set_i(o, key, k->tasks[t]);
            total += k->tasks[t];
        }
        set_i(o, "tasks_total", total);
        total = 0;
        for (int t = 0; t < NTOUCH; t++) {
            snprintf(key, sizeof(key), "touches_%s", touch_types[t]);
            set_i(o, key, k->touches[t]);
            total += k->touches[t];
        }
        set_i(o, "touches_total", total);
        json_array_append_new(rows, o);
    }
    if (b.n)
        qsort(b.v, b.n, sizeof(*b.v), book_cmp);
    json_t *x = json_object(), *books = json_array();
    for (size_t i = 0; i < b.n; i++) {
        json_t *o = json_object();
        const char *name = b.v[i].owner_id ? user_name_of(&u, b.v[i].owner_id) : NULL;
        json_object_set_new(o, "owner_id", b.v[i].owner_id ? json_integer(b.v[i].owner_id)
                                                           : json_null());
        json_object_set_new(o, "owner_name", name ? json_string(name) : json_null());
        set_i(o, "accounts", b.v[i].accounts);
        set_i(o, "paying_accounts", b.v[i].paying);
        set_i(o, "mrr", b.v[i].mrr);
        set_i(o, "arr", b.v[i].mrr * 12);
        json_array_append_new(books, o);
    }
    json_object_set_new(x, "book", books);
    set_i(x, "excluded_accounts", b.excluded);
    if (table >= 0)
        metrics_reply_table(r, &q, "activity", &tables[table], x, rows);
    else
        metrics_reply(r, &q, "activity", fx.reporting, x, rows, cols);
out:
    free(a.v);
    free(a.slots);
    for (size_t i = 0; i < u.n; i++)
        free(u.v[i].name);
    free(u.v);
    free(b.v);
    return 0;
}
