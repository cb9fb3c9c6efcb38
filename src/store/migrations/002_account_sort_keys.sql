-- 002: list sort keys on the account row, so that sorting 100,000 accounts by ARR or renewal
-- date walks an index instead of sorting a join. Maintained by the store with every change of
-- the current subscription: sort_arr = 12 x MRR (-1 without a subscription), sort_renewal =
-- renewal date ('9999-12-31' without one, so that it sorts last).
ALTER TABLE accounts ADD COLUMN sort_arr INTEGER NOT NULL DEFAULT -1;
ALTER TABLE accounts ADD COLUMN sort_renewal TEXT NOT NULL DEFAULT '9999-12-31';
UPDATE accounts SET
    sort_arr = COALESCE((SELECT s.mrr * 12 FROM subscriptions s WHERE s.account_id = accounts.id), -1),
    sort_renewal = COALESCE((SELECT s.renewal_date FROM subscriptions s
                             WHERE s.account_id = accounts.id), '9999-12-31');
CREATE INDEX accounts_sort_arr ON accounts(sort_arr, id);
CREATE INDEX accounts_sort_renewal ON accounts(sort_renewal, id);
