//! The plain-HTTP listener of `--http-listen`: answers ACME HTTP-01 challenges, sends
//! browsers to https, and refuses everything else, webhooks above all (a webhook is never
//! served over plain HTTP: its signature, votes and passwords would cross in the clear).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use http::{Method, Request, Response, StatusCode, header};

use super::resolver::Resolver;
use crate::RequestBody;

/// The path prefix of HTTP-01 (RFC 8555 §8.3).
const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge/";

/// What the listener needs to answer.
#[derive(Debug, Clone)]
pub(crate) struct Http01 {
    pub(crate) resolver: Arc<Resolver>,
    /// The certificate's domains: a redirect goes only to one of them.
    pub(crate) domains: Arc<[String]>,
    /// The TLS listener's port (left out of redirects when it is 443).
    pub(crate) https_port: u16,
}

impl Http01 {
    /// The answer to one request.
    pub(crate) fn answer(&self, request: &Request<RequestBody>) -> Response<Body> {
        let path = request.uri().path();
        let reading = matches!(*request.method(), Method::GET | Method::HEAD);
        if let Some(token) = path.strip_prefix(CHALLENGE_PREFIX) {
            return match self.resolver.challenges.http(token).filter(|_| reading) {
                Some(key_authorization) => text(StatusCode::OK, key_authorization),
                None => text(StatusCode::NOT_FOUND, "no such challenge\n".into()),
            };
        }
        if !reading {
            return text(
                StatusCode::FORBIDDEN,
                format!(
                    "plain HTTP is refused here: webhooks are only accepted over HTTPS. Point the \
                     webhook at {}{path}\n",
                    self.origin(request)
                ),
            );
        }
        let target = format!(
            "{}{}",
            self.origin(request),
            request.uri().path_and_query().map_or("/", |p| p.as_str())
        );
        let mut response = text(StatusCode::PERMANENT_REDIRECT, format!("see {target}\n"));
        if let Ok(location) = header::HeaderValue::from_str(&target) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }

    /// `https://host[:port]` for the request's Host if it is one of the domains (never an
    /// open redirect to a name the client chose), else the first domain.
    fn origin(&self, request: &Request<RequestBody>) -> String {
        let asked = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| {
                h.rsplit_once(':')
                    .map_or(h, |(name, _)| name)
                    .to_ascii_lowercase()
            });
        let host = asked
            .filter(|h| self.domains.contains(h))
            .or_else(|| self.domains.first().cloned())
            .unwrap_or_default();
        match self.https_port {
            443 => format!("https://{host}"),
            port => format!("https://{host}:{port}"),
        }
    }

    /// The tower service for [`crate::serve`].
    pub(crate) fn service(self) -> impl crate::Service<Body> {
        tower::service_fn(move |request: Request<RequestBody>| {
            let response = self.answer(&request);
            async move { Ok::<_, Infallible>(response) }
        })
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
