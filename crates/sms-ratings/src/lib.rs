#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod metrics;
pub mod model;
pub mod parse;
pub mod reply;
pub mod store;
