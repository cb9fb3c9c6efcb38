-- 004: the success journey (phases, milestones, phase history), success plans (goals),
-- survey responses and the DEAR health score with its daily history.
-- The lifecycle (phases and milestones) and the health model are settings rows holding JSON
-- ("lifecycle", "health_model"); defaults live in code and apply until an admin saves one.

-- Every phase an account has been in. The open row (left_at IS NULL) is the current phase,
-- mirrored in accounts.phase for filters and sorts.
CREATE TABLE phase_history (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    phase      TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    left_at    TEXT,
    -- how the account entered this phase
    moved_by   TEXT NOT NULL
               CHECK (moved_by IN ('initial', 'milestones', 'manual', 'churn', 'reactivation')),
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reason     TEXT
);
CREATE INDEX phase_history_account ON phase_history(account_id, entered_at, id);
CREATE UNIQUE INDEX phase_history_open ON phase_history(account_id) WHERE left_at IS NULL;

-- Milestones an account has completed (or that a user reopened: a reopened milestone is only
-- completed again by hand, so a criterion cannot silently undo a CSM's decision).
CREATE TABLE milestone_states (
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    milestone    TEXT NOT NULL,     -- the milestone key from the lifecycle settings
    state        TEXT NOT NULL CHECK (state IN ('complete', 'reopened')),
    completed_at TEXT,              -- set when state = 'complete'
    completed_by TEXT CHECK (completed_by IN ('criterion', 'manual')),
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    detail       TEXT,              -- what satisfied the criterion, or the user's note
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, milestone)
);

-- Success plan goals (ROI): baseline (Before), target, current value (After) with history.
CREATE TABLE goals (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    metric      TEXT NOT NULL,
    unit        TEXT,
    baseline    REAL,
    target      REAL NOT NULL,
    current     REAL,
    due_date    TEXT,
    status      TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'achieved', 'missed', 'cancelled')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX goals_account ON goals(account_id, id);

CREATE TABLE goal_values (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    goal_id     INTEGER NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    value       REAL NOT NULL,
    measured_at TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX goal_values_goal ON goal_values(goal_id, measured_at, id);

-- NPS (0-10), CSAT (1-5) and CES (1-7) answers.
CREATE TABLE survey_responses (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    contact_id  INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    type        TEXT NOT NULL CHECK (type IN ('nps', 'csat', 'ces')),
    score       INTEGER NOT NULL,
    comment     TEXT,
    answered_at TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK ((type = 'nps' AND score BETWEEN 0 AND 10) OR
           (type = 'csat' AND score BETWEEN 1 AND 5) OR
           (type = 'ces' AND score BETWEEN 1 AND 7))
);
CREATE INDEX survey_responses_account ON survey_responses(account_id, answered_at, id);
CREATE INDEX survey_responses_type ON survey_responses(type, answered_at);

-- One health snapshot per account and day (the last recompute of the day wins). The
-- explanation is not kept per day: it is recomputed for one account on demand. Keyed by day
-- first so that a recompute of every account appends at the end of the tree instead of
-- touching one page per account; an account's history is read day by day. For the same
-- reason account_id has no index and so no foreign key (SQLite would scan the table on every
-- account delete): store_account_delete removes an account's snapshots day by day. Without a
-- rowid the key is the table, one B-tree to write instead of two.
CREATE TABLE health_snapshots (
    day         TEXT NOT NULL,
    account_id  INTEGER NOT NULL,
    score       INTEGER,            -- NULL when no measure had data
    band        TEXT CHECK (band IN ('green', 'yellow', 'red')),
    deployment  INTEGER,
    engagement  INTEGER,
    adoption    INTEGER,
    roi         INTEGER,
    PRIMARY KEY (day, account_id)
) WITHOUT ROWID;

-- What each account did over the trailing windows the health measures use: distinct active
-- users in the 30 days ending `day` and in the 30 days before, key events used in 30 days,
-- each contact's latest NPS answer in 365 days, its decision makers' latest timeline entry,
-- timeline entries in 90 days. Counting these reads every rollup, answer and entry of the
-- windows, so it is done once a day per account, and again for an account when its data
-- changes, not on every health pass. keys_hash identifies the key events setting it used.
CREATE TABLE account_windows (
    account_id              INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    day                     TEXT NOT NULL,
    keys_hash               INTEGER NOT NULL,
    active_users_30         INTEGER NOT NULL,
    active_users_prev_30    INTEGER NOT NULL,
    key_events_used_30      INTEGER NOT NULL,
    nps_answers             INTEGER NOT NULL,
    nps_promoters           INTEGER NOT NULL,
    nps_detractors          INTEGER NOT NULL,
    has_decision_maker      INTEGER NOT NULL,
    decision_maker_touch_at TEXT,
    touches_90d             INTEGER NOT NULL
);

-- The current health (from the last recompute), the phase entry time (for overdue checks),
-- the value milestone time (TTV), and the CSM sentiment (a 1-5 manual rating with a note).
ALTER TABLE accounts ADD COLUMN health_score INTEGER;
ALTER TABLE accounts ADD COLUMN health_band TEXT CHECK (health_band IN ('green', 'yellow', 'red'));
ALTER TABLE accounts ADD COLUMN health_at TEXT;
ALTER TABLE accounts ADD COLUMN phase_entered_at TEXT;
ALTER TABLE accounts ADD COLUMN value_reached_at TEXT;
ALTER TABLE accounts ADD COLUMN sentiment INTEGER CHECK (sentiment BETWEEN 1 AND 5);
ALTER TABLE accounts ADD COLUMN sentiment_note TEXT;
ALTER TABLE accounts ADD COLUMN sentiment_at TEXT;
ALTER TABLE accounts ADD COLUMN sentiment_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
-- Sorting by health walks this index: the list orders by the same expression, accounts
-- without a score first (ascending), so keyset cursors never meet a NULL.
CREATE INDEX accounts_health ON accounts(COALESCE(health_score, -1), id);
CREATE INDEX accounts_band ON accounts(health_band);

-- The engagement measures join decision makers to their timeline entries for every account:
-- a partial index finds the decision makers, a covering one their entries.
CREATE INDEX contacts_decision_makers ON contacts(account_id) WHERE role = 'decision_maker';
DROP INDEX timeline_contacts_contact;
CREATE INDEX timeline_contacts_contact ON timeline_contacts(contact_id, entry_id);

-- Every existing account starts its history in its current phase.
UPDATE accounts SET phase_entered_at = created_at;
INSERT INTO phase_history (account_id, phase, entered_at, moved_by)
SELECT id, phase, created_at, 'initial' FROM accounts;
