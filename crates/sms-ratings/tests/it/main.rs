//! Integration tests: real SQLite files, real PostgreSQL (`DATABASE_URL`), real HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod acme;
mod agenda;
mod browser;
mod conference;
mod e2e;
mod export;
mod flags;
mod hidden;
mod live;
mod load;
mod login;
mod manage;
mod outage;
mod page;
mod rooms;
mod screens;
mod secrets;
mod serve_cli;
mod server;
mod sign_in;
mod starve;
mod store;
mod store_views;
mod support;
mod texting;
mod transport;
mod twilio;
mod zones;
