/*
 * The route table: every route the server answers, its handler and the least role allowed.
 * docs/openapi.yaml must describe exactly these (tests/api/openapi.test.mjs checks it).
 */
#include "api/api.h"

#define R(m, p, h, ro, fl) { .method = m, .path = p, .handler = h, .role = ro, .flags = fl }

const struct route routes[] = {
    R("GET",    "/healthz",                                  api_healthz,            ROLE_NONE,   ROUTE_PUBLIC),
    R("GET",    "/metrics",                                  api_metrics,            ROLE_NONE,   ROUTE_PUBLIC),

    R("POST",   "/api/v1/session",                           api_session_create,     ROLE_NONE,   ROUTE_PUBLIC),
    R("GET",    "/api/v1/session",                           api_session_get,        ROLE_VIEWER, 0),
    R("DELETE", "/api/v1/session",                           api_session_delete,     ROLE_VIEWER, 0),

    R("GET",    "/api/v1/users",                             api_users_list,         ROLE_ADMIN,  0),
    R("POST",   "/api/v1/users",                             api_users_create,       ROLE_ADMIN,  0),
    R("GET",    "/api/v1/users/:id",                         api_users_get,          ROLE_ADMIN,  0),
    R("PATCH",  "/api/v1/users/:id",                         api_users_update,       ROLE_ADMIN,  0),
    R("DELETE", "/api/v1/users/:id",                         api_users_delete,       ROLE_ADMIN,  0),

    R("GET",    "/api/v1/tokens",                            api_tokens_list,        ROLE_VIEWER, 0),
    R("POST",   "/api/v1/tokens",                            api_tokens_create,      ROLE_VIEWER, 0),
    R("DELETE", "/api/v1/tokens/:id",                        api_tokens_delete,      ROLE_VIEWER, 0),

    R("GET",    "/api/v1/accounts",                          api_accounts_list,      ROLE_VIEWER, 0),
    R("POST",   "/api/v1/accounts",                          api_accounts_create,    ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts.csv",                      api_accounts_export_csv, ROLE_VIEWER, 0),
    R("GET",    "/api/v1/accounts/:id",                      api_accounts_get,       ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/accounts/:id",                      api_accounts_update,    ROLE_CSM,    0),
    R("DELETE", "/api/v1/accounts/:id",                      api_accounts_delete,    ROLE_CSM,    0),

    R("GET",    "/api/v1/accounts/:id/contacts",             api_contacts_list,      ROLE_VIEWER, 0),
    R("POST",   "/api/v1/accounts/:id/contacts",             api_contacts_create,    ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts/:id/contacts/:cid",        api_contacts_get,       ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/accounts/:id/contacts/:cid",        api_contacts_update,    ROLE_CSM,    0),
    R("DELETE", "/api/v1/accounts/:id/contacts/:cid",        api_contacts_delete,    ROLE_CSM,    0),

    R("GET",    "/api/v1/accounts/:id/subscription",         api_subscription_get,   ROLE_VIEWER, 0),
    R("PUT",    "/api/v1/accounts/:id/subscription",         api_subscription_put,   ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts/:id/subscription/history", api_subscription_history, ROLE_VIEWER, 0),

    R("GET",    "/api/v1/accounts/:id/timeline",             api_timeline_list,      ROLE_VIEWER, 0),
    R("POST",   "/api/v1/accounts/:id/timeline",             api_timeline_create,    ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts/:id/timeline/:eid",        api_timeline_get,       ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/accounts/:id/timeline/:eid",        api_timeline_update,    ROLE_CSM,    0),
    R("DELETE", "/api/v1/accounts/:id/timeline/:eid",        api_timeline_delete,    ROLE_CSM,    0),

    R("GET",    "/api/v1/tasks",                             api_tasks_list,         ROLE_VIEWER, 0),
    R("POST",   "/api/v1/tasks",                             api_tasks_create,       ROLE_CSM,    0),
    R("GET",    "/api/v1/tasks/:id",                         api_tasks_get,          ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/tasks/:id",                         api_tasks_update,       ROLE_CSM,    0),
    R("DELETE", "/api/v1/tasks/:id",                         api_tasks_delete,       ROLE_CSM,    0),

    R("GET",    "/api/v1/settings/tiers",                    api_settings_tiers_get, ROLE_VIEWER, 0),
    R("PUT",    "/api/v1/settings/tiers",                    api_settings_tiers_put, ROLE_ADMIN,  0),

    R("POST",   "/api/v1/import/accounts",                   api_import_accounts,    ROLE_ADMIN,  ROUTE_CSV_BODY | ROUTE_BIG_BODY),

    /* Usage ingestion: the Segment HTTP Tracking API, authenticated by write key. */
    R("POST",   "/v1/batch",                                 api_track_batch,        ROLE_NONE,   ROUTE_WRITE_KEY),
    R("POST",   "/v1/track",                                 api_track_track,        ROLE_NONE,   ROUTE_WRITE_KEY),
    R("POST",   "/v1/identify",                              api_track_identify,     ROLE_NONE,   ROUTE_WRITE_KEY),
    R("POST",   "/v1/group",                                 api_track_group,        ROLE_NONE,   ROUTE_WRITE_KEY),
    R("POST",   "/v1/page",                                  api_track_page,         ROLE_NONE,   ROUTE_WRITE_KEY),
    R("POST",   "/v1/screen",                                api_track_screen,       ROLE_NONE,   ROUTE_WRITE_KEY),
    R("POST",   "/v1/alias",                                 api_track_alias,        ROLE_NONE,   ROUTE_WRITE_KEY),

    R("GET",    "/api/v1/write-keys",                        api_write_keys_list,    ROLE_ADMIN,  0),
    R("POST",   "/api/v1/write-keys",                        api_write_keys_create,  ROLE_ADMIN,  0),
    R("DELETE", "/api/v1/write-keys/:id",                    api_write_keys_delete,  ROLE_ADMIN,  0),
    R("GET",    "/api/v1/ingest/errors",                     api_ingest_errors,      ROLE_ADMIN,  0),
    R("GET",    "/api/v1/accounts/:id/usage",                api_usage_get,          ROLE_VIEWER, 0),
    R("GET",    "/api/v1/accounts/:id/events",               api_events_list,        ROLE_VIEWER, 0),
    R("GET",    "/api/v1/settings/key-events",               api_settings_key_events_get, ROLE_VIEWER, 0),
    R("PUT",    "/api/v1/settings/key-events",               api_settings_key_events_put, ROLE_ADMIN, 0),
    R("GET",    "/api/v1/settings/ingest",                   api_settings_ingest_get, ROLE_VIEWER, 0),
    R("PUT",    "/api/v1/settings/ingest",                   api_settings_ingest_put, ROLE_ADMIN, 0),

    /* Health: the DEAR model, each account's score with its explanation, and its history. */
    R("GET",    "/api/v1/settings/health-model",             api_settings_health_model_get, ROLE_VIEWER, 0),
    R("PUT",    "/api/v1/settings/health-model",             api_settings_health_model_put, ROLE_ADMIN, 0),
    R("POST",   "/api/v1/settings/health-model/preview",     api_settings_health_model_preview, ROLE_ADMIN, 0),
    R("POST",   "/api/v1/health/recompute",                  api_health_recompute,   ROLE_ADMIN,  0),
    R("GET",    "/api/v1/accounts/:id/health",               api_account_health_get, ROLE_VIEWER, 0),
    R("GET",    "/api/v1/accounts/:id/health/history",       api_account_health_history, ROLE_VIEWER, 0),

    /* Success plans (goals with measured values), survey responses, CSM sentiment. */
    R("GET",    "/api/v1/accounts/:id/goals",                api_goals_list,         ROLE_VIEWER, 0),
    R("POST",   "/api/v1/accounts/:id/goals",                api_goals_create,       ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts/:id/goals/:gid",           api_goals_get,          ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/accounts/:id/goals/:gid",           api_goals_update,       ROLE_CSM,    0),
    R("DELETE", "/api/v1/accounts/:id/goals/:gid",           api_goals_delete,       ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts/:id/goals/:gid/values",    api_goal_values_list,   ROLE_VIEWER, 0),
    R("POST",   "/api/v1/accounts/:id/goals/:gid/values",    api_goal_values_create, ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts/:id/survey-responses",     api_surveys_list,       ROLE_VIEWER, 0),
    R("POST",   "/api/v1/accounts/:id/survey-responses",     api_surveys_create,     ROLE_CSM,    0),
    R("GET",    "/api/v1/accounts/:id/survey-responses/:rid", api_surveys_get,       ROLE_VIEWER, 0),
    R("DELETE", "/api/v1/accounts/:id/survey-responses/:rid", api_surveys_delete,    ROLE_CSM,    0),
    R("PUT",    "/api/v1/accounts/:id/sentiment",            api_sentiment_put,      ROLE_CSM,    0),
    R("DELETE", "/api/v1/accounts/:id/sentiment",            api_sentiment_delete,   ROLE_CSM,    0),
    R("POST",   "/api/v1/import/survey-responses",           api_import_survey_responses, ROLE_CSM, ROUTE_CSV_BODY | ROUTE_BIG_BODY),

    /* The success journey: lifecycle settings, an account's journey, manual steps. */
    R("GET",    "/api/v1/settings/lifecycle",                api_settings_lifecycle_get, ROLE_VIEWER, 0),
    R("PUT",    "/api/v1/settings/lifecycle",                api_settings_lifecycle_put, ROLE_ADMIN, 0),
    R("GET",    "/api/v1/accounts/:id/journey",              api_journey_get,        ROLE_VIEWER, 0),
    R("POST",   "/api/v1/accounts/:id/phase",                api_journey_move,       ROLE_CSM,    0),
    R("POST",   "/api/v1/accounts/:id/milestones/:key/complete", api_milestone_complete, ROLE_CSM, 0),
    R("POST",   "/api/v1/accounts/:id/milestones/:key/reopen", api_milestone_reopen, ROLE_CSM,    0),
    R("POST",   "/api/v1/journey/evaluate",                  api_journey_evaluate,   ROLE_ADMIN,  0),

    /* Revenue and customer success KPIs. */
    R("GET",    "/api/v1/metrics/mrr",                       api_metrics_mrr,        ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/movements",                 api_metrics_movements,  ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/retention",                 api_metrics_retention,  ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/churn",                     api_metrics_churn,      ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/ltv",                       api_metrics_ltv,        ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/cohorts",                   api_metrics_cohorts,    ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/renewals",                  api_metrics_renewals,   ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/journey",                   api_metrics_journey,    ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/health",                    api_metrics_health,     ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/surveys",                   api_metrics_surveys,    ROLE_VIEWER, 0),
    R("GET",    "/api/v1/metrics/activity",                  api_metrics_activity,   ROLE_VIEWER, 0),
    R("GET",    "/api/v1/settings/currency",                 api_settings_currency_get, ROLE_VIEWER, 0),
    R("PUT",    "/api/v1/settings/currency",                 api_settings_currency_put, ROLE_ADMIN, 0),

    /* Segments: saved account filters; the creator or an admin changes one (api/segments.c). */
    R("GET",    "/api/v1/segments",                          api_segments_list,      ROLE_VIEWER, 0),
    R("POST",   "/api/v1/segments",                          api_segments_create,    ROLE_CSM,    0),
    R("POST",   "/api/v1/segments/preview",                  api_segments_preview,   ROLE_VIEWER, 0),
    R("GET",    "/api/v1/segments/fields",                   api_segments_fields,    ROLE_VIEWER, 0),
    R("GET",    "/api/v1/segments/:id",                      api_segments_get,       ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/segments/:id",                      api_segments_update,    ROLE_CSM,    0),
    R("DELETE", "/api/v1/segments/:id",                      api_segments_delete,    ROLE_CSM,    0),
    R("GET",    "/api/v1/segments/:id/accounts",             api_segment_accounts,   ROLE_VIEWER, 0),

    /* Playbooks: triggers, audiences and actions; their runs; the outbound queue; email. */
    R("GET",    "/api/v1/playbooks",                         api_playbooks_list,     ROLE_VIEWER, 0),
    R("POST",   "/api/v1/playbooks",                         api_playbooks_create,   ROLE_ADMIN,  0),
    R("POST",   "/api/v1/playbooks/evaluate",                api_playbooks_evaluate, ROLE_ADMIN,  0),
    R("GET",    "/api/v1/playbooks/:id",                     api_playbooks_get,      ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/playbooks/:id",                     api_playbooks_update,   ROLE_ADMIN,  0),
    R("DELETE", "/api/v1/playbooks/:id",                     api_playbooks_delete,   ROLE_ADMIN,  0),
    R("GET",    "/api/v1/playbooks/:id/runs",                api_playbook_runs,      ROLE_VIEWER, 0),
    R("POST",   "/api/v1/playbooks/:id/preview",             api_playbook_preview,   ROLE_CSM,    0),
    R("GET",    "/api/v1/outbound",                          api_outbound_list,      ROLE_ADMIN,  0),
    R("GET",    "/api/v1/settings/smtp",                     api_settings_smtp_get,  ROLE_ADMIN,  0),
    R("PUT",    "/api/v1/settings/smtp",                     api_settings_smtp_put,  ROLE_ADMIN,  0),

    /* Email templates: what send_email actions send. */
    R("GET",    "/api/v1/email-templates",                   api_email_templates_list,   ROLE_VIEWER, 0),
    R("POST",   "/api/v1/email-templates",                   api_email_templates_create, ROLE_ADMIN,  0),
    R("GET",    "/api/v1/email-templates/:id",               api_email_templates_get,    ROLE_VIEWER, 0),
    R("PATCH",  "/api/v1/email-templates/:id",               api_email_templates_update, ROLE_ADMIN,  0),
    R("DELETE", "/api/v1/email-templates/:id",               api_email_templates_delete, ROLE_ADMIN,  0),
    R("POST",   "/api/v1/email-templates/:id/preview",       api_email_template_preview, ROLE_CSM,    0),

    /* The cockpit, the activity feed across accounts and the team's names (api/cockpit.c). */
    R("GET",    "/api/v1/cockpit",                           api_cockpit_get,        ROLE_VIEWER, 0),
    R("GET",    "/api/v1/activity",                          api_activity_list,      ROLE_VIEWER, 0),
    R("GET",    "/api/v1/team",                              api_team_list,          ROLE_VIEWER, 0),
};

const size_t routes_count = sizeof(routes) / sizeof(routes[0]);
