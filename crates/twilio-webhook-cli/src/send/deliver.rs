//! Sending one prepared request the way Twilio does, basic-auth challenge included.

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
    /// The reply body.
    pub(crate) body: Bytes,
}

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
    let body = response.bytes().await?;
    Ok(Reply {
        status,
        elapsed: start.elapsed(),
        challenged,
        content_type,
        body,
    })
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
