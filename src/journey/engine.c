/*
 * The phase engine's pure rules: criteria against facts, phase advance, overdue flags,
 * durations and TTV. See engine.h and docs/journey.md.
 */
#include "journey/engine.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

int64_t journey_seat_target(double share, int64_t seats)
{
    if (seats <= 0)
        return -1;
    /* A small epsilon so that 0.5 x 20 is 10, not 11 after rounding error. */
    int64_t t = (int64_t)ceil(share * (double)seats - 1e-9);
    return t < 1 ? 1 : t;
}

bool journey_criterion_met(const struct lc_criterion *c, const struct jr_facts *f, char *detail,
                           size_t n)
{
    switch (c->type) {
    case LC_CRIT_EVENT_COUNT:
        if (f->count < c->count)
            return false;
        if (c->within_days)
            snprintf(detail, n, "%s seen %lld %s in the last %lld %s (at least %lld)",
                     c->event, (long long)f->count, f->count == 1 ? "time" : "times",
                     (long long)c->within_days, c->within_days == 1 ? "day" : "days",
                     (long long)c->count);
        else
            snprintf(detail, n, "%s seen %lld %s (at least %lld)", c->event,
                     (long long)f->count, f->count == 1 ? "time" : "times", (long long)c->count);
        return true;
    case LC_CRIT_ACTIVE_USERS:
        if (c->count) {
            if (f->active_users < c->count)
                return false;
            snprintf(detail, n, "%lld active users in 30 days (at least %lld)",
                     (long long)f->active_users, (long long)c->count);
            return true;
        } else {
            int64_t target = journey_seat_target(c->seat_share, f->seats);
            if (target < 0 || f->active_users < target)
                return false;
            snprintf(detail, n, "%lld active users in 30 days (at least %lld: %g%% of %lld seats)",
                     (long long)f->active_users, (long long)target, c->seat_share * 100.0,
                     (long long)f->seats);
            return true;
        }
    case LC_CRIT_SURVEY:
        if (!f->at)
            return false;
        snprintf(detail, n, "%s survey answered at %s", c->survey, f->at);
        return true;
    case LC_CRIT_SUBSCRIPTION:
        if (!f->at)
            return false;
        snprintf(detail, n, "subscription %s on %s",
                 c->condition == LC_SUB_GREW ? "grew" : "renewed", f->at);
        return true;
    case LC_CRIT_NONE:
        break;
    }
    return false;
}

size_t journey_milestone_count(const struct lifecycle *lc)
{
    size_t n = 0;
    for (size_t i = 0; i < lc->nphases; i++)
        n += lc->phases[i].nms;
    return n;
}

size_t journey_milestone_index(const struct lifecycle *lc, size_t p, size_t j)
{
    size_t n = 0;
    for (size_t i = 0; i < p && i < lc->nphases; i++)
        n += lc->phases[i].nms;
    return n + j;
}

/* True when phase p has a required milestone and all its required milestones are complete. */
static bool phase_done(const struct lifecycle *lc, size_t p, const unsigned char *state)
{
    const struct lc_phase *ph = &lc->phases[p];
    size_t base = journey_milestone_index(lc, p, 0), required = 0;
    for (size_t j = 0; j < ph->nms; j++) {
        if (!ph->ms[j].required)
            continue;
        required++;
        if (state[base + j] != MS_COMPLETE)
            return false;
    }
    return required > 0;
}

int journey_advance(const struct lifecycle *lc, int cur, const unsigned char *state)
{
    if (cur < 0 || (size_t)cur >= lc->nphases)
        return cur;
    while ((size_t)cur + 1 < lc->nphases && !lc->phases[cur].terminal &&
           !lc->phases[cur + 1].terminal && phase_done(lc, (size_t)cur, state))
        cur++;
    return cur;
}

void journey_required_progress(const struct lifecycle *lc, int cur, const unsigned char *state,
                               size_t *done, size_t *total)
{
    *done = *total = 0;
    for (size_t p = 0; cur >= 0 && p <= (size_t)cur && p < lc->nphases; p++) {
        size_t base = journey_milestone_index(lc, p, 0);
        for (size_t j = 0; j < lc->phases[p].nms; j++) {
            if (!lc->phases[p].ms[j].required)
                continue;
            (*total)++;
            *done += state[base + j] == MS_COMPLETE;
        }
    }
}

int64_t journey_days(int64_t a, int64_t b)
{
    return b > a ? (b - a) / 86400 : 0;
}

void journey_overdue(int64_t days, int64_t expected, bool *overdue, bool *overdue_2x)
{
    *overdue = expected >= 0 && days > expected;
    *overdue_2x = *overdue && days >= 2 * expected;
}

int journey_ttv_days(const char *start_date, const char *value_at, int64_t *days)
{
    int64_t v;
    if (!start_date || !value_at || date_valid(start_date) || time_parse(value_at, &v))
        return -1;
    *days = journey_days(date_to_days(start_date) * 86400, v);
    return 0;
}
