//! The CSV export of an event's ratings (phones masked, spreadsheet formulas defused).
//!
//! Written with the `csv` crate, for people who open it in a spreadsheet: a UTF-8 byte order
//! mark first (without it Excel reads the file as the local code page and garbles emoji,
//! accents and dashes), every text cell quoted (so a spreadsheet that splits on `;` or tabs
//! still sees one cell), and a text cell that starts with `= + - @`, a tab or a carriage
//! return gets a `'` in front, so no spreadsheet evaluates it as a formula. Phone numbers,
//! including those inside comments, are masked with [`crate::mask`]; the phone column is
//! masked without its `+` ([`sheet_phone`]), so it never needs that `'`. The same rows as
//! an `.xlsx` workbook with a summary sheet: [`ratings_xlsx`].
//!
//! ```
//! use sms_ratings::export::{defuse, sheet_phone};
//!
//! assert_eq!(defuse("plain"), "plain");
//! assert_eq!(defuse("=HYPERLINK(1)"), "'=HYPERLINK(1)");
//! assert_eq!(sheet_phone("+14155551234"), "1•••••1234");
//! assert_eq!(sheet_phone("whatsapp:+447700900123"), "whatsapp:4•••••0123");
//! ```

use std::borrow::Cow;
use std::collections::HashMap;

mod xlsx;

pub use xlsx::{SUMMARY, TIMES, VOTES, ratings_xlsx};

use crate::flag::{FlaggedVote, Reasons};
use crate::mask::{mask_numbers_in, mask_phone};
use crate::model::RatingRow;

/// The header row. Times are RFC 3339 in UTC (`…Z`), whatever the event's zone: the column
/// names say so, since a spreadsheet shows them as they are. `flags` names why a vote is
/// suspect (`burst,prefix`), `counted` says whether it counts in the cleaned figures (`yes`,
/// `no`, or either `by hand`).
pub const HEADER: [&str; 9] = [
    "phone",
    "rating",
    "comment",
    "created_at (UTC)",
    "updated_at (UTC)",
    "hidden",
    "channel",
    "flags",
    "counted",
];

/// The flag columns of the exported votes, by the vote's idempotency key.
#[derive(Debug, Default)]
pub struct FlagColumns(HashMap<String, (String, &'static str)>);

impl FlagColumns {
    /// The columns for `flagged` votes when the cleaned figures set aside `excluded`.
    pub fn new(flagged: &[FlaggedVote], excluded: Reasons) -> Self {
        Self(
            flagged
                .iter()
                .map(|v| {
                    let counted = match (v.hand, v.counts(excluded)) {
                        (Some(_), true) => "yes, by hand",
                        (Some(_), false) => "no, by hand",
                        (None, true) => "yes",
                        (None, false) => "no",
                    };
                    (v.key.clone(), (v.reasons.names(), counted))
                })
                .collect(),
        )
    }

    /// The `flags` and `counted` cells of the vote `key`.
    pub fn cells(&self, key: &str) -> (&str, &'static str) {
        self.0
            .get(key)
            .map_or(("", "yes"), |(flags, counted)| (flags.as_str(), counted))
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The CSV writer failed (it writes to memory, so only on a bug).
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The workbook writer failed (it writes to memory, so only on a bug).
    #[error("cannot write xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The UTF-8 byte order mark the CSV document starts with.
pub const BOM: char = '\u{FEFF}';

/// Characters a spreadsheet may read as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The whole CSV document: a UTF-8 BOM, then RFC 4180 with CRLF line ends and every text
/// cell quoted.
pub fn ratings_csv(rows: &[RatingRow], flags: &FlagColumns) -> Result<String, ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::NonNumeric)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for row in rows {
        let comment = mask_numbers_in(&row.comment);
        let (flagged, counted) = flags.cells(&row.message_sid);
        writer.write_record([
            sheet_phone(&row.phone).as_str(),
            &row.rating.get().to_string(),
            defuse(&comment).as_ref(),
            defuse(&row.created_at.rfc3339()).as_ref(),
            defuse(&row.updated_at.rfc3339()).as_ref(),
            // Hidden by the organiser: off the projector and the public view, kept here.
            if row.hidden { "hidden" } else { "" },
            defuse(&row.channel.to_string()).as_ref(),
            flagged,
            counted,
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    // Every cell written is a `&str`, so the document is UTF-8.
    Ok(format!("{BOM}{}", String::from_utf8_lossy(&bytes)))
}

/// A sender's number as a spreadsheet shows it: masked ([`mask_phone`]) and without the
/// leading `+` (or anything else that would start a formula), so the cell needs no `'`.
pub fn sheet_phone(phone: &str) -> String {
    let masked = mask_phone(phone);
    let (channel, number) = match masked.rsplit_once(':') {
        Some((channel, number)) => (&masked[..=channel.len()], number),
        None => ("", masked.as_str()),
    };
    let shown = format!("{channel}{}", number.trim_start_matches(FORMULA_STARTS));
    shown.trim_start_matches(FORMULA_STARTS).to_owned()
}

/// One cell as a spreadsheet may read it: a leading `= + - @`, tab or carriage return (a
/// formula, or a way to start one) gets a `'` prefix.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Rating, Timestamp};

    #[test]
    fn rows_are_masked_quoted_and_defused() {
        let rows = [RatingRow {
            phone: "+14155551234".into(),
            rating: Rating::new(5).unwrap(),
            comment: "great, \"really\"; call +44 7700 900123".into(),
            channel: Channel::Voice,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(1000),
            message_sid: "SM1".into(),
            hidden: true,
        }];
        let flagged = [FlaggedVote {
            phone: rows[0].phone.clone(),
            rating: rows[0].rating,
            reasons: Reasons::NONE.with(crate::flag::Reason::Burst),
            hand: None,
            key: "SM1".into(),
            at: rows[0].updated_at,
        }];
        let csv = ratings_csv(&rows, &FlagColumns::new(&flagged, Reasons::all())).unwrap();
        assert_eq!(
            csv,
            "\u{FEFF}\"phone\",\"rating\",\"comment\",\"created_at (UTC)\",\"updated_at (UTC)\",\"hidden\",\"channel\",\"flags\",\"counted\"\r\n\
             \"1•••••1234\",5,\"great, \"\"really\"\"; call +4•••••0123\",\
             \"1970-01-01T00:00:00Z\",\"1970-01-01T00:00:01Z\",\"hidden\",\"voice\",\"burst\",\"no\"\r\n"
        );
        assert!(!csv.contains("555"));
    }
}
