/*
 * The phase engine, for the scheduler: evaluates the lifecycle criteria of one account or of
 * every account, completes the milestones they satisfy (completed_by 'criterion'; a milestone
 * a user reopened is left alone), and moves each account on through the phases whose required
 * milestones are all complete (moved_by 'milestones'). Both return KZ_* codes.
 */
#ifndef KZ_JOURNEY_JOURNEY_H
#define KZ_JOURNEY_JOURNEY_H

#include <stdint.h>

struct store;

int journey_evaluate_account(struct store *st, int64_t account_id);
int journey_evaluate_all(struct store *st);

#endif
