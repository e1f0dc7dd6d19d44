//! The organiser's commands on flagged votes: what the public sees, and single votes moved in
//! or out by hand. Each is recorded with who and when, and announced to the live pages.

use super::Ratings;
use crate::flag::Reasons;
use crate::model::EventCode;
use crate::store::{Audit, StoreError};

impl Ratings {
    /// The public sees cleaned figures (`cleaned`) or raw ones; the cleaned figures set aside
    /// the votes flagged for `excluded`. Recorded as done by `who`.
    pub async fn set_public_figures(
        &self,
        code: EventCode,
        cleaned: bool,
        excluded: Reasons,
        who: &str,
    ) -> Result<(), StoreError> {
        let audit = self.audit(who);
        self.store
            .set_public_figures(code.clone(), cleaned, excluded, audit)
            .await?;
        self.changed(code.as_str());
        Ok(())
    }

    /// Counts (`Some(true)`) or sets aside (`Some(false)`) the vote `key` whatever its flags,
    /// or gives it back to its flags (`None`); false when the event has no such vote.
    pub async fn move_vote(
        &self,
        code: EventCode,
        key: String,
        hand: Option<bool>,
        who: &str,
    ) -> Result<bool, StoreError> {
        let audit = self.audit(who);
        let found = self.store.move_vote(code.clone(), key, hand, audit).await?;
        self.changed(code.as_str());
        Ok(found)
    }

    fn audit(&self, who: &str) -> Audit {
        Audit {
            who: who.to_owned(),
            at: self.clock.now(),
        }
    }
}
