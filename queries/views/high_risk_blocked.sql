-- high_risk_blocked: the web filter's blocked requests in the high-risk categories, the
-- ones whose blocks alert a DSL: `high_risk_web_category` in schemas/defs.json. One list
-- for every report that counts them (a test keeps it equal to the contract's).
-- `flagged` requests went through, so only verdict `blocked` is an attempt stopped.
-- One row per school, UTC day, user and category, with how many `requests` were stopped:
-- read from the blocked_daily rollup, which holds exactly the raw filter_events' blocks
-- (see rollups/blocked_daily.sql). Reports filter on `month` (the Hive partition) as well
-- as `day`, and the filter reaches the scan through this view, so months outside a window
-- are never opened.
SELECT school_id, month, day, user_ref, user_group, category, requests
FROM blocked_daily
WHERE verdict = 'blocked'
  AND category IN ('extremism', 'self_harm', 'adult_content', 'weapons', 'illegal_iwf', 'violence', 'hate')
