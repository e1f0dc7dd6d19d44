//! Is a reply well-formed TwiML? One `<Response>` root, balanced tags, nothing outside it.

use quick_xml::Reader;
use quick_xml::events::Event;

/// What a well-formed TwiML document holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Twiml {
    /// The names of the verbs directly under `<Response>`, in order.
    pub(crate) verbs: Vec<String>,
}

/// Why a reply is not well-formed TwiML.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum TwimlError {
    /// The XML itself is broken (mismatched tags, bad syntax).
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

/// Checks `xml` and lists the verbs of its `<Response>`.
pub(crate) fn check(xml: &[u8]) -> Result<Twiml, TwimlError> {
    let mut reader = Reader::from_reader(xml);
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    let mut verbs = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| TwimlError::Xml(e.to_string()))?;
        let (name, opens) = match &event {
            Event::Start(e) => (e.name().as_ref().to_owned(), true),
            Event::Empty(e) => (e.name().as_ref().to_owned(), false),
            Event::End(_) => {
                open.pop();
                continue;
            }
            Event::Text(t) if open.is_empty() && !t.as_ref().trim().is_empty() => {
                return Err(TwimlError::OutsideRoot);
            }
            Event::CData(_) | Event::GeneralRef(_) if open.is_empty() => {
                return Err(TwimlError::OutsideRoot);
            }
            Event::Eof => break,
            _ => continue,
        };
        match open.len() {
            0 if seen_root => return Err(TwimlError::OutsideRoot),
            0 if name != "Response" => return Err(TwimlError::WrongRoot(name)),
            0 => seen_root = true,
            1 => verbs.push(name.clone()),
            _ => {}
        }
        if opens {
            open.push(name);
        }
    }
    if let Some(name) = open.pop() {
        return Err(TwimlError::Unclosed(name));
    }
    if seen_root {
        Ok(Twiml { verbs })
    } else {
        Err(TwimlError::NoRoot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_twiml() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Message>Hi &amp; bye</Message><Redirect/></Response>
"#;
        assert_eq!(
            check(doc).unwrap().verbs,
            ["Message".to_owned(), "Redirect".to_owned()]
        );
        assert_eq!(check(b"<Response/>").unwrap().verbs, Vec::<String>::new());
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
        assert_eq!(check(b"OK"), Err(TwimlError::OutsideRoot));
        assert_eq!(check(b""), Err(TwimlError::NoRoot));
        assert_eq!(
            check(b"<Response><Say>"),
            Err(TwimlError::Unclosed("Say".into()))
        );
    }
}
