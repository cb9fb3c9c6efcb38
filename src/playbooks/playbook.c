/*
 * Playbooks' pure rules (playbook.h): the validating parser of the JSON form, the trigger
 * decisions over one account's facts, the cooldown rule and the {{placeholder}} renderer.
 * Nothing here touches the database or HTTP; the errors name the JSON path of the value.
 */
#include "playbooks/playbook.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journey/engine.h"
#include "util/crypto.h"
#include "util/util.h"

void playbook_cleanup(struct playbook *p)
{
    if (!p)
        return;
    free(p->name);
    json_decref(p->audience);
    json_decref(p->trigger_json);
    json_decref(p->actions);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------ parsing */

struct perr {
    char *field;
    size_t fieldsz;
    char *msg;
    size_t msgsz;
};

static int fail(struct perr *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct perr *e, const char *field, const char *fmt, ...)
{
    va_list ap;
    snprintf(e->field, e->fieldsz, "%s", field);
    va_start(ap, fmt);
    vsnprintf(e->msg, e->msgsz, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *const bands[] = {"green", "yellow", "red", NULL};
static const char *const tiers[] = {"high", "low", "tech", NULL};
static const char *const task_types[] = {"call", "meeting", "email", "review", "other", NULL};
static const char *const contact_roles[] = {"decision_maker", "champion", "admin", "user", NULL};

static const char *const trigger_names[] = {
    [PB_HEALTH_BAND_CHANGED] = "health_band_changed",
    [PB_PHASE_ENTERED] = "phase_entered",
    [PB_RENEWAL_WITHIN] = "renewal_within",
    [PB_INACTIVE_FOR] = "inactive_for",
    [PB_NPS_DETRACTOR] = "nps_detractor",
    [PB_EVENT_SEEN] = "event_seen",
    [PB_MILESTONE_OVERDUE] = "milestone_overdue",
    [PB_SEATS_USED] = "seats_used",
    NULL,
};

/* The parameters each trigger type accepts (besides "type"). */
static const char *const trigger_params[][4] = {
    [PB_HEALTH_BAND_CHANGED] = {"from", "to", NULL},
    [PB_PHASE_ENTERED] = {"phase", "within_days", NULL},
    [PB_RENEWAL_WITHIN] = {"days", NULL},
    [PB_INACTIVE_FOR] = {"days", NULL},
    [PB_NPS_DETRACTOR] = {"max_score", "within_days", NULL},
    [PB_EVENT_SEEN] = {"name", "count", "window_days", NULL},
    [PB_MILESTONE_OVERDUE] = {"phase", NULL},
    [PB_SEATS_USED] = {"min_percent", NULL},
};

static const char *const action_names[] = {
    [PB_CREATE_TASK] = "create_task",
    [PB_SET_FIELD] = "set_field",
    [PB_CALL_WEBHOOK] = "call_webhook",
    [PB_SEND_EMAIL] = "send_email",
    NULL,
};

static const char *const action_params[][6] = {
    [PB_CREATE_TASK] = {"title", "task_type", "due_in_days", "assignee", NULL},
    [PB_SET_FIELD] = {"field", "value", NULL},
    [PB_CALL_WEBHOOK] = {"url", "payload", "secret", NULL},
    [PB_SEND_EMAIL] = {"to", "template_id", "subject", "body", NULL},
};

static int index_of(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return i;
    return -1;
}

/* The placeholders templates may use (docs/playbooks.md). */
static const char *const placeholders[] = {
    "account.id", "account.name", "account.tier", "account.phase", "account.renewal_date",
    "account.health_score", "account.health_band", "account.owner", "owner.name", "owner.email",
    "playbook.id", "playbook.name", "trigger", "contact.name", "contact.email", "health.score",
    "health.band", "renewal_date", NULL,
};

bool pb_placeholder_known(const char *name, size_t len)
{
    for (size_t i = 0; placeholders[i]; i++)
        if (strlen(placeholders[i]) == len && memcmp(placeholders[i], name, len) == 0)
            return true;
    return false;
}

/* Checks every {{...}} of s names a known placeholder. */
static int check_template(struct perr *e, const char *path, const char *s)
{
    const char *p = s;
    while ((p = strstr(p, "{{"))) {
        const char *q = strstr(p + 2, "}}");
        if (!q)
            return fail(e, path, "'%s' has a '{{' without its '}}'", path);
        const char *a = p + 2, *b = q;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (!pb_placeholder_known(a, (size_t)(b - a)))
            return fail(e, path, "'%s' uses the unknown placeholder {{%.*s}}", path,
                        (int)(q - p - 2 > 60 ? 60 : q - p - 2), p + 2);
        p = q + 2;
    }
    return 0;
}

int pb_check_template(const char *path, const char *s, char *msg, size_t msgsz)
{
    char field[8];
    struct perr e = {field, sizeof(field), msg, msgsz};
    return check_template(&e, path, s);
}

/* A string of 1..maxlen bytes without NUL, not only spaces. */
static int get_str(struct perr *e, json_t *o, const char *key, const char *path, bool required,
                   size_t maxlen, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) {
        if (required)
            return fail(e, path, "'%s' is required", path);
        return 0;
    }
    if (!json_is_string(v))
        return fail(e, path, "'%s' must be a string", path);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len)
        return fail(e, path, "'%s' may not contain NUL characters", path);
    if (len > maxlen)
        return fail(e, path, "'%s' is longer than %zu bytes", path, maxlen);
    if (strspn(s, " \t\r\n") == len)
        return fail(e, path, "'%s' may not be empty", path);
    *out = s;
    return 0;
}

static int get_int(struct perr *e, json_t *o, const char *key, const char *path, bool required,
                   int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    *out = dflt;
    if (!v) {
        if (required)
            return fail(e, path, "'%s' is required", path);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail(e, path, "'%s' must be an integer from %lld to %lld", path, (long long)min,
                    (long long)max);
    *out = json_integer_value(v);
    return 0;
}

static int get_enum(struct perr *e, json_t *o, const char *key, const char *path, bool required,
                    const char *const *allowed, const char **out)
{
    if (get_str(e, o, key, path, required, 64, out))
        return -1;
    if (*out && index_of(*out, allowed) < 0) {
        char list[200] = "";
        for (size_t i = 0; allowed[i]; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                     allowed[i]);
        return fail(e, path, "'%s' must be one of %s", path, list);
    }
    return 0;
}

static int known_keys(struct perr *e, json_t *o, const char *prefix, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (index_of(key, known) < 0) {
            char path[160];
            snprintf(path, sizeof(path), "%s%.100s", prefix, key);
            return fail(e, path, "'%s' is not a field you can set here (unknown or read-only)",
                        path);
        }
    }
    return 0;
}

static int parse_audience(struct perr *e, json_t *a, struct playbook *p)
{
    static const char *const known[] = {"tier", "segment_id", NULL};
    const char *tier;
    int64_t seg;
    if (!json_is_object(a))
        return fail(e, "audience", "'audience' must be an object: {}, {\"tier\"} or "
                                   "{\"segment_id\"}");
    if (known_keys(e, a, "audience.", known))
        return -1;
    if (json_object_size(a) > 1)
        return fail(e, "audience.segment_id", "'audience' takes either tier or segment_id");
    if (get_enum(e, a, "tier", "audience.tier", false, tiers, &tier) ||
        get_int(e, a, "segment_id", "audience.segment_id", false, 1, INT64_MAX, 0, &seg))
        return -1;
    snprintf(p->audience_tier, sizeof(p->audience_tier), "%s", tier ? tier : "");
    p->audience_segment = seg;
    return 0;
}

static int parse_trigger(struct perr *e, json_t *t, struct pb_trigger *out)
{
    const char *type, *s;
    struct pb_trigger tr;
    memset(&tr, 0, sizeof(tr));
    if (!json_is_object(t))
        return fail(e, "trigger", "'trigger' must be an object with a type");
    if (get_enum(e, t, "type", "trigger.type", true, trigger_names, &type))
        return -1;
    tr.type = (enum pb_trigger_type)index_of(type, trigger_names);
    const char *known[6] = {"type"};
    for (size_t i = 0; trigger_params[tr.type][i]; i++)
        known[i + 1] = trigger_params[tr.type][i];
    if (known_keys(e, t, "trigger.", known))
        return -1;
    switch (tr.type) {
    case PB_HEALTH_BAND_CHANGED:
        if (get_enum(e, t, "from", "trigger.from", false, bands, &s))
            return -1;
        snprintf(tr.from, sizeof(tr.from), "%s", s ? s : "");
        if (get_enum(e, t, "to", "trigger.to", false, bands, &s))
            return -1;
        snprintf(tr.to, sizeof(tr.to), "%s", s ? s : "");
        if (tr.from[0] && strcmp(tr.from, tr.to) == 0)
            return fail(e, "trigger.to", "'trigger.to' must differ from 'trigger.from'");
        break;
    case PB_PHASE_ENTERED:
        if (get_str(e, t, "phase", "trigger.phase", true, 64, &s) ||
            get_int(e, t, "within_days", "trigger.within_days", false, 1, 365, 7, &tr.days))
            return -1;
        snprintf(tr.phase, sizeof(tr.phase), "%s", s);
        break;
    case PB_RENEWAL_WITHIN:
        if (get_int(e, t, "days", "trigger.days", true, 0, 730, 0, &tr.days))
            return -1;
        break;
    case PB_INACTIVE_FOR:
        if (get_int(e, t, "days", "trigger.days", true, 0, 3650, 0, &tr.days))
            return -1;
        break;
    case PB_NPS_DETRACTOR:
        if (get_int(e, t, "max_score", "trigger.max_score", false, 0, 6, 6, &tr.max_score) ||
            get_int(e, t, "within_days", "trigger.within_days", false, 1, 365, 14, &tr.days))
            return -1;
        break;
    case PB_EVENT_SEEN:
        if (get_str(e, t, "name", "trigger.name", true, 200, &s) ||
            get_int(e, t, "count", "trigger.count", false, 1, 1000000000, 1, &tr.count) ||
            get_int(e, t, "window_days", "trigger.window_days", false, 1, 365, 7,
                    &tr.window_days))
            return -1;
        snprintf(tr.event, sizeof(tr.event), "%s", s);
        break;
    case PB_MILESTONE_OVERDUE:
        if (get_str(e, t, "phase", "trigger.phase", false, 64, &s))
            return -1;
        snprintf(tr.phase, sizeof(tr.phase), "%s", s ? s : "");
        break;
    case PB_SEATS_USED:
        if (get_int(e, t, "min_percent", "trigger.min_percent", true, 1, 1000, 0,
                    &tr.min_percent))
            return -1;
        break;
    }
    *out = tr;
    return 0;
}

/* Checks every string inside v (a webhook payload) as a template. */
static int check_json_templates(struct perr *e, const char *path, json_t *v, int depth)
{
    if (depth > 16)
        return fail(e, path, "'%s' is nested too deeply", path);
    if (json_is_string(v))
        return check_template(e, path, json_string_value(v));
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            char sub[200];
            snprintf(sub, sizeof(sub), "%s.%.60s", path, k);
            if (check_json_templates(e, sub, x, depth + 1))
                return -1;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char sub[200];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (check_json_templates(e, sub, x, depth + 1))
                return -1;
        }
    }
    return 0;
}

static int parse_action(struct perr *e, json_t *a, size_t i)
{
    char pre[40], path[200];
    const char *type, *s;
    int64_t n;
    snprintf(pre, sizeof(pre), "actions[%zu].", i);
#define P(k) (snprintf(path, sizeof(path), "%s%s", pre, k), path)
    if (!json_is_object(a))
        return fail(e, (snprintf(path, sizeof(path), "actions[%zu]", i), path),
                    "'%s' must be an object with a type", path);
    if (get_enum(e, a, "type", P("type"), true, action_names, &type))
        return -1;
    int t = index_of(type, action_names);
    const char *known[8] = {"type"};
    for (size_t k = 0; action_params[t][k]; k++)
        known[k + 1] = action_params[t][k];
    if (known_keys(e, a, pre, known))
        return -1;
    switch ((enum pb_action_type)t) {
    case PB_CREATE_TASK: {
        if (get_str(e, a, "title", P("title"), true, 500, &s) || check_template(e, path, s) ||
            get_enum(e, a, "task_type", P("task_type"), false, task_types, &s) ||
            get_int(e, a, "due_in_days", P("due_in_days"), false, 0, 365, 0, &n))
            return -1;
        json_t *as = json_object_get(a, "assignee");
        if (as && !(json_is_string(as) && strcmp(json_string_value(as), "owner") == 0) &&
            !(json_is_integer(as) && json_integer_value(as) > 0))
            return fail(e, P("assignee"), "'%s' must be \"owner\" or a user id", path);
        break;
    }
    case PB_SET_FIELD: {
        if (get_str(e, a, "field", P("field"), true, 200, &s))
            return -1;
        json_t *v = json_object_get(a, "value");
        if (!v)
            return fail(e, P("value"), "'%s' is required (null clears the field)", P("value"));
        if (strcmp(s, "tier") == 0) {
            if (!json_is_null(v) &&
                !(json_is_string(v) && index_of(json_string_value(v), tiers) >= 0))
                return fail(e, P("value"), "'%s' must be high, low, tech or null (computed "
                                           "from ARR)", path);
        } else if (strncmp(s, "custom.", 7) == 0 && s[7]) {
            if (strlen(s + 7) > 100)
                return fail(e, P("field"), "'%s' names a custom field longer than 100 bytes",
                            path);
            if (!(json_is_null(v) || json_is_string(v) || json_is_number(v) ||
                  json_is_boolean(v)))
                return fail(e, P("value"), "'%s' must be a string, number, boolean or null",
                            path);
            if (json_is_string(v) && (json_string_length(v) > 10000 ||
                                      check_template(e, P("value"), json_string_value(v))))
                return json_string_length(v) > 10000
                           ? fail(e, P("value"), "'%s' is longer than 10000 bytes", path)
                           : -1;
        } else {
            return fail(e, P("field"), "'%s' must be \"tier\" or \"custom.<name>\"", path);
        }
        break;
    }
    case PB_CALL_WEBHOOK: {
        if (get_str(e, a, "url", P("url"), true, 2000, &s))
            return -1;
        bool clean = true; /* no spaces or control characters */
        for (const unsigned char *c = (const unsigned char *)s; *c; c++)
            clean = clean && *c > ' ' && *c != 0x7f;
        size_t sl = strncmp(s, "http://", 7) == 0 ? 7 : strncmp(s, "https://", 8) == 0 ? 8 : 0;
        if (!sl || !s[sl] || s[sl] == '/' || !clean)
            return fail(e, path, "'%s' must be an http:// or https:// URL", path);
        json_t *v = json_object_get(a, "payload");
        if (!v)
            return fail(e, P("payload"), "'%s' is required: the JSON to post, e.g. "
                                         "{\"text\": \"...\"} for Slack", path);
        if (!json_is_object(v))
            return fail(e, P("payload"), "'%s' must be a JSON object", path);
        if (check_json_templates(e, P("payload"), v, 0))
            return -1;
        if (get_str(e, a, "secret", P("secret"), false, 200, &s))
            return -1;
        if (s) {
            bool printable = strlen(s) >= 16;
            for (const unsigned char *c = (const unsigned char *)s; *c; c++)
                printable = printable && *c > ' ' && *c < 0x7f;
            if (!printable)
                return fail(e, path, "'%s' must be 16 to 200 printable ASCII characters "
                                     "without spaces (omit it and the server makes one)", path);
        }
        break;
    }
    case PB_SEND_EMAIL: {
        if (get_str(e, a, "to", P("to"), true, 64, &s))
            return -1;
        if (strcmp(s, "owner") != 0 &&
            !(strncmp(s, "role:", 5) == 0 && index_of(s + 5, contact_roles) >= 0))
            return fail(e, path, "'%s' must be owner or role:decision_maker|champion|admin|"
                                 "user", path);
        json_t *tid = json_object_get(a, "template_id");
        if (tid) {
            if (!json_is_integer(tid) || json_integer_value(tid) <= 0)
                return fail(e, P("template_id"), "'%s' must be an email template id", path);
            if (json_object_get(a, "subject") || json_object_get(a, "body"))
                return fail(e, json_object_get(a, "subject") ? P("subject") : P("body"),
                            "'%s' cannot be given with a template_id (the template has it)",
                            path);
            break;
        }
        if (get_str(e, a, "subject", P("subject"), true, 500, &s) ||
            check_template(e, path, s) ||
            get_str(e, a, "body", P("body"), true, 100000, &s) || check_template(e, path, s))
            return -1;
        break;
    }
    }
#undef P
    return 0;
}

int pb_parse(json_t *root, struct playbook *p, bool partial, char *field, size_t fieldsz,
             char *msg, size_t msgsz)
{
    static const char *const known[] = {"name",    "enabled",       "audience", "trigger",
                                        "actions", "cooldown_days", NULL};
    struct perr e = {field, fieldsz, msg, msgsz};
    const char *name;
    json_t *v;
    if (known_keys(&e, root, "", known))
        return -1;
    if (get_str(&e, root, "name", "name", !partial, 200, &name))
        return -1;
    v = json_object_get(root, "enabled");
    if (v && !json_is_boolean(v))
        return fail(&e, "enabled", "'enabled' must be true or false");
    if ((v = json_object_get(root, "audience")) && parse_audience(&e, v, p))
        return -1;
    if (!v && !partial) {
        p->audience_tier[0] = '\0';
        p->audience_segment = 0;
    }
    v = json_object_get(root, "trigger");
    if (!v && !partial)
        return fail(&e, "trigger", "'trigger' is required");
    if (v && parse_trigger(&e, v, &p->trigger))
        return -1;
    json_t *acts = json_object_get(root, "actions");
    if (!acts && !partial)
        return fail(&e, "actions", "'actions' is required");
    if (acts) {
        if (!json_is_array(acts) || json_array_size(acts) < 1 || json_array_size(acts) > 20)
            return fail(&e, "actions", "'actions' must be an array of 1 to 20 actions");
        size_t i;
        json_t *a;
        json_array_foreach(acts, i, a) {
            if (parse_action(&e, a, i))
                return -1;
        }
    }
    int64_t cd;
    if (get_int(&e, root, "cooldown_days", "cooldown_days", false, 1, 3650,
                partial ? p->cooldown_days : 30, &cd))
        return -1;
    /* Valid: apply. */
    p->cooldown_days = cd;
    if (name) {
        free(p->name);
        p->name = xstrdup(name);
    }
    if ((v = json_object_get(root, "enabled")))
        p->enabled = json_is_true(v);
    if ((v = json_object_get(root, "audience"))) {
        json_decref(p->audience);
        p->audience = json_deep_copy(v);
    } else if (!p->audience) {
        p->audience = json_object();
    }
    if ((v = json_object_get(root, "trigger"))) {
        json_decref(p->trigger_json);
        p->trigger_json = json_deep_copy(v);
    }
    if (acts) {
        json_t *copy = json_deep_copy(acts);
        /* A webhook without a secret keeps the one its action had (same place, same URL),
         * or gets a new one. */
        size_t i;
        json_t *a;
        json_array_foreach(copy, i, a) {
            if (!str_eq(json_string_value(json_object_get(a, "type")), "call_webhook") ||
                json_object_get(a, "secret"))
                continue;
            json_t *old = json_array_get(p->actions, i);
            json_t *os = json_object_get(old, "secret");
            if (json_is_string(os) && str_eq(json_string_value(json_object_get(old, "url")),
                                             json_string_value(json_object_get(a, "url")))) {
                json_object_set(a, "secret", os);
            } else {
                char *secret = token_new("whsec_");
                json_object_set_new(a, "secret", json_string(secret));
                free(secret);
            }
        }
        json_decref(p->actions);
        p->actions = copy;
    }
    return 0;
}

int pb_load(struct playbook *p, const char *audience, const char *trigger, const char *actions)
{
    char field[200], msg[300];
    struct perr e = {field, sizeof(field), msg, sizeof(msg)};
    p->audience = json_loads(audience ? audience : "{}", 0, NULL);
    p->trigger_json = json_loads(trigger ? trigger : "", 0, NULL);
    p->actions = json_loads(actions ? actions : "", 0, NULL);
    if (!p->audience || !p->trigger_json || !p->actions)
        return -1;
    if (parse_audience(&e, p->audience, p) || parse_trigger(&e, p->trigger_json, &p->trigger))
        return -1;
    return 0;
}

json_t *pb_to_json(const struct playbook *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "name", json_string(p->name ? p->name : ""));
    json_object_set_new(o, "enabled", json_boolean(p->enabled));
    json_object_set(o, "audience", p->audience ? p->audience : json_object());
    json_object_set(o, "trigger", p->trigger_json);
    json_object_set(o, "actions", p->actions);
    json_object_set_new(o, "cooldown_days", json_integer(p->cooldown_days));
    json_object_set_new(o, "created_at", json_string(p->created_at));
    json_object_set_new(o, "updated_at", json_string(p->updated_at));
    return o;
}

/* ------------------------------------------------------------ triggers */

static int64_t secs(const char *t)
{
    int64_t v;
    if (!t || time_parse(t, &v))
        return -1;
    return v;
}

json_t *pb_trigger_fires(const struct pb_trigger *t, const struct pb_facts *f, int64_t now)
{
    char sum[300];
    int64_t today = now / 86400;
    switch (t->type) {
    case PB_HEALTH_BAND_CHANGED:
        if (!f->band || !f->prev_band || strcmp(f->band, f->prev_band) == 0)
            return NULL;
        if ((t->from[0] && strcmp(t->from, f->prev_band) != 0) ||
            (t->to[0] && strcmp(t->to, f->band) != 0))
            return NULL;
        snprintf(sum, sizeof(sum), "health %s → %s", f->prev_band, f->band);
        return json_pack("{s:s, s:s, s:s}", "summary", sum, "from", f->prev_band, "to", f->band);
    case PB_PHASE_ENTERED: {
        int64_t at = secs(f->entered_at);
        if (!f->phase || strcmp(f->phase, t->phase) != 0 || at < 0 || at > now ||
            now - at > t->days * 86400)
            return NULL;
        /* Each entry into the phase fires once: not when a run followed this entry. */
        if (f->last_fired_at && secs(f->last_fired_at) >= at)
            return NULL;
        snprintf(sum, sizeof(sum), "entered %s on %.10s", f->phase, f->entered_at);
        return json_pack("{s:s, s:s, s:s}", "summary", sum, "phase", f->phase, "entered_at",
                         f->entered_at);
    }
    case PB_RENEWAL_WITHIN: {
        if (!f->renewal_date || date_valid(f->renewal_date))
            return NULL;
        int64_t left = date_to_days(f->renewal_date) - today;
        if (left < 0 || left > t->days)
            return NULL;
        snprintf(sum, sizeof(sum), "renewal on %s, in %lld days", f->renewal_date,
                 (long long)left);
        return json_pack("{s:s, s:s, s:I}", "summary", sum, "renewal_date", f->renewal_date,
                         "days_left", (json_int_t)left);
    }
    case PB_INACTIVE_FOR: {
        /* Never seen: inactive since the account was created. */
        int64_t at = secs(f->last_seen_at ? f->last_seen_at : f->created_at);
        if (at < 0)
            return NULL;
        int64_t days = journey_days(at, now);
        if (days < t->days)
            return NULL;
        if (f->last_seen_at)
            snprintf(sum, sizeof(sum), "no activity for %lld days", (long long)days);
        else
            snprintf(sum, sizeof(sum), "never seen, created %lld days ago", (long long)days);
        return json_pack("{s:s, s:o, s:I}", "summary", sum, "last_seen_at",
                         f->last_seen_at ? json_string(f->last_seen_at) : json_null(),
                         "days_inactive", (json_int_t)days);
    }
    case PB_NPS_DETRACTOR: {
        if (f->nps_score < 0 || f->nps_score > t->max_score || !f->nps_at)
            return NULL;
        int64_t at = secs(f->nps_at);
        if (at < 0 || now - at > t->days * 86400)
            return NULL;
        if (f->last_fired_at && secs(f->last_fired_at) >= at)
            return NULL; /* already followed up */
        snprintf(sum, sizeof(sum), "NPS %lld", (long long)f->nps_score);
        return json_pack("{s:s, s:I, s:s}", "summary", sum, "score", (json_int_t)f->nps_score,
                         "recorded_at", f->nps_at);
    }
    case PB_EVENT_SEEN:
        if (f->count < t->count)
            return NULL;
        snprintf(sum, sizeof(sum), "%s seen %lld times in %lld days", t->event,
                 (long long)f->count, (long long)t->window_days);
        return json_pack("{s:s, s:s, s:I, s:I}", "summary", sum, "event", t->event, "count",
                         (json_int_t)f->count, "window_days", (json_int_t)t->window_days);
    case PB_MILESTONE_OVERDUE: {
        int64_t at = secs(f->entered_at);
        if (!f->phase || (t->phase[0] && strcmp(t->phase, f->phase) != 0) || at < 0 ||
            f->expected_days < 0 || f->open_required <= 0)
            return NULL;
        int64_t days = journey_days(at, now);
        bool overdue, overdue_2x; /* as the journey view says it */
        journey_overdue(days, f->expected_days, &overdue, &overdue_2x);
        if (!overdue)
            return NULL;
        snprintf(sum, sizeof(sum), "%lld days in %s (expected %lld), %lld required milestones "
                                   "open",
                 (long long)days, f->phase, (long long)f->expected_days,
                 (long long)f->open_required);
        return json_pack("{s:s, s:s, s:I, s:I, s:I}", "summary", sum, "phase", f->phase,
                         "days_in_phase", (json_int_t)days, "expected_days",
                         (json_int_t)f->expected_days, "open_required",
                         (json_int_t)f->open_required);
    }
    case PB_SEATS_USED: {
        if (f->seats <= 0 || f->active_users * 100 < t->min_percent * f->seats)
            return NULL;
        int64_t pct = f->active_users * 100 / f->seats;
        snprintf(sum, sizeof(sum), "%lld of %lld seats used (%lld%%)", (long long)f->active_users,
                 (long long)f->seats, (long long)pct);
        return json_pack("{s:s, s:I, s:I, s:I}", "summary", sum, "active_users",
                         (json_int_t)f->active_users, "seats", (json_int_t)f->seats, "percent",
                         (json_int_t)pct);
    }
    }
    return NULL;
}

bool pb_cooldown_over(const char *last_fired_at, int64_t cooldown_days, int64_t now)
{
    int64_t at = secs(last_fired_at);
    if (!last_fired_at || at < 0)
        return true;
    return now - at >= cooldown_days * 86400;
}

/* ------------------------------------------------------------ placeholders */

/* Appends v to b, HTML-escaped when html. */
static void put_value(struct buf *b, const char *v, size_t len, bool html)
{
    for (size_t i = 0; html && i < len; i++) {
        switch (v[i]) {
        case '&': buf_append(b, "&amp;", 5); break;
        case '<': buf_append(b, "&lt;", 4); break;
        case '>': buf_append(b, "&gt;", 4); break;
        case '"': buf_append(b, "&quot;", 6); break;
        case '\'': buf_append(b, "&#39;", 5); break;
        default: buf_append(b, v + i, 1);
        }
    }
    if (!html)
        buf_append(b, v, len);
}

static char *render(const char *tmpl, json_t *vars, bool html);

char *pb_render(const char *tmpl, json_t *vars)
{
    return render(tmpl, vars, false);
}

char *pb_render_html(const char *tmpl, json_t *vars)
{
    return render(tmpl, vars, true);
}

static char *render(const char *tmpl, json_t *vars, bool html)
{
    struct buf b;
    const char *p = tmpl;
    buf_init(&b, 0);
    for (;;) {
        const char *open = strstr(p, "{{");
        const char *close = open ? strstr(open + 2, "}}") : NULL;
        if (!close) {
            buf_append(&b, p, strlen(p));
            break;
        }
        buf_append(&b, p, (size_t)(open - p));
        const char *a = open + 2, *z = close;
        while (a < z && *a == ' ')
            a++;
        while (z > a && z[-1] == ' ')
            z--;
        char key[80];
        snprintf(key, sizeof(key), "%.*s", (int)(z - a < 79 ? z - a : 79), a);
        json_t *v = json_object_get(vars, key);
        if (json_is_string(v))
            put_value(&b, json_string_value(v), json_string_length(v), html);
        else if (json_is_integer(v))
            buf_printf(&b, "%lld", (long long)json_integer_value(v));
        p = close + 2;
    }
    return buf_steal(&b);
}
