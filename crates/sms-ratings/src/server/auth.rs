//! HTTP basic auth for the organiser pages and API, compared in constant time.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::HttpError;

/// The organiser's user name and password.
#[derive(Clone)]
pub struct Credentials {
    user: [u8; 32],
    password: [u8; 32],
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([redacted])")
    }
}

impl Credentials {
    /// Credentials to check against. Only digests are kept: comparing digests takes the
    /// same time whatever the lengths, and the password never sits in memory in clear.
    pub fn new(user: &str, password: &str) -> Self {
        Self {
            user: Sha256::digest(user.as_bytes()).into(),
            password: Sha256::digest(password.as_bytes()).into(),
        }
    }

    /// True when an `Authorization` header value carries these credentials.
    pub fn check(&self, authorization: &str) -> bool {
        let Some(encoded) = authorization
            .strip_prefix("Basic ")
            .or_else(|| authorization.strip_prefix("basic "))
        else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else {
            return false;
        };
        let user: [u8; 32] = Sha256::digest(&decoded[..colon]).into();
        let password: [u8; 32] = Sha256::digest(&decoded[colon + 1..]).into();
        // Both halves are always compared (`&`, not `&&`): no early exit on the user name.
        bool::from(user.ct_eq(&self.user) & password.ct_eq(&self.password))
    }
}

/// Middleware: lets the request through only with the organiser's credentials.
/// Without configured credentials every request is refused (fail closed).
pub(crate) async fn require_admin(
    State(credentials): State<Option<Credentials>>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match (credentials, given) {
        (Some(c), Some(given)) if c.check(given) => Ok(next.run(request).await),
        _ => Err(HttpError::Unauthorized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn checks_user_and_password() {
        let c = Credentials::new("admin", "s3cret:with:colons");
        assert!(c.check(&header("admin:s3cret:with:colons")));
        assert!(!c.check(&header("admin:wrong")));
        assert!(!c.check(&header("root:s3cret:with:colons")));
        assert!(!c.check(&header("admin")));
        assert!(!c.check("Bearer x"));
        assert!(!c.check("Basic !!!"));
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
