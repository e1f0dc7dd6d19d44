//! HTTP basic auth for the organiser pages and API (the library's constant-time check), the
//! limit on failed sign-ins per client address, and the strength rule for the password.
//!
//! A client address that fails [`MAX_FAILURES`] times within [`FAILURE_WINDOW`] gets `429 Too Many
//! Requests` with `Retry-After` for every organiser request until the window ends, even with
//! the right password (else the 429 would tell a guesser which answer was right). Each
//! failure is logged with the client address and the user name tried, never the password.
//!
//! ```
//! use sms_ratings::server::check_password_strength;
//!
//! assert!(check_password_strength("admin", "0f9c2e71d4b8a6530f9c2e71d4b8a653").is_ok());
//! assert!(check_password_strength("admin", "admin1234567").is_err());
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use twilio_webhook::BasicAuth;

use super::error::HttpError;

/// Failed sign-ins one client address may make per [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// The window failed sign-ins are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Client addresses tracked at once; beyond, expired entries are dropped first and then all
/// further addresses share one entry (memory stays bounded whatever the address spread).
const TRACKED: usize = 16_384;

/// The organiser credentials and the failed-sign-in counts, shared by every request.
#[derive(Clone)]
pub(crate) struct Guard {
    credentials: Option<BasicAuth>,
    limiter: Arc<LoginLimiter>,
}

impl Guard {
    pub(crate) fn new(credentials: Option<BasicAuth>) -> Self {
        Self {
            credentials,
            limiter: Arc::new(LoginLimiter::default()),
        }
    }
}

/// Failed sign-ins per client address in the current window.
#[derive(Default)]
struct LoginLimiter {
    windows: Mutex<HashMap<Option<IpAddr>, Window>>,
}

#[derive(Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl LoginLimiter {
    /// How long `client` must wait, when it used up its failures.
    fn blocked(&self, client: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let windows = self.windows.lock().ok()?;
        let w = windows.get(&client)?;
        let ends = w.started + FAILURE_WINDOW;
        (w.failures >= MAX_FAILURES && ends > now).then(|| ends - now)
    }

    /// Counts one failure of `client`.
    fn failed(&self, client: Option<IpAddr>, now: Instant) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        if windows.len() >= TRACKED {
            windows.retain(|_, w| w.started + FAILURE_WINDOW > now);
        }
        let key = if windows.len() >= TRACKED && !windows.contains_key(&client) {
            None
        } else {
            client
        };
        let w = windows.entry(key).or_insert(Window {
            started: now,
            failures: 0,
        });
        if w.started + FAILURE_WINDOW <= now {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }
}

/// The client's address as the limits count it: IPv6 by its /64 (one host usually holds a
/// whole /64, so counting single addresses would not limit it). `None` when the server
/// does not know the peer (all such clients share one count).
pub(crate) fn client_address(extensions: &Extensions) -> Option<IpAddr> {
    let ip = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    })
}

/// Middleware: lets the request through only with the organiser's credentials.
///
/// A refusal is the library's rejection, so its challenge carries the configured realm.
/// Without configured credentials every request is refused (fail closed).
pub(crate) async fn require_admin(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Response {
    let Some(credentials) = &guard.credentials else {
        return HttpError::Unauthorized.into_response();
    };
    let client = client_address(request.extensions());
    let now = Instant::now();
    if let Some(wait) = guard.limiter.blocked(client, now) {
        return HttpError::RateLimited(wait.as_secs().max(1)).into_response();
    }
    let given = request.headers().get(header::AUTHORIZATION);
    match credentials.check(given.map(|v| v.as_bytes())) {
        Ok(()) => next.run(request).await,
        Err(rejection) => {
            // A browser's first request carries no credentials: that is a prompt, not a
            // failed attempt.
            if let Some(given) = given {
                guard.limiter.failed(client, now);
                let user = user_name(given.as_bytes());
                let client = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
                tracing::warn!(%client, user = ?user, "organiser sign-in failed");
            }
            rejection.into_response()
        }
    }
}

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
    fn limiter_blocks_after_the_limit_and_forgets_after_the_window() {
        let limiter = LoginLimiter::default();
        let ip = Some(IpAddr::from([192, 0, 2, 1]));
        let other = Some(IpAddr::from([192, 0, 2, 2]));
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.blocked(ip, t0), None);
            limiter.failed(ip, t0);
        }
        let wait = limiter.blocked(ip, t0 + Duration::from_secs(10));
        assert_eq!(wait, Some(FAILURE_WINDOW - Duration::from_secs(10)));
        assert_eq!(limiter.blocked(other, t0), None, "per address");
        assert_eq!(limiter.blocked(ip, t0 + FAILURE_WINDOW), None);
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
