-- blocked_categories_monthly as the raw events define it: the web filter's blocked events
-- per school, month partition and category, with the requests blocked, those flagged and
-- the distinct users behind either. The lake derives one row per category of each raw
-- file (services/lake/src/rollup.rs), which is a partition's answer only when the
-- partition holds that category in one file; the view blocked_by_category combines the
-- rows of several files exactly, and `safelake rollups check` and the test
-- rollups_hold_exactly_the_raw_events hold that view equal to this query.
SELECT school_id, month, CAST(category AS VARCHAR) AS category,
       sum(CASE WHEN verdict = 'blocked' THEN 1 ELSE 0 END) AS blocked,
       sum(CASE WHEN verdict = 'flagged' THEN 1 ELSE 0 END) AS flagged,
       count(DISTINCT user_ref) AS users
FROM filter_events
WHERE type = 'uk.safeguarding.filter.blocked.v1'
GROUP BY 1, 2, 3
