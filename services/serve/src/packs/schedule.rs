//! `[schedule]` as the service takes it: where packs are kept, what prints them, and the
//! packs each board's meetings ask for, on days worked out from the meetings
//! (`days_before` each one). A pack's day is also the day its lake is read as at, so a
//! pack produced late (the service was down that day, or the meeting was added
//! afterwards) holds exactly what it would have held on time.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use safelake_period::AcademicYear;

use super::name::{Board, PackName};

/// Where packs are kept, what prints them, and which the schedule produces.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The packs directory: written by the schedule and `safelake pack`, listed on `/`.
    pub dir: PathBuf,
    /// The browser that prints them (default: Chromium or Chrome on PATH).
    pub browser: Option<PathBuf>,
    pub schedule: Vec<Scheduled>,
}

impl PackOptions {
    /// `packs/` in the directory that holds the lake (in the working directory for a lake
    /// on an object store: packs are documents for people, not tables), no schedule.
    pub fn beside(lake: &safelake_lake::LakeUrl) -> PackOptions {
        let dir = lake.as_dir().and_then(Path::parent).unwrap_or(Path::new("."));
        PackOptions { dir: dir.join("packs"), browser: None, schedule: Vec::new() }
    }
}

/// The year a scheduled pack covers, from the day it is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Covers {
    /// The academic year the day falls in, to that day (a termly HAB meeting's pack).
    #[default]
    ThisYear,
    /// The academic year before it (the trustees' review of the year just ended).
    LastYear,
}

impl Covers {
    fn year(self, day: NaiveDate) -> AcademicYear {
        let this = AcademicYear::of(day);
        match self {
            Covers::ThisYear => this,
            Covers::LastYear => this.previous().unwrap_or(this),
        }
    }
}

impl FromStr for Covers {
    type Err = String;

    fn from_str(text: &str) -> Result<Covers, String> {
        match text {
            "this_year" => Ok(Covers::ThisYear),
            "last_year" => Ok(Covers::LastYear),
            other => Err(format!("covers = {other:?}: write this_year (the year to the pack's day) or last_year")),
        }
    }
}

/// One board's meetings and how long before each its pack is produced.
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub board: Board,
    pub meetings: Vec<NaiveDate>,
    pub days_before: u32,
    pub covers: Covers,
}

impl Scheduled {
    /// The packs it asks for, one per meeting.
    pub fn packs(&self) -> impl Iterator<Item = PackName> + '_ {
        self.meetings.iter().map(|meeting| {
            let day = *meeting - chrono::Days::new(u64::from(self.days_before));
            PackName { board: self.board.clone(), year: self.covers.year(day), day }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meetings_pack_falls_on_its_day_and_covers_the_year_asked() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        let hab = Scheduled {
            board: Board::Hab("north".parse().unwrap()),
            meetings: vec![day("2026-12-14"), day("2027-03-15")],
            days_before: 7,
            covers: Covers::ThisYear,
        };
        let names: Vec<String> = hab.packs().map(|p| p.to_string()).collect();
        assert_eq!(names, ["hab-north-2026-27-as-at-2026-12-07.pdf", "hab-north-2026-27-as-at-2027-03-08.pdf"]);
        let trustees = Scheduled {
            board: Board::Trustees,
            meetings: vec![day("2026-11-26")],
            days_before: 14,
            covers: Covers::LastYear,
        };
        let names: Vec<String> = trustees.packs().map(|p| p.to_string()).collect();
        assert_eq!(names, ["trustees-2025-26-as-at-2026-11-12.pdf"]);
        assert!("next_year".parse::<Covers>().unwrap_err().contains("this_year"));
    }
}
