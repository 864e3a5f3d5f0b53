-- assurance_actions: one row per action of the standards' evidence (school_id, action_id):
-- raised by a failed check (source 'check', standard filtering or monitoring as the
-- check's system) or agreed by a review (source 'review', the standard it names), when
-- (raised_at), its owner and due date, and when it was first closed (NULL while open).
-- A report asks "closed by $at" as closed_at <= $at.
-- An action agreed again under a new event id keeps its first version (by emission time,
-- then id); an action_id a school used for two things keeps the earlier.
WITH agreed AS (
    SELECT * FROM (
        SELECT school_id, action_id, CAST(standard AS VARCHAR) AS standard, review_id, agreed_at, action,
               action_owner, action_due_by,
               row_number() OVER (PARTITION BY school_id, action_id ORDER BY time, id) AS n
        FROM assurance_events
        WHERE type = 'uk.safeguarding.assurance.action_agreed.v1'
    ) WHERE n = 1
),
raised AS (
    SELECT school_id, action_id, 'check' AS source, system AS standard, check_id AS raised_by, checked_at AS raised_at,
           action, action_owner, action_due_by
    FROM checks
    WHERE action_id IS NOT NULL
    UNION ALL
    SELECT school_id, action_id, 'review', standard, review_id, agreed_at, action, action_owner, action_due_by
    FROM agreed
),
earliest AS (
    SELECT * FROM (
        SELECT r.*, row_number() OVER (PARTITION BY school_id, action_id ORDER BY raised_at, source, raised_by) AS n
        FROM raised r
    ) WHERE n = 1
),
closures AS (
    SELECT school_id, action_id, min(closed_at) AS closed_at
    FROM assurance_events
    WHERE type = 'uk.safeguarding.assurance.action_closed.v1'
    GROUP BY 1, 2
)
SELECT f.school_id, f.action_id, f.source, f.standard, f.raised_by, f.raised_at, f.action, f.action_owner,
       f.action_due_by, c.closed_at
FROM earliest f
LEFT JOIN closures c ON c.school_id = f.school_id AND c.action_id = f.action_id
