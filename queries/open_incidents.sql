-- open_incidents: incidents that occurred in the window and were still open at its end
-- (not closed, or closed only after it), oldest first, with their age in days at the
-- window's end (or now, for a window that has not ended) and whether the DSL has had them.
-- Pupil and staff incidents alike: the DSL owns both.
-- title: Open incidents
-- params: from, to, school, hub
-- pupil_level: yes
SELECT i.school_id, i.incident_id, i.occurred_at, i.subject_role, i.category, i.severity,
       CAST(floor(date_part('epoch', $at - i.occurred_at) / 86400) AS BIGINT) AS days_open,
       i.referred_dsl_at IS NOT NULL AS referred_dsl
FROM incidents i
JOIN schools s ON s.school_id = i.school_id
WHERE i.occurred_at >= $from
  AND i.occurred_at < $to
  AND (i.closed_at IS NULL OR i.closed_at >= $at)
  AND ($school = '' OR i.school_id = $school)
  AND ($hub = '' OR s.hub_id = $hub)
ORDER BY i.occurred_at, i.school_id, i.incident_id
