//! The identity map a school exports from its MIS: who each username, UPN, e-mail address
//! and admission number is, their role and their year group.
//!
//! It is what makes a filter block, an incident and an agreement about one pupil join up,
//! and where a pupil's year group comes from (filter logs do not carry it). It is read at
//! the school and never leaves it. Columns (a header row, any order, case and spacing
//! ignored): `username`, `upn`, `role`, `year_group`, and optionally `email` and
//! `admission_number`.

use std::collections::HashMap;
use std::io::Read;

/// Who a person is to the school, which decides their reference's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Pupil,
    Staff,
    Parent,
    Visitor,
}

impl Role {
    pub fn prefix(self) -> &'static str {
        match self {
            Role::Pupil => "p",
            Role::Staff => "s",
            Role::Parent => "g",
            Role::Visitor => "v",
        }
    }

    /// The role as MIS exports write it.
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pupil" | "student" | "learner" => Some(Role::Pupil),
            "staff" | "teacher" | "employee" => Some(Role::Staff),
            "parent" | "carer" | "guardian" | "contact" => Some(Role::Parent),
            "visitor" | "guest" | "volunteer" => Some(Role::Visitor),
            _ => None,
        }
    }
}

/// A year group as schools write it: `9`, `Y9`, `Year 9`, `R` or `Reception` (0).
pub fn parse_year_group(text: &str) -> Option<u8> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_prefix("year").or_else(|| t.strip_prefix('y')).unwrap_or(&t).trim();
    match t {
        "r" | "reception" => Some(0),
        _ => t.parse::<u8>().ok().filter(|y| *y <= 13),
    }
}

/// One person of the map.
#[derive(Debug, Clone)]
pub struct Known {
    /// What the reference is made from: the UPN when there is one, else the username.
    pub canonical: String,
    pub role: Role,
    pub year_group: Option<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the identity map has no {0} column (it needs username, upn, role and year_group; email and admission_number are optional)")]
    MissingColumn(&'static str),
    #[error("identity map line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("the identity map cannot be read: {0}")]
    Csv(#[from] csv::Error),
}

#[derive(Debug, Default)]
pub struct IdentityMap {
    people: Vec<Known>,
    /// Every alias in its normal form (`user:`, `upn:`, `mail:`, `adm:`) to its person.
    aliases: HashMap<String, usize>,
}

impl IdentityMap {
    pub fn read(input: impl Read) -> Result<IdentityMap, IdentityError> {
        let mut csv = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
        let header: Vec<String> = csv.headers()?.iter().map(column_key).collect();
        let column =
            |name: &'static str, also: &[&str]| header.iter().position(|h| h == name || also.contains(&h.as_str()));
        let username = column("username", &["user", "login", "networkusername"])
            .ok_or(IdentityError::MissingColumn("username"))?;
        let upn = column("upn", &["uniquepupilnumber"]).ok_or(IdentityError::MissingColumn("upn"))?;
        let role = column("role", &["type"]).ok_or(IdentityError::MissingColumn("role"))?;
        let year = column("yeargroup", &["year", "ncyear"]).ok_or(IdentityError::MissingColumn("year_group"))?;
        let email = column("email", &["emailaddress", "mail"]);
        let admission = column("admissionnumber", &["adno", "admissionno"]);
        let mut map = IdentityMap::default();
        for (i, record) in csv.records().enumerate() {
            let line = i + 2;
            let record = record?;
            let field = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim).filter(|v| !v.is_empty());
            let bad = |reason: String| IdentityError::Line { line, reason };
            let role_text = field(Some(role)).unwrap_or_default();
            let role = Role::parse(role_text)
                .ok_or_else(|| bad(format!("role {role_text:?} is not pupil, staff, parent or visitor")))?;
            let year_group = match field(Some(year)) {
                Some(text) => {
                    Some(parse_year_group(text).ok_or_else(|| bad(format!("year group {text:?} is not R or 0-13")))?)
                }
                None if role == Role::Pupil => return Err(bad("a pupil needs a year group".into())),
                None => None,
            };
            let mut aliases = Vec::new();
            if let Some(u) = field(Some(username)) {
                aliases.push(format!("user:{}", username_form(u)));
            }
            if let Some(u) = field(Some(upn)) {
                aliases.push(format!("upn:{}", u.to_ascii_uppercase()));
            }
            if let Some(e) = field(email) {
                aliases.push(format!("mail:{}", e.to_lowercase()));
            }
            if let Some(a) = field(admission) {
                aliases.push(format!("adm:{}", a.trim_start_matches('0')));
            }
            let canonical = aliases
                .iter()
                .find(|a| a.starts_with("upn:"))
                .or_else(|| aliases.first())
                .cloned()
                .ok_or_else(|| bad("no username, UPN, e-mail or admission number".into()))?;
            let index = map.people.len();
            for alias in aliases {
                if let Some(other) = map.aliases.insert(alias.clone(), index) {
                    return Err(bad(format!("{alias} also belongs to the person of an earlier line ({})", other + 2)));
                }
            }
            map.people.push(Known { canonical, role, year_group });
        }
        Ok(map)
    }

    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The person `name` is, trying it as each kind of identifier it could be.
    pub fn find(&self, name: &str) -> Option<&Known> {
        candidates(name).iter().find_map(|alias| self.aliases.get(alias)).map(|&i| &self.people[i])
    }
}

/// The normal form of a name the map does not know: the first form [`IdentityMap::find`] tries.
pub fn canonical_name(name: &str) -> String {
    candidates(name).swap_remove(0)
}

fn candidates(name: &str) -> Vec<String> {
    let name = name.trim();
    let mut forms = Vec::new();
    if is_upn(name) {
        forms.push(format!("upn:{name}"));
    }
    if name.contains('@') {
        forms.push(format!("mail:{}", name.to_lowercase()));
    }
    forms.push(format!("user:{}", username_form(name)));
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_digit()) {
        forms.push(format!("adm:{}", name.trim_start_matches('0')));
    }
    forms
}

/// `CURRIC\JSmith`, `jsmith@school.example` and `JSmith` are one username.
fn username_form(name: &str) -> String {
    let name = name.rsplit('\\').next().unwrap_or(name);
    let name = name.split('@').next().unwrap_or(name);
    name.trim().to_lowercase()
}

/// A UPN: a letter, eleven digits and a check character (the DfE's format).
fn is_upn(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 13
        && b[0].is_ascii_uppercase()
        && b[1..12].iter().all(u8::is_ascii_digit)
        && b[12].is_ascii_alphanumeric()
}

fn column_key(header: &str) -> String {
    header.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_groups_as_schools_write_them() {
        for (text, year) in [
            ("9", Some(9)),
            ("Y9", Some(9)),
            ("Year 11", Some(11)),
            ("R", Some(0)),
            ("Reception", Some(0)),
            ("14", None),
            ("N1", None),
        ] {
            assert_eq!(parse_year_group(text), year, "{text}");
        }
    }

    #[test]
    fn a_broken_map_names_its_line() {
        let map = "Username,UPN,Role,Year Group\njsmith,,pupil,9\nakhan,,pupil,\n";
        let error = IdentityMap::read(map.as_bytes()).unwrap_err().to_string();
        assert_eq!(error, "identity map line 3: a pupil needs a year group");
        let twice = "username,upn,role,year_group\njsmith,,pupil,9\nJSMITH,,staff,\n";
        assert!(IdentityMap::read(twice.as_bytes()).unwrap_err().to_string().contains("line 3"));
        let no_role = "username,upn,year_group\n";
        assert!(matches!(IdentityMap::read(no_role.as_bytes()), Err(IdentityError::MissingColumn("role"))));
    }
}
