/*
 * Playbook evaluation on top of the store: for one playbook, one grouped read over all
 * accounts (store_playbook_candidates), the pure trigger decision and the cooldown for each
 * row, then for each firing, in one transaction, its actions (tasks and fields at once,
 * webhooks and emails into the outbound queue) and its run record. A process-wide lock makes
 * evaluations (scheduler, API) run one at a time, so that two never fire the same thing.
 */
#ifndef KZ_PLAYBOOKS_EVALUATE_H
#define KZ_PLAYBOOKS_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>

#include "playbooks/playbook.h"
#include "store/playbooks.h"
#include "store/store.h"

/*
 * Evaluates p now. preview: fires nothing, changes nothing, and appends to hits (a JSON
 * array, may be NULL otherwise) one {"account_id","account_name","detail"} per account it
 * would fire for. *fired (when non-NULL) gets the number of firings (or would-be firings).
 */
int playbook_evaluate(struct store *st, const struct playbook *p, bool preview, json_t *hits,
                      size_t *fired);

/* Evaluates every enabled playbook (the scheduler's pass and POST /playbooks/evaluate). */
int playbooks_evaluate_all(struct store *st, size_t *fired);

/* Evaluates every enabled playbook for the n accounts ids only (the scheduler's touched
 * accounts, after their journey and health): the same triggers, cooldowns and run records
 * as playbooks_evaluate_all, each read restricted to those accounts. */
int playbooks_evaluate_accounts(struct store *st, const int64_t *ids, size_t n, size_t *fired);

/* A playbook from its stored row (p takes r's name; playbook_cleanup); KZ_EINVAL when its
 * JSON does not parse. */
int playbook_from_rec(struct playbook_rec *r, struct playbook *p);
/* Loads playbook id from the store into *p (playbook_cleanup); KZ_EDB when it does not parse. */
int playbook_load(struct store *st, int64_t id, struct playbook *p);

/* The placeholder values of a rendering for account c (playbook.c's list, flat keys); p and
 * detail may be NULL (a template preview: no playbook, no trigger). The caller owns it. */
json_t *playbook_vars(const struct playbook *p, const struct pb_candidate *c, json_t *detail);

/* Renders an email into msg: "subject" (one line), "body_text" (values as they are) and,
 * when body_html is not NULL, "body_html" (values HTML-escaped). Returns 0. */
int email_render(const char *subject, const char *body_text, const char *body_html, json_t *vars,
                 json_t *msg);

/* The idempotency key of an outbound message: what produced it (playbook, account, the run's
 * time in unix seconds, the action's index, the recipient or NULL). */
#define OUTBOUND_KEY_MAX 120
void outbound_key(char out[static OUTBOUND_KEY_MAX], int64_t playbook_id, int64_t account_id,
                  int64_t fired_at, size_t action, const char *recipient);

#endif
