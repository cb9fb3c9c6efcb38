/*
 * The key events setting (/api/v1/settings/key-events): the tracked events that count as the
 * product's important features, read by the usage report and the health score's feature
 * breadth.
 */
#ifndef KZ_INGEST_KEY_EVENTS_H
#define KZ_INGEST_KEY_EVENTS_H

#include <jansson.h>
#include <stddef.h>

#include "store/store.h"

#define KEY_EVENTS_SETTING "key_events"

/* The setting as {"events":[{"name","label_ja","label_en"}...]}: the default {"events":[]}
 * when never set, or when what is stored is not in that shape (logged). *out is a new
 * reference the caller owns. Returns a kz_rc. */
int key_events_load(struct store *st, json_t **out);

/* The event names of a loaded setting, by position (NULL where an entry has no name, which
 * matches nothing): a heap array of *n pointers into setting (caller frees the array). */
const char **key_events_names(json_t *setting, size_t *n);

#endif
