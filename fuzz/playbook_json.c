/*
 * libFuzzer target: playbook bodies through the pure parser (playbooks/playbook.c), and for
 * valid ones the JSON form and the placeholder renderer over every action's strings. The
 * parser must explain every refusal and never crash, leak or read out of bounds.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "playbooks/playbook.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char field[200], msg[300];
    struct playbook p;
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return 0;
    }
    memset(&p, 0, sizeof(p));
    field[0] = msg[0] = '\0';
    if (pb_parse(root, &p, false, field, sizeof(field), msg, sizeof(msg)) == 0) {
        json_t *o = pb_to_json(&p);
        json_t *vars = json_pack("{s:s, s:I}", "account.name", "Acme", "account.id",
                                 (json_int_t)1);
        size_t i;
        json_t *a;
        json_array_foreach(p.actions, i, a) {
            const char *k;
            json_t *v;
            json_object_foreach(a, k, v) {
                if (json_is_string(v))
                    free(pb_render(json_string_value(v), vars));
            }
        }
        json_decref(vars);
        json_decref(o);
    } else if (!msg[0]) {
        __builtin_trap(); /* every refusal says what is wrong (and names the field, which
                           * may be the empty key "") */
    }
    playbook_cleanup(&p);
    json_decref(root);
    return 0;
}
