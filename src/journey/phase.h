/*
 * The journey's operations for the API, the importer and the demo, on top of the store:
 * loading and saving the lifecycle settings, the one transition function every phase change
 * goes through (manual moves, churn and reactivation with subscription changes), and the
 * evaluation with its counts. See docs/journey.md for the rules.
 */
#ifndef KZ_JOURNEY_PHASE_H
#define KZ_JOURNEY_PHASE_H

#include <stdbool.h>
#include <stdint.h>

#include "journey/lifecycle.h"
#include "store/store.h"

/* The lifecycle in force: the saved settings, else the defaults. On success *lc is owned by
 * the caller (lifecycle_cleanup). */
int journey_lifecycle_load(struct store *st, struct lifecycle *lc);
/*
 * Saves lc as the lifecycle, in one transaction: refused with KZ_ECONFLICT when accounts are
 * in a phase lc no longer has (*in_use: that phase, caller frees); accounts'
 * value_reached_at follows the (possibly new) value milestone.
 */
int journey_lifecycle_save(struct store *st, const struct lifecycle *lc, char **in_use);

/* The phase a new account starts in: the first phase, or the terminal one when churned.
 * Caller frees. */
char *journey_initial_phase(struct store *st, bool churned);

/*
 * Moves account id to phase (a key of the lifecycle in force; the caller validated it) now,
 * moved_by 'manual', by user with reason. KZ_ECONFLICT when it is already in that phase.
 */
int journey_move_manual(struct store *st, int64_t id, const char *phase, int64_t user_id,
                        const char *reason);

/*
 * Writes a subscription change (store_subscription_put) and, in the same transaction, the
 * phase change it implies: a subscription that becomes churned moves the account into the
 * terminal phase (moved_by 'churn'); one that leaves churned takes an account in the terminal
 * phase back to the phase it was in before (moved_by 'reactivation'). user_id 0 = none.
 */
int journey_subscription_put(struct store *st, const struct subscription *s, int64_t user_id);

struct journey_stats {
    int64_t accounts;        /* accounts evaluated */
    int64_t milestones;      /* milestones completed by criteria */
    int64_t moves;           /* phase changes */
};
/* journey_evaluate_all / _account (only > 0) with counts; stats may be NULL. */
int journey_evaluate(struct store *st, int64_t only, struct journey_stats *stats);

#endif
