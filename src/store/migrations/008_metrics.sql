-- 008: metrics. Covering indexes for the scans behind /api/v1/metrics: each holds every
-- column its query reads, so the scan walks one index in order and never visits the table
-- (bench/metrics: 100,000 accounts x 36 months).
-- The MRR engine reads all of subscription_history in (account, effective date, id) order;
-- time to value reads each account's first contract start.
CREATE INDEX subscription_history_metrics
    ON subscription_history(account_id, effective_date, id, status, mrr, currency, start_date);
-- Team activity: completed tasks and timeline touches by time.
CREATE INDEX tasks_done_metrics
    ON tasks(completed_at, assignee_id, type, account_id) WHERE status = 'done';
CREATE INDEX timeline_metrics ON timeline_entries(occurred_at, author_id, type, account_id);
-- Surveys by time answered; time to value by the time the value milestone was reached.
CREATE INDEX survey_responses_metrics ON survey_responses(answered_at, type, score, account_id);
CREATE INDEX accounts_value_reached ON accounts(value_reached_at) WHERE value_reached_at IS NOT NULL;
-- The journey metric reads every phase entry by account, then time.
CREATE INDEX phase_history_metrics ON phase_history(account_id, entered_at, id, phase, left_at);
