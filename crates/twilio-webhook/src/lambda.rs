//! AWS Lambda (feature `lambda`): the URL Twilio signed, rebuilt from the event.
//!
//! `lambda_http` turns an API Gateway or Function URL event into an `http::Request` whose URI
//! is not always the one Twilio called: a REST API (payload v1) event has no raw query
//! string — `lambda_http` rebuilds one from a hash map, in no fixed order — and its URI gains
//! the stage (`/prod`) even on a custom domain, where the caller never wrote it. So
//! [`TwilioLayer`](crate::tower::TwilioLayer) does not sign-check the URI of such a request;
//! it reads the event's request context, which `lambda_http` keeps in the extensions:
//!
//! | event | path signed | query signed |
//! | --- | --- | --- |
//! | REST API (v1) | `requestContext.path` (the stage included on the `execute-api` host, absent on a custom domain) | the parameters, names sorted, each value form-encoded (`+` for a space) |
//! | HTTP API (v2) | `rawPath` (a named stage included) | `rawQueryString`, as sent |
//! | Function URL | `rawPath` | `rawQueryString`, as sent |
//!
//! The scheme and host come from the configured [`PublicUrl`](crate::PublicUrl) as for every
//! adapter: the invoke URL's base, e.g. `https://abc123.execute-api.us-east-1.amazonaws.com`.
//! A REST API cannot tell the order Twilio wrote the query in, so a webhook URL with a query
//! verifies there only when its query is written in the rebuilt form; HTTP APIs and Function
//! URLs carry it as sent.
//!
//! Put the layer in front of the handler and hand the pair to `lambda_http::run`; the handler
//! gets the verified webhook in the request's extensions. The whole function is
//! `examples/lambda_sms.rs`; the crate README's "AWS Lambda" section has the recipe.

use http::request::Parts;
use lambda_http::RequestExt as _;
use lambda_http::request::RequestContext;

/// The request target (path and query) Twilio signed, when the request came from an API
/// Gateway or Function URL event; `None` for any other request.
pub(crate) fn signed_target(parts: &Parts) -> Option<String> {
    let path = match parts.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => {
            let path = context.path.as_deref().unwrap_or(parts.uri.path());
            return Some(with_query(path, &rest_query(parts)));
        }
        RequestContext::ApiGatewayV2(_) => parts.raw_http_path(),
        _ => return None,
    };
    Some(with_query(path, parts.uri.query().unwrap_or_default()))
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// A REST API event's query parameters written back as one string: names sorted (the event
/// keeps them in a map), a name's values in the order the event lists them.
fn rest_query(parts: &Parts) -> String {
    let Some(parameters) = parts.query_string_parameters_ref() else {
        return String::new();
    };
    let mut pairs: Vec<(&str, &str)> = parameters.iter().collect();
    // Stable: a name's values keep their order.
    pairs.sort_by_key(|&(name, _)| name);
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
