-- Playbooks (issue 6 items 2 and 3): "when this happens to these accounts, do this".
-- audience, trigger and actions are the JSON the API validated (src/playbooks/playbook.c).
CREATE TABLE playbooks (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 0,
    audience      TEXT NOT NULL DEFAULT '{}',
    trigger       TEXT NOT NULL,
    actions       TEXT NOT NULL,
    cooldown_days INTEGER NOT NULL CHECK (cooldown_days >= 1),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Every firing: the trigger's detail and each action's outcome (JSON arrays/objects).
CREATE TABLE playbook_runs (
    id           INTEGER PRIMARY KEY,
    playbook_id  INTEGER NOT NULL REFERENCES playbooks(id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    fired_at     TEXT NOT NULL,
    detail       TEXT NOT NULL,
    outcomes     TEXT NOT NULL
);
CREATE INDEX playbook_runs_playbook ON playbook_runs(playbook_id, id);
CREATE INDEX playbook_runs_last ON playbook_runs(playbook_id, account_id, fired_at);

-- The last health band each playbook saw for each account (health_band_changed).
CREATE TABLE playbook_bands (
    playbook_id INTEGER NOT NULL REFERENCES playbooks(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    band        TEXT NOT NULL,
    PRIMARY KEY (playbook_id, account_id)
) WITHOUT ROWID;

-- The durable outbound queue: webhooks and emails, drained by the outbound worker thread.
CREATE TABLE outbound (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('webhook', 'email')),
    payload         TEXT NOT NULL,
    playbook_id     INTEGER REFERENCES playbooks(id) ON DELETE SET NULL,
    account_id      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbound_due ON outbound(status, next_attempt_at);

-- The default playbooks (from the seeds), shipped disabled and editable.
INSERT INTO playbooks (name, enabled, audience, trigger, actions, cooldown_days, created_at, updated_at) VALUES
('オンボーディング停滞 / Onboarding stalled', 0, '{}',
 '{"type":"milestone_overdue","phase":"onboarding"}',
 '[{"type":"create_task","title":"オンボーディング停滞: {{account.name}} ({{trigger}})","task_type":"call","due_in_days":3,"assignee":"owner"},{"type":"send_email","to":"role:admin","subject":"{{account.name}} 様: 導入のご支援 / Help with getting started","body":"{{account.name}} ご担当者様\n\n導入の進め方についてヘルプ記事をご案内します。ご不明点があればご返信ください。\n\nHere are our getting-started guides; reply with any question."}]',
 30, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('ヘルススコアが赤に / Health turned red', 0, '{}',
 '{"type":"health_band_changed","to":"red"}',
 '[{"type":"create_task","title":"リスク対応: {{account.name}} ({{trigger}})","task_type":"review","due_in_days":2,"assignee":"owner"}]',
 14, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('更新90日前 (ハイタッチ) / Renewal in 90 days (high touch)', 0, '{"tier":"high"}',
 '{"type":"renewal_within","days":90}',
 '[{"type":"create_task","title":"更新に向けた決裁者とのミーティング: {{account.name}} ({{account.renewal_date}})","task_type":"meeting","due_in_days":14,"assignee":"owner"}]',
 120, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('更新90日前 (テックタッチ) / Renewal in 90 days (tech touch)', 0, '{"tier":"tech"}',
 '{"type":"renewal_within","days":90}',
 '[{"type":"send_email","to":"role:decision_maker","subject":"{{account.name}} 様: ご契約更新のご案内 / Your renewal","body":"{{account.name}} ご担当者様\n\nご契約の更新日は {{account.renewal_date}} です。/ Your subscription renews on {{account.renewal_date}}."}]',
 120, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('批判者フォロー / Detractor follow-up', 0, '{}',
 '{"type":"nps_detractor"}',
 '[{"type":"create_task","title":"NPS批判者へのフォローコール: {{account.name}} ({{trigger}})","task_type":"call","due_in_days":3,"assignee":"owner"}]',
 30, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('14日間利用なし / Inactive for 14 days', 0, '{}',
 '{"type":"inactive_for","days":14}',
 '[{"type":"send_email","to":"role:admin","subject":"{{account.name}} 様: 最近のご利用について / We miss you","body":"{{account.name}} ご担当者様\n\nしばらくご利用がないようです。活用のヒントをお送りします。\n\nWe noticed you have not used the product lately; here are some tips."}]',
 30, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('拡大シグナル / Expansion signal', 0, '{}',
 '{"type":"seats_used","min_percent":90}',
 '[{"type":"create_task","title":"アップセル提案: {{account.name}} ({{trigger}})","task_type":"meeting","due_in_days":7,"assignee":"owner"}]',
 60, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
