//! Integration tests of the `twilio-webhook` binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod chat;
mod proxy;
mod send;
mod sign_verify;
mod upstream;
