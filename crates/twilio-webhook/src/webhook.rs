//! What a verified request hands the handler: [`VerifiedWebhook`] (the pairs exactly as
//! verified, the raw body, how it verified) and [`TwilioRequest<T>`], the same read as a `T`.
//!
//! `T` is any type [`FromWebhook`]: the library's own [`payload`](crate::payload) types
//! (`TwilioRequest<IncomingMessage>`), or any `serde` `Deserialize` struct of yours.

use bytes::Bytes;
use serde::de::DeserializeOwned;

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
#[derive(Debug, Clone)]
pub struct VerifiedWebhook {
    verified: Verified,
    pairs: Vec<(String, String)>,
    body: Bytes,
    kind: BodyKind,
}

impl VerifiedWebhook {
    pub(crate) fn new(
        verified: Verified,
        pairs: Vec<(String, String)>,
        body: Bytes,
        kind: BodyKind,
    ) -> Self {
        VerifiedWebhook {
            verified,
            pairs,
            body,
            kind,
        }
    }

    /// Which key, account and URL form verified the request.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// The verified pairs in received order, repeats kept.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The first value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The raw body as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Form, query or raw body.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// The replay key: identifies the signed string under the key that verified it.
    pub fn fingerprint(&self) -> Fingerprint {
        self.verified.fingerprint().into()
    }

    /// The verified pairs as a `T` (with `serde_html_form`'s rules: repeated names into
    /// sequences, numbers and booleans parsed from text).
    ///
    /// `serde_html_form` deserializes only from encoded text, so the pairs are re-encoded
    /// first; the encoding is lossless, so `T` sees exactly the verified pairs.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.pairs)
            .finish();
        serde_html_form::from_str(&encoded).map_err(|_| Rejection::Deserialize)
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
                <$payload>::from_pairs(webhook.pairs())
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
        let pairs = pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        VerifiedWebhook::new(fake_verified(), pairs, Bytes::new(), BodyKind::Form)
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
