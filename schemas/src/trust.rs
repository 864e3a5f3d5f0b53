//! `trust.toml`: the trust, its hubs and schools. Reference data, not events: it gives
//! names, hubs and scopes, and the lake exposes it as the table `schools`.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::ids::{HubId, SchoolId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    pub trust: TrustInfo,
    #[serde(default)]
    pub hubs: Vec<Hub>,
    #[serde(default)]
    pub schools: Vec<School>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustInfo {
    pub id: String,
    pub name: String,
    /// How many trustees the board has, declared: the denominator of their training
    /// coverage (trustees are not in any school's census).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trustees: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hub {
    pub id: HubId,
    pub name: String,
    /// How many members its Hub Advisory Board has, declared: the denominator of their
    /// training coverage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hab_members: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct School {
    /// The school token of subjects and `schoolid`: lowercase letters and digits.
    pub id: SchoolId,
    pub name: String,
    pub hub: HubId,
    pub phase: Phase,
    /// The school's unique reference number (public, not personal data).
    pub urn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Primary,
    Secondary,
    AllThrough,
    Special,
    AlternativeProvision,
}

impl Trust {
    pub fn load(path: &Path) -> Result<Trust> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Trust::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Trust> {
        let trust: Trust = toml::from_str(text)?;
        trust.check()?;
        Ok(trust)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a trust serialises")
    }

    /// Ids are unique and every school's hub exists (the ids themselves were checked
    /// as they were read).
    pub fn check(&self) -> Result<()> {
        let hubs: BTreeSet<&str> = self.hubs.iter().map(|h| h.id.as_str()).collect();
        if hubs.len() != self.hubs.len() {
            bail!("two hubs share an id");
        }
        let mut seen = BTreeSet::new();
        for school in &self.schools {
            if !seen.insert(school.id.as_str()) {
                bail!("school id {:?} appears twice", school.id);
            }
            if !hubs.contains(school.hub.as_str()) {
                bail!("school {:?} names hub {:?}, which is not among [[hubs]]", school.id, school.hub);
            }
        }
        Ok(())
    }

    pub fn school(&self, id: &str) -> Option<&School> {
        self.schools.iter().find(|s| s.id == id)
    }

    pub fn hub(&self, id: &str) -> Option<&Hub> {
        self.hubs.iter().find(|h| h.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_school_in_a_missing_hub_is_explained() {
        let text = r#"
            [trust]
            id = "west"
            name = "West Trust"
            [[hubs]]
            id = "north"
            name = "North"
            [[schools]]
            id = "sch01"
            name = "Ash Primary"
            hub = "south"
            phase = "primary"
            urn = "100001"
        "#;
        let error = format!("{:#}", Trust::parse(text).unwrap_err());
        assert!(error.contains("names hub \"south\""), "{error}");
        let bad_id = format!("{:#}", Trust::parse(&text.replace("\"sch01\"", "\"Sch 1\"")).unwrap_err());
        assert!(bad_id.contains("lowercase letters and digits"), "{bad_id}");
        let ok = text.replace("\"south\"", "\"north\"");
        let trust = Trust::parse(&ok).unwrap();
        assert_eq!(Trust::parse(&trust.to_toml()).unwrap(), trust);
    }
}
