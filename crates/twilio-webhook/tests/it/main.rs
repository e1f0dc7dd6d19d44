//! Integration tests of `twilio-webhook` (one binary, a module per concern).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod negative;
mod payload;
mod props;
mod twiml;
mod vectors;
