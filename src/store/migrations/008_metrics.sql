-- 008: metrics. The MRR engine reads all of subscription_history in (account, effective
-- date, id) order; this index holds every column it reads, so the scan never visits the
-- table (bench/metrics: 100,000 accounts x 36 months).
CREATE INDEX subscription_history_metrics
    ON subscription_history(account_id, effective_date, id, status, mrr, currency);
-- Renewal and activity windows.
CREATE INDEX tasks_completed ON tasks(completed_at) WHERE status = 'done';
CREATE INDEX timeline_occurred ON timeline_entries(occurred_at);
CREATE INDEX accounts_value_reached ON accounts(value_reached_at) WHERE value_reached_at IS NOT NULL;
