//! The manage page's flagged votes: raw and cleaned figures side by side, the alert when a
//! burst or a number-block cluster appears, the choice of what the public sees, the flagged
//! votes by reason (numbers masked) with a hand to count or set aside each one, and the record
//! of those choices. The forms post without script, behind the same CSRF check as the rest.

use axum::Extension;
use axum::extract::State;
use axum::response::Response;

use super::App;
use super::form::{Posted, to_manage};
use super::view::average_text;
use crate::flag::{Reason, Reasons};
use crate::model::Results;
use crate::server::auth::Organiser;
use crate::server::error::HttpError;
use crate::server::figures::{Figures, ReasonGroup};

/// One line of the raw-and-cleaned table.
pub(crate) struct FigureLine {
    pub(crate) label: String,
    pub(crate) raw: String,
    pub(crate) cleaned: String,
}

/// A reason the organiser may tick.
pub(crate) struct ReasonTick {
    pub(crate) name: &'static str,
    pub(crate) describe: &'static str,
    pub(crate) ticked: bool,
}

/// A recorded choice as the page lists it.
pub(crate) struct AuditLine {
    pub(crate) at: String,
    pub(crate) who: String,
    pub(crate) what: String,
}

/// Everything the flagged-votes card shows.
pub(crate) struct FlagsCard {
    /// Said at the top of the page while a burst or cluster is flagged.
    pub(crate) alert: Option<String>,
    pub(crate) lines: Vec<FigureLine>,
    pub(crate) public_cleaned: bool,
    pub(crate) reasons: Vec<ReasonTick>,
    pub(crate) groups: Vec<ReasonGroup>,
    pub(crate) audit: Vec<AuditLine>,
}

impl FlagsCard {
    pub(crate) fn new(figures: &Figures) -> Self {
        let groups = figures.groups();
        let size = |r: Reason| {
            groups
                .iter()
                .find(|g| g.reason == r)
                .map_or(0, |g| g.votes.len())
        };
        let (burst, prefix) = (size(Reason::Burst), size(Reason::Prefix));
        let alert = (burst + prefix > 0).then(|| {
            format!(
                "Possible ballot-stuffing: {burst} votes in a sudden burst with an unusual \
                 rating mix, {prefix} from crowded number blocks. Check them below and choose \
                 what the public sees."
            )
        });
        Self {
            alert,
            lines: lines(&figures.raw, &figures.cleaned),
            public_cleaned: matches!(
                figures.review.public,
                crate::flag::PublicFigures::Cleaned(_)
            ),
            reasons: Reason::ALL
                .into_iter()
                .map(|r| ReasonTick {
                    name: r.name(),
                    describe: r.describe(),
                    ticked: figures.review.excluded.contains(r),
                })
                .collect(),
            groups,
            audit: figures
                .review
                .audit
                .iter()
                .take(10)
                .map(|a| AuditLine {
                    at: a.at.rfc3339(),
                    who: a.who.clone(),
                    what: a.what.clone(),
                })
                .collect(),
        }
    }
}

/// Votes, average, then each rating's votes: raw beside cleaned.
fn lines(raw: &Results, cleaned: &Results) -> Vec<FigureLine> {
    let mut lines = vec![
        FigureLine {
            label: "Votes".into(),
            raw: raw.count.to_string(),
            cleaned: cleaned.count.to_string(),
        },
        FigureLine {
            label: "Average".into(),
            raw: average_text(raw),
            cleaned: average_text(cleaned),
        },
    ];
    for rating in (1..=5).rev() {
        let key = rating.to_string();
        let n = |r: &Results| r.histogram.get(&key).copied().unwrap_or(0).to_string();
        lines.push(FigureLine {
            label: format!("{rating}★"),
            raw: n(raw),
            cleaned: n(cleaned),
        });
    }
    lines
}

/// `POST /events/{code}/figures`: `public` = `raw` | `cleaned`, `exclude` = the ticked
/// reasons (repeated).
pub(crate) async fn figures(
    State(app): State<App>,
    Extension(who): Extension<Organiser>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let cleaned = match form.get("public") {
        "raw" => false,
        "cleaned" => true,
        _ => return Err(HttpError::BadRequest),
    };
    let mut excluded = Reasons::NONE;
    for name in form.all("exclude") {
        excluded = excluded.with(Reason::from_name(name).ok_or(HttpError::BadRequest)?);
    }
    app.ratings
        .set_public_figures(code.clone(), cleaned, excluded, &who.0)
        .await?;
    Ok(to_manage(&code, "figures"))
}

/// `POST /events/{code}/votes`: `id` = the vote, `action` = `in` | `out` | `auto`.
pub(crate) async fn votes(
    State(app): State<App>,
    Extension(who): Extension<Organiser>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let hand = match form.get("action") {
        "in" => Some(true),
        "out" => Some(false),
        "auto" => None,
        _ => return Err(HttpError::BadRequest),
    };
    let key = form.get("id").to_owned();
    let found = app
        .ratings
        .move_vote(code.clone(), key, hand, &who.0)
        .await?;
    Ok(to_manage(
        &code,
        if found { "vote-moved" } else { "vote-gone" },
    ))
}
