-- agreement_coverage: per academic year, school, role and year group, how many are on roll
-- and how many have a current acceptable use agreement.
-- Academic years: those whose 1 September start lies in the window (`year=2025-26` gives
-- 2025-26; no window gives all). The agreement of each role is pupil_aup (pupils),
-- parent_permission (parents), staff_aup (staff) and visitor_aup (visitors);
-- home_learning_aup is optional and not counted.
-- signed: distinct signers (for parents: distinct children with a parent's permission, as
-- the denominator is the pupils) whose latest signature for that year and agreement has no
-- withdrawal at or after it, as the lake knows now (a re-signing after a withdrawal counts).
-- on_roll: the latest census dated within the academic year for that school, role and year
-- group (pupils per year group, staff as a whole, year_group NULL); parents are counted
-- against the pupils of their child's year group; visitors have no census (on_roll NULL).
-- coverage_pct = round(100 * signed / on_roll, 1), NULL when on_roll is unknown or 0.
-- A year group on roll with nobody signed is a row with signed 0.
-- title: Acceptable use agreement coverage
-- params: from, to, school, hub
-- counts: signed
-- derived: coverage_pct = signed
-- complements: academic_year, school_id, role
WITH signatures AS (
    SELECT * FROM (
        SELECT g.school_id, g.academic_year, CAST(g.agreement_type AS VARCHAR) AS agreement_type,
               CAST(g.signer_role AS VARCHAR) AS role, g.signer_ref, g.pupil_ref, g.year_group, g.signed_at,
               row_number() OVER (PARTITION BY g.school_id, g.academic_year, g.agreement_type, g.signer_ref, g.pupil_ref
                                  ORDER BY g.signed_at DESC, g.id) AS n
        FROM agreement_events g
        JOIN schools s ON s.school_id = g.school_id
        WHERE g.type = 'uk.safeguarding.agreement.signed.v1'
          AND g.agreement_type IN ('pupil_aup', 'parent_permission', 'staff_aup', 'visitor_aup')
          AND CAST(substr(g.academic_year, 1, 4) || '-09-01' AS DATE) >= CAST($from AS DATE)
          AND CAST(substr(g.academic_year, 1, 4) || '-09-01' AS DATE) < CAST($to AS DATE)
          AND ($school = '' OR g.school_id = $school)
          AND ($hub = '' OR s.hub_id = $hub)
    ) WHERE n = 1
),
-- A withdrawal names the signer, not the child: it ends every signature of theirs for
-- that year and agreement made before it.
withdrawals AS (
    SELECT w.school_id, w.academic_year, CAST(w.agreement_type AS VARCHAR) AS agreement_type, w.signer_ref,
           max(w.withdrawn_at) AS withdrawn_at
    FROM agreement_events w
    JOIN schools s ON s.school_id = w.school_id
    WHERE w.type = 'uk.safeguarding.agreement.withdrawn.v1'
      AND CAST(substr(w.academic_year, 1, 4) || '-09-01' AS DATE) >= CAST($from AS DATE)
      AND CAST(substr(w.academic_year, 1, 4) || '-09-01' AS DATE) < CAST($to AS DATE)
      AND ($school = '' OR w.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
    GROUP BY 1, 2, 3, 4
),
current_signers AS (
    SELECT g.school_id, g.academic_year, g.role, g.year_group, coalesce(g.pupil_ref, g.signer_ref) AS covered
    FROM signatures g
    LEFT JOIN withdrawals w ON w.school_id = g.school_id AND w.academic_year = g.academic_year
        AND w.agreement_type = g.agreement_type AND w.signer_ref = g.signer_ref
    WHERE w.withdrawn_at IS NULL OR w.withdrawn_at < g.signed_at
),
signed AS (
    SELECT school_id, academic_year, role, year_group, count(DISTINCT covered) AS signed
    FROM current_signers
    GROUP BY 1, 2, 3, 4
),
censuses AS (
    SELECT r.school_id, r.role, r.year_group, r.census_date, r.headcount,
           CAST(date_part('year', r.census_date) AS BIGINT)
               - CASE WHEN date_part('month', r.census_date) < 9 THEN 1 ELSE 0 END AS start_year
    FROM on_roll r
    JOIN schools s ON s.school_id = r.school_id
    WHERE ($school = '' OR r.school_id = $school)
      AND ($hub = '' OR s.hub_id = $hub)
),
latest_census AS (
    SELECT * FROM (
        SELECT school_id, role, year_group, headcount,
               CAST(start_year AS VARCHAR) || '-' || lpad(CAST((start_year + 1) % 100 AS VARCHAR), 2, '0') AS academic_year,
               row_number() OVER (PARTITION BY school_id, role, year_group, start_year ORDER BY census_date DESC) AS n
        FROM censuses
        WHERE CAST(CAST(start_year AS VARCHAR) || '-09-01' AS DATE) >= CAST($from AS DATE)
          AND CAST(CAST(start_year AS VARCHAR) || '-09-01' AS DATE) < CAST($to AS DATE)
    ) WHERE n = 1
),
on_roll_by_role AS (
    SELECT academic_year, school_id, role, year_group, CAST(headcount AS BIGINT) AS on_roll FROM latest_census
    UNION ALL
    SELECT academic_year, school_id, 'parent', year_group, CAST(headcount AS BIGINT) FROM latest_census WHERE role = 'pupil'
),
-- Year groups on roll and year groups with signatures: one row per key, NULL year groups
-- (staff, visitors) grouped together as GROUP BY does.
combined AS (
    SELECT academic_year, school_id, role, year_group, on_roll, CAST(0 AS BIGINT) AS signed FROM on_roll_by_role
    UNION ALL
    SELECT academic_year, school_id, role, year_group, CAST(NULL AS BIGINT), signed FROM signed
)
SELECT academic_year, school_id, role, year_group, max(on_roll) AS on_roll, CAST(sum(signed) AS BIGINT) AS signed,
       round(100.0 * sum(signed) / nullif(max(on_roll), 0), 1) AS coverage_pct
FROM combined
GROUP BY academic_year, school_id, role, year_group
ORDER BY academic_year, school_id, role, year_group
