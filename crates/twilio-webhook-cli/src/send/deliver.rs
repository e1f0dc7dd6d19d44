//! Sending one prepared request the way Twilio does, basic-auth challenge included.
//!
//! The answer is read up to [`MAX_ANSWER`] + 1 bytes and no further: the endpoint may be
//! hostile (a 512 MiB reply once held 1.1 GB), and Twilio itself gives up on a TwiML
//! document over 64 KB (error 11750), so anything bigger is "too large" whatever follows.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::{Client, StatusCode};

use super::twilio::{Credentials, Method, Prepared};

/// What came back.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The final status (after a basic-auth retry, if there was one).
    pub(crate) status: StatusCode,
    /// From the first byte sent to the last byte of the final reply.
    pub(crate) elapsed: Duration,
    /// Whether the endpoint challenged with `401` and got the credentials on a second try.
    pub(crate) challenged: bool,
    /// The reply's `Content-Type`.
    pub(crate) content_type: Option<String>,
    /// The reply body: at most [`MAX_ANSWER`] bytes (the first ones when `too_large`).
    pub(crate) body: Bytes,
    /// Whether the body went on past [`MAX_ANSWER`] bytes (the rest was never read).
    pub(crate) too_large: bool,
}

/// The largest answer read: Twilio's own TwiML limit, 64 KiB.
pub(crate) const MAX_ANSWER: usize = 64 * 1024;

/// Sends `request`; answers a `401` carrying a `Basic` challenge once with `credentials`.
pub(crate) async fn deliver(
    client: &Client,
    request: &Prepared,
    credentials: Option<&Credentials>,
) -> Result<Reply, reqwest::Error> {
    let start = Instant::now();
    let mut response = build(client, request, None).send().await?;
    let mut challenged = false;
    if let Some(creds) = credentials.filter(|_| is_basic_challenge(&response)) {
        challenged = true;
        response = build(client, request, Some(creds)).send().await?;
    }
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (body, too_large) = bounded_body(&mut response).await?;
    Ok(Reply {
        status,
        elapsed: start.elapsed(),
        challenged,
        content_type,
        body,
        too_large,
    })
}

/// The body up to [`MAX_ANSWER`] bytes, and whether more came; reading stops at the first
/// chunk past the limit (dropping the response then closes the connection).
async fn bounded_body(response: &mut reqwest::Response) -> Result<(Bytes, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((Bytes::from(body), true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((Bytes::from(body), false))
}

fn build(
    client: &Client,
    request: &Prepared,
    credentials: Option<&Credentials>,
) -> reqwest::RequestBuilder {
    let method = match request.method {
        Method::Post => reqwest::Method::POST,
        Method::Get => reqwest::Method::GET,
    };
    let mut builder = client.request(method, &request.url);
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    if let Some(c) = credentials {
        builder = builder.basic_auth(&c.user, Some(&c.password));
    }
    if request.method == Method::Post {
        builder = builder.body(request.body.clone());
    }
    builder
}

fn is_basic_challenge(response: &reqwest::Response) -> bool {
    response.status() == StatusCode::UNAUTHORIZED
        && response
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .any(|v| {
                v.as_bytes()
                    .get(..5)
                    .is_some_and(|s| s.eq_ignore_ascii_case(b"basic"))
            })
}
