//! Times as agenda files write them: ISO 8601 with or without an offset, frab durations
//! (`00:30`), iCalendar's basic form (`20161028T140000`, `…Z`, with a `TZID`).

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::model::Timestamp;

/// An ISO 8601 date and time; without an offset it is read in `zone`.
pub(crate) fn instant(text: &str, zone: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(from_jiff(t));
    }
    let civil = text.parse::<DateTime>().map_err(|_| {
        format!("{text:?} is not an ISO 8601 date and time (e.g. 2026-05-04T10:00 or 2026-05-04T10:00+02:00)")
    })?;
    in_zone(civil, zone)
}

/// A civil time in `zone` (a time skipped by a clock change reads as the later one).
pub(crate) fn in_zone(civil: DateTime, zone: &TimeZone) -> Result<Timestamp, String> {
    zone.to_timestamp(civil)
        .map(from_jiff)
        .map_err(|e| format!("{civil} has no time in the zone: {e}"))
}

/// A frab duration, `HH:MM` or `HH:MM:SS`, in milliseconds.
pub(crate) fn duration(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a duration (HH:MM)");
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let mut seconds: i64 = 0;
    for (part, unit) in parts.iter().zip([3600, 60, 1]) {
        let n: i64 = part.parse().map_err(|_| bad())?;
        if n < 0 || (unit < 3600 && n >= 60) {
            return Err(bad());
        }
        seconds = seconds.saturating_add(n.saturating_mul(unit));
    }
    Ok(seconds * 1000)
}

/// An iCalendar DATE-TIME: `…Z` is UTC, a `TZID` names its zone, else it is floating and
/// read in `zone`.
pub(crate) fn ical(value: &str, tzid: Option<&str>, zone: &TimeZone) -> Result<Timestamp, String> {
    let value = value.trim();
    let (civil, utc) = match value.strip_suffix('Z') {
        Some(v) => (v, true),
        None => (value, false),
    };
    let civil = jiff::fmt::strtime::parse("%Y%m%dT%H%M%S", civil)
        .and_then(|t| t.to_datetime())
        .map_err(|_| format!("{value:?} is not a date and time (YYYYMMDDTHHMMSS)"))?;
    let named;
    let zone = match (utc, tzid) {
        (true, _) => &TimeZone::UTC,
        (false, Some(name)) => {
            named = TimeZone::get(name.trim_matches('"'))
                .map_err(|_| format!("unknown time zone {name:?} (an IANA name is needed)"))?;
            &named
        }
        (false, None) => zone,
    };
    in_zone(civil, zone)
}

/// The model's timestamp for a jiff one.
pub(crate) fn from_jiff(t: jiff::Timestamp) -> Timestamp {
    Timestamp::from_millis(t.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ams() -> TimeZone {
        TimeZone::get("Europe/Amsterdam").unwrap()
    }

    #[test]
    fn offsets_win_over_the_zone() {
        let z = ams();
        let t = |s| instant(s, &z).unwrap().rfc3339();
        assert_eq!(t("2020-12-14T09:00:00+01:00"), "2020-12-14T08:00:00Z");
        assert_eq!(t("2026-07-01T10:00:00Z"), "2026-07-01T10:00:00Z");
        assert_eq!(t("2026-07-01T10:00"), "2026-07-01T08:00:00Z");
        assert_eq!(t("2026-01-01 10:00"), "2026-01-01T09:00:00Z");
        assert!(instant("tomorrow", &z).is_err());
        assert!(instant("2026-13-01T10:00", &z).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("00:30"), Ok(30 * 60_000));
        assert_eq!(duration("01:15:30"), Ok(4530 * 1000));
        for bad in ["", "30", "00:75", "a:b", "-1:00", "1:2:3:4"] {
            assert!(duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ical_times() {
        let z = ams();
        let t = |v, tz| ical(v, tz, &z).map(Timestamp::rfc3339);
        assert_eq!(
            t("20161028T140000", Some("Europe/Zurich")).unwrap(),
            "2016-10-28T12:00:00Z"
        );
        assert_eq!(t("20241004T181500Z", None).unwrap(), "2024-10-04T18:15:00Z");
        assert_eq!(t("20260701T100000", None).unwrap(), "2026-07-01T08:00:00Z");
        assert!(t("20260701T100000", Some("W. Europe Standard Time")).is_err());
        assert!(t("20260701", None).is_err());
    }
}
