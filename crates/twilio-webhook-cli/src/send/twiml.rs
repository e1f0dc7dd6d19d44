//! A TwiML reply, parsed with quick-xml: well-formed (one `<Response>` root, balanced tags,
//! nothing outside it) and read into the verbs `send` follows ([`Verb`]).

mod verb;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

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
}

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
                open.push(element(&e)?);
                None
            }
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
    match open.last_mut() {
        Some(el) => {
            el.text.push_str(content);
            Ok(())
        }
        None if content.trim().is_empty() => Ok(()),
        None => Err(TwimlError::OutsideRoot),
    }
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
