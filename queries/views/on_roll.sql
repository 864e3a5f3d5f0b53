-- on_roll: how many are on roll, as intervals: each census of a school, role and year
-- group holds from its census_date until the next one (valid_until, exclusive; null for
-- the latest). The number on roll at date D is the row with
-- census_date <= D AND (valid_until IS NULL OR valid_until > D).
-- A census re-sent for the same date (a correction) replaces the earlier one.
WITH censuses AS (
    SELECT school_id, CAST(role AS VARCHAR) AS role, year_group, census_date, headcount FROM (
        SELECT school_id, role, year_group, census_date, headcount,
               row_number() OVER (PARTITION BY school_id, role, year_group, census_date ORDER BY time DESC, id) AS n
        FROM roster_events
        WHERE type = 'uk.safeguarding.roster.census.v1'
    ) WHERE n = 1
)
SELECT school_id, role, year_group, census_date,
       lead(census_date) OVER (PARTITION BY school_id, role, year_group ORDER BY census_date) AS valid_until,
       headcount
FROM censuses
