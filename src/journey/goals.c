/*
 * Goal attainment: the formula and its edge cases (see goals.h).
 */
#include "journey/goals.h"

#include <stddef.h>

enum goal_attainment_status goal_attainment(bool has_baseline, double baseline, double target,
                                            bool has_current, double current, double *out)
{
    if (!has_current)
        return GOAL_ATTAINMENT_NO_CURRENT;
    if (!has_baseline)
        return GOAL_ATTAINMENT_NO_BASELINE;
    double span = target - baseline;
    if (span == 0)
        return GOAL_ATTAINMENT_FLAT;
    double f = (current - baseline) / span;
    if (!(f > 0)) /* also catches a NaN, which finite inputs cannot produce */
        f = 0;
    else if (f > 1)
        f = 1;
    *out = f;
    return GOAL_ATTAINMENT_OK;
}

const char *goal_attainment_reason(enum goal_attainment_status s)
{
    switch (s) {
    case GOAL_ATTAINMENT_NO_CURRENT:
        return "no_current_value";
    case GOAL_ATTAINMENT_NO_BASELINE:
        return "no_baseline";
    case GOAL_ATTAINMENT_FLAT:
        return "baseline_equals_target";
    case GOAL_ATTAINMENT_OK:
        break;
    }
    return NULL;
}
