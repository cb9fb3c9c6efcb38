/*
 * Segment membership for playbook audiences: the seam to the segments module (built on
 * another branch). MERGE NOTE: the integrator replaces this body with a call into the
 * segments module (the segment's compiled filter for one account). Until then no segment
 * exists here, so the answer is KZ_ENOTFOUND and such playbooks fire for nobody; the API
 * refuses to save them (400 on audience.segment_id).
 */
#include "playbooks/segment_audience.h"

int playbook_audience_segment(struct store *st, int64_t segment_id, int64_t account_id,
                              bool *member)
{
    (void)st;
    (void)segment_id;
    (void)account_id;
    *member = false;
    return KZ_ENOTFOUND;
}
