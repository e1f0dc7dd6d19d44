//! Secrets and the keys made from them: which key signs a request, and key rotation.
//!
//! A [`Secret`] never prints itself. A [`Key`] is a secret turned into a ready MAC state once
//! (the HMAC key schedule runs at construction; each request clones the state). A [`KeySet`]
//! holds every key that is currently valid for one signer: during a token rotation the new
//! and the old token both verify, each optionally until an expiry. A [`KeyStore`] says which
//! set applies to a request: one set for the whole endpoint, one per `AccountSid`
//! (sub-accounts sign with their own token), or Webhook Shared Keys chosen by the
//! `X-Twilio-Webhooks-Signature-Settings` header. A [`TokenFile`] reads all of them from one
//! text file (see [`file`](mod@file)); a [`KeySource`] says whether a server's keys come from
//! one or from the environment.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use twilio_webhook::{Key, KeySet, KeyStore};
//!
//! # fn main() -> Result<(), twilio_webhook::KeyError> {
//! let keys = KeySet::new([
//!     Key::auth_token("primary", "new-token-value")?,
//!     Key::auth_token("previous", "old-token-value")?
//!         .expires_at(SystemTime::now() + Duration::from_secs(24 * 3600)),
//! ]);
//! let store = KeyStore::single(keys);
//! assert!(!format!("{store:?}").contains("token-value"));
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use hmac::{Hmac, KeyInit as _, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use sha1::Sha1;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq as _};

use crate::signature::{Algorithm, MacBytes, SortOrder, encode_signature, params_suffix};
use crate::validation_error::ValidationError;

pub mod file;

pub use file::{KeyKind, KeySource, TokenFile, TokenFileError};

/// Why a secret or key could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The secret is the empty string.
    #[error("the secret is empty")]
    Empty,
    /// The secret starts or ends with white space, usually a copy-paste accident.
    #[error("the secret starts or ends with white space; remove it (a pasted newline?)")]
    Whitespace,
}

/// An Auth Token or shared-key secret. `Debug` and `Display` print `[redacted]`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a secret, rejecting empty and white-space-padded values.
    pub fn new(secret: impl Into<String>) -> Result<Self, KeyError> {
        let secret: String = secret.into();
        if secret.is_empty() {
            return Err(KeyError::Empty);
        }
        if secret.trim() != secret {
            return Err(KeyError::Whitespace);
        }
        Ok(Secret(SecretString::from(secret)))
    }

    /// The secret's bytes, for building a MAC. Keep the result out of logs.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A keyed MAC state, computed once per key and cloned per request.
#[derive(Clone)]
enum MacState {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    /// A key the MAC refused. HMAC takes keys of any length, so this cannot happen; should it
    /// ever, the key fails closed: its MAC is empty and verifies nothing.
    Unusable,
}

impl MacState {
    fn new(algorithm: Algorithm, secret: &Secret) -> Self {
        let key = secret.expose().as_bytes();
        let state = match algorithm {
            Algorithm::HmacSha1 => Hmac::new_from_slice(key).map(MacState::Sha1),
            Algorithm::HmacSha256 => Hmac::new_from_slice(key).map(MacState::Sha256),
        };
        state.unwrap_or(MacState::Unusable)
    }

    fn compute(&self, parts: &[&[u8]]) -> MacBytes {
        let tag = match self {
            MacState::Sha1(state) => {
                let mut mac = state.clone();
                parts.iter().for_each(|p| mac.update(p));
                MacBytes::from_slice(&mac.finalize().into_bytes())
            }
            MacState::Sha256(state) => {
                let mut mac = state.clone();
                parts.iter().for_each(|p| mac.update(p));
                MacBytes::from_slice(&mac.finalize().into_bytes())
            }
            MacState::Unusable => None,
        };
        // Both tags are at most 32 bytes, so `from_slice` succeeds for them.
        tag.unwrap_or(MacBytes::EMPTY)
    }
}

/// One signing key: a secret, its algorithm, a label naming its slot, an optional expiry.
///
/// `Debug` shows the label, algorithm and expiry, never the secret.
#[derive(Clone)]
pub struct Key {
    label: Arc<str>,
    algorithm: Algorithm,
    expires: Option<SystemTime>,
    mac: MacState,
}

impl Key {
    /// A key for `secret` signing with `algorithm`, reported as `label` when it verifies.
    pub fn new(label: impl Into<Arc<str>>, secret: &Secret, algorithm: Algorithm) -> Self {
        Key {
            label: label.into(),
            algorithm,
            expires: None,
            mac: MacState::new(algorithm, secret),
        }
    }

    /// An Auth Token key (HMAC-SHA1), the way Twilio signs by default.
    pub fn auth_token(label: impl Into<Arc<str>>, token: &str) -> Result<Self, KeyError> {
        Ok(Key::new(label, &Secret::new(token)?, Algorithm::HmacSha1))
    }

    /// A Webhook Shared Key secret signing with HMAC-SHA256.
    pub fn shared_key(label: impl Into<Arc<str>>, secret: &str) -> Result<Self, KeyError> {
        Ok(Key::new(
            label,
            &Secret::new(secret)?,
            Algorithm::HmacSha256,
        ))
    }

    /// The same key, no longer accepted from `at` on (for the old token during a rotation).
    #[must_use]
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// The slot name reported when this key verifies a request.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn label_arc(&self) -> &Arc<str> {
        &self.label
    }

    /// The MAC algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// When the key stops verifying, if ever.
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// Whether the key verifies at `now`.
    pub fn is_active_at(&self, now: SystemTime) -> bool {
        self.expires.is_none_or(|at| now < at)
    }

    /// The `X-Twilio-Signature` value for `url` and form parameters, as Twilio computes it.
    ///
    /// ```
    /// use twilio_webhook::Key;
    /// let key = Key::auth_token("primary", "12345").unwrap();
    /// let sig = key.sign(
    ///     "https://mycompany.com/myapp.php?foo=1&bar=2",
    ///     [
    ///         ("CallSid", "CA1234567890ABCDE"),
    ///         ("Caller", "+14158675309"),
    ///         ("Digits", "1234"),
    ///         ("From", "+14158675309"),
    ///         ("To", "+18005551212"),
    ///     ],
    /// );
    /// assert_eq!(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    /// ```
    pub fn sign<'a>(
        &self,
        url: &str,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> String {
        let suffix = params_suffix(params, SortOrder::CodePoint);
        encode_signature(self.mac(&[url.as_bytes(), &suffix]).as_slice())
    }

    /// The signature of a URL alone: GET requests, and JSON bodies once the URL carries
    /// `bodySHA256` (see [`crate::signature::url_with_body_hash`]).
    pub fn sign_url(&self, url: &str) -> String {
        encode_signature(self.mac(&[url.as_bytes()]).as_slice())
    }

    pub(crate) fn mac(&self, parts: &[&[u8]]) -> MacBytes {
        self.mac.compute(parts)
    }

    /// Constant-time comparison of the MAC over `parts` with `tag`.
    pub(crate) fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> Choice {
        self.mac(parts).as_slice().ct_eq(tag)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("label", &self.label)
            .field("algorithm", &self.algorithm)
            .field("expires", &self.expires)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Every key that currently verifies for one signer (an account, or a shared-key id).
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// A set of keys; all are tried on every request.
    pub fn new(keys: impl IntoIterator<Item = Key>) -> Self {
        KeySet {
            keys: keys.into_iter().collect(),
        }
    }

    /// Adds a key (e.g. the new token at the start of a rotation).
    pub fn push(&mut self, key: Key) {
        self.keys.push(key);
    }

    /// The keys, in the order added.
    pub fn iter(&self) -> std::slice::Iter<'_, Key> {
        self.keys.iter()
    }

    /// Whether the set holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl From<Key> for KeySet {
    fn from(key: Key) -> Self {
        KeySet { keys: vec![key] }
    }
}

#[derive(Clone, Debug)]
enum Mode {
    Single(KeySet),
    Accounts(HashMap<String, KeySet>),
    Shared(HashMap<String, KeySet>),
}

/// Which keys apply to a request.
#[derive(Clone, Debug)]
pub struct KeyStore {
    mode: Mode,
}

/// The key set chosen for one request, the account it belongs to, and the algorithm the
/// settings header requires, if any.
pub(crate) struct Selected<'a> {
    set: &'a KeySet,
    pub(crate) account: Option<&'a str>,
    algorithm: Option<Algorithm>,
}

impl<'a> Selected<'a> {
    /// The keys to try for a MAC of `tag_len` bytes at `now`, or why there are none.
    pub(crate) fn usable(
        &self,
        now: SystemTime,
        tag_len: usize,
    ) -> Result<impl Iterator<Item = &'a Key> + Clone + use<'a>, ValidationError> {
        let set = self.set;
        let algorithm = self.algorithm;
        let active = move || set.iter().filter(move |k| k.is_active_at(now));
        let allowed = move || active().filter(move |k| algorithm.is_none_or(|a| k.algorithm == a));
        let sized = move || allowed().filter(move |k| k.algorithm.mac_len() == tag_len);
        if active().next().is_none() {
            return Err(ValidationError::NoKey);
        }
        if allowed().next().is_none() {
            return Err(ValidationError::UnsupportedAlgorithm);
        }
        if sized().next().is_none() {
            return Err(ValidationError::MalformedSignature);
        }
        Ok(sized())
    }
}

impl KeyStore {
    /// One key set for every request the endpoint gets (a single Twilio account).
    pub fn single(keys: impl Into<KeySet>) -> Self {
        KeyStore {
            mode: Mode::Single(keys.into()),
        }
    }

    /// A key set per `AccountSid` (sub-accounts sign with their own Auth Token). A request
    /// from an account not listed is rejected; no account's key ever verifies another's.
    pub fn accounts<S: Into<String>>(accounts: impl IntoIterator<Item = (S, KeySet)>) -> Self {
        KeyStore {
            mode: Mode::Accounts(accounts.into_iter().map(|(k, v)| (k.into(), v)).collect()),
        }
    }

    /// Webhook Shared Keys by key id. Every request must carry
    /// `X-Twilio-Webhooks-Signature-Settings: key=<id>,algorithm=<alg>`; the algorithm must be
    /// the configured key's. Requests without the header are rejected (no downgrade).
    pub fn shared_keys<S: Into<String>>(keys: impl IntoIterator<Item = (S, KeySet)>) -> Self {
        KeyStore {
            mode: Mode::Shared(keys.into_iter().map(|(k, v)| (k.into(), v)).collect()),
        }
    }

    /// Whether any key has an expiry (else the clock need not be read).
    pub(crate) fn has_expiry(&self) -> bool {
        let expiring = |set: &KeySet| set.iter().any(|k| k.expires.is_some());
        match &self.mode {
            Mode::Single(set) => expiring(set),
            Mode::Accounts(sets) | Mode::Shared(sets) => sets.values().any(expiring),
        }
    }

    /// The key set that applies to a request from `account` with signature-settings header
    /// `settings`.
    ///
    /// `account` is only asked for when the store is keyed by account.
    pub(crate) fn select<'r>(
        &self,
        account: impl FnOnce() -> Option<std::borrow::Cow<'r, str>>,
        settings: Option<&str>,
    ) -> Result<Selected<'_>, ValidationError> {
        let (set, account, algorithm) = match (&self.mode, settings) {
            (Mode::Shared(by_id), Some(header)) => {
                let (id, algorithm) = parse_settings(header)?;
                let (id, set) = by_id
                    .get_key_value(id)
                    .ok_or(ValidationError::UnknownSharedKey)?;
                (set, Some(id.as_str()), Some(algorithm))
            }
            (_, Some(_)) => return Err(ValidationError::SharedKeyNotConfigured),
            (Mode::Shared(_), None) => return Err(ValidationError::MissingSignatureSettings),
            (Mode::Single(set), None) => (set, None, None),
            (Mode::Accounts(by_sid), None) => {
                let sid = account().ok_or(ValidationError::UnknownAccount)?;
                let (sid, set) = by_sid
                    .get_key_value(sid.as_ref())
                    .ok_or(ValidationError::UnknownAccount)?;
                (set, Some(sid.as_str()), None)
            }
        };
        Ok(Selected {
            set,
            account,
            algorithm,
        })
    }
}

/// Parses `key=<id>,algorithm=<HMAC_SHA1|HMAC_SHA256>` (order free, spaces around items ok).
fn parse_settings(header: &str) -> Result<(&str, Algorithm), ValidationError> {
    let mut id = None;
    let mut algorithm = None;
    for item in header.split(',') {
        let (name, value) = item
            .trim()
            .split_once('=')
            .ok_or(ValidationError::MalformedSignatureSettings)?;
        match name.trim() {
            "key" => id = Some(value.trim()),
            "algorithm" => algorithm = Some(value.trim()),
            _ => {}
        }
    }
    let id = id
        .filter(|s| !s.is_empty())
        .ok_or(ValidationError::MalformedSignatureSettings)?;
    let algorithm = algorithm.ok_or(ValidationError::MalformedSignatureSettings)?;
    let algorithm =
        Algorithm::from_settings_name(algorithm).ok_or(ValidationError::UnsupportedAlgorithm)?;
    Ok((id, algorithm))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn secrets_are_checked_and_redacted() {
        assert_eq!(Secret::new("").err(), Some(KeyError::Empty));
        assert_eq!(Secret::new(" abc").err(), Some(KeyError::Whitespace));
        assert_eq!(Secret::new("abc\n").err(), Some(KeyError::Whitespace));
        let s = Secret::new("hunter2").unwrap();
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        let k = Key::new("primary", &s, Algorithm::HmacSha1);
        assert!(!format!("{k:?}").contains("hunter2"));
    }

    #[test]
    fn expiry_is_exclusive() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let k = Key::auth_token("old", "x").unwrap().expires_at(at);
        assert!(k.is_active_at(at - Duration::from_secs(1)));
        assert!(!k.is_active_at(at));
    }

    #[test]
    fn settings_header_parses() {
        assert_eq!(
            parse_settings("key=KS1,algorithm=HMAC_SHA256").unwrap(),
            ("KS1", Algorithm::HmacSha256)
        );
        assert_eq!(
            parse_settings(" algorithm=HMAC_SHA1 , key=KS2 ").unwrap(),
            ("KS2", Algorithm::HmacSha1)
        );
        assert_eq!(
            parse_settings("key=KS1,algorithm=MD5"),
            Err(ValidationError::UnsupportedAlgorithm)
        );
        assert_eq!(
            parse_settings("algorithm=HMAC_SHA256"),
            Err(ValidationError::MalformedSignatureSettings)
        );
        assert_eq!(
            parse_settings("garbage"),
            Err(ValidationError::MalformedSignatureSettings)
        );
    }

    #[test]
    fn accounts_never_fall_back() {
        let store =
            KeyStore::accounts([("AC1", KeySet::from(Key::auth_token("p", "t1").unwrap()))]);
        let sid = |s: &'static str| move || Some(std::borrow::Cow::Borrowed(s));
        assert!(store.select(sid("AC1"), None).is_ok());
        assert!(matches!(
            store.select(sid("AC2"), None),
            Err(ValidationError::UnknownAccount)
        ));
        assert!(matches!(
            store.select(|| None, None),
            Err(ValidationError::UnknownAccount)
        ));
    }
}
