//! Device cookies (OWASP's scheme against lockout attacks): a browser that signed in gets a
//! cookie naming the user and a random nonce, signed with HMAC-SHA256 under a key this
//! process draws at start. A request carrying a valid one for the user it signs in as is
//! exempt from the address, network and global limits and is counted on its own instead: ten
//! failures lock that cookie alone. So guessers, who have no such cookie, cannot lock out the
//! organiser's browser. A restart draws a new key: earlier cookies stop counting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use super::limiter::{FAILURE_WINDOW, MAX_FAILURES};

/// The cookie's name over plain HTTP; over HTTPS `__Host-` is prefixed (bound to this host).
const COOKIE: &str = "sms-ratings-device";
/// How long a browser keeps its device cookie.
const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);
const NONCE: usize = 16;
/// Device cookies whose failures are tracked at once; beyond, a cookie counts as untrusted.
const TRACKED: usize = 4_096;

type Nonce = [u8; NONCE];

/// The signing key and the failure counts of the cookies presented.
pub(crate) struct Devices {
    key: [u8; 32],
    name: &'static str,
    secure: bool,
    failures: Mutex<HashMap<Nonce, (Instant, u32)>>,
}

/// A device cookie that verified for the user signing in.
#[derive(Clone, Copy)]
pub(crate) struct Device(Nonce);

impl Devices {
    /// A new key; `secure` when the server is reached over HTTPS.
    pub(crate) fn new(secure: bool) -> Option<Self> {
        let mut key = [0; 32];
        getrandom::fill(&mut key).ok()?;
        Some(Self {
            key,
            name: if secure {
                "__Host-sms-ratings-device"
            } else {
                COOKIE
            },
            secure,
            failures: Mutex::new(HashMap::new()),
        })
    }

    fn mac(&self, user: &str, nonce: &Nonce) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        // The user name's length first: no two (user, nonce) pairs share an input.
        mac.update(&(user.len() as u64).to_be_bytes());
        mac.update(user.as_bytes());
        mac.update(nonce);
        Some(mac)
    }

    /// A fresh `Set-Cookie` value for `user`.
    pub(crate) fn issue(&self, user: &str) -> Option<HeaderValue> {
        let mut nonce = [0; NONCE];
        getrandom::fill(&mut nonce).ok()?;
        let tag = self.mac(user, &nonce)?.finalize().into_bytes();
        let secure = if self.secure { "; Secure" } else { "" };
        let value = format!(
            "{}={}.{}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            self.name,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(tag),
            MAX_AGE.as_secs(),
        );
        HeaderValue::from_str(&value).ok()
    }

    /// The request's device cookie, when one of them was signed by us for `user`.
    pub(crate) fn presented(&self, headers: &HeaderMap, user: &str) -> Option<Device> {
        let cookies = headers.get_all(header::COOKIE).into_iter();
        let pairs = cookies
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='));
        pairs
            .filter(|(name, _)| *name == self.name)
            .find_map(|(_, value)| self.verify(value, user))
    }

    fn verify(&self, value: &str, user: &str) -> Option<Device> {
        let (nonce, tag) = value.split_once('.')?;
        let nonce: Nonce = URL_SAFE_NO_PAD.decode(nonce).ok()?.try_into().ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // `verify_slice` compares in constant time.
        self.mac(user, &nonce)?.verify_slice(&tag).ok()?;
        Some(Device(nonce))
    }

    /// How long `device` must wait, when it used up its own failures.
    pub(crate) fn blocked(&self, device: Device, now: Instant) -> Option<Duration> {
        let Ok(failures) = self.failures.lock() else {
            return Some(Duration::from_secs(1));
        };
        let &(started, count) = failures.get(&device.0)?;
        let ends = started + FAILURE_WINDOW;
        (count >= MAX_FAILURES && ends > now).then(|| ends - now)
    }

    /// Counts one failure of `device`; `false` when the table is full (count it as untrusted).
    pub(crate) fn failed(&self, device: Device, now: Instant) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return false;
        };
        if failures.len() >= TRACKED && !failures.contains_key(&device.0) {
            failures.retain(|_, (started, _)| *started + FAILURE_WINDOW > now);
            if failures.len() >= TRACKED {
                return false;
            }
        }
        let entry = failures.entry(device.0).or_insert((now, 0));
        if entry.0 + FAILURE_WINDOW <= now {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie_header(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(pair).unwrap());
        headers
    }

    #[test]
    fn a_cookie_verifies_for_its_user_only_and_under_its_key_only() {
        let devices = Devices::new(true).unwrap();
        let set = devices.issue("alice").unwrap();
        assert!(set.to_str().unwrap().starts_with("__Host-"));
        let headers = cookie_header(&set);
        assert!(devices.presented(&headers, "alice").is_some());
        assert!(devices.presented(&headers, "mallory").is_none());
        assert!(
            Devices::new(true)
                .unwrap()
                .presented(&headers, "alice")
                .is_none()
        );
        let forged = set.to_str().unwrap().replacen('.', ".A", 1);
        assert!(
            devices
                .presented(
                    &cookie_header(&HeaderValue::from_str(&forged).unwrap()),
                    "alice"
                )
                .is_none()
        );
    }

    #[test]
    fn a_device_is_locked_after_its_own_failures() {
        let devices = Devices::new(false).unwrap();
        let headers = cookie_header(&devices.issue("alice").unwrap());
        let device = devices.presented(&headers, "alice").unwrap();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert!(devices.blocked(device, t0).is_none());
            assert!(devices.failed(device, t0));
        }
        assert!(devices.blocked(device, t0).is_some());
        assert!(devices.blocked(device, t0 + FAILURE_WINDOW).is_none());
    }
}
