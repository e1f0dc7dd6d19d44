//! What a verified request hands the handler: [`VerifiedWebhook`] (the pairs exactly as
//! verified, the raw body, how it verified) and [`TwilioRequest<T>`], the same read as a `T`.
//!
//! `T` is any type [`FromWebhook`]: the library's own [`payload`](crate::payload) types
//! (`TwilioRequest<IncomingMessage>`), or any `serde` `Deserialize` struct of yours.

use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::form::Form;
use crate::payload::{
    CallStatus, DialResult, GatherResult, IncomingCall, IncomingMessage, MessageStatus,
    PartialGatherResult, PayloadError, RecordResult, RecordingStatus, TranscriptionResult,
};
use crate::rejection::Rejection;
use crate::replay::Fingerprint;
use crate::validator::Verified;

/// What was signed, and so what the handler gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyKind {
    /// A form body: [`VerifiedWebhook::pairs`] are its pairs.
    Form,
    /// No body (a `GET`): the pairs are the query's, signed as part of the URL.
    Query,
    /// A raw body bound by `bodySHA256` (JSON): no pairs; read [`VerifiedWebhook::body`].
    Raw,
}

/// A request that passed every check: how it verified, the pairs exactly as verified (in
/// received order, repeats kept) and the raw body.
///
/// Cloning is cheap (a reference count): extractors hand out copies of the one in the
/// request's extensions.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook(Arc<Parts>);

/// What a [`VerifiedWebhook`] holds, shared by its clones.
#[derive(Debug)]
struct Parts {
    verified: Verified,
    form: Form,
    body: Bytes,
    kind: BodyKind,
}

impl VerifiedWebhook {
    pub(crate) fn new(verified: Verified, form: Form, body: Bytes, kind: BodyKind) -> Self {
        VerifiedWebhook(Arc::new(Parts {
            verified,
            form,
            body,
            kind,
        }))
    }

    /// Which key, account and URL form verified the request.
    pub fn verified(&self) -> &Verified {
        &self.0.verified
    }

    /// The verified pairs in received order, repeats kept, as owned strings (made on the
    /// first call; [`form`](VerifiedWebhook::form) borrows them instead).
    pub fn pairs(&self) -> &[(String, String)] {
        self.0.form.pairs()
    }

    /// The verified pairs in received order, repeats kept, borrowed:
    /// [`Form::iter`] gives them as `(&str, &str)` without allocating.
    pub fn form(&self) -> &Form {
        &self.0.form
    }

    /// The first value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.form.get(name)
    }

    /// The raw body as received.
    pub fn body(&self) -> &Bytes {
        &self.0.body
    }

    /// Form, query or raw body.
    pub fn kind(&self) -> BodyKind {
        self.0.kind
    }

    /// The replay key: identifies the signed string under the key that verified it.
    pub fn fingerprint(&self) -> Fingerprint {
        self.0.verified.fingerprint().into()
    }

    /// The verified pairs as a `T`, with `serde_html_form`'s rules: repeated names into
    /// sequences, numbers and booleans parsed from text (see [`form::de`](crate::form::de)).
    ///
    /// Read straight from the decoded pairs the signature was checked over, whatever the
    /// body kind (a form body, a `GET`'s query), without parsing the body again; a property
    /// test holds the results to `serde_html_form`'s on the same pairs encoded.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        self.0
            .form
            .deserialize()
            .map_err(|_| Rejection::Deserialize)
    }
}

/// A type a handler can take as [`TwilioRequest<T>`]: read from a verified webhook's pairs.
///
/// Implemented for every `serde` `Deserialize` type (through
/// [`VerifiedWebhook::deserialize`]) and for the library's [`payload`](crate::payload) types
/// (through their `from_pairs`).
pub trait FromWebhook: Sized {
    /// Reads `Self` from the verified pairs; pairs that do not fit are a 400.
    fn from_webhook(webhook: &VerifiedWebhook) -> Result<Self, Rejection>;
}

impl<T: DeserializeOwned> FromWebhook for T {
    fn from_webhook(webhook: &VerifiedWebhook) -> Result<Self, Rejection> {
        webhook.deserialize()
    }
}

macro_rules! payload_from_webhook {
    ($($payload:ty),* $(,)?) => {$(
        impl FromWebhook for $payload {
            fn from_webhook(webhook: &VerifiedWebhook) -> Result<Self, Rejection> {
                let pairs: Vec<(&str, &str)> = webhook.form().iter().collect();
                <$payload>::from_pairs(&pairs)
                    .map_err(|_: PayloadError| Rejection::Deserialize)
            }
        }
    )*};
}

payload_from_webhook!(
    IncomingMessage,
    MessageStatus,
    IncomingCall,
    CallStatus,
    GatherResult,
    PartialGatherResult,
    RecordResult,
    TranscriptionResult,
    DialResult,
    RecordingStatus,
);

/// A verified webhook read as a `T`: the extractor `TwilioRequest<T>` of the axum and actix
/// adapters (one type, so handlers read the same under either).
///
/// Dereferences to `T`; the raw pairs and the rest stay available.
#[derive(Debug, Clone)]
pub struct TwilioRequest<T> {
    value: T,
    webhook: VerifiedWebhook,
}

impl<T: FromWebhook> TwilioRequest<T> {
    /// Reads `webhook` as a `T` (see [`FromWebhook`]); pairs that do not fit `T` are a 400,
    /// logged.
    pub fn new(webhook: VerifiedWebhook) -> Result<Self, Rejection> {
        let value = T::from_webhook(&webhook).inspect_err(|r| {
            tracing::info!(target: crate::LOG_TARGET, outcome = "rejected", reason = %r, "Twilio webhook rejected");
        })?;
        Ok(TwilioRequest { value, webhook })
    }
}

impl<T> TwilioRequest<T> {
    /// The `T` read from the pairs.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The verified pairs in received order, repeats kept.
    pub fn pairs(&self) -> &[(String, String)] {
        self.webhook.pairs()
    }

    /// Everything about the verified request.
    pub fn webhook(&self) -> &VerifiedWebhook {
        &self.webhook
    }
}

impl<T> std::ops::Deref for TwilioRequest<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Key, Validator};

    fn fake_verified() -> Verified {
        let sig = Key::auth_token("x", "test-token")
            .unwrap()
            .sign("https://example.com/", []);
        Validator::from_token("test-token")
            .unwrap()
            .validate_params("https://example.com/", [], Some(&sig))
            .unwrap()
    }

    fn webhook(pairs: &[(&str, &str)]) -> VerifiedWebhook {
        // As the config builds one: the body is the encoded form, the pairs its parse.
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let form = Form::parse(body.as_bytes()).unwrap();
        assert_eq!(form.iter().collect::<Vec<_>>(), pairs);
        VerifiedWebhook::new(fake_verified(), form, body.into(), BodyKind::Form)
    }

    #[test]
    fn deserialize_from_pairs() {
        #[derive(serde::Deserialize)]
        struct Sms {
            #[serde(rename = "Body")]
            body: String,
            #[serde(rename = "NumMedia")]
            num_media: u32,
        }
        let w = webhook(&[("Body", "a&b=c+d%"), ("NumMedia", "2")]);
        let sms: Sms = w.deserialize().unwrap();
        assert_eq!((sms.body.as_str(), sms.num_media), ("a&b=c+d%", 2));
        assert_eq!(w.deserialize::<(u8,)>().err(), Some(Rejection::Deserialize));
    }

    #[test]
    fn query_pairs_deserialize_too() {
        #[derive(serde::Deserialize)]
        struct Digits {
            #[serde(rename = "Digits")]
            digits: String,
        }
        let form: Form = [("Digits", "1+2&3")].into_iter().collect();
        let w = VerifiedWebhook::new(fake_verified(), form, Bytes::new(), BodyKind::Query);
        assert_eq!(w.deserialize::<Digits>().unwrap().digits, "1+2&3");
    }

    #[test]
    fn library_payloads_are_requests_too() {
        let w = webhook(&[
            ("MessageSid", "SM1"),
            ("AccountSid", "AC1"),
            ("From", "+15550100"),
            ("To", "+15550199"),
            ("Body", "5"),
        ]);
        let sms = TwilioRequest::<IncomingMessage>::new(w).unwrap();
        assert_eq!(sms.body, "5");
        let missing = webhook(&[("Body", "5")]);
        assert_eq!(
            TwilioRequest::<IncomingMessage>::new(missing).err(),
            Some(Rejection::Deserialize)
        );
    }
}
