-- 012: metrics speed (issue 5). bench/metrics, 100,000 accounts x 36 months.
--
-- 1. The health metric counts each account once a month by its last health snapshot of that
-- month. Reading the snapshots for that is one row per account and day (1.86 million rows for
-- 36 months even with one snapshot a month, 36.5 million a year with daily ones), so the
-- months are kept here instead: one row per account and calendar year, `months` holding 12
-- fixed-width slots of 6 characters, January first:
--
--   DD b SSS   DD: day of the month of the month's last snapshot ('..' = none that month)
--              b: band, g(reen) y(ellow) r(ed) u(nscored: the band was NULL)
--              SSS: score 000-999 zero-padded, '---' when NULL
--
-- e.g. '31r020' is a red snapshot of the 31st with score 20. A 36-month window then reads 3
-- or 4 short rows per account instead of every snapshot. Keyed by year first like
-- health_snapshots (a pass of every account writes the current year's rows in key order),
-- without a foreign key for the same reason (no account_id index to serve one): the rows
-- follow the snapshots, which go when their account goes.
--
-- The triggers below keep the slots equal to the last snapshot of each month whoever writes
-- health_snapshots (the health pass's insert or same-day update, the demo, a fixture), so
-- the rollup cannot drift from the snapshots: an insert or update fills its month's slot
-- unless a later day of that month is already there; a delete of the day in the slot puts
-- back the month's last remaining snapshot (31 key lookups), and a row left with no month is
-- removed. Snapshots are never re-keyed (guarded).
CREATE TABLE health_monthly (
    year        INTEGER NOT NULL,
    account_id  INTEGER NOT NULL,
    months      TEXT NOT NULL CHECK (length(months) = 72),
    PRIMARY KEY (year, account_id)
) WITHOUT ROWID;

CREATE TRIGGER health_snapshots_rekey BEFORE UPDATE OF day, account_id ON health_snapshots
WHEN new.day IS NOT old.day OR new.account_id IS NOT old.account_id
BEGIN
    SELECT RAISE(ABORT, 'health snapshots are not re-keyed');
END;

CREATE TRIGGER health_monthly_insert AFTER INSERT ON health_snapshots
WHEN new.day GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
     AND substr(new.day, 6, 2) BETWEEN '01' AND '12'
BEGIN
    INSERT INTO health_monthly (year, account_id, months)
    VALUES (CAST(substr(new.day, 1, 4) AS INTEGER), new.account_id,
            substr('........................................................................',
                   1, (CAST(substr(new.day, 6, 2) AS INTEGER) - 1) * 6)
            || substr(new.day, 9, 2)
            || CASE new.band WHEN 'green' THEN 'g' WHEN 'yellow' THEN 'y' WHEN 'red' THEN 'r'
                             ELSE 'u' END
            || CASE WHEN new.score IS NULL THEN '---' WHEN new.score < 0 THEN '000'
                    WHEN new.score > 999 THEN '999' ELSE printf('%03d', new.score) END
            || substr('........................................................................',
                      CAST(substr(new.day, 6, 2) AS INTEGER) * 6 + 1))
    ON CONFLICT (year, account_id) DO UPDATE SET
        months = substr(months, 1, (CAST(substr(new.day, 6, 2) AS INTEGER) - 1) * 6)
                 || substr(excluded.months, (CAST(substr(new.day, 6, 2) AS INTEGER) - 1) * 6 + 1, 6)
                 || substr(months, CAST(substr(new.day, 6, 2) AS INTEGER) * 6 + 1)
    WHERE substr(months, (CAST(substr(new.day, 6, 2) AS INTEGER) - 1) * 6 + 1, 2)
          <= substr(new.day, 9, 2);
END;

-- The health pass rewrites a day's snapshot in place (ON CONFLICT DO UPDATE): same day, so
-- the same rule as an insert.
CREATE TRIGGER health_monthly_update AFTER UPDATE OF score, band ON health_snapshots
WHEN new.day GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
     AND substr(new.day, 6, 2) BETWEEN '01' AND '12'
BEGIN
    UPDATE health_monthly SET
        months = substr(months, 1, (CAST(substr(new.day, 6, 2) AS INTEGER) - 1) * 6)
                 || substr(new.day, 9, 2)
                 || CASE new.band WHEN 'green' THEN 'g' WHEN 'yellow' THEN 'y'
                                  WHEN 'red' THEN 'r' ELSE 'u' END
                 || CASE WHEN new.score IS NULL THEN '---' WHEN new.score < 0 THEN '000'
                         WHEN new.score > 999 THEN '999' ELSE printf('%03d', new.score) END
                 || substr(months, CAST(substr(new.day, 6, 2) AS INTEGER) * 6 + 1)
    WHERE year = CAST(substr(new.day, 1, 4) AS INTEGER) AND account_id = new.account_id
          AND substr(months, (CAST(substr(new.day, 6, 2) AS INTEGER) - 1) * 6 + 1, 2)
              = substr(new.day, 9, 2);
END;

CREATE TRIGGER health_monthly_delete AFTER DELETE ON health_snapshots
WHEN old.day GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
     AND substr(old.day, 6, 2) BETWEEN '01' AND '12'
BEGIN
    UPDATE health_monthly SET
        months = substr(months, 1, (CAST(substr(old.day, 6, 2) AS INTEGER) - 1) * 6)
                 || coalesce((
                     SELECT max(substr(h.day, 9, 2)
                                || CASE h.band WHEN 'green' THEN 'g' WHEN 'yellow' THEN 'y'
                                               WHEN 'red' THEN 'r' ELSE 'u' END
                                || CASE WHEN h.score IS NULL THEN '---' WHEN h.score < 0 THEN '000'
                                        WHEN h.score > 999 THEN '999'
                                        ELSE printf('%03d', h.score) END)
                     FROM health_snapshots h
                     WHERE h.account_id = old.account_id AND h.day IN (
                         substr(old.day, 1, 8) || '01', substr(old.day, 1, 8) || '02',
                         substr(old.day, 1, 8) || '03', substr(old.day, 1, 8) || '04',
                         substr(old.day, 1, 8) || '05', substr(old.day, 1, 8) || '06',
                         substr(old.day, 1, 8) || '07', substr(old.day, 1, 8) || '08',
                         substr(old.day, 1, 8) || '09', substr(old.day, 1, 8) || '10',
                         substr(old.day, 1, 8) || '11', substr(old.day, 1, 8) || '12',
                         substr(old.day, 1, 8) || '13', substr(old.day, 1, 8) || '14',
                         substr(old.day, 1, 8) || '15', substr(old.day, 1, 8) || '16',
                         substr(old.day, 1, 8) || '17', substr(old.day, 1, 8) || '18',
                         substr(old.day, 1, 8) || '19', substr(old.day, 1, 8) || '20',
                         substr(old.day, 1, 8) || '21', substr(old.day, 1, 8) || '22',
                         substr(old.day, 1, 8) || '23', substr(old.day, 1, 8) || '24',
                         substr(old.day, 1, 8) || '25', substr(old.day, 1, 8) || '26',
                         substr(old.day, 1, 8) || '27', substr(old.day, 1, 8) || '28',
                         substr(old.day, 1, 8) || '29', substr(old.day, 1, 8) || '30',
                         substr(old.day, 1, 8) || '31')), '......')
                 || substr(months, CAST(substr(old.day, 6, 2) AS INTEGER) * 6 + 1)
    WHERE year = CAST(substr(old.day, 1, 4) AS INTEGER) AND account_id = old.account_id
          AND substr(months, (CAST(substr(old.day, 6, 2) AS INTEGER) - 1) * 6 + 1, 2)
              = substr(old.day, 9, 2);
    DELETE FROM health_monthly
    WHERE year = CAST(substr(old.day, 1, 4) AS INTEGER) AND account_id = old.account_id
          AND months = '........................................................................';
END;

-- The months of the snapshots already there: per account and month the slot of the latest
-- day (slots start with the day, so the greatest slot is the last snapshot's).
INSERT INTO health_monthly (year, account_id, months)
SELECT y, account_id,
       coalesce(max(CASE WHEN m = 1 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 2 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 3 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 4 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 5 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 6 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 7 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 8 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 9 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 10 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 11 THEN slot END), '......')
       || coalesce(max(CASE WHEN m = 12 THEN slot END), '......')
FROM (SELECT CAST(substr(day, 1, 4) AS INTEGER) AS y, CAST(substr(day, 6, 2) AS INTEGER) AS m,
             account_id,
             substr(day, 9, 2)
             || CASE band WHEN 'green' THEN 'g' WHEN 'yellow' THEN 'y' WHEN 'red' THEN 'r'
                          ELSE 'u' END
             || CASE WHEN score IS NULL THEN '---' WHEN score < 0 THEN '000'
                     WHEN score > 999 THEN '999' ELSE printf('%03d', score) END AS slot
      FROM health_snapshots
      WHERE day GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
            AND substr(day, 6, 2) BETWEEN '01' AND '12')
GROUP BY y, account_id;

-- 2. Renewals over a whole year are every subscription: this covering index gives them in
-- renewal order without visiting the table (the listed page's names and plans are read
-- afterwards, for those rows only).
CREATE INDEX subscriptions_renewal_metrics
    ON subscriptions(renewal_date, account_id, status, mrr, currency);

-- 3. A metrics filter is run once into a set of account ids (store/metrics.c); owner, tier
-- and phase have an index for it, industry had none (a scan of every account row).
CREATE INDEX accounts_industry ON accounts(industry);

-- 4. Team activity reads completed tasks by time. The index of migration 008 left out
-- `status`, which its own WHERE names, so SQLite visited every task's row to check it: this
-- one covers the query.
DROP INDEX tasks_done_metrics;
CREATE INDEX tasks_done_metrics_covering
    ON tasks(completed_at, assignee_id, type, account_id, status) WHERE status = 'done';
