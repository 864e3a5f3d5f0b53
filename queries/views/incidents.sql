-- incidents: one row per incident (school_id, incident_id), the state that its events
-- describe: the recorded facts, each corrected by the latest `amended` value of that
-- field, the first time of each action, and the latest closure.
--
-- recorded_at is when the school's system emitted the `recorded` event (its envelope
-- time): the time to record an incident is recorded_at - occurred_at.
WITH recorded AS (
    SELECT * FROM (
        SELECT school_id, incident_id, occurred_at, time AS recorded_at, subject_role, pupil_ref, staff_ref,
               year_group, CAST(category AS VARCHAR) AS category, CAST(location AS VARCHAR) AS location,
               CAST(severity AS VARCHAR) AS severity, illegal, CAST(reported_by_role AS VARCHAR) AS reported_by_role,
               row_number() OVER (PARTITION BY school_id, incident_id ORDER BY time, id) AS n
        FROM incident_events
        WHERE type = 'uk.safeguarding.incident.recorded.v1'
    ) WHERE n = 1
),
-- The latest non-null value of each amended field: ordering nulls after values, newest
-- first, makes first_value pick it (or null when the field was never amended).
amended AS (
    SELECT school_id, incident_id,
        first_value(CAST(category AS VARCHAR) ORDER BY category IS NULL, amended_at DESC) AS category,
        first_value(CAST(location AS VARCHAR) ORDER BY location IS NULL, amended_at DESC) AS location,
        first_value(CAST(severity AS VARCHAR) ORDER BY severity IS NULL, amended_at DESC) AS severity,
        first_value(illegal ORDER BY illegal IS NULL, amended_at DESC) AS illegal,
        max(amended_at) AS last_amended_at
    FROM incident_events
    WHERE type = 'uk.safeguarding.incident.amended.v1'
    GROUP BY school_id, incident_id
),
actions AS (
    SELECT school_id, incident_id,
        min(CASE WHEN action = 'parents_informed' THEN taken_at END) AS parents_informed_at,
        min(CASE WHEN action = 'network_access_removed' THEN taken_at END) AS network_access_removed_at,
        min(CASE WHEN action = 'sanction_issued' THEN taken_at END) AS sanction_issued_at,
        min(CASE WHEN action = 'referred_dsl' THEN taken_at END) AS referred_dsl_at,
        min(CASE WHEN action = 'referred_police' THEN taken_at END) AS referred_police_at,
        min(CASE WHEN action = 'referred_ceop' THEN taken_at END) AS referred_ceop_at,
        min(CASE WHEN action = 'referred_iwf' THEN taken_at END) AS referred_iwf_at,
        min(CASE WHEN action = 'referred_lado' THEN taken_at END) AS referred_lado_at,
        min(CASE WHEN action = 'referred_social_care' THEN taken_at END) AS referred_social_care_at,
        min(CASE WHEN action = 'support_provided' THEN taken_at END) AS support_provided_at,
        min(CASE WHEN action = 'evidence_preserved' THEN taken_at END) AS evidence_preserved_at,
        min(CASE WHEN action = 'irm_convened' THEN taken_at END) AS irm_convened_at
    FROM incident_events
    WHERE type = 'uk.safeguarding.incident.action_taken.v1'
    GROUP BY school_id, incident_id
),
closed AS (
    SELECT school_id, incident_id, closed_at, outcome FROM (
        SELECT school_id, incident_id, closed_at, CAST(outcome AS VARCHAR) AS outcome,
               row_number() OVER (PARTITION BY school_id, incident_id ORDER BY closed_at DESC, id) AS n
        FROM incident_events
        WHERE type = 'uk.safeguarding.incident.closed.v1'
    ) WHERE n = 1
)
SELECT
    r.school_id, r.incident_id, r.occurred_at, r.recorded_at, r.subject_role, r.pupil_ref, r.staff_ref, r.year_group,
    coalesce(a.category, r.category) AS category,
    coalesce(a.location, r.location) AS location,
    coalesce(a.severity, r.severity) AS severity,
    coalesce(a.illegal, r.illegal) AS illegal,
    r.reported_by_role,
    a.last_amended_at,
    x.parents_informed_at, x.network_access_removed_at, x.sanction_issued_at, x.referred_dsl_at,
    x.referred_police_at, x.referred_ceop_at, x.referred_iwf_at, x.referred_lado_at, x.referred_social_care_at,
    x.support_provided_at, x.evidence_preserved_at, x.irm_convened_at,
    c.closed_at, c.outcome
FROM recorded r
LEFT JOIN amended a ON a.school_id = r.school_id AND a.incident_id = r.incident_id
LEFT JOIN actions x ON x.school_id = r.school_id AND x.incident_id = r.incident_id
LEFT JOIN closed c ON c.school_id = r.school_id AND c.incident_id = r.incident_id
