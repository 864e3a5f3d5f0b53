//! The shape of the synthetic trust: its name, hubs and schools, and each school's size.
//!
//! `trust.toml` carries names, hubs, phases and URNs only; the sizes live here because
//! every rate a dashboard shows (incidents per 100 pupils, agreement coverage) is driven
//! by them, and tests and benchmarks need them without reading events back.

use std::collections::BTreeSet;

use rand::seq::SliceRandom;
use rand::Rng as _;
use safelake_schemas::trust::{Hub, Phase, TrustInfo};
use safelake_schemas::{School, Trust};

use crate::rng::{self, Part};
use crate::Options;

/// The trust and, per school, what the events are generated from.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPlan {
    pub trust: Trust,
    /// In the order of `trust.schools`.
    pub schools: Vec<SchoolPlan>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchoolPlan {
    pub school: School,
    /// Pupils on roll in the first generated year (censuses move a little around it).
    pub pupils: u32,
    /// Staff on roll (teaching and support).
    pub staff: u32,
    pub first_year_group: u8,
    pub last_year_group: u8,
    /// The share of Year 11 who stay on into Years 12-13 (sixth form).
    pub sixth_form: f64,
}

const TRUSTS: &[(&str, &str)] = &[
    ("riverside", "Riverside Learning Trust"),
    ("oakridge", "Oakridge Academies Trust"),
    ("threevalleys", "Three Valleys Multi-Academy Trust"),
    ("pennine", "Pennine Learning Partnership"),
    ("northstar", "North Star Education Trust"),
    ("greenway", "Greenway Schools Trust"),
];

const HUBS: &[(&str, &str)] = &[
    ("north", "North Hub"),
    ("south", "South Hub"),
    ("east", "East Hub"),
    ("west", "West Hub"),
    ("central", "Central Hub"),
    ("coast", "Coastal Hub"),
    ("valley", "Valley Hub"),
    ("city", "City Hub"),
];

const STEMS: &[&str] = &[
    "Ashbrook",
    "Beechfield",
    "Bramblewood",
    "Brookside",
    "Castle Hill",
    "Cherry Tree",
    "Elmhurst",
    "Fernhill",
    "Foxwood",
    "Greenacre",
    "Hawthorn",
    "Heathside",
    "Hollybank",
    "Kingsmead",
    "Larkrise",
    "Longmoor",
    "Maple Grove",
    "Meadowbank",
    "Millbrook",
    "Moorfield",
    "Northgate",
    "Oakwood",
    "Orchard Vale",
    "Parkside",
    "Queensway",
    "Redbrook",
    "Rosewood",
    "Sandford",
    "Silverdale",
    "Southfields",
    "Springwell",
    "Stonebridge",
    "Summerfield",
    "Thornbury",
    "Westbrook",
    "Whitecross",
    "Willowbank",
    "Windmill Hill",
    "Woodlands",
    "Yew Tree",
    "St Aidan's",
    "St Bede's",
    "St Hilda's",
    "Highcliffe",
    "Brookfield",
    "Church Lane",
    "Lakeside",
    "Riverbank",
];

const PLACES: &[&str] = &["Green", "Park", "Vale", "Heath", "Rise", "Common"];

/// The trust's hubs and schools: phases in the proportions of a typical English
/// multi-academy trust (mostly primaries, a few secondaries, one all-through and, in a
/// larger trust, a special school), spread over the hubs so each hub has a mix.
pub fn plan(options: &Options) -> TrustPlan {
    let mut rng = rng::stream(options.seed, Part::Trust, 0, 0);
    let (trust_id, trust_name) = TRUSTS[rng.random_range(0..TRUSTS.len())];
    let hubs: Vec<Hub> = (0..options.hubs)
        .map(|i| match HUBS.get(i) {
            Some((id, name)) => {
                Hub { id: id.parse().expect("a hub id"), name: name.to_string(), hab_members: Some(board_size(i)) }
            }
            None => Hub {
                id: format!("hub{:02}", i + 1).parse().expect("a hub id"),
                name: format!("Hub {}", i + 1),
                hab_members: Some(board_size(i)),
            },
        })
        .collect();

    let n = options.schools;
    let secondaries = if n >= 3 { (n as f64 * 0.25).round() as usize } else { n / 2 };
    let all_through = usize::from(n >= 6);
    let special = usize::from(n >= 10);
    let mut phases = vec![Phase::Secondary; secondaries];
    phases.extend(vec![Phase::AllThrough; all_through]);
    phases.extend(vec![Phase::Special; special]);
    phases.resize(n.max(phases.len()), Phase::Primary);
    phases.truncate(n);
    phases.shuffle(&mut rng);

    let mut names = school_names(&mut rng, n);
    let mut urns = BTreeSet::new();
    let mut schools = Vec::with_capacity(n);
    for (i, phase) in phases.into_iter().enumerate() {
        let stem = names.remove(0);
        let suffixes: &[&str] = match phase {
            Phase::Primary => {
                &["Primary School", "Primary Academy", "Community Primary School", "Church of England Primary School"]
            }
            Phase::Secondary => &["Academy", "High School", "School", "College"],
            Phase::AllThrough => &["All-Through Academy", "School"],
            Phase::Special => &["Specialist Academy", "Special School"],
            Phase::AlternativeProvision => &["Learning Centre"],
        };
        let name = format!("{stem} {}", suffixes[rng.random_range(0..suffixes.len())]);
        let urn = loop {
            // Academies opened since 2010 have URNs in the 136000-149999 range.
            let urn = rng.random_range(136_000..150_000u32);
            if urns.insert(urn) {
                break urn;
            }
        };
        // With no hubs (which `Options::check` refuses) the schools name one the trust
        // lacks, and `Trust::check` says so.
        let hub =
            hubs.get(i % hubs.len().max(1)).map_or_else(|| HUBS[0].0.parse().expect("a hub id"), |h| h.id.clone());
        let id = format!("sch{:02}", i + 1).parse().expect("a school id");
        let school = School { id, name, hub, phase, urn: urn.to_string() };
        schools.push(size(&mut rng, school));
    }
    let trust = Trust {
        trust: TrustInfo { id: trust_id.to_string(), name: trust_name.to_string(), trustees: Some(TRUSTEES) },
        hubs,
        schools: schools.iter().map(|s| s.school.clone()).collect(),
    };
    TrustPlan { trust, schools }
}

/// The trust's board: how many trustees it declares.
pub const TRUSTEES: u32 = 9;

/// How many members the `i`th hub's advisory board declares: 6 to 8, fixed by position
/// so that drawing them takes nothing from the trust's random stream.
fn board_size(i: usize) -> u32 {
    6 + (i % 3) as u32
}

/// Distinct names: the stems in a seeded order, then stems with a place word.
fn school_names(rng: &mut rng::Rng, n: usize) -> Vec<String> {
    let mut stems: Vec<&str> = STEMS.to_vec();
    stems.shuffle(rng);
    let mut names: Vec<String> = stems.iter().map(|s| s.to_string()).collect();
    for place in PLACES {
        names.extend(stems.iter().map(|s| format!("{s} {place}")));
    }
    let mut i = 0;
    while names.len() < n {
        i += 1;
        names.extend(stems.iter().map(|s| format!("{s} {i}")));
    }
    names.truncate(n);
    names
}

/// Sizes by phase: primaries of one to three forms of entry (about 150-630 pupils),
/// secondaries of 600-1,800 with a smaller sixth form, special schools small and
/// generously staffed.
fn size(rng: &mut rng::Rng, school: School) -> SchoolPlan {
    let fill = rng.random_range(0.78..1.0);
    let sixth_form = rng.random_range(0.3..0.7);
    let (first, last, pupils, per_staff, least) = match school.phase {
        Phase::Primary => {
            let forms = rng::pick(rng, &[(1.0, 0.45), (2.0, 0.45), (3.0, 0.1)]);
            (0, 6, forms * 30.0 * 7.0 * fill, 9.0, 150)
        }
        Phase::Secondary => {
            let forms = rng.random_range(4..=10) as f64;
            (7, 13, forms * 30.0 * (5.0 + 2.0 * sixth_form) * fill, 8.0, 600)
        }
        Phase::AllThrough => (0, 13, rng.random_range(900.0..1800.0), 8.5, 900),
        Phase::Special | Phase::AlternativeProvision => (0, 13, rng.random_range(150.0..260.0), 3.0, 150),
    };
    let pupils = (pupils.round() as u32).clamp(least, 1800);
    let staff = (f64::from(pupils) / per_staff).round() as u32 + rng.random_range(6..12);
    SchoolPlan { school, pupils, staff, first_year_group: first, last_year_group: last, sixth_form }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_trust_looks_like_a_trust() {
        let plan = plan(&Options::default());
        assert_eq!(plan.trust.schools.len(), 12);
        assert_eq!(plan.trust.hubs.len(), 3);
        plan.trust.check().unwrap();
        let phases: Vec<Phase> = plan.schools.iter().map(|s| s.school.phase).collect();
        assert_eq!(phases.iter().filter(|&&p| p == Phase::Secondary).count(), 3);
        assert!(phases.contains(&Phase::Primary) && phases.contains(&Phase::AllThrough));
        for s in &plan.schools {
            assert!((150..=1800).contains(&s.pupils), "{s:?}");
            assert_eq!(s.school.urn.len(), 6);
            if s.school.phase == Phase::Secondary {
                assert!(s.pupils >= 600);
            }
        }
        let names: BTreeSet<&str> = plan.trust.schools.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), 12);
    }

    #[test]
    fn large_trusts_get_unique_names_and_urns() {
        let options = Options { schools: 400, hubs: 12, ..Options::default() };
        let plan = plan(&options);
        plan.trust.check().unwrap();
        let names: BTreeSet<&str> = plan.trust.schools.iter().map(|s| s.name.as_str()).collect();
        let urns: BTreeSet<&str> = plan.trust.schools.iter().map(|s| s.urn.as_str()).collect();
        assert_eq!((names.len(), urns.len()), (400, 400));
    }
}
