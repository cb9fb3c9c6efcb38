-- 005: the ingest writer's commit path without the messageId index. Deduplication on
-- (write key, messageId) is done by the writer from an in-memory set of the last day's
-- messageIds (rebuilt from events at start-up); rollups and last-seen times are folded in
-- memory and flushed in groups, the last event id they cover recorded here, so that events
-- stored after it are folded again after a crash.
DROP INDEX events_message;
CREATE TABLE ingest_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    folded_through INTEGER NOT NULL   -- events.id up to which rollups and last-seen are written
);
INSERT INTO ingest_state (id, folded_through) SELECT 1, COALESCE(max(id), 0) FROM events;

-- An account's stream of raw events (GET /api/v1/accounts/{id}/events, newest first): a
-- table of its own instead of an index on events, so that the commit path only appends
-- event rows; the writer adds an event's entry with the rollups, sorted by account, which
-- costs one pass over each account's pages per flush instead of one random page per event.
CREATE TABLE event_stream (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    timestamp  TEXT NOT NULL,
    event_id   INTEGER NOT NULL,
    PRIMARY KEY (account_id, timestamp, event_id)
) WITHOUT ROWID;
INSERT INTO event_stream (account_id, timestamp, event_id)
    SELECT account_id, timestamp, id FROM events WHERE account_id IS NOT NULL;
DROP INDEX events_account;
