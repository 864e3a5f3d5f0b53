//! The same sheets saved as XLSX, with real Excel dates and numbers: the same events, the
//! same ids and the same row numbers as the CSV.

use calamine::{Data, ExcelDateTimeType};
use chrono::{NaiveDate, NaiveTime};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::incidents::{incidents, INCIDENTS_LAYOUT};
use super::others::{agreements, census, AGREEMENTS_LAYOUT, CENSUS_LAYOUT};
use super::*;
use crate::sheets::table::Cell;

fn write_xlsx(dir: &Path, name: &str, worksheet: &str, sheet: &Sheet) -> PathBuf {
    let mut book = Workbook::new();
    book.add_worksheet().set_name("Notes").unwrap().write_string(0, 0, "Exported from the MIS").unwrap();
    let out = book.add_worksheet().set_name(worksheet).unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let date_time = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    let time = Format::new().set_num_format("hh:mm");
    for (r, row) in sheet.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match *value {
                Value::Text(text) => out.write_string(r, c, text),
                Value::Number(x) => out.write_number(r, c, x),
                Value::Date(d, m, y) => {
                    out.write_datetime_with_format(r, c, ExcelDateTime::from_ymd(y, m, d).unwrap(), &date)
                }
                Value::DateTime(d, m, y, h, mi) => {
                    let at = ExcelDateTime::from_ymd(y, m, d).unwrap().and_hms(h.into(), mi, 0).unwrap();
                    out.write_datetime_with_format(r, c, &at, &date_time)
                }
                Value::Time(h, mi) => {
                    out.write_datetime_with_format(r, c, ExcelDateTime::from_hms(h.into(), mi, 0).unwrap(), &time)
                }
                Value::Blank => continue,
            }
            .unwrap();
        }
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

/// The report's lines without the file's name, which differs.
fn refused_rows(report: &Report) -> Vec<String> {
    report.refused.iter().map(|line| line.split_once(':').map_or(line.clone(), |(_, rest)| rest.to_string())).collect()
}

fn same_either_way(layout_text: &str, sheet: &Sheet) {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(&format!("sheet = \"Log\"\n{layout_text}"));
    let csv = write_csv(dir.path(), "sheet.csv", sheet);
    let xlsx = write_xlsx(dir.path(), "sheet.xlsx", "Log", sheet);
    assert_eq!(events(&xlsx, &layout), events(&csv, &layout));
    let ((from_csv, csv_report), (from_xlsx, xlsx_report)) = (import(&csv, &layout), import(&xlsx, &layout));
    assert!(!from_csv.is_empty());
    assert_eq!(from_xlsx, from_csv, "the same ids and the same events");
    assert_eq!(refused_rows(&xlsx_report), refused_rows(&csv_report));
    assert_eq!(unmapped(&xlsx_report), unmapped(&csv_report));
}

#[test]
fn an_incident_log_as_xlsx_is_the_same_as_csv() {
    same_either_way(INCIDENTS_LAYOUT, &incidents());
}

#[test]
fn a_sign_off_sheet_as_xlsx_is_the_same_as_csv() {
    same_either_way(AGREEMENTS_LAYOUT, &agreements());
}

#[test]
fn a_census_as_xlsx_is_the_same_as_csv() {
    same_either_way(CENSUS_LAYOUT, &census());
}

#[test]
fn a_header_below_a_title_and_the_rows_as_the_school_numbers_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut sheet = vec![vec![Value::Text("Online safety log 2025-26")], vec![Value::Blank]];
    sheet.extend(incidents());
    let layout = layout(&format!("header_row = 3\nsheet = \"incidents\"\n{INCIDENTS_LAYOUT}"));
    let xlsx = write_xlsx(dir.path(), "log.xlsx", "Incidents", &sheet);
    let csv = write_csv(dir.path(), "log.csv", &sheet);
    let (_, report) = import(&xlsx, &layout);
    assert_eq!(
        refused_rows(&report),
        [r#"6: category "Hacking" is not in the mapping: add it to [values.category] in the layout"#]
    );
    assert_eq!(refused_rows(&import(&csv, &layout).1), refused_rows(&report));
}

#[test]
fn a_worksheet_the_workbook_lacks_is_named_with_those_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = write_xlsx(dir.path(), "log.xlsx", "Incidents", &incidents());
    let layout = layout(&format!("sheet = \"Log\"\n{INCIDENTS_LAYOUT}"));
    let mut importer = Importer::new("sch01".parse().unwrap(), layout.source(), people().event_ids());
    let error = import_sheet(&xlsx, &layout, &people(), SchoolClock::default(), &mut importer).unwrap_err().to_string();
    assert!(error.ends_with("has no worksheet \"Log\"; its worksheets are: Notes, Incidents"), "{error}");
}

#[test]
fn excel_serial_dates_read_as_dates_times_and_numbers() {
    let at = |serial, kind| table::cell(&Data::DateTime(calamine::ExcelDateTime::new(serial, kind, false)));
    let date = NaiveDate::from_ymd_opt(2025, 10, 13).unwrap();
    assert_eq!(at(45943.0, ExcelDateTimeType::DateTime), Cell::Date(date));
    // 12:59:02.4 rounds to the second; a time-only cell has no day.
    assert_eq!(at(45943.541, ExcelDateTimeType::DateTime), Cell::DateTime(date.and_hms_opt(12, 59, 2).unwrap()));
    assert_eq!(at(0.427083333, ExcelDateTimeType::DateTime), Cell::Time(NaiveTime::from_hms_opt(10, 15, 0).unwrap()));
    assert_eq!(at(0.75, ExcelDateTimeType::TimeDelta), Cell::Time(NaiveTime::from_hms_opt(18, 0, 0).unwrap()));
    let in_1904 =
        table::cell(&Data::DateTime(calamine::ExcelDateTime::new(44481.0, ExcelDateTimeType::DateTime, true)));
    assert_eq!(in_1904, Cell::Date(date));
    assert_eq!(table::cell(&Data::Float(9.0)), Cell::Text("9".into()));
    assert_eq!(table::cell(&Data::Float(2.5)), Cell::Text("2.5".into()));
    assert_eq!(table::cell(&Data::String("  Cat A ".into())), Cell::Text("Cat A".into()));
    assert_eq!(
        table::cell(&Data::DateTimeIso("2025-10-13T12:59:02".into())),
        Cell::DateTime(date.and_hms_opt(12, 59, 2).unwrap())
    );
    assert_eq!(
        table::cell(&Data::DurationIso("PT10H15M00S".into())),
        Cell::Time(NaiveTime::from_hms_opt(10, 15, 0).unwrap())
    );
}
