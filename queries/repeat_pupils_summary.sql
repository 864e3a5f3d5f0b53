-- repeat_pupils_summary: per school, the pupils with at least `min` (default 3) pupil
-- incidents that occurred in the window (as repeat_pupils counts them: a reference is one
-- school's pupil) and how many incidents those pupils had in it. Every school in scope
-- has a row, 0 when it has no repeat pupils, so a quiet school is seen as such.
-- title: Repeat pupils by school
-- params: from, to, school, hub, min
-- counts: repeat_pupils, incidents_involving_them
-- derived: incidents_involving_them = repeat_pupils
WITH scoped AS (
    SELECT s.school_id, s.hub_id FROM schools s
    WHERE ($school = '' OR s.school_id = $school) AND ($hub = '' OR s.hub_id = $hub)
),
per_pupil AS (
    SELECT i.school_id, i.pupil_ref, count(*) AS incidents
    FROM incidents i
    JOIN scoped s ON s.school_id = i.school_id
    WHERE i.subject_role = 'pupil'
      AND i.occurred_at >= $from
      AND i.occurred_at < $to
    GROUP BY i.school_id, i.pupil_ref
    HAVING count(*) >= $min
),
per_school AS (
    SELECT school_id, count(*) AS repeat_pupils, sum(incidents) AS incidents_involving_them
    FROM per_pupil
    GROUP BY school_id
)
SELECT s.hub_id, s.school_id, coalesce(p.repeat_pupils, 0) AS repeat_pupils,
       CAST(coalesce(p.incidents_involving_them, 0) AS BIGINT) AS incidents_involving_them
FROM scoped s
LEFT JOIN per_school p ON p.school_id = s.school_id
ORDER BY s.school_id
