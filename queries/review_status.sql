-- review_status: per school in scope (every one, with or without evidence), where its
-- filtering and monitoring review and named responsibilities stood at $at (the end of
-- the window, or now), as the DfE standards ask governors to check.
-- last_review_on: the date (UTC) of its latest review of any kind completed by $at (the
-- view `reviews`), last_trigger why it was held, and that review's four ratings (declared
-- by the school: red, amber or green). last_annual_review_on: its latest annual review by
-- $at; reviewed_within_12_months: whether that was completed after $at less 12 months.
-- reviews_in_window: reviews of any kind completed in the window.
-- open_actions: actions agreed by reviews by $at and not closed by $at (the view
-- `assurance_actions`); overdue_actions: those of them due before $at's date.
-- senior_leader_named, governor_named: whether the school had named, by $at, the senior
-- leader and the governor responsible for filtering and monitoring.
-- title: Filtering and monitoring review status
-- params: from, to, school, hub
-- counts: reviews_in_window, open_actions, overdue_actions
WITH scope AS (
    SELECT s.hub_id, s.school_id
    FROM schools s
    WHERE ($school = '' OR s.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
),
done AS (
    SELECT * FROM reviews WHERE completed_at <= $at
),
latest AS (
    SELECT * FROM (
        SELECT d.*, row_number() OVER (PARTITION BY school_id ORDER BY completed_at DESC, review_id) AS k
        FROM done d
    ) WHERE k = 1
),
summary AS (
    SELECT school_id,
           max(CASE WHEN "trigger" = 'annual' THEN completed_at END) AS last_annual,
           sum(CASE WHEN completed_at >= $from AND completed_at < $to THEN 1 ELSE 0 END) AS in_window
    FROM done
    GROUP BY 1
),
open_actions AS (
    SELECT school_id, count(*) AS open_actions,
           sum(CASE WHEN action_due_by < CAST($at AS DATE) THEN 1 ELSE 0 END) AS overdue_actions
    FROM assurance_actions
    WHERE source = 'review'
      AND raised_at <= $at
      AND (closed_at IS NULL OR closed_at > $at)
    GROUP BY 1
),
named AS (
    SELECT school_id,
           bool_or(responsibility = 'senior_leader') AS senior_leader_named,
           bool_or(responsibility = 'governor') AS governor_named
    FROM assurance_events
    WHERE type = 'uk.safeguarding.assurance.responsibility_assigned.v1'
      AND assigned_at <= $at
    GROUP BY 1
)
SELECT p.hub_id, p.school_id,
       CAST(l.completed_at AS DATE) AS last_review_on, l."trigger" AS last_trigger,
       l.roles_rating, l.annual_review_rating, l.filtering_rating, l.monitoring_rating,
       CAST(m.last_annual AS DATE) AS last_annual_review_on,
       coalesce(m.last_annual + INTERVAL '12 months' > $at, false) AS reviewed_within_12_months,
       coalesce(m.in_window, 0) AS reviews_in_window,
       coalesce(o.open_actions, 0) AS open_actions,
       coalesce(o.overdue_actions, 0) AS overdue_actions,
       coalesce(n.senior_leader_named, false) AS senior_leader_named,
       coalesce(n.governor_named, false) AS governor_named
FROM scope p
LEFT JOIN latest l ON l.school_id = p.school_id
LEFT JOIN summary m ON m.school_id = p.school_id
LEFT JOIN open_actions o ON o.school_id = p.school_id
LEFT JOIN named n ON n.school_id = p.school_id
ORDER BY p.hub_id, p.school_id
