//! What a pack is, as one value: the board it is for, the academic year it covers and the
//! day the lake is read as it stood at the start of. The file name says all three
//! (`hab-north-2026-27-as-at-2026-12-07.pdf`, `trustees-2025-26-as-at-2026-11-20.pdf`),
//! so the directory of packs is its own index, and a name parsed back is the recipe that
//! produces the pack again.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use safelake_access::{Principal, Role, Scope};
use safelake_period::{AcademicYear, AsAt};
use safelake_schemas::{HubId, Trust};

/// The board a pack goes to: it is read as that board's members read their dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Board {
    /// A hub's Hub Advisory Board: its dashboard, as a member of that board sees it.
    Hab(HubId),
    /// The trustees: their annual effectiveness review, as a trustee sees it.
    Trustees,
}

impl Board {
    /// `hab` with its hub, or `trustees` without one.
    pub fn parse(board: &str, hub: Option<&str>) -> Result<Board, String> {
        match (board, hub) {
            ("hab", Some(hub)) => hub.parse().map(Board::Hab).map_err(|e| format!("hub: {e}")),
            ("hab", None) => Err("a HAB's pack is for one hub: name it (hub = \"north\", or --hub north)".into()),
            ("trustees", None) => Ok(Board::Trustees),
            ("trustees", Some(_)) => Err("the trustees' pack covers the whole trust: leave out the hub".into()),
            (other, _) => Err(format!("{other:?} is not a board; packs are for `hab` (with a hub) or `trustees`")),
        }
    }

    /// The dashboard the pack prints.
    pub fn dashboard(&self) -> &'static str {
        match self {
            Board::Hab(_) => "hab",
            Board::Trustees => "trustees",
        }
    }

    /// The schools it covers.
    pub fn scope(&self) -> Scope {
        match self {
            Board::Hab(hub) => Scope { hub: Some(hub.clone()), school: None },
            Board::Trustees => Scope::default(),
        }
    }

    /// The reader the pack is composed for: a member of the board, so that the pack
    /// withholds exactly what that member's own page withholds.
    pub fn reader(&self) -> Principal {
        let (role, hub) = match self {
            Board::Hab(hub) => (Role::Hab, Some(hub.clone())),
            Board::Trustees => (Role::Trustee, None),
        };
        Principal { name: format!("{} pack", self.dashboard()), token_id: String::new(), role, school: None, hub }
    }

    /// Who the pack is for, in words.
    pub fn readers(&self, trust: &Trust) -> String {
        match self {
            Board::Hab(hub) => {
                let name = trust.hub(hub).map_or_else(|| hub.to_string(), |h| h.name.clone());
                format!("the Hub Advisory Board of {name}")
            }
            Board::Trustees => format!("the trustees of {}", trust.trust.name),
        }
    }

    /// The arguments of `safelake pack` that name it.
    fn arguments(&self) -> String {
        match self {
            Board::Hab(hub) => format!("hab --hub {hub}"),
            Board::Trustees => "trustees".to_string(),
        }
    }
}

/// One pack: a board, the year it covers, and the day at whose start the lake is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PackName {
    pub board: Board,
    pub year: AcademicYear,
    /// The lake is read as it stood at 00:00 UTC on this day: the governance roles read
    /// it at the start of a day only.
    pub day: NaiveDate,
}

impl PackName {
    pub fn as_at(&self) -> AsAt {
        AsAt::new(self.day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
    }

    /// The dashboard's query string that composes it.
    pub fn query(&self) -> String {
        format!("year={}&as_at={}", self.year, self.as_at())
    }

    /// The command that produces it again, figure for figure.
    pub fn command(&self) -> String {
        format!("safelake pack {} --year {} --as-at {}", self.board.arguments(), self.year, self.day)
    }

    /// The moment in words: "00:00 UTC on 7 December 2026".
    pub fn as_at_words(&self) -> String {
        format!("00:00 UTC on {}", self.day.format("%-d %B %Y"))
    }
}

impl fmt::Display for PackName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.board {
            Board::Hab(hub) => write!(f, "hab-{hub}-")?,
            Board::Trustees => f.write_str("trustees-")?,
        }
        write!(f, "{}-as-at-{}.pdf", self.year, self.day)
    }
}

impl FromStr for PackName {
    type Err = String;

    /// The inverse of `Display`; anything else (a path, another file) is not a pack.
    fn from_str(text: &str) -> Result<PackName, String> {
        let bad = || format!("{text:?} is not the name of a pack (like hab-north-2026-27-as-at-2026-12-07.pdf)");
        let rest = text.strip_suffix(".pdf").ok_or_else(bad)?;
        let (rest, day) = rest.rsplit_once("-as-at-").ok_or_else(bad)?;
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad())?;
        // The year is the last 7 characters (2026-27); a hub's id may itself hold '-'.
        let split = rest.len().checked_sub(7).filter(|&i| i > 0 && rest.is_char_boundary(i)).ok_or_else(bad)?;
        let (board, year) = (&rest[..split - 1], &rest[split..]);
        if rest.as_bytes()[split - 1] != b'-' {
            return Err(bad());
        }
        let year: AcademicYear = year.parse().map_err(|_| bad())?;
        let board = match board.strip_prefix("hab-") {
            Some(hub) => Board::Hab(hub.parse().map_err(|_| bad())?),
            None if board == "trustees" => Board::Trustees,
            None => return Err(bad()),
        };
        let name = PackName { board, year, day };
        // One spelling per pack: a name that prints differently is not one of ours.
        if name.to_string() != text {
            return Err(bad());
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packs_name_says_its_board_year_and_day_and_parses_back() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let hab = PackName { board: Board::Hab("north-east".parse().unwrap()), year: "2026-27".parse().unwrap(), day };
        assert_eq!(hab.to_string(), "hab-north-east-2026-27-as-at-2026-12-07.pdf");
        assert_eq!(hab.to_string().parse::<PackName>().unwrap(), hab);
        assert_eq!(hab.query(), "year=2026-27&as_at=2026-12-07T00:00:00Z");
        assert_eq!(hab.command(), "safelake pack hab --hub north-east --year 2026-27 --as-at 2026-12-07");
        let trustees = PackName { board: Board::Trustees, year: "2025-26".parse().unwrap(), day };
        assert_eq!(trustees.to_string().parse::<PackName>().unwrap(), trustees);
        assert_eq!(trustees.as_at_words(), "00:00 UTC on 7 December 2026");
        for other in [
            "../tokens.json",
            "hab-north-2026-27-as-at-2026-12-07.pdf.tmp",
            "hab--2026-27-as-at-2026-12-07.pdf",
            "hab-North-2026-27-as-at-2026-12-07.pdf",
            "trustees-2026-28-as-at-2026-12-07.pdf",
            "trustees-2026-27-as-at-2026-12-7.pdf",
            "school-sch01-2026-27-as-at-2026-12-07.pdf",
            "hab-north/../x-2026-27-as-at-2026-12-07.pdf",
        ] {
            assert!(other.parse::<PackName>().is_err(), "{other}");
        }
    }

    #[test]
    fn a_board_is_a_hub_with_its_hab_or_the_trustees_without_one() {
        assert_eq!(Board::parse("hab", Some("north")).unwrap(), Board::Hab("north".parse().unwrap()));
        assert_eq!(Board::parse("trustees", None).unwrap(), Board::Trustees);
        assert!(Board::parse("hab", None).unwrap_err().contains("name it"));
        assert!(Board::parse("trustees", Some("north")).unwrap_err().contains("leave out the hub"));
        assert!(Board::parse("dsl", None).unwrap_err().contains("is not a board"));
    }
}
