//! The CSV export of an event's ratings (phones masked, spreadsheet formulas defused).
//!
//! ```
//! use sms_ratings::export::csv_field;
//!
//! assert_eq!(csv_field("plain"), "plain");
//! assert_eq!(csv_field("a, \"quoted\""), "\"a, \"\"quoted\"\"\"");
//! assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
//! ```

use crate::mask::mask_phone;
use crate::model::RatingRow;

/// The header line.
pub const HEADER: &str = "phone,rating,comment,created_at,updated_at,channel\r\n";

/// The whole CSV document (RFC 4180, CRLF line ends).
pub fn ratings_csv(rows: &[RatingRow]) -> String {
    let mut out = String::from(HEADER);
    for row in rows {
        let fields = [
            mask_phone(&row.phone),
            row.rating.to_string(),
            csv_field(&row.comment),
            row.created_at.rfc3339(),
            row.updated_at.rfc3339(),
            row.channel.to_string(),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One free-text field: a leading `= + - @` (a formula to a spreadsheet) gets a `'` prefix;
/// a field with a comma, quote or line break is quoted, quotes doubled.
pub fn csv_field(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Rating, Timestamp};

    #[test]
    fn rows_are_masked_and_quoted() {
        let rows = [RatingRow {
            phone: "+14155551234".into(),
            rating: Rating::new(5).unwrap(),
            comment: "great, \"really\"".into(),
            channel: Channel::Voice,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(1000),
        }];
        let csv = ratings_csv(&rows);
        assert_eq!(
            csv,
            format!(
                "{HEADER}+1•••••1234,5,\"great, \"\"really\"\"\",1970-01-01T00:00:00Z,1970-01-01T00:00:01Z,voice\r\n"
            )
        );
        assert!(!csv.contains("555"));
    }
}
