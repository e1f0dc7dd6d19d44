//! Reading a vote out of an SMS text.
//!
//! A text is `<rating> [comment]` or `<EVENT-CODE> <rating> [comment]`; a rating is `1`–`5`,
//! `4/5`, or stars (`****`, `★★★★`, `⭐⭐⭐⭐`). Anything else is a request for help.
//!
//! ```
//! use sms_ratings::parse::{parse, Text};
//!
//! let Text::Vote(v) = parse("rust25 4/5 great talk!") else { panic!() };
//! assert_eq!(v.code.unwrap().as_str(), "RUST25");
//! assert_eq!(v.rating.get(), 4);
//! assert_eq!(v.comment, "great talk!");
//! assert_eq!(parse("what is this?"), Text::Help);
//! ```

use crate::model::{EventCode, Rating, Vote};

/// The longest comment kept, in characters (an SMS body is at most 1600).
pub const MAX_COMMENT_CHARS: usize = 1600;

/// What a text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// A vote.
    Vote(Vote),
    /// Anything that is not a vote: answer with help.
    Help,
}

/// Parses an SMS body. Never fails: what is not a vote is [`Text::Help`].
pub fn parse(body: &str) -> Text {
    let body = body.trim();
    let (first, rest) = split_word(body);
    if let Some(rating) = rating(first) {
        return Text::Vote(vote(None, rating, rest));
    }
    let (second, rest) = split_word(rest);
    match (first.parse::<EventCode>(), rating(second)) {
        (Ok(code), Some(rating)) => Text::Vote(vote(Some(code), rating, rest)),
        _ => Text::Help,
    }
}

fn vote(code: Option<EventCode>, rating: Rating, comment: &str) -> Vote {
    Vote {
        code,
        rating,
        comment: clean_comment(comment),
    }
}

/// The first whitespace-separated word and the rest, trimmed.
fn split_word(s: &str) -> (&str, &str) {
    match s.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (s, ""),
    }
}

/// A rating token: `4`, `4/5`, stars; trailing punctuation (`4!`, `4/5.`) allowed.
fn rating(token: &str) -> Option<Rating> {
    let token = token.trim_end_matches(['.', '!', ',', ';', ':']);
    let number = token.strip_suffix("/5").unwrap_or(token);
    if let [digit @ b'1'..=b'5'] = number.as_bytes() {
        return Rating::new(digit - b'0');
    }
    stars(token)
}

/// Counts stars; every character must be a star (emoji variation selectors aside).
fn stars(token: &str) -> Option<Rating> {
    let mut count = 0u8;
    for c in token.chars() {
        match c {
            '*' | '★' | '⭐' | '🌟' => count = count.saturating_add(1),
            '\u{FE0F}' | '\u{FE0E}' => {}
            _ => return None,
        }
    }
    Rating::new(count)
}

/// Control characters become spaces, runs of whitespace collapse, length is capped.
fn clean_comment(s: &str) -> String {
    let spaced: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_COMMENT_CHARS)
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(body: &str) -> Vote {
        match parse(body) {
            Text::Vote(v) => v,
            Text::Help => panic!("{body:?} should be a vote"),
        }
    }

    #[test]
    fn plain_ratings() {
        for (body, n) in [
            ("4", 4),
            (" 5 ", 5),
            ("1", 1),
            ("3/5", 3),
            ("4!", 4),
            ("2/5.", 2),
        ] {
            let vote = v(body);
            assert_eq!(vote.rating.get(), n, "{body}");
            assert_eq!(vote.code, None);
            assert_eq!(vote.comment, "");
        }
    }

    #[test]
    fn stars_count() {
        assert_eq!(v("****").rating.get(), 4);
        assert_eq!(v("★★★★★ wow").rating.get(), 5);
        assert_eq!(v("⭐️⭐️").rating.get(), 2);
        assert_eq!(parse("******"), Text::Help);
        assert_eq!(parse("**x"), Text::Help);
    }

    #[test]
    fn code_then_rating_then_comment() {
        let vote = v("rust25  4   loved\tthe demo\n");
        assert_eq!(vote.code.unwrap().as_str(), "RUST25");
        assert_eq!(vote.rating.get(), 4);
        assert_eq!(vote.comment, "loved the demo");
    }

    #[test]
    fn comment_keeps_text_after_rating() {
        assert_eq!(v("5 Great talk, thanks!").comment, "Great talk, thanks!");
    }

    #[test]
    fn help_for_everything_else() {
        for body in [
            "",
            "help",
            "0",
            "6",
            "10",
            "4.5",
            "4/10",
            "RUST25",
            "RUST25 great",
            "x 4",
            "9a 4",
        ] {
            assert_eq!(parse(body), Text::Help, "{body:?}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_ratings_in_range(body in "\\PC{0,200}") {
            if let Text::Vote(v) = parse(&body) {
                prop_assert!((1..=5).contains(&v.rating.get()));
                prop_assert!(v.comment.chars().count() <= MAX_COMMENT_CHARS);
                prop_assert!(!v.comment.chars().any(char::is_control));
            }
        }

        #[test]
        fn formatted_votes_parse_back(
            code in "[a-zA-Z][a-zA-Z0-9_-]{1,31}",
            n in 1u8..=5,
            comment in "[a-zA-Z0-9 ,.!?']{0,60}",
            with_code: bool,
        ) {
            let body = if with_code { format!("{code} {n} {comment}") } else { format!("{n} {comment}") };
            let vote = v(&body);
            prop_assert_eq!(vote.rating.get(), n);
            prop_assert_eq!(vote.code.map(|c| c.to_string()), with_code.then(|| code.to_ascii_uppercase()));
            prop_assert_eq!(vote.comment, comment.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
}
