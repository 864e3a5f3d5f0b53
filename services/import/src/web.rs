//! A web request as a filter logged it, and the `filter.blocked` event it becomes.
//!
//! Every vendor's parser ends in a [`WebRequest`] holding the vendor's own words; this
//! module alone maps them, pseudonymises the user and reduces the address to its host,
//! so the rules (what becomes an event, who a user is) are the same for every vendor.

use std::net::IpAddr;

use safelake_schemas::events::{Device, EventData, FilterBlocked, UserGroup, Verdict, WebCategory};

use crate::clock::{LoggedTime, SchoolClock};
use crate::identities::Role;
use crate::mapping::{Action, Mapping};
use crate::pseudonym::Pseudonymiser;
use crate::record::{Imported, Outcome, Refusal, Unmapped};

/// One logged request, in the vendor's words.
#[derive(Debug, Clone, PartialEq)]
pub struct WebRequest {
    pub at: LoggedTime,
    /// The user as the filter names them (username, `DOMAIN\user`, e-mail), if signed in.
    pub user: Option<String>,
    pub ip: Option<IpAddr>,
    /// The filter's user group (`Students`), if it logs one.
    pub group: Option<String>,
    /// The URL or host name requested.
    pub target: String,
    /// The vendor's categories, the one that decided the action first.
    pub categories: Vec<String>,
    /// The vendor's action word (`blocked`, `passthrough`, `Denied`, `403`).
    pub action: String,
    /// The vendor's rule, policy or profile that decided it.
    pub rule: Option<String>,
}

/// Everything the mapping of a request needs besides the request.
pub struct WebImport<'a> {
    pub vendor: &'static str,
    pub mapping: &'a Mapping,
    pub people: &'a Pseudonymiser,
    pub clock: SchoolClock,
    /// Allowed requests in these categories become `flagged` events (the trust asked for
    /// more than blocks); other allowed requests make no event.
    pub flag_allowed: &'a [WebCategory],
}

impl WebImport<'_> {
    pub fn import(&self, request: &WebRequest) -> Outcome {
        let action = self
            .mapping
            .action(&request.action)
            .ok_or_else(|| Refusal::unmapped("action", &request.action, ": add it to [actions]"))?;
        let mut unmapped = Vec::new();
        let mut mapped = Vec::new();
        for vendor in &request.categories {
            match self.mapping.category(vendor) {
                Some(category) => mapped.push(category),
                None => unmapped.push(Unmapped::new("category", vendor.as_str())),
            }
        }
        // The deciding category is listed first; a high-risk one among the rest still wins,
        // so that a DSL sees the block.
        let category = match mapped.iter().find(|c| WebCategory::HIGH_RISK.contains(c)).or(mapped.first()) {
            Some(category) => Some(*category),
            None if request.categories.is_empty() => Some(WebCategory::Uncategorised),
            None => None,
        };
        let verdict = match (action, category) {
            (Action::Allowed, Some(c)) if self.flag_allowed.contains(&c) => Verdict::Flagged,
            // An allowed request makes no event, whatever its category.
            (Action::Allowed, _) => {
                return Ok(Imported { skipped: Some("allowed requests"), unmapped, ..Imported::default() })
            }
            (Action::Blocked, _) => Verdict::Blocked,
            (Action::Flagged, _) => Verdict::Flagged,
        };
        let Some(category) = category else {
            return Err(Refusal::unmapped("category", &request.categories[0], ": add it to [categories]"));
        };
        let occurred_at = self.clock.utc(request.at).map_err(Refusal::new)?;
        let domain = host(&request.target)?;
        let (user_ref, user_group, year_group) = self.user(request)?;
        let device = match request.ip {
            Some(ip) if self.mapping.is_byod(ip) => Device::Byod,
            _ => Device::School,
        };
        let rule_id = request.rule.as_deref().map(identifier).unwrap_or_else(|| self.vendor.to_string());
        let event =
            FilterBlocked { occurred_at, user_ref, user_group, year_group, category, domain, verdict, rule_id, device };
        Ok(Imported { events: vec![EventData::FilterBlocked(event)], skipped: None, unmapped })
    }

    /// The user's reference, group and (pupils) year group: from the identity map when it
    /// knows them, else from the filter's group through the mapping.
    fn user(&self, request: &WebRequest) -> Result<(String, UserGroup, Option<u8>), Refusal> {
        let user = request.user.as_deref().map(str::trim).filter(|u| !u.is_empty() && *u != "-" && *u != "N/A");
        let Some(user) = user else {
            let ip = request.ip.ok_or_else(|| Refusal::new("the line names neither a user nor an address"))?;
            return Ok((self.people.address(ip), UserGroup::Guest, None));
        };
        if let Some(person) = self.people.person(user) {
            return match person.role {
                Role::Pupil => match person.year_group {
                    Some(year) => Ok((person.reference, UserGroup::Pupil, Some(year))),
                    None => Err(Refusal::new("the identity map gives this pupil no year group")),
                },
                Role::Staff => Ok((person.reference, UserGroup::Staff, None)),
                Role::Parent | Role::Visitor => Ok((person.reference, UserGroup::Guest, None)),
            };
        }
        let group = request.group.as_deref().map(str::trim).filter(|g| !g.is_empty()).ok_or_else(|| {
            Refusal::new("the user is not in the identity map and the line gives no group: export a fresh identity map")
        })?;
        match self.mapping.group(group) {
            Some(UserGroup::Pupil) => Err(Refusal::new(
                "a pupil the identity map does not know (their year group is needed): export a fresh identity map",
            )),
            Some(UserGroup::Staff) => Ok((self.people.unknown(Role::Staff, user), UserGroup::Staff, None)),
            Some(UserGroup::Guest) => Ok((self.people.unknown(Role::Visitor, user), UserGroup::Guest, None)),
            None => Err(Refusal::unmapped("group", group, ": add it to [groups]")),
        }
    }
}

/// The host of a URL or host name: no scheme, path, query, port or credentials; the
/// contract keeps nothing else of an address.
pub fn host(target: &str) -> Result<String, Refusal> {
    let target = target.trim();
    let after_scheme = target.split_once("://").map_or(target, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = if authority.starts_with('[') { authority } else { authority.split(':').next().unwrap_or_default() };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err(Refusal::new("the request names no host"));
    }
    if host.starts_with('[') || host.parse::<IpAddr>().is_ok() {
        return Err(Refusal::new("the request went to an IP address, not a host name (the contract keeps host names)"));
    }
    if !host.contains('.') || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
        return Err(Refusal::new(format!("{host:?} is not a host name")));
    }
    Ok(host)
}

/// A vendor's rule or policy name as a contract identifier (`[A-Za-z0-9._:-]`, 64 at most).
fn identifier(rule: &str) -> String {
    let id: String = rule
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._:-".contains(c) { c } else { '-' })
        .take(64)
        .collect();
    if id.is_empty() {
        "unnamed".into()
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::identities::IdentityMap;
    use crate::key::SchoolKey;

    const MAPPING: &str = "[actions]\nblocked = \"blocked\"\nallowed = \"allowed\"\n\
        [groups]\nStaff = \"staff\"\nStudents = \"pupil\"\nGuests = \"guest\"\n\
        [categories]\nPorn = \"adult_content\"\nGames = \"gaming\"\nChatbots = \"ai_chatbot\"\n\
        [devices]\nbyod_networks = [\"10.64.0.0/16\"]\n";

    fn request(user: Option<&str>, group: Option<&str>, categories: &[&str], action: &str) -> WebRequest {
        let at = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap().and_hms_opt(10, 0, 0).unwrap();
        WebRequest {
            at: LoggedTime::Local(at),
            user: user.map(str::to_string),
            ip: Some("10.64.1.2".parse().unwrap()),
            group: group.map(str::to_string),
            target: "https://games.example/play?id=1".into(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            action: action.into(),
            rule: Some("policy 12/students".into()),
        }
    }

    fn outcome(request: &WebRequest, flag_allowed: &[WebCategory]) -> Outcome {
        let mapping = Mapping::parse("test", MAPPING).unwrap();
        let identities = IdentityMap::read("username,upn,role,year_group\njsmith,,pupil,9\n".as_bytes()).unwrap();
        let people = Pseudonymiser::new(SchoolKey::from_bytes([1; 32]), identities);
        let web = WebImport {
            vendor: "test",
            mapping: &mapping,
            people: &people,
            clock: SchoolClock::default(),
            flag_allowed,
        };
        web.import(request)
    }

    fn blocked(outcome: Outcome) -> FilterBlocked {
        match outcome.unwrap().events.pop() {
            Some(EventData::FilterBlocked(event)) => event,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_known_pupils_block_has_their_year_and_the_high_risk_category_wins() {
        let event = blocked(outcome(&request(Some("CURRIC\\jsmith"), None, &["Games", "Porn"], "Blocked"), &[]));
        assert_eq!(
            (event.user_group, event.year_group, event.category),
            (UserGroup::Pupil, Some(9), WebCategory::AdultContent)
        );
        assert_eq!(
            (event.domain.as_str(), event.device, event.rule_id.as_str()),
            ("games.example", Device::Byod, "policy-12-students")
        );
        assert_eq!(event.occurred_at.to_rfc3339(), "2026-03-12T10:00:00+00:00");
    }

    #[test]
    fn who_the_identity_map_does_not_know_is_placed_by_the_filters_group_or_refused() {
        let staff = blocked(outcome(&request(Some("mrsbrown"), Some("Staff"), &["Games"], "blocked"), &[]));
        assert!(staff.user_ref.starts_with("s_") && staff.user_group == UserGroup::Staff);
        let guest = blocked(outcome(&request(None, None, &["Games"], "blocked"), &[]));
        assert!(guest.user_ref.starts_with("v_") && guest.user_group == UserGroup::Guest);
        let pupil = outcome(&request(Some("newpupil"), Some("Students"), &["Games"], "blocked"), &[]).unwrap_err();
        assert!(pupil.reason.contains("export a fresh identity map"), "{}", pupil.reason);
        let group = outcome(&request(Some("newpupil"), Some("Year 7"), &["Games"], "blocked"), &[]).unwrap_err();
        assert_eq!(group.unmapped, Some(Unmapped::new("group", "Year 7")));
    }

    #[test]
    fn allowed_requests_make_no_event_unless_the_trust_flags_their_category() {
        let allowed = outcome(&request(Some("jsmith"), None, &["Chatbots"], "allowed"), &[]).unwrap();
        assert_eq!((allowed.events.len(), allowed.skipped), (0, Some("allowed requests")));
        let flagged =
            blocked(outcome(&request(Some("jsmith"), None, &["Chatbots"], "allowed"), &[WebCategory::AiChatbot]));
        assert_eq!(flagged.verdict, Verdict::Flagged);
        // An unknown category on an allowed request is noted, not refused; on a block it is refused.
        let noted = outcome(&request(Some("jsmith"), None, &["Knitting"], "allowed"), &[]).unwrap();
        assert_eq!(noted.unmapped, vec![Unmapped::new("category", "Knitting")]);
        let refused = outcome(&request(Some("jsmith"), None, &["Knitting"], "blocked"), &[]).unwrap_err();
        assert_eq!(refused.unmapped, Some(Unmapped::new("category", "Knitting")));
        let action = outcome(&request(Some("jsmith"), None, &["Games"], "quarantined"), &[]).unwrap_err();
        assert_eq!(action.unmapped, Some(Unmapped::new("action", "quarantined")));
    }

    #[test]
    fn only_the_host_of_an_address_is_kept() {
        for (target, want) in [
            ("https://www.Example.com/search?q=how+to", "www.example.com"),
            ("http://user:pw@news.example.co.uk:8080/a/b#c", "news.example.co.uk"),
            ("example.org", "example.org"),
            ("example.org.", "example.org"),
            ("example.org:443", "example.org"),
        ] {
            assert_eq!(host(target).unwrap(), want, "{target}");
        }
        for target in ["https://10.1.2.3/x", "http://[::1]/", "", "http://localhost/"] {
            assert!(host(target).is_err(), "{target}");
        }
    }
}
