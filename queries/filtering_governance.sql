-- filtering_governance: per month and school, the change control of web filtering.
-- unblock_requests: requests made in the month (of requested_at, UTC). approved_pct: of
-- those decided (as the lake knows now, latest decision), the share approved; NULL when
-- none is decided. median_hours_to_decision: requested_at to decided_at, over the decided
-- ones. rule_changes: rule changes made in the month (of changed_at), one per change_id;
-- pct_risk_assessed: the share of them marked risk_assessed, NULL when there were none.
-- A month and school with requests or changes has a row; one with neither has none.
-- title: Filtering governance
-- params: from, to, school, hub
-- counts: unblock_requests, rule_changes
-- derived: approved_pct = unblock_requests; median_hours_to_decision = unblock_requests; pct_risk_assessed = rule_changes
-- Rule changes come from the filter_changes rollup: the filter events that are not
-- blocks, as they are (queries/rollups/filter_changes.sql), so the blocks are not scanned.
WITH requests AS (
    SELECT to_char(u.requested_at, '%Y-%m') AS month, u.school_id,
           count(*) AS unblock_requests,
           count(u.decision) AS decided,
           sum(CASE WHEN u.decision = 'approved' THEN 1 ELSE 0 END) AS approved,
           median((arrow_cast(u.decided_at, 'Int64') - arrow_cast(u.requested_at, 'Int64')) / 3600000000.0) AS hours_to_decision
    FROM unblock_requests u
    JOIN schools s ON s.school_id = u.school_id
    WHERE u.requested_at >= $from
      AND u.requested_at < $to
      AND ($school = '' OR u.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
    GROUP BY 1, 2
),
-- A change re-sent under a new event id keeps its first version (by emission time, then
-- id). The `month` partition is the month of changed_at, so months outside the window are
-- never opened.
changes AS (
    SELECT * FROM (
        SELECT f.school_id, f.changed_at, f.risk_assessed,
               row_number() OVER (PARTITION BY f.school_id, f.change_id ORDER BY f.time, f.id) AS n
        FROM filter_changes f
        JOIN schools s ON s.school_id = f.school_id
        WHERE f.type = 'uk.safeguarding.filter.rule_changed.v1'
          AND f.month >= to_char($from, '%Y-%m')
          AND f.month <= to_char($to - INTERVAL '1 microsecond', '%Y-%m')
          AND f.changed_at >= $from
          AND f.changed_at < $to
          AND ($school = '' OR f.school_id = $school)
          AND ($hub = '' OR s.hub_id = $hub)
    ) WHERE n = 1
),
rule_changes AS (
    SELECT to_char(changed_at, '%Y-%m') AS month, school_id, count(*) AS rule_changes,
           sum(CASE WHEN risk_assessed THEN 1 ELSE 0 END) AS risk_assessed
    FROM changes
    GROUP BY 1, 2
)
SELECT coalesce(r.month, c.month) AS month, coalesce(r.school_id, c.school_id) AS school_id,
       coalesce(r.unblock_requests, 0) AS unblock_requests,
       round(100.0 * r.approved / nullif(r.decided, 0), 1) AS approved_pct,
       round(r.hours_to_decision, 1) AS median_hours_to_decision,
       coalesce(c.rule_changes, 0) AS rule_changes,
       round(100.0 * c.risk_assessed / c.rule_changes, 1) AS pct_risk_assessed
FROM requests r
FULL OUTER JOIN rule_changes c ON c.month = r.month AND c.school_id = r.school_id
ORDER BY month, school_id
