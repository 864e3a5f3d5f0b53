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
-- Read from the rollups, which hold exactly the raw filter_events' blocks (see
-- queries/rollups/): the months the window covers whole from blocked_monthly (one row per
-- user, category and verdict of a school's month), the months it covers in part (at its
-- edges) from blocked_daily, trimmed to the window's days (windows are whole UTC days).
-- The `month` predicates are on the Hive partition column (the month of occurred_at), so
-- months outside the window are never opened, nor whole months in the daily rollup.
-- Distinct users are counted in two steps (per user first, then per category): DataFusion
-- plans count(*) beside count(DISTINCT) in one GROUP BY far more slowly.
WITH blocks AS (
    SELECT b.month, b.school_id, b.category, b.user_ref, b.verdict, b.requests
    FROM blocked_monthly b
    WHERE b.month >= to_char(CASE WHEN date_trunc('month', $from) = $from THEN $from
                                  ELSE date_trunc('month', $from) + INTERVAL '1 month' END, '%Y-%m')
      AND b.month < to_char(date_trunc('month', $to), '%Y-%m')
    UNION ALL
    SELECT b.month, b.school_id, b.category, b.user_ref, b.verdict, b.requests
    FROM blocked_daily b
    WHERE b.month >= to_char($from, '%Y-%m')
      AND b.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND NOT (b.month >= to_char(CASE WHEN date_trunc('month', $from) = $from THEN $from
                                       ELSE date_trunc('month', $from) + INTERVAL '1 month' END, '%Y-%m')
               AND b.month < to_char(date_trunc('month', $to), '%Y-%m'))
      AND b.day >= CAST($from AS DATE)
      AND b.day < CAST($to AS DATE)
),
per_user AS (
    SELECT k.month, s.hub_id, k.school_id, k.category, k.user_ref,
           sum(CASE WHEN k.verdict = 'blocked' THEN k.requests ELSE 0 END) AS blocked,
           sum(CASE WHEN k.verdict = 'flagged' THEN k.requests ELSE 0 END) AS flagged
    FROM blocks k
    JOIN schools s ON s.school_id = k.school_id
    WHERE ($school = '' OR k.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
    GROUP BY 1, 2, 3, 4, 5
)
SELECT month, hub_id, school_id, category,
       CAST(sum(blocked) AS BIGINT) AS blocked, CAST(sum(flagged) AS BIGINT) AS flagged,
       count(*) AS distinct_users
FROM per_user
GROUP BY 1, 2, 3, 4
ORDER BY month, school_id, category
