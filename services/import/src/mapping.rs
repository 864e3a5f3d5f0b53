//! A vendor's words in the contract's: an editable file per filter vendor.
//!
//! Vendors name categories their own way (FortiGuard's "Explicit Violence", Umbrella's
//! "Hate/Discrimination") and trusts tune their filters, so the mapping is data the trust
//! can read and change, not code. safelake ships one per vendor (`safelake import mapping
//! <vendor>` prints it); a value a mapping does not name is reported, never guessed.
//!
//! ```toml
//! [actions]      # the vendor's action: blocked, flagged or allowed
//! blocked = "blocked"
//! [groups]       # the filter's user group, for users the identity map does not know
//! Students = "pupil"
//! [categories]   # the vendor's category: one of the contract's web categories
//! "Explicit Violence" = "violence"
//! [devices]      # addresses of the network that BYOD devices join
//! byod_networks = ["10.64.0.0/16"]
//! ```

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;
use safelake_schemas::events::{ContractEnum, UserGroup, WebCategory};
use serde::Deserialize;

/// What a filter did with a request, in the contract's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Blocked,
    /// Let through but flagged (a warning page, a monitored category).
    Flagged,
    Allowed,
}

#[derive(Debug, Default)]
pub struct Mapping {
    actions: HashMap<String, Action>,
    groups: HashMap<String, UserGroup>,
    categories: HashMap<String, WebCategory>,
    byod_networks: Vec<IpNet>,
}

#[derive(Debug, thiserror::Error)]
#[error("mapping file {file}: {reason}")]
pub struct MappingError {
    pub file: String,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    actions: BTreeMap<String, String>,
    #[serde(default)]
    groups: BTreeMap<String, String>,
    #[serde(default)]
    categories: BTreeMap<String, String>,
    #[serde(default)]
    devices: Devices,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Devices {
    #[serde(default)]
    byod_networks: Vec<String>,
}

impl Mapping {
    /// Parses a mapping file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Mapping, MappingError> {
        let error = |reason: String| MappingError { file: file.to_string(), reason };
        let parsed: File = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        let mut mapping = Mapping::default();
        for (vendor, action) in parsed.actions {
            let action = match action.as_str() {
                "blocked" => Action::Blocked,
                "flagged" => Action::Flagged,
                "allowed" => Action::Allowed,
                other => {
                    return Err(error(format!("[actions] {vendor:?} = {other:?}: give blocked, flagged or allowed")))
                }
            };
            mapping.actions.insert(key(&vendor), action);
        }
        for (vendor, group) in parsed.groups {
            let group = contract::<UserGroup>(&group)
                .map_err(|allowed| error(format!("[groups] {vendor:?} = {group:?}: give one of {allowed}")))?;
            mapping.groups.insert(key(&vendor), group);
        }
        for (vendor, category) in parsed.categories {
            let category = contract::<WebCategory>(&category)
                .map_err(|allowed| error(format!("[categories] {vendor:?} = {category:?}: give one of {allowed}")))?;
            mapping.categories.insert(key(&vendor), category);
        }
        for network in parsed.devices.byod_networks {
            let net = network.parse::<IpNet>().map_err(|_| {
                error(format!("[devices] byod_networks: {network:?} is not a network such as 10.64.0.0/16"))
            })?;
            mapping.byod_networks.push(net);
        }
        Ok(mapping)
    }

    pub fn action(&self, vendor: &str) -> Option<Action> {
        self.actions.get(&key(vendor)).copied()
    }

    pub fn group(&self, vendor: &str) -> Option<UserGroup> {
        self.groups.get(&key(vendor)).copied()
    }

    pub fn category(&self, vendor: &str) -> Option<WebCategory> {
        self.categories.get(&key(vendor)).copied()
    }

    pub fn is_byod(&self, ip: IpAddr) -> bool {
        self.byod_networks.iter().any(|net| net.contains(&ip))
    }
}

/// Vendors are not consistent about case or spacing between versions.
fn key(vendor: &str) -> String {
    vendor.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn contract<E: ContractEnum>(text: &str) -> Result<E, String> {
    E::named(text).ok_or_else(E::names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_reads_in_any_case_and_refuses_what_the_contract_lacks() {
        let text = "[actions]\nBlocked = \"blocked\"\n[groups]\nStudents = \"pupil\"\n\
                    [categories]\n\"Explicit  Violence\" = \"violence\"\n[devices]\nbyod_networks = [\"10.64.0.0/16\"]\n";
        let m = Mapping::parse("fortigate.toml", text).unwrap();
        assert_eq!(m.action("BLOCKED"), Some(Action::Blocked));
        assert_eq!(m.group("students"), Some(UserGroup::Pupil));
        assert_eq!(m.category("explicit violence"), Some(WebCategory::Violence));
        assert_eq!(m.category("Gore"), None);
        assert!(m.is_byod("10.64.3.4".parse().unwrap()) && !m.is_byod("10.65.0.1".parse().unwrap()));
        let wrong = Mapping::parse("x.toml", "[categories]\nGore = \"gore\"\n").unwrap_err().to_string();
        assert!(
            wrong.starts_with("mapping file x.toml: [categories] \"Gore\" = \"gore\": give one of adult_content,"),
            "{wrong}"
        );
        assert!(Mapping::parse("x.toml", "[colours]\n").is_err());
    }
}
