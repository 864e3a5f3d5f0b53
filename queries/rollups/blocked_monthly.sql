-- blocked_monthly as the raw events define it: the web filter's blocked events (verdict
-- blocked or flagged) per school, month partition, user, category and verdict, with how
-- many requests: blocked_daily without the day, for reports over whole months. The
-- ingest derives it file by file (services/lake/src/rollup.rs); `safelake rollups check`
-- and the test rollups_hold_exactly_the_raw_events hold the rollup equal to this query.
SELECT school_id, month, user_ref, CAST(user_group AS VARCHAR) AS user_group,
       CAST(category AS VARCHAR) AS category, CAST(verdict AS VARCHAR) AS verdict, count(*) AS requests
FROM filter_events
WHERE type = 'uk.safeguarding.filter.blocked.v1'
GROUP BY 1, 2, 3, 4, 5, 6
