//! A TwiML reply, parsed with quick-xml: well-formed (one `<Response>` root, balanced tags,
//! nothing outside it) and read into the verbs `send` follows ([`Verb`]).
//!
//! The reply comes from an endpoint that may be hostile: the parse is one loop over
//! quick-xml's events with an explicit stack of open elements, nesting deeper than
//! [`MAX_DEPTH`] is refused (so the tree, its `Drop` and the verbs read from it stay shallow
//! whatever the input), and characters XML 1.0 forbids (C0 controls other than tab, line
//! feed and carriage return, written raw or as `&#…;`) are refused.

mod verb;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::deliver::MAX_ANSWER;

pub(crate) use verb::{Dial, Gather, Message, Record, Verb};

/// A well-formed TwiML document.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Twiml {
    /// The verbs directly under `<Response>`, in order.
    pub(crate) verbs: Vec<Verb>,
}

impl Twiml {
    /// The names of the verbs, in order.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.verbs.iter().map(Verb::name).collect()
    }
}

/// Why a reply is not well-formed TwiML.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum TwimlError {
    /// The XML itself is broken (mismatched tags, bad syntax, unknown entity).
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// The root element is not `<Response>`.
    #[error("root element is <{0}>, not <Response>")]
    WrongRoot(String),
    /// No element at all.
    #[error("no <Response> element")]
    NoRoot,
    /// Text or a second element outside `<Response>`.
    #[error("content outside <Response>")]
    OutsideRoot,
    /// The document ends inside an element.
    #[error("document ends before </{0}>")]
    Unclosed(String),
    /// The reply is over Twilio's 64 KiB TwiML limit (Twilio's error 11750).
    #[error("too large: over {} KiB, Twilio's TwiML limit (error 11750)", MAX_ANSWER / 1024)]
    TooLarge,
    /// Elements nested deeper than [`MAX_DEPTH`].
    #[error("elements nested more than {MAX_DEPTH} deep")]
    TooDeep,
    /// A character XML 1.0 does not allow, such as an escape (U+001B).
    #[error("character U+{0:04X} is not allowed in XML")]
    IllegalChar(u32),
}

/// The deepest nesting accepted. TwiML needs four or five levels (`<Response>`, `<Gather>`,
/// `<Say>`, SSML inside); the cap keeps every walk over the tree short.
pub(crate) const MAX_DEPTH: usize = 32;

/// One XML element: the generic tree the verbs are read from.
#[derive(Debug, Default)]
pub(crate) struct Element {
    /// The tag name.
    pub(crate) name: String,
    /// Attributes, unescaped, in document order.
    pub(crate) attrs: Vec<(String, String)>,
    /// All text directly inside, unescaped and concatenated.
    pub(crate) text: String,
    /// Child elements, in order.
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The value of attribute `name`, if present.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `xml` into its verbs.
pub(crate) fn check(xml: &[u8]) -> Result<Twiml, TwimlError> {
    let root = tree(xml)?;
    if root.name != "Response" {
        return Err(TwimlError::WrongRoot(root.name));
    }
    Ok(Twiml {
        verbs: root.children.iter().map(Verb::read).collect(),
    })
}

/// The single root element of `xml`.
fn tree(xml: &[u8]) -> Result<Element, TwimlError> {
    let xml_error = |e: &dyn std::fmt::Display| TwimlError::Xml(e.to_string());
    // A raw C0 byte is that control character in UTF-8; references are checked as resolved.
    if let Some(&c) = xml
        .iter()
        .find(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return Err(TwimlError::IllegalChar(u32::from(c)));
    }
    let mut reader = Reader::from_reader(xml);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(&e))?;
        let finished = match event {
            Event::Start(e) => {
                if open.is_empty() && root.is_some() {
                    return Err(TwimlError::OutsideRoot);
                }
                if open.len() >= MAX_DEPTH {
                    return Err(TwimlError::TooDeep);
                }
                open.push(element(&e)?);
                None
            }
            Event::Empty(_) if open.len() >= MAX_DEPTH => return Err(TwimlError::TooDeep),
            Event::Empty(e) => Some(element(&e)?),
            Event::End(_) => open.pop(),
            Event::Text(t) => {
                text(&mut open, &t.xml_content(XmlVersion::Implicit1_0))?;
                None
            }
            Event::CData(t) => {
                text(&mut open, &t.xml_content(XmlVersion::Implicit1_0))?;
                None
            }
            Event::GeneralRef(r) => {
                text(&mut open, &entity(&r)?)?;
                None
            }
            Event::Eof => break,
            _ => None,
        };
        if let Some(done) = finished {
            match open.last_mut() {
                Some(parent) => parent.children.push(done),
                None if root.is_some() => return Err(TwimlError::OutsideRoot),
                None => root = Some(done),
            }
        }
    }
    if let Some(unclosed) = open.pop() {
        return Err(TwimlError::Unclosed(unclosed.name));
    }
    root.ok_or(TwimlError::NoRoot)
}

fn element(e: &BytesStart<'_>) -> Result<Element, TwimlError> {
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| TwimlError::Xml(e.to_string()))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| TwimlError::Xml(e.to_string()))?;
        legal(&value)?;
        attrs.push((attr.key.as_ref().to_owned(), value.into_owned()));
    }
    Ok(Element {
        name: e.name().as_ref().to_owned(),
        attrs,
        ..Element::default()
    })
}

/// Appends `content` to the open element; outside the root only white space is allowed.
fn text(open: &mut [Element], content: &str) -> Result<(), TwimlError> {
    legal(content)?;
    match open.last_mut() {
        Some(el) => {
            el.text.push_str(content);
            Ok(())
        }
        None if content.trim().is_empty() => Ok(()),
        None => Err(TwimlError::OutsideRoot),
    }
}

/// Refuses the characters XML 1.0's `Char` production leaves out (a reference to one too).
fn legal(text: &str) -> Result<(), TwimlError> {
    let illegal = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    text.chars()
        .find(|&c| illegal(c))
        .map_or(Ok(()), |c| Err(TwimlError::IllegalChar(u32::from(c))))
}

/// The text of `&name;`: a character reference or one of XML's five predefined entities.
fn entity(r: &BytesRef<'_>) -> Result<String, TwimlError> {
    if let Some(c) = r
        .resolve_char_ref()
        .map_err(|e| TwimlError::Xml(e.to_string()))?
    {
        return Ok(c.to_string());
    }
    let name: &str = r.as_ref();
    quick_xml::escape::resolve_predefined_entity(name)
        .map(str::to_owned)
        .ok_or_else(|| TwimlError::Xml(format!("unknown entity &{name};")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_twiml() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Message>Hi &amp; bye</Message><Redirect/></Response>
"#;
        assert_eq!(check(doc).unwrap().names(), ["Message", "Redirect"]);
        assert_eq!(check(b"<Response/>").unwrap().verbs, Vec::new());
    }

    #[test]
    fn rejects_what_twilio_would_reject() {
        assert!(matches!(
            check(b"<Response><Message></Response>"),
            Err(TwimlError::Xml(_))
        ));
        assert_eq!(
            check(b"<Reply/>"),
            Err(TwimlError::WrongRoot("Reply".into()))
        );
        assert_eq!(
            check(b"<Response/><Response/>"),
            Err(TwimlError::OutsideRoot)
        );
        assert_eq!(
            check(b"<Response></Response><Response/>"),
            Err(TwimlError::OutsideRoot)
        );
        assert_eq!(check(b"OK"), Err(TwimlError::OutsideRoot));
        assert_eq!(check(b""), Err(TwimlError::NoRoot));
        assert_eq!(
            check(b"<Response><Say>"),
            Err(TwimlError::Unclosed("Say".into()))
        );
        assert!(matches!(
            check(b"<Response><Say>&nbsp;</Say></Response>"),
            Err(TwimlError::Xml(_))
        ));
    }

    #[test]
    fn depth_and_illegal_characters() {
        let nest = |n: usize| format!("{}{}", "<Response>".repeat(n), "</Response>".repeat(n));
        assert!(check(nest(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            check(nest(MAX_DEPTH + 1).as_bytes()),
            Err(TwimlError::TooDeep)
        );
        let flat = format!(
            "{}<Say/>{}",
            "<Response>".repeat(MAX_DEPTH),
            "</Response>".repeat(MAX_DEPTH)
        );
        assert_eq!(check(flat.as_bytes()), Err(TwimlError::TooDeep));
        // A Gather inside a Gather is not read as one (Twilio nests Say, Play, Pause only).
        let doc =
            check(b"<Response><Gather><Gather><Say>x</Say></Gather></Gather></Response>").unwrap();
        let Verb::Gather(g) = &doc.verbs[0] else {
            panic!("{doc:?}")
        };
        assert_eq!(g.prompts, [Verb::Other("Gather".into())]);
        for bad in [
            &b"<Response><Say>a[2K</Say></Response>"[..],
            b"<Response><Say>a&#27;</Say></Response>",
            b"<Response><Say>a&#x7;</Say></Response>",
            b"<Response><Say loop=\"&#x1b;\">a</Say></Response>",
            b"<Response><Say>\xef\xbf\xbe</Say></Response>",
            b"<Response>\x00</Response>",
        ] {
            assert!(
                matches!(check(bad), Err(TwimlError::IllegalChar(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // Tab, line feed, carriage return, DEL and C1 are XML (shown escaped, not refused).
        assert!(check("<Response><Say>a\t\r\n\u{7f}\u{9b}</Say></Response>".as_bytes()).is_ok());
    }

    #[test]
    fn text_and_attributes_are_unescaped() {
        let doc = check(
            br#"<Response><Message action="/s?a=1&amp;b=2">Tom &amp; Jerry &#x2605;<![CDATA[ <ok>]]></Message></Response>"#,
        )
        .unwrap();
        let Verb::Message(m) = &doc.verbs[0] else {
            panic!("{doc:?}")
        };
        assert_eq!(m.body, "Tom & Jerry \u{2605} <ok>");
        assert_eq!(m.callback.as_ref().unwrap().url, "/s?a=1&b=2");
    }
}
