//! iCalendar (`.ics`, RFC 5545) as calendar apps export it: each `VEVENT` a talk, `UID` its
//! stable id, `SUMMARY` the title, `LOCATION` the room, `DTSTART` and `DTEND` (or `DURATION`)
//! in UTC, a `TZID` zone or floating (the conference's zone). Cancelled events are left out; a
//! recurring event counts once, at its first occurrence.

use icalendar::parser::{Component, Property, read_calendar};
use jiff::tz::TimeZone;

use super::{Draft, Format, when};
use crate::agenda::{AgendaError, check, talk_error};
use crate::model::Timestamp;

/// Reads the talks of an iCalendar file.
pub(crate) fn read(text: &str, zone: &TimeZone) -> Result<Vec<Draft>, AgendaError> {
    let (unfolded, lines) = unfold(text);
    let calendar = read_calendar(&unfolded).map_err(|e| AgendaError::Syntax {
        format: Format::ICalendar,
        line: error_line(&e)
            .and_then(|l| lines.get(l - 1).copied())
            .unwrap_or(1),
        message: e
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("unreadable")
            .to_owned(),
    })?;
    calendar
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .filter(|c| !value(c, "STATUS").is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED")))
        .map(|c| talk(c, zone))
        .collect()
}

/// Joins folded lines (a line starting with a space or tab continues the one before) and
/// keeps, for each joined line, the original line it started on: the parser's errors name
/// joined lines, the organiser sees the file.
fn unfold(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut starts = Vec::new();
    for (n, line) in text.lines().enumerate() {
        match line.strip_prefix([' ', '\t']) {
            Some(rest) if !starts.is_empty() => out.push_str(rest),
            _ => {
                if !starts.is_empty() {
                    out.push('\n');
                }
                out.push_str(line);
                starts.push(n + 1);
            }
        }
    }
    out.push('\n');
    (out, starts)
}

/// The line a parser error names (`at line 5`).
fn error_line(message: &str) -> Option<usize> {
    let rest = &message[message.find("at line ")? + "at line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|&n| n > 0)
}

/// One `VEVENT` as a talk.
fn talk(event: &Component<'_>, zone: &TimeZone) -> Result<Draft, AgendaError> {
    let uid = value(event, "UID")
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            let at = format!("VEVENT {:?}", value(event, "SUMMARY").unwrap_or_default());
            talk_error(Format::ICalendar, &at, "the event has no UID")
        })?;
    let at = format!("VEVENT UID={uid}");
    let error = |e: String| talk_error(Format::ICalendar, &at, e);
    let start = time(event, "DTSTART", zone).map_err(error)?;
    let end = match (event.find_prop("DTEND"), value(event, "DURATION")) {
        (Some(_), _) => time(event, "DTEND", zone).map_err(error)?,
        (None, Some(d)) => {
            let span: jiff::Span = d
                .parse()
                .map_err(|_| error(format!("DURATION {d:?} is not a duration")))?;
            let ms = span
                .total(jiff::Unit::Millisecond)
                .map_err(|_| error(format!("DURATION {d:?} is not a duration")))?;
            #[allow(clippy::cast_possible_truncation)] // a talk lasts hours, not 2^63 ms
            Timestamp::from_millis(start.millis().saturating_add(ms as i64))
        }
        (None, None) => return Err(error("the event has no DTEND or DURATION".to_owned())),
    };
    let draft = Draft {
        source_id: uid.trim().to_owned(),
        code: None,
        title: value(event, "SUMMARY")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        speakers: Vec::new(),
        room: value(event, "LOCATION")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        start,
        end,
        number: None,
        at: at.clone(),
    };
    check(Format::ICalendar, &draft)?;
    Ok(draft)
}

/// A property's text, unescaped (`\,` `\n`).
fn value(event: &Component<'_>, name: &str) -> Option<String> {
    event
        .find_prop(name)
        .map(|p| p.val.clone().unescape_text().as_str().to_owned())
}

/// A date-time property, in its zone; all-day dates are not talk times.
fn time(event: &Component<'_>, name: &str, zone: &TimeZone) -> Result<Timestamp, String> {
    let prop = event
        .find_prop(name)
        .ok_or_else(|| format!("the event has no {name}"))?;
    if param(prop, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE")) {
        return Err(format!("{name} is a whole day, not a talk's time"));
    }
    when::ical(prop.val.as_str(), param(prop, "TZID"), zone).map_err(|e| format!("{name}: {e}"))
}

/// A parameter's value.
fn param<'a>(prop: &'a Property<'_>, key: &str) -> Option<&'a str> {
    prop.params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolding_keeps_the_original_lines() {
        let (text, lines) = unfold("A:1\r\nB:2\r\n 3\r\nC:4\r\n");
        assert_eq!(text, "A:1\nB:23\nC:4\n");
        assert_eq!(lines, [1, 2, 4]);
        assert_eq!(error_line("0: at line 12:\nfoo"), Some(12));
        assert_eq!(error_line("nothing"), None);
    }
}
