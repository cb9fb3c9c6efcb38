/*
 * The MRR engine (see metrics.h): months as integers, currency minor units and fixed-rate
 * conversion, and the per-account pass that turns subscription history into month-end MRR
 * and classifies each month's change against the previous month end.
 *
 * The month-end rule: an account's MRR for month m is the MRR of its last history row with
 * an effective date in or before m (trial and churned rows count as 0). Changes inside a
 * month are therefore netted: an upgrade then a downgrade in the same month is no movement
 * at all, a churn followed by a return in the same month is at most an expansion or a
 * contraction. Movements compare month m's end with month m - 1's end:
 *   0 -> x > 0   new when the account never had MRR at an earlier month end, else reactivation
 *   x -> 0       churn (x)
 *   x -> y > x   expansion (y - x);  x -> y < x (y > 0): contraction (x - y)
 * so that mrr(m) = mrr(m-1) + new + expansion + reactivation - contraction - churn.
 */
#include "metrics/metrics.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ------------------------------------------------------------ months */

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int month_parse(const char *s, int *out)
{
    int y, m;
    if (!s || strlen(s) != 7 || s[4] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
        y < 1970 || m < 1 || m > 12)
        return -1;
    *out = y * 12 + m - 1;
    return 0;
}

int month_of_date(const char *date)
{
    int y, m;
    if (!date || strlen(date) < 7 || date[4] != '-' || digits(date, 4, &y) ||
        digits(date + 5, 2, &m) || m < 1 || m > 12)
        return -1;
    return y * 12 + m - 1;
}

/* Writes v as exactly n decimal digits (v >= 0). */
static void put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void month_format(int m, char out[static 8])
{
    unsigned u = m < 0 ? 0 : (unsigned)m;
    put_digits(out, (u / 12) % 10000, 4);
    out[4] = '-';
    put_digits(out + 5, u % 12 + 1, 2);
    out[7] = '\0';
}

void month_last_day(int m, char out[static 11])
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y = m / 12, mo = m % 12, d = days[mo];
    if (mo == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        d = 29;
    month_format(m, out);
    out[7] = '-';
    put_digits(out + 8, (unsigned)d, 2);
    out[10] = '\0';
}

/* ------------------------------------------------------------ currencies */

/* Active ISO 4217 codes: those with 0 and 3 decimals, then every other one (2 decimals). */
static const char cur0[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF ";
static const char cur3[] = "BHD IQD JOD KWD LYD OMR TND ";
static const char cur2[] =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
    "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG ";

static bool in_codes(const char *list, const char *code)
{
    for (const char *p = list; *p; p += 4)
        if (memcmp(p, code, 3) == 0)
            return true;
    return false;
}

int currency_exponent(const char *code)
{
    if (!code || strlen(code) != 3)
        return -1;
    if (in_codes(cur0, code))
        return 0;
    if (in_codes(cur3, code))
        return 3;
    if (in_codes(cur2, code))
        return 2;
    return -1;
}

static __int128 pow10_i128(int e)
{
    __int128 v = 1;
    while (e-- > 0)
        v *= 10;
    return v;
}

static int64_t div_round_i128(__int128 num, __int128 den)
{
    bool neg = num < 0;
    __int128 a = neg ? -num : num;
    __int128 q = (a + den / 2) / den; /* half away from zero */
    if (q > (__int128)INT64_MAX / 2)
        return INT64_MIN;
    return (int64_t)(neg ? -q : q);
}

int64_t div_round(int64_t num, int64_t den)
{
    return div_round_i128(num, den);
}

int fx_convert(const struct fx *fx, const char *currency, int64_t amount, int64_t *out)
{
    if (strcmp(currency, fx->reporting) == 0) {
        *out = amount;
        return 0;
    }
    for (size_t i = 0; i < fx->nrates; i++) {
        if (strcmp(fx->rates[i].currency, currency) != 0)
            continue;
        int e = currency_exponent(currency);
        if (e < 0)
            return -1;
        int d = fx->reporting_exp - e;
        __int128 num = (__int128)amount * fx->rates[i].rate_nano;
        __int128 den = FX_SCALE;
        if (d > 0)
            num *= pow10_i128(d);
        else
            den *= pow10_i128(-d);
        int64_t v = div_round_i128(num, den);
        if (v == INT64_MIN)
            return -1;
        *out = v;
        return 0;
    }
    return -1;
}

bool ratio(int64_t num, int64_t den, double *out)
{
    if (den == 0)
        return false;
    *out = (double)num / (double)den;
    return true;
}

bool arpa_of(int64_t mrr, int64_t customers, int64_t *out)
{
    if (customers <= 0)
        return false;
    *out = div_round(mrr, customers);
    return true;
}

bool ltv_of(int64_t arpa, double gross_margin, int64_t lost, int64_t start, int64_t *out)
{
    if (lost <= 0 || start <= 0)
        return false;
    /* arpa x margin / (lost / start) = arpa x margin x start / lost */
    double v = (double)arpa * gross_margin * (double)start / (double)lost;
    if (!(v < 4e18))
        return false;
    *out = llround(v);
    return true;
}

/* ------------------------------------------------------------ the engine */

void mrr_engine_init(struct mrr_engine *e, const struct fx *fx, int from, int to)
{
    memset(e, 0, sizeof(*e));
    e->fx = fx;
    e->from = from;
    e->to = to;
    e->n = to - from + 1;
    if (e->n < 1 || e->n > MONTHS_MAX) {
        fprintf(stderr, "mrr_engine_init: bad window %d..%d\n", from, to);
        abort();
    }
    size_t n = (size_t)e->n;
    e->months = xcalloc(n, sizeof(*e->months));
    e->cohort_logos = xcalloc(n * n, sizeof(int64_t));
    e->cohort_mrr = xcalloc(n * n, sizeof(int64_t));
    e->diff = xcalloc(DIFF_FIELDS * (n + 1), sizeof(int64_t));
    e->cohort_dlogos = xcalloc(n * (n + 1), sizeof(int64_t));
    e->cohort_dmrr = xcalloc(n * (n + 1), sizeof(int64_t));
    e->cur_account = -1;
    e->skip_account = -1;
}

void mrr_engine_cleanup(struct mrr_engine *e)
{
    free(e->months);
    free(e->cohort_logos);
    free(e->cohort_mrr);
    free(e->diff);
    free(e->cohort_dlogos);
    free(e->cohort_dmrr);
    free(e->seg_month);
    free(e->seg_mrr);
    memset(e, 0, sizeof(*e));
}

static void note_missing(struct mrr_engine *e, const char *currency)
{
    for (size_t i = 0; i < e->nmissing; i++)
        if (strcmp(e->missing[i], currency) == 0)
            return;
    if (e->nmissing < MRR_MISSING_MAX)
        memcpy(e->missing[e->nmissing++], currency, 4);
}

/* Adds v to the months [a, b] of a difference array of the window (a, b absolute). */
static void diff_add(int64_t *d, const struct mrr_engine *e, int a, int b, int64_t v)
{
    d[a - e->from] += v;
    d[b - e->from + 1] -= v;
}

/*
 * Adds the current account to the totals, then forgets it. An account's month-end MRR is
 * constant between its changes, so the work is per change, not per month: movements happen
 * only at the months of its segments; the sums over months (MRR, customers, the trailing-12
 * pairs, the cohort row) are added over intervals to difference arrays that
 * mrr_engine_finish turns into totals. The intervals are those where both v(m) and
 * v(m - 12) are constant: they change at each segment's month and 12 months after it.
 */
static void flush_account(struct mrr_engine *e)
{
    size_t ns = e->nseg;
    e->nseg = 0;
    if (ns == 0)
        return;
    e->accounts++;
    const int *sm = e->seg_month;
    const int64_t *sv = e->seg_mrr;
    int first_paid = INT_MAX;
    for (size_t j = 0; j < ns; j++)
        if (sv[j] > 0) {
            first_paid = sm[j];
            break;
        }
    /* movements, at the months where the value changes */
    for (size_t j = 0; j < ns; j++) {
        int m = sm[j];
        if (m < e->from || m > e->to)
            continue;
        int64_t prev = j ? sv[j - 1] : 0, now = sv[j];
        struct mrr_month *t = &e->months[m - e->from];
        if (prev == 0 && now > 0) {
            if (first_paid == m) {
                t->new_mrr += now;
                t->new_logos++;
            } else {
                t->reactivation += now;
                t->reactivated_logos++;
            }
        } else if (prev > 0 && now == 0) {
            t->churn += prev;
            t->churned_logos++;
        } else if (now > prev) {
            t->expansion += now - prev;
        } else {
            t->contraction += prev - now;
        }
    }
    /* intervals of the window where (v(m), v(m - 12)) is constant */
    size_t ja = 0, jb = 0;
    int m = e->from;
    while (ja < ns && sm[ja] <= m - 1)
        ja++;
    int64_t base = ja ? sv[ja - 1] : 0;
    e->base.mrr += base;
    e->base.customers += base > 0;
    int n = e->n;
    int64_t *d = e->diff;
    while (m <= e->to) {
        while (ja < ns && sm[ja] <= m)
            ja++;
        while (jb < ns && sm[jb] + 12 <= m)
            jb++;
        int64_t now = ja ? sv[ja - 1] : 0, start = jb ? sv[jb - 1] : 0;
        int next = e->to + 1;
        if (ja < ns && sm[ja] < next)
            next = sm[ja];
        if (jb < ns && sm[jb] + 12 < next)
            next = sm[jb] + 12;
        int last = next - 1;
        if (now > 0) {
            diff_add(d + DIFF_MRR * (n + 1), e, m, last, now);
            diff_add(d + DIFF_CUSTOMERS * (n + 1), e, m, last, 1);
            if (first_paid >= e->from && m >= first_paid) {
                int c = first_paid - e->from;
                int64_t *row_logos = e->cohort_dlogos + (size_t)c * (size_t)(n + 1);
                int64_t *row_mrr = e->cohort_dmrr + (size_t)c * (size_t)(n + 1);
                row_logos[m - first_paid] += 1;
                row_logos[last - first_paid + 1] -= 1;
                row_mrr[m - first_paid] += now;
                row_mrr[last - first_paid + 1] -= now;
            }
        }
        if (start > 0) {
            diff_add(d + DIFF_T12_START * (n + 1), e, m, last, start);
            diff_add(d + DIFF_T12_NET * (n + 1), e, m, last, now);
            diff_add(d + DIFF_T12_GROSS * (n + 1), e, m, last, now < start ? now : start);
            diff_add(d + DIFF_T12_LOGOS * (n + 1), e, m, last, 1);
            diff_add(d + DIFF_T12_KEPT * (n + 1), e, m, last, now > 0);
        }
        m = next;
    }
}

void mrr_engine_add(struct mrr_engine *e, const struct sub_event *ev)
{
    if (ev->account_id == e->skip_account)
        return;
    if (ev->account_id != e->cur_account) {
        flush_account(e);
        e->cur_account = ev->account_id;
    }
    if (ev->month > e->to)
        return;
    int64_t value = 0;
    int64_t amount = ev->mrr < MRR_INPUT_CAP ? ev->mrr : MRR_INPUT_CAP;
    if (ev->status == SUB_ACTIVE && amount > 0 &&
        fx_convert(e->fx, ev->currency, amount, &value)) {
        /* No rate for this currency: the whole account is left out (its other rows would
         * tell a wrong story on their own). */
        note_missing(e, ev->currency);
        e->skipped_accounts++;
        e->nseg = 0;
        e->skip_account = ev->account_id;
        e->cur_account = -1;
        return;
    }
    if (value > MRR_CAP)
        value = MRR_CAP;
    if (e->nseg && e->seg_month[e->nseg - 1] == ev->month) {
        e->seg_mrr[e->nseg - 1] = value; /* the month's last row wins */
        return;
    }
    if (e->nseg == e->capseg) {
        e->capseg = e->capseg ? e->capseg * 2 : 16;
        e->seg_month = xrealloc(e->seg_month, e->capseg * sizeof(int));
        e->seg_mrr = xrealloc(e->seg_mrr, e->capseg * sizeof(int64_t));
    }
    e->seg_month[e->nseg] = ev->month;
    e->seg_mrr[e->nseg++] = value;
}

/* Turns the difference arrays into the monthly totals and the cohort matrix. */
void mrr_engine_finish(struct mrr_engine *e)
{
    flush_account(e);
    e->cur_account = -1;
    int n = e->n;
    int64_t run[DIFF_FIELDS] = { 0 };
    for (int i = 0; i < n; i++) {
        for (int f = 0; f < DIFF_FIELDS; f++)
            run[f] += e->diff[f * (n + 1) + i];
        struct mrr_month *t = &e->months[i];
        t->mrr = run[DIFF_MRR];
        t->customers = run[DIFF_CUSTOMERS];
        t->t12_start = run[DIFF_T12_START];
        t->t12_net = run[DIFF_T12_NET];
        t->t12_gross = run[DIFF_T12_GROSS];
        t->t12_logos_start = run[DIFF_T12_LOGOS];
        t->t12_logos_kept = run[DIFF_T12_KEPT];
    }
    for (int c = 0; c < n; c++) {
        int64_t lg = 0, mr = 0;
        for (int k = 0; c + k < n; k++) {
            lg += e->cohort_dlogos[c * (n + 1) + k];
            mr += e->cohort_dmrr[c * (n + 1) + k];
            e->cohort_logos[c * n + k] = lg;
            e->cohort_mrr[c * n + k] = mr;
        }
    }
}
