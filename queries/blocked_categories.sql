-- blocked_categories: web requests the filter stopped, per month (of occurred_at, UTC),
-- school and web category. `blocked` counts events with verdict blocked, `flagged` those
-- with verdict flagged (let through but reported; the contract has no other verdict), and
-- distinct_users the distinct user_ref among both in that month, school and category.
-- title: Blocked and flagged web categories
-- params: from, to, school, hub
--
-- The `month` predicate is on the Hive partition column (the month of occurred_at, the
-- business time of blocked events), so whole months outside the window are never opened;
-- the occurred_at predicate then trims the edge months.
-- Distinct users are counted in two steps (per user first, then per category): DataFusion
-- plans count(*) beside count(DISTINCT) in one GROUP BY far more slowly.
WITH per_user AS (
    SELECT to_char(f.occurred_at, '%Y-%m') AS event_month, s.hub_id, f.school_id,
           CAST(f.category AS VARCHAR) AS category, f.user_ref,
           sum(CASE WHEN f.verdict = 'blocked' THEN 1 ELSE 0 END) AS blocked,
           sum(CASE WHEN f.verdict = 'flagged' THEN 1 ELSE 0 END) AS flagged
    FROM filter_events f
    JOIN schools s ON s.school_id = f.school_id
    WHERE f.type = 'uk.safeguarding.filter.blocked.v1'
      AND f.month >= to_char($from, '%Y-%m')
      AND f.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND f.occurred_at >= $from
      AND f.occurred_at < $to
      AND ($school = '' OR f.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
    GROUP BY 1, 2, 3, 4, 5
)
SELECT event_month AS month, hub_id, school_id, category,
       CAST(sum(blocked) AS BIGINT) AS blocked, CAST(sum(flagged) AS BIGINT) AS flagged,
       count(*) AS distinct_users
FROM per_user
GROUP BY 1, 2, 3, 4
ORDER BY month, school_id, category
