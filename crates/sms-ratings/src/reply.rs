//! Reply texts, kept within one SMS segment where possible.
//!
//! A segment holds 160 GSM-7 septets (characters of the extension table such as `€` or `{`
//! take two), or 70 UCS-2 characters once any character is outside GSM-7. Fixed texts here are
//! GSM-7; an event name chosen by an organiser may not be, so a reply names the event as
//! `Name (CODE)` when that fits one segment, and by its code alone when it does not (a name
//! cut mid-word reads worse than the code people just texted).
//!
//! ```
//! use sms_ratings::model::{EventRef, Outcome, Rating};
//! use sms_ratings::reply::{render, segments};
//!
//! let event = EventRef { code: "RUST25".into(), name: "RustConf".into() };
//! let text = render(&Outcome::Recorded { event, rating: Rating::new(4).unwrap(), replaced: true });
//! assert!(text.contains("4/5") && text.contains("replaces"));
//! assert_eq!(segments(&text), 1);
//! ```

use crate::model::{Channel, EventRef, Outcome, Timestamp};

/// The help text for anything that is not a vote.
pub const HELP: &str = "To rate, text a number from 1 to 5 and an optional comment, e.g. 4 great \
                        talk. If asked for the event code, start with it: CODE 4";

/// Septets per single GSM-7 segment.
const GSM_SEGMENT: usize = 160;
/// Characters per single UCS-2 segment.
const UCS2_SEGMENT: usize = 70;

/// The reply for an outcome on `channel`: a text, or words said to a caller.
pub fn for_channel(outcome: &Outcome, channel: Channel) -> String {
    match channel {
        Channel::Sms | Channel::WhatsApp => render(outcome),
        Channel::Voice => speak(outcome),
    }
}

/// What a caller hears after pressing a key (said by `<Say>`; no length limit, but short).
pub fn speak(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Recorded {
            event,
            rating,
            replaced: false,
        } => format!(
            "Thank you. Your rating of {rating} for {} is recorded.",
            event.name
        ),
        Outcome::Recorded {
            event,
            rating,
            replaced: true,
        } => format!(
            "Thank you. Your rating for {} is now {rating}. It replaces your earlier vote.",
            event.name
        ),
        Outcome::Held { event, rating } => format!(
            "Thank you. Your number could not be verified, so your rating of {rating} for {} \
             is kept for the organiser to review.",
            event.name
        ),
        Outcome::Closed(event) => format!("Sorry, voting for {} is closed.", event.name),
        Outcome::NotYetOpen(event, opens) => {
            format!(
                "Sorry, voting for {} opens {}.",
                event.name,
                opens_text(*opens)
            )
        }
        Outcome::UnknownEvent(_) | Outcome::NeedCode(_) => NO_EVENT_SPOKEN.to_owned(),
        Outcome::BetweenTalks { next, last } => between_talks(next, last, |e| e.name.clone()),
    }
}

/// Said when the number called does not serve exactly one event that takes votes.
pub const NO_EVENT_SPOKEN: &str = "Sorry, this number does not take votes for one event right now. To rate by text, \
     send the event code and a number from 1 to 5.";

/// The reply for an outcome, as a text.
pub fn render(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Recorded {
            event,
            rating,
            replaced: false,
        } => fit(event, |e| {
            format!("Thanks! Your {rating}/5 for {e} is recorded.")
        }),
        Outcome::Recorded {
            event,
            rating,
            replaced: true,
        } => fit(event, |e| {
            format!(
                "Updated: your rating for {e} is now {rating}/5. It replaces your earlier vote."
            )
        }),
        Outcome::Held { event, rating } => fit(event, |e| {
            format!("Your {rating}/5 for {e} is kept for review: your number is not verified.")
        }),
        Outcome::Closed(event) => fit(event, |e| format!("Sorry, voting for {e} is closed.")),
        Outcome::NotYetOpen(event, opens) => {
            let at = opens_text(*opens);
            fit(event, |e| format!("Voting for {e} opens {at}."))
        }
        Outcome::UnknownEvent(code) => {
            let code: String = code.chars().take(32).collect();
            format!(
                "No event has the code {code}. Check the code and text e.g. CODE 4 (a rating from 1 to 5)."
            )
        }
        Outcome::NeedCode(codes) => need_code(codes),
        Outcome::BetweenTalks { next, last } => {
            let full = between_talks(next, last, |e| format!("{} ({})", e.name, e.code));
            if segments(&full) == 1 {
                full
            } else {
                between_talks(next, last, |e| e.code.clone())
            }
        }
    }
}

/// Between two talks on a room's number: what opens next and what closed last, each talk
/// named by `name`.
fn between_talks(
    next: &Option<(EventRef, Timestamp)>,
    last: &Option<(EventRef, Timestamp)>,
    name: impl Fn(&EventRef) -> String,
) -> String {
    let mut text = String::from("No talk is taking votes here right now.");
    if let Some((event, at)) = next {
        text.push_str(&format!(
            " Next: {} opens {}.",
            name(event),
            opens_text(*at)
        ));
    }
    if let Some((event, at)) = last {
        text.push_str(&format!(" {} closed {}.", name(event), opens_text(*at)));
    }
    text
}

/// The fixed words of a call around the vote (the vote's own answer is [`speak`]).
pub mod spoken {
    use crate::model::EventRef;

    /// The prompt for a key, naming the event.
    pub fn welcome(event: &EventRef) -> String {
        format!(
            "Welcome. To rate {}, press a key from 1 for poor to 5 for excellent.",
            event.name
        )
    }

    /// Said after a first key that is not a rating (the prompt is repeated once).
    pub const NOT_A_RATING: &str = "That is not a rating. Press a key from 1 to 5.";
    /// Said when the caller's number is hidden: a vote needs a number to be one per phone.
    pub const HIDDEN_NUMBER: &str = "Sorry, we can only count a vote from a number that is \
                                     not hidden. Please call again with caller ID on, or text \
                                     your rating.";
    /// Said after a prompt when no key came.
    pub const NO_KEY: &str = "We did not get a key. Goodbye!";
    /// Said after a second key that is not a rating.
    pub const STILL_NO_RATING: &str = "Sorry, that is not a rating from 1 to 5. Goodbye!";
}

/// `2026-11-29 18:00 UTC`.
fn opens_text(t: Timestamp) -> String {
    let s = t.rfc3339();
    match (s.get(..10), s.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => s,
    }
}

fn need_code(codes: &[String]) -> String {
    let generic =
        "Which event? Start your text with the event code, e.g. CODE 4 (a rating from 1 to 5).";
    if codes.is_empty() {
        return generic.to_owned();
    }
    let listed = format!(
        "Which event? Start with its code: {} (e.g. {} 4).",
        codes.join(", "),
        codes[0]
    );
    if segments(&listed) == 1 {
        listed
    } else {
        generic.to_owned()
    }
}

/// Renders naming the event `Name (CODE)`, or by its code alone when that does not fit one
/// segment.
fn fit(event: &EventRef, text: impl Fn(&str) -> String) -> String {
    let full = text(&format!("{} ({})", event.name, event.code));
    if segments(&full) == 1 {
        full
    } else {
        text(&event.code)
    }
}

/// How many SMS segments `text` takes.
pub fn segments(text: &str) -> usize {
    match gsm7_septets(text) {
        Some(n) if n <= GSM_SEGMENT => 1,
        Some(n) => n.div_ceil(153),
        None => {
            let units = text.encode_utf16().count();
            if units <= UCS2_SEGMENT {
                1
            } else {
                units.div_ceil(67)
            }
        }
    }
}

/// Septets in GSM-7, or `None` when a character needs UCS-2.
fn gsm7_septets(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |n, c| {
        if is_gsm7_basic(c) {
            Some(n + 1)
        } else if "^{}\\[~]|€\u{c}".contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

fn is_gsm7_basic(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || " !\"#$%&'()*+,-./:;<=>?@_\n\r".contains(c)
        || "£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rating;
    use proptest::prelude::*;

    fn ev(name: &str) -> EventRef {
        EventRef {
            code: "RUST25".into(),
            name: name.into(),
        }
    }

    #[test]
    fn segment_counting() {
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
        assert_eq!(segments(&"ж".repeat(70)), 1);
        assert_eq!(segments(&"ж".repeat(71)), 2);
    }

    #[test]
    fn fixed_texts_fit_one_segment() {
        assert_eq!(segments(HELP), 1);
        let all = [
            Outcome::Recorded {
                event: ev("RustConf 2025: Day One"),
                rating: Rating::new(5).unwrap(),
                replaced: true,
            },
            Outcome::Closed(ev("RustConf")),
            Outcome::NotYetOpen(ev("RustConf"), Timestamp::from_millis(0)),
            Outcome::UnknownEvent("X".repeat(32)),
            Outcome::NeedCode(vec![]),
            Outcome::NeedCode(vec!["A1".into(), "B2".into()]),
            Outcome::BetweenTalks {
                next: Some((ev("Async in practice"), Timestamp::from_millis(0))),
                last: Some((ev("Traits, explained"), Timestamp::from_millis(0))),
            },
        ];
        for o in all {
            let text = render(&o);
            assert_eq!(segments(&text), 1, "{text}");
        }
    }

    #[test]
    fn not_yet_open_names_the_time() {
        let t: Timestamp = "2026-11-29T18:00:00Z".parse().unwrap();
        assert!(render(&Outcome::NotYetOpen(ev("X"), t)).contains("2026-11-29 18:00 UTC"));
    }

    #[test]
    fn long_names_give_way_to_the_code() {
        let text = render(&Outcome::Closed(ev(
            &"Very long conference name ".repeat(10)
        )));
        assert_eq!(text, "Sorry, voting for RUST25 is closed.");
        let text = render(&Outcome::Closed(ev("RustConf")));
        assert_eq!(text, "Sorry, voting for RustConf (RUST25) is closed.");
    }

    proptest! {
        #[test]
        fn recorded_reply_fits_when_name_is_gsm(name in "[a-zA-Z0-9 ]{1,300}", n in 1u8..=5, replaced: bool) {
            let text = render(&Outcome::Recorded { event: ev(&name), rating: Rating::new(n).unwrap(), replaced });
            prop_assert_eq!(segments(&text), 1);
            let expected = format!("{n}/5");
            prop_assert!(text.contains(&expected));
        }

        #[test]
        fn any_name_renders(name in "\\PC{0,200}") {
            let text = render(&Outcome::Closed(ev(&name)));
            prop_assert!(text.contains("RUST25"));
        }
    }
}
