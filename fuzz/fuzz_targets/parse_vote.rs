#![no_main]
//! Any text: `parse` never panics; a vote's rating is 1–5 and its comment within bounds; and
//! parsing is idempotent on its own output — the canonical text of a vote parses back to the
//! same vote.

use libfuzzer_sys::fuzz_target;
use sms_ratings::parse::{MAX_COMMENT_CHARS, Text, canonical, parse};

fuzz_target!(|body: &str| {
    let Text::Vote(vote) = parse(body) else { return };
    assert!((1..=5).contains(&vote.rating.get()));
    assert!(vote.comment.chars().count() <= MAX_COMMENT_CHARS);
    assert!(!vote.comment.chars().any(char::is_control));
    let again = canonical(&vote);
    assert_eq!(parse(&again), Text::Vote(vote), "{again:?}");
});
