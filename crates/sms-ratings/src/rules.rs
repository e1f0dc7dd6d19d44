//! The rules an event's details follow, in one place: `sms-ratings events add` and the
//! organiser's form in the browser both call [`check_event`] and [`check_number_free`].
//!
//! ```
//! use sms_ratings::rules::{check_event, Field};
//!
//! let event = check_event("rust25", " RustConf ", "+1 500 555-0006", None, None, None, None).unwrap();
//! assert_eq!((event.code.as_str(), event.name.as_str()), ("RUST25", "RustConf"));
//! assert_eq!(event.number.as_deref(), Some("+15005550006"));
//!
//! let errors = check_event("1x", "Bell\u{7}", "", None, None, None, None).unwrap_err();
//! let fields: Vec<Field> = errors.iter().map(|e| e.field()).collect();
//! assert_eq!(fields, [Field::Code, Field::Name]);
//! ```

use crate::model::zone::LocalTimeError;
use crate::model::{Event, EventCode, NewEvent, Timestamp, Zone};
use crate::phone::{self, Region};

/// Longest event name accepted (replies shorten long names anyway).
pub const MAX_NAME: usize = 120;

/// A field of an event's details, so a form can show an error next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The code people text.
    Code,
    /// The name.
    Name,
    /// The Twilio number.
    Number,
    /// When voting opens.
    Opens,
    /// When voting closes.
    Closes,
    /// The time zone its times are typed and shown in.
    TimeZone,
}

/// Why event details are refused; each names its field ([`EventRuleError::field`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventRuleError {
    /// The code is not 2–32 characters, a letter first, then letters, digits, `-` or `_`.
    #[error("a code is 2-32 characters: a letter, then letters, digits, - or _")]
    Code,
    /// Another event already has this code.
    #[error("an event with code {0} already exists")]
    CodeTaken(String),
    /// The name is empty or only white space.
    #[error("the event name is empty")]
    EmptyName,
    /// The name holds a control character (it goes into every TwiML reply).
    #[error("the event name contains a control character")]
    NameControl,
    /// The name is longer than [`MAX_NAME`] characters.
    #[error("the event name is longer than {MAX_NAME} characters")]
    NameTooLong,
    /// The number is not a valid phone number in E.164 (or, with a default region, in that
    /// region's national form).
    #[error(
        "{0:?} is not a valid phone number: type it in E.164 form with its country code, e.g. \
         +442079460000"
    )]
    Number(String),
    /// A time is not RFC 3339 (or the form's `YYYY-MM-DDTHH:MM`, in the event's zone).
    #[error("{1:?} is not a time like 2026-11-29T18:00")]
    Time(Field, String),
    /// A wall-clock time the event's zone skips when summer time starts: it never happens.
    #[error(
        "{time} does not happen in {zone}: the clocks skip that hour when summer time starts \
         (pick a time before or after it)"
    )]
    TimeSkipped {
        /// Opens or closes.
        field: Field,
        /// The time as typed.
        time: String,
        /// The zone's name.
        zone: String,
    },
    /// The time zone is not an IANA name.
    #[error(transparent)]
    TimeZone(#[from] crate::model::zone::InvalidZone),
    /// Closing is not after opening.
    #[error("closing must be after opening")]
    ClosesBeforeOpens,
    /// Another event on the same number takes votes at an overlapping time: texts without
    /// a code could not tell the two apart.
    #[error(
        "{number} already serves event {other} at that time: texts without a code could not \
         tell them apart (close {other} first, or use another number)"
    )]
    NumberInUse {
        /// The number.
        number: String,
        /// The code of the event already on it.
        other: String,
    },
}

impl EventRuleError {
    /// The field the error belongs next to.
    pub fn field(&self) -> Field {
        match self {
            Self::Code | Self::CodeTaken(_) => Field::Code,
            Self::EmptyName | Self::NameControl | Self::NameTooLong => Field::Name,
            Self::Number(_) | Self::NumberInUse { .. } => Field::Number,
            Self::Time(field, _) | Self::TimeSkipped { field, .. } => *field,
            Self::TimeZone(_) => Field::TimeZone,
            Self::ClosesBeforeOpens => Field::Closes,
        }
    }
}

/// Checks event details as typed and returns the event to store, or every error found.
/// An empty `number` means none; a number without its country code is read in `region`
/// (the deployment's `--default-region`). The times were read in `time_zone` (or the
/// deployment's) by [`parse_time`]; the zone is kept with the event.
pub fn check_event(
    code: &str,
    name: &str,
    number: &str,
    opens: Option<Timestamp>,
    closes: Option<Timestamp>,
    time_zone: Option<Zone>,
    region: Option<Region>,
) -> Result<NewEvent, Vec<EventRuleError>> {
    let mut errors = Vec::new();
    let code = code
        .trim()
        .parse::<EventCode>()
        .map_err(|_| EventRuleError::Code);
    let name = check_name(name);
    let number = check_number(number, region);
    if let (Some(o), Some(c)) = (opens, closes)
        && c <= o
    {
        errors.push(EventRuleError::ClosesBeforeOpens);
    }
    match (code, name, number) {
        (Ok(code), Ok(name), Ok(number)) if errors.is_empty() => Ok(NewEvent {
            code,
            name,
            number,
            opens,
            closes,
            time_zone,
        }),
        (code, name, number) => {
            let found = [code.err(), name.err(), number.err()];
            errors.splice(0..0, found.into_iter().flatten());
            Err(errors)
        }
    }
}

/// Event details as typed in the form or on the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Typed<'a> {
    /// The code.
    pub code: &'a str,
    /// The name.
    pub name: &'a str,
    /// The number (empty: none).
    pub number: &'a str,
    /// When voting opens (empty: at once).
    pub opens: &'a str,
    /// When voting closes (empty: when closed by hand).
    pub closes: &'a str,
    /// The IANA time zone (empty: the deployment's).
    pub time_zone: &'a str,
}

/// Reads typed details: the zone ([`check_zone`]), the times in it (or in `default_zone`,
/// the deployment's, when none is typed), then [`check_event`]; every error found.
pub fn check_typed(
    typed: &Typed<'_>,
    default_zone: &Zone,
    region: Option<Region>,
) -> Result<NewEvent, Vec<EventRuleError>> {
    let mut errors = Vec::new();
    let time_zone = check_zone(typed.time_zone).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let zone = time_zone.as_ref().unwrap_or(default_zone);
    let mut time = |field, text| {
        parse_time(field, text, zone).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let opens = time(Field::Opens, typed.opens);
    let closes = time(Field::Closes, typed.closes);
    let (code, name, number) = (typed.code, typed.name, typed.number);
    match check_event(code, name, number, opens, closes, time_zone, region) {
        Ok(event) if errors.is_empty() => Ok(event),
        Ok(_) => Err(errors),
        Err(mut found) => {
            found.append(&mut errors);
            Err(found)
        }
    }
}

fn check_name(name: &str) -> Result<String, EventRuleError> {
    let name = name.trim();
    if name.is_empty() {
        Err(EventRuleError::EmptyName)
    } else if name.chars().any(char::is_control) {
        // A character XML cannot carry would make each reply fail after its vote is stored.
        Err(EventRuleError::NameControl)
    } else if name.chars().count() > MAX_NAME {
        Err(EventRuleError::NameTooLong)
    } else {
        Ok(name.to_owned())
    }
}

/// `+1 (500) 555-0006` → `+15005550006`, `0207 946 0000` in GB → `+442079460000`; empty →
/// none. `whatsapp:` numbers keep their prefix; short codes are refused (Twilio's `To` is
/// E.164).
fn check_number(number: &str, region: Option<Region>) -> Result<Option<String>, EventRuleError> {
    let trimmed = number.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    phone::to_e164(trimmed, region)
        .map(Some)
        .map_err(|_| EventRuleError::Number(trimmed.to_owned()))
}

/// A time as typed in a form or on the command line: RFC 3339 with its offset, or a
/// wall-clock time in `zone` such as `YYYY-MM-DDTHH:MM` (a `datetime-local` input; see
/// [`Zone::read`] for the summer-time hours); empty means none.
pub fn parse_time(
    field: Field,
    text: &str,
    zone: &Zone,
) -> Result<Option<Timestamp>, EventRuleError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    zone.read(text).map(Some).map_err(|e| match e {
        LocalTimeError::Skipped => EventRuleError::TimeSkipped {
            field,
            time: text.to_owned(),
            zone: zone.name().to_owned(),
        },
        _ => EventRuleError::Time(field, text.to_owned()),
    })
}

/// The time zone as typed: an IANA name (any case), or empty for the deployment's.
pub fn check_zone(text: &str) -> Result<Option<Zone>, EventRuleError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(text.parse()?))
}

/// The times an event takes votes, as a half-open range in milliseconds (`None` when it
/// never will again: closed by hand or closed before `now`).
fn window(
    opens: Option<Timestamp>,
    closes: Option<Timestamp>,
    closed: bool,
    now: Timestamp,
) -> Option<(i64, i64)> {
    let end = closes.map_or(i64::MAX, Timestamp::millis);
    let start = opens.map_or(i64::MIN, Timestamp::millis).max(now.millis());
    (!closed && end > start).then_some((start, end))
}

/// One open event per number: refuses `candidate` (about to be created, edited or opened,
/// taking votes from `opens` to `closes`) when another event on its number takes votes at an
/// overlapping time, because a text without a code could then not be told apart.
pub fn check_number_free(
    candidate: &NewEvent,
    all: &[Event],
    now: Timestamp,
) -> Result<(), EventRuleError> {
    let Some(number) = &candidate.number else {
        return Ok(());
    };
    let Some((start, end)) = window(candidate.opens, candidate.closes, false, now) else {
        return Ok(());
    };
    let clash = all.iter().find(|e| {
        e.code != candidate.code
            && e.number.as_ref() == Some(number)
            && window(e.opens, e.closes, e.closed, now).is_some_and(|(s, t)| s < end && start < t)
    });
    match clash {
        Some(other) => Err(EventRuleError::NumberInUse {
            number: number.clone(),
            other: other.code.to_string(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: &str, number: &str, opens: Option<i64>, closes: Option<i64>) -> Event {
        Event {
            id: 1,
            code: code.parse().unwrap(),
            name: code.into(),
            number: Some(number.into()),
            opens: opens.map(Timestamp::from_millis),
            closes: closes.map(Timestamp::from_millis),
            closed: false,
            time_zone: None,
            window_opens: None,
        }
    }

    #[test]
    fn names_must_be_printable_and_short() {
        assert!(check_event("RUST", "Rust Conf", "", None, None, None, None).is_ok());
        for bad in ["", "   ", "Rust\u{0}Conf", "Rust\u{7}Conf", "Rust\nConf"] {
            assert!(
                check_event("RUST", bad, "", None, None, None, None).is_err(),
                "{bad:?}"
            );
        }
        let long = "x".repeat(MAX_NAME + 1);
        assert_eq!(
            check_event("RUST", &long, "", None, None, None, None).unwrap_err(),
            [EventRuleError::NameTooLong]
        );
    }

    #[test]
    fn every_error_is_reported_with_its_field() {
        let t = Timestamp::from_millis;
        let errors =
            check_event("9", "", "+1 555 abc", Some(t(10)), Some(t(5)), None, None).unwrap_err();
        let fields: Vec<_> = errors.iter().map(EventRuleError::field).collect();
        assert_eq!(
            fields,
            [Field::Code, Field::Name, Field::Number, Field::Closes]
        );
    }

    #[test]
    fn numbers_are_cleaned_or_refused() {
        let gb = "GB".parse().ok();
        let n = |s| check_event("AB", "n", s, None, None, None, gb).map(|e| e.number);
        assert_eq!(n("+1 (500) 555-0006"), Ok(Some("+15005550006".into())));
        assert_eq!(n("0207 946 0000"), Ok(Some("+442079460000".into())));
        assert_eq!(
            n("12345"),
            Err(vec![EventRuleError::Number("12345".into())])
        );
        assert_eq!(n("whatsapp:+15005550006").unwrap().unwrap().len(), 21);
        assert!(n("+1 555 CALL").is_err());
        assert!(n("what sapp").is_err());
        assert_eq!(n(" "), Ok(None));
    }

    #[test]
    fn form_times_are_read_in_the_zone() {
        let utc = Zone::utc();
        let amsterdam: Zone = "Europe/Amsterdam".parse().unwrap();
        assert_eq!(
            parse_time(Field::Opens, "2026-11-29T18:00", &utc).unwrap(),
            Some("2026-11-29T18:00:00Z".parse().unwrap())
        );
        assert_eq!(
            parse_time(Field::Opens, "2026-11-29T18:00", &amsterdam).unwrap(),
            Some("2026-11-29T17:00:00Z".parse().unwrap())
        );
        assert_eq!(parse_time(Field::Opens, "", &utc).unwrap(), None);
        assert_eq!(
            parse_time(Field::Closes, "soon", &utc),
            Err(EventRuleError::Time(Field::Closes, "soon".into()))
        );
        let skipped = parse_time(Field::Closes, "2026-03-29T02:30", &amsterdam).unwrap_err();
        assert_eq!(skipped.field(), Field::Closes);
        assert!(
            skipped.to_string().contains("Europe/Amsterdam"),
            "{skipped}"
        );
    }

    #[test]
    fn zones_are_iana_names_or_the_default() {
        assert_eq!(check_zone(" "), Ok(None));
        let zone = check_zone("europe/amsterdam").unwrap().unwrap();
        assert_eq!(zone.name(), "Europe/Amsterdam");
        let bad = check_zone("CEST").unwrap_err();
        assert_eq!(bad.field(), Field::TimeZone);
        assert!(bad.to_string().contains("Europe/Amsterdam"), "{bad}");
    }

    #[test]
    fn one_open_event_per_number() {
        let now = Timestamp::from_millis(1_000);
        let new = |opens: Option<i64>, closes: Option<i64>| NewEvent {
            code: "NEW".parse().unwrap(),
            name: "n".into(),
            number: Some("+1555".into()),
            opens: opens.map(Timestamp::from_millis),
            closes: closes.map(Timestamp::from_millis),
            time_zone: None,
        };
        let open = event("OLD", "+1555", None, None);
        assert!(matches!(
            check_number_free(&new(None, None), std::slice::from_ref(&open), now),
            Err(EventRuleError::NumberInUse { other, .. }) if other == "OLD"
        ));
        // Another number, closed by hand, closed already, or a later window: no clash.
        let elsewhere = event("OLD", "+1666", None, None);
        let mut closed = open.clone();
        closed.closed = true;
        let past = event("OLD", "+1555", None, Some(500));
        let early = event("OLD", "+1555", None, Some(5_000));
        for other in [elsewhere, closed, past] {
            assert!(check_number_free(&new(None, None), &[other], now).is_ok());
        }
        assert!(
            check_number_free(&new(Some(5_000), None), std::slice::from_ref(&early), now).is_ok()
        );
        assert!(check_number_free(&new(Some(4_000), None), &[early], now).is_err());
        // An event does not clash with itself (editing it).
        let same = event("NEW", "+1555", None, None);
        assert!(check_number_free(&new(None, None), &[same], now).is_ok());
    }
}
