/*
 * Demo success plans and survey answers (demo_success.h). Each account gets a "mood" from
 * its own stream: how well the relationship goes (0..1). A customer that churns starts like
 * the others and sours over its last nine months; its goals stall. Answers are spread over
 * its active life within the last 24 months: NPS about every quarter from one to three
 * contacts, CSAT after support interactions (about every six weeks), CES about every two
 * months; scores follow the mood with noise. Goals (one to three, from templates that raise
 * or cut a metric) are measured about every two months from onboarding, progressing with the
 * mood; their status follows from the values and the due date.
 */
#include "demo/demo_success.h"

#include <math.h>
#include <string.h>

#include "journey/goals.h"
#include "store/success.h"
#include "util/util.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct rng {
    uint64_t s;
};

/* splitmix64, as in demo.c */
static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    return hi <= lo ? lo : lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* A time on day during Japanese office hours (09:00-18:00 JST = 00:00-09:00 UTC). */
static void office_time(struct rng *r, int64_t day, char out[static 21])
{
    time_format(day * 86400 + rng_range(r, 0, 35) * 900, out);
}

/* ------------------------------------------------------------ goals */

struct goal_template {
    const char *title_ja, *title_en, *metric_ja, *metric_en, *unit_ja, *unit_en;
    double base_lo, base_hi; /* baseline range */
    double factor;           /* target = baseline * factor (below 1: a metric to cut) */
    int decimals;            /* how values are rounded */
};

static const struct goal_template templates[] = {
    { "問い合わせ対応時間の短縮", "Cut support handling time", "平均対応時間",
      "average handling time", "分", "min", 12, 25, 0.5, 1 },
    { "週次アクティブユーザーの拡大", "Grow weekly active users", "週次アクティブユーザー数",
      "weekly active users", "人", "users", 10, 60, 2.5, 0 },
    { "レポート作成工数の削減", "Cut reporting effort", "月間レポート作成時間",
      "monthly reporting hours", "時間", "hours", 30, 90, 0.4, 0 },
    { "商談化率の向上", "Raise lead-to-opportunity rate", "商談化率", "lead-to-opportunity rate",
      "%", "%", 4, 9, 2.0, 1 },
    { "顧客解約率の改善", "Lower their customer churn", "月次解約率", "monthly churn rate", "%",
      "%", 2.5, 5, 0.5, 2 },
    { "オンボーディング期間の短縮", "Shorten their onboarding", "新規顧客の立ち上げ日数",
      "days to onboard a new customer", "日", "days", 30, 60, 0.5, 0 },
};

static double round_to(double v, int decimals)
{
    double m = decimals == 0 ? 1 : decimals == 1 ? 10 : 100;
    return round(v * m) / m;
}

static int write_goal(struct store *st, const struct demo_success_input *in, struct rng *r,
                      const struct goal_template *t, double mood)
{
    struct goal g;
    memset(&g, 0, sizeof(g));
    /* Measured at onboarding, or for a long-standing customer at the start of this plan. */
    int64_t start = in->first_day + rng_range(r, 14, 45);
    int64_t plan_start = in->today - rng_range(r, 90, 540);
    if (start < plan_start && !in->churned)
        start = plan_start;
    if (start > in->end_day)
        return KZ_OK;
    double baseline = round_to(t->base_lo + (t->base_hi - t->base_lo) * rng_unit(r), t->decimals);
    double target = round_to(baseline * t->factor, t->decimals);
    if (target == baseline)
        return KZ_OK;
    char due[11];
    int64_t due_day = start + 365;
    date_from_days(due_day, due);

    /* The measurements: every 45-75 days from the start; progress follows the mood, a
     * churning customer's stalls and slips back. */
    double values[32];
    int64_t days[32];
    size_t n = 0;
    double reach = in->churned ? 0.1 + 0.3 * rng_unit(r) : 0.35 + 0.9 * mood;
    int64_t last = in->end_day < in->today ? in->end_day : in->today - 1;
    int64_t span = last - start > 0 ? last - start : 1;
    for (int64_t day = start; day <= last && n < N_OF(values);
         day += rng_range(r, 45, 75)) {
        double x = (double)(day - start) / 365.0;
        double p = reach * (1 - exp(-3.5 * x));
        if (in->churned && (double)(day - start) / (double)span > 0.7)
            p -= 0.15;
        p += (rng_unit(r) - 0.5) * 0.12;
        values[n] = round_to(baseline + (target - baseline) * p, t->decimals);
        if (values[n] < 0)
            values[n] = 0;
        days[n++] = day;
    }
    double att = 0;
    goal_attainment(true, baseline, target, n > 0, n ? values[n - 1] : 0, &att);
    const char *status = "active";
    if (n && att >= 1)
        status = "achieved";
    else if (in->churned)
        status = "cancelled";
    else if (due_day < in->today)
        status = "missed";

    g.account_id = in->account_id;
    g.title = (char *)(in->english ? t->title_en : t->title_ja);
    g.metric = (char *)(in->english ? t->metric_en : t->metric_ja);
    g.unit = (char *)(in->english ? t->unit_en : t->unit_ja);
    g.has_baseline = true;
    g.baseline = baseline;
    g.target = target;
    g.due_date = due;
    g.status = (char *)status;
    int rc = store_goal_create(st, &g, 0);  /* g's strings are borrowed: no cleanup */
    for (size_t i = 0; i < n && rc == KZ_OK; i++) {
        struct goal_value v;
        memset(&v, 0, sizeof(v));
        v.goal_id = g.id;
        v.value = values[i];
        v.user_id = in->csm_id;
        office_time(r, days[i], v.measured_at);
        rc = store_goal_value_add(st, in->account_id, &v, NULL);
    }
    return rc;
}

/* ------------------------------------------------------------ surveys */

static const char *const comments_good_ja[] = {
    "サポートの対応が早くて助かっています", "現場に定着してきました", "レポート機能が便利です",
    "担当の方の提案がいつも的確です",
};
static const char *const comments_mid_ja[] = {
    "概ね満足ですが、画面がやや複雑です", "もう少し研修の機会がほしい", "動作が重い時があります",
};
static const char *const comments_bad_ja[] = {
    "期待した効果が出ていません", "問い合わせの回答が遅い", "社内で使われなくなってきました",
    "費用に見合う価値を感じられない",
};
static const char *const comments_good_en[] = {
    "Support is quick and helpful", "The team relies on it every day", "Great reporting",
};
static const char *const comments_mid_en[] = {
    "Mostly fine, the UI is a bit busy", "We would like more training", "Sometimes slow",
};
static const char *const comments_bad_en[] = {
    "We are not seeing the value we expected", "Slow answers from support",
    "Hardly anyone uses it any more",
};

/* The mood of the account on day: its base, souring over the last nine months of a
 * customer that churns. */
static double mood_on(const struct demo_success_input *in, double base, int64_t day)
{
    if (!in->churned)
        return base;
    double left = (double)(in->end_day - day) / 270.0;
    if (left >= 1)
        return base;
    return 0.1 + (base - 0.1) * (left > 0 ? left : 0);
}

static int answer(struct store *st, const struct demo_success_input *in, struct rng *r,
                  enum survey_type type, double mood, int64_t day)
{
    int lo, hi;
    survey_score_range(type, &lo, &hi);
    double x = mood + (rng_unit(r) - 0.5) * 0.35;
    int64_t score = lo + (int64_t)llround(x * (hi - lo));
    if (score < lo)
        score = lo;
    if (score > hi)
        score = hi;
    struct survey_response s;
    memset(&s, 0, sizeof(s));
    s.account_id = in->account_id;
    s.type = type;
    s.score = score;
    if (in->ncontacts && rng_range(r, 0, 9) < 8)
        s.contact_id = in->contacts[rng_range(r, 0, (int64_t)in->ncontacts - 1)];
    if (rng_range(r, 0, 9) < 4) {
        double q = (double)(score - lo) / (hi - lo);
        const char *const *pool;
        size_t np;
        if (q >= 0.75)
            pool = in->english ? comments_good_en : comments_good_ja,
            np = in->english ? N_OF(comments_good_en) : N_OF(comments_good_ja);
        else if (q >= 0.5)
            pool = in->english ? comments_mid_en : comments_mid_ja,
            np = in->english ? N_OF(comments_mid_en) : N_OF(comments_mid_ja);
        else
            pool = in->english ? comments_bad_en : comments_bad_ja,
            np = in->english ? N_OF(comments_bad_en) : N_OF(comments_bad_ja);
        s.comment = (char *)pool[rng_range(r, 0, (int64_t)np - 1)];
    }
    office_time(r, day, s.answered_at);
    return store_survey_response_create(st, &s); /* s.comment is borrowed: no cleanup */
}

int demo_success_account(struct store *st, const struct demo_success_input *in)
{
    struct rng r = { in->seed };
    double base = 0.6 + 0.37 * rng_unit(&r);
    int rc = KZ_OK;
    int64_t from = in->first_day > in->today - 730 ? in->first_day : in->today - 730;
    int64_t last = in->end_day < in->today ? in->end_day : in->today - 1; /* none dated ahead */

    static const struct {
        enum survey_type type;
        int64_t every_lo, every_hi;
    } cadence[] = {
        { SURVEY_NPS, 80, 100 },
        { SURVEY_CSAT, 30, 60 },
        { SURVEY_CES, 45, 80 },
    };
    for (size_t c = 0; c < N_OF(cadence) && rc == KZ_OK; c++) {
        for (int64_t day = from + rng_range(&r, 20, cadence[c].every_hi);
             day <= last && rc == KZ_OK;
             day += rng_range(&r, cadence[c].every_lo, cadence[c].every_hi)) {
            int64_t who = cadence[c].type == SURVEY_NPS ? rng_range(&r, 1, 3) : 1;
            for (int64_t k = 0; k < who && rc == KZ_OK; k++)
                rc = answer(st, in, &r, cadence[c].type, mood_on(in, base, day), day);
        }
    }

    size_t pick[N_OF(templates)];
    for (size_t i = 0; i < N_OF(templates); i++)
        pick[i] = i;
    int64_t ngoals = rng_range(&r, 1, 3);
    for (int64_t i = 0; i < ngoals && rc == KZ_OK; i++) {
        size_t j = (size_t)rng_range(&r, i, (int64_t)N_OF(templates) - 1);
        size_t t = pick[i];
        pick[i] = pick[j];
        pick[j] = t;
        rc = write_goal(st, in, &r, &templates[pick[i]], base);
    }
    return rc;
}
