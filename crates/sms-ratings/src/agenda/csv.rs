//! The CSV agenda: a header naming `code,title,speakers,room,start,end` (any order, more
//! columns allowed) and optionally `number`; speakers separated by `;`; ISO 8601 times, those
//! without an offset in the conference's zone.

use jiff::tz::TimeZone;

use super::{Draft, Format, when};
use crate::agenda::{AgendaError, check, talk_error};

/// The columns a CSV agenda must have.
const REQUIRED: [&str; 6] = ["code", "title", "speakers", "room", "start", "end"];

/// True when the first line names every required column.
pub(crate) fn has_header(text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    let names: Vec<String> = first
        .split(',')
        .map(|n| n.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    REQUIRED.iter().all(|r| names.iter().any(|n| n == r))
}

/// The column positions, from the header.
struct Columns {
    /// Indexes of `REQUIRED`, in its order.
    required: [usize; 6],
    /// Index of `number`, if present.
    number: Option<usize>,
}

/// Reads the talks of a CSV agenda.
pub(crate) fn read(text: &str, zone: &TimeZone) -> Result<Vec<Draft>, AgendaError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let columns = columns(reader.headers().map_err(syntax)?)?;
    let mut drafts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(syntax)?;
        let line = record.position().map_or(0, |p| p.line());
        drafts.push(row(&record, &columns, line, zone)?);
    }
    Ok(drafts)
}

/// Finds the columns by name.
fn columns(header: &::csv::StringRecord) -> Result<Columns, AgendaError> {
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut required = [0; 6];
    for (slot, name) in required.iter_mut().zip(REQUIRED) {
        *slot = find(name).ok_or_else(|| AgendaError::Syntax {
            format: Format::Csv,
            line: 1,
            message: format!("the header has no {name:?} column"),
        })?;
    }
    Ok(Columns {
        required,
        number: find("number"),
    })
}

/// One row as a talk.
fn row(
    record: &::csv::StringRecord,
    columns: &Columns,
    line: u64,
    zone: &TimeZone,
) -> Result<Draft, AgendaError> {
    let at = format!("line {line}");
    let field = |i: usize| record.get(columns.required[i]).unwrap_or_default();
    let code = field(0)
        .parse()
        .map_err(|e| talk_error(Format::Csv, &at, format!("code: {e}")))?;
    let time = |i: usize, name: &str| {
        when::instant(field(i), zone)
            .map_err(|e| talk_error(Format::Csv, &at, format!("{name}: {e}")))
    };
    let draft = Draft {
        source_id: field(0).to_ascii_uppercase(),
        code: Some(code),
        title: field(1).to_owned(),
        speakers: field(2)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        room: field(3).to_owned(),
        start: time(4, "start")?,
        end: time(5, "end")?,
        number: columns
            .number
            .and_then(|i| record.get(i))
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        at,
    };
    check(Format::Csv, &draft)?;
    Ok(draft)
}

/// A CSV error with its line.
fn syntax(e: ::csv::Error) -> AgendaError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    };
    AgendaError::Syntax {
        format: Format::Csv,
        line: usize::try_from(line).unwrap_or(usize::MAX),
        message,
    }
}
