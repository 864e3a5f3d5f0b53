-- high_risk_summary: per school, blocked attempts in the high-risk web categories in the
-- window, the users who made them, and how many of those users did so on at least `min`
-- (default 3) distinct days (the users high_risk_users lists): counts a HAB may see
-- without any pupil-level row. Every school in scope has a row, zeros included.
-- title: High-risk blocked attempts
-- params: from, to, school, hub, min
-- counts: attempts, users, repeat_users
-- derived: attempts = users
WITH attempts AS (
    SELECT f.school_id, f.user_ref, f.day, sum(f.requests) AS attempts
    FROM high_risk_blocked f
    JOIN schools s ON s.school_id = f.school_id
    WHERE f.month >= to_char($from, '%Y-%m')
      AND f.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND f.day >= CAST($from AS DATE)
      AND f.day < CAST($to AS DATE)
      AND ($school = '' OR f.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
    GROUP BY 1, 2, 3
),
per_user AS (
    SELECT school_id, user_ref, count(*) AS days, sum(attempts) AS attempts
    FROM attempts
    GROUP BY 1, 2
),
per_school AS (
    SELECT school_id, CAST(sum(attempts) AS BIGINT) AS attempts, count(*) AS users,
           count(*) FILTER (WHERE days >= $min) AS repeat_users
    FROM per_user
    GROUP BY 1
)
SELECT s.hub_id, s.school_id, coalesce(p.attempts, 0) AS attempts, coalesce(p.users, 0) AS users,
       coalesce(p.repeat_users, 0) AS repeat_users
FROM schools s
LEFT JOIN per_school p ON p.school_id = s.school_id
WHERE ($school = '' OR s.school_id = $school)
  AND ($hub = '' OR s.hub_id = $hub)
ORDER BY s.hub_id, s.school_id
