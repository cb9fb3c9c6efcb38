/*
 * libFuzzer target: segment filter trees (src/segments/filter.c). Any JSON the parser accepts
 * must compile into SQL that SQLite prepares against the real schema, and its count must run:
 * a filter that validates but yields bad SQL would be a 500 for a user.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "segments/filter.h"
#include "store/segments.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static struct store *st;
    if (!st) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/kizuna-fuzz-segment-%d.db", getpid());
        unlink(path);
        if (store_init(path))
            return 0;
        st = store_get();
    }
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    struct seg_node *n = NULL;
    struct seg_error err;
    if (seg_parse(j, "filter", &n, &err) == 0) {
        int64_t count = -1;
        if (store_segment_count(st, n, &count) != KZ_OK || count < 0)
            abort();
    }
    seg_node_free(n);
    json_decref(j);
    return 0;
}
