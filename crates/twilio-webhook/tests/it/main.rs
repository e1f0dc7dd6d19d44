//! Integration tests of `twilio-webhook`: one binary, a module per concern. Adapter tests run
//! real servers on `127.0.0.1:0` and speak real HTTP with reqwest (and raw TCP where exact
//! request bytes matter).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#![allow(unreachable_pub)]

mod canonical;
mod form_de;
mod negative;
mod payload;
mod props;
mod readme;
mod twiml;
mod vectors;

#[cfg(any(
    feature = "axum",
    feature = "actix",
    feature = "rocket",
    feature = "tower"
))]
mod client;

#[cfg(any(feature = "axum", feature = "actix", feature = "rocket"))]
mod request_target;

#[cfg(any(
    feature = "axum",
    feature = "actix",
    feature = "rocket",
    feature = "tower"
))]
mod support;

#[cfg(any(
    feature = "axum",
    feature = "actix",
    feature = "rocket",
    feature = "tower"
))]
mod cases;

#[cfg(feature = "axum")]
mod axum;

#[cfg(feature = "actix")]
mod actix;

#[cfg(feature = "axum")]
mod logs;

#[cfg(feature = "lambda")]
mod lambda;

#[cfg(feature = "rocket")]
mod rocket;

#[cfg(feature = "tower")]
mod poem;

#[cfg(feature = "axum")]
mod loco;
