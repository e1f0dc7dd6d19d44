//! Re-signing the hop behind the proxy with the Standard Webhooks scheme
//! (<https://www.standardwebhooks.com/>), so a backend need not trust `X-Twilio-Verified` from
//! whoever can reach it: it verifies `webhook-signature` with any Standard Webhooks library.
//!
//! Headers added to each forwarded request (client-sent ones of the same names are removed):
//! `webhook-id` (`msg_` + the verified request's fingerprint, so Twilio's retries of one
//! request share an id), `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the decoded secret).

use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// The three Standard Webhooks header names.
pub const HEADERS: [&str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];

/// Why a Standard Webhooks secret is unusable (never says the secret).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResignError {
    /// The secret file could not be read.
    #[error("cannot read Standard Webhooks secret {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not `whsec_` followed by base64 of at least 24 bytes.
    #[error("Standard Webhooks secret {path}: expected whsec_<base64 of 24 to 64 bytes>")]
    Format {
        /// The file.
        path: String,
    },
}

/// Signs forwarded requests with one Standard Webhooks secret.
#[derive(Clone)]
pub struct Resigner {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for Resigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resigner([redacted])")
    }
}

impl Resigner {
    /// The secret in `whsec_<base64>` form (as Standard Webhooks libraries print and take it).
    pub fn from_secret(secret: &str) -> Option<Resigner> {
        let encoded = secret.trim().strip_prefix("whsec_")?;
        let key = STANDARD.decode(encoded).ok()?;
        // The spec asks for 24 to 64 random bytes.
        if !(24..=64).contains(&key.len()) {
            return None;
        }
        Some(Resigner {
            mac: Hmac::<Sha256>::new_from_slice(&key).ok()?,
        })
    }

    /// The secret from a file holding `whsec_<base64>` (surrounding white space ignored).
    pub fn from_file(path: &Path) -> Result<Resigner, ResignError> {
        let text = std::fs::read_to_string(path).map_err(|source| ResignError::File {
            path: path.display().to_string(),
            source,
        })?;
        Resigner::from_secret(&text).ok_or_else(|| ResignError::Format {
            path: path.display().to_string(),
        })
    }

    /// `(webhook-id, webhook-timestamp, webhook-signature)` for `body`, now.
    pub fn headers(&self, id: &str, body: &[u8]) -> [String; 3] {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signature = self.sign(id, timestamp, body);
        [id.to_owned(), timestamp.to_string(), signature]
    }

    /// `v1,<base64 HMAC-SHA256(id.timestamp.body)>`.
    fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the Standard Webhooks specification's reference libraries.
    #[test]
    fn known_answer() {
        let r = Resigner::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            r.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(Resigner::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        assert!(Resigner::from_secret("whsec_c2hvcnQ=").is_none());
        assert!(format!("{r:?}").contains("redacted"));
    }
}
