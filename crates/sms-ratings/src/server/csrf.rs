//! Cross-site request forgery protection for the organiser's forms.
//!
//! The browser resends basic-auth credentials on its own, so a page on another site could
//! post a form here with the organiser's rights. Every state-changing request must show it
//! came from one of our pages, twice over:
//!
//! - **Origin**: a browser says whether a POST comes from our own pages (`Sec-Fetch-Site`)
//!   and names the page's origin (`Origin`, compared with `Host`). Either one naming another
//!   site is refused.
//! - **Token** (double submit): pages set a random token in a `SameSite=Strict`, `HttpOnly`
//!   cookie and put the same token in a hidden `csrf` field of each form; the two must be
//!   equal (compared in constant time). Another site can neither read the cookie nor, with
//!   `SameSite=Strict`, make the browser send it.
//!
//! A refusal is 403 and the request never reaches its handler. [`protect`] is the one
//! middleware on every organiser page route: safe methods get the token (and the cookie when
//! it is new), every other method is checked.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq as _;

use super::error::HttpError;

/// The cookie holding the token.
pub(crate) const COOKIE: &str = "sms_ratings_csrf";
/// The form field holding the token.
pub(crate) const FIELD: &str = "csrf";
/// Largest form body read (organiser forms are small).
const FORM_LIMIT: usize = 64 * 1024;
/// Random bytes per token.
const TOKEN_BYTES: usize = 32;

/// The anti-forgery token for this browser, for the page's forms.
#[derive(Debug, Clone)]
pub(crate) struct CsrfToken(pub(crate) String);

/// Whether the cookie carries `Secure` (the server is reached over HTTPS).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SecureCookie(pub(crate) bool);

/// The middleware: see the module docs.
pub(crate) async fn protect(
    State(secure): State<SecureCookie>,
    mut request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        return match verify(request).await {
            Ok(request) => next.run(request).await,
            Err(e) => e.into_response(),
        };
    }
    let (token, new) = match cookie_token(request.headers()) {
        Some(token) => (token, false),
        None => match new_token() {
            Some(token) => (token, true),
            None => return HttpError::Internal.into_response(),
        },
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if new {
        let secure = if secure.0 { "; Secure" } else { "" };
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Checks origin and token; gives the request back (body restored) when both hold.
async fn verify(request: Request) -> Result<Request, HttpError> {
    let (mut parts, body) = request.into_parts();
    if !same_origin(&parts.headers) {
        tracing::warn!(method = %parts.method, path = %parts.uri.path(), "cross-site form refused");
        return Err(HttpError::Forbidden);
    }
    let cookie = cookie_token(&parts.headers).ok_or(HttpError::Forbidden)?;
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| HttpError::Forbidden)?;
    let field = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let equal =
        field.len() == cookie.len() && bool::from(field.as_bytes().ct_eq(cookie.as_bytes()));
    if !equal {
        tracing::warn!(path = %parts.uri.path(), "form without a matching anti-forgery token refused");
        return Err(HttpError::Forbidden);
    }
    parts.extensions.insert(CsrfToken(cookie));
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// False when `Sec-Fetch-Site` or `Origin` says the request comes from another site. A
/// request with neither (not from a browser) is left to the token check.
///
/// Our pages send `Referrer-Policy: no-referrer` (share links are secrets), and under that
/// policy a browser posts a form with `Origin: null`, so `null` passes only beside
/// `Sec-Fetch-Site: same-origin` (a header no page can set).
fn same_origin(headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").map(HeaderValue::as_bytes);
    if site.is_some_and(|s| s != b"same-origin") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    if origin.as_bytes() == b"null" {
        return site.is_some();
    }
    let host = headers.get(header::HOST).map(HeaderValue::as_bytes);
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, authority)| authority.as_bytes());
    match (authority, host) {
        (Some(a), Some(h)) => a.eq_ignore_ascii_case(h),
        _ => false,
    }
}

/// The token in the request's cookie, when it has the shape of one of ours.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| is_token(v))
}

/// True when `s` has the shape of a [`new_token`]: 43 base64url characters.
pub(crate) fn is_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 32 random bytes, base64url (anti-forgery tokens, share links).
pub(crate) fn new_token() -> Option<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origin_must_be_ours() {
        let host = ("host", "ratings.example.com");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "https://ratings.example.com")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
    }

    #[test]
    fn tokens_are_random_and_recognised() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        let h = headers(&[("cookie", &format!("x=1; {COOKIE}={a}; y=2"))]);
        assert_eq!(cookie_token(&h), Some(a));
        let forged = headers(&[("cookie", &format!("{COOKIE}=short"))]);
        assert_eq!(cookie_token(&forged), None);
    }
}
