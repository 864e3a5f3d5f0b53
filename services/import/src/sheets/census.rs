//! An MIS census export's row: how many pupils of one year group, or how many staff, were
//! on roll at a date (`roster.census`), the denominators of every rate.

use chrono::NaiveDate;
use safelake_schemas::events::{Census as CensusEvent, CensusRole, EventData};

use super::fields::{empty, Choice, Dates};
use super::spec::Spec;
use super::{Facts, Row, RowEvents, RowOutcome};
use crate::identities::parse_year_group;
use crate::record::Refusal;

/// The contract's most.
const MAX_HEADCOUNT: u32 = 100_000;

#[derive(Debug, Clone)]
pub(crate) struct Census {
    census_date: Option<String>,
    default_date: Option<NaiveDate>,
    role: Choice<CensusRole>,
    year_group: Option<String>,
    headcount: String,
    dates: Dates,
}

impl Census {
    pub fn from_spec(spec: &mut Spec) -> Result<Census, String> {
        let census_date = spec.column("census_date");
        let default_date = match spec.default_value("census_date") {
            Some(value) => Some(
                toml_date(&value)
                    .ok_or_else(|| format!("[defaults] census_date = {value}: give a date such as 2025-10-02"))?,
            ),
            None => None,
        };
        if census_date.is_none() && default_date.is_none() {
            return Err("census_date needs a column in [columns] or a date in [defaults]".into());
        }
        Ok(Census {
            census_date,
            default_date,
            role: spec.choice("role")?,
            year_group: spec.column("year_group"),
            headcount: spec.required("headcount")?,
            dates: spec.dates.clone(),
        })
    }

    pub fn columns(&self) -> Vec<&str> {
        [self.census_date.as_ref(), self.role.column.as_ref(), self.year_group.as_ref(), Some(&self.headcount)]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }

    pub fn row(&self, row: &Row) -> RowOutcome {
        let census_date = self.census_date(row)?;
        let role = self.role.pick(row)?;
        // Staff are counted whole: a year group cell on their row ("-", "All") says nothing.
        let year_group = match role.value {
            CensusRole::Pupil => Some(self.year_group(row)?),
            CensusRole::Staff => None,
        };
        let text = row.text(&self.headcount).ok_or_else(|| empty("headcount", &self.headcount))?;
        // A thousands separator is how a spreadsheet shows a number, not part of it.
        let headcount = text.replace(',', "").parse::<u32>().ok().filter(|n| *n <= MAX_HEADCOUNT).ok_or_else(|| {
            Refusal::new(format!("headcount {text:?} is not a whole number from 0 to {MAX_HEADCOUNT}"))
        })?;
        let facts = Facts::new("roster.census")
            .with("census_date", census_date)
            .with("role", &role.word)
            .with("year_group", year_group.map(|y| y.to_string()).unwrap_or_default())
            .with("headcount", headcount);
        let event = CensusEvent { census_date, role: role.value, year_group, headcount };
        Ok(RowEvents { made: vec![facts.made(EventData::Census(event))], unmapped: Vec::new() })
    }

    fn census_date(&self, row: &Row) -> Result<NaiveDate, Refusal> {
        let Some(column) = &self.census_date else {
            return self.default_date.ok_or_else(|| Refusal::new("the layout gives no census date"));
        };
        let read = self.dates.date(row.cell(column)).map_err(|r| Refusal::new(format!("column {column:?}: {r}")))?;
        read.map(|(date, _)| date).or(self.default_date).ok_or_else(|| empty("census date", column))
    }

    fn year_group(&self, row: &Row) -> Result<u8, Refusal> {
        let Some(column) = &self.year_group else {
            return Err(Refusal::new(
                "a pupil headcount is per year group: name the year_group column in the layout's [columns]",
            ));
        };
        let text = row.text(column).ok_or_else(|| empty("year group", column))?;
        parse_year_group(&text).ok_or_else(|| Refusal::new(format!("year group {text:?} is not R or 0-13")))
    }
}

/// `2025-10-02`, written bare (a TOML date) or quoted.
fn toml_date(value: &toml::Value) -> Option<NaiveDate> {
    let text = match value {
        toml::Value::Datetime(date) => date.to_string(),
        toml::Value::String(text) => text.clone(),
        _ => return None,
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
}
