//! Integration tests: real servers on `127.0.0.1:0`, real HTTP with reqwest (and raw TCP
//! where exact request bytes matter).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(unreachable_pub)]

#[cfg(any(feature = "axum", feature = "actix"))]
mod support;

#[cfg(any(feature = "axum", feature = "actix"))]
mod cases;

#[cfg(feature = "axum")]
mod axum;

#[cfg(feature = "actix")]
mod actix;

#[cfg(feature = "axum")]
mod logs;
