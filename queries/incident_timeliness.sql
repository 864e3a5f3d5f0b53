-- incident_timeliness: per month (of occurred_at, UTC) and school, how promptly incidents
-- were recorded, referred and closed. All incidents count, pupils' and staff's: recording
-- and closing on time applies to both.
-- median_hours_to_record: median of recorded_at - occurred_at in hours (recorded_at is the
-- emission time of the `recorded` event). pct_recorded_same_day: recorded on the UTC date
-- it occurred. pct_referred_dsl: with a referred_dsl action (at any time).
-- open_over_30_days: incidents still open 30 days after they occurred (no closure at or
-- before occurred_at + 30 days), among those whose 30 days had passed by the end of the
-- window or now, whichever is earlier; a closure after that point does not undo it, so a
-- past month's figure stays put.
-- title: Incident timeliness
-- params: from, to, school, hub
-- counts: incidents, open_over_30_days
-- derived: median_hours_to_record = incidents; pct_recorded_same_day = incidents; pct_referred_dsl = incidents
WITH scoped AS (
    SELECT i.school_id, i.occurred_at, i.recorded_at, i.referred_dsl_at, i.closed_at,
           (arrow_cast(i.recorded_at, 'Int64') - arrow_cast(i.occurred_at, 'Int64')) / 3600000000.0 AS hours_to_record
    FROM incidents i
    JOIN schools s ON s.school_id = i.school_id
    WHERE i.occurred_at >= $from
      AND i.occurred_at < $to
      AND ($school = '' OR i.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
),
flags AS (
    SELECT to_char(occurred_at, '%Y-%m') AS month, school_id, hours_to_record,
           CASE WHEN CAST(recorded_at AS DATE) = CAST(occurred_at AS DATE) THEN 1 ELSE 0 END AS same_day,
           CASE WHEN referred_dsl_at IS NOT NULL THEN 1 ELSE 0 END AS referred_dsl,
           CASE WHEN occurred_at + INTERVAL '30 days' <= $at
                 AND (closed_at IS NULL OR closed_at > occurred_at + INTERVAL '30 days') THEN 1 ELSE 0 END AS open_over_30
    FROM scoped
)
SELECT month, school_id, count(*) AS incidents,
       round(median(hours_to_record), 1) AS median_hours_to_record,
       round(100.0 * sum(same_day) / count(*), 1) AS pct_recorded_same_day,
       round(100.0 * sum(referred_dsl) / count(*), 1) AS pct_referred_dsl,
       CAST(sum(open_over_30) AS BIGINT) AS open_over_30_days
FROM flags
GROUP BY month, school_id
ORDER BY month, school_id
