/*
 * The seam between playbooks and segments: whether an account is in a playbook's audience
 * segment.
 */
#ifndef KZ_PLAYBOOKS_SEGMENT_AUDIENCE_H
#define KZ_PLAYBOOKS_SEGMENT_AUDIENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct seg_node;

/* The filter tree of segment segment_id into *tree (seg_node_free). KZ_ENOTFOUND when there
 * is no such segment (deleted since the playbook was saved). */
int playbook_audience_tree(struct store *st, int64_t segment_id, struct seg_node **tree);

#endif
