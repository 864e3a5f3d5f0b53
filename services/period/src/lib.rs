//! Periods as a school trust speaks of them: an academic year (`2025-26`), a term of one
//! (`autumn`), a month (`2025-10`), the window `[from, to)` a report covers, and the
//! moment (`as_at`) the lake is read as it stood at.
//!
//! Each is a type parsed once, where it enters (a query string, a command line, a file),
//! so that every part of safelake reads the same year from the same text and a rule about
//! windows (the governance roles see whole months only) is checked on a [`Window`], not on
//! strings parsed again wherever they travel.

mod as_at;
mod month;
mod window;
mod year;

pub use as_at::AsAt;
pub use month::{Bound, Month};
pub use window::{Named, Window, WindowError, EARLIEST, LATEST};
pub use year::{AcademicYear, Term};

/// Text that is not the period it was meant to be: says what was given and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not {what} written {how}")]
pub struct ParseError {
    pub text: String,
    pub what: &'static str,
    pub how: &'static str,
}

impl ParseError {
    fn new(text: &str, what: &'static str, how: &'static str) -> ParseError {
        ParseError { text: text.to_string(), what, how }
    }
}

/// Serde through `FromStr` and `Display`, for the types of this crate: they travel as the
/// text people write (`"2025-26"`), in query strings, TOML and JSON alike.
macro_rules! serde_as_text {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$type, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.trim().parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_as_text;
