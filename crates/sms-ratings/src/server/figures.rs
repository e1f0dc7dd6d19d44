//! An event's raw and cleaned figures side by side, its flagged votes grouped by reason, and
//! the figures the public sees (the organiser's choice): one read for the results API, the
//! manage page, the exports and the public pages.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::export::FlagColumns;
use crate::flag::figures::{by_reason, cleaned};
use crate::flag::{FlaggedVote, PublicFigures, Reason, Reasons};
use crate::mask::mask_phone;
use crate::model::{EventCode, Results};
use crate::store::{FlagReview, Store, StoreError};

/// Raw and cleaned figures of one event, with what they were cleaned of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figures {
    /// Every vote.
    pub(crate) raw: Results,
    /// Without the votes set aside (flagged for an excluded reason, or by hand).
    pub(crate) cleaned: Results,
    /// The flagged votes and the organiser's choices.
    pub(crate) review: FlagReview,
}

impl Figures {
    /// Reads an event's figures; `None` for an unknown code.
    pub(crate) async fn read(
        store: &dyn Store,
        code: EventCode,
    ) -> Result<Option<Self>, StoreError> {
        let (Some(raw), Some(review)) = (
            store.results(code.clone()).await?,
            store.flag_review(code).await?,
        ) else {
            return Ok(None);
        };
        let cleaned = cleaned(&raw, &review.votes, review.excluded);
        Ok(Some(Self {
            raw,
            cleaned,
            review,
        }))
    }

    /// The figures the projector and the audience link show.
    pub(crate) fn public(&self) -> &Results {
        match self.review.public {
            PublicFigures::Raw => &self.raw,
            PublicFigures::Cleaned(_) => &self.cleaned,
        }
    }

    /// The exports' flag columns.
    pub(crate) fn export_columns(&self) -> FlagColumns {
        FlagColumns::new(&self.review.votes, self.review.excluded)
    }

    /// The flagged votes grouped by reason, numbers masked.
    pub(crate) fn groups(&self) -> Vec<ReasonGroup> {
        by_reason(&self.review.votes)
            .into_iter()
            .map(|(reason, votes)| ReasonGroup {
                reason,
                describe: reason.describe(),
                excluded: self.review.excluded.contains(reason),
                votes: votes
                    .into_iter()
                    .map(|v| FlaggedView::new(v, self.review.excluded))
                    .collect(),
            })
            .collect()
    }
}

/// Count, average and histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureView {
    /// Votes.
    pub count: u64,
    /// Mean rating, none without votes.
    pub average: Option<f64>,
    /// Votes per rating, keys "1".."5".
    pub histogram: BTreeMap<String, u64>,
}

impl From<&Results> for FigureView {
    fn from(r: &Results) -> Self {
        Self {
            count: r.count,
            average: r.average,
            histogram: r.histogram.clone(),
        }
    }
}

/// The flagged votes of one reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonGroup {
    /// The reason.
    pub reason: Reason,
    /// What it means.
    pub describe: &'static str,
    /// Whether the cleaned figures set these votes aside.
    pub excluded: bool,
    /// The votes, oldest first.
    pub votes: Vec<FlaggedView>,
}

/// A flagged vote as the organiser sees it (number masked).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedView {
    /// The sender, masked.
    pub phone: String,
    /// The rating.
    pub rating: u8,
    /// Every reason it is flagged for.
    pub reasons: Reasons,
    /// The organiser's hand: counted, set aside, or none.
    pub hand: Option<bool>,
    /// Whether it counts in the cleaned figures.
    pub counted: bool,
    /// The vote's id in the forms (`MessageSid`).
    pub id: String,
    /// When (RFC 3339).
    pub at: String,
}

impl FlaggedView {
    fn new(v: &FlaggedVote, excluded: Reasons) -> Self {
        Self {
            phone: mask_phone(&v.phone),
            rating: v.rating.get(),
            reasons: v.reasons,
            hand: v.hand,
            counted: v.counts(excluded),
            id: v.key.clone(),
            at: v.at.rfc3339(),
        }
    }
}

/// `GET /api/events/{code}/results`: the raw figures (as before, at the top level), the
/// cleaned ones beside them, what the public sees, and the flagged votes by reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultsView {
    /// The raw results: every vote.
    #[serde(flatten)]
    pub raw: Results,
    /// Without the votes set aside.
    pub cleaned: FigureView,
    /// What the projector and the audience link show.
    pub public: PublicFigures,
    /// The reasons the cleaned figures set aside.
    pub excluded: Reasons,
    /// Flagged votes by reason (a vote with two reasons is in both).
    pub flagged: Vec<ReasonGroup>,
}

impl From<&Figures> for ResultsView {
    fn from(f: &Figures) -> Self {
        Self {
            raw: f.raw.clone(),
            cleaned: FigureView::from(&f.cleaned),
            public: f.review.public,
            excluded: f.review.excluded,
            flagged: f.groups(),
        }
    }
}
