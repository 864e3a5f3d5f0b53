-- checks: one row per filtering or monitoring check (school_id, check_id), as the DfE
-- standards ask a school to log them, with the action a failure raised (NULL when none).
-- A check re-sent under a new event id keeps the first version (by emission time, then
-- id), as in incidents.
-- term: the term of checked_at (UTC), read `2025-26 autumn` (autumn September-December,
-- spring January-March, summer April-August), and its bounds [term_start, term_end).
WITH versions AS (
    SELECT school_id, check_id, checked_at, checked_by, CAST(system AS VARCHAR) AS system,
           CAST(tested AS VARCHAR) AS tested, target, CAST(device_type AS VARCHAR) AS device_type,
           CAST(device AS VARCHAR) AS device, CAST(site AS VARCHAR) AS site, CAST(user_group AS VARCHAR) AS user_group,
           CAST(expected AS VARCHAR) AS expected, CAST(observed AS VARCHAR) AS observed, passed,
           action_id, action, action_owner, action_due_by,
           row_number() OVER (PARTITION BY school_id, check_id ORDER BY time, id) AS n
    FROM assurance_events
    WHERE type = 'uk.safeguarding.assurance.check_performed.v1'
),
dated AS (
    SELECT v.*, CAST(date_part('month', checked_at) AS INT) AS m, date_trunc('year', checked_at) AS jan,
           CAST(date_part('year', checked_at) AS BIGINT)
               - CASE WHEN date_part('month', checked_at) < 9 THEN 1 ELSE 0 END AS start_year
    FROM versions v
    WHERE n = 1
)
SELECT school_id, check_id, checked_at, checked_by, system, tested, target, device_type, device, site, user_group,
       expected, observed, passed, action_id, action, action_owner, action_due_by,
       CAST(start_year AS VARCHAR) || '-' || lpad(CAST((start_year + 1) % 100 AS VARCHAR), 2, '0') || ' '
           || CASE WHEN m >= 9 THEN 'autumn' WHEN m >= 4 THEN 'summer' ELSE 'spring' END AS term,
       CASE WHEN m >= 9 THEN jan + INTERVAL '8 months'
            WHEN m >= 4 THEN jan + INTERVAL '3 months'
            ELSE jan END AS term_start,
       CASE WHEN m >= 9 THEN jan + INTERVAL '12 months'
            WHEN m >= 4 THEN jan + INTERVAL '8 months'
            ELSE jan + INTERVAL '3 months' END AS term_end
FROM dated
