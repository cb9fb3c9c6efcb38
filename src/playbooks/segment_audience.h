/*
 * The seam between playbooks and segments: whether an account is in a playbook's audience
 * segment.
 */
#ifndef KZ_PLAYBOOKS_SEGMENT_AUDIENCE_H
#define KZ_PLAYBOOKS_SEGMENT_AUDIENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Sets *member to whether account_id belongs to segment segment_id now. KZ_ENOTFOUND when
 * there is no such segment (deleted since the playbook was saved). */
int playbook_audience_segment(struct store *st, int64_t segment_id, int64_t account_id,
                              bool *member);

#endif
