-- incident_categories: pupil incidents per term, hub and category, across the hub's
-- schools in scope: incident_trends without the school and by term, the grain at which a
-- hub's figures are large enough to show to governance (month by month, most are under
-- five). A term counts only when the window covers all of it (autumn is September to
-- December, spring January to March, summer April to August), so that two windows a
-- month apart cannot give back one month's figure; `term` reads `2025-26 autumn`. A
-- chart over several hubs adds up their figures.
-- title: Incidents by category across the hub, term by term
-- params: from, to, hub
-- counts: incidents
-- complements: term, hub_id; hub_id, category
WITH scoped AS (
    SELECT s.hub_id, i.category, CAST(date_part('month', i.occurred_at) AS INT) AS m,
           date_trunc('year', i.occurred_at) AS jan
    FROM incidents i
    JOIN schools s ON s.school_id = i.school_id
    WHERE i.subject_role = 'pupil'
      AND i.occurred_at >= $from
      AND i.occurred_at < $to
      AND ($hub = '' OR s.hub_id = $hub)
),
termed AS (
    SELECT hub_id, category,
           CASE WHEN m >= 9 THEN jan + INTERVAL '8 months'
                WHEN m >= 4 THEN jan + INTERVAL '3 months'
                ELSE jan END AS term_start,
           CASE WHEN m >= 9 THEN jan + INTERVAL '12 months'
                WHEN m >= 4 THEN jan + INTERVAL '8 months'
                ELSE jan + INTERVAL '3 months' END AS term_end,
           CASE WHEN m >= 9 THEN 'autumn' WHEN m >= 4 THEN 'summer' ELSE 'spring' END AS season,
           CAST(date_part('year', jan) AS INT) - CASE WHEN m >= 9 THEN 0 ELSE 1 END AS start_year
    FROM scoped
)
SELECT concat(CAST(start_year AS VARCHAR), '-', lpad(CAST((start_year + 1) % 100 AS VARCHAR), 2, '0'), ' ', season)
           AS term,
       hub_id, category, count(*) AS incidents
FROM termed
WHERE term_start >= $from AND term_end <= $to
GROUP BY 1, 2, 3
ORDER BY term, hub_id, category
