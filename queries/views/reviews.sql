-- reviews: one row per filtering and monitoring review (school_id, review_id): why it was
-- held, who took part, and each DfE standard as the school rated it (declared, not
-- measured). A review re-sent under a new event id keeps the first version (by emission
-- time, then id).
SELECT school_id, review_id, completed_at, "trigger", trigger_detail, with_senior_leader, with_dsl,
       with_it_provider, with_governor, roles_rating, annual_review_rating, filtering_rating, monitoring_rating
FROM (
    SELECT school_id, review_id, completed_at, CAST("trigger" AS VARCHAR) AS "trigger", trigger_detail,
           with_senior_leader, with_dsl, with_it_provider, with_governor,
           CAST(roles_rating AS VARCHAR) AS roles_rating,
           CAST(annual_review_rating AS VARCHAR) AS annual_review_rating,
           CAST(filtering_rating AS VARCHAR) AS filtering_rating,
           CAST(monitoring_rating AS VARCHAR) AS monitoring_rating,
           row_number() OVER (PARTITION BY school_id, review_id ORDER BY time, id) AS n
    FROM assurance_events
    WHERE type = 'uk.safeguarding.assurance.review_completed.v1'
) WHERE n = 1
