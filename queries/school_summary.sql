-- school_summary: one row per school in scope for the window, the figures trustees set
-- side by side and against the year before: pupil incidents and their rate per 1,000
-- pupils on roll at the window's end (or today, for a window that has not ended), pupils
-- with at least `min` (default 3) incidents, high-risk blocked attempts (as in
-- high_risk_summary), unblock requests made and the share decided, filter rule changes
-- made and the share risk-assessed, monitoring alerts raised and the share reviewed.
-- Every school in scope has a row; a share with nothing to share is NULL. A hub's schools
-- add up to its totals (incident_categories shows them), hence the complements.
-- title: Schools side by side
-- params: from, to, school, hub, min
-- counts: incidents, repeat_pupils, high_risk_attempts, unblock_requests, rule_changes, alerts
-- derived: rate_per_1000 = incidents; pct_requests_decided = unblock_requests; pct_rule_changes_risk_assessed = rule_changes; pct_alerts_reviewed = alerts
-- complements: hub_id
WITH scope AS (
    SELECT hub_id, school_id FROM schools
    WHERE ($school = '' OR school_id = $school) AND ($hub = '' OR hub_id = $hub)
),
roll AS (
    SELECT r.school_id, sum(r.headcount) AS pupils_on_roll
    FROM on_roll r
    WHERE r.role = 'pupil'
      AND r.census_date < CAST($at AS DATE)
      AND (r.valid_until IS NULL OR r.valid_until >= CAST($at AS DATE))
    GROUP BY 1
),
pupil_incidents AS (
    SELECT school_id, pupil_ref, count(*) AS incidents
    FROM incidents
    WHERE subject_role = 'pupil' AND occurred_at >= $from AND occurred_at < $to
    GROUP BY 1, 2
),
incident_counts AS (
    SELECT school_id, CAST(sum(incidents) AS BIGINT) AS incidents,
           count(*) FILTER (WHERE incidents >= $min) AS repeat_pupils
    FROM pupil_incidents
    GROUP BY 1
),
high_risk AS (
    SELECT school_id, sum(requests) AS attempts
    FROM high_risk_blocked
    WHERE month >= to_char($from, '%Y-%m')
      AND month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND day >= CAST($from AS DATE)
      AND day < CAST($to AS DATE)
    GROUP BY 1
),
requests AS (
    SELECT school_id, count(*) AS unblock_requests, count(decision) AS decided
    FROM unblock_requests
    WHERE requested_at >= $from AND requested_at < $to
    GROUP BY 1
),
rule_changes AS (
    SELECT school_id, count(*) AS rule_changes, count(*) FILTER (WHERE risk_assessed) AS risk_assessed
    FROM filter_changes
    WHERE type = 'uk.safeguarding.filter.rule_changed.v1'
      AND month >= to_char($from, '%Y-%m')
      AND month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
      AND changed_at >= $from
      AND changed_at < $to
    GROUP BY 1
),
alert_counts AS (
    SELECT school_id, count(*) AS alerts, count(reviewed_at) AS reviewed
    FROM alerts
    WHERE raised_at >= $from AND raised_at < $to
    GROUP BY 1
)
SELECT s.hub_id, s.school_id, r.pupils_on_roll,
       coalesce(i.incidents, 0) AS incidents,
       round(1000.0 * coalesce(i.incidents, 0) / r.pupils_on_roll, 2) AS rate_per_1000,
       coalesce(i.repeat_pupils, 0) AS repeat_pupils,
       coalesce(h.attempts, 0) AS high_risk_attempts,
       coalesce(q.unblock_requests, 0) AS unblock_requests,
       round(100.0 * q.decided / q.unblock_requests, 1) AS pct_requests_decided,
       coalesce(c.rule_changes, 0) AS rule_changes,
       round(100.0 * c.risk_assessed / c.rule_changes, 1) AS pct_rule_changes_risk_assessed,
       coalesce(a.alerts, 0) AS alerts,
       round(100.0 * a.reviewed / a.alerts, 1) AS pct_alerts_reviewed
FROM scope s
LEFT JOIN roll r ON r.school_id = s.school_id
LEFT JOIN incident_counts i ON i.school_id = s.school_id
LEFT JOIN high_risk h ON h.school_id = s.school_id
LEFT JOIN requests q ON q.school_id = s.school_id
LEFT JOIN rule_changes c ON c.school_id = s.school_id
LEFT JOIN alert_counts a ON a.school_id = s.school_id
ORDER BY s.hub_id, s.school_id
