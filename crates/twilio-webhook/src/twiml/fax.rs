//! The fax response (Programmable Fax is legacy; kept so old endpoints can be served).

use super::macros::{element, twiml_enum};
use super::{Method, Twiml, TwimlError, document};

twiml_enum! {
    /// `mediaType` on `<Receive>`.
    FaxMediaType { ApplicationPdf = "application/pdf", ImageTiff = "image/tiff" }
}

twiml_enum! {
    /// `pageSize` on `<Receive>`.
    FaxPageSize { Letter = "letter", Legal = "legal", A4 = "a4" }
}

element! {
    /// The root of a reply to an incoming fax.
    ///
    /// ```
    /// use twilio_webhook::twiml::{FaxMediaType, FaxResponse, Receive};
    ///
    /// let xml = FaxResponse::new()
    ///     .receive(Receive::new().action("/fax/received").media_type(FaxMediaType::ImageTiff))
    ///     .to_xml()?;
    /// assert!(xml.ends_with(r#"<Response><Receive action="/fax/received" mediaType="image/tiff"/></Response>"#));
    /// # Ok::<(), twilio_webhook::twiml::TwimlError>(())
    /// ```
    FaxResponse = "Response";
    attrs {}
    children { receive: Receive }
}
document!(FaxResponse);

element! {
    /// `<Receive>`: accept the fax.
    Receive = "Receive";
    attrs {
        action: "action" str,
        method: "method" enm Method,
        media_type: "mediaType" enm FaxMediaType,
        page_size: "pageSize" enm FaxPageSize,
        store_media: "storeMedia" bool,
    }
    children {}
}
