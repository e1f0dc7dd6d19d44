//! Event numbers in E.164, the form Twilio's `To` takes: one parser (`phonenumber`, a port of
//! Google's libphonenumber with its metadata) for the form, the CLI and the manage page's flag.
//!
//! A number typed in national form (`0207 946 0000`) needs the deployment's default region
//! ([`Region`], `--default-region GB`) to be read; one typed with its country code
//! (`+44 20 7946 0000`) does not.
//!
//! ```
//! use sms_ratings::phone::{Region, to_e164};
//!
//! let gb: Region = "gb".parse().unwrap();
//! assert_eq!(to_e164("0207 946 0000", Some(gb)).unwrap(), "+442079460000");
//! assert_eq!(to_e164("+44 20 7946 0000", None).unwrap(), "+442079460000");
//! assert!(to_e164("0207 946 0000", None).is_err());
//! assert!(to_e164("12345", Some(gb)).is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use phonenumber::Mode;
use phonenumber::country::Id;

/// The prefix of a WhatsApp sender's address (`whatsapp:+14155238886`), kept as Twilio sends it.
const WHATSAPP: &str = "whatsapp:";

/// A country whose national numbers are read without a country code (ISO 3166 alpha-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(Id);

/// Why a text is not a region.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a region: use a two-letter country code such as GB, NL or US")]
pub struct InvalidRegion(pub String);

impl FromStr for Region {
    type Err = InvalidRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .to_ascii_uppercase()
            .parse()
            .map(Self)
            .map_err(|_| InvalidRegion(s.to_owned()))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

/// Why a text is not a phone number this deployment can text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid phone number")]
pub struct InvalidNumber;

/// The number as E.164 (`+442079460000`), a `whatsapp:` prefix kept; national numbers are
/// read in `region`. Refused: anything but digits and separators, what does not parse or is
/// not a valid number (short codes, numbers too short or too long for their country).
pub fn to_e164(text: &str, region: Option<Region>) -> Result<String, InvalidNumber> {
    let text = text.trim();
    let (prefix, number) = match text.strip_prefix(WHATSAPP) {
        Some(rest) => (WHATSAPP, rest),
        None => ("", text),
    };
    // libphonenumber reads past trailing text and extensions (`x12`); an event number is
    // digits and separators only. A national number without a region has no country.
    let typed = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.');
    if !number.chars().all(typed) || (!number.starts_with('+') && region.is_none()) {
        return Err(InvalidNumber);
    }
    let parsed = phonenumber::parse(region.map(|r| r.0), number).map_err(|_| InvalidNumber)?;
    if !parsed.is_valid() {
        return Err(InvalidNumber);
    }
    Ok(format!("{prefix}{}", parsed.format().mode(Mode::E164)))
}

/// True when `stored` is already a valid E.164 number (or a `whatsapp:` one): numbers stored
/// before this rule may not be, and the manage page flags them.
pub fn is_e164(stored: &str) -> bool {
    to_e164(stored, None).is_ok_and(|n| n == stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_need_the_region() {
        let gb = "GB".parse().ok();
        assert_eq!(to_e164("0207 946 0000", gb).as_deref(), Ok("+442079460000"));
        // Twilio's test number, as the form and the CLI take it.
        assert_eq!(
            to_e164("+1 (500) 555-0006", gb).as_deref(),
            Ok("+15005550006")
        );
        assert_eq!(
            to_e164("whatsapp:+44 20 7946 0000", None).as_deref(),
            Ok("whatsapp:+442079460000")
        );
        for bad in ["12345", "0207 946 0000x", "+44", "", "+1 555 CALL"] {
            assert!(to_e164(bad, gb).is_err(), "{bad:?}");
        }
        assert!(to_e164("0207 946 0000", None).is_err());
    }

    #[test]
    fn stored_numbers_are_checked_as_they_are() {
        assert!(is_e164("+442079460000"));
        assert!(!is_e164("02079460000"));
        assert!(!is_e164("+44 20 7946 0000"));
        assert!("gb".parse::<Region>().is_ok());
        assert!("Britain".parse::<Region>().is_err());
    }
}
