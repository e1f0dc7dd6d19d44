//! TwiML: the reply half of a webhook, rendered byte for byte as twilio-node renders it.
//!
//! ```
//! use twilio_webhook::twiml::{Gather, GatherInput, MessagingResponse, VoiceResponse};
//!
//! let sms = MessagingResponse::new().message("Thanks! Your vote for #3 counts.").to_xml()?;
//! assert_eq!(
//!     sms,
//!     r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks! Your vote for #3 counts.</Message></Response>"#
//! );
//!
//! let menu = VoiceResponse::new()
//!     .gather(
//!         Gather::new()
//!             .input([GatherInput::Dtmf, GatherInput::Speech])
//!             .num_digits(1)
//!             .action("/menu")
//!             .say("Press 1 for sales & support."),
//!     )
//!     .say("We did not receive any input. Goodbye!")
//!     .to_xml()?;
//! assert_eq!(
//!     menu,
//!     r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" numDigits="1" action="/menu"><Say>Press 1 for sales &amp; support.</Say></Gather><Say>We did not receive any input. Goodbye!</Say></Response>"#
//! );
//! # Ok::<(), twilio_webhook::twiml::TwimlError>(())
//! ```
//!
//! # Layout
//! - [`MessagingResponse`] with [`Message`], [`Body`], [`Media`], [`Redirect`].
//! - [`VoiceResponse`] with every verb and noun of the voice vocabulary; children are typed
//!   (a [`Gather`] takes [`Say`], [`Play`], [`Pause`]; a [`Dial`] takes [`Number`], [`Client`],
//!   [`Conference`], ...), SSML lives in [`ssml`] and nests inside [`Say`].
//! - Every element has `attr(name, value)` and `raw(RawElement)` for what Twilio adds later,
//!   `text(..)` for mixed content and `comment(..)`; every enum has `Other(String)`.
//! - Rendering (`to_xml`, `write_xml`, `render`) writes one buffer: the declaration
//!   `<?xml version="1.0" encoding="UTF-8"?>`, compact XML, `<X/>` for empty elements,
//!   attributes in the order set, xmlbuilder's escaping. Characters XML 1.0 forbids give a
//!   [`TwimlError`], never a broken document.
//! - [`FaxResponse`] with [`Receive`] (legacy Programmable Fax).
//! - [`Twiml`] is a rendered document; with the `axum` / `actix` features it is an
//!   `IntoResponse` / `Responder` served as `text/xml; charset=utf-8`.

pub(crate) mod macros;
pub(crate) mod xml;

mod enums;
mod fax;
mod messaging;
mod raw;
mod response;
pub mod ssml;
mod voice;
mod voice_nouns;

pub use enums::*;
pub use fax::{FaxMediaType, FaxPageSize, FaxResponse, Receive};
pub use messaging::{Body, Media, Message, MessagingResponse, Redirect};
pub use raw::RawElement;
pub use response::Twiml;
pub use voice::*;
pub use voice_nouns::*;

/// Why a TwiML document could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TwimlError {
    /// A text or attribute value holds a character XML 1.0 forbids (NUL, a C0 control other
    /// than tab, LF and CR, U+FFFE or U+FFFF); the code point is given.
    #[error("character U+{0:04X} is not allowed in XML 1.0")]
    ForbiddenCharacter(u32),
    /// A raw element or attribute name is not an XML name.
    #[error("{0:?} is not a valid XML element or attribute name")]
    InvalidName(String),
    /// A comment holds `--` or ends with `-`, which XML forbids inside comments.
    #[error("a comment may not contain \"--\" or end with \"-\"")]
    InvalidComment,
}

/// The root `<Response>` shared by both documents: rendering entry points.
macro_rules! document {
    ($name:ident) => {
        impl $name {
            /// Renders the document into a new `String`.
            pub fn to_xml(&self) -> Result<String, TwimlError> {
                let mut out = String::new();
                self.write_xml(&mut out)?;
                Ok(out)
            }

            /// Appends the document to `out` (reuse one buffer across replies). On error,
            /// `out` is left as it was.
            pub fn write_xml(&self, out: &mut String) -> Result<(), TwimlError> {
                let start = out.len();
                let result = self.0.write_document(out);
                if result.is_err() {
                    out.truncate(start);
                }
                result
            }

            /// Renders into a [`Twiml`], ready to be served.
            pub fn render(&self) -> Result<Twiml, TwimlError> {
                self.to_xml().map(Twiml::from_rendered)
            }
        }

        impl TryFrom<$name> for Twiml {
            type Error = TwimlError;

            fn try_from(value: $name) -> Result<Self, TwimlError> {
                value.render()
            }
        }
    };
}
use document;
