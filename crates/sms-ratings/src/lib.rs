#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod agenda;
pub mod cli;
pub mod clock;
pub mod conference;
pub mod embed;
pub mod export;
pub mod flag;
pub mod keyword;
pub mod mask;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod phone;
pub mod reply;
pub mod rules;
pub mod server;
pub mod service;
pub mod store;
