-- unblock_requests: one row per unblock request (school_id, request_id): what was asked
-- for, and its decision (the latest, when a decision was revised; NULL while undecided).
--
-- A request re-sent under a new event id keeps the first version (by emission time, then
-- id), as in incidents: the first is what the requester asked for at the time.
-- Read from the filter_changes rollup (the filter events that are not blocks, as they
-- are: queries/rollups/filter_changes.sql), so the blocks are not scanned.
WITH requested AS (
    SELECT * FROM (
        SELECT school_id, request_id, requested_at, requested_by, domain, CAST(category AS VARCHAR) AS category,
               reason, "from", until,
               row_number() OVER (PARTITION BY school_id, request_id ORDER BY time, id) AS n
        FROM filter_changes
        WHERE type = 'uk.safeguarding.filter.unblock_requested.v1'
    ) WHERE n = 1
),
-- A later decision overrides an earlier one (a denial reconsidered, an approval revoked),
-- so the latest decided_at is the request's state.
decided AS (
    SELECT * FROM (
        SELECT school_id, request_id, CAST(decision AS VARCHAR) AS decision, decided_at, decided_by,
               row_number() OVER (PARTITION BY school_id, request_id ORDER BY decided_at DESC, id) AS n
        FROM filter_changes
        WHERE type = 'uk.safeguarding.filter.unblock_decided.v1'
    ) WHERE n = 1
)
SELECT r.school_id, r.request_id, r.requested_at, r.requested_by, r.domain, r.category, r.reason,
       r."from", r.until, d.decision, d.decided_at, d.decided_by
FROM requested r
LEFT JOIN decided d ON d.school_id = r.school_id AND d.request_id = r.request_id
