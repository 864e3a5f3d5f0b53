-- assurance_checks: per term, school and system (filtering or monitoring), the checks of
-- the DfE standards' log and what became of the actions they raised.
-- Terms as the view `checks` gives them (of checked_at, UTC, read `2025-26 autumn`);
-- checks whose checked_at lies in the window, one per check_id. checks; failed: those
-- not passed.
-- Of the actions the checks raised, as they stood at $at (the end of the window, or
-- now): actions; actions_closed; median_days_to_close, checked_at to the first
-- closed_at, in days to one decimal, NULL when none is closed; overdue_actions, not
-- closed at $at and due before its date.
-- Governance roles read assurance_checks_by_hub instead: a school's checks in a term are
-- a few, and its small counts withheld would leave nothing to read.
-- title: Filtering and monitoring checks
-- params: from, to, school, hub
-- governance: assurance_checks_by_hub
-- counts: checks, failed, actions, actions_closed, overdue_actions
-- derived: median_days_to_close = actions_closed
WITH dated AS (
    SELECT c.term, c.school_id, c.system, c.passed, c.checked_at, c.action_id, c.action_due_by,
           CASE WHEN a.closed_at <= $at THEN a.closed_at END AS closed_at
    FROM checks c
    JOIN schools s ON s.school_id = c.school_id
    LEFT JOIN assurance_actions a ON a.school_id = c.school_id AND a.action_id = c.action_id
    WHERE c.checked_at >= $from
      AND c.checked_at < $to
      AND ($school = '' OR c.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
)
SELECT term, school_id, system,
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
ORDER BY term, school_id, system
