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
-- queries/rollups/): the months the window covers whole from blocked_by_category (one row
-- per category of a school's month, its distinct users included), the months it covers in
-- part (at its edges) from blocked_daily's per-user rows, trimmed to the window's days
-- (windows are whole UTC days). The `month` predicates are on the Hive partition column
-- (the month of occurred_at), so months outside the window are never opened, nor whole
-- months in the daily rollup. The edge's distinct users are counted in two steps (per
-- user first, then per category): DataFusion plans count(*) beside count(DISTINCT) in one
-- GROUP BY far more slowly.
WITH whole AS (
    SELECT c.month, c.school_id, c.category, c.blocked, c.flagged, c.users
    FROM blocked_by_category c
    WHERE c.month >= to_char(CASE WHEN date_trunc('month', $from) = $from THEN $from
                                  ELSE date_trunc('month', $from) + INTERVAL '1 month' END, '%Y-%m')
      AND c.month < to_char(date_trunc('month', $to), '%Y-%m')
),
edge_users AS (
    SELECT b.month, b.school_id, b.category, b.user_ref,
           sum(CASE WHEN b.verdict = 'blocked' THEN b.requests ELSE 0 END) AS blocked,
           sum(CASE WHEN b.verdict = 'flagged' THEN b.requests ELSE 0 END) AS flagged
    FROM blocked_daily b
    WHERE b.month >= to_char($from, '%Y-%m')
      AND b.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND NOT (b.month >= to_char(CASE WHEN date_trunc('month', $from) = $from THEN $from
                                       ELSE date_trunc('month', $from) + INTERVAL '1 month' END, '%Y-%m')
               AND b.month < to_char(date_trunc('month', $to), '%Y-%m'))
      AND b.day >= CAST($from AS DATE)
      AND b.day < CAST($to AS DATE)
    GROUP BY 1, 2, 3, 4
),
edge AS (
    SELECT month, school_id, category, sum(blocked) AS blocked, sum(flagged) AS flagged, count(*) AS users
    FROM edge_users
    GROUP BY 1, 2, 3
),
counted AS (
    SELECT * FROM whole
    UNION ALL
    SELECT * FROM edge
)
SELECT k.month, s.hub_id, k.school_id, k.category,
       CAST(k.blocked AS BIGINT) AS blocked, CAST(k.flagged AS BIGINT) AS flagged,
       CAST(k.users AS BIGINT) AS distinct_users
FROM counted k
JOIN schools s ON s.school_id = k.school_id
WHERE ($school = '' OR k.school_id = $school)
  AND ($hub = '' OR s.hub_id = $hub)
ORDER BY month, school_id, category
