/*
 * Segment membership for playbook audiences: the segment's saved filter (segments/filter.h)
 * evaluated for one account now. Called only for accounts whose trigger fires, so its cost
 * (load, parse, one query) is paid for a few accounts, not for every candidate.
 */
#include "playbooks/segment_audience.h"

#include <jansson.h>

#include "segments/filter.h"
#include "store/segments.h"

int playbook_audience_segment(struct store *st, int64_t segment_id, int64_t account_id,
                              bool *member)
{
    *member = false;
    struct segment seg = { 0 };
    int rc = store_segment_get(st, segment_id, &seg);
    if (rc)
        return rc; /* a deleted segment: the playbook fires for nobody */
    json_t *j = json_loads(seg.filter, 0, NULL);
    struct seg_node *tree = NULL;
    struct seg_error err;
    if (!j || seg_parse(j, "filter", &tree, &err))
        rc = KZ_EINVAL; /* only valid filters are saved */
    else
        rc = store_segment_has(st, tree, account_id, member);
    seg_node_free(tree);
    json_decref(j);
    segment_cleanup(&seg);
    return rc;
}
