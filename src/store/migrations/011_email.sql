-- Email done properly (issue 6 items 4-6): templates, per-message idempotency keys and
-- per-webhook signing secrets on the outbound queue; the default playbooks' emails become
-- templates. SMTP settings live in the settings table (key "smtp").

-- Email templates: Mustache-style {{placeholders}} (src/playbooks/playbook.c's list), checked
-- when saved. body_html is optional; values are HTML-escaped in it, never in body_text.
CREATE TABLE email_templates (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Each queued message has a key derived from what produced it (playbook, account, run time,
-- action index, recipient): queueing the same message again is a no-op. Sent as the
-- webhook's Idempotency-Key and the email's Message-ID. Rows queued before this migration get
-- a key from their id.
ALTER TABLE outbound ADD COLUMN idempotency_key TEXT;
UPDATE outbound SET idempotency_key = 'outbound-' || id WHERE idempotency_key IS NULL;
CREATE UNIQUE INDEX outbound_idempotency ON outbound(idempotency_key);
-- A webhook's signing secret (copied from its action when queued; never returned by the API).
ALTER TABLE outbound ADD COLUMN secret TEXT;

-- The default templates (seed 003: help content, re-engagement, renewal), Japanese and English.
INSERT INTO email_templates (name, subject, body_text, body_html, created_at, updated_at) VALUES
('導入のご案内 / Getting started help',
 '{{account.name}} 様: 導入のご支援 / Help with getting started',
 '{{contact.name}} 様

{{account.name}} での導入の進め方について、ヘルプ記事とガイドをご案内します。ご不明点があればこのメールにご返信ください。担当: {{owner.name}}

Dear {{contact.name}},

Here are our getting-started guides for {{account.name}}. Reply to this email with any question; your contact is {{owner.name}}.
',
 '<p>{{contact.name}} 様</p><p>{{account.name}} での導入の進め方について、ヘルプ記事とガイドをご案内します。ご不明点があればこのメールにご返信ください。担当: {{owner.name}}</p><hr><p>Dear {{contact.name}},</p><p>Here are our getting-started guides for {{account.name}}. Reply to this email with any question; your contact is {{owner.name}}.</p>',
 strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('再活性化 / Re-engagement',
 '{{account.name}} 様: 最近のご利用について / We miss you',
 '{{contact.name}} 様

しばらくご利用がないようです。{{account.name}} でさらに活用いただくためのヒントをお送りします。お困りのことがあれば {{owner.name}} までご連絡ください。

Dear {{contact.name}},

We noticed {{account.name}} has not used the product lately; here are some tips. If anything is in the way, {{owner.name}} is glad to help.
',
 '<p>{{contact.name}} 様</p><p>しばらくご利用がないようです。{{account.name}} でさらに活用いただくためのヒントをお送りします。お困りのことがあれば {{owner.name}} までご連絡ください。</p><hr><p>Dear {{contact.name}},</p><p>We noticed {{account.name}} has not used the product lately; here are some tips. If anything is in the way, {{owner.name}} is glad to help.</p>',
 strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
('契約更新のご案内 / Renewal notice',
 '{{account.name}} 様: ご契約更新のご案内 / Your renewal',
 '{{contact.name}} 様

{{account.name}} のご契約の更新日は {{renewal_date}} です。ご質問は {{owner.name}} までお寄せください。

Dear {{contact.name}},

The subscription of {{account.name}} renews on {{renewal_date}}. Questions are welcome: {{owner.name}}.
',
 '<p>{{contact.name}} 様</p><p>{{account.name}} のご契約の更新日は <strong>{{renewal_date}}</strong> です。ご質問は {{owner.name}} までお寄せください。</p><hr><p>Dear {{contact.name}},</p><p>The subscription of {{account.name}} renews on <strong>{{renewal_date}}</strong>. Questions are welcome: {{owner.name}}.</p>',
 strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

-- The default playbooks send them (only where the 010 actions are still unedited).
UPDATE playbooks SET actions = '[{"type":"create_task","title":"オンボーディング停滞: {{account.name}} ({{trigger}})","task_type":"call","due_in_days":3,"assignee":"owner"},{"type":"send_email","to":"role:admin","template_id":'
    || (SELECT id FROM email_templates WHERE name = '導入のご案内 / Getting started help') || '}]'
 WHERE actions = '[{"type":"create_task","title":"オンボーディング停滞: {{account.name}} ({{trigger}})","task_type":"call","due_in_days":3,"assignee":"owner"},{"type":"send_email","to":"role:admin","subject":"{{account.name}} 様: 導入のご支援 / Help with getting started","body":"{{account.name}} ご担当者様\n\n導入の進め方についてヘルプ記事をご案内します。ご不明点があればご返信ください。\n\nHere are our getting-started guides; reply with any question."}]';
UPDATE playbooks SET actions = '[{"type":"send_email","to":"role:admin","template_id":'
    || (SELECT id FROM email_templates WHERE name = '再活性化 / Re-engagement') || '}]'
 WHERE actions = '[{"type":"send_email","to":"role:admin","subject":"{{account.name}} 様: 最近のご利用について / We miss you","body":"{{account.name}} ご担当者様\n\nしばらくご利用がないようです。活用のヒントをお送りします。\n\nWe noticed you have not used the product lately; here are some tips."}]';
UPDATE playbooks SET actions = '[{"type":"send_email","to":"role:decision_maker","template_id":'
    || (SELECT id FROM email_templates WHERE name = '契約更新のご案内 / Renewal notice') || '}]'
 WHERE actions = '[{"type":"send_email","to":"role:decision_maker","subject":"{{account.name}} 様: ご契約更新のご案内 / Your renewal","body":"{{account.name}} ご担当者様\n\nご契約の更新日は {{account.renewal_date}} です。/ Your subscription renews on {{account.renewal_date}}."}]';
