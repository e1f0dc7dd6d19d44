//! Text from the endpoint, made safe to print on a terminal.
//!
//! A bot's reply reaches the screen in many places (its body, `<Message>` text, `<Say>`,
//! verb names, URLs, error messages quoting them). Printed raw, an escape sequence in it
//! would drive the terminal: set the window title, erase lines, write the clipboard (OSC 52).
//! Every control character except line feed and tab — C0, DEL, C1 — and the bidirectional
//! overrides that reorder what is shown are written as `\u{…}` instead.

use std::fmt;

/// Whether `c` is written as an escape rather than printed.
pub(crate) fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Displays the text with every [`unsafe_char`] escaped as `\u{1b}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(unsafe_char) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            write!(f, "\\u{{{:x}}}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// A JSON text with every [`unsafe_char`] serde_json left raw (DEL, C1, bidi overrides)
/// written as a `\uXXXX` escape; they can only stand inside strings, so the JSON means the
/// same.
pub(crate) fn json_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_text_is_kept() {
        let hostile = "title\u{1b}]0;pwned\u{7}\r\u{1b}[2K\u{9b}31m\u{202e}gnp.exe";
        let shown = Escaped(hostile).to_string();
        assert_eq!(
            shown,
            "title\\u{1b}]0;pwned\\u{7}\\u{d}\\u{1b}[2K\\u{9b}31m\\u{202e}gnp.exe"
        );
        assert!(!shown.chars().any(unsafe_char));
        assert_eq!(
            Escaped("Tom & Jerry ★\n\tok").to_string(),
            "Tom & Jerry ★\n\tok"
        );
        let json = serde_json::json!({"body": hostile}).to_string();
        let line = json_line(&json);
        assert!(!line.chars().any(unsafe_char), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["body"], hostile);
    }
}
