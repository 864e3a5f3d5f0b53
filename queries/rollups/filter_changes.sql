-- filter_changes as the raw events define it: every filter event that is not a block
-- (unblock requests and their decisions, rule changes), as it is. Governance reports read
-- the rollup instead of scanning past the blocks; the ingest writes it file by file
-- (services/lake/src/rollup.rs) and `safelake rollups check` holds it equal to this query.
SELECT *
FROM filter_events
WHERE type <> 'uk.safeguarding.filter.blocked.v1'
