//! Lookup: each new voter's number is looked up once (Twilio Lookup v2, line type
//! intelligence), the answer kept durably, and a virtual or premium number's vote flagged.
//!
//! The lookup runs after the vote committed, in a task of its own: a slow or failing Lookup
//! never delays or blocks a vote. When it finds a suspect line type, the flag is added to the
//! vote and the live pages are told; the number's later votes are flagged as they are
//! recorded. A failed lookup is tried again at the number's next vote.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use super::Ratings;
use crate::flag::line_type::is_suspect;
use crate::flag::{Reason, Reasons};
use crate::mask::mask_phone;
use crate::model::EventCode;

/// The Lookup client and the numbers looked up (or being looked up) by this process.
#[derive(Debug)]
pub(crate) struct Lookups {
    client: twilio_api::Client,
    started: Mutex<HashSet<String>>,
}

impl Lookups {
    pub(crate) fn new(client: twilio_api::Client) -> Self {
        Self {
            client,
            started: Mutex::default(),
        }
    }

    /// True the first time for `phone` (until [`Lookups::forget`]).
    fn start(&self, phone: &str) -> bool {
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        started.insert(phone.to_owned())
    }

    fn forget(&self, phone: &str) {
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        started.remove(phone);
    }
}

impl Ratings {
    /// Looks `phone` up in the background if Lookup is on and this process has not yet.
    pub(super) fn look_up_later(&self, code: &str, phone: &str) {
        let (Some(lookups), Ok(code)) = (&self.lookups, code.parse::<EventCode>()) else {
            return;
        };
        if !lookups.start(phone) {
            return;
        }
        let ratings = self.clone();
        let phone = phone.to_owned();
        tokio::spawn(async move { ratings.look_up(code, phone).await });
    }

    async fn look_up(&self, code: EventCode, phone: String) {
        let Some(lookups) = self.lookups.clone() else {
            return;
        };
        let Some(line_type) = self.line_type_of(&lookups, &phone).await else {
            lookups.forget(&phone);
            crate::metrics::lookup("error");
            return;
        };
        if !is_suspect(&line_type) {
            crate::metrics::lookup("ok");
            return;
        }
        crate::metrics::lookup("suspect");
        if let Some(detector) = self.store.detector() {
            detector.suspect_line(&phone);
        }
        let flag = Reasons::NONE.with(Reason::LineType);
        match self
            .store
            .add_flags(code.clone(), phone.clone(), flag)
            .await
        {
            Ok(true) => self.changed(code.as_str()),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(phone = %mask_phone(&phone), error = %e, "line type flag not stored");
            }
        }
    }

    /// The number's line type: kept from an earlier lookup, or asked of Twilio and kept.
    async fn line_type_of(&self, lookups: &super::lookup::Lookups, phone: &str) -> Option<String> {
        let masked = mask_phone(phone);
        match self.store.line_type(phone.to_owned()).await {
            Ok(Some(kept)) => return Some(kept),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(phone = %masked, error = %e, "line type cache unavailable");
                return None;
            }
        }
        let answer = lookups
            .client
            .line_type(phone)
            .await
            .inspect_err(|e| tracing::warn!(phone = %masked, error = %log_safe(e), "lookup failed"))
            .ok()?;
        let line_type = answer
            .line_type_intelligence
            .and_then(|l| l.line_type)
            .unwrap_or_else(|| "unknown".to_owned());
        let kept = self
            .store
            .keep_line_type(phone.to_owned(), line_type.clone(), self.clock.now())
            .await;
        if let Err(e) = kept {
            tracing::warn!(phone = %masked, error = %e, "line type not kept");
        }
        Some(line_type)
    }
}

/// A Lookup failure as the log may say it: its status and Twilio's code, never the URL or
/// Twilio's message, which hold the number.
fn log_safe(e: &twilio_api::ApiError) -> String {
    match e.twilio() {
        Some(t) => format!("HTTP {} (Twilio error {:?})", t.status, t.code),
        None if matches!(e, twilio_api::ApiError::Transport(_)) => "cannot reach Twilio".into(),
        None => "unexpected answer".into(),
    }
}
