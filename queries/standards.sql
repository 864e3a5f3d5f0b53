-- standards: per school in scope and DfE filtering and monitoring standard (roles,
-- annual_review, filtering, monitoring), its evidence, one figure per row, each marked
-- by its basis: `declared` (the school's own rating in its latest review completed by
-- $at, declared_on being that review's date) or `measured` (worked out from the events:
-- checks, actions, responsibilities, alerts).
-- roles: the rating; whether a senior leader and a governor responsible were named by
-- $at. annual_review: the rating; the last annual review by $at; whether it was within
-- the 12 months to $at; whether any review action was open past its due date at $at.
-- filtering, monitoring: the rating; the last check of that system by $at; whether one
-- was made in the window, and whether one made in the window failed; whether any action
-- of the standard (from checks or reviews) was open past its due date at $at; for
-- monitoring, whether every alert raised in the window had been reviewed by $at.
-- Every figure is a rating, a date or yes/no, never a count, so the page reads the same
-- for every role; the counts behind them are in assurance_checks and review_status. A
-- figure with nothing behind it reads 'none recorded' (a rating, a date) or 'no'.
-- $at is the end of the window, or now.
-- title: The DfE filtering and monitoring standards
-- params: from, to, school, hub
WITH scope AS (
    SELECT s.hub_id, s.school_id
    FROM schools s
    WHERE ($school = '' OR s.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
),
systems AS (
    SELECT 'filtering' AS standard UNION ALL SELECT 'monitoring'
),
latest AS (
    SELECT * FROM (
        SELECT r.*, row_number() OVER (PARTITION BY school_id ORDER BY completed_at DESC, review_id) AS k
        FROM reviews r
        WHERE completed_at <= $at
    ) WHERE k = 1
),
annual AS (
    SELECT school_id, max(completed_at) AS completed_at
    FROM reviews
    WHERE "trigger" = 'annual' AND completed_at <= $at
    GROUP BY 1
),
named AS (
    SELECT school_id,
           bool_or(responsibility = 'senior_leader') AS senior_leader,
           bool_or(responsibility = 'governor') AS governor
    FROM assurance_events
    WHERE type = 'uk.safeguarding.assurance.responsibility_assigned.v1'
      AND assigned_at <= $at
    GROUP BY 1
),
checked AS (
    SELECT school_id, system,
           max(CASE WHEN checked_at <= $at THEN checked_at END) AS last_check,
           bool_or(checked_at >= $from AND checked_at < $to) AS in_window,
           bool_or(checked_at >= $from AND checked_at < $to AND NOT passed) AS failed_in_window
    FROM checks
    GROUP BY 1, 2
),
overdue AS (
    SELECT school_id, standard, bool_or(source = 'review') AS from_review
    FROM assurance_actions
    WHERE raised_at <= $at
      AND (closed_at IS NULL OR closed_at > $at)
      AND action_due_by < CAST($at AS DATE)
    GROUP BY 1, 2
),
overdue_review AS (
    SELECT school_id, bool_or(from_review) AS any FROM overdue GROUP BY 1
),
alerts_reviewed AS (
    SELECT school_id, bool_and(reviewed_at IS NOT NULL AND reviewed_at <= $at) AS all_reviewed
    FROM alerts
    WHERE raised_at >= $from AND raised_at < $to
    GROUP BY 1
),
figures AS (
    SELECT p.hub_id, p.school_id, 'roles' AS standard, 1 AS line, 'rating' AS figure,
           coalesce(l.roles_rating, 'none recorded') AS value, 'declared' AS basis, CAST(l.completed_at AS DATE) AS declared_on
    FROM scope p LEFT JOIN latest l ON l.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, 'roles', 2, 'senior leader responsible named',
           CASE WHEN n.senior_leader THEN 'yes' ELSE 'no' END, 'measured', CAST(NULL AS DATE)
    FROM scope p LEFT JOIN named n ON n.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, 'roles', 3, 'governor responsible named',
           CASE WHEN n.governor THEN 'yes' ELSE 'no' END, 'measured', CAST(NULL AS DATE)
    FROM scope p LEFT JOIN named n ON n.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, 'annual_review', 1, 'rating',
           coalesce(l.annual_review_rating, 'none recorded'), 'declared', CAST(l.completed_at AS DATE)
    FROM scope p LEFT JOIN latest l ON l.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, 'annual_review', 2, 'last annual review',
           coalesce(CAST(CAST(a.completed_at AS DATE) AS VARCHAR), 'none recorded'), 'measured', CAST(NULL AS DATE)
    FROM scope p LEFT JOIN annual a ON a.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, 'annual_review', 3, 'reviewed within 12 months',
           CASE WHEN a.completed_at + INTERVAL '12 months' > $at THEN 'yes' ELSE 'no' END, 'measured', CAST(NULL AS DATE)
    FROM scope p LEFT JOIN annual a ON a.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, 'annual_review', 4, 'review actions past their due date',
           CASE WHEN o.any THEN 'yes' ELSE 'no' END, 'measured', CAST(NULL AS DATE)
    FROM scope p LEFT JOIN overdue_review o ON o.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, x.standard, 1, 'rating',
           coalesce(CASE x.standard WHEN 'filtering' THEN l.filtering_rating ELSE l.monitoring_rating END, 'none recorded'),
           'declared', CAST(l.completed_at AS DATE)
    FROM scope p CROSS JOIN systems x
    LEFT JOIN latest l ON l.school_id = p.school_id
    UNION ALL
    SELECT p.hub_id, p.school_id, x.standard, 2, 'last check',
           coalesce(CAST(CAST(c.last_check AS DATE) AS VARCHAR), 'none recorded'), 'measured', CAST(NULL AS DATE)
    FROM scope p CROSS JOIN systems x
    LEFT JOIN checked c ON c.school_id = p.school_id AND c.system = x.standard
    UNION ALL
    SELECT p.hub_id, p.school_id, x.standard, 3, 'checked in the period',
           CASE WHEN c.in_window THEN 'yes' ELSE 'no' END, 'measured', CAST(NULL AS DATE)
    FROM scope p CROSS JOIN systems x
    LEFT JOIN checked c ON c.school_id = p.school_id AND c.system = x.standard
    UNION ALL
    SELECT p.hub_id, p.school_id, x.standard, 4, 'a check in the period failed',
           CASE WHEN c.failed_in_window THEN 'yes' ELSE 'no' END, 'measured', CAST(NULL AS DATE)
    FROM scope p CROSS JOIN systems x
    LEFT JOIN checked c ON c.school_id = p.school_id AND c.system = x.standard
    UNION ALL
    SELECT p.hub_id, p.school_id, x.standard, 5, 'actions past their due date',
           CASE WHEN o.school_id IS NOT NULL THEN 'yes' ELSE 'no' END, 'measured', CAST(NULL AS DATE)
    FROM scope p CROSS JOIN systems x
    LEFT JOIN overdue o ON o.school_id = p.school_id AND o.standard = x.standard
    UNION ALL
    SELECT p.hub_id, p.school_id, 'monitoring', 6, 'every alert in the period reviewed',
           CASE WHEN r.all_reviewed THEN 'yes' WHEN NOT r.all_reviewed THEN 'no' ELSE 'no alerts' END,
           'measured', CAST(NULL AS DATE)
    FROM scope p LEFT JOIN alerts_reviewed r ON r.school_id = p.school_id
)
SELECT hub_id, school_id, standard, figure, value, basis, declared_on
FROM figures
ORDER BY hub_id, school_id,
         CASE standard WHEN 'roles' THEN 1 WHEN 'annual_review' THEN 2 WHEN 'filtering' THEN 3 ELSE 4 END, line
