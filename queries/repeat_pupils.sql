-- repeat_pupils: pupils with at least `min` incidents that occurred in the window, per
-- school (a pseudonymous reference belongs to one school's system).
-- title: Pupils with repeated incidents
-- params: from, to, school, hub, min
-- pupil_level: yes
SELECT i.school_id, i.pupil_ref, count(*) AS incidents,
       array_to_string(array_sort(array_distinct(array_agg(i.category))), ', ') AS categories,
       min(i.occurred_at) AS first_occurred_at, max(i.occurred_at) AS last_occurred_at
FROM incidents i
JOIN schools s ON s.school_id = i.school_id
WHERE i.subject_role = 'pupil'
  AND i.occurred_at >= $from
  AND i.occurred_at < $to
  AND ($school = '' OR i.school_id = $school)
  AND ($hub = '' OR s.hub_id = $hub)
GROUP BY i.school_id, i.pupil_ref
HAVING count(*) >= $min
ORDER BY incidents DESC, i.school_id, i.pupil_ref
