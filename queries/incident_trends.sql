-- incident_trends: pupil incidents per month (of occurred_at, UTC), school and category,
-- with the pupils on roll at the month's end and the rate per 1,000 of them.
-- Governance roles read incident_categories (across a hub) and school_summary (a school's
-- total) instead: a hub's cells set against its schools' would give small ones back.
-- title: Incident trends by category
-- params: from, to, school, hub
-- governance: incident_categories, school_summary
-- counts: incidents
-- derived: rate_per_1000 = incidents
-- complements: month, school_id; school_id, category
WITH scoped AS (
    SELECT i.occurred_at, i.school_id, i.category, s.hub_id
    FROM incidents i
    JOIN schools s ON s.school_id = i.school_id
    WHERE i.subject_role = 'pupil'
      AND i.occurred_at >= $from
      AND i.occurred_at < $to
      AND ($school = '' OR i.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
),
counts AS (
    SELECT to_char(occurred_at, '%Y-%m') AS month, hub_id, school_id, category, count(*) AS incidents
    FROM scoped
    GROUP BY 1, 2, 3, 4
),
month_ends AS (
    SELECT DISTINCT school_id, month,
           CAST(to_date(month || '-01') + INTERVAL '1 month' - INTERVAL '1 day' AS DATE) AS month_end
    FROM counts
),
pupils AS (
    SELECT m.school_id, m.month, sum(r.headcount) AS pupils_on_roll
    FROM month_ends m
    JOIN on_roll r ON r.school_id = m.school_id AND r.role = 'pupil'
        AND r.census_date <= m.month_end AND (r.valid_until IS NULL OR r.valid_until > m.month_end)
    GROUP BY 1, 2
)
SELECT c.month, c.hub_id, c.school_id, c.category, c.incidents, p.pupils_on_roll,
       round(1000.0 * c.incidents / p.pupils_on_roll, 2) AS rate_per_1000
FROM counts c
LEFT JOIN pupils p ON p.school_id = c.school_id AND p.month = c.month
ORDER BY c.month, c.school_id, c.category
