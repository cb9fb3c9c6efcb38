/*
 * The revenue metrics engine: pure C over plain structs, no SQL and no HTTP. It turns
 * subscription history (one row per change: account, effective date, MRR, currency, status)
 * into monthly series: MRR at each month end, its movements (new, expansion, contraction,
 * churn, reactivation), logos, trailing-12-month retention sums and a cohort matrix. The
 * store streams the rows in (ordered by account, effective date, id) and the engine keeps
 * only the current account's rows and arrays indexed by month, so its cost is one pass over
 * the history plus (accounts x months in the window).
 *
 * Also here: months as integers, ISO 4217 minor units and the fixed-rate conversion into the
 * reporting currency. The definitions are documented with worked examples in docs/metrics.md.
 */
#ifndef KZ_METRICS_H
#define KZ_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ months */

/* A month is year * 12 + (month - 1): consecutive months are consecutive integers. */
#define MONTHS_MAX 120 /* the widest window a request may ask for */

/* Parses "YYYY-MM" (year 1970..9999) into *out; returns 0, or -1 when malformed. */
int month_parse(const char *s, int *out);
/* The month of a "YYYY-MM-DD" date (only the first 7 characters are read); -1 if malformed. */
int month_of_date(const char *date);
/* Formats m as "YYYY-MM" into out. */
void month_format(int m, char out[static 8]);
/* The last day of month m as "YYYY-MM-DD" into out. */
void month_last_day(int m, char out[static 11]);

/* ------------------------------------------------------------ currencies */

/* Minor-unit exponent of an ISO 4217 currency (JPY 0, USD 2, KWD 3), or -1 when the code is
 * not an active ISO 4217 currency. */
int currency_exponent(const char *code);

#define FX_SCALE 1000000000LL /* rates are fixed-point with 9 decimals */
#define FX_RATES_MAX 64

/* Fixed conversion rates into the reporting currency. rate_nano is the value of one major
 * unit of `currency` in major units of the reporting currency, times FX_SCALE. */
struct fx_rate {
    char currency[4];
    int64_t rate_nano;
};
struct fx {
    char reporting[4];
    int reporting_exp;
    struct fx_rate rates[FX_RATES_MAX];
    size_t nrates;
    double gross_margin; /* 0..1, for LTV */
};

/*
 * Converts amount (minor units of currency) into minor units of the reporting currency:
 * amount x rate x 10^(e_reporting - e_currency), rounded once, half away from zero, in exact
 * integer arithmetic. The reporting currency converts at 1. Returns 0, or -1 when there is
 * no rate for the currency (or the result would not fit in 62 bits).
 */
int fx_convert(const struct fx *fx, const char *currency, int64_t amount, int64_t *out);

/* Rounds num / den (den > 0) to the nearest integer, half away from zero. */
int64_t div_round(int64_t num, int64_t den);

/* ------------------------------------------------------------ the MRR engine */

enum sub_status { SUB_TRIAL, SUB_ACTIVE, SUB_CHURNED };

/* Bounds that keep every sum in 64 bits (up to 9 million accounts): a row's MRR is read as at
 * most MRR_INPUT_CAP minor units, and an account's converted MRR counts as at most MRR_CAP
 * (a trillion minor units a month: far beyond any real subscription, so only bad input is
 * clamped). */
#define MRR_INPUT_CAP 1000000000000000LL
#define MRR_CAP 1000000000000LL

/* One subscription_history row as the store reads it. */
struct sub_event {
    int64_t account_id;
    int month;           /* month of effective_date */
    int64_t mrr;         /* minor units of currency */
    char currency[4];
    enum sub_status status;
};

/* Totals of one month of the window. Amounts are minor units of the reporting currency;
 * contraction and churn are positive amounts. */
struct mrr_month {
    int64_t mrr;              /* sum of month-end MRR */
    int64_t customers;        /* accounts with month-end MRR > 0 */
    int64_t new_mrr, expansion, contraction, churn, reactivation;
    int64_t new_logos, churned_logos, reactivated_logos;
    /* Trailing 12 months: the accounts paying at the end of month m - 12. */
    int64_t t12_start;        /* their MRR then */
    int64_t t12_net;          /* their MRR now */
    int64_t t12_gross;        /* their MRR now, each capped at its starting MRR */
    int64_t t12_logos_start, t12_logos_kept;
};

#define MRR_MISSING_MAX 16

enum { DIFF_MRR, DIFF_CUSTOMERS, DIFF_T12_START, DIFF_T12_NET, DIFF_T12_GROSS, DIFF_T12_LOGOS,
       DIFF_T12_KEPT, DIFF_FIELDS };

struct mrr_engine {
    const struct fx *fx;
    int from, to, n;          /* window [from, to], n months */
    struct mrr_month *months; /* n */
    struct mrr_month base;    /* month from - 1: only mrr and customers are set */
    /* Cohorts by first paid month within the window: cohort c (month from + c) at offset k
     * (month from + c + k) is cohort_logos[c * n + k], cohort_mrr[c * n + k]. */
    int64_t *cohort_logos, *cohort_mrr;
    int64_t accounts;         /* accounts seen */
    /* Rows whose currency has no rate: left out, and reported. */
    char missing[MRR_MISSING_MAX][4];
    size_t nmissing;
    int64_t skipped_accounts;
    int64_t skip_account;     /* the account being skipped, or -1 */
    /* the current account's rows, collapsed to one value per month */
    int64_t cur_account;
    int *seg_month;
    int64_t *seg_mrr;
    size_t nseg, capseg;
    /* difference arrays (n + 1 each) of the sums over months, and of each cohort row */
    int64_t *diff;
    int64_t *cohort_dlogos, *cohort_dmrr;
};

/* Prepares e for the window [from, to] (1 <= to - from + 1 <= MONTHS_MAX) converting with fx
 * (kept by pointer: it must outlive e). Free with mrr_engine_cleanup. */
void mrr_engine_init(struct mrr_engine *e, const struct fx *fx, int from, int to);
void mrr_engine_cleanup(struct mrr_engine *e);
/* Feeds one row. Rows must come ordered by account, then effective date, then the order they
 * were recorded; rows after the window's end are ignored. */
void mrr_engine_add(struct mrr_engine *e, const struct sub_event *ev);
/* Completes the last account and the totals. Call once after the last row, before reading
 * months, base or the cohorts. */
void mrr_engine_finish(struct mrr_engine *e);

/* ------------------------------------------------------------ derived KPIs */

/* num / den; false when den is 0 (the rate is undefined, and the reply says null). */
bool ratio(int64_t num, int64_t den, double *out);
/* Average revenue per account: mrr / customers, rounded half away; false when none. */
bool arpa_of(int64_t mrr, int64_t customers, int64_t *out);
/* LTV = ARPA x gross margin / revenue churn rate, where the rate is lost / start (lost:
 * churned + contraction MRR, start: MRR at the start of the period). Rounded half away to
 * minor units. False when the churn rate is zero or undefined (LTV is then undefined). */
bool ltv_of(int64_t arpa, double gross_margin, int64_t lost, int64_t start, int64_t *out);

#endif
