//! Integration tests of the `twilio-webhook` binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sign_verify;
