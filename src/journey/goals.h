/*
 * Success-plan goal attainment (ROI, the R of DEAR): how far a goal's measured value has
 * moved from its baseline (the Before, measured at onboarding) toward its target, as a
 * fraction in [0, 1]. Pure functions over numbers: no SQL, no HTTP.
 *
 *   attainment = clamp((current - baseline) / (target - baseline), 0, 1)
 *
 * The same formula serves goals that increase ("raise weekly active users from 20 to 80")
 * and goals that decrease ("cut handling time from 12 to 6 minutes"): numerator and
 * denominator change sign together. A value past the target counts as 1; a value that moved
 * away from the target counts as 0. When the attainment cannot be computed it is unknown,
 * never 0, and the reason says why: no current value measured yet, no baseline, or a
 * baseline equal to the target (no distance to cover).
 */
#ifndef KZ_JOURNEY_GOALS_H
#define KZ_JOURNEY_GOALS_H

#include <stdbool.h>

enum goal_attainment_status {
    GOAL_ATTAINMENT_OK = 0,
    GOAL_ATTAINMENT_NO_CURRENT,   /* no value measured yet */
    GOAL_ATTAINMENT_NO_BASELINE,  /* no Before to measure progress from */
    GOAL_ATTAINMENT_FLAT,         /* baseline == target: no distance to cover */
};

/* Largest magnitude accepted for a baseline, target or value (keeps every difference finite). */
#define GOAL_VALUE_MAX 1e15

/*
 * The attainment of a goal. has_baseline / has_current say whether those values are known.
 * On GOAL_ATTAINMENT_OK *out is set to a fraction in [0, 1]; otherwise *out is untouched.
 * Inputs are finite numbers within +-GOAL_VALUE_MAX (the API refuses others).
 */
enum goal_attainment_status goal_attainment(bool has_baseline, double baseline, double target,
                                            bool has_current, double current, double *out);

/* The reason as a stable machine-readable string ("no_current_value", "no_baseline",
 * "baseline_equals_target"), or NULL for GOAL_ATTAINMENT_OK. */
const char *goal_attainment_reason(enum goal_attainment_status s);

#endif
