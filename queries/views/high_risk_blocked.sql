-- high_risk_blocked: the web filter's blocked requests in the high-risk categories, the
-- ones whose blocks alert a DSL: `high_risk_web_category` in schemas/defs.json. One
-- definition for every report that counts them: the high_risk_daily rollup, which holds
-- exactly those raw filter_events (see rollups/high_risk_daily.sql, where the list is).
-- `flagged` requests went through, so only verdict `blocked` is an attempt stopped.
-- One row per school, UTC day, user and category, with how many `requests` were stopped.
-- Reports filter on `month` (the Hive partition) as well as `day`, and the filter reaches
-- the scan through this view, so months outside a window are never opened.
SELECT school_id, month, day, user_ref, user_group, category, requests
FROM high_risk_daily
