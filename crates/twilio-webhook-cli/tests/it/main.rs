//! Integration tests of the `twilio-webhook` binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod chat;
mod numbers;
mod proxy;
mod rating;
mod send;
mod sign_verify;
mod slow_clients;
mod upstream;
