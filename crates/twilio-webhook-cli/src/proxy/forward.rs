//! Forwarding a verified request upstream and relaying the answer back.
//!
//! Runs behind the validation core's tower layer, so every request reaching the forwarder
//! carries its [`VerifiedWebhook`]; the body is the exact bytes that were verified.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONNECTION, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use twilio_webhook::tower::{PeerAddr, rejection_response};
use twilio_webhook::{Rejection, TrustedProxies, VerifiedWebhook};

use super::ResponseBody;
use super::metrics::{Metrics, Outcome};

/// The header naming the key slot that verified the request.
pub const VERIFIED_HEADER: &str = "x-twilio-verified";

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

/// The largest upstream answer the proxy relays; a larger one is a 502. Twilio caps a TwiML
/// document far below this.
pub const MAX_ANSWER: usize = 1024 * 1024;

/// Why the upstream gave no answer; the proxy's own statuses, declared here once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The upstream refused the connection, broke it before answering in full, or answered
    /// more than [`MAX_ANSWER`] bytes (502).
    #[error("upstream refused or failed")]
    Refused,
    /// The upstream did not answer within the deadline (504).
    #[error("upstream missed the deadline")]
    Timeout,
}

impl UpstreamError {
    /// The status the client gets.
    pub fn status(self) -> StatusCode {
        match self {
            UpstreamError::Refused => StatusCode::BAD_GATEWAY,
            UpstreamError::Timeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    fn body(self) -> &'static str {
        match self {
            UpstreamError::Refused => "Bad gateway",
            UpstreamError::Timeout => "Gateway timeout",
        }
    }

    fn outcome(self) -> Outcome {
        match self {
            UpstreamError::Refused => Outcome::BadGateway,
            UpstreamError::Timeout => Outcome::GatewayTimeout,
        }
    }
}

/// Marks a response as the proxy's own (forwarded or gateway error), for the metrics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answered(pub(crate) Outcome);

/// The upstream half of the proxy.
#[derive(Debug)]
pub(crate) struct Forwarder {
    client: Client<HttpConnector, Full<Bytes>>,
    /// `http://host:port` of the upstream.
    origin: String,
    /// Path prefix of the upstream URL, without a trailing `/`.
    prefix: String,
    deadline: Duration,
    trusted: TrustedProxies,
    /// `http` or `https`: what this proxy's listener speaks.
    scheme: &'static str,
    metrics: Arc<Metrics>,
}

impl Forwarder {
    pub(crate) fn new(
        upstream: &super::Upstream,
        deadline: Duration,
        trusted: TrustedProxies,
        scheme: &'static str,
        metrics: Arc<Metrics>,
    ) -> Forwarder {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(deadline));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Forwarder {
            client,
            origin: upstream.origin.clone(),
            prefix: upstream.prefix.clone(),
            deadline,
            trusted,
            scheme,
            metrics,
        }
    }

    /// Forwards `request` (already verified) and answers with the upstream's response.
    pub(crate) async fn forward(&self, request: Request<Full<Bytes>>) -> Response<ResponseBody> {
        let Some(slot) = request
            .extensions()
            .get::<VerifiedWebhook>()
            .map(|w| w.verified().key().to_owned())
        else {
            // Unreachable behind the layer; fail closed all the same.
            return rejection_response(&Rejection::NotVerified);
        };
        let upstream = match self.upstream_request(request, &slot) {
            Some(r) => r,
            None => return self.gateway_error(UpstreamError::Refused),
        };
        let start = Instant::now();
        // One deadline for the whole answer, body included: an upstream that sends its head
        // and then stalls must not hold Twilio's request (and its replay lease) open.
        let answer = tokio::time::timeout(self.deadline, self.answer(upstream)).await;
        let (mut parts, body) = match answer {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => return self.gateway_error(error),
            Err(_) => return self.gateway_error(UpstreamError::Timeout),
        };
        self.metrics.upstream_latency(start.elapsed().as_secs_f64());
        strip_hop_by_hop(&mut parts.headers);
        parts.extensions.insert(Answered(Outcome::Forwarded));
        Response::from_parts(parts, Full::new(body).map_err(Into::into).boxed_unsync())
    }

    /// The upstream's answer, read whole (a webhook answer is a small TwiML document; at most
    /// [`MAX_ANSWER`] bytes).
    async fn answer(
        &self,
        upstream: Request<Full<Bytes>>,
    ) -> Result<(http::response::Parts, Bytes), UpstreamError> {
        let refused = |e: &dyn std::fmt::Display| {
            tracing::warn!(error = %e, "upstream request failed");
            UpstreamError::Refused
        };
        let response = self
            .client
            .request(upstream)
            .await
            .map_err(|e| refused(&e))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| refused(&e))?;
        Ok((parts, body.to_bytes()))
    }

    fn upstream_request(
        &self,
        request: Request<Full<Bytes>>,
        slot: &str,
    ) -> Option<Request<Full<Bytes>>> {
        let (mut parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let uri: Uri = format!("{}{}{target}", self.origin, self.prefix)
            .parse()
            .ok()?;
        let peer = parts.extensions.get::<PeerAddr>().map(|p| p.0);
        let host = parts.headers.get(HOST).cloned();
        let headers = &mut parts.headers;
        strip_hop_by_hop(headers);
        // Whatever came from outside under this name is a forgery: only we say what verified.
        headers.remove(VERIFIED_HEADER);
        headers.remove(HOST);
        self.forwarded_headers(headers, peer, host);
        headers.insert(VERIFIED_HEADER, HeaderValue::from_str(slot).ok()?);
        parts.uri = uri;
        parts.version = http::Version::HTTP_11;
        Some(Request::from_parts(parts, body))
    }

    /// `X-Forwarded-For` gains the peer; `-Proto`/`-Host` are ours unless a trusted proxy in
    /// front of us set them.
    fn forwarded_headers(
        &self,
        headers: &mut HeaderMap,
        peer: Option<SocketAddr>,
        host: Option<HeaderValue>,
    ) {
        let trusted = peer.is_some_and(|p| self.trusted.contains(p.ip()));
        if let Some(peer) = peer {
            let ip = peer.ip().to_string();
            let value = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
                Some(list) if trusted => format!("{list}, {ip}"),
                _ => ip,
            };
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert("x-forwarded-for", value);
            }
        }
        if !(trusted && headers.contains_key("x-forwarded-proto")) {
            headers.insert("x-forwarded-proto", HeaderValue::from_static(self.scheme));
        }
        if !(trusted && headers.contains_key("x-forwarded-host")) {
            match host {
                Some(host) => headers.insert("x-forwarded-host", host),
                None => headers.remove("x-forwarded-host"),
            };
        }
    }

    fn gateway_error(&self, error: UpstreamError) -> Response<ResponseBody> {
        let body = Full::new(Bytes::from_static(error.body().as_bytes()))
            .map_err(Into::into)
            .boxed_unsync();
        let mut response = Response::new(body);
        *response.status_mut() = error.status();
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(Rejection::CONTENT_TYPE),
        );
        response.extensions_mut().insert(Answered(error.outcome()));
        response
    }
}

/// Removes hop-by-hop headers, including any the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    // `Upgrade` too: a webhook is never a protocol switch.
    headers.remove(http::header::UPGRADE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("close, x-secret-hop"),
        );
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        h.insert("x-twilio-signature", HeaderValue::from_static("abc"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-twilio-signature"));
    }

    #[test]
    fn gateway_errors_have_their_status() {
        assert_eq!(UpstreamError::Refused.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(UpstreamError::Timeout.status(), StatusCode::GATEWAY_TIMEOUT);
    }
}
