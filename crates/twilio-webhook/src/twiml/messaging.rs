//! The messaging response: `<Message>` (with `<Body>` and `<Media>`) and `<Redirect>`.

use super::macros::element;
use super::{Method, Twiml, TwimlError, document};

element! {
    /// The root of a reply to an incoming SMS, MMS or WhatsApp message.
    ///
    /// ```
    /// use twilio_webhook::twiml::{Message, MessagingResponse};
    ///
    /// let xml = MessagingResponse::new()
    ///     .message(Message::empty().body("Here is the map").media("https://example.com/map.png"))
    ///     .to_xml()?;
    /// assert!(xml.ends_with("<Message><Body>Here is the map</Body><Media>https://example.com/map.png</Media></Message></Response>"));
    /// # Ok::<(), twilio_webhook::twiml::TwimlError>(())
    /// ```
    MessagingResponse = "Response";
    attrs {}
    children { message: Message, redirect: Redirect }
}
document!(MessagingResponse);

element! {
    /// `<Message>`: one outbound message; its body as text or as a nested [`Body`].
    Message = "Message", text;
    attrs {
        to: "to" str,
        from: "from" str,
        action: "action" str,
        method: "method" enm Method,
        status_callback: "statusCallback" str,
    }
    children { body: Body, media: Media }
}

element! {
    /// `<Body>`: the text of a [`Message`].
    Body = "Body", text;
    attrs {}
    children {}
}

element! {
    /// `<Media>`: the URL of one attachment of a [`Message`] (several are allowed).
    Media = "Media", text;
    attrs {}
    children {}
}

element! {
    /// `<Redirect>`: continue with the TwiML at this URL (messaging and voice).
    Redirect = "Redirect", text;
    attrs { method: "method" enm Method }
    children {}
}
