//! One integration-test binary; one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod payload;
mod twiml;
