/* The key events setting (see key_events.h). */
#include "ingest/key_events.h"

#include <stdlib.h>

#include "util/util.h"

int key_events_load(struct store *st, json_t **out)
{
    char *text = NULL;
    json_t *v = NULL;
    int rc = store_setting_get(st, KEY_EVENTS_SETTING, &text);
    if (rc == KZ_OK) {
        v = json_loads(text, 0, NULL);
        if (!json_is_array(json_object_get(v, "events"))) {
            log_warn("setting %s is not {\"events\":[...]}; using none", KEY_EVENTS_SETTING);
            json_decref(v);
            v = NULL;
        }
    } else if (rc != KZ_ENOTFOUND) {
        return rc;
    }
    free(text);
    if (!v)
        v = json_pack("{s:[]}", "events");
    *out = v;
    return KZ_OK;
}

const char **key_events_names(json_t *setting, size_t *n)
{
    json_t *events = json_object_get(setting, "events");
    *n = json_array_size(events);
    const char **names = xcalloc(*n ? *n : 1, sizeof(*names));
    for (size_t i = 0; i < *n; i++)
        names[i] = json_string_value(json_object_get(json_array_get(events, i), "name"));
    return names;
}
