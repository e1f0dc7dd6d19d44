//! HTTP basic auth the way Twilio speaks it.
//!
//! Put the credentials in the webhook URL in the Twilio console
//! (`https://user:password@example.com/sms`). Twilio first calls without them and expects
//! `401` with `WWW-Authenticate: Basic realm="…"`; then it repeats the request with an
//! `Authorization` header. The credentials are compared in constant time (as SHA-256 digests,
//! so not even their length leaks) and checked before the signature.
//!
//! Because the credentials are part of the URL Twilio signs, the signature is checked against
//! the URL with `user:password@` inserted (what Twilio's libraries sign today) and without it
//! (what older Twilio documentation describes).
//!
//! ```
//! use twilio_webhook::BasicAuth;
//!
//! let auth = BasicAuth::new("twilio", "s3cret-pass")?.realm("sms");
//! assert!(auth.check(None).is_err());
//! assert!(auth.check(Some(b"Basic dHdpbGlvOnMzY3JldC1wYXNz")).is_ok());
//! assert!(auth.check(Some(b"Basic dHdpbGlvOndyb25n")).is_err());
//! assert!(!format!("{auth:?}").contains("s3cret"));
//! # Ok::<(), twilio_webhook::CredentialsError>(())
//! ```

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::keys::Secret;
use crate::rejection::Rejection;

/// Why basic-auth credentials could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The user name is empty or holds a character that does not survive a URL's userinfo
    /// unencoded (only letters, digits and `-._~!$'()*+,;=` do; `:` never in a user name).
    #[error("basic-auth user name must be non-empty URL-safe characters without ':'")]
    InvalidUser,
    /// The password is empty, padded with white space, or holds a character that does not
    /// survive a URL's userinfo unencoded.
    #[error("basic-auth password must be non-empty URL-safe characters")]
    InvalidPassword,
}

/// Basic-auth credentials for a webhook route.
#[derive(Clone)]
pub struct BasicAuth {
    user: String,
    password: Secret,
    digest: [u8; 32],
    challenge: Arc<str>,
}

impl BasicAuth {
    /// Credentials `user` / `password`, realm `twilio`.
    pub fn new(user: &str, password: &str) -> Result<Self, CredentialsError> {
        if user.is_empty() || !user.bytes().all(url_safe) {
            return Err(CredentialsError::InvalidUser);
        }
        let password = Secret::new(password).map_err(|_| CredentialsError::InvalidPassword)?;
        if !password.expose().bytes().all(|b| b == b':' || url_safe(b)) {
            return Err(CredentialsError::InvalidPassword);
        }
        let digest = Sha256::digest(format!("{user}:{}", password.expose())).into();
        Ok(BasicAuth {
            user: user.to_owned(),
            password,
            digest,
            challenge: challenge("twilio"),
        })
    }

    /// The realm named in the `WWW-Authenticate` challenge (quotes and backslashes dropped).
    #[must_use]
    pub fn realm(mut self, realm: &str) -> Self {
        self.challenge = challenge(realm);
        self
    }

    /// Checks an `Authorization` header value; the error is the 401 to send.
    pub fn check(&self, authorization: Option<&[u8]>) -> Result<(), Rejection> {
        let presented = authorization
            .and_then(|h| {
                let (scheme, rest) = h.split_at_checked(6)?;
                scheme
                    .eq_ignore_ascii_case(b"basic ")
                    .then(|| STANDARD.decode(rest.trim_ascii()).ok())?
            })
            .map(|c| <[u8; 32]>::from(Sha256::digest(c)));
        match presented {
            Some(d) if bool::from(d.ct_eq(&self.digest)) => Ok(()),
            _ => Err(Rejection::Unauthorized {
                challenge: Arc::clone(&self.challenge),
            }),
        }
    }

    /// `url` with `user:password@` inserted after the scheme, unless it already has userinfo.
    pub(crate) fn with_credentials(&self, url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return None;
        }
        Some(format!(
            "{scheme}://{}:{}@{rest}",
            self.user,
            self.password.expose()
        ))
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .field("password", &self.password)
            .field("challenge", &self.challenge)
            .finish()
    }
}

fn challenge(realm: &str) -> Arc<str> {
    let realm: String = realm.chars().filter(|c| !matches!(c, '"' | '\\')).collect();
    format!("Basic realm=\"{realm}\", charset=\"UTF-8\"").into()
}

/// Unreserved and sub-delimiter characters: they need no percent-encoding in userinfo, so
/// the URL Twilio signs holds them exactly as configured.
fn url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$'()*+,;=".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_rules() {
        assert_eq!(
            BasicAuth::new("", "p").err(),
            Some(CredentialsError::InvalidUser)
        );
        assert_eq!(
            BasicAuth::new("a:b", "p").err(),
            Some(CredentialsError::InvalidUser)
        );
        assert_eq!(
            BasicAuth::new("a", "").err(),
            Some(CredentialsError::InvalidPassword)
        );
        assert_eq!(
            BasicAuth::new("a", "p@ss").err(),
            Some(CredentialsError::InvalidPassword)
        );
        assert!(BasicAuth::new("a", "p:ss").is_ok());
    }

    #[test]
    fn header_parsing() {
        let a = BasicAuth::new("u", "p").unwrap().realm("my \"realm\"");
        let ok = format!("Basic {}", STANDARD.encode("u:p"));
        assert!(a.check(Some(ok.as_bytes())).is_ok());
        let lower = format!("basic  {}", STANDARD.encode("u:p"));
        assert!(a.check(Some(lower.as_bytes())).is_ok());
        let err = a.check(Some(b"Bearer abc")).unwrap_err();
        assert_eq!(err.status(), 401);
        assert_eq!(
            err.header(),
            Some((
                "www-authenticate",
                "Basic realm=\"my realm\", charset=\"UTF-8\""
            ))
        );
        assert!(a.check(Some(b"Basic !!!")).is_err());
        assert!(a.check(Some(b"Basic")).is_err());
    }

    #[test]
    fn credentials_go_into_the_url_once() {
        let a = BasicAuth::new("u", "p").unwrap();
        assert_eq!(
            a.with_credentials("https://h.com/sms?x=@").as_deref(),
            Some("https://u:p@h.com/sms?x=@")
        );
        assert_eq!(a.with_credentials("https://x:y@h.com/"), None);
    }
}
