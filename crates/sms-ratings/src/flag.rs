//! Signals that a vote may be ballot-stuffing, stored with the vote and never deleting it.
//!
//! | reason | what it says | where it is found |
//! |---|---|---|
//! | `burst` | the event's vote rate jumped far above its own recent baseline, and the burst's ratings lean one way | [`burst`] |
//! | `prefix` | many voters share a number block (the number minus its last 4 digits) within a short time | [`prefix`] |
//! | `line-type` | Twilio Lookup calls the number non-fixed VoIP, toll-free, premium… | [`line_type`] |
//! | `caller-unverified` | a call vote whose caller ID passed no SHAKEN/STIR attestation | the vote itself |
//! | `rate` | one sender texting more than a threshold per minute | [`rate`] |
//!
//! The [`Detector`] holds the recent votes of each event in memory and judges each vote as the
//! store records it (inside the vote's transaction, so the reasons commit with the vote); a
//! burst or cluster found late also marks the earlier votes that belong to it. The organiser
//! sees raw and cleaned figures side by side ([`figures`]) and chooses what the public sees.
//!
//! ```
//! use sms_ratings::flag::{Detector, Observation, Reason, Settings};
//! use sms_ratings::model::Timestamp;
//!
//! let detector = Detector::new(Settings::default());
//! let mut last = None;
//! for i in 0..10 {
//!     let phone = format!("+1415555{:04}", 1000 + i);
//!     let key = format!("SM{i}");
//!     let seen = Observation { key: &key, phone: &phone, rating: 1,
//!         at: Timestamp::from_millis(i * 1000), unattested: false };
//!     last = Some(detector.observe(1, &seen));
//! }
//! let last = last.unwrap();
//! assert!(last.reasons.contains(Reason::Prefix));
//! ```

pub mod burst;
mod detector;
pub mod figures;
pub mod line_type;
pub mod prefix;
pub mod rate;
mod reasons;

pub use detector::{Detector, Observation, Settings, Verdict};
pub use figures::{FlaggedVote, PublicFigures};
pub use reasons::{Reason, Reasons};
