//! The element tree every builder wraps, and the writer that renders it into one buffer
//! with twilio-node's (xmlbuilder 13) escaping.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::TwimlError;

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
                Value::Number(n) => {
                    // Writing into a String cannot fail.
                    let _ = write!(out, "{n}");
                }
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
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep = match (b, mode) {
            (b'&', _) => "&amp;",
            (b'<', _) => "&lt;",
            (b'>', Mode::Text) => "&gt;",
            (b'"', Mode::Attribute) => "&quot;",
            (b'\t', Mode::Attribute) => "&#x9;",
            (b'\n', Mode::Attribute) => "&#xA;",
            (b'\r', _) => "&#xD;",
            (b'\t' | b'\n', Mode::Text) => continue,
            (0..=0x1f, _) => return Err(TwimlError::ForbiddenCharacter(u32::from(b))),
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
            (0xEF, _) if matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])) => {
                let ch = if bytes.get(i + 2) == Some(&0xBE) {
                    0xFFFE
                } else {
                    0xFFFF
                };
                return Err(TwimlError::ForbiddenCharacter(ch));
            }
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(rep);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    Ok(())
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
    fn names_are_checked() {
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
