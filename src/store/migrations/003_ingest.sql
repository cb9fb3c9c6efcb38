-- 003: product usage ingestion (Segment-compatible tracking API).
-- A write key is a public ingestion credential (it ships inside the customer's product, like
-- a Segment write key), so it is kept as it is and shown again to admins for the snippet;
-- it can only write events, and it can be revoked.
CREATE TABLE write_keys (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    key        TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Every accepted message (all types), deduplicated on (write_key_id, message_id).
-- account_id is NULL until the message can be attributed (a user seen before its group call).
CREATE TABLE events (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    write_key_id       INTEGER NOT NULL REFERENCES write_keys(id) ON DELETE CASCADE,
    message_id         TEXT NOT NULL,
    type               TEXT NOT NULL
                       CHECK (type IN ('track', 'identify', 'group', 'page', 'screen', 'alias')),
    name               TEXT,               -- track: the event; page/screen: the name
    user_id            TEXT,
    anonymous_id       TEXT,
    timestamp          TEXT NOT NULL,      -- skew-corrected event time (RFC 3339 UTC)
    original_timestamp TEXT,
    sent_at            TEXT,
    received_at        TEXT NOT NULL,
    properties         TEXT NOT NULL DEFAULT '{}', -- properties (track/page/screen) or traits
    context            TEXT NOT NULL DEFAULT '{}'
);
-- Each index costs every insert on the ingest path, so only these: dedup, the account's
-- stream, and (partial, so that attributed events skip them) the unattributed events of a
-- user for its group call and the anonymous ones for an alias.
CREATE UNIQUE INDEX events_message ON events(write_key_id, message_id);
CREATE INDEX events_account ON events(account_id, timestamp, id);
CREATE INDEX events_unattributed ON events(user_id) WHERE account_id IS NULL;
CREATE INDEX events_anonymous ON events(anonymous_id) WHERE user_id IS NULL;

-- The product's users as the tracking API knows them (Segment userId), and their account.
CREATE TABLE tracked_users (
    user_id    TEXT PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    traits     TEXT NOT NULL DEFAULT '{}',
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX tracked_users_account ON tracked_users(account_id, last_seen);

-- Daily rollups: health and dashboards read these, never the raw events.
CREATE TABLE usage_daily (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    event      TEXT NOT NULL,   -- track event name, or "$page" / "$screen"
    count      INTEGER NOT NULL,
    PRIMARY KEY (account_id, day, event)
);
CREATE TABLE active_users_daily (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    user_key   TEXT NOT NULL,   -- userId, or "anon:" + anonymousId
    events     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day, user_key)
);

-- Messages refused by the tracking API, for admins (a truncated copy of each).
CREATE TABLE ingest_errors (
    id           INTEGER PRIMARY KEY,
    write_key_id INTEGER REFERENCES write_keys(id) ON DELETE SET NULL,
    received_at  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    message      TEXT NOT NULL
);
CREATE INDEX ingest_errors_received ON ingest_errors(received_at, id);

ALTER TABLE accounts ADD COLUMN last_seen_at TEXT;
