-- 005: the ingest writer's commit path appends event rows and nothing else per event.
--
-- Deduplication on (write key, messageId) is done by the writer from an in-memory set of
-- the last day's messageIds (rebuilt from events at start-up), so events lose their unique
-- index. Rollups, last-seen times and the accounts' event streams are folded in memory and
-- flushed in groups; ingest_state.folded_through is the last event id they cover, and the
-- events after it are folded again at start-up after a crash.
--
-- events loses its foreign keys and its CHECK on type (each cost a lookup per insert; write keys are revoked,
-- never deleted), and its account index becomes event_runs, which the writer fills once
-- per flush with a row per account and minute instead of touching a random page per event. Deleting an
-- account deletes its events and runs through the trigger below (ON DELETE CASCADE would
-- scan events without that index), and counts the deletion in ingest_state, which tells
-- the writer to drop what it cached about accounts. The rollup and user tables become
-- WITHOUT ROWID (one B-tree each instead of a table and its key index), and tracked users
-- are indexed by account only, so that a last-seen update does not move an index entry.
-- (Existing rows are copied: a one-time cost proportional to the events stored.)
CREATE TABLE ingest_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    folded_through   INTEGER NOT NULL,  -- events.id up to which rollups etc. are written
    accounts_deleted INTEGER NOT NULL DEFAULT 0
);
INSERT INTO ingest_state (id, folded_through) SELECT 1, COALESCE(max(id), 0) FROM events;

CREATE TABLE events_new (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER,            -- accounts(id); NULL until attributed
    write_key_id       INTEGER NOT NULL,   -- write_keys(id)
    message_id         TEXT NOT NULL,
    type               TEXT NOT NULL,      -- track identify group page screen alias (the
                                           -- parser admits no other; a CHECK with IN built
                                           -- an ephemeral table on every insert)
    name               TEXT,
    user_id            TEXT,
    anonymous_id       TEXT,
    timestamp          TEXT NOT NULL,
    original_timestamp TEXT,
    sent_at            TEXT,
    received_at        TEXT NOT NULL,
    properties         TEXT NOT NULL DEFAULT '{}',
    context            TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO events_new SELECT id, account_id, write_key_id, message_id, type, name, user_id,
    anonymous_id, timestamp, original_timestamp, sent_at, received_at, properties, context
    FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_unattributed ON events(user_id) WHERE account_id IS NULL;
CREATE INDEX events_anonymous ON events(anonymous_id) WHERE user_id IS NULL;

-- An account's raw events newest first (GET /api/v1/accounts/{id}/events): runs of
-- entries, one row per account and minute of event time per flush of the writer (a few
-- hundred events a row under load, instead of one B-tree entry each), each entry
-- [unix time, event id, type: 0 track 1 identify 2 group 3 page 4 screen 5 alias], sorted.
-- A listing reads the rows of an account minute by minute, newest first, and merges them.
CREATE TABLE event_runs (
    account_id INTEGER NOT NULL,
    minute     INTEGER NOT NULL,   -- floor(time / 60) of every entry
    max_id     INTEGER NOT NULL,   -- the largest event id among the entries
    entries    TEXT NOT NULL,      -- JSON [[time, id, type], ...]
    PRIMARY KEY (account_id, minute, max_id)
) WITHOUT ROWID;
CREATE INDEX event_runs_max_id ON event_runs(max_id); -- the retention purge
INSERT INTO event_runs (account_id, minute, max_id, entries)
    SELECT account_id, (t - ((t % 60) + 60) % 60) / 60, id,
           json_array(json_array(t, id, CASE type WHEN 'track' THEN 0 WHEN 'identify' THEN 1
                      WHEN 'group' THEN 2 WHEN 'page' THEN 3 WHEN 'screen' THEN 4 ELSE 5 END))
    FROM (SELECT account_id, id, type, CAST(strftime('%s', timestamp) AS INTEGER) AS t
          FROM events WHERE account_id IS NOT NULL);

CREATE TABLE usage_daily_new (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    event      TEXT NOT NULL,   -- track event name, or "$page" / "$screen"
    count      INTEGER NOT NULL,
    PRIMARY KEY (account_id, day, event)
) WITHOUT ROWID;
INSERT INTO usage_daily_new SELECT account_id, day, event, count FROM usage_daily;
DROP TABLE usage_daily;
ALTER TABLE usage_daily_new RENAME TO usage_daily;

CREATE TABLE active_users_daily_new (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    user_key   TEXT NOT NULL,   -- userId, or "anon:" + anonymousId
    events     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day, user_key)
) WITHOUT ROWID;
INSERT INTO active_users_daily_new SELECT account_id, day, user_key, events FROM active_users_daily;
DROP TABLE active_users_daily;
ALTER TABLE active_users_daily_new RENAME TO active_users_daily;

CREATE TABLE tracked_users_new (
    user_id    TEXT PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    traits     TEXT NOT NULL DEFAULT '{}',
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO tracked_users_new SELECT user_id, account_id, traits, first_seen, last_seen
    FROM tracked_users;
DROP TABLE tracked_users;
ALTER TABLE tracked_users_new RENAME TO tracked_users;
CREATE INDEX tracked_users_account ON tracked_users(account_id);

CREATE TRIGGER accounts_delete_events AFTER DELETE ON accounts BEGIN
    DELETE FROM events WHERE id IN (SELECT json_extract(j.value, '$[1]')
                                    FROM event_runs r, json_each(r.entries) j
                                    WHERE r.account_id = old.id);
    DELETE FROM events WHERE id > (SELECT folded_through FROM ingest_state)
                         AND account_id = old.id;
    DELETE FROM event_runs WHERE account_id = old.id;
    UPDATE ingest_state SET accounts_deleted = accounts_deleted + 1;
END;
