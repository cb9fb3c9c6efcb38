/*
 * Unit tests of the MRR engine (src/metrics/): months, minor units and conversion, and the
 * movement classification against hand-computed fixtures, with the reconciliation
 * mrr(m) = mrr(m-1) + new + expansion + reactivation - contraction - churn checked for every
 * month. No database: rows are fed as the store would stream them.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "metrics/metrics.h"

static struct fx fx_jpy(void)
{
    struct fx fx = { .reporting = "JPY", .reporting_exp = 0, .gross_margin = 0.8 };
    fx.rates[0] = (struct fx_rate){ .currency = "USD", .rate_nano = 150 * FX_SCALE };
    fx.rates[1] = (struct fx_rate){ .currency = "EUR", .rate_nano = 160500000000LL };
    fx.nrates = 2;
    return fx;
}

static int M(const char *s)
{
    int m;
    cr_assert_eq(month_parse(s, &m), 0, "%s", s);
    return m;
}

static void add(struct mrr_engine *e, int64_t acct, const char *date, int64_t mrr,
                const char *currency, const char *status)
{
    struct sub_event ev = { .account_id = acct, .month = month_of_date(date), .mrr = mrr };
    cr_assert_geq(ev.month, 0, "%s", date);
    memcpy(ev.currency, currency, 4);
    ev.status = strcmp(status, "trial") == 0    ? SUB_TRIAL
                : strcmp(status, "churned") == 0 ? SUB_CHURNED
                                                 : SUB_ACTIVE;
    mrr_engine_add(e, &ev);
}

static void assert_reconciles(const struct mrr_engine *e)
{
    int64_t prev = e->base.mrr, prev_c = e->base.customers;
    for (int i = 0; i < e->n; i++) {
        const struct mrr_month *t = &e->months[i];
        cr_assert_eq(t->mrr, prev + t->new_mrr + t->expansion + t->reactivation -
                                 t->contraction - t->churn,
                     "month %d does not reconcile", i);
        cr_assert_eq(t->customers,
                     prev_c + t->new_logos + t->reactivated_logos - t->churned_logos,
                     "month %d logos do not reconcile", i);
        prev = t->mrr;
        prev_c = t->customers;
    }
}

Test(metrics, months)
{
    char b[11];
    cr_assert_eq(M("2024-01"), 2024 * 12);
    cr_assert_eq(M("2024-12") - M("2024-01"), 11);
    int m;
    cr_assert_neq(month_parse("2024-13", &m), 0);
    cr_assert_neq(month_parse("2024-1", &m), 0);
    cr_assert_neq(month_parse("2024-00", &m), 0);
    cr_assert_neq(month_parse("24-01-0", &m), 0);
    cr_assert_neq(month_parse("2024-01x", &m), 0);
    cr_assert_neq(month_parse("1969-12", &m), 0);
    cr_assert_neq(month_parse("", &m), 0);
    cr_assert_eq(month_of_date("2024-03-17"), M("2024-03"));
    month_format(M("2024-03"), b);
    cr_assert_str_eq(b, "2024-03");
    month_last_day(M("2024-02"), b);
    cr_assert_str_eq(b, "2024-02-29");
    month_last_day(M("2023-02"), b);
    cr_assert_str_eq(b, "2023-02-28");
    month_last_day(M("2000-02"), b);
    cr_assert_str_eq(b, "2000-02-29");
    month_last_day(M("2024-12"), b);
    cr_assert_str_eq(b, "2024-12-31");
}

Test(metrics, currency_exponents_and_conversion)
{
    cr_assert_eq(currency_exponent("JPY"), 0);
    cr_assert_eq(currency_exponent("USD"), 2);
    cr_assert_eq(currency_exponent("EUR"), 2);
    cr_assert_eq(currency_exponent("KWD"), 3);
    cr_assert_eq(currency_exponent("XYZ"), -1);
    cr_assert_eq(currency_exponent("usd"), -1);
    struct fx fx = fx_jpy();
    int64_t v;
    /* $100.00 = 10000 cents at 150 JPY/USD = 15000 yen. */
    cr_assert_eq(fx_convert(&fx, "USD", 10000, &v), 0);
    cr_assert_eq(v, 15000);
    /* 1 cent = 1.5 yen: rounds half away from zero to 2; 3 cents = 4.5 -> 5. */
    cr_assert_eq(fx_convert(&fx, "USD", 1, &v), 0);
    cr_assert_eq(v, 2);
    cr_assert_eq(fx_convert(&fx, "USD", 3, &v), 0);
    cr_assert_eq(v, 5);
    /* EUR 99.99 at 160.5 = 16048.395 -> 16048. */
    cr_assert_eq(fx_convert(&fx, "EUR", 9999, &v), 0);
    cr_assert_eq(v, 16048);
    cr_assert_eq(fx_convert(&fx, "JPY", 123, &v), 0);
    cr_assert_eq(v, 123);
    cr_assert_neq(fx_convert(&fx, "GBP", 100, &v), 0);

    /* Into USD (2 decimals) from JPY (0): 1 yen = 0.0067 USD -> 15000 yen = 100.50 USD. */
    struct fx usd = { .reporting = "USD", .reporting_exp = 2 };
    usd.rates[0] = (struct fx_rate){ .currency = "JPY", .rate_nano = 6700000 };
    usd.rates[1] = (struct fx_rate){ .currency = "KWD", .rate_nano = 3250000000LL };
    usd.nrates = 2;
    cr_assert_eq(fx_convert(&usd, "JPY", 15000, &v), 0);
    cr_assert_eq(v, 10050);
    /* 1 yen = 0.67 cents -> 1 cent. */
    cr_assert_eq(fx_convert(&usd, "JPY", 1, &v), 0);
    cr_assert_eq(v, 1);
    /* KWD has 3 decimals: 1.005 KWD (1005 fils) at 3.25 = 3.26625 USD -> 327 cents. */
    cr_assert_eq(fx_convert(&usd, "KWD", 1005, &v), 0);
    cr_assert_eq(v, 327);
    cr_assert_eq(div_round(5, 2), 3);
    cr_assert_eq(div_round(-5, 2), -3);
    cr_assert_eq(div_round(7, 3), 2);
}

/*
 * The hand-computed fixture (reporting JPY; window 2024-01 .. 2024-06):
 *   1  new 1000 in Feb
 *   2  2000 since Dec; 3000 in Mar                     expansion 1000 in Mar
 *   3  5000 since Nov; 4000 in Apr                     contraction 1000 in Apr
 *   4  1000 since Oct; churned in Mar                  churn 1000 in Mar
 *   5  700 in 2023-06, churned 2023-09; 800 in May     reactivation 800 in May
 *   6  1000 since Dec; Feb: 1500 on the 3rd, 1000 on the 20th: no movement
 *   7  trial (5000 listed) in Jan; active 3000 in Mar  new 3000 in Mar, not Jan
 *   8  2000 since Dec; Apr: churned on the 5th, back at 2500 on the 25th: expansion 500
 *   9  USD 10.00 in Jan (rate 150)                     new 1500 in Jan
 *  10  GBP, no rate: left out, reported
 * Base (2023-12): 2000 + 5000 + 1000 + 1000 + 2000 = 11000 from 5 customers.
 *   Jan 12500 (7)... see the expectations below.
 */
static void fixture(struct mrr_engine *e, const struct fx *fx)
{
    mrr_engine_init(e, fx, M("2024-01"), M("2024-06"));
    add(e, 1, "2024-02-10", 1000, "JPY", "active");
    add(e, 2, "2023-12-01", 2000, "JPY", "active");
    add(e, 2, "2024-03-15", 3000, "JPY", "active");
    add(e, 3, "2023-11-01", 5000, "JPY", "active");
    add(e, 3, "2024-04-30", 4000, "JPY", "active");
    add(e, 4, "2023-10-01", 1000, "JPY", "active");
    add(e, 4, "2024-03-31", 1000, "JPY", "churned");
    add(e, 5, "2023-06-01", 700, "JPY", "active");
    add(e, 5, "2023-09-01", 0, "JPY", "churned");
    add(e, 5, "2024-05-02", 800, "JPY", "active");
    add(e, 6, "2023-12-01", 1000, "JPY", "active");
    add(e, 6, "2024-02-03", 1500, "JPY", "active");
    add(e, 6, "2024-02-20", 1000, "JPY", "active");
    add(e, 7, "2024-01-05", 5000, "JPY", "trial");
    add(e, 7, "2024-03-05", 3000, "JPY", "active");
    add(e, 8, "2023-12-01", 2000, "JPY", "active");
    add(e, 8, "2024-04-05", 2000, "JPY", "churned");
    add(e, 8, "2024-04-25", 2500, "JPY", "active");
    add(e, 9, "2024-01-20", 1000, "USD", "active");
    add(e, 10, "2024-01-01", 1000, "GBP", "active");
    add(e, 10, "2024-03-01", 2000, "GBP", "active");
    add(e, 11, "2024-08-01", 9999, "JPY", "active"); /* after the window: ignored */
    mrr_engine_finish(e);
}

Test(metrics, movements_hand_computed)
{
    struct fx fx = fx_jpy();
    struct mrr_engine e;
    fixture(&e, &fx);
    cr_assert_eq(e.base.mrr, 11000);
    cr_assert_eq(e.base.customers, 5);
    /*                 mrr    cust  new  exp  contr churn react */
    int64_t want[6][7] = {
        { 12500, 6, 1500, 0, 0, 0, 0 },        /* Jan: 9 new */
        { 13500, 7, 1000, 0, 0, 0, 0 },        /* Feb: 1 new; 6 nets out */
        { 16500, 7, 3000, 1000, 0, 1000, 0 },  /* Mar: 7 new after trial, 2 up, 4 churns */
        { 16000, 7, 0, 500, 1000, 0, 0 },      /* Apr: 3 down, 8 churned and back higher */
        { 16800, 8, 0, 0, 0, 0, 800 },         /* May: 5 reactivates */
        { 16800, 8, 0, 0, 0, 0, 0 },           /* Jun */
    };
    for (int i = 0; i < 6; i++) {
        const struct mrr_month *t = &e.months[i];
        int64_t got[7] = { t->mrr, t->customers, t->new_mrr, t->expansion, t->contraction,
                           t->churn, t->reactivation };
        for (int k = 0; k < 7; k++)
            cr_assert_eq(got[k], want[i][k], "month %d column %d: %lld != %lld", i, k,
                         (long long)got[k], (long long)want[i][k]);
    }
    cr_assert_eq(e.months[2].new_logos, 1);
    cr_assert_eq(e.months[2].churned_logos, 1);
    cr_assert_eq(e.months[4].reactivated_logos, 1);
    cr_assert_eq(e.nmissing, 1);
    cr_assert_str_eq(e.missing[0], "GBP");
    cr_assert_eq(e.skipped_accounts, 1);
    assert_reconciles(&e);

    /* Cohorts by first paid month: 9 in Jan, 1 in Feb, 7 in Mar (not Jan: it was a trial). */
    int n = e.n;
    cr_assert_eq(e.cohort_logos[0 * n + 0], 1);
    cr_assert_eq(e.cohort_mrr[0 * n + 0], 1500);
    cr_assert_eq(e.cohort_mrr[0 * n + 5], 1500);
    cr_assert_eq(e.cohort_logos[1 * n + 0], 1);
    cr_assert_eq(e.cohort_mrr[1 * n + 4], 1000);
    cr_assert_eq(e.cohort_logos[2 * n + 0], 1);
    cr_assert_eq(e.cohort_mrr[2 * n + 3], 3000);
    cr_assert_eq(e.cohort_logos[3 * n + 0], 0);

    /* Trailing 12 months for Jun: only account 5 paid at the end of 2023-06 (700). */
    cr_assert_eq(e.months[5].t12_start, 700);
    cr_assert_eq(e.months[5].t12_net, 800);
    cr_assert_eq(e.months[5].t12_gross, 700);
    cr_assert_eq(e.months[4].t12_start, 0);

    /* Monthly NRR and GRR for March: start 13500, +1000 expansion, -1000 churn. */
    double nrr, grr;
    const struct mrr_month *mar = &e.months[2];
    cr_assert(ratio(e.months[1].mrr + mar->expansion - mar->contraction - mar->churn,
                    e.months[1].mrr, &nrr));
    cr_assert(ratio(e.months[1].mrr - mar->contraction - mar->churn, e.months[1].mrr, &grr));
    cr_assert_float_eq(nrr, 1.0, 1e-12);
    cr_assert_float_eq(grr, 12500.0 / 13500.0, 1e-12);
    mrr_engine_cleanup(&e);
}

/* A change that brings an account in from a month before the window only sets the base. */
Test(metrics, window_after_the_changes)
{
    struct fx fx = fx_jpy();
    struct mrr_engine e;
    mrr_engine_init(&e, &fx, M("2025-01"), M("2025-03"));
    add(&e, 1, "2020-01-01", 100, "JPY", "active");
    add(&e, 2, "2020-01-01", 100, "JPY", "active");
    add(&e, 2, "2024-12-31", 0, "JPY", "churned");
    add(&e, 2, "2025-02-01", 300, "JPY", "active");
    mrr_engine_finish(&e);
    cr_assert_eq(e.base.mrr, 100);
    cr_assert_eq(e.months[0].mrr, 100);
    cr_assert_eq(e.months[1].reactivation, 300);
    cr_assert_eq(e.months[1].new_mrr, 0);
    assert_reconciles(&e);
    mrr_engine_cleanup(&e);
}

/*
 * Trailing-12-month NRR and GRR, by hand. Window 2024-01; the cohort is the accounts paying at
 * the end of 2023-01: A 1000 (expands to 1500), B 2000 (churns), C 3000 (contracts to 2000).
 * D starts in 2023-03: not in the cohort. NRR = (1500 + 0 + 2000) / 6000 = 0.58333;
 * GRR = (1000 + 0 + 2000) / 6000 = 0.5; logos 3, kept 2.
 */
Test(metrics, trailing_twelve_months)
{
    struct fx fx = fx_jpy();
    struct mrr_engine e;
    mrr_engine_init(&e, &fx, M("2024-01"), M("2024-01"));
    add(&e, 1, "2023-01-01", 1000, "JPY", "active");
    add(&e, 1, "2023-06-01", 1500, "JPY", "active");
    add(&e, 2, "2023-01-15", 2000, "JPY", "active");
    add(&e, 2, "2023-09-01", 2000, "JPY", "churned");
    add(&e, 3, "2022-05-01", 3000, "JPY", "active");
    add(&e, 3, "2023-12-01", 2000, "JPY", "active");
    add(&e, 4, "2023-03-01", 5000, "JPY", "active");
    mrr_engine_finish(&e);
    const struct mrr_month *t = &e.months[0];
    cr_assert_eq(t->t12_start, 6000);
    cr_assert_eq(t->t12_net, 3500);
    cr_assert_eq(t->t12_gross, 3000);
    cr_assert_eq(t->t12_logos_start, 3);
    cr_assert_eq(t->t12_logos_kept, 2);
    cr_assert_eq(t->mrr, 8500);
    mrr_engine_cleanup(&e);
}

/* ARPA and LTV by hand: 16800 / 8 = 2100; churn+contraction 2000 of a 13500 start:
 * LTV = 2100 x 0.8 x 13500 / 2000 = 11340. No churn: undefined. */
Test(metrics, arpa_and_ltv)
{
    int64_t a, l;
    cr_assert(arpa_of(16800, 8, &a));
    cr_assert_eq(a, 2100);
    cr_assert(arpa_of(10, 4, &a));
    cr_assert_eq(a, 3); /* 2.5 rounds half away */
    cr_assert_not(arpa_of(0, 0, &a));
    cr_assert(ltv_of(2100, 0.8, 2000, 13500, &l));
    cr_assert_eq(l, 11340);
    cr_assert_not(ltv_of(2100, 0.8, 0, 13500, &l));
    cr_assert_not(ltv_of(2100, 0.8, 100, 0, &l));
}

/*
 * The engine works per change, with difference arrays; this checks it against the
 * definition computed month by month, on random histories (several windows, same months
 * changed twice, trials, churn, reactivation), including every total and the cohorts.
 */
static uint64_t rs = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (unsigned)(rs % n);
}

#define RA 60   /* accounts */
#define RR 12   /* rows each at most */

struct ref_row { int month; int64_t mrr; enum sub_status status; };

/* Month-end value of account rows at month m (rows sorted by month; last row wins). */
static int64_t ref_value(const struct ref_row *r, int nr, int m)
{
    int64_t v = 0;
    for (int i = 0; i < nr && r[i].month <= m; i++)
        v = r[i].status == SUB_ACTIVE ? r[i].mrr : 0;
    return v;
}

Test(metrics, engine_matches_month_by_month_definition)
{
    struct fx fx = fx_jpy();
    int base = M("2022-01");
    for (int trial = 0; trial < 40; trial++) {
        static struct ref_row rows[RA][RR];
        int nrows[RA];
        for (int a = 0; a < RA; a++) {
            nrows[a] = (int)rnd(RR);
            int m = base + (int)rnd(30);
            for (int i = 0; i < nrows[a]; i++) {
                m += (int)rnd(4); /* 0: the same month again */
                unsigned k = rnd(10);
                rows[a][i].month = m;
                rows[a][i].status = k < 1 ? SUB_TRIAL : k < 3 ? SUB_CHURNED : SUB_ACTIVE;
                rows[a][i].mrr = 100 * (1 + (int64_t)rnd(20));
            }
        }
        int from = base + (int)rnd(40), to = from + (int)rnd(30);
        struct mrr_engine e;
        mrr_engine_init(&e, &fx, from, to);
        for (int a = 0; a < RA; a++)
            for (int i = 0; i < nrows[a]; i++) {
                struct sub_event ev = { .account_id = a + 1, .month = rows[a][i].month,
                                        .mrr = rows[a][i].mrr, .currency = "JPY",
                                        .status = rows[a][i].status };
                mrr_engine_add(&e, &ev);
            }
        mrr_engine_finish(&e);
        int n = to - from + 1;
        struct mrr_month want[MONTHS_MAX + 1];
        memset(want, 0, sizeof(want));
        static int64_t clogos[MONTHS_MAX * MONTHS_MAX], cmrr[MONTHS_MAX * MONTHS_MAX];
        memset(clogos, 0, sizeof(clogos));
        memset(cmrr, 0, sizeof(cmrr));
        int64_t base_mrr = 0;
        for (int a = 0; a < RA; a++) {
            int first = -1;
            for (int m = base - 1; m <= to && first < 0; m++)
                if (ref_value(rows[a], nrows[a], m) > 0)
                    first = m;
            base_mrr += ref_value(rows[a], nrows[a], from - 1);
            for (int i = 0; i < n; i++) {
                int m = from + i;
                int64_t now = ref_value(rows[a], nrows[a], m);
                int64_t prev = ref_value(rows[a], nrows[a], m - 1);
                int64_t start = ref_value(rows[a], nrows[a], m - 12);
                struct mrr_month *t = &want[i];
                t->mrr += now;
                t->customers += now > 0;
                if (prev == 0 && now > 0) {
                    if (first == m)
                        t->new_mrr += now;
                    else
                        t->reactivation += now;
                } else if (prev > 0 && now == 0) {
                    t->churn += prev;
                } else if (now > prev) {
                    t->expansion += now - prev;
                } else {
                    t->contraction += prev - now;
                }
                if (start > 0) {
                    t->t12_start += start;
                    t->t12_net += now;
                    t->t12_gross += now < start ? now : start;
                    t->t12_logos_kept += now > 0;
                }
                if (first >= from && first <= m) {
                    clogos[(first - from) * n + (m - first)] += now > 0;
                    cmrr[(first - from) * n + (m - first)] += now;
                }
            }
        }
        cr_assert_eq(e.base.mrr, base_mrr, "trial %d base", trial);
        for (int i = 0; i < n; i++) {
            const struct mrr_month *g = &e.months[i], *w = &want[i];
            cr_assert_eq(g->mrr, w->mrr, "trial %d month %d mrr", trial, i);
            cr_assert_eq(g->customers, w->customers, "trial %d month %d customers", trial, i);
            cr_assert_eq(g->new_mrr, w->new_mrr, "trial %d month %d new", trial, i);
            cr_assert_eq(g->expansion, w->expansion, "trial %d month %d expansion", trial, i);
            cr_assert_eq(g->contraction, w->contraction, "trial %d month %d contraction", trial, i);
            cr_assert_eq(g->churn, w->churn, "trial %d month %d churn", trial, i);
            cr_assert_eq(g->reactivation, w->reactivation, "trial %d month %d react", trial, i);
            cr_assert_eq(g->t12_start, w->t12_start, "trial %d month %d t12", trial, i);
            cr_assert_eq(g->t12_net, w->t12_net, "trial %d month %d t12 net", trial, i);
            cr_assert_eq(g->t12_gross, w->t12_gross, "trial %d month %d t12 gross", trial, i);
            cr_assert_eq(g->t12_logos_kept, w->t12_logos_kept, "trial %d month %d kept", trial, i);
            for (int k = 0; i + k < n; k++) {
                cr_assert_eq(e.cohort_logos[i * n + k], clogos[i * n + k], "trial %d cohort %d+%d", trial, i, k);
                cr_assert_eq(e.cohort_mrr[i * n + k], cmrr[i * n + k], "trial %d cohort mrr %d+%d", trial, i, k);
            }
        }
        assert_reconciles(&e);
        mrr_engine_cleanup(&e);
    }
}
