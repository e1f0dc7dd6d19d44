//! Twilio's opt-out, opt-in and help keywords: never a vote, never answered with content.
//!
//! Twilio (and the carriers) handle these texts themselves: Twilio sends the compliance
//! reply, blocks the number after an opt-out (a reply to it would fail with error 21610)
//! and lifts the block after an opt-in. A keyword counts only as the whole text — any case,
//! surrounding white space ignored (`stop` opts out, `stop please` does not). With Advanced
//! Opt-Out on a Messaging Service, Twilio also sends `OptOutType` (`STOP`, `START`, `HELP`)
//! for its configured keywords, in any language; when present it decides.
//!
//! ```
//! use sms_ratings::keyword::{Keyword, classify};
//!
//! assert_eq!(classify(" Stop\n", None), Some(Keyword::OptOut));
//! assert_eq!(classify("unstop", None), Some(Keyword::OptIn));
//! assert_eq!(classify("INFO", None), Some(Keyword::Help));
//! assert_eq!(classify("ARRET", Some("STOP")), Some(Keyword::OptOut));
//! assert_eq!(classify("stop please", None), None);
//! assert_eq!(classify("5 great", None), None);
//! ```

/// Twilio's default opt-out keywords (its Advanced Opt-Out guide lists `REVOKE` and `OPTOUT`
/// beside the classic six).
pub const OPT_OUT: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
/// Twilio's default opt-in keywords.
pub const OPT_IN: [&str; 3] = ["START", "UNSTOP", "YES"];
/// Twilio's default help keywords.
pub const HELP: [&str; 2] = ["HELP", "INFO"];

/// What a keyword text asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Send this number nothing more.
    OptOut,
    /// Replies may resume.
    OptIn,
    /// Twilio answers with its help text (also: an `OptOutType` this build does not know).
    Help,
}

impl Keyword {
    /// A short label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Self::OptOut => "opt_out",
            Self::OptIn => "opt_in",
            Self::Help => "help_keyword",
        }
    }
}

/// The keyword a text is, if any: `OptOutType` when Twilio sent one (non-empty), else the
/// whole body against the default lists.
pub fn classify(body: &str, opt_out_type: Option<&str>) -> Option<Keyword> {
    if let Some(kind) = opt_out_type.map(str::trim).filter(|k| !k.is_empty()) {
        return Some(match kind.to_ascii_uppercase().as_str() {
            "STOP" => Keyword::OptOut,
            "START" => Keyword::OptIn,
            _ => Keyword::Help,
        });
    }
    let word = body.trim().to_ascii_uppercase();
    let is = |list: &[&str]| list.contains(&word.as_str());
    if is(&OPT_OUT) {
        Some(Keyword::OptOut)
    } else if is(&OPT_IN) {
        Some(Keyword::OptIn)
    } else if is(&HELP) {
        Some(Keyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_in_any_case_with_white_space() {
        for (list, kind) in [
            (&OPT_OUT[..], Keyword::OptOut),
            (&OPT_IN[..], Keyword::OptIn),
            (&HELP[..], Keyword::Help),
        ] {
            for word in list {
                for body in [
                    word.to_string(),
                    word.to_lowercase(),
                    format!("  {}\r\n", capitalised(word)),
                ] {
                    assert_eq!(classify(&body, None), Some(kind), "{body:?}");
                }
            }
        }
    }

    fn capitalised(word: &str) -> String {
        let lower = word.to_lowercase();
        lower[..1].to_uppercase() + &lower[1..]
    }

    #[test]
    fn only_the_whole_text_counts() {
        for body in [
            "stop please",
            "please stop",
            "STOP 4",
            "start5",
            "",
            "5",
            "yes!",
        ] {
            assert_eq!(classify(body, None), None, "{body:?}");
        }
    }

    #[test]
    fn opt_out_type_decides_when_present() {
        assert_eq!(classify("ALTO", Some("STOP")), Some(Keyword::OptOut));
        assert_eq!(classify("5", Some("start")), Some(Keyword::OptIn));
        assert_eq!(classify("AYUDA", Some("HELP")), Some(Keyword::Help));
        assert_eq!(classify("4", Some("SOMETHING-NEW")), Some(Keyword::Help));
        assert_eq!(classify("4", Some("")), None);
    }
}
