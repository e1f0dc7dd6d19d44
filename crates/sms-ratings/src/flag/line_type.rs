//! Twilio Lookup's line types, and which of them flag a vote.
//!
//! Twilio's fraud guidance names non-fixed VoIP numbers (bought in bulk, online, without an
//! address) as the bot signal; toll-free, premium, shared-cost, UAN, pager and voicemail
//! numbers do not send texts from a person's pocket either. Mobile, landline, fixed VoIP and
//! personal numbers, and numbers Lookup could not type, are not flagged.

/// The line types that flag a vote (Lookup v2 `line_type_intelligence.type`).
pub const SUSPECT: [&str; 7] = [
    "nonFixedVoip",
    "tollFree",
    "premium",
    "sharedCost",
    "uan",
    "pager",
    "voicemail",
];

/// True when a number of this line type flags its votes.
pub fn is_suspect(line_type: &str) -> bool {
    SUSPECT.contains(&line_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_numbers_are_suspect_phones_are_not() {
        assert!(is_suspect("nonFixedVoip") && is_suspect("tollFree"));
        for ok in ["mobile", "landline", "fixedVoip", "personal", "unknown", ""] {
            assert!(!is_suspect(ok), "{ok}");
        }
    }
}
