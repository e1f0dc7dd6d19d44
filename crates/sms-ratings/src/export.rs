//! The CSV export of an event's ratings (phones masked, spreadsheet formulas defused).
//!
//! Written with the `csv` crate: every text cell is quoted (so a spreadsheet that splits on
//! `;` or tabs still sees one cell), and a cell that starts with `= + - @`, a tab or a
//! carriage return gets a `'` in front, so no spreadsheet evaluates it as a formula.
//! Phone numbers, including those inside comments, are masked with [`crate::mask`].
//!
//! ```
//! use sms_ratings::export::defuse;
//!
//! assert_eq!(defuse("plain"), "plain");
//! assert_eq!(defuse("=HYPERLINK(1)"), "'=HYPERLINK(1)");
//! assert_eq!(defuse("+1•••••1234"), "'+1•••••1234");
//! ```

use std::borrow::Cow;

use crate::mask::{mask_numbers_in, mask_phone};
use crate::model::RatingRow;

/// The header row.
pub const HEADER: [&str; 7] = [
    "phone",
    "rating",
    "comment",
    "created_at",
    "updated_at",
    "hidden",
    "channel",
];

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The CSV writer failed (it writes to memory, so only on a bug).
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// The whole CSV document (RFC 4180, CRLF line ends, every text cell quoted).
pub fn ratings_csv(rows: &[RatingRow]) -> Result<String, ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::NonNumeric)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for row in rows {
        let phone = mask_phone(&row.phone);
        let comment = mask_numbers_in(&row.comment);
        writer.write_record([
            defuse(&phone).as_ref(),
            &row.rating.get().to_string(),
            defuse(&comment).as_ref(),
            defuse(&row.created_at.rfc3339()).as_ref(),
            defuse(&row.updated_at.rfc3339()).as_ref(),
            // Hidden by the organiser: off the projector and the public view, kept here.
            if row.hidden { "hidden" } else { "" },
            defuse(&row.channel.to_string()).as_ref(),
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    // Every cell written is a `&str`, so the document is UTF-8.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One cell as a spreadsheet may read it: a leading `= + - @`, tab or carriage return (a
/// formula, or a way to start one) gets a `'` prefix.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
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
        let csv = ratings_csv(&rows).unwrap();
        assert_eq!(
            csv,
            "\"phone\",\"rating\",\"comment\",\"created_at\",\"updated_at\",\"hidden\",\"channel\"\r\n\
             \"'+1•••••1234\",5,\"great, \"\"really\"\"; call +4•••••0123\",\
             \"1970-01-01T00:00:00Z\",\"1970-01-01T00:00:01Z\",\"hidden\",\"voice\"\r\n"
        );
        assert!(!csv.contains("555"));
    }
}
