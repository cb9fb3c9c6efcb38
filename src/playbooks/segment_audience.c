/*
 * Segment membership for playbook audiences: the segment's saved filter (segments/filter.h)
 * loaded once per evaluation; membership is then one query (store_segment_has) for each account
 * whose trigger fires, not for every candidate.
 */
#include "playbooks/segment_audience.h"

#include <jansson.h>

#include "segments/filter.h"
#include "store/segments.h"

int playbook_audience_tree(struct store *st, int64_t segment_id, struct seg_node **tree)
{
    *tree = NULL;
    struct segment seg = { 0 };
    int rc = store_segment_get(st, segment_id, &seg);
    if (rc)
        return rc; /* a deleted segment: the playbook fires for nobody */
    json_t *j = json_loads(seg.filter, 0, NULL);
    struct seg_error err;
    if (!j || seg_parse(j, "filter", tree, &err))
        rc = KZ_EINVAL; /* only valid filters are saved */
    json_decref(j);
    segment_cleanup(&seg);
    return rc;
}
