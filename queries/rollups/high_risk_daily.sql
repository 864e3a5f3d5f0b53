-- high_risk_daily as the raw events define it: the web filter's blocked requests (verdict
-- blocked: flagged ones went through) in the high-risk categories, the ones whose blocks
-- alert a DSL (`high_risk_web_category` in schemas/defs.json; a test keeps this list equal
-- to the contract's), per school, month partition, UTC day, user and category, with how
-- many. The ingest derives it file by file (services/lake/src/rollup.rs); `safelake
-- rollups check` and the test rollups_hold_exactly_the_raw_events hold it equal to this.
SELECT school_id, month, CAST(occurred_at AS DATE) AS day, user_ref, CAST(user_group AS VARCHAR) AS user_group,
       CAST(category AS VARCHAR) AS category, count(*) AS requests
FROM filter_events
WHERE type = 'uk.safeguarding.filter.blocked.v1'
  AND verdict = 'blocked'
  AND category IN ('extremism', 'self_harm', 'adult_content', 'weapons', 'illegal_iwf', 'violence', 'hate')
GROUP BY 1, 2, 3, 4, 5, 6
