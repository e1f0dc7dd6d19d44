//! The escape hatch for elements this crate does not type.

use std::borrow::Cow;

use super::macros::common_methods;
use super::xml::Element;

/// Any element by name, for verbs and nouns Twilio adds later. Its name and attribute names
/// are checked when rendered ([`TwimlError::InvalidName`](super::TwimlError::InvalidName)).
///
/// ```
/// use twilio_webhook::twiml::{RawElement, VoiceResponse};
///
/// let xml = VoiceResponse::new()
///     .raw(RawElement::new("Whisper").attr("voice", "Polly.Amy").text("psst"))
///     .to_xml()?;
/// assert!(xml.ends_with(r#"<Response><Whisper voice="Polly.Amy">psst</Whisper></Response>"#));
/// # Ok::<(), twilio_webhook::twiml::TwimlError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RawElement(Element);

impl RawElement {
    /// An empty element called `name`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self(Element::new(name))
    }

    pub(crate) fn from_element(element: Element) -> Self {
        Self(element)
    }
}

common_methods!(RawElement);
