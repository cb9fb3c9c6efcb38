/*
 * Every API handler (one file per resource under src/api/) and the helpers they share:
 * pagination, cursors and the account write check that implements the role rules.
 */
#ifndef KZ_API_H
#define KZ_API_H

#include "http/http.h"
#include "store/store.h"

/* ---- shared helpers (api/common.c). Each replies and returns -1 on failure. */

#define API_LIMIT_DEFAULT 50
#define API_LIMIT_MAX 500
/* The timeline entry types (api/timeline.c), NULL-terminated. */
extern const char *const api_timeline_types[];

/* ?limit= (default 50, 1..500). */
int api_limit(struct req *r, int *limit);
/* An opaque cursor for the keyset (value, id); value may be NULL. Caller frees. */
char *api_cursor_encode(const char *value, int64_t id);
/* ?cursor= decoded; returns 0 with *has=false when absent; *value is heap (or NULL). */
int api_cursor(struct req *r, bool *has, char **value, int64_t *id);
/* 404 unless the account exists. */
int api_account_readable(struct req *r, int64_t account_id);
/* The role rule for writes: admin any account; csm accounts it owns or unassigned ones;
 * viewer none. 404 when the account does not exist, 403 when not allowed. */
int api_account_writable(struct req *r, int64_t account_id);

/* The account list filters and sort from the query string (owner=me|none|<id>, tier, phase,
 * industry, external_id, q, renewal_before, sort=[-]name|arr|renewal_date|created_at).
 * Strings point into the request. Replies 400 naming the parameter on bad input. */
int api_account_filter(struct req *r, struct account_filter *f);
/* Replies 400 naming field unless phase is a phase of the lifecycle in force (phase keys are
 * settings: /api/v1/settings/lifecycle). Returns 0, or -1 after replying. */
int api_phase_known(struct req *r, const char *field, const char *phase);
/* The JSON form of an account. */
json_t *api_account_json(const struct account *a);
/* Frees what api_account_filter allocated (the tree of ?segment=); f stays usable. */
void api_account_filter_cleanup(struct account_filter *f);
/* The filter tree of segment id into *out (caller frees with seg_node_free), for
 * ?segment=<id> on lists (the accounts list; metrics). Replies 400 naming field when there
 * is no such segment. Returns 0, or -1 after replying. */
int api_segment_filter(struct req *r, const char *field, int64_t id, struct seg_node **out);

/* ---- handlers */
int api_healthz(struct req *r);
int api_metrics(struct req *r);

int api_session_create(struct req *r);
int api_session_get(struct req *r);
int api_session_delete(struct req *r);

int api_users_list(struct req *r);
int api_users_create(struct req *r);
int api_users_get(struct req *r);
int api_users_update(struct req *r);
int api_users_delete(struct req *r);

int api_tokens_list(struct req *r);
int api_tokens_create(struct req *r);
int api_tokens_delete(struct req *r);

int api_accounts_list(struct req *r);
int api_accounts_create(struct req *r);
int api_accounts_get(struct req *r);
int api_accounts_update(struct req *r);
int api_accounts_delete(struct req *r);
int api_accounts_export_csv(struct req *r);

int api_contacts_list(struct req *r);
int api_contacts_create(struct req *r);
int api_contacts_get(struct req *r);
int api_contacts_update(struct req *r);
int api_contacts_delete(struct req *r);

int api_subscription_get(struct req *r);
int api_subscription_put(struct req *r);
int api_subscription_history(struct req *r);

int api_timeline_list(struct req *r);
int api_timeline_create(struct req *r);
int api_timeline_get(struct req *r);
int api_timeline_update(struct req *r);
int api_timeline_delete(struct req *r);

int api_tasks_list(struct req *r);
int api_tasks_create(struct req *r);
int api_tasks_get(struct req *r);
int api_tasks_update(struct req *r);
int api_tasks_delete(struct req *r);

int api_settings_tiers_get(struct req *r);
int api_settings_tiers_put(struct req *r);
int api_settings_ingest_get(struct req *r);
int api_settings_ingest_put(struct req *r);

int api_import_accounts(struct req *r);

/* Segment-compatible tracking (api/track.c). */
int api_track_batch(struct req *r);
int api_track_track(struct req *r);
int api_track_identify(struct req *r);
int api_track_group(struct req *r);
int api_track_page(struct req *r);
int api_track_screen(struct req *r);
int api_track_alias(struct req *r);

/* Write keys, ingest errors, usage, raw events, key events (api/write_keys.c, api/usage.c). */
int api_write_keys_list(struct req *r);
int api_write_keys_create(struct req *r);
int api_write_keys_delete(struct req *r);
int api_ingest_errors(struct req *r);
int api_usage_get(struct req *r);
int api_events_list(struct req *r);
int api_settings_key_events_get(struct req *r);
int api_settings_key_events_put(struct req *r);

/* Health (api/health.c). */
int api_settings_health_model_get(struct req *r);
int api_settings_health_model_put(struct req *r);
int api_settings_health_model_preview(struct req *r);
int api_health_recompute(struct req *r);
int api_account_health_get(struct req *r);
int api_account_health_history(struct req *r);

/* Success plans, survey responses and CSM sentiment (api/goals.c, api/surveys.c,
 * api/import.c). */
int api_goals_list(struct req *r);
int api_goals_create(struct req *r);
int api_goals_get(struct req *r);
int api_goals_update(struct req *r);
int api_goals_delete(struct req *r);
int api_goal_values_list(struct req *r);
int api_goal_values_create(struct req *r);
int api_surveys_list(struct req *r);
int api_surveys_create(struct req *r);
int api_surveys_get(struct req *r);
int api_surveys_delete(struct req *r);
int api_sentiment_put(struct req *r);
int api_sentiment_delete(struct req *r);
int api_import_survey_responses(struct req *r);

/* The success journey (api/journey.c). */
int api_settings_lifecycle_get(struct req *r);
int api_settings_lifecycle_put(struct req *r);
int api_journey_get(struct req *r);
int api_journey_move(struct req *r);
int api_milestone_complete(struct req *r);
int api_milestone_reopen(struct req *r);
int api_journey_evaluate(struct req *r);

/* Revenue and customer success KPIs (api/metrics.c, api/metrics_cs.c). */
int api_metrics_mrr(struct req *r);
int api_metrics_movements(struct req *r);
int api_metrics_retention(struct req *r);
int api_metrics_churn(struct req *r);
int api_metrics_ltv(struct req *r);
int api_metrics_cohorts(struct req *r);
int api_metrics_renewals(struct req *r);
int api_metrics_journey(struct req *r);
int api_metrics_health(struct req *r);
int api_metrics_surveys(struct req *r);
int api_metrics_activity(struct req *r);
int api_settings_currency_get(struct req *r);
int api_settings_currency_put(struct req *r);

/* Segments (api/segments.c). */
int api_segments_list(struct req *r);
int api_segments_create(struct req *r);
int api_segments_preview(struct req *r);
int api_segments_get(struct req *r);
int api_segments_update(struct req *r);
int api_segments_delete(struct req *r);
int api_segments_fields(struct req *r);
int api_segment_accounts(struct req *r);

/* Playbooks, their runs, the outbound queue and the email settings (api/playbooks.c). */
int api_playbooks_list(struct req *r);
int api_playbooks_create(struct req *r);
int api_playbooks_get(struct req *r);
int api_playbooks_update(struct req *r);
int api_playbooks_delete(struct req *r);
int api_playbook_runs(struct req *r);
int api_playbook_preview(struct req *r);
int api_playbooks_evaluate(struct req *r);
int api_outbound_list(struct req *r);
int api_settings_smtp_get(struct req *r);
int api_settings_smtp_put(struct req *r);

/* Email templates (api/email_templates.c). */
int api_email_templates_list(struct req *r);
int api_email_templates_create(struct req *r);
int api_email_templates_get(struct req *r);
int api_email_templates_update(struct req *r);
int api_email_templates_delete(struct req *r);
int api_email_template_preview(struct req *r);

/* The cockpit, the activity feed and the team (api/cockpit.c). */
int api_cockpit_get(struct req *r);
int api_activity_list(struct req *r);
int api_team_list(struct req *r);

#endif
