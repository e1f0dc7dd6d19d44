//! Reading a vote out of a text, the way people write ratings.
//!
//! A text is `[CODE] [rate|rating|vote|score[:]] RATING [comment]`, where RATING is a number
//! `1`–`5` or a number word (`one`…`five`, any case), optionally followed by a scale (`/5`,
//! `out of 5`, `of five`) and/or `star(s)`; or a row of stars (`****`, `★★★★`, `⭐⭐⭐⭐`); or
//! a keycap digit (`4️⃣`). Anything else is a request for help — and so is anything that
//! could mean two ratings: a second number right after the rating (`4 5`, `3 or 4`, `3-4`),
//! numbers outside 1–5 (`45`, `0`, `4.5`), another scale (`8/10`, `4 out of 10`), or a
//! repeated part (`4/5 out of 5`). The parser never guesses.
//!
//! ```
//! use sms_ratings::parse::{canonical, parse, Text};
//!
//! let Text::Vote(v) = parse("rust25 Four out of 5 stars - great talk!") else { panic!() };
//! assert_eq!(v.code.as_ref().unwrap().as_str(), "RUST25");
//! assert_eq!(v.rating.get(), 4);
//! assert_eq!(v.comment, "great talk!");
//! assert_eq!(canonical(&v), "RUST25 4 great talk!");
//! assert_eq!(parse(&canonical(&v)), Text::Vote(v));
//! assert_eq!(parse("rating: 5"), parse("⭐⭐⭐⭐⭐"));
//! assert_eq!(parse("3 or 4"), Text::Help);
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
    /// Anything that is not a vote, or not clearly one: answer with help.
    Help,
}

/// Parses a text. Never fails: what is not clearly a vote is [`Text::Help`].
pub fn parse(body: &str) -> Text {
    let text = clean(body);
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let found = match rating_at(&words, 0) {
        At::Rating(rating, next) => vote(None, rating, &words[next..]),
        At::Ambiguous => None,
        // A lead word is never a code (`rate rate 4` is help, not event RATE).
        At::Nothing => words
            .first()
            .filter(|w| lead(w).is_none())
            .and_then(|w| w.parse::<EventCode>().ok())
            .and_then(|code| match rating_at(&words, 1) {
                At::Rating(rating, next) => vote(Some(code), rating, &words[next..]),
                _ => None,
            }),
    };
    found.map_or(Text::Help, Text::Vote)
}

/// The shortest text that [`parse`]s back to `vote`: `[CODE ]N[ comment]`.
pub fn canonical(vote: &Vote) -> String {
    let mut out = String::new();
    if let Some(code) = &vote.code {
        out.push_str(code.as_str());
        out.push(' ');
    }
    out.push_str(&vote.rating.to_string());
    if !vote.comment.is_empty() {
        out.push(' ');
        out.push_str(&vote.comment);
    }
    out
}

/// What starts at a word position.
#[derive(Debug, PartialEq, Eq)]
enum At {
    /// No rating here (maybe an event code).
    Nothing,
    /// Number-like but not one clear rating: answer with help.
    Ambiguous,
    /// A rating; the comment starts at the word index given.
    Rating(Rating, usize),
}

/// The words that may introduce a rating (`rate 4`, `rating: 4`).
const LEAD_WORDS: [&str; 4] = ["rate", "rating", "vote", "score"];
/// Number words, by value.
const NUMBER_WORDS: [&str; 5] = ["one", "two", "three", "four", "five"];
/// Words that only separate a rating from its comment (`five - loved it`): not kept.
const SEPARATORS: [&str; 5] = ["-", "–", "—", ":", "|"];
/// Words between a rating and a second number that make the text mean two ratings.
const CONNECTORS: [&str; 9] = ["or", "to", "and", "&", "-", "–", "—", "~", "vs"];

/// A rating expression starting at `words[i]`, with its optional lead word and suffixes.
fn rating_at(words: &[&str], i: usize) -> At {
    let Some(first) = words.get(i) else {
        return At::Nothing;
    };
    // `rating:4` holds the number in the same word as the lead word.
    let (number, mut next) = match lead(first) {
        Some("") => match words.get(i + 1) {
            Some(number) => (*number, i + 2),
            None => return At::Nothing,
        },
        Some(rest) => (rest, i + 1),
        None => (*first, i + 1),
    };
    let (rating, scale_given) = match number_token(number) {
        Token::Rating(r, scale) => (r, scale),
        Token::NumberLike => return At::Ambiguous,
        Token::Other => return At::Nothing,
    };
    let (mut scale, mut stars) = (scale_given, false);
    loop {
        match suffix_at(words, next) {
            Suffix::Scale(len, true) if !scale => (scale, next) = (true, next + len),
            Suffix::Stars if !stars => (stars, next) = (true, next + 1),
            Suffix::None => break,
            // A second or a wrong scale, a second "stars": not one clear rating.
            _ => return At::Ambiguous,
        }
    }
    if starts_another_rating(&words[next..]) {
        return At::Ambiguous;
    }
    At::Rating(rating, next)
}

/// The rest of a lead word (`rate`, `rating:`, `rating:4` → `""`, `""`, `"4"`), if it is one.
fn lead(word: &str) -> Option<&str> {
    let lower = word.to_lowercase();
    LEAD_WORDS.iter().find_map(|lead| {
        let rest = lower.strip_prefix(lead)?;
        match rest.strip_prefix([':', '=']) {
            Some(_) => word.get(lead.len() + 1..),
            None if rest.is_empty() => Some(""),
            None => None,
        }
    })
}

/// How a single word reads as a number.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// A rating; `true` when the word carried its scale (`4/5`).
    Rating(Rating, bool),
    /// A number, but not a rating 1–5 (`0`, `45`, `4.5`, `8/10`, six stars).
    NumberLike,
    /// Not a number.
    Other,
}

fn number_token(word: &str) -> Token {
    let word = trim_punctuation(word);
    if let Some(n) = number_word(word) {
        return rating_token(n, false);
    }
    if let Some(count) = stars(word) {
        return rating_token(count, false);
    }
    let word = word.trim_end_matches(['\u{FE0F}', '\u{20E3}']);
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return Token::Other;
    }
    let (number, scale) = match word.split_once('/') {
        Some((number, "5")) => (number, true),
        Some(_) => return Token::NumberLike,
        None => (word, false),
    };
    match number.as_bytes() {
        [digit @ b'1'..=b'5'] => rating_token(digit - b'0', scale),
        _ => Token::NumberLike,
    }
}

fn rating_token(n: u8, scale: bool) -> Token {
    Rating::new(n).map_or(Token::NumberLike, |r| Token::Rating(r, scale))
}

/// `one`…`five` in any case.
fn number_word(word: &str) -> Option<u8> {
    let lower = word.to_lowercase();
    let index = NUMBER_WORDS.iter().position(|w| *w == lower)?;
    u8::try_from(index + 1).ok()
}

/// Counts a word made only of stars (emoji variation selectors aside).
fn stars(word: &str) -> Option<u8> {
    let mut count = 0u8;
    for c in word.chars() {
        match c {
            '*' | '★' | '⭐' | '🌟' => count = count.saturating_add(1),
            '\u{FE0F}' | '\u{FE0E}' => {}
            _ => return None,
        }
    }
    (count > 0).then_some(count)
}

/// What follows a rating number.
#[derive(Debug, PartialEq, Eq)]
enum Suffix {
    /// A scale over this many words; `true` when it is out of 5.
    Scale(usize, bool),
    /// `star` / `stars`.
    Stars,
    /// Anything else: the comment starts here.
    None,
}

fn suffix_at(words: &[&str], i: usize) -> Suffix {
    let word = |k: usize| words.get(i + k).map(|w| trim_punctuation(w).to_lowercase());
    let out_of_five = |w: Option<String>| w.is_some_and(|w| w == "5" || w == "five");
    let is_number = |w: Option<String>| w.is_some_and(|w| number_token(&w) != Token::Other);
    match word(0).as_deref() {
        Some("star" | "stars") => Suffix::Stars,
        Some(w) if w.starts_with('/') && w.len() > 1 => Suffix::Scale(1, w == "/5"),
        Some("/" | "of") if is_number(word(1)) => Suffix::Scale(2, out_of_five(word(1))),
        Some("out") if word(1).as_deref() == Some("of") && is_number(word(2)) => {
            Suffix::Scale(3, out_of_five(word(2)))
        }
        _ => Suffix::None,
    }
}

/// True when the comment opens with something that reads as a second rating: a number or
/// stars, a number word alone or with a scale or `stars`, a lead word with a number
/// (`rate 4`), or a connector before any of these (`or 4`, `- five`).
fn starts_another_rating(rest: &[&str]) -> bool {
    let connector = rest
        .first()
        .is_some_and(|w| CONNECTORS.contains(&trim_punctuation(w).to_lowercase().as_str()));
    opens_with_rating(rest) || (connector && opens_with_rating(rest.get(1..).unwrap_or(&[])))
}

/// [`starts_another_rating`] without the connector.
fn opens_with_rating(rest: &[&str]) -> bool {
    let Some(first) = rest.first().map(|w| trim_punctuation(w)) else {
        return false;
    };
    let numeric = |w: &str| w.starts_with(|c: char| c.is_ascii_digit()) || stars(w).is_some();
    let number = |w: &str| numeric(w) || number_word(w).is_some();
    if numeric(first) {
        return true;
    }
    if number_word(first).is_some() {
        return rest.len() == 1 || suffix_at(rest, 1) != Suffix::None;
    }
    match lead(first) {
        Some("") => rest.get(1).is_some_and(|w| number(trim_punctuation(w))),
        Some(attached) => number(attached),
        None => false,
    }
}

/// Trailing sentence punctuation is not part of a word (`4!`, `4/5.`, `five,`).
fn trim_punctuation(word: &str) -> &str {
    word.trim_end_matches(['.', '!', ',', ';', ':', ')'])
}

/// The vote, unless the comment (as kept, after capping) opens like another rating.
fn vote(code: Option<EventCode>, rating: Rating, rest: &[&str]) -> Option<Vote> {
    let comment: String = rest.join(" ").chars().take(MAX_COMMENT_CHARS).collect();
    let comment = comment.trim_end().to_owned();
    let kept: Vec<&str> = comment.split(' ').filter(|w| !w.is_empty()).collect();
    if starts_another_rating(&kept) {
        return None;
    }
    let comment = without_separators(rating, &kept).unwrap_or(comment);
    Some(Vote {
        code,
        rating,
        comment,
    })
}

/// The comment without the separator words that open it (`five - loved it` says `loved
/// it`), when that comment, written right after the rating, still reads as this comment: a
/// vote's text must parse back to the same vote (`1 - /5 x` keeps its `- /5 x`, since
/// `1 /5 x` would read the `/5` as part of the rating). `None`: nothing to drop, or keep it.
fn without_separators(rating: Rating, kept: &[&str]) -> Option<String> {
    let lead = kept.iter().take_while(|w| SEPARATORS.contains(*w)).count();
    if lead == 0 {
        return None;
    }
    let said = kept[lead..].join(" ");
    let again = parse(&format!("{rating} {said}"));
    matches!(again, Text::Vote(v) if v.comment == said).then_some(said)
}

/// Control characters become spaces and runs of white space one space, trimmed.
fn clean(body: &str) -> String {
    let spaced: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
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

    /// The parse table: text → (code, rating, comment).
    #[test]
    fn ratings_as_people_write_them() {
        let table: &[(&str, Option<&str>, u8, &str)] = &[
            ("4", None, 4, ""),
            (" 5 ", None, 5, ""),
            ("1", None, 1, ""),
            ("4!", None, 4, ""),
            ("3/5", None, 3, ""),
            ("2/5.", None, 2, ""),
            ("five", None, 5, ""),
            ("Four", None, 4, ""),
            ("THREE!", None, 3, ""),
            ("one", None, 1, ""),
            ("two stars", None, 2, ""),
            ("4 out of 5", None, 4, ""),
            ("4 out of five", None, 4, ""),
            ("four out of 5 stars", None, 4, ""),
            ("4 of 5", None, 4, ""),
            ("4 / 5", None, 4, ""),
            ("4/5 stars", None, 4, ""),
            ("4 stars", None, 4, ""),
            ("1 star", None, 1, ""),
            ("4 stars out of 5", None, 4, ""),
            ("****", None, 4, ""),
            ("★★★★", None, 4, ""),
            ("⭐⭐⭐⭐", None, 4, ""),
            ("⭐️⭐️", None, 2, ""),
            ("★★★★★ wow", None, 5, "wow"),
            ("4\u{FE0F}\u{20E3}", None, 4, ""),
            ("rate 4", None, 4, ""),
            ("Rate 4 great", None, 4, "great"),
            ("rating: 4", None, 4, ""),
            ("rating:4", None, 4, ""),
            ("Rating 5/5", None, 5, ""),
            ("vote five", None, 5, ""),
            ("score: 2 stars meh", None, 2, "meh"),
            ("rust25 4", Some("RUST25"), 4, ""),
            (
                "rust25  4   loved\tthe demo\n",
                Some("RUST25"),
                4,
                "loved the demo",
            ),
            ("RUST25 four out of 5 great", Some("RUST25"), 4, "great"),
            ("rust25 rate 3", Some("RUST25"), 3, ""),
            ("rust25 rating: 2 too long", Some("RUST25"), 2, "too long"),
            ("rust25 ★★", Some("RUST25"), 2, ""),
            ("STOP 4", Some("STOP"), 4, ""),
            ("5 Great talk, thanks!", None, 5, "Great talk, thanks!"),
            ("5 one of the best", None, 5, "one of the best"),
            ("4 out of this world", None, 4, "out of this world"),
            ("4 of the best", None, 4, "of the best"),
            ("5 - loved it", None, 5, "loved it"),
            ("five - loved it", None, 5, "loved it"),
            ("RUST25 five — loved it", Some("RUST25"), 5, "loved it"),
            ("four: ok", None, 4, "ok"),
            ("5 -", None, 5, ""),
            ("5 -loved it", None, 5, "-loved it"),
            ("4 stars: good", None, 4, "good"),
        ];
        for (body, code, n, comment) in table {
            let vote = v(body);
            assert_eq!(vote.rating.get(), *n, "{body:?}");
            assert_eq!(vote.code.as_ref().map(EventCode::as_str), *code, "{body:?}");
            assert_eq!(vote.comment, *comment, "{body:?}");
        }
    }

    #[test]
    fn help_for_everything_else_and_anything_ambiguous() {
        for body in [
            "",
            "help",
            "what is this?",
            "0",
            "6",
            "10",
            "45",
            "4.5",
            "4,5",
            "4/10",
            "8/10",
            "4 out of 10",
            "4 of 10",
            "3 or 4",
            "3 to 4",
            "3-4",
            "3 - 4",
            "4 5",
            "4 5 good",
            "four five",
            "4 four",
            "4 ****",
            "****5",
            "******",
            "**x",
            "4/5 out of 5",
            "4 stars stars",
            "4 2nd day was better",
            "RUST25",
            "RUST25 great",
            "RUST25 45",
            "RUST25 3 or 4",
            "x 4",
            "9a 4",
            "rate",
            "rate this talk",
            "rating: 7",
            "rate rate 1",
            "vote rating 4",
        ] {
            assert_eq!(parse(body), Text::Help, "{body:?}");
        }
    }

    #[test]
    fn canonical_text_parses_back() {
        for body in ["rust25 four out of 5 stars great", "⭐⭐ meh", "rating: 5"] {
            let vote = v(body);
            assert_eq!(parse(&canonical(&vote)), Text::Vote(vote), "{body:?}");
        }
    }

    /// Each way of writing `n` (code and comment added around it by the property tests).
    fn written(n: u8, form: usize) -> String {
        let word = NUMBER_WORDS[usize::from(n) - 1];
        match form % 12 {
            0 => n.to_string(),
            1 => format!("{n}/5"),
            2 => format!("{n} out of 5"),
            3 => format!("{word} out of five"),
            4 => format!("{n} stars"),
            5 => "⭐".repeat(usize::from(n)),
            6 => "★".repeat(usize::from(n)),
            7 => "*".repeat(usize::from(n)),
            8 => format!("rate {n}"),
            9 => format!("rating: {n}"),
            10 => word.to_uppercase(),
            _ => format!("{n}\u{FE0F}\u{20E3}"),
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_votes_are_well_formed(body in "\\PC{0,200}") {
            if let Text::Vote(v) = parse(&body) {
                prop_assert!((1..=5).contains(&v.rating.get()));
                prop_assert!(v.comment.chars().count() <= MAX_COMMENT_CHARS);
                prop_assert!(!v.comment.chars().any(char::is_control));
            }
        }

        /// Idempotent: a vote's canonical text parses back to the same vote.
        #[test]
        fn canonical_is_idempotent(body in "(rust25 |rate |)([1-6]|four|\\*{1,6}|★{1,3})( |/5 | out of 5 | stars | or 4 )?\\PC{0,40}") {
            if let Text::Vote(vote) = parse(&body) {
                prop_assert_eq!(parse(&canonical(&vote)), Text::Vote(vote));
            }
        }

        /// Every accepted text maps to exactly the rating it was written with.
        #[test]
        fn every_form_maps_to_its_one_rating(
            n in 1u8..=5,
            form in 0usize..12,
            code in proptest::option::of("[a-zA-Z][a-zA-Z0-9_-]{1,31}"),
            comment in "([a-zA-Z][a-zA-Z,.!?']{0,10} ?){0,6}",
        ) {
            prop_assume!(code.as_deref().is_none_or(|c| parse(c) == Text::Help && lead(c).is_none()));
            prop_assume!(comment.split_whitespace().next().is_none_or(|w| {
                let w = trim_punctuation(w).to_lowercase();
                !["star", "stars", "of", "out", "or", "to", "and", "vs"].contains(&w.as_str())
                    && number_word(&w).is_none()
            }));
            let body = format!("{} {} {comment}", code.as_deref().unwrap_or(""), written(n, form));
            let vote = v(&body);
            prop_assert_eq!(vote.rating.get(), n);
            prop_assert_eq!(vote.code.map(|c| c.to_string()), code.map(|c| c.to_ascii_uppercase()));
            prop_assert_eq!(vote.comment, comment.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    #[test]
    fn long_texts_are_fine() {
        let connectors = format!("4 {}", "or ".repeat(30_000));
        assert_eq!(v(&connectors).comment.chars().count(), MAX_COMMENT_CHARS);
        assert_eq!(parse(&"4 ".repeat(30_000)), Text::Help);
    }

    proptest! {
        /// Two ratings side by side are never read as one.
        #[test]
        fn two_ratings_are_help(
            a in 1u8..=5, b in 1u8..=5, fa in 0usize..12, fb in 0usize..12,
            joint in prop::sample::select(vec![" ", " or ", " to ", " - ", " and "]),
        ) {
            let body = format!("{}{joint}{}", written(a, fa), written(b, fb));
            prop_assert_eq!(parse(&body), Text::Help, "{}", body);
        }
    }
}
