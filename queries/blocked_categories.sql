-- blocked_categories: web requests the filter stopped, per month (of occurred_at, UTC),
-- school and web category. `blocked` counts events with verdict blocked, `flagged` those
-- with verdict flagged (let through but reported; the contract has no other verdict), and
-- distinct_users the distinct user_ref among both in that month, school and category.
-- title: Blocked and flagged web categories
-- params: from, to, school, hub
-- counts: blocked, flagged, distinct_users
-- derived: blocked = distinct_users; flagged = distinct_users
-- complements: month, school_id
--
-- Read from the blocked_daily rollup (one row per day, user, category and verdict, which
-- holds exactly the raw filter_events' blocks: see rollups/blocked_daily.sql). The
-- `month` predicate is on the Hive partition column (the month of occurred_at), so whole
-- months outside the window are never opened; the `day` predicate then trims the edge
-- months (windows are whole UTC days).
-- Distinct users are counted in two steps (per user first, then per category): DataFusion
-- plans count(*) beside count(DISTINCT) in one GROUP BY far more slowly.
WITH per_user AS (
    SELECT to_char(b.day, '%Y-%m') AS event_month, s.hub_id, b.school_id, b.category, b.user_ref,
           sum(CASE WHEN b.verdict = 'blocked' THEN b.requests ELSE 0 END) AS blocked,
           sum(CASE WHEN b.verdict = 'flagged' THEN b.requests ELSE 0 END) AS flagged
    FROM blocked_daily b
    JOIN schools s ON s.school_id = b.school_id
    WHERE b.month >= to_char($from, '%Y-%m')
      AND b.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND b.day >= CAST($from AS DATE)
      AND b.day < CAST($to AS DATE)
      AND ($school = '' OR b.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
    GROUP BY 1, 2, 3, 4, 5
)
SELECT event_month AS month, hub_id, school_id, category,
       CAST(sum(blocked) AS BIGINT) AS blocked, CAST(sum(flagged) AS BIGINT) AS flagged,
       count(*) AS distinct_users
FROM per_user
GROUP BY 1, 2, 3, 4
ORDER BY month, school_id, category
