-- escalations: per month (of occurred_at, UTC) and school, the incidents that occurred then
-- with a referral of each kind (police, CEOP, IWF, LADO, social care), made at any time
-- (an incident with two kinds counts in both). All incidents count, pupils' and staff's
-- (LADO referrals concern staff). A month and school with incidents but no referral is a
-- row of zeros; one with no incidents has no row.
-- title: Escalations to external agencies
-- params: from, to, school, hub
-- counts: police, ceop, iwf, lado, social_care
SELECT to_char(i.occurred_at, '%Y-%m') AS month, i.school_id,
       count(i.referred_police_at) AS police,
       count(i.referred_ceop_at) AS ceop,
       count(i.referred_iwf_at) AS iwf,
       count(i.referred_lado_at) AS lado,
       count(i.referred_social_care_at) AS social_care
FROM incidents i
JOIN schools s ON s.school_id = i.school_id
WHERE i.occurred_at >= $from
  AND i.occurred_at < $to
  AND ($school = '' OR i.school_id = $school)
  AND ($hub = '' OR s.hub_id = $hub)
GROUP BY 1, 2
ORDER BY month, i.school_id
