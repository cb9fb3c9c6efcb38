/*
 * The one seam between playbooks and segments (issue 6 item 1), which are built on another
 * branch. MERGE NOTE for the integrator: wire playbook_audience_segment() (segment_audience.c)
 * to the segments module's membership test, and drop the 400 that api/playbooks.c gives to
 * audiences with a segment_id (search for PLAYBOOK_SEGMENTS_AVAILABLE).
 */
#ifndef KZ_PLAYBOOKS_SEGMENT_AUDIENCE_H
#define KZ_PLAYBOOKS_SEGMENT_AUDIENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Until segments are merged the API refuses segment audiences; this flag says so. */
#define PLAYBOOK_SEGMENTS_AVAILABLE 0

/* Sets *member to whether account_id belongs to segment segment_id. KZ_ENOTFOUND when there
 * is no such segment (always, until the segments module is wired in). */
int playbook_audience_segment(struct store *st, int64_t segment_id, int64_t account_id,
                              bool *member);

#endif
