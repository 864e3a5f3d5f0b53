//! The ids of a trust's schools and hubs, checked where they are read (`trust.toml`, a
//! token, a query string) and carried typed from there: a school id is a NATS subject
//! token and a partition directory name, so text that is not one never gets that far.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Text that is not an id of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} id {text:?}: use {rule}")]
pub struct BadId {
    pub kind: &'static str,
    pub text: String,
    pub rule: &'static str,
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $rule:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = BadId;

            fn from_str(text: &str) -> Result<$name, BadId> {
                let allowed: fn(u8) -> bool = $allowed;
                if text.is_empty() || text.len() > 64 || !text.bytes().all(allowed) {
                    return Err(BadId { kind: $kind, text: text.to_string(), rule: $rule });
                }
                Ok($name(text.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = BadId;

            fn try_from(text: String) -> Result<$name, BadId> {
                text.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        /// As the text it is, quoted, so messages read `school "sch01"`.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id!(
    /// A school's id: the school token of NATS subjects and of `schoolid`, and the
    /// `school_id` partition of the lake.
    SchoolId,
    "school",
    "1 to 64 lowercase letters and digits (it is the subject token)",
    |b| b.is_ascii_lowercase() || b.is_ascii_digit()
);

id!(
    /// A hub's id, as in `/dashboards/hab/<hub>` and a hab token's scope.
    HubId,
    "hub",
    "1 to 64 lowercase letters, digits, '-' or '_'",
    |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_once_where_they_are_read() {
        let school: SchoolId = "sch01".parse().unwrap();
        assert_eq!(school, "sch01");
        assert_eq!(serde_json::to_string(&school).unwrap(), "\"sch01\"");
        assert_eq!(format!("school {school:?}"), "school \"sch01\"");
        for bad in ["", "Sch01", "sch-01", "sch01.>", "../etc"] {
            let error = bad.parse::<SchoolId>().unwrap_err().to_string();
            assert!(error.contains("lowercase letters and digits"), "{bad}: {error}");
        }
        assert!(serde_json::from_str::<SchoolId>("\"a b\"").is_err());
        assert_eq!("north-east".parse::<HubId>().unwrap().as_str(), "north-east");
        assert!("North".parse::<HubId>().is_err());
    }
}
