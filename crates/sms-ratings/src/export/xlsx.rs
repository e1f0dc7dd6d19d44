//! The `.xlsx` export: what organisers open in a spreadsheet, written with `rust_xlsxwriter`.
//!
//! Two sheets: `Summary` (the event, the vote count, the average and the histogram, computed
//! from the same rows as the votes, so the two always agree) and `Votes` (one row per phone,
//! as the CSV lists them, flags included). Cells are typed: ratings and counts are numbers, text is a string
//! cell, which a spreadsheet never evaluates as a formula, so text needs no `'` here; phones
//! and numbers inside comments are masked as in the CSV.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{FlagColumns, HEADER, sheet_phone};
use crate::mask::mask_numbers_in;
use crate::model::{Event, RatingRow};

/// The summary sheet's name.
pub const SUMMARY: &str = "Summary";
/// The votes sheet's name.
pub const VOTES: &str = "Votes";

/// The whole workbook, as the bytes of an `.xlsx` file.
pub fn ratings_xlsx(
    event: &Event,
    rows: &[RatingRow],
    flags: &FlagColumns,
) -> Result<Vec<u8>, super::ExportError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    summary(workbook.add_worksheet(), event, rows, &bold)?;
    votes(workbook.add_worksheet(), rows, flags, &bold)?;
    Ok(workbook.save_to_buffer()?)
}

/// What the votes sheet's times are in.
pub const TIMES: &str = "UTC (RFC 3339, ending in Z)";

/// Event, code, votes, average, then the votes per rating (1 to 5) and the votes sheet's
/// time zone.
fn summary(
    sheet: &mut Worksheet,
    event: &Event,
    rows: &[RatingRow],
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name(SUMMARY)?;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 40)?;
    let mut counts = [0u32; 5];
    for row in rows {
        counts[usize::from(row.rating.get() - 1)] += 1;
    }
    let total: u32 = counts.iter().sum();
    let weighted: u32 = counts.iter().zip(1..).map(|(n, r)| n * r).sum();
    sheet.write_string_with_format(0, 0, "Event", bold)?;
    sheet.write_string(0, 1, &event.name)?;
    sheet.write_string_with_format(1, 0, "Code", bold)?;
    sheet.write_string(1, 1, event.code.as_str())?;
    sheet.write_string_with_format(2, 0, "Votes", bold)?;
    sheet.write_number(2, 1, total)?;
    sheet.write_string_with_format(3, 0, "Average", bold)?;
    if total > 0 {
        let average = f64::from(weighted) / f64::from(total);
        sheet.write_number_with_format(3, 1, average, &Format::new().set_num_format("0.00"))?;
    }
    sheet.write_string_with_format(5, 0, "Rating", bold)?;
    sheet.write_string_with_format(5, 1, "Votes", bold)?;
    for ((rating, n), line) in (1u8..).zip(counts).zip(6u32..) {
        sheet.write_number(line, 0, rating)?;
        sheet.write_number(line, 1, n)?;
    }
    sheet.write_string_with_format(12, 0, "Times", bold)?;
    sheet.write_string(12, 1, TIMES)?;
    Ok(())
}

/// One row per phone, the CSV's columns.
fn votes(
    sheet: &mut Worksheet,
    rows: &[RatingRow],
    flags: &FlagColumns,
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name(VOTES)?;
    for (col, title) in (0u16..).zip(HEADER) {
        sheet.write_string_with_format(0, col, title, bold)?;
    }
    sheet.set_column_width(2, 60)?;
    for (line, row) in (1u32..).zip(rows) {
        sheet.write_string(line, 0, sheet_phone(&row.phone))?;
        sheet.write_number(line, 1, row.rating.get())?;
        sheet.write_string(line, 2, mask_numbers_in(&row.comment))?;
        sheet.write_string(line, 3, row.created_at.rfc3339())?;
        sheet.write_string(line, 4, row.updated_at.rfc3339())?;
        sheet.write_string(line, 5, if row.hidden { "hidden" } else { "" })?;
        sheet.write_string(line, 6, row.channel.to_string())?;
        let (flagged, counted) = flags.cells(&row.message_sid);
        sheet.write_string(line, 7, flagged)?;
        sheet.write_string(line, 8, counted)?;
    }
    Ok(())
}
