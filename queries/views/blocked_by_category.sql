-- blocked_by_category: the web filter's blocks per school, month and category, with the
-- requests blocked and flagged and the distinct users behind either; exactly
-- rollups/blocked_categories_monthly.sql over the raw events, read from the rollups.
--
-- The rollup blocked_categories_monthly holds one row per category of each raw file.
-- Requests add up across a partition's files, distinct users do not: where a category
-- sits in one file (every month once compacted) its row is the answer; where it sits in
-- several (the month being ingested) its users are counted again from blocked_monthly's
-- per-user rows, for those partitions only. The join hands the scan of blocked_monthly
-- those partitions as a filter when it runs, so a window of compacted months opens none
-- of its files.
WITH per_file AS (
    SELECT school_id, month, category, sum(blocked) AS blocked, sum(flagged) AS flagged,
           count(*) AS files, max(users) AS users
    FROM blocked_categories_monthly
    GROUP BY 1, 2, 3
),
spread AS (
    SELECT b.school_id, b.month, b.category, count(DISTINCT b.user_ref) AS users
    FROM blocked_monthly b
    JOIN per_file p
      ON p.files > 1 AND b.school_id = p.school_id AND b.month = p.month AND b.category = p.category
    GROUP BY 1, 2, 3
)
SELECT p.school_id, p.month, p.category, CAST(p.blocked AS BIGINT) AS blocked,
       CAST(p.flagged AS BIGINT) AS flagged, CAST(coalesce(s.users, p.users) AS BIGINT) AS users
FROM per_file p
LEFT JOIN spread s ON s.school_id = p.school_id AND s.month = p.month AND s.category = p.category
