-- assurance_checks_by_hub: assurance_checks across each hub's schools in scope, per term,
-- hub and system (filtering or monitoring): the grain at which governance roles see the
-- checks, as incident_categories is for incidents. A term counts only when the window
-- covers all of it (autumn is September to December, spring January to March, summer
-- April to August), so that two windows a month apart cannot give back one month's
-- figure; `term` reads `2025-26 autumn`.
-- checks, failed, and of the actions they raised, as they stood at $at (the end of the
-- window, or now): actions, actions_closed, median_days_to_close and overdue_actions,
-- each as in assurance_checks.
-- title: Filtering and monitoring checks across the hub, term by term
-- params: from, to, hub
-- counts: checks, failed, actions, actions_closed, overdue_actions
-- derived: median_days_to_close = actions_closed
WITH dated AS (
    SELECT c.term, s.hub_id, c.system, c.passed, c.checked_at, c.action_id, c.action_due_by,
           CASE WHEN a.closed_at <= $at THEN a.closed_at END AS closed_at
    FROM checks c
    JOIN schools s ON s.school_id = c.school_id
    LEFT JOIN assurance_actions a ON a.school_id = c.school_id AND a.action_id = c.action_id
    WHERE c.checked_at >= $from
      AND c.checked_at < $to
      AND c.term_start >= $from
      AND c.term_end <= $to
      AND ($hub = '' OR s.hub_id = $hub)
)
SELECT term, hub_id, system,
       count(*) AS checks,
       sum(CASE WHEN passed THEN 0 ELSE 1 END) AS failed,
       count(action_id) AS actions,
       count(closed_at) AS actions_closed,
       round(median((arrow_cast(closed_at, 'Int64') - arrow_cast(checked_at, 'Int64')) / 86400000000.0), 1)
           AS median_days_to_close,
       sum(CASE WHEN action_id IS NOT NULL AND closed_at IS NULL AND action_due_by < CAST($at AS DATE) THEN 1 ELSE 0 END)
           AS overdue_actions
FROM dated
GROUP BY 1, 2, 3
ORDER BY term, hub_id, system
