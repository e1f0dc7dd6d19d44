//! What [`crate::serve`] asks of the service and its response bodies, named once.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};

use crate::BoxError;
use crate::body::RequestBody;

/// A service [`crate::serve`] can run: a cloneable tower service from [`RequestBody`]
/// requests to responses with body `B`, that never fails (answer errors as responses), such
/// as an `axum::Router`. Implemented for every type that fits.
pub trait Service<B>:
    tower::Service<
        Request<RequestBody>,
        Response = Response<B>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S, B> Service<B> for S where
    S: tower::Service<
            Request<RequestBody>,
            Response = Response<B>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// A response body [`crate::serve`] can send (axum's `Body`, a boxed body, `Full<Bytes>`).
/// Implemented for every type that fits.
pub trait ResponseBody:
    http_body::Body<Data = Bytes, Error: Into<BoxError>> + Unpin + Send + 'static
{
}

impl<B> ResponseBody for B where
    B: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Unpin + Send + 'static
{
}
