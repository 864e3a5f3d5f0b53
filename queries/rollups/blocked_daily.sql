-- blocked_daily as the raw events define it: the web filter's blocked events (verdict
-- blocked or flagged) per school, month partition, UTC day of occurred_at, user, category
-- and verdict, with how many requests. The ingest derives the rollup file by file as it
-- commits (services/lake/src/rollup.rs); the test rollups_hold_exactly_the_raw_events
-- and `safelake rollups check` hold the rollup table equal to this query.
SELECT school_id, month, CAST(occurred_at AS DATE) AS day, user_ref,
       CAST(user_group AS VARCHAR) AS user_group, CAST(category AS VARCHAR) AS category,
       CAST(verdict AS VARCHAR) AS verdict, count(*) AS requests
FROM filter_events
WHERE type = 'uk.safeguarding.filter.blocked.v1'
GROUP BY 1, 2, 3, 4, 5, 6, 7
