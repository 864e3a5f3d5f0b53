-- ai_monitoring: per month (of raised_at, UTC), school and severity, the monitoring alerts
-- raised (every channel, generative-AI chat included) and their review, as the lake knows
-- now (latest review). pct_reviewed: the share reviewed; median_hours_to_review:
-- raised_at to reviewed_at over the reviewed ones; incidents_opened: alerts whose review
-- opened an incident (outcome incident_opened, which carries the incident_id).
-- title: Monitoring alerts and their review
-- params: from, to, school, hub
-- counts: alerts, incidents_opened
-- derived: pct_reviewed = alerts; median_hours_to_review = alerts
-- complements: month, school_id
SELECT to_char(a.raised_at, '%Y-%m') AS month, a.school_id, a.severity,
       count(*) AS alerts,
       round(100.0 * count(a.reviewed_at) / count(*), 1) AS pct_reviewed,
       round(median((arrow_cast(a.reviewed_at, 'Int64') - arrow_cast(a.raised_at, 'Int64')) / 3600000000.0), 1)
           AS median_hours_to_review,
       count(CASE WHEN a.outcome = 'incident_opened' THEN 1 END) AS incidents_opened
FROM alerts a
JOIN schools s ON s.school_id = a.school_id
WHERE a.raised_at >= $from
  AND a.raised_at < $to
  AND ($school = '' OR a.school_id = $school)
  AND ($hub = '' OR s.hub_id = $hub)
GROUP BY 1, 2, 3
-- Severities in their order, least first, rather than alphabetically.
ORDER BY month, a.school_id, CASE a.severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END
