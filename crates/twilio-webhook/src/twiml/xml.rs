//! The element tree every builder wraps, and the writer that renders it into one buffer
//! with twilio-node's (xmlbuilder 13) escaping.

use super::TwimlError;
use std::borrow::Cow;

/// The XML declaration twilio-node writes, byte for byte.
pub(crate) const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// An attribute value, kept unformatted until rendering so numbers, booleans and enum
/// values cost no allocation while building.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Caller-supplied text.
    Text(String),
    /// A fixed spelling (enum variant, `true`/`false`).
    Static(&'static str),
    /// An unsigned number, written in decimal.
    Number(u64),
}

/// One node of mixed content.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
    Comment(String),
}

/// A generic element: what every typed verb and noun wraps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Element {
    pub(crate) name: Cow<'static, str>,
    pub(crate) attrs: Vec<(Cow<'static, str>, Value)>,
    pub(crate) children: Vec<Node>,
}

impl Element {
    pub(crate) fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            name: name.into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Sets an attribute; a second set of the same name replaces the value in place, so the
    /// output never holds a duplicate attribute (which would be malformed XML).
    pub(crate) fn set(&mut self, name: impl Into<Cow<'static, str>>, value: Value) {
        let name = name.into();
        match self.attrs.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name, value)),
        }
    }

    pub(crate) fn push(&mut self, node: Node) {
        self.children.push(node);
    }

    pub(crate) fn push_text(&mut self, text: String) {
        self.children.push(Node::Text(text));
    }

    /// Appends a whole document to `out`: declaration, then this element as the root.
    pub(crate) fn write_document(&self, out: &mut String) -> Result<(), TwimlError> {
        out.reserve(DECLARATION.len() + self.size_hint());
        out.push_str(DECLARATION);
        self.write(out)
    }

    /// A cheap upper-ish estimate of the output size, so rendering allocates once.
    fn size_hint(&self) -> usize {
        let attrs: usize = self
            .attrs
            .iter()
            .map(|(n, v)| {
                n.len()
                    + 4
                    + match v {
                        Value::Text(t) => t.len() + 8,
                        Value::Static(s) => s.len(),
                        Value::Number(_) => 20,
                    }
            })
            .sum();
        let children: usize = self
            .children
            .iter()
            .map(|c| match c {
                Node::Element(e) => e.size_hint(),
                Node::Text(t) => t.len() + 8,
                Node::Comment(t) => t.len() + 9,
            })
            .sum();
        2 * self.name.len() + 5 + attrs + children
    }

    pub(crate) fn write(&self, out: &mut String) -> Result<(), TwimlError> {
        check_name(&self.name)?;
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attrs {
            check_name(name)?;
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            match value {
                Value::Text(t) => escape(out, t, Mode::Attribute)?,
                Value::Static(s) => escape(out, s, Mode::Attribute)?,
                Value::Number(n) => write_number(out, *n),
            }
            out.push('"');
        }
        // xmlbuilder self-closes when the only children are empty text nodes, too.
        if self
            .children
            .iter()
            .all(|c| matches!(c, Node::Text(t) if t.is_empty()))
        {
            // twilio-node self-closes with no space before the slash.
            out.push_str("/>");
            return Ok(());
        }
        out.push('>');
        for child in &self.children {
            match child {
                Node::Element(e) => e.write(out)?,
                Node::Text(t) => escape(out, t, Mode::Text)?,
                Node::Comment(c) => write_comment(out, c)?,
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
        Ok(())
    }
}

/// Joins list values with one space, as twilio-node does for array attributes.
pub(crate) fn join<T>(values: impl IntoIterator<Item = T>, f: impl Fn(T) -> String) -> String {
    let mut out = String::new();
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&f(v));
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Text,
    Attribute,
}

/// Escapes as xmlbuilder 13 does. Text: `& < >` and CR. Attributes (double-quoted):
/// `& < "` and TAB, LF, CR (so a parser's attribute-value normalisation cannot change
/// them); `>` and `'` stay literal. Characters XML 1.0 forbids are an error.
fn escape(out: &mut String, s: &str, mode: Mode) -> Result<(), TwimlError> {
    let table = match mode {
        Mode::Text => &TEXT_SPECIAL,
        Mode::Attribute => &ATTR_SPECIAL,
    };
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    // Jump from one byte that needs a look to the next; plain runs are copied whole.
    while let Some(offset) = bytes[i..].iter().position(|&b| table[usize::from(b)]) {
        let at = i + offset;
        i = at + 1;
        let rep = match (bytes[at], mode) {
            (b'&', _) => "&amp;",
            (b'<', _) => "&lt;",
            (b'>', _) => "&gt;",
            (b'"', _) => "&quot;",
            (b'\t', _) => "&#x9;",
            (b'\n', _) => "&#xA;",
            (b'\r', _) => "&#xD;",
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8; other EF.. are fine.
            (0xEF, _) => match bytes.get(at + 1..at + 3) {
                Some([0xBF, 0xBE]) => return Err(TwimlError::ForbiddenCharacter(0xFFFE)),
                Some([0xBF, 0xBF]) => return Err(TwimlError::ForbiddenCharacter(0xFFFF)),
                _ => continue,
            },
            (b, _) => return Err(TwimlError::ForbiddenCharacter(u32::from(b))),
        };
        out.push_str(&s[start..at]);
        out.push_str(rep);
        start = i;
    }
    out.push_str(&s[start..]);
    Ok(())
}

/// Bytes that need a look in text: `& < >`, CR, the C0 controls XML forbids, and 0xEF (the
/// lead byte of U+FFFE / U+FFFF). Tab and LF pass through.
const TEXT_SPECIAL: [bool; 256] = special(b">");
/// In attributes: `& < "` and all C0 controls (TAB, LF, CR are written as references).
const ATTR_SPECIAL: [bool; 256] = special(b"\"\t\n");

const fn special(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = !matches!(i as u8, b'\t' | b'\n');
        i += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[0xEF] = true;
    let mut j = 0;
    while j < extra.len() {
        t[extra[j] as usize] = true;
        j += 1;
    }
    t
}

/// Decimal digits without the formatting machinery (this runs for every numeric attribute).
fn write_number(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// Writes `<!-- text -->` (one space each side, as twilio-node). XML forbids `--` inside a
/// comment and a trailing `-`, so those are errors rather than a broken document.
fn write_comment(out: &mut String, text: &str) -> Result<(), TwimlError> {
    if text.contains("--") || text.ends_with('-') {
        return Err(TwimlError::InvalidComment);
    }
    let mut scratch = String::with_capacity(text.len());
    escape(&mut scratch, text, Mode::Text)?;
    out.push_str("<!-- ");
    // Comments are not escaped in XML; only check for forbidden characters above.
    out.push_str(text);
    out.push_str(" -->");
    Ok(())
}

/// Element and attribute names come from the typed API (always valid) or from the raw
/// escape hatch, where a bad name would break the document: check them.
fn check_name(name: &str) -> Result<(), TwimlError> {
    // Fast path: every typed name is ASCII.
    let bytes = name.as_bytes();
    let ascii_start = |b: &u8| b.is_ascii_alphabetic() || matches!(b, b'_' | b':');
    let ascii_rest = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.');
    if bytes.first().is_some_and(ascii_start) && bytes.iter().skip(1).all(ascii_rest) {
        return Ok(());
    }
    let mut chars = name.chars();
    let valid_start = |c: char| c.is_alphabetic() || c == '_' || c == ':';
    let ok = chars.next().is_some_and(valid_start)
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(TwimlError::InvalidName(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, mode: Mode) -> Result<String, TwimlError> {
        let mut out = String::new();
        escape(&mut out, s, mode).map(|()| out)
    }

    #[test]
    fn text_escaping_matches_xmlbuilder() {
        assert_eq!(
            esc("a&b<c>d\"e'f\r\n\tg", Mode::Text).unwrap(),
            "a&amp;b&lt;c&gt;d\"e'f&#xD;\n\tg"
        );
    }

    #[test]
    fn attribute_escaping_matches_xmlbuilder() {
        assert_eq!(
            esc("a&b<c>d\"e'f\r\n\tg", Mode::Attribute).unwrap(),
            "a&amp;b&lt;c>d&quot;e'f&#xD;&#xA;&#x9;g"
        );
    }

    #[test]
    fn forbidden_characters_are_errors() {
        assert_eq!(
            esc("a\0", Mode::Text),
            Err(TwimlError::ForbiddenCharacter(0))
        );
        assert_eq!(
            esc("\u{1b}", Mode::Attribute),
            Err(TwimlError::ForbiddenCharacter(0x1b))
        );
        assert_eq!(
            esc("x\u{FFFE}", Mode::Text),
            Err(TwimlError::ForbiddenCharacter(0xFFFE))
        );
        assert_eq!(
            esc("\u{FFFF}", Mode::Text),
            Err(TwimlError::ForbiddenCharacter(0xFFFF))
        );
        assert_eq!(
            esc("\u{FFFD}\u{7f}é", Mode::Text).unwrap(),
            "\u{FFFD}\u{7f}é"
        );
    }

    #[test]
    fn numbers_are_decimal() {
        for n in [0, 7, 10, 1234567890, u64::MAX] {
            let mut out = String::new();
            write_number(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("Ünïcode").is_ok());
        assert!(check_name("say-as").is_ok());
        assert!(check_name("xml:lang").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("1a").is_err());
        assert!(check_name("a\"=").is_err());
    }

    #[test]
    fn comments_cannot_break_out() {
        let mut out = String::new();
        assert_eq!(
            write_comment(&mut out, "a -- b"),
            Err(TwimlError::InvalidComment)
        );
        assert_eq!(
            write_comment(&mut out, "a-"),
            Err(TwimlError::InvalidComment)
        );
        write_comment(&mut out, "Hello World").unwrap();
        assert_eq!(out, "<!-- Hello World -->");
    }
}
