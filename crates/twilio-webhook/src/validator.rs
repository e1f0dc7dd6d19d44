//! Validating a signed request: pure functions of strings and bytes, no HTTP types.
//!
//! ```
//! use twilio_webhook::{Validator, ValidationError};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::from_token("12345")?;
//! let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
//! let params = [
//!     ("CallSid", "CA1234567890ABCDE"),
//!     ("Caller", "+14158675309"),
//!     ("Digits", "1234"),
//!     ("From", "+14158675309"),
//!     ("To", "+18005551212"),
//! ];
//! let verified = validator.validate_params(url, params, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="))?;
//! assert_eq!(verified.key(), "primary");
//!
//! let forged = [("Digits", "9999")];
//! assert_eq!(
//!     validator.validate_params(url, forged, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")),
//!     Err(ValidationError::SignatureMismatch),
//! );
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConditionallySelectable as _, ConstantTimeEq as _};

use crate::keys::{Key, KeyError, KeySet, KeyStore};
use crate::validation_error::ValidationError;

use crate::signature::{
    Algorithm, MacBytes, SortOrder, body_sha256, decode_signature, may_sort_differently,
    write_params,
};
use crate::url::{UrlForm, query_param, url_forms};

/// What was signed: form or query-less parameters, or a raw body bound by `bodySHA256`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Signed<'a> {
    /// Decoded form parameters (empty for GET), in any order, repeats kept.
    Params(Vec<(&'a str, &'a str)>),
    /// A raw body (JSON and anything else that is not a form): the URL must carry
    /// `bodySHA256`, and the signature covers the URL alone.
    Body(&'a [u8]),
}

/// Everything the validator needs from a request.
#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    url: &'a str,
    signed: Signed<'a>,
    signature: Option<&'a str>,
    settings: Option<&'a str>,
}

impl<'a> SignedRequest<'a> {
    /// A form POST (or, with no parameters, a GET) to `url`, the URL Twilio requested.
    pub fn params(url: &'a str, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        SignedRequest {
            url,
            signed: Signed::Params(params.into_iter().collect()),
            signature: None,
            settings: None,
        }
    }

    /// A raw body POST to `url`, which must carry `bodySHA256`.
    pub fn body(url: &'a str, body: &'a [u8]) -> Self {
        SignedRequest {
            url,
            signed: Signed::Body(body),
            signature: None,
            settings: None,
        }
    }

    /// The `X-Twilio-Signature` header value, if any.
    #[must_use]
    pub fn signature(mut self, header: Option<&'a str>) -> Self {
        self.signature = header;
        self
    }

    /// The `X-Twilio-Webhooks-Signature-Settings` header value, if any.
    #[must_use]
    pub fn settings(mut self, header: Option<&'a str>) -> Self {
        self.settings = header;
        self
    }

    /// The `AccountSid` that picks the key set: the first form value, else the URL's query.
    fn account_sid(&self) -> Option<std::borrow::Cow<'a, str>> {
        if let Signed::Params(params) = &self.signed
            && let Some((_, sid)) = params.iter().find(|(k, _)| *k == "AccountSid")
        {
            return Some((*sid).into());
        }
        query_param(self.url, "AccountSid").map(Into::into)
    }
}

/// A request whose signature was accepted, and how.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    account: Option<String>,
    key: Arc<str>,
    algorithm: Algorithm,
    url_form: UrlForm,
    sort_order: SortOrder,
    mac: MacBytes,
}

impl Verified {
    /// The account (or shared-key id) whose key set verified the request, when the store is
    /// keyed that way.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The label of the key slot that matched.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The algorithm of the matching key.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Which form of the URL matched.
    pub fn url_form(&self) -> UrlForm {
        self.url_form
    }

    /// Which parameter order matched (UTF-16 only ever for characters at or above U+E000).
    pub fn sort_order(&self) -> SortOrder {
        self.sort_order
    }

    /// SHA-256 of the verified MAC: identifies the exact signed string (and key) without
    /// revealing the signature. The replay guard keys on it.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.mac.as_slice()).into()
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("account", &self.account)
            .field("key", &self.key)
            .field("algorithm", &self.algorithm)
            .field("url_form", &self.url_form)
            .field("sort_order", &self.sort_order)
            .finish_non_exhaustive()
    }
}

/// Validates `X-Twilio-Signature` against a [`KeyStore`].
///
/// Every active key of the chosen set is tried on every URL form tried, without stopping at
/// the first match, so timing never tells which key matched; comparison is constant-time on
/// the decoded MAC.
#[derive(Clone, Debug)]
pub struct Validator {
    keys: KeyStore,
}

impl Validator {
    /// A validator over a key store.
    pub fn new(keys: KeyStore) -> Self {
        Validator { keys }
    }

    /// A validator for one Auth Token (slot label `primary`).
    pub fn from_token(token: &str) -> Result<Self, KeyError> {
        Ok(Validator::new(KeyStore::single(KeySet::from(
            Key::auth_token("primary", token)?,
        ))))
    }

    /// The key store.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Validates a form POST (or GET, with no parameters) to `url`.
    pub fn validate_params<'a>(
        &self,
        url: &'a str,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        signature: Option<&'a str>,
    ) -> Result<Verified, ValidationError> {
        self.validate(&SignedRequest::params(url, params).signature(signature))
    }

    /// Validates a raw (JSON) body POST to `url`, which must carry `bodySHA256`.
    pub fn validate_body(
        &self,
        url: &str,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Verified, ValidationError> {
        self.validate(&SignedRequest::body(url, body).signature(signature))
    }

    /// Validates a request at the current time.
    pub fn validate(&self, request: &SignedRequest<'_>) -> Result<Verified, ValidationError> {
        // The clock only matters for expiring keys; skip the system call otherwise.
        let now = if self.keys.has_expiry() {
            SystemTime::now()
        } else {
            SystemTime::UNIX_EPOCH
        };
        self.validate_at(request, now)
    }

    /// Validates a request as of `now` (key expiry is judged against it).
    pub fn validate_at(
        &self,
        request: &SignedRequest<'_>,
        now: SystemTime,
    ) -> Result<Verified, ValidationError> {
        let header = request.signature.ok_or(ValidationError::MissingSignature)?;
        let tag = decode_signature(header).ok_or(ValidationError::MalformedSignature)?;
        let selected = self
            .keys
            .select(|| request.account_sid(), request.settings)?;
        let keys = selected.usable(now, tag.as_slice().len())?;
        let (suffixes, body_hash) = match &request.signed {
            Signed::Params(params) => (Suffixes::of(params), None),
            Signed::Body(body) => {
                let claimed = query_param(request.url, "bodySHA256")
                    .ok_or(ValidationError::MissingBodyHash)?;
                (Suffixes::default(), Some((claimed, *body)))
            }
        };
        let (url_form, sort_order, key) = find_match(request.url, &suffixes, keys, &tag)
            .ok_or(ValidationError::SignatureMismatch)?;
        if let Some((claimed, body)) = body_hash {
            let actual = body_sha256(body);
            if !bool::from(actual.as_bytes().ct_eq(claimed.as_bytes())) {
                return Err(ValidationError::BodyHashMismatch);
            }
        }
        Ok(Verified {
            account: selected.account.map(str::to_owned),
            key: Arc::clone(key.label_arc()),
            algorithm: key.algorithm(),
            url_form,
            sort_order,
            mac: tag,
        })
    }
}

/// The parameter part of the canonical string in code-point order, and in UTF-16 order where
/// that differs.
#[derive(Default)]
struct Suffixes {
    code_point: Vec<u8>,
    utf16: Option<Vec<u8>>,
}

impl Suffixes {
    fn of(params: &[(&str, &str)]) -> Self {
        let mut code_point = Vec::new();
        write_params(&mut code_point, params, SortOrder::CodePoint);
        let utf16 = may_sort_differently(&code_point)
            .then(|| {
                let mut utf16 = Vec::new();
                write_params(&mut utf16, params, SortOrder::Utf16);
                utf16
            })
            .filter(|utf16| *utf16 != code_point);
        Suffixes { code_point, utf16 }
    }

    fn iter(&self) -> impl Iterator<Item = (SortOrder, &[u8])> {
        let utf16 = self.utf16.as_deref().map(|s| (SortOrder::Utf16, s));
        std::iter::once((SortOrder::CodePoint, self.code_point.as_slice())).chain(utf16)
    }
}

/// Tries each URL form and suffix in turn; within one, every key, without short-circuit.
fn find_match<'k>(
    url: &str,
    suffixes: &Suffixes,
    keys: impl Iterator<Item = &'k Key> + Clone,
    tag: &MacBytes,
) -> Option<(UrlForm, SortOrder, &'k Key)> {
    for (form, candidate) in url_forms(url) {
        for (order, suffix) in suffixes.iter() {
            let mut matched = Choice::from(0);
            let mut index = 0u32;
            for (i, key) in keys.clone().enumerate() {
                let hit = key.verify(&[candidate.as_bytes(), suffix], tag.as_slice());
                index.conditional_assign(&(i as u32), hit);
                matched |= hit;
            }
            if bool::from(matched) {
                return keys.clone().nth(index as usize).map(|k| (form, order, k));
            }
        }
    }
    None
}
