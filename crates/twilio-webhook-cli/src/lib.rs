//! The library half of the `twilio-webhook` command: the validating reverse proxy and its
//! Redis replay store, usable by tests and by programs that embed the proxy.
//!
//! See [`proxy`] for an example.
#![forbid(unsafe_code)]

pub mod proxy;
pub mod replay_redis;
