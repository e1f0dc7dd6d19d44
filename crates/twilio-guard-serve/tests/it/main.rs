//! The server piece over real TCP on loopback: each limit closes what it should, normal
//! clients are still served, shutdown drains.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod cap;
mod hyper_facts;
mod shutdown;
mod slow;
mod support;
mod tls;
