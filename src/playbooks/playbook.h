/*
 * Playbooks' pure rules, over plain values (no SQL, no HTTP), so that each is unit-tested:
 * parsing and validating a playbook's JSON (every trigger and action with its parameters,
 * errors naming the JSON path), deciding whether a trigger fires for one account from the
 * facts the store found (and with what detail), and rendering {{placeholders}}.
 * playbooks/evaluate.c feeds them from the store. See docs/playbooks.md.
 */
#ifndef KZ_PLAYBOOKS_PLAYBOOK_H
#define KZ_PLAYBOOKS_PLAYBOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_trigger_type {
    PB_HEALTH_BAND_CHANGED = 0,
    PB_PHASE_ENTERED,
    PB_RENEWAL_WITHIN,
    PB_INACTIVE_FOR,
    PB_NPS_DETRACTOR,
    PB_EVENT_SEEN,
    PB_MILESTONE_OVERDUE,
    PB_SEATS_USED,
};

struct pb_trigger {
    enum pb_trigger_type type;
    char from[8], to[8];    /* HEALTH_BAND_CHANGED: "" = any */
    char phase[65];         /* PHASE_ENTERED (required), MILESTONE_OVERDUE ("" = any) */
    int64_t days;           /* RENEWAL_WITHIN, INACTIVE_FOR; PHASE_ENTERED/NPS_DETRACTOR: look-back */
    char event[201];        /* EVENT_SEEN */
    int64_t count;          /* EVENT_SEEN */
    int64_t window_days;    /* EVENT_SEEN */
    int64_t max_score;      /* NPS_DETRACTOR: 0..6, default 6 */
    int64_t min_percent;    /* SEATS_USED */
};

enum pb_action_type { PB_CREATE_TASK = 0, PB_SET_FIELD, PB_CALL_WEBHOOK, PB_SEND_EMAIL };

/* Actions stay JSON (validated by pb_parse): evaluate.c reads their fields. */
struct playbook {
    int64_t id;
    char *name;
    bool enabled;
    char audience_tier[5];  /* "" = none */
    int64_t audience_segment; /* 0 = none */
    struct pb_trigger trigger;
    json_t *audience;       /* owned references */
    json_t *trigger_json;
    json_t *actions;
    int64_t cooldown_days;
    char created_at[21];
    char updated_at[21];
};
void playbook_cleanup(struct playbook *p);

/*
 * Validates root ({"name","enabled","audience","trigger","actions","cooldown_days"}) and
 * fills *p (which holds the current values when partial is true: PATCH semantics, absent
 * fields stay). Returns 0, or -1 with field = the JSON path of the offending value
 * ("actions[1].due_in_days") and msg a sentence. p is left valid either way (cleanup it).
 */
int pb_parse(json_t *root, struct playbook *p, bool partial, char *field, size_t fieldsz,
             char *msg, size_t msgsz);
/* The API form of p; the caller owns it. */
json_t *pb_to_json(const struct playbook *p);
/* Re-reads p->trigger etc. from the stored JSON texts (store rows). Returns 0 or -1. */
int pb_load(struct playbook *p, const char *audience, const char *trigger, const char *actions);

/* What the store found about one account for a trigger. Strings are borrowed. */
struct pb_facts {
    const char *band;          /* current health band; NULL = not scored */
    const char *prev_band;     /* the last band seen before (NULL = none) */
    const char *phase;         /* current phase */
    const char *entered_at;    /* when the current phase was entered (RFC 3339) */
    const char *last_fired_at; /* this playbook's last run for the account; NULL = never */
    const char *renewal_date;  /* YYYY-MM-DD; NULL = none */
    const char *last_seen_at;  /* NULL = never seen */
    const char *created_at;    /* the account's creation */
    int64_t nps_score;         /* the lowest NPS answer considered; -1 = none */
    const char *nps_at;        /* when it was recorded */
    int64_t count;             /* EVENT_SEEN: events in the window */
    int64_t expected_days;     /* MILESTONE_OVERDUE: the phase's expectation; -1 = none */
    int64_t open_required;     /* MILESTONE_OVERDUE: required milestones still open */
    int64_t active_users;      /* SEATS_USED: distinct users in 30 days */
    int64_t seats;             /* SEATS_USED: -1 = no subscription */
};

/*
 * Whether t fires for an account with facts f at time now (unix seconds). Returns a new
 * JSON object with the detail (always a "summary" sentence plus the values that made it
 * fire; the caller owns it), or NULL when it does not fire.
 */
json_t *pb_trigger_fires(const struct pb_trigger *t, const struct pb_facts *f, int64_t now);

/* Whether a playbook with cooldown_days may fire again at now after last_fired_at (NULL =
 * never fired). */
bool pb_cooldown_over(const char *last_fired_at, int64_t cooldown_days, int64_t now);

/*
 * Renders template: each {{name}} is replaced by the value of vars (a JSON object of
 * strings/numbers; "account.name" etc. are flat keys), a missing one by "". Returns a heap
 * string the caller frees. pb_placeholder_known says whether a name is one that
 * PB_PLACEHOLDERS lists.
 */
char *pb_render(const char *tmpl, json_t *vars);
bool pb_placeholder_known(const char *name, size_t len);
/* pb_render for an HTML body: every value is HTML-escaped (& < > " '); the template's own
 * markup is kept. */
char *pb_render_html(const char *tmpl, json_t *vars);
/* Checks every {{...}} of s names a known placeholder. Returns 0, or -1 with msg (msgsz
 * bytes) naming path and the placeholder. */
int pb_check_template(const char *path, const char *s, char *msg, size_t msgsz);

#endif
