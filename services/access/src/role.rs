//! The roles of reports.md ("Who sees what") and the one rule that turns what a caller
//! asks for into what it may see. The service applies it; a parameter can narrow a scope,
//! never widen it, and asking for more than one's scope is refused, not quietly emptied.

use std::fmt;
use std::str::FromStr;

use safelake_schemas::{HubId, SchoolId, Trust};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The Director of Inclusion: the whole trust, pupil-level rows, ad-hoc SQL.
    Director,
    /// A school's Designated Safeguarding Lead: its own school, pupil-level rows.
    Dsl,
    /// A Hub Advisory Board member: its hub's schools, summaries only, suppressed.
    Hab,
    /// A trustee: the whole trust, summaries only, suppressed.
    Trustee,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Director, Role::Dsl, Role::Hab, Role::Trustee];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Director => "director",
            Role::Dsl => "dsl",
            Role::Hab => "hab",
            Role::Trustee => "trustee",
        }
    }

    /// Whether rows about one pupil or user (even pseudonymous) may be shown.
    pub fn sees_pupil_rows(self) -> bool {
        matches!(self, Role::Director | Role::Dsl)
    }

    /// Whether small numbers are suppressed in what this role sees.
    pub fn suppressed(self) -> bool {
        matches!(self, Role::Hab | Role::Trustee)
    }

    /// Whether this role may run its own SQL (read-only), the audit trail included.
    pub fn runs_sql(self) -> bool {
        self == Role::Director
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a role; roles: director, dsl, hab, trustee"))
    }
}

/// Which schools a request covers: one school, one hub's, or the whole trust.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub school: Option<SchoolId>,
    pub hub: Option<HubId>,
}

impl Scope {
    /// Checks that the school and hub are the trust's, and the school is in the hub.
    pub fn check(&self, trust: &Trust) -> Result<(), String> {
        if let Some(hub) = &self.hub {
            if trust.hub(hub).is_none() {
                let known: Vec<_> = trust.hubs.iter().map(|h| h.id.as_str()).collect();
                return Err(format!("hub {hub:?} is not in the trust; hubs: {}", known.join(", ")));
            }
        }
        if let Some(id) = &self.school {
            let Some(school) = trust.school(id) else {
                return Err(format!(
                    "school {id:?} is not in the trust; ask for one of the school ids of trust.toml, e.g. {:?}",
                    trust.schools.first().map(|s| s.id.as_str()).unwrap_or("sch01")
                ));
            };
            if let Some(hub) = self.hub.as_ref().filter(|hub| **hub != school.hub) {
                return Err(format!("school {id:?} is not in hub {hub:?}"));
            }
        }
        Ok(())
    }

    /// The scope in words: a school's or hub's name, or the trust's.
    pub fn describe(&self, trust: &Trust) -> String {
        if let Some(school) = self.school.as_deref().and_then(|id| trust.school(id)) {
            return school.name.clone();
        }
        if let Some(hub) = self.hub.as_deref().and_then(|id| trust.hub(id)) {
            return hub.name.clone();
        }
        format!("{}, all schools", trust.trust.name)
    }

    /// The scope as the audit trail writes it: `school=sch01`, `hub=north`, `trust`.
    pub fn label(&self) -> String {
        match (&self.school, &self.hub) {
            (Some(school), _) => format!("school={school}"),
            (None, Some(hub)) => format!("hub={hub}"),
            (None, None) => "trust".to_string(),
        }
    }
}

/// Who is asking: a token's holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The token's name (a person or a tool: "Director of Inclusion", "metabase").
    pub name: String,
    /// The token's public id, so the audit trail can tell two tokens of one name apart.
    pub token_id: String,
    pub role: Role,
    /// The dsl's school.
    pub school: Option<SchoolId>,
    /// The hab member's hub.
    pub hub: Option<HubId>,
}

/// Why a request was refused: a 403 whose message says what the caller may see instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl Principal {
    /// The scope this caller gets when asking for `asked`: a dsl is held to its school, a
    /// hab member to its hub; asking outside it is refused. `asked` must already have
    /// passed [`Scope::check`].
    pub fn scope(&self, asked: &Scope, trust: &Trust) -> Result<Scope, Refused> {
        match self.role {
            Role::Director | Role::Trustee => Ok(asked.clone()),
            Role::Dsl => {
                let own = self.school.clone().ok_or_else(|| Refused("this dsl token names no school".into()))?;
                if let Some(school) = asked.school.as_ref().filter(|s| **s != own) {
                    return Err(Refused(format!(
                        "a dsl token for school {own:?} cannot see school {school:?}; leave school out or ask for {own:?}"
                    )));
                }
                let own_hub = trust.school(&own).map(|s| s.hub.clone());
                if let Some(hub) = asked.hub.as_ref().filter(|h| Some(*h) != own_hub.as_ref()) {
                    return Err(Refused(format!("a dsl token for school {own:?} cannot see hub {hub:?}")));
                }
                Ok(Scope { school: Some(own), hub: None })
            }
            Role::Hab => {
                let own = self.hub.clone().ok_or_else(|| Refused("this hab token names no hub".into()))?;
                if let Some(hub) = asked.hub.as_ref().filter(|h| **h != own) {
                    return Err(Refused(format!(
                        "a hab token for hub {own:?} cannot see hub {hub:?}; leave hub out or ask for {own:?}"
                    )));
                }
                if let Some(school) = &asked.school {
                    if trust.school(school).map(|s| &s.hub) != Some(&own) {
                        return Err(Refused(format!(
                            "a hab token for hub {own:?} cannot see school {school:?}, which is not in that hub"
                        )));
                    }
                }
                Ok(Scope { school: asked.school.clone(), hub: Some(own) })
            }
        }
    }

    /// Refuses rows about single pupils or users to the governance roles.
    pub fn may_see_pupil_rows(&self, what: &str) -> Result<(), Refused> {
        if self.role.sees_pupil_rows() {
            Ok(())
        } else {
            Err(Refused(format!(
                "{what} lists single pupils or users, which the {} role does not see; its summary reports give the counts",
                self.role
            )))
        }
    }

    pub fn may_run_sql(&self) -> Result<(), Refused> {
        if self.role.runs_sql() {
            Ok(())
        } else {
            Err(Refused(format!("only the director runs SQL; the {} role reads the reports and dashboards", self.role)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust() -> Trust {
        Trust::parse(
            r#"
            [trust]
            id = "t"
            name = "Trust"
            [[hubs]]
            id = "north"
            name = "North"
            [[hubs]]
            id = "south"
            name = "South"
            [[schools]]
            id = "sch01"
            name = "One"
            hub = "north"
            phase = "primary"
            urn = "100001"
            [[schools]]
            id = "sch02"
            name = "Two"
            hub = "south"
            phase = "primary"
            urn = "100002"
            "#,
        )
        .unwrap()
    }

    fn who(role: Role, school: Option<&str>, hub: Option<&str>) -> Principal {
        Principal {
            name: "x".into(),
            token_id: "id".into(),
            role,
            school: school.map(|s| s.parse().unwrap()),
            hub: hub.map(|h| h.parse().unwrap()),
        }
    }

    fn scope(school: Option<&str>, hub: Option<&str>) -> Scope {
        Scope { school: school.map(|s| s.parse().unwrap()), hub: hub.map(|h| h.parse().unwrap()) }
    }

    #[test]
    fn a_dsl_is_held_to_its_school() {
        let dsl = who(Role::Dsl, Some("sch01"), None);
        let trust = trust();
        assert_eq!(dsl.scope(&scope(None, None), &trust), Ok(scope(Some("sch01"), None)));
        assert_eq!(dsl.scope(&scope(Some("sch01"), Some("north")), &trust), Ok(scope(Some("sch01"), None)));
        assert!(dsl.scope(&scope(Some("sch02"), None), &trust).unwrap_err().0.contains("cannot see school \"sch02\""));
        assert!(dsl.scope(&scope(None, Some("south")), &trust).is_err());
    }

    #[test]
    fn a_hab_member_is_held_to_its_hub() {
        let hab = who(Role::Hab, None, Some("north"));
        let trust = trust();
        assert_eq!(hab.scope(&scope(None, None), &trust), Ok(scope(None, Some("north"))));
        assert_eq!(hab.scope(&scope(Some("sch01"), None), &trust), Ok(scope(Some("sch01"), Some("north"))));
        assert!(hab.scope(&scope(Some("sch02"), None), &trust).is_err());
        assert!(hab.scope(&scope(None, Some("south")), &trust).is_err());
    }

    #[test]
    fn whole_trust_roles_get_what_they_ask_for() {
        let trust = trust();
        for role in [Role::Director, Role::Trustee] {
            let p = who(role, None, None);
            assert_eq!(p.scope(&scope(None, None), &trust), Ok(scope(None, None)));
            assert_eq!(p.scope(&scope(Some("sch02"), None), &trust), Ok(scope(Some("sch02"), None)));
        }
    }

    #[test]
    fn only_the_director_runs_sql_and_governance_roles_see_no_pupil_rows() {
        let allowed: Vec<_> = Role::ALL.into_iter().filter(|r| r.runs_sql()).collect();
        assert_eq!(allowed, [Role::Director]);
        let pupils: Vec<_> = Role::ALL.into_iter().filter(|r| r.sees_pupil_rows()).collect();
        assert_eq!(pupils, [Role::Director, Role::Dsl]);
        assert!(who(Role::Trustee, None, None).may_see_pupil_rows("repeat_pupils").is_err());
    }
}
