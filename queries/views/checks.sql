-- checks: one row per filtering or monitoring check (school_id, check_id), as the DfE
-- standards ask a school to log them, with the action a failure raised (NULL when none).
-- A check re-sent under a new event id keeps the first version (by emission time, then
-- id), as in incidents.
SELECT school_id, check_id, checked_at, checked_by, system, tested, target, device_type, device, site, user_group,
       expected, observed, passed, action_id, action, action_owner, action_due_by
FROM (
    SELECT school_id, check_id, checked_at, checked_by, CAST(system AS VARCHAR) AS system,
           CAST(tested AS VARCHAR) AS tested, target, CAST(device_type AS VARCHAR) AS device_type,
           CAST(device AS VARCHAR) AS device, CAST(site AS VARCHAR) AS site, CAST(user_group AS VARCHAR) AS user_group,
           CAST(expected AS VARCHAR) AS expected, CAST(observed AS VARCHAR) AS observed, passed,
           action_id, action, action_owner, action_due_by,
           row_number() OVER (PARTITION BY school_id, check_id ORDER BY time, id) AS n
    FROM assurance_events
    WHERE type = 'uk.safeguarding.assurance.check_performed.v1'
) WHERE n = 1
