-- 001: the foundation schema. Kept in the common subset of SQLite and PostgreSQL.
-- Times are RFC 3339 UTC text ("YYYY-MM-DDTHH:MM:SSZ"), dates "YYYY-MM-DD", money integer minor units.
-- Every table that belongs to an account carries account_id (the future distribution column).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'csm', 'viewer')),
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    domain        TEXT,
    external_id   TEXT UNIQUE,
    industry      TEXT,
    employees     INTEGER,
    address       TEXT,
    purpose       TEXT,
    challenges    TEXT,
    owner_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    tier          TEXT NOT NULL DEFAULT 'tech' CHECK (tier IN ('high', 'low', 'tech')),
    tier_override TEXT CHECK (tier_override IN ('high', 'low', 'tech')),
    phase         TEXT NOT NULL DEFAULT 'onboarding',
    custom        TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX accounts_name ON accounts(name, id);
CREATE INDEX accounts_created ON accounts(created_at, id);
CREATE INDEX accounts_owner ON accounts(owner_id);
CREATE INDEX accounts_domain ON accounts(domain);
CREATE INDEX accounts_tier ON accounts(tier);
CREATE INDEX accounts_phase ON accounts(phase);

-- The current subscription of an account: always the latest entry of its history.
CREATE TABLE subscriptions (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    plan         TEXT NOT NULL,
    mrr          INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    seats        INTEGER NOT NULL,
    start_date   TEXT NOT NULL,
    renewal_date TEXT,
    auto_renew   INTEGER NOT NULL DEFAULT 1,
    status       TEXT NOT NULL CHECK (status IN ('trial', 'active', 'churned')),
    updated_at   TEXT NOT NULL
);
CREATE INDEX subscriptions_renewal ON subscriptions(renewal_date);
CREATE INDEX subscriptions_mrr ON subscriptions(mrr);

-- Every change, with the date it took effect, so revenue over time can be rebuilt exactly.
CREATE TABLE subscription_history (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    effective_date TEXT NOT NULL,
    plan           TEXT NOT NULL,
    mrr            INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    seats          INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('trial', 'active', 'churned')),
    start_date     TEXT NOT NULL,
    renewal_date   TEXT,
    auto_renew     INTEGER NOT NULL DEFAULT 1,
    recorded_at    TEXT NOT NULL
);
CREATE INDEX subscription_history_account ON subscription_history(account_id, effective_date, id);

CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    email            TEXT,
    title            TEXT,
    role             TEXT NOT NULL DEFAULT 'user'
                     CHECK (role IN ('decision_maker', 'champion', 'admin', 'user')),
    phone            TEXT,
    external_user_id TEXT,
    notes            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX contacts_account ON contacts(account_id, id);
CREATE INDEX contacts_external ON contacts(external_user_id);
CREATE INDEX contacts_email ON contacts(email);

CREATE TABLE timeline_entries (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    type        TEXT NOT NULL
                CHECK (type IN ('note', 'meeting', 'call', 'email', 'ticket', 'handoff')),
    author_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    occurred_at TEXT NOT NULL,
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX timeline_account ON timeline_entries(account_id, occurred_at, id);

CREATE TABLE timeline_contacts (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    entry_id   INTEGER NOT NULL REFERENCES timeline_entries(id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    PRIMARY KEY (entry_id, contact_id)
);
CREATE INDEX timeline_contacts_contact ON timeline_contacts(contact_id);

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    assignee_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    due_date     TEXT,
    type         TEXT NOT NULL DEFAULT 'other'
                 CHECK (type IN ('call', 'meeting', 'email', 'review', 'other')),
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    completed_at TEXT,
    source       TEXT NOT NULL DEFAULT 'manual',
    notes        TEXT,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX tasks_assignee ON tasks(assignee_id, status, due_date);
CREATE INDEX tasks_account ON tasks(account_id, status);

-- Touch tiers from ARR (12 x MRR, minor units), per subscription currency. An account's tier is
-- its override if set, else high when ARR >= high_min_arr, low when ARR >= low_min_arr, else tech.
CREATE TABLE tier_thresholds (
    currency     TEXT PRIMARY KEY,
    high_min_arr INTEGER NOT NULL,
    low_min_arr  INTEGER NOT NULL
);
INSERT INTO tier_thresholds (currency, high_min_arr, low_min_arr) VALUES
    ('JPY', 12000000, 1200000),
    ('USD', 10000000, 1000000),
    ('EUR', 10000000, 1000000);
