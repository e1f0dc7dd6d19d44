//! Time zones: each event's IANA zone (`Europe/Amsterdam`), the deployment's default
//! (`serve --timezone`, `TZ`), and the conversions between the local times people type and
//! read and the UTC instants every backend stores.
//!
//! ```
//! use sms_ratings::model::Zone;
//!
//! let zone: Zone = "europe/amsterdam".parse().unwrap();
//! assert_eq!(zone.name(), "Europe/Amsterdam");
//! let opens = zone.read("2026-11-29T19:30").unwrap();
//! assert_eq!(opens.rfc3339(), "2026-11-29T18:30:00Z");
//! assert_eq!(zone.show(opens), "2026-11-29 19:30 CET (Europe/Amsterdam)");
//! assert!("Mars/Olympus_Mons".parse::<Zone>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::Timestamp;

/// An IANA time zone, known by its canonical name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

/// A text that is not an IANA time zone name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time zone: type an IANA name like Europe/Amsterdam (or UTC)")]
pub struct InvalidZone(pub String);

/// Why a local time cannot be read in a zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalTimeError {
    /// Not a date and time.
    #[error("not a time like 2026-11-29T18:00")]
    Format,
    /// The time falls in the hour the clocks skip when summer time starts.
    #[error("the clocks skip that time (summer time starts)")]
    Skipped,
}

impl Zone {
    /// Coordinated Universal Time, the default when none is set.
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// The IANA name, e.g. `Europe/Amsterdam`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads a time as typed: with an offset (`2026-11-29T18:00:00Z`, `…+01:00`) it is that
    /// instant; without one (a form's `datetime-local` value, `2026-11-29T19:30`, seconds
    /// optional) it is a wall-clock time in this zone.
    ///
    /// Around summer time, a wall-clock time is read deliberately: one in the hour the clocks
    /// skip (02:30 on the last Sunday of March in Amsterdam) never happens, so it is refused
    /// ([`LocalTimeError::Skipped`]) rather than silently moved; the organiser picks a real
    /// time. One in the hour that happens twice (02:30 on the last Sunday of October) is the
    /// earlier of the two, so voting never opens or closes later than someone reading the
    /// clock could expect; the pages show which one by its abbreviation (CEST, not CET).
    pub fn read(&self, text: &str) -> Result<Timestamp, LocalTimeError> {
        let text = text.trim();
        if let Ok(instant) = text.parse::<jiff::Timestamp>() {
            return Ok(Timestamp::from_millis(instant.as_millisecond()));
        }
        let wall: DateTime = text.parse().map_err(|_| LocalTimeError::Format)?;
        let ambiguous = self.tz.to_ambiguous_timestamp(wall);
        if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
            return Err(LocalTimeError::Skipped);
        }
        ambiguous
            .earlier()
            .map(|t| Timestamp::from_millis(t.as_millisecond()))
            .map_err(|_| LocalTimeError::Format)
    }

    /// `t` for a `datetime-local` input in this zone: `2026-11-29T19:30`.
    pub fn input(&self, t: Timestamp) -> String {
        self.format(t, "%Y-%m-%dT%H:%M")
    }

    /// `t` on the wall clock of this zone: `19:30`.
    pub fn clock(&self, t: Timestamp) -> String {
        self.format(t, "%H:%M")
    }

    /// `t` for people, its zone named: `2026-11-29 19:30 CET (Europe/Amsterdam)`; the name
    /// alone when it is its own abbreviation (`2026-11-29 18:30 UTC`).
    pub fn show(&self, t: Timestamp) -> String {
        let shown = self.format(t, "%Y-%m-%d %H:%M %Z");
        if shown.ends_with(&format!(" {}", self.name)) {
            shown
        } else {
            format!("{shown} ({})", self.name)
        }
    }

    /// Formats `t` in this zone (RFC 3339 in UTC for an instant outside jiff's range, which
    /// no stored time is).
    fn format(&self, t: Timestamp, pattern: &str) -> String {
        match jiff::Timestamp::from_millisecond(t.millis()) {
            Ok(instant) => instant
                .to_zoned_datetime(self.tz.clone())
                .strftime(pattern)
                .to_string(),
            Err(_) => t.rfc3339(),
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::utc()
    }
}

impl FromStr for Zone {
    type Err = InvalidZone;

    /// An IANA name in any case (`europe/amsterdam`), kept in its canonical spelling; a
    /// leading `:` (POSIX `TZ`'s "a name, not a rule") is allowed, and so is a path into a
    /// zoneinfo directory (`/usr/share/zoneinfo/Europe/Amsterdam`), as `TZ` may hold.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let text = text.strip_prefix(':').unwrap_or(text);
        let name = match text.rsplit_once("/zoneinfo/") {
            Some((_, name)) if text.starts_with('/') => name,
            _ => text,
        };
        if name.is_empty() || name.starts_with('/') {
            return Err(InvalidZone(s.to_owned()));
        }
        let tz = jiff::tz::db()
            .get(name)
            .map_err(|_| InvalidZone(s.to_owned()))?;
        Ok(Self {
            name: tz.iana_name().unwrap_or(name).to_owned(),
            tz,
        })
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Names in a zone database that are not places: copies with other rules (`posix/`,
/// `right/`), fixed offsets with inverted signs (`Etc/GMT+5` is UTC−5) and old aliases.
const NOT_PLACES: [&str; 4] = ["Etc/", "posix/", "right/", "SystemV/"];

/// Every zone name people pick from (`Area/Place` and `UTC`), sorted: the form's suggestions.
pub fn names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            .filter(|n| {
                n == "UTC" || (n.contains('/') && !NOT_PLACES.iter().any(|p| n.starts_with(p)))
            })
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amsterdam() -> Zone {
        "Europe/Amsterdam".parse().unwrap()
    }

    #[test]
    fn names_are_canonical_or_refused() {
        assert_eq!(amsterdam().name(), "Europe/Amsterdam");
        assert_eq!(":UTC".parse::<Zone>().unwrap().name(), "UTC");
        let path = ":/usr/share/zoneinfo/Europe/Amsterdam".parse::<Zone>();
        assert_eq!(path, Ok(amsterdam()));
        assert_eq!(Zone::default(), Zone::utc());
        for bad in [
            "",
            " ",
            "CET+1",
            "Mars/Base",
            "/etc/localtime",
            "../etc/passwd",
        ] {
            assert_eq!(bad.parse::<Zone>(), Err(InvalidZone(bad.into())), "{bad:?}");
        }
        assert!(names().iter().any(|n| n == "Europe/Amsterdam"));
        assert!(names().iter().any(|n| n == "UTC"));
        assert!(
            !names()
                .iter()
                .any(|n| n.starts_with("posix/") || n.starts_with("right/"))
        );
    }

    #[test]
    fn wall_clock_times_are_read_in_the_zone() {
        let z = amsterdam();
        let at = |text| z.read(text).map(Timestamp::rfc3339);
        assert_eq!(at("2026-11-29T19:30"), Ok("2026-11-29T18:30:00Z".into()));
        assert_eq!(at("2026-07-01T19:30:15"), Ok("2026-07-01T17:30:15Z".into()));
        // An offset is an instant whatever the zone.
        assert_eq!(
            at("2026-11-29T19:30:00Z"),
            Ok("2026-11-29T19:30:00Z".into())
        );
        assert_eq!(
            at("2026-11-29T19:30:00-05:00"),
            Ok("2026-11-30T00:30:00Z".into())
        );
        assert_eq!(at("soon"), Err(LocalTimeError::Format));
        assert_eq!(at("2026-02-30T10:00"), Err(LocalTimeError::Format));
    }

    #[test]
    fn summer_time_gaps_are_refused_and_folds_take_the_earlier() {
        let z = amsterdam();
        // 29 March 2026: 02:00 CET becomes 03:00 CEST.
        assert_eq!(z.read("2026-03-29T02:30"), Err(LocalTimeError::Skipped));
        assert_eq!(
            z.read("2026-03-29T03:00").map(Timestamp::rfc3339),
            Ok("2026-03-29T01:00:00Z".into())
        );
        // 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
        let fold = z.read("2026-10-25T02:30").unwrap();
        assert_eq!(fold.rfc3339(), "2026-10-25T00:30:00Z");
        assert_eq!(z.show(fold), "2026-10-25 02:30 CEST (Europe/Amsterdam)");
        let second = Timestamp::from_millis(fold.millis() + 3_600_000);
        assert_eq!(z.show(second), "2026-10-25 02:30 CET (Europe/Amsterdam)");
        // UTC has neither.
        assert!(Zone::utc().read("2026-03-29T02:30").is_ok());
    }

    #[test]
    fn times_are_shown_in_the_zone_and_named() {
        let t: Timestamp = "2026-11-29T18:30:00Z".parse().unwrap();
        let z = amsterdam();
        assert_eq!(z.input(t), "2026-11-29T19:30");
        assert_eq!(z.clock(t), "19:30");
        assert_eq!(z.show(t), "2026-11-29 19:30 CET (Europe/Amsterdam)");
        assert_eq!(Zone::utc().show(t), "2026-11-29 18:30 UTC");
        assert_eq!(z.read(&z.input(t)), Ok(t));
    }
}
