//! Forwarding a verified request upstream and relaying the answer back.
//!
//! Runs behind the validation core's tower layer, so every request reaching the forwarder
//! carries its [`VerifiedWebhook`]; the body is the exact bytes that were verified.
//!
//! What the upstream hears about the request comes from us, never from the client: every
//! client-sent forwarding header ([`FORWARDING`], any `X-Forwarded-*`, `X-Twilio-Verified*`,
//! the Standard Webhooks headers) is removed, and `X-Forwarded-For/-Proto/-Host` and
//! `Forwarded` are written from the peer address and the URL that verified. A client's
//! `Connection:` list removes hop-by-hop headers only, never an end-to-end one
//! (`Content-Type`, `Content-Length`, the signature headers, ours).

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
use twilio_webhook::{Rejection, VerifiedWebhook, WebhookConfig, WebhookRequest};

use super::metrics::{Metrics, Outcome};
use super::public::{self, Public};
use super::resign::{self, Resigner};
use super::{Built, ResponseBody};

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

/// Headers a client may name in `Connection:` that are never removed for it: the ones the
/// verification read or the upstream needs to read the verified body (RFC 9110 lets a
/// `Connection` list name any field; a proxy that obeys blindly forwards a body without its
/// `Content-Type`).
const END_TO_END: [&str; 7] = [
    "content-type",
    "content-length",
    "content-encoding",
    "x-twilio-signature",
    "x-twilio-webhooks-signature-settings",
    "i-twilio-idempotency-token",
    "authorization",
];

/// Headers that claim where a request came from or what verified it. From a client they are
/// forgeries (an app behind us that trusts us would believe them); we write our own.
pub const FORWARDING: [&str; 10] = [
    "forwarded",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "x-cluster-client-ip",
    "x-original-forwarded-for",
    "x-original-host",
    "x-original-url",
    "x-host",
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

/// The upstream half of the proxy (one per route).
#[derive(Debug)]
pub(crate) struct Forwarder {
    client: Client<HttpConnector, Full<Bytes>>,
    /// `http://host:port` of the upstream.
    origin: String,
    /// Path prefix of the upstream URL, without a trailing `/`.
    prefix: String,
    deadline: Duration,
    public: Public,
    /// The route's checks (with the listener's scheme): they say which URL verified.
    webhook: WebhookConfig,
    resign: Option<Arc<Resigner>>,
    metrics: Arc<Metrics>,
}

impl Forwarder {
    pub(crate) fn new(
        route: &Built,
        deadline: Duration,
        public: Public,
        webhook: WebhookConfig,
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
            origin: route.upstream.origin.clone(),
            prefix: route.upstream.prefix.clone(),
            deadline,
            public,
            webhook,
            resign: route.resign.clone(),
            metrics,
        }
    }

    /// Forwards `request` (already verified) and answers with the upstream's response.
    pub(crate) async fn forward(&self, request: Request<Full<Bytes>>) -> Response<ResponseBody> {
        let Some(webhook) = request.extensions().get::<VerifiedWebhook>().cloned() else {
            // Unreachable behind the layer; fail closed all the same.
            return rejection_response(&Rejection::NotVerified);
        };
        let upstream = match self.upstream_request(request, &webhook) {
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
        webhook: &VerifiedWebhook,
    ) -> Option<Request<Full<Bytes>>> {
        let (mut parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let uri: Uri = format!("{}{}{target}", self.origin, self.prefix)
            .parse()
            .ok()?;
        let peer = parts.extensions.get::<PeerAddr>().map(|p| p.0);
        let ip = peer.map(|p| p.ip());
        // Read before anything is removed: the same inputs, and the same code, that verified.
        let request = WebhookRequest::new(parts.method.as_str(), target, &parts.headers).peer(peer);
        let signed = self.webhook.signed_url(&request).ok()?;
        let (proto, host) = public::scheme_and_host(&signed)?;
        let chain = self
            .public
            .trusts(ip)
            .then(|| joined(&parts.headers, "x-forwarded-for"))
            .flatten();
        let headers = &mut parts.headers;
        strip_hop_by_hop(headers);
        strip_forwarding(headers);
        headers.remove(HOST);
        let ours = Ours {
            peer,
            chain,
            proto,
            host,
        };
        ours.write(headers)?;
        headers.insert(
            VERIFIED_HEADER,
            HeaderValue::from_str(webhook.verified().key()).ok()?,
        );
        if let Some(resigner) = &self.resign {
            let id = format!("msg_{}", webhook.fingerprint().to_hex());
            // The method, path and query exactly as the upstream gets them.
            let upstream_target = format!("{}{target}", self.prefix);
            let method = parts.method.as_str();
            for (name, value) in resigner.headers(&id, method, &upstream_target, webhook.body()) {
                headers.insert(name, HeaderValue::from_str(&value).ok()?);
            }
        }
        parts.uri = uri;
        parts.version = http::Version::HTTP_11;
        Some(Request::from_parts(parts, body))
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

/// What we tell the upstream about the request: all of it verified or seen by us.
struct Ours {
    peer: Option<SocketAddr>,
    /// A trusted proxy's `X-Forwarded-For` list, extended rather than replaced.
    chain: Option<String>,
    proto: String,
    host: String,
}

impl Ours {
    fn write(&self, headers: &mut HeaderMap) -> Option<()> {
        let ip = self.peer.map(|p| p.ip());
        if let Some(ip) = ip {
            let value = match &self.chain {
                Some(list) => format!("{list}, {ip}"),
                None => ip.to_string(),
            };
            headers.insert("x-forwarded-for", HeaderValue::from_str(&value).ok()?);
        }
        headers.insert(
            "x-forwarded-proto",
            HeaderValue::from_str(&self.proto).ok()?,
        );
        headers.insert("x-forwarded-host", HeaderValue::from_str(&self.host).ok()?);
        // RFC 7239: an IPv6 node is quoted and bracketed; the host is quoted as it may hold `:`.
        let node = match ip {
            Some(std::net::IpAddr::V6(v6)) => format!("\"[{v6}]\""),
            Some(v4) => v4.to_string(),
            None => "unknown".to_owned(),
        };
        let forwarded = format!("for={node};proto={};host=\"{}\"", self.proto, self.host);
        headers.insert("forwarded", HeaderValue::from_str(&forwarded).ok()?);
        Some(())
    }
}

/// Every value of `name`, joined with `, ` (a list header may come on several lines).
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Removes every header that claims where the request came from or what verified it.
fn strip_forwarding(headers: &mut HeaderMap) {
    let forged: Vec<HeaderName> = headers
        .keys()
        .filter(|name| {
            let name = name.as_str();
            name.starts_with("x-forwarded-")
                || name.starts_with(VERIFIED_HEADER)
                || FORWARDING.contains(&name)
                || resign::HEADERS.contains(&name)
                || name == resign::BINDING_HEADER
        })
        .cloned()
        .collect();
    for name in forged {
        headers.remove(name);
    }
}

/// Removes hop-by-hop headers, including any the `Connection` header names, except the
/// end-to-end ones in [`END_TO_END`].
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .filter(|name| !END_TO_END.contains(&name.as_str()))
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
        // End-to-end headers stay whatever `Connection` says.
        h.insert(
            "connection",
            HeaderValue::from_static("Content-Type, x-twilio-signature, content-length"),
        );
        h.insert("content-type", HeaderValue::from_static("text/plain"));
        strip_hop_by_hop(&mut h);
        assert!(h.contains_key("content-type") && h.contains_key("x-twilio-signature"));
    }

    #[test]
    fn gateway_errors_have_their_status() {
        assert_eq!(UpstreamError::Refused.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(UpstreamError::Timeout.status(), StatusCode::GATEWAY_TIMEOUT);
    }
}
