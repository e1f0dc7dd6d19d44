//! Why a signature was not accepted: a leaf module, so the key store and the validator can
//! both name the reasons without importing each other.

/// Why a request's signature was not accepted.
///
/// `Display` gives a short reason fit for a log line; it never contains a secret, a signature
/// or a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// No `X-Twilio-Signature` header.
    #[error("missing X-Twilio-Signature header")]
    MissingSignature,
    /// The header is not strict standard base64 of a MAC of the configured length.
    #[error("malformed X-Twilio-Signature header")]
    MalformedSignature,
    /// The signature matches no form of the URL under any active key.
    #[error("signature does not match")]
    SignatureMismatch,
    /// A raw (JSON) body whose SHA-256 differs from the signed `bodySHA256`.
    #[error("body does not match the signed bodySHA256")]
    BodyHashMismatch,
    /// A raw (JSON) body, but the URL carries no `bodySHA256` to bind it to the signature.
    #[error("raw body without bodySHA256 in the URL")]
    MissingBodyHash,
    /// The request's `AccountSid` has no configured key (or the request names none).
    #[error("unknown or missing AccountSid")]
    UnknownAccount,
    /// The signature-settings header names a shared key that is not configured.
    #[error("unknown shared key id")]
    UnknownSharedKey,
    /// No active key: nothing configured, or every key has expired. Fails closed.
    #[error("no active signing key configured")]
    NoKey,
    /// `X-Twilio-Webhooks-Signature-Settings` names an algorithm that is not supported or not
    /// the configured key's.
    #[error("unsupported signature algorithm")]
    UnsupportedAlgorithm,
    /// `X-Twilio-Webhooks-Signature-Settings` is present, but this endpoint has no shared keys.
    #[error("signature settings present but no shared key configured")]
    SharedKeyNotConfigured,
    /// The endpoint verifies with shared keys, but the request has no settings header.
    #[error("missing X-Twilio-Webhooks-Signature-Settings header")]
    MissingSignatureSettings,
    /// `X-Twilio-Webhooks-Signature-Settings` is not `key=<id>,algorithm=<name>`.
    #[error("malformed X-Twilio-Webhooks-Signature-Settings header")]
    MalformedSignatureSettings,
}
