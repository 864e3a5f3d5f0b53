-- high_risk_users: users whose requests in the high-risk web categories were blocked on at
-- least `min` (default 3) distinct days (UTC dates of occurred_at) in the window, per
-- school (a reference is one school's user). Only verdict blocked counts as an attempt;
-- flagged requests went through. `attempts` counts those blocked requests, `categories`
-- lists their high-risk categories; user_group is the one the filter gave the user (a
-- reference's prefix fixes its group, so it does not vary).
-- title: Users with repeated high-risk blocked attempts
-- params: from, to, school, hub, min
-- pupil_level: yes
--
-- The high-risk set is the view high_risk_blocked's (the contract's list). The `month`
-- predicate is on the Hive partition column (the month of occurred_at), so months outside
-- the window are never opened.
WITH per_day AS (
    SELECT f.school_id, f.user_ref, f.day, max(f.user_group) AS user_group,
           sum(f.requests) AS attempts, array_agg(f.category) AS categories
    FROM high_risk_blocked f
    JOIN schools s ON s.school_id = f.school_id
    WHERE f.month >= to_char($from, '%Y-%m')
      AND f.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND f.day >= CAST($from AS DATE)
      AND f.day < CAST($to AS DATE)
      AND ($school = '' OR f.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
    GROUP BY f.school_id, f.user_ref, f.day
)
SELECT school_id, user_ref, max(user_group) AS user_group, count(*) AS days,
       CAST(sum(attempts) AS BIGINT) AS attempts,
       array_to_string(array_sort(array_distinct(flatten(array_agg(categories)))), ', ') AS categories
FROM per_day
GROUP BY school_id, user_ref
HAVING count(*) >= $min
ORDER BY days DESC, attempts DESC, school_id, user_ref
