/*
 * The lifecycle settings: parsing and validation of the JSON an admin saves at
 * PUT /api/v1/settings/lifecycle, the defaults drawn from the seeds, and the canonical JSON
 * written back. Every error names the path of the offending field. No SQL, no HTTP.
 */
#include "journey/lifecycle.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* The defaults (docs/journey.md explains each choice). */
static const char default_json[] =
    "{\"phases\":["
    "{\"key\":\"onboarding\",\"label_ja\":\"導入期\",\"label_en\":\"Onboarding\","
    "\"expected_days\":90,\"milestones\":["
    "{\"key\":\"initial_setup\",\"label_ja\":\"初期設定\",\"label_en\":\"Initial setup\","
    "\"required\":true,\"criterion\":{\"type\":\"event_count\",\"event\":\"Setup Completed\","
    "\"count\":1}},"
    "{\"key\":\"basic_understanding\",\"label_ja\":\"基礎理解\","
    "\"label_en\":\"Basic understanding\",\"required\":true},"
    "{\"key\":\"hands_on_mastery\",\"label_ja\":\"操作習得\",\"label_en\":\"Hands-on mastery\","
    "\"required\":true,\"criterion\":{\"type\":\"active_users\",\"seat_share\":0.3}}]},"
    "{\"key\":\"adoption\",\"label_ja\":\"定着期\",\"label_en\":\"Adoption\","
    "\"expected_days\":180,\"milestones\":["
    "{\"key\":\"habitual_use\",\"label_ja\":\"運用習慣化\",\"label_en\":\"Habitual use\","
    "\"required\":true,\"criterion\":{\"type\":\"event_count\",\"event\":\"Signed In\","
    "\"count\":20,\"within_days\":30}},"
    "{\"key\":\"proficiency\",\"label_ja\":\"活用習熟\",\"label_en\":\"Proficiency\","
    "\"required\":false},"
    "{\"key\":\"user_spread\",\"label_ja\":\"利用者浸透\",\"label_en\":\"Spread across users\","
    "\"required\":true,\"criterion\":{\"type\":\"active_users\",\"seat_share\":0.5}}]},"
    "{\"key\":\"expansion\",\"label_ja\":\"拡大・更新期\",\"label_en\":\"Expansion and renewal\","
    "\"expected_days\":null,\"milestones\":["
    "{\"key\":\"value_realised\",\"label_ja\":\"成果実感\",\"label_en\":\"Value realised\","
    "\"required\":true,\"value\":true},"
    "{\"key\":\"renewal\",\"label_ja\":\"契約更新\",\"label_en\":\"Renewal\",\"required\":true,"
    "\"criterion\":{\"type\":\"subscription\",\"condition\":\"renewed\"}},"
    "{\"key\":\"expansion\",\"label_ja\":\"利用拡大\",\"label_en\":\"Expansion\","
    "\"required\":false,\"criterion\":{\"type\":\"subscription\",\"condition\":\"grew\"}}]},"
    "{\"key\":\"churned\",\"label_ja\":\"解約\",\"label_en\":\"Churned\",\"terminal\":true,"
    "\"expected_days\":null,\"milestones\":[]}"
    "]}";

const char *lifecycle_default_json(void)
{
    return default_json;
}

/* ------------------------------------------------------------ cleanup */

static void criterion_cleanup(struct lc_criterion *c)
{
    free(c->event);
    memset(c, 0, sizeof(*c));
}

void lifecycle_cleanup(struct lifecycle *lc)
{
    if (!lc)
        return;
    for (size_t i = 0; i < lc->nphases; i++) {
        struct lc_phase *p = &lc->phases[i];
        for (size_t j = 0; j < p->nms; j++) {
            free(p->ms[j].key);
            free(p->ms[j].label_ja);
            free(p->ms[j].label_en);
            criterion_cleanup(&p->ms[j].crit);
        }
        free(p->ms);
        free(p->key);
        free(p->label_ja);
        free(p->label_en);
    }
    free(lc->phases);
    memset(lc, 0, sizeof(*lc));
}

/* ------------------------------------------------------------ parsing */

struct perr {
    char *field;
    size_t fieldsz;
    char *msg;
    size_t msgsz;
};

/* Records the error: field is path + "." + key (or path alone when key is NULL). */
static int fail(struct perr *e, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct perr *e, const char *path, const char *key, const char *fmt, ...)
{
    if (key && *path)
        snprintf(e->field, e->fieldsz, "%s.%s", path, key);
    else
        snprintf(e->field, e->fieldsz, "%s", key ? key : path);
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    snprintf(e->msg, e->msgsz, "'%s' %s", e->field, detail);
    return -1;
}

/* Fails naming the first member of obj that is not in known. */
static int known_only(struct perr *e, const char *path, json_t *obj, const char *const *known)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool ok = false;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = strcmp(k, known[i]) == 0;
        if (!ok) {
            char shown[80];
            snprintf(shown, sizeof(shown), "%.60s", k);
            return fail(e, path, shown, "is not a known field");
        }
    }
    return 0;
}

static bool key_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > LC_KEY_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* A required string member of 1..max bytes, not blank; *out a heap copy. */
static int get_str(struct perr *e, const char *path, json_t *obj, const char *key, size_t max,
                   char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return fail(e, path, key, "is required");
    if (!json_is_string(v))
        return fail(e, path, key, "must be a string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || blank(s))
        return fail(e, path, key, "must not be empty");
    if (n > max)
        return fail(e, path, key, "must be at most %zu bytes", max);
    if (strlen(s) != n)
        return fail(e, path, key, "must not contain NUL characters");
    *out = xstrdup(s);
    return 0;
}

static int get_key(struct perr *e, const char *path, json_t *obj, char **out)
{
    if (get_str(e, path, obj, "key", LC_KEY_MAX, out))
        return -1;
    if (!key_valid(*out)) {
        free(*out);
        *out = NULL;
        return fail(e, path, "key", "must be lowercase letters, digits and _, starting with a "
                                    "letter (at most %d)", LC_KEY_MAX);
    }
    return 0;
}

/* An optional boolean (absent or null: def). */
static int get_bool(struct perr *e, const char *path, json_t *obj, const char *key, bool def,
                    bool *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (!json_is_boolean(v))
        return fail(e, path, key, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

/* An integer in [min, max]; absent (or null when nullable) gives def. */
static int get_int(struct perr *e, const char *path, json_t *obj, const char *key, bool required,
                   int64_t min, int64_t max, int64_t def, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return fail(e, path, key, "is required");
        *out = def;
        return 0;
    }
    if (!json_is_integer(v))
        return fail(e, path, key, "must be an integer");
    int64_t n = json_integer_value(v);
    if (n < 0 && min >= 0)
        return fail(e, path, key, "must not be negative");
    if (n < min || n > max)
        return fail(e, path, key, "must be between %lld and %lld", (long long)min,
                    (long long)max);
    *out = n;
    return 0;
}

static int parse_criterion(struct perr *e, const char *path, json_t *c, struct lc_criterion *out)
{
    static const char *const k_event[] = { "type", "event", "count", "within_days", NULL };
    static const char *const k_users[] = { "type", "count", "seat_share", NULL };
    static const char *const k_survey[] = { "type", "survey", NULL };
    static const char *const k_sub[] = { "type", "condition", NULL };
    memset(out, 0, sizeof(*out));
    if (!c || json_is_null(c))
        return 0;
    if (!json_is_object(c))
        return fail(e, path, NULL, "must be an object or null");
    json_t *t = json_object_get(c, "type");
    if (!t || json_is_null(t))
        return fail(e, path, "type", "is required");
    const char *type = json_string_value(t);
    if (!type)
        return fail(e, path, "type", "must be a string");
    if (strcmp(type, "event_count") == 0) {
        out->type = LC_CRIT_EVENT_COUNT;
        if (known_only(e, path, c, k_event) ||
            get_str(e, path, c, "event", LC_EVENT_MAX, &out->event) ||
            get_int(e, path, c, "count", false, 1, 1000000000, 1, &out->count) ||
            get_int(e, path, c, "within_days", false, 1, LC_DAYS_MAX, 0, &out->within_days))
            goto bad;
        return 0;
    }
    if (strcmp(type, "active_users") == 0) {
        out->type = LC_CRIT_ACTIVE_USERS;
        if (known_only(e, path, c, k_users))
            goto bad;
        json_t *cnt = json_object_get(c, "count"), *share = json_object_get(c, "seat_share");
        if (cnt && share)
            return fail(e, path, "seat_share", "cannot be given with 'count': use one");
        if (!cnt && !share)
            return fail(e, path, "count", "is required (or 'seat_share')");
        if (cnt)
            return get_int(e, path, c, "count", true, 1, 1000000, 0, &out->count);
        if (!json_is_number(share))
            return fail(e, path, "seat_share", "must be a number");
        double v = json_number_value(share);
        if (!(v > 0.0 && v <= 1.0))
            return fail(e, path, "seat_share", "must be greater than 0 and at most 1");
        out->seat_share = v;
        return 0;
    }
    if (strcmp(type, "survey_answered") == 0) {
        out->type = LC_CRIT_SURVEY;
        if (known_only(e, path, c, k_survey))
            goto bad;
        json_t *s = json_object_get(c, "survey");
        const char *v = json_string_value(s);
        if (!s)
            return fail(e, path, "survey", "is required");
        if (!v || !(strcmp(v, "nps") == 0 || strcmp(v, "csat") == 0 || strcmp(v, "ces") == 0))
            return fail(e, path, "survey", "must be nps, csat or ces");
        snprintf(out->survey, sizeof(out->survey), "%s", v);
        return 0;
    }
    if (strcmp(type, "subscription") == 0) {
        out->type = LC_CRIT_SUBSCRIPTION;
        if (known_only(e, path, c, k_sub))
            goto bad;
        json_t *s = json_object_get(c, "condition");
        const char *v = json_string_value(s);
        if (!s)
            return fail(e, path, "condition", "is required");
        if (v && strcmp(v, "renewed") == 0)
            out->condition = LC_SUB_RENEWED;
        else if (v && strcmp(v, "grew") == 0)
            out->condition = LC_SUB_GREW;
        else
            return fail(e, path, "condition", "must be renewed or grew");
        return 0;
    }
    return fail(e, path, "type", "must be event_count, active_users, survey_answered or "
                                 "subscription");
bad:
    criterion_cleanup(out);
    return -1;
}

static int parse_milestone(struct perr *e, const char *path, json_t *m, struct lc_milestone *out)
{
    static const char *const known[] = { "key", "label_ja", "label_en", "required", "value",
                                         "criterion", NULL };
    char cpath[160];
    if (!json_is_object(m))
        return fail(e, path, NULL, "must be an object");
    if (known_only(e, path, m, known) || get_key(e, path, m, &out->key) ||
        get_str(e, path, m, "label_ja", LC_LABEL_MAX, &out->label_ja) ||
        get_str(e, path, m, "label_en", LC_LABEL_MAX, &out->label_en) ||
        get_bool(e, path, m, "required", true, &out->required) ||
        get_bool(e, path, m, "value", false, &out->value))
        return -1;
    snprintf(cpath, sizeof(cpath), "%s.criterion", path);
    return parse_criterion(e, cpath, json_object_get(m, "criterion"), &out->crit);
}

static int parse_phase(struct perr *e, const char *path, json_t *p, struct lc_phase *out)
{
    static const char *const known[] = { "key", "label_ja", "label_en", "expected_days",
                                         "terminal", "milestones", NULL };
    char mpath[112];
    if (!json_is_object(p))
        return fail(e, path, NULL, "must be an object");
    if (known_only(e, path, p, known) || get_key(e, path, p, &out->key) ||
        get_str(e, path, p, "label_ja", LC_LABEL_MAX, &out->label_ja) ||
        get_str(e, path, p, "label_en", LC_LABEL_MAX, &out->label_en) ||
        get_int(e, path, p, "expected_days", false, 0, LC_DAYS_MAX, -1, &out->expected_days) ||
        get_bool(e, path, p, "terminal", false, &out->terminal))
        return -1;
    json_t *ms = json_object_get(p, "milestones");
    if (!ms || json_is_null(ms))
        return 0;
    if (!json_is_array(ms))
        return fail(e, path, "milestones", "must be an array");
    if (json_array_size(ms) > LC_MAX_MILESTONES_PER_PHASE)
        return fail(e, path, "milestones", "must have at most %d milestones",
                    LC_MAX_MILESTONES_PER_PHASE);
    out->ms = xcalloc(json_array_size(ms) + 1, sizeof(*out->ms));
    for (size_t j = 0; j < json_array_size(ms); j++) {
        snprintf(mpath, sizeof(mpath), "%s.milestones[%zu]", path, j);
        out->nms++;
        if (parse_milestone(e, mpath, json_array_get(ms, j), &out->ms[j]))
            return -1;
    }
    return 0;
}

/* The rules across phases: unique keys, one terminal phase and last, one value milestone. */
static int check_whole(struct perr *e, const struct lifecycle *lc)
{
    char path[128];
    size_t total = 0, nterminal = 0;
    const struct lc_milestone *value = NULL;
    for (size_t i = 0; i < lc->nphases; i++) {
        const struct lc_phase *p = &lc->phases[i];
        snprintf(path, sizeof(path), "phases[%zu]", i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(lc->phases[k].key, p->key) == 0)
                return fail(e, path, "key", "duplicates the key of phases[%zu] (%s)", k, p->key);
        if (p->terminal) {
            nterminal++;
            if (i != lc->nphases - 1)
                return fail(e, path, "terminal", "is only allowed on the last phase");
            if (p->nms)
                return fail(e, path, "milestones", "must be empty on the terminal phase");
            if (p->expected_days >= 0)
                return fail(e, path, "expected_days", "must be null on the terminal phase");
        }
        total += p->nms;
        if (total > LC_MAX_MILESTONES)
            return fail(e, path, "milestones", "brings the lifecycle past %d milestones",
                        LC_MAX_MILESTONES);
        for (size_t j = 0; j < p->nms; j++) {
            const struct lc_milestone *m = &p->ms[j];
            snprintf(path, sizeof(path), "phases[%zu].milestones[%zu]", i, j);
            for (size_t a = 0; a <= i; a++)
                for (size_t b = 0; b < lc->phases[a].nms && !(a == i && b == j); b++)
                    if (strcmp(lc->phases[a].ms[b].key, m->key) == 0)
                        return fail(e, path, "key", "duplicates the milestone key %s of "
                                                    "phases[%zu]", m->key, a);
            if (m->value) {
                if (value)
                    return fail(e, path, "value", "is already set on milestone %s: only one "
                                                  "value milestone is allowed", value->key);
                value = m;
            }
        }
    }
    if (nterminal == 0)
        return fail(e, "phases", NULL, "must end with one terminal phase (the churn phase, "
                                       "\"terminal\": true)");
    if (lc->nphases < 2)
        return fail(e, "phases", NULL, "must have at least one phase before the terminal one");
    return 0;
}

int lifecycle_parse(json_t *root, struct lifecycle *out, char *field, size_t fieldsz, char *msg,
                    size_t msgsz)
{
    static const char *const known[] = { "phases", NULL };
    struct perr e = { field, fieldsz, msg, msgsz };
    char path[64];
    memset(out, 0, sizeof(*out));
    if (!json_is_object(root))
        return fail(&e, "phases", NULL, "must be given in an object");
    if (known_only(&e, "", root, known))
        return -1;
    json_t *phases = json_object_get(root, "phases");
    if (!phases)
        return fail(&e, "phases", NULL, "is required");
    if (!json_is_array(phases))
        return fail(&e, "phases", NULL, "must be an array");
    size_t n = json_array_size(phases);
    if (n > LC_MAX_PHASES)
        return fail(&e, "phases", NULL, "must have at most %d phases", LC_MAX_PHASES);
    out->phases = xcalloc(n + 1, sizeof(*out->phases));
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "phases[%zu]", i);
        out->nphases++;
        if (parse_phase(&e, path, json_array_get(phases, i), &out->phases[i]))
            goto bad;
    }
    if (check_whole(&e, out))
        goto bad;
    return 0;
bad:
    lifecycle_cleanup(out);
    return -1;
}

void lifecycle_default(struct lifecycle *out)
{
    char field[128], msg[256];
    json_t *root = json_loads(default_json, 0, NULL);
    if (!root || lifecycle_parse(root, out, field, sizeof(field), msg, sizeof(msg))) {
        fprintf(stderr, "fatal: the default lifecycle is invalid: %s\n", root ? msg : "JSON");
        abort();
    }
    json_decref(root);
}

/* ------------------------------------------------------------ JSON out */

json_t *lifecycle_criterion_json(const struct lc_criterion *c)
{
    switch (c->type) {
    case LC_CRIT_EVENT_COUNT: {
        json_t *o = json_pack("{s:s, s:s, s:I}", "type", "event_count", "event", c->event,
                              "count", (json_int_t)c->count);
        if (c->within_days)
            json_object_set_new(o, "within_days", json_integer(c->within_days));
        return o;
    }
    case LC_CRIT_ACTIVE_USERS:
        if (c->count)
            return json_pack("{s:s, s:I}", "type", "active_users", "count", (json_int_t)c->count);
        return json_pack("{s:s, s:f}", "type", "active_users", "seat_share", c->seat_share);
    case LC_CRIT_SURVEY:
        return json_pack("{s:s, s:s}", "type", "survey_answered", "survey", c->survey);
    case LC_CRIT_SUBSCRIPTION:
        return json_pack("{s:s, s:s}", "type", "subscription", "condition",
                         c->condition == LC_SUB_GREW ? "grew" : "renewed");
    case LC_CRIT_NONE:
        break;
    }
    return json_null();
}

json_t *lifecycle_to_json(const struct lifecycle *lc)
{
    json_t *phases = json_array();
    for (size_t i = 0; i < lc->nphases; i++) {
        const struct lc_phase *p = &lc->phases[i];
        json_t *ms = json_array();
        for (size_t j = 0; j < p->nms; j++) {
            const struct lc_milestone *m = &p->ms[j];
            json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b}", "key", m->key, "label_ja",
                                  m->label_ja, "label_en", m->label_en, "required", m->required,
                                  "value", m->value);
            json_object_set_new(o, "criterion", lifecycle_criterion_json(&m->crit));
            json_array_append_new(ms, o);
        }
        json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "key", p->key, "label_ja", p->label_ja,
                              "label_en", p->label_en, "terminal", p->terminal);
        json_object_set_new(o, "expected_days",
                            p->expected_days >= 0 ? json_integer(p->expected_days) : json_null());
        json_object_set_new(o, "milestones", ms);
        json_array_append_new(phases, o);
    }
    json_t *root = json_object();
    json_object_set_new(root, "phases", phases);
    return root;
}

/* ------------------------------------------------------------ lookups */

int lifecycle_phase_index(const struct lifecycle *lc, const char *key)
{
    for (size_t i = 0; key && i < lc->nphases; i++)
        if (strcmp(lc->phases[i].key, key) == 0)
            return (int)i;
    return -1;
}

const struct lc_milestone *lifecycle_milestone(const struct lifecycle *lc, const char *key,
                                               int *phase)
{
    for (size_t i = 0; key && i < lc->nphases; i++)
        for (size_t j = 0; j < lc->phases[i].nms; j++)
            if (strcmp(lc->phases[i].ms[j].key, key) == 0) {
                if (phase)
                    *phase = (int)i;
                return &lc->phases[i].ms[j];
            }
    return NULL;
}

const struct lc_phase *lifecycle_first(const struct lifecycle *lc)
{
    return lc->nphases ? &lc->phases[0] : NULL;
}

const struct lc_phase *lifecycle_terminal(const struct lifecycle *lc)
{
    for (size_t i = 0; i < lc->nphases; i++)
        if (lc->phases[i].terminal)
            return &lc->phases[i];
    return NULL;
}

const struct lc_milestone *lifecycle_value_milestone(const struct lifecycle *lc)
{
    for (size_t i = 0; i < lc->nphases; i++)
        for (size_t j = 0; j < lc->phases[i].nms; j++)
            if (lc->phases[i].ms[j].value)
                return &lc->phases[i].ms[j];
    return NULL;
}
