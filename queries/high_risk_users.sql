-- high_risk_users: users whose requests in the high-risk web categories were blocked on at
-- least `min` (default 3) distinct days (UTC dates of occurred_at) in the window, per
-- school (a reference is one school's user). Only verdict blocked counts as an attempt;
-- flagged requests went through. `attempts` counts those blocked requests, `categories`
-- lists their high-risk categories; user_group is the one the filter gave the user (a
-- reference's prefix fixes its group, so it does not vary).
-- title: Users with repeated high-risk blocked attempts
-- params: from, to, school, hub, min
--
-- The high-risk set is `high_risk_web_category` in schemas/defs.json (events.md: the
-- categories whose blocked attempts alert a DSL); keep this list equal to it.
-- The `month` predicate is on the Hive partition column (the month of occurred_at), so
-- months outside the window are never opened.
WITH attempts AS (
    SELECT f.school_id, f.user_ref, CAST(f.user_group AS VARCHAR) AS user_group,
           CAST(f.category AS VARCHAR) AS category, CAST(f.occurred_at AS DATE) AS day
    FROM filter_events f
    JOIN schools s ON s.school_id = f.school_id
    WHERE f.type = 'uk.safeguarding.filter.blocked.v1'
      AND f.verdict = 'blocked'
      AND f.category IN ('extremism', 'self_harm', 'adult_content', 'weapons', 'illegal_iwf', 'violence', 'hate')
      AND f.month >= to_char($from, '%Y-%m')
      AND f.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND f.occurred_at >= $from
      AND f.occurred_at < $to
      AND ($school = '' OR f.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
),
-- Distinct days in two steps (per day first), as DataFusion plans count(DISTINCT) beside
-- count(*) slowly.
per_day AS (
    SELECT school_id, user_ref, day, max(user_group) AS user_group, count(*) AS attempts,
           array_distinct(array_agg(category)) AS categories
    FROM attempts
    GROUP BY school_id, user_ref, day
)
SELECT school_id, user_ref, max(user_group) AS user_group, count(*) AS days,
       CAST(sum(attempts) AS BIGINT) AS attempts,
       array_to_string(array_sort(array_distinct(flatten(array_agg(categories)))), ', ') AS categories
FROM per_day
GROUP BY school_id, user_ref
HAVING count(*) >= $min
ORDER BY days DESC, attempts DESC, school_id, user_ref
