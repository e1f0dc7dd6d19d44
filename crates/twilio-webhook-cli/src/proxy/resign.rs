//! Re-signing the hop behind the proxy with the Standard Webhooks scheme
//! (<https://www.standardwebhooks.com/>), so a backend need not trust `X-Twilio-Verified` from
//! whoever can reach it: it verifies `webhook-signature` with any Standard Webhooks library.
//!
//! Headers added to each forwarded request (client-sent ones of the same names are removed):
//! `webhook-id` (`msg_` + the verified request's fingerprint, so Twilio's retries of one
//! request share an id), `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the decoded secret).
//!
//! The Standard Webhooks signature covers the body only, so a captured hop could be replayed
//! onto another path or method within the backend's tolerance, and on a GET route (body
//! empty) no webhook parameter would be signed. [`BINDING_HEADER`] closes that: `v1,` +
//! base64 HMAC-SHA256 over `id.timestamp.METHOD.target` (the method as sent upstream, the
//! path and query exactly as the upstream receives them), under a key of its own derived
//! from the secret (`HMAC-SHA256(secret, "twilio-guard webhook-binding v1")`), so neither MAC
//! can be passed off as the other whatever the body.

use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// The three Standard Webhooks header names.
pub const HEADERS: [&str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];

/// Our extension header binding method, path and query to the same id and timestamp.
pub const BINDING_HEADER: &str = "webhook-binding";

/// What the binding key is derived with (from the decoded secret).
const BINDING_LABEL: &[u8] = b"twilio-guard webhook-binding v1";

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
    /// Keyed with the derived binding key.
    binding: Hmac<Sha256>,
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
        let mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
        let mut derive = mac.clone();
        derive.update(BINDING_LABEL);
        let binding = Hmac::<Sha256>::new_from_slice(&derive.finalize().into_bytes()).ok()?;
        Some(Resigner { mac, binding })
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

    /// The headers (name, value) for a `method` request to `target` (path and query as the
    /// upstream receives them) with `body`, now: the three of Standard Webhooks, then
    /// [`BINDING_HEADER`].
    pub fn headers(
        &self,
        id: &str,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> [(&'static str, String); 4] {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let [id_name, timestamp_name, signature_name] = HEADERS;
        [
            (id_name, id.to_owned()),
            (timestamp_name, timestamp.to_string()),
            (signature_name, self.sign(id, timestamp, body)),
            (BINDING_HEADER, self.bind(id, timestamp, method, target)),
        ]
    }

    /// `v1,<base64 HMAC-SHA256(id.timestamp.body)>`.
    fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        v1(&self.mac, id, timestamp, &[body])
    }

    /// `v1,<base64 HMAC-SHA256_binding(id.timestamp.METHOD.target)>`; the target comes last,
    /// so the dots inside it cannot shift the other fields.
    fn bind(&self, id: &str, timestamp: u64, method: &str, target: &str) -> String {
        v1(
            &self.binding,
            id,
            timestamp,
            &[method.as_bytes(), b".", target.as_bytes()],
        )
    }
}

/// `v1,` + base64 of `mac` over `id.timestamp.` and `rest`.
fn v1(mac: &Hmac<Sha256>, id: &str, timestamp: u64, rest: &[&[u8]]) -> String {
    let mut mac = mac.clone();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    for part in rest {
        mac.update(part);
    }
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
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
        // The binding, computed independently (Python: hmac.new(hmac.new(key, LABEL, sha256)
        // .digest(), b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.POST./sms?a=1", sha256)).
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let mut derive = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        derive.update(BINDING_LABEL);
        let mut mac = Hmac::<Sha256>::new_from_slice(&derive.finalize().into_bytes()).unwrap();
        mac.update(b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.POST./sms?a=1");
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        assert_eq!(r.bind(id, 1_614_265_330, "POST", "/sms?a=1"), expected);
        assert_ne!(r.bind(id, 1_614_265_330, "GET", "/sms?a=1"), expected);
        assert_ne!(r.bind(id, 1_614_265_330, "POST", "/sms?a=2"), expected);
        assert!(Resigner::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        assert!(Resigner::from_secret("whsec_c2hvcnQ=").is_none());
        assert!(format!("{r:?}").contains("redacted"));
    }
}
