-- alerts: one row per monitoring alert (school_id, alert_id): the alert as raised, and its
-- review (the latest, when it was reviewed again; NULL while unreviewed).
--
-- An alert re-sent under a new event id keeps the first version (by emission time, then
-- id), as in incidents.
WITH raised AS (
    SELECT * FROM (
        SELECT school_id, alert_id, raised_at, user_ref, CAST(user_group AS VARCHAR) AS user_group, year_group,
               CAST(channel AS VARCHAR) AS channel, CAST(category AS VARCHAR) AS category,
               CAST(severity AS VARCHAR) AS severity,
               row_number() OVER (PARTITION BY school_id, alert_id ORDER BY time, id) AS n
        FROM monitor_events
        WHERE type = 'uk.safeguarding.monitor.alert_raised.v1'
    ) WHERE n = 1
),
-- A second review (e.g. a no_action later escalated to an incident) supersedes the first,
-- so the latest reviewed_at is the alert's state.
reviewed AS (
    SELECT * FROM (
        SELECT school_id, alert_id, reviewed_at, reviewed_by, CAST(outcome AS VARCHAR) AS outcome, incident_id,
               row_number() OVER (PARTITION BY school_id, alert_id ORDER BY reviewed_at DESC, id) AS n
        FROM monitor_events
        WHERE type = 'uk.safeguarding.monitor.alert_reviewed.v1'
    ) WHERE n = 1
)
SELECT a.school_id, a.alert_id, a.raised_at, a.user_ref, a.user_group, a.year_group, a.channel, a.category,
       a.severity, r.reviewed_at, r.reviewed_by, r.outcome, r.incident_id
FROM raised a
LEFT JOIN reviewed r ON r.school_id = a.school_id AND r.alert_id = a.alert_id
