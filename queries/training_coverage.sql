-- training_coverage: who has completed online-safety training in the 12 months up to $at
-- (the end of the window, or now), per role and topic, against how many there are.
-- Staff and volunteers per school (hub_id and school_id set); governors per hub, their
-- Hub Advisory Board (school_id NULL), whichever school of the hub recorded them;
-- trustees for the trust (hub_id and school_id NULL), shown only when no school or hub
-- narrows the scope; governors only when no school does.
-- trained: distinct people (person_ref) with training of that topic completed after $at
-- less 12 months and by $at. headcount: for staff, the school's staff census in force
-- at $at; for governors and trustees, the board's membership declared in trust.toml
-- (hab_members, trustees); NULL for volunteers, or when nothing is declared.
-- coverage_pct = round(100 * trained / headcount, 1), NULL when headcount is unknown or 0.
-- Every school with a staff census and every board with a declared membership has an
-- online_safety row, with trained 0 when nobody has; other topics have rows where
-- somebody trained.
-- title: Online-safety training coverage
-- params: from, to, school, hub
-- counts: trained
-- derived: coverage_pct = trained
WITH trained AS (
    SELECT CASE WHEN t.role IN ('staff', 'volunteer') THEN s.hub_id
                WHEN t.role = 'governor' THEN s.hub_id END AS hub_id,
           CASE WHEN t.role IN ('staff', 'volunteer') THEN t.school_id END AS school_id,
           CAST(t.role AS VARCHAR) AS role, CAST(t.topic AS VARCHAR) AS topic,
           count(DISTINCT t.person_ref) AS trained
    FROM training_events t
    JOIN schools s ON s.school_id = t.school_id
    WHERE t.type = 'uk.safeguarding.training.completed.v1'
      AND t.completed_at + INTERVAL '12 months' > $at
      AND t.completed_at <= $at
    GROUP BY 1, 2, 3, 4
),
staff AS (
    SELECT s.hub_id, r.school_id, CAST(r.headcount AS BIGINT) AS headcount
    FROM on_roll r
    JOIN schools s ON s.school_id = r.school_id
    WHERE r.role = 'staff'
      AND r.census_date <= CAST($at AS DATE)
      AND (r.valid_until IS NULL OR r.valid_until > CAST($at AS DATE))
),
headcounts AS (
    SELECT hub_id, school_id, 'staff' AS role, headcount FROM staff
    UNION ALL
    SELECT hub_id, CAST(NULL AS VARCHAR), role, members FROM boards WHERE members IS NOT NULL
),
combined AS (
    SELECT hub_id, school_id, role, 'online_safety' AS topic, headcount, CAST(0 AS BIGINT) AS trained FROM headcounts
    UNION ALL
    SELECT t.hub_id, t.school_id, t.role, t.topic, h.headcount, t.trained
    FROM trained t
    LEFT JOIN headcounts h ON h.role = t.role
        AND (h.hub_id IS NOT DISTINCT FROM t.hub_id) AND (h.school_id IS NOT DISTINCT FROM t.school_id)
),
counted AS (
    SELECT hub_id, school_id, role, topic, max(headcount) AS headcount, CAST(sum(trained) AS BIGINT) AS trained
    FROM combined
    GROUP BY 1, 2, 3, 4
)
SELECT hub_id, school_id, role, topic, headcount, trained,
       round(100.0 * trained / nullif(headcount, 0), 1) AS coverage_pct
FROM counted
WHERE (role = 'trustee' AND $school = '' AND $hub = '')
   OR (role = 'governor' AND $school = '' AND ($hub = '' OR hub_id = $hub))
   OR (role IN ('staff', 'volunteer') AND ($school = '' OR school_id = $school) AND ($hub = '' OR hub_id = $hub))
ORDER BY role, hub_id NULLS FIRST, school_id NULLS FIRST, topic
