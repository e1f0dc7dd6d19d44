//! HTTP basic auth for the organiser pages and API (the library's constant-time check), the
//! limit on failed sign-ins per client address, and the strength rule for the password.
//!
//! A client address that fails [`MAX_FAILURES`] times within [`FAILURE_WINDOW`] gets `429 Too Many
//! Requests` with `Retry-After` for every organiser request until the window ends, even with
//! the right password (else the 429 would tell a guesser which answer was right); so does
//! every address of a network (IPv4 /24, IPv6 /48) that failed [`NETWORK_FAILURES`] times, and
//! every client once the server counted [`GLOBAL_FAILURES`] (`limiter`). A browser that signed
//! in before shows its signed device cookie and is exempt from those limits (`device`), so
//! guessers cannot lock the organiser out. Behind `--trusted-proxy` the client address comes
//! from `X-Forwarded-For` (`client`). Each failure is logged with the client address and the
//! user name tried, never the password.
//!
//! ```
//! use sms_ratings::server::check_password_strength;
//!
//! assert!(check_password_strength("admin", "0f9c2e71d4b8a6530f9c2e71d4b8a653").is_ok());
//! assert!(check_password_strength("admin", "admin1234567").is_err());
//! ```

mod client;
mod device;
mod limiter;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use twilio_webhook::{BasicAuth, TrustedProxies};

pub use limiter::{GLOBAL_FAILURES, MAX_FAILURES, NETWORK_FAILURES};

use super::error::HttpError;

/// The organiser credentials, the failed-sign-in counts and the device-cookie key, shared by
/// every request.
#[derive(Clone)]
pub(crate) struct Guard {
    credentials: Option<BasicAuth>,
    limiter: Arc<limiter::Limiter>,
    devices: Option<Arc<device::Devices>>,
    trusted: Arc<TrustedProxies>,
}

impl Guard {
    /// `secure` when the server is reached over HTTPS (the device cookie is then `Secure`).
    pub(crate) fn new(
        credentials: Option<BasicAuth>,
        trusted: TrustedProxies,
        secure: bool,
    ) -> Self {
        let devices = device::Devices::new(secure).map(Arc::new);
        if devices.is_none() {
            tracing::warn!(
                "no randomness for the device-cookie key: sign-ins get no device cookie"
            );
        }
        Self {
            credentials,
            limiter: Arc::new(limiter::Limiter::default()),
            devices,
            trusted: Arc::new(trusted),
        }
    }

    /// The request's device cookie, when it verifies for `user`.
    fn device(&self, headers: &HeaderMap, user: Option<&str>) -> Option<device::Device> {
        self.devices.as_ref()?.presented(headers, user?)
    }

    /// How long the client must wait: a device by its own failures, anyone else by the
    /// address, network and global limits.
    fn wait(
        &self,
        client: IpAddr,
        device: Option<device::Device>,
        now: Instant,
    ) -> Option<Duration> {
        match (device, &self.devices) {
            (Some(device), Some(devices)) => devices.blocked(device, now),
            _ => self.limiter.blocked(client, now),
        }
    }

    /// Counts a failed sign-in; `true` when it was counted on the device cookie.
    fn failed(&self, client: IpAddr, device: Option<device::Device>, now: Instant) -> bool {
        let on_device = match (device, &self.devices) {
            (Some(device), Some(devices)) => devices.failed(device, now),
            _ => false,
        };
        if !on_device {
            self.limiter.failed(client, now);
        }
        on_device
    }
}

/// The peer's address, `None` when the server does not know it.
fn peer(extensions: &Extensions) -> Option<IpAddr> {
    Some(extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip())
}

/// Middleware: lets the request through only with the organiser's credentials.
///
/// A refusal is the library's rejection, so its challenge carries the configured realm.
/// Without configured credentials every request is refused (fail closed). A request with a
/// valid device cookie for the user it signs in as is limited by that cookie's failures
/// only; any other by its address's, its network's and the server's.
pub(crate) async fn require_admin(
    State(guard): State<Guard>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(credentials) = &guard.credentials else {
        return HttpError::Unauthorized.into_response();
    };
    let client = client::resolve(
        &guard.trusted,
        peer(request.extensions()),
        request.headers(),
    )
    .map_or(
        IpAddr::from([0, 0, 0, 0]),
        twilio_guard_serve::address_group,
    );
    let now = Instant::now();
    let given = request.headers().get(header::AUTHORIZATION).cloned();
    let user = given.as_ref().map(|v| user_name(v.as_bytes()));
    let device = guard.device(request.headers(), user.as_deref());
    if let Some(wait) = guard.wait(client, device, now) {
        return HttpError::RateLimited(wait.as_secs().max(1)).into_response();
    }
    match credentials.check(given.as_ref().map(|v| v.as_bytes())) {
        Ok(()) => {
            let who = Organiser(user.clone().unwrap_or_default());
            request.extensions_mut().insert(who);
            let mut response = next.run(request).await;
            if let (None, Some(devices), Some(user)) = (device, &guard.devices, &user)
                && let Some(cookie) = devices.issue(user)
            {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(rejection) => {
            // A browser's first request carries no credentials: that is a prompt, not a
            // failed attempt.
            if let Some(user) = user {
                let on_device = guard.failed(client, device, now);
                tracing::warn!(%client, user = ?user, device = on_device, "organiser sign-in failed");
            }
            rejection.into_response()
        }
    }
}

/// The signed-in organiser's user name, for the record of their changes (a request
/// extension on every organiser request).
#[derive(Debug, Clone)]
pub(crate) struct Organiser(pub(crate) String);

/// The user name of a basic-auth header, for the log: at most 64 characters, control
/// characters dropped, never the password.
fn user_name(authorization: &[u8]) -> String {
    let decoded = authorization
        .strip_prefix(b"Basic ")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
    let Some(decoded) = decoded else {
        return "(not basic auth)".to_owned();
    };
    let user = decoded.split(|&b| b == b':').next().unwrap_or_default();
    String::from_utf8_lossy(user)
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

/// Why a password is refused as the organiser password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WeakPassword {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters beyond common words and the user name.
    #[error(
        "too short or too common: it needs at least {MIN_PASSWORD_CHARS} characters besides \
         common words and the user name (try `openssl rand -hex 16`)"
    )]
    TooShort,
    /// Fewer than [`MIN_DISTINCT_CHARS`] different characters.
    #[error(
        "too repetitive: it needs at least {MIN_DISTINCT_CHARS} different characters (try \
         `openssl rand -hex 16`)"
    )]
    Repetitive,
}

/// Characters an organiser password needs, beyond common words and the user name.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Different characters an organiser password needs.
pub const MIN_DISTINCT_CHARS: usize = 6;
/// Words and runs that add next to nothing to a password (checked case-insensitively).
const COMMON: [&str; 12] = [
    "password",
    "passwort",
    "admin",
    "qwerty",
    "azerty",
    "letmein",
    "welcome",
    "secret",
    "organiser",
    "organizer",
    "0123456789",
    "abcdefghij",
];

/// The rule an organiser password must pass at start: long enough once common words, runs
/// and the user name are taken out, and not one character repeated. A generated 32-hex-digit
/// password (the demo's) passes with room to spare.
pub fn check_password_strength(user: &str, password: &str) -> Result<(), WeakPassword> {
    let mut rest = password.to_lowercase();
    let user = user.to_lowercase();
    for word in COMMON.iter().copied().chain([user.as_str()]) {
        if !word.is_empty() {
            rest = rest.replace(word, "");
        }
    }
    // Runs of a common word's prefix ("0123", "abcd") count once too.
    for run in ["0123456789", "9876543210", "abcdefghij"] {
        for len in (4..run.len()).rev() {
            rest = rest.replace(&run[..len], "");
        }
    }
    if rest.chars().count() < MIN_PASSWORD_CHARS {
        return Err(WeakPassword::TooShort);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return Err(WeakPassword::Repetitive);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        for weak in [
            "",
            "bench",
            "short-pw",
            "password1234",
            "Password12345678",
            "admin-admin-admin",
            "aaaaaaaaaaaaaaaaaaaa",
            "abababababababab",
            "0123456789012345",
            "qwertyqwerty1",
            "alice-alice-alice",
        ] {
            assert!(check_password_strength("alice", weak).is_err(), "{weak:?}");
        }
        for strong in [
            "0f9c2e71d4b8a6530f9c2e71d4b8a653",
            "correct-horse-battery-staple",
            "pw-not-in-logs",
            "Tr0ub4dor&3xyz",
        ] {
            assert_eq!(
                check_password_strength("alice", strong),
                Ok(()),
                "{strong:?}"
            );
        }
    }

    #[test]
    fn user_name_never_holds_the_password() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("mallory\n:hunter2-secret")
        );
        assert_eq!(user_name(header.as_bytes()), "mallory");
        assert_eq!(user_name(b"Bearer x"), "(not basic auth)");
    }
}
