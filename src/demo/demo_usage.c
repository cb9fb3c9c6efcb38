/*
 * Demo product usage (demo_usage.h). It reads back what demo.c wrote (accounts, subscription
 * history, contacts, milestones) and lives each account's product usage day by day over the
 * DEMO_USAGE_DAYS days ending yesterday (the demo is made at the start of `today`, so nothing
 * is dated later than the clock).
 *
 * The model. An account has a pool of product users (30-90% of its seats; its admin and user
 * contacts first, by their external user id, then its champion, matched by email, then
 * generated people), ranked from the most engaged. Each day a level L in [0, 1] says how much
 * of the pool is in use: L ramps up from the start of the subscription (onboarding) or a
 * reactivation, fades to nothing 10-25 days before a churn, is zero while churned, and for a
 * live account grows, holds or (one in seven) declines over the last weeks, two in five of
 * those going quiet within two weeks (the demo's accounts at risk). The users of rank
 * below pool x L (x the seats then / the seats now) may be active that day, each with its own
 * propensity, far less at weekends. An active user signs in, views pages and uses some of the
 * account's key features (onboarding accounts a few, mature accounts all five).
 *
 * The journey. The phase engine evaluates criteria on these rollups, so the usage respects the
 * milestones the demo left open on a live account: an open "active users" criterion caps the
 * pool below its target (an onboarding account has not yet reached 30% of its seats, an
 * adoption account 50%), an open event-count criterion caps that event below its count in
 * every window of its length ("Signed In" before habitual use), and a one-time event
 * ("Setup Completed") is emitted by the account's first user on the day its milestone was
 * completed, with nobody else active before it. A journey evaluation after the demo therefore
 * completes nothing and moves no account.
 */
#include "demo/demo_usage.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/key_events.h"
#include "journey/engine.h"
#include "journey/phase.h"
#include "store/demo_usage.h"
#include "store/journey.h"
#include "util/util.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_POOL 1200      /* product users of one account */
#define MAX_ONEOFF 4       /* one-time criterion events */
#define MAX_CAPS 8         /* capped criterion events */
#define MAX_SEGMENTS 16    /* live periods of one account */
#define NO_DAY INT64_MAX

/* ------------------------------------------------------------ PRNG (splitmix64, as demo.c) */

struct rng {
    uint64_t s;
};

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

/* ------------------------------------------------------------ the product */

struct feature {
    const char *name, *label_ja, *label_en;
    double rate;     /* chance an active user uses it on a day */
    int max;         /* times a day at most */
    const char *props;
};

/* The key features, from the most to the least commonly used. */
static const struct feature features[] = {
    { "Dashboard Viewed", "ダッシュボード閲覧", "Dashboard viewed", 0.65, 3,
      "{\"dashboard\":\"overview\"}" },
    { "Report Created", "レポート作成", "Report created", 0.30, 2, "{\"template\":\"weekly\"}" },
    { "Task Assigned", "タスク割り当て", "Task assigned", 0.28, 4, "{\"priority\":\"normal\"}" },
    { "Data Exported", "データエクスポート", "Data exported", 0.10, 2, "{\"format\":\"csv\"}" },
    { "Workflow Automated", "ワークフロー自動化", "Workflow automated", 0.06, 1,
      "{\"trigger\":\"schedule\"}" },
};

/* Event ids: the page views and the regular events, then the key features, then the
 * one-time events the lifecycle's criteria name. */
enum { EV_PAGE, EV_SIGNIN, EV_SEARCH, EV_FEATURE0 };
#define EV_ONEOFF0 (EV_FEATURE0 + (int)N_OF(features))
#define EV_COUNT (EV_ONEOFF0 + MAX_ONEOFF)

static const char *const regular_names[] = { "$page", "Signed In", "Search Performed" };

struct page {
    const char *name, *path, *title;
};
static const struct page pages[] = {
    { "Dashboard", "/dashboard", "ダッシュボード" }, { "Reports", "/reports", "レポート" },
    { "Tasks", "/tasks", "タスク" },                 { "Customers", "/customers", "顧客一覧" },
    { "Settings", "/settings", "設定" },
};

static const char *const ja_family[] = { "佐々木", "高田", "岡田", "長谷川", "村上", "近藤",
                                         "石井", "坂本", "遠藤", "青木", "藤井", "西村",
                                         "福田", "太田", "三浦", "岡本", "松田", "中川" };
static const char *const ja_family_r[] = { "sasaki", "takada", "okada", "hasegawa", "murakami",
                                           "kondo", "ishii", "sakamoto", "endo", "aoki",
                                           "fujii", "nishimura", "fukuda", "ota", "miura",
                                           "okamoto", "matsuda", "nakagawa" };
static const char *const ja_given[] = { "陽菜", "蓮", "結衣", "悠真", "美咲", "大翔", "さくら",
                                        "颯太", "葵", "拓海", "七海", "健太", "莉子", "翼" };
static const char *const ja_given_r[] = { "hina", "ren", "yui", "yuma", "misaki", "hiroto",
                                          "sakura", "sota", "aoi", "takumi", "nanami", "kenta",
                                          "riko", "tsubasa" };
static const char *const en_family[] = { "Anderson", "Thomas", "Moore", "Martin", "Jackson",
                                         "White", "Harris", "Thompson", "Garcia", "Martinez",
                                         "Robinson", "King", "Wright", "Scott" };
static const char *const en_given[] = { "Liam", "Ava", "Noah", "Mia", "Lucas", "Isabella",
                                        "Mason", "Harper", "Logan", "Ella", "Aiden", "Lily" };

/* ------------------------------------------------------------ the accounts */

struct acct {
    int64_t id;
    char *external_id, *domain, *phase;
    bool english;
};

struct acct_list {
    struct acct *v;
    size_t n;
};

static int collect(const struct account *a, void *ctx)
{
    struct acct_list *l = ctx;
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = (struct acct){
        .id = a->id,
        .external_id = a->external_id ? xstrdup(a->external_id) : NULL,
        .domain = xstrdup(a->domain ? a->domain : "example.com"),
        .phase = xstrdup(a->phase ? a->phase : ""),
        .english = !a->name || !strstr(a->name, "株式会社"),
    };
    return 0;
}

static int by_id(const void *x, const void *y)
{
    const struct acct *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* ------------------------------------------------------------ one account's plan */

struct segment {
    int64_t start, end;   /* live on [start, end); end NO_DAY = still live */
    bool first;           /* the first subscription, not a reactivation */
};

struct cap {
    int ev;               /* event id */
    int64_t max;          /* at most this many ... */
    int64_t within;       /* ... in any window of these days (0: in all) */
    int64_t *per_day;     /* per day of the window of generation */
    int64_t sum;          /* in the current window */
};

struct puser {
    char *user_id;
    char *traits;
    double propensity;    /* chance of a weekday of activity, at full level */
    double depth;         /* how much of the features it uses */
    int64_t first_day;    /* first active day, NO_DAY = none */
    int64_t first_seen, last_seen; /* unix times */
};

struct plan {
    struct rng r;
    const struct acct *a;
    int64_t w0, w1;               /* the generated days */
    struct subscription *hist;
    size_t nhist;
    int64_t seats_now;            /* of the current subscription (0 when churned) */
    int64_t seats_ref;            /* ... or of the last one it had as a customer */
    struct segment seg[MAX_SEGMENTS];
    size_t nseg;
    int64_t onboard_ramp, react_ramp, fade, silent;
    int trend;                    /* 0 growing, 1 steady, 2 declining */
    int64_t decline_from;
    double decline_floor;
    int nfeatures;                /* key features in use, from the most common */
    struct puser *users;
    size_t nusers;
    int64_t user_cap;             /* INT64_MAX = none */
    struct cap caps[MAX_CAPS];
    size_t ncaps;
    const char *oneoff_name[MAX_ONEOFF];
    int64_t oneoff_count[MAX_ONEOFF], oneoff_day[MAX_ONEOFF];
    size_t noneoff;
    int64_t gate;                 /* before this day at most one user is active */
    bool raw;                     /* raw events for the last days */
};

static int64_t seats_on(const struct plan *p, int64_t day)
{
    int64_t seats = 0;
    for (size_t i = 0; i < p->nhist; i++) {
        if (date_to_days(p->hist[i].effective_date) > day)
            break;
        if (p->hist[i].seats > 0)
            seats = p->hist[i].seats;
    }
    return seats;
}

static const struct segment *segment_on(const struct plan *p, int64_t day)
{
    for (size_t i = 0; i < p->nseg; i++)
        if (day >= p->seg[i].start && day < p->seg[i].end)
            return &p->seg[i];
    return NULL;
}

/* The live periods from the subscription history: churned entries end them. */
static void plan_segments(struct plan *p)
{
    bool live = false;
    for (size_t i = 0; i < p->nhist && p->nseg < MAX_SEGMENTS; i++) {
        int64_t day = date_to_days(p->hist[i].effective_date);
        bool now = strcmp(p->hist[i].status, "churned") != 0;
        if (now && !live) {
            p->seg[p->nseg] = (struct segment){ day, NO_DAY, p->nseg == 0 };
            p->nseg++;
        }
        else if (!now && live)
            p->seg[p->nseg - 1].end = day;
        live = now;
    }
}

/* The usage level on day (0 when not a customer). */
static double level_on(struct plan *p, int64_t day)
{
    const struct segment *s = segment_on(p, day);
    if (!s)
        return 0;
    double ramp = s->first ? 0.1 + 0.9 * (double)(day - s->start) / (double)p->onboard_ramp
                           : 0.35 + 0.65 * (double)(day - s->start) / (double)p->react_ramp;
    double l = ramp > 1 ? 1 : ramp;
    if (s->end != NO_DAY) { /* heading to churn: fading, then silent */
        double left = (double)(s->end - p->silent - day) / (double)(p->fade - p->silent);
        l *= left <= 0 ? 0 : left > 1 ? 1 : left;
    } else if (p->trend == 0) {
        l *= 0.75 + 0.25 * (double)(day - p->w0) / (double)(p->w1 - p->w0);
    } else if (p->trend == 2 && day >= p->decline_from) {
        /* A slow decline to its floor by today; going quiet takes two weeks. */
        double span = p->decline_floor == 0 ? 14 : (double)(p->w1 + 1 - p->decline_from);
        double x = (double)(day - p->decline_from) / span;
        l *= 1 - (1 - p->decline_floor) * (x > 1 ? 1 : x);
    } else if (p->trend == 1) {
        l *= 0.9;
    }
    l *= 0.93 + 0.14 * rng_unit(&p->r); /* day to day noise */
    return l > 1 ? 1 : l;
}

static bool is_regular(const char *name)
{
    for (size_t i = 0; i < N_OF(regular_names); i++)
        if (strcmp(regular_names[i], name) == 0)
            return true;
    for (size_t i = 0; i < N_OF(features); i++)
        if (strcmp(features[i].name, name) == 0)
            return true;
    return false;
}

static int event_id(const struct plan *p, const char *name)
{
    for (size_t i = 0; i < N_OF(regular_names); i++)
        if (strcmp(regular_names[i], name) == 0)
            return (int)i;
    for (size_t i = 0; i < N_OF(features); i++)
        if (strcmp(features[i].name, name) == 0)
            return EV_FEATURE0 + (int)i;
    for (size_t i = 0; i < p->noneoff; i++)
        if (strcmp(p->oneoff_name[i], name) == 0)
            return EV_ONEOFF0 + (int)i;
    return -1;
}

static const char *event_name(const struct plan *p, int ev)
{
    if (ev < EV_FEATURE0)
        return regular_names[ev];
    if (ev < EV_ONEOFF0)
        return features[ev - EV_FEATURE0].name;
    return p->oneoff_name[ev - EV_ONEOFF0];
}

/* The milestone states of the account against the lifecycle's criteria: caps for the open
 * ones (on a live account), one-time events for the completed ones. The event names kept in
 * p point into lc, which outlives the plan. */
static int plan_criteria(struct store *st, struct plan *p, const struct lifecycle *lc)
{
    struct journey_record jr;
    memset(&jr, 0, sizeof(jr));
    int rc = store_journey_get(st, p->a->id, &jr);
    if (rc)
        return rc;
    int ph = lifecycle_phase_index(lc, p->a->phase);
    bool live = ph >= 0 && !lc->phases[ph].terminal;
    p->user_cap = INT64_MAX;
    p->gate = p->w0;
    for (size_t i = 0; i < lc->nphases; i++) {
        for (size_t j = 0; j < lc->phases[i].nms; j++) {
            const struct lc_milestone *m = &lc->phases[i].ms[j];
            const struct milestone_row *row = NULL;
            for (size_t k = 0; k < jr.nms; k++)
                if (strcmp(jr.ms[k].milestone, m->key) == 0)
                    row = &jr.ms[k];
            bool complete = row && strcmp(row->state, "complete") == 0 && row->completed_at;
            if (m->crit.type == LC_CRIT_ACTIVE_USERS && !row && live) {
                int64_t target = m->crit.count ? m->crit.count
                                               : journey_seat_target(m->crit.seat_share,
                                                                     p->seats_now);
                if (target > 0 && target - 1 < p->user_cap)
                    p->user_cap = target - 1;
            }
            if (m->crit.type != LC_CRIT_EVENT_COUNT)
                continue;
            bool oneoff = !is_regular(m->crit.event) && !m->crit.within_days;
            if (oneoff && complete && p->noneoff < MAX_ONEOFF) {
                int64_t day = date_to_days(row->completed_at);
                if (event_id(p, m->crit.event) < 0) {
                    p->oneoff_name[p->noneoff] = m->crit.event;
                    p->oneoff_count[p->noneoff] = m->crit.count;
                    p->oneoff_day[p->noneoff++] = day;
                }
                if (day > p->gate)
                    p->gate = day;
            }
            if (!row && live && p->ncaps < MAX_CAPS) {
                if (oneoff)
                    p->gate = NO_DAY; /* not set up yet: only its first user looks around */
                if (event_id(p, m->crit.event) < 0) {
                    if (p->noneoff == MAX_ONEOFF)
                        continue; /* an event this demo never emits */
                    p->oneoff_name[p->noneoff] = m->crit.event; /* emitted never */
                    p->oneoff_count[p->noneoff] = 0;
                    p->oneoff_day[p->noneoff++] = NO_DAY;
                }
                p->caps[p->ncaps++] = (struct cap){ .ev = event_id(p, m->crit.event),
                                                    .max = m->crit.count - 1,
                                                    .within = m->crit.within_days };
            }
        }
    }
    journey_record_cleanup(&jr);
    return KZ_OK;
}

static char *traits_json(const char *name, const char *email)
{
    json_t *o = json_object();
    if (name)
        json_object_set_new(o, "name", json_string(name));
    if (email)
        json_object_set_new(o, "email", json_string(email));
    char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    char *out = xstrdup(t);
    free(t);
    return out;
}

/* The product users: the admin and user contacts (by their external user id), the champion
 * (by email), then generated people; n of them. */
static int plan_users(struct store *st, struct plan *p, size_t n)
{
    struct contact *c = NULL;
    size_t nc = 0;
    int rc = store_contacts_list(st, p->a->id, 0, 100, &c, &nc);
    if (rc)
        return rc;
    p->users = xcalloc(n ? n : 1, sizeof(*p->users));
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < nc && p->nusers < n; i++) {
            bool admin = c[i].role && strcmp(c[i].role, "admin") == 0;
            bool champion = c[i].role && strcmp(c[i].role, "champion") == 0;
            struct puser *u = &p->users[p->nusers];
            if (c[i].external_user_id && (pass == 0 ? admin : pass == 2 && !admin))
                u->user_id = xstrdup(c[i].external_user_id);
            else if (pass == 1 && champion)
                u->user_id = xasprintf("usr_%lld_%zu", (long long)p->a->id, p->nusers + 1);
            else
                continue;
            u->traits = traits_json(c[i].name, c[i].email);
            p->nusers++;
        }
    }
    contacts_free(c, nc);
    size_t nf = p->a->english ? N_OF(en_family) : N_OF(ja_family);
    size_t ng = p->a->english ? N_OF(en_given) : N_OF(ja_given);
    size_t off = (size_t)rng_range(&p->r, 0, (int64_t)(nf * ng) - 1);
    for (size_t k = 0; p->nusers < n; k++) {
        size_t combo = (off + k * 7) % (nf * ng), f = combo % nf, g = combo / nf;
        size_t lap = k / (nf * ng); /* past every name, emails get a number */
        char num[24] = "";
        if (lap)
            snprintf(num, sizeof(num), "%zu", lap + 1);
        char *name, *email;
        if (p->a->english) {
            name = xasprintf("%s %s", en_given[g], en_family[f]);
            email = xasprintf("%s.%s%s@%s", en_given[g], en_family[f], num, p->a->domain);
            for (char *q = email; *q && *q != '@'; q++)
                if (*q >= 'A' && *q <= 'Z')
                    *q = (char)(*q + 32);
        } else {
            name = xasprintf("%s %s", ja_family[f], ja_given[g]);
            email = xasprintf("%s.%s%s@%s", ja_given_r[g], ja_family_r[f], num, p->a->domain);
        }
        struct puser *u = &p->users[p->nusers];
        u->user_id = xasprintf("usr_%lld_%zu", (long long)p->a->id, p->nusers + 1);
        u->traits = traits_json(name, email);
        p->nusers++;
        free(name);
        free(email);
    }
    for (size_t i = 0; i < p->nusers; i++) {
        struct puser *u = &p->users[i];
        double rank = (double)i / (double)(p->nusers > 1 ? p->nusers : 1);
        u->propensity = rank < 0.2 ? 0.65 : rank < 0.6 ? 0.4 : 0.18;
        u->propensity *= 0.85 + 0.3 * rng_unit(&p->r);
        u->depth = rank < 0.2 ? 1.3 : rank < 0.6 ? 1.0 : 0.6;
        u->first_day = NO_DAY;
    }
    return KZ_OK;
}

static void plan_free(struct plan *p)
{
    subscriptions_free(p->hist, p->nhist);
    for (size_t i = 0; i < p->nusers; i++) {
        free(p->users[i].user_id);
        free(p->users[i].traits);
    }
    free(p->users);
    for (size_t i = 0; i < p->ncaps; i++)
        free(p->caps[i].per_day);
}

/* ------------------------------------------------------------ writing */

struct gen {
    struct store *st;
    int64_t write_key;
    struct demo_usage_stats stats;
    size_t raw_accounts;
};

/* How many more of event ev the caps allow today (INT64_MAX: no cap). */
static int64_t cap_room(const struct plan *p, int ev)
{
    int64_t room = INT64_MAX;
    for (size_t k = 0; k < p->ncaps; k++) {
        if (p->caps[k].ev != ev)
            continue;
        int64_t left = p->caps[k].max - p->caps[k].sum;
        if (left < room)
            room = left < 0 ? 0 : left;
    }
    return room;
}

/* Counts n of event ev on day index i in its caps. */
static void cap_add(struct plan *p, int ev, int64_t i, int64_t n)
{
    for (size_t k = 0; k < p->ncaps; k++) {
        if (p->caps[k].ev == ev) {
            p->caps[k].per_day[i] += n;
            p->caps[k].sum += n;
        }
    }
}

/* Raw events of one user's day: counts per event id, spread from start to end (times), the
 * sign-in first. */
static int write_raw(struct gen *g, struct plan *p, const struct puser *u, const int64_t *cnt,
                     int64_t start, int64_t end, int64_t *seq)
{
    int evs[256];
    size_t n = 0;
    for (int ev = 0; ev < EV_COUNT; ev++)
        for (int64_t k = 0; k < cnt[ev] && n < N_OF(evs); k++)
            evs[n++] = ev;
    /* the sign-in first, the rest shuffled */
    size_t lo = 0;
    for (size_t i = 0; i < n; i++) {
        if (evs[i] == EV_SIGNIN) {
            evs[i] = evs[0];
            evs[0] = EV_SIGNIN;
            lo = 1;
            break;
        }
    }
    for (size_t i = n; i > lo + 1; i--) {
        size_t j = lo + (size_t)rng_range(&p->r, 0, (int64_t)(i - lo) - 1);
        int t = evs[i - 1];
        evs[i - 1] = evs[j];
        evs[j] = t;
    }
    json_t *ctx = json_pack("{s:{s:s, s:s}, s:s}", "library", "name", "@segment/analytics-node",
                            "version", "2.1.3", "groupId", p->a->external_id);
    char *ctx_text = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ctx);
    int rc = KZ_OK;
    for (size_t i = 0; i < n && rc == KZ_OK; i++) {
        int64_t at = n > 1 ? start + (end - start) * (int64_t)i / (int64_t)(n - 1) : end;
        int64_t sent = at + rng_range(&p->r, 0, 9); /* the library sends in batches */
        char msg[64], ts[21], sent_s[21], *props = NULL;
        uint64_t x = rng_next(&p->r);
        (*seq)++;
        snprintf(msg, sizeof(msg), "%08llx-%04llx-4%03llx-%04llx-%012llx",
                 (unsigned long long)p->a->id & 0xffffffffULL,
                 (unsigned long long)(at / 86400) & 0xffffULL,
                 (unsigned long long)(x & 0xfffULL),
                 (unsigned long long)(0x8000 | ((x >> 12) & 0x3fffULL)),
                 (unsigned long long)*seq & 0xffffffffffffULL);
        time_format(at, ts);
        time_format(sent, sent_s);
        struct tracked_event e;
        memset(&e, 0, sizeof(e));
        e.account_id = p->a->id;
        e.message_id = msg;
        e.user_id = u->user_id;
        memcpy(e.timestamp, ts, sizeof(ts));
        e.original_timestamp = ts;
        e.sent_at = sent_s;
        memcpy(e.received_at, sent_s, sizeof(sent_s)); /* arrived within the second */
        e.context = ctx_text;
        if (evs[i] == EV_PAGE) {
            const struct page *pg = &pages[rng_range(&p->r, 0, (int64_t)N_OF(pages) - 1)];
            json_t *o = json_pack("{s:s, s:s, s:o}", "path", pg->path, "title", pg->title,
                                  "url", json_sprintf("https://app.example.com%s", pg->path));
            props = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(o);
            e.type = (char *)"page";
            e.name = (char *)pg->name;
        } else {
            e.type = (char *)"track";
            e.name = (char *)event_name(p, evs[i]);
            if (evs[i] >= EV_FEATURE0 && evs[i] < EV_ONEOFF0)
                props = xstrdup(features[evs[i] - EV_FEATURE0].props);
            else if (evs[i] == EV_SIGNIN)
                props = xstrdup(rng_range(&p->r, 0, 3) ? "{\"method\":\"password\"}"
                                                        : "{\"method\":\"sso\"}");
        }
        e.properties = props;
        rc = store_event_insert(g->st, g->write_key, &e); /* e's strings are borrowed */
        free(props);
        if (rc == KZ_OK)
            g->stats.events++;
    }
    free(ctx_text);
    return rc;
}

/* One active day of user u: its events, counted into day_cnt, with its rollup row. */
static int user_day(struct gen *g, struct plan *p, struct puser *u, int64_t day,
                    const char *date, int64_t di, double level, bool oneoffs, int64_t *day_cnt,
                    int64_t *seq)
{
    int64_t cnt[EV_COUNT];
    memset(cnt, 0, sizeof(cnt));
    if (rng_unit(&p->r) < 0.6 && cap_room(p, EV_SIGNIN) > 0)
        cnt[EV_SIGNIN] = 1;
    cnt[EV_PAGE] = rng_range(&p->r, 2, u->depth > 1 ? 14 : 8);
    if (rng_unit(&p->r) < 0.3)
        cnt[EV_SEARCH] = rng_range(&p->r, 1, 3);
    for (int f = 0; f < p->nfeatures; f++)
        if (rng_unit(&p->r) < features[f].rate * u->depth * (0.5 + 0.5 * level))
            cnt[EV_FEATURE0 + f] = rng_range(&p->r, 1, features[f].max);
    for (size_t k = 0; oneoffs && k < p->noneoff; k++)
        if (p->oneoff_day[k] == day)
            cnt[EV_ONEOFF0 + k] = p->oneoff_count[k];
    int64_t total = 0;
    for (int ev = 0; ev < EV_COUNT; ev++) {
        int64_t room = cap_room(p, ev);
        if (cnt[ev] > room)
            cnt[ev] = room;
        cap_add(p, ev, di, cnt[ev]);
        day_cnt[ev] += cnt[ev];
        total += cnt[ev];
    }
    /* A session in Japanese office hours (00:00-09:00 UTC), about two minutes an event. */
    int64_t start = day * 86400 + rng_range(&p->r, 0, 7 * 60) * 60 + rng_range(&p->r, 0, 59);
    int64_t end = start + total * rng_range(&p->r, 60, 180);
    if (end > day * 86400 + 9 * 3600 - 1)
        end = day * 86400 + 9 * 3600 - 1;
    int rc = store_active_user_day_add(g->st, p->a->id, date, u->user_id, total);
    if (rc)
        return rc;
    g->stats.user_days++;
    if (u->first_day == NO_DAY) {
        u->first_day = day;
        u->first_seen = start;
    }
    u->last_seen = end;
    if (p->raw && day > p->w1 - DEMO_USAGE_RAW_DAYS)
        rc = write_raw(g, p, u, cnt, start, end, seq);
    return rc;
}

/* Lives the account's usage day by day and writes it. */
static int generate_account(struct gen *g, struct plan *p)
{
    int64_t ndays = p->w1 - p->w0 + 1, seq = 0;
    int rc = KZ_OK;
    for (size_t k = 0; k < p->ncaps; k++)
        p->caps[k].per_day = xcalloc((size_t)ndays, sizeof(int64_t));
    for (int64_t di = 0; di < ndays && rc == KZ_OK; di++) {
        int64_t day = p->w0 + di;
        for (size_t k = 0; k < p->ncaps; k++) { /* the window moves on */
            struct cap *c = &p->caps[k];
            if (c->within && di >= c->within)
                c->sum -= c->per_day[di - c->within];
        }
        double level = level_on(p, day);
        if (level <= 0 || !p->nusers)
            continue;
        /* fewer seats then (before an expansion): fewer of the pool in use */
        double seats = (double)seats_on(p, day) / (double)(p->seats_ref > 0 ? p->seats_ref : 1);
        seats = seats < 0.3 ? 0.3 : seats > 1 ? 1 : seats;
        int64_t eligible = (int64_t)((double)p->nusers * level * seats + 0.5);
        if (eligible < 1)
            eligible = 1;
        if (day < p->gate && eligible > 1)
            eligible = 1;
        int dow = (int)((day + 4) % 7); /* 0 = Sunday: 1970-01-01 was a Thursday */
        double week = dow == 0 ? 0.05 : dow == 6 ? 0.12 : 1.0;
        int64_t day_cnt[EV_COUNT];
        memset(day_cnt, 0, sizeof(day_cnt));
        char d[11];
        date_from_days(day, d);
        bool oneoff_today = false;
        for (size_t k = 0; k < p->noneoff; k++)
            oneoff_today |= p->oneoff_day[k] == day;
        for (int64_t i = 0; i < eligible && rc == KZ_OK; i++) {
            struct puser *u = &p->users[i];
            bool forced = i == 0 && oneoff_today;
            double chance = u->propensity * week * (0.55 + 0.45 * level);
            if (forced || rng_unit(&p->r) < chance)
                rc = user_day(g, p, u, day, d, di, level, i == 0, day_cnt, &seq);
        }
        for (int ev = 0; ev < EV_COUNT && rc == KZ_OK; ev++) {
            if (!day_cnt[ev])
                continue;
            rc = store_usage_daily_add(g->st, p->a->id, d, event_name(p, ev), day_cnt[ev]);
            g->stats.rollups++;
        }
    }
    /* The users seen, and the account's last seen. A user active from the first day of an
     * account older than the window joined before it. */
    int64_t last = -1;
    for (size_t i = 0; i < p->nusers && rc == KZ_OK; i++) {
        struct puser *u = &p->users[i];
        if (u->first_day == NO_DAY)
            continue;
        int64_t since = p->nhist ? date_to_days(p->hist[0].effective_date) : p->w0;
        if (u->first_day < p->w0 + 14 && since < p->w0 - 14) {
            int64_t from = since > p->w0 - 400 ? since : p->w0 - 400;
            u->first_seen = rng_range(&p->r, from, p->w0 - 1) * 86400 +
                            rng_range(&p->r, 0, 8 * 60) * 60;
        }
        char first[21], lastu[21];
        time_format(u->first_seen, first);
        time_format(u->last_seen, lastu);
        rc = store_tracked_user_insert(g->st, u->user_id, p->a->id, u->traits, first, lastu);
        if (rc == KZ_OK)
            g->stats.users++;
        if (u->last_seen > last)
            last = u->last_seen;
    }
    if (rc == KZ_OK && last >= 0) {
        char at[21];
        time_format(last, at);
        rc = store_account_seen(g->st, p->a->id, at);
    }
    return rc;
}

/* Plans and writes one account. */
static int usage_account(struct gen *g, struct store *st, const struct lifecycle *lc,
                         uint64_t seed, int64_t today, const struct acct *a)
{
    struct plan p;
    memset(&p, 0, sizeof(p));
    p.a = a;
    p.r.s = seed ^ 0x7573616765ULL ^ ((uint64_t)a->id * 0x9e3779b97f4a7c15ULL); /* "usage" */
    p.w1 = today - 1;
    p.w0 = today - DEMO_USAGE_DAYS;
    int rc = store_subscription_history(st, a->id, &p.hist, &p.nhist);
    if (rc || !p.nhist || !a->external_id) /* no groupId: the product cannot name it */
        goto out;
    plan_segments(&p);
    struct subscription *cur = &p.hist[p.nhist - 1];
    p.seats_now = strcmp(cur->status, "churned") == 0 ? 0 : cur->seats;
    rc = plan_criteria(st, &p, lc);
    if (rc)
        goto out;
    p.onboard_ramp = rng_range(&p.r, 45, 100);
    p.react_ramp = rng_range(&p.r, 20, 40);
    p.silent = rng_range(&p.r, 10, 25);
    p.fade = p.silent + rng_range(&p.r, 35, 70);
    bool onboarding = str_eq(a->phase, "onboarding"), adoption = str_eq(a->phase, "adoption");
    int64_t t = rng_range(&p.r, 0, 99);
    p.trend = onboarding || t < 50 ? 0 : t < 86 ? 1 : 2; /* a new account only grows */
    p.decline_from = today - rng_range(&p.r, 35, 70);
    /* Most declines fade to a quarter to a half of the use by today; two in five go quiet
     * within two weeks (the accounts at risk: nobody has used the product for weeks). */
    p.decline_floor = rng_unit(&p.r) < 0.4 ? 0 : 0.25 + 0.25 * rng_unit(&p.r);
    p.nfeatures = (int)(onboarding ? rng_range(&p.r, 1, 3)
                        : adoption ? rng_range(&p.r, 2, 4) : rng_range(&p.r, 3, 5));
    /* The pool: a share of the seats it had when it last was a customer. */
    for (size_t i = 0; i < p.nhist; i++)
        if (p.hist[i].seats > 0)
            p.seats_ref = p.hist[i].seats;
    double share = 0.3 + 0.6 * rng_unit(&p.r);
    int64_t n = (int64_t)((double)p.seats_ref * share + 0.5);
    if (n < 1 && p.seats_ref > 0)
        n = 1;
    if (n > p.user_cap)
        n = p.user_cap;
    if (n > MAX_POOL)
        n = MAX_POOL;
    rc = plan_users(st, &p, (size_t)n);
    if (rc)
        goto out;
    p.raw = g->raw_accounts < DEMO_USAGE_RAW_ACCOUNTS && p.nseg &&
            p.seg[p.nseg - 1].end == NO_DAY && p.seg[p.nseg - 1].start < p.w0 &&
            p.nusers >= 3 && p.nusers <= 40;
    if (p.raw)
        g->raw_accounts++;
    rc = generate_account(g, &p);
out:
    plan_free(&p);
    return rc;
}

/* ------------------------------------------------------------ entry point */

/* The key events setting, unless an admin already chose some. */
static int key_events_setting(struct store *st)
{
    char *have = NULL;
    int rc = store_setting_get(st, KEY_EVENTS_SETTING, &have);
    free(have);
    if (rc != KZ_ENOTFOUND)
        return rc;
    json_t *events = json_array();
    for (size_t i = 0; i < N_OF(features); i++)
        json_array_append_new(events, json_pack("{s:s, s:s, s:s}", "name", features[i].name,
                                                "label_ja", features[i].label_ja, "label_en",
                                                features[i].label_en));
    json_t *o = json_pack("{s:o}", "events", events);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    rc = store_setting_put(st, KEY_EVENTS_SETTING, text);
    free(text);
    return rc;
}

int demo_usage_generate(struct store *st, uint64_t seed, int64_t today,
                        struct demo_usage_stats *stats)
{
    struct gen g;
    struct acct_list l = { NULL, 0 };
    struct lifecycle lc;
    struct write_key k;
    struct account_filter f;
    memset(&g, 0, sizeof(g));
    memset(&k, 0, sizeof(k));
    memset(&f, 0, sizeof(f));
    g.st = st;
    int rc = journey_lifecycle_load(st, &lc);
    if (rc)
        return rc;
    rc = key_events_setting(st);
    if (rc == KZ_OK) {
        k.name = xstrdup("Demo product");
        rc = store_write_key_create(st, &k);
        g.write_key = k.id;
    }
    if (rc == KZ_OK)
        rc = store_accounts_each(st, &f, collect, &l);
    if (rc == KZ_OK)
        qsort(l.v, l.n, sizeof(*l.v), by_id);
    for (size_t i = 0; i < l.n && rc == KZ_OK; i++)
        rc = usage_account(&g, st, &lc, seed, today, &l.v[i]);
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].external_id);
        free(l.v[i].domain);
        free(l.v[i].phase);
    }
    free(l.v);
    write_key_cleanup(&k);
    lifecycle_cleanup(&lc);
    if (stats)
        *stats = g.stats;
    return rc;
}
