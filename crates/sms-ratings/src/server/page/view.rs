//! What the results page shows, computed once for the HTML, the live stream and the poll.

use std::time::Duration;

use serde::Serialize;

use crate::mask::mask_numbers_in;
use crate::model::{Event, EventCode, EventState, RatingRow, Results, Timestamp};
use crate::store::{Store, StoreError, TimeBucket};

/// Comments sent to the page: more than a projector fits, so the page script keeps the
/// newest that fit whatever the screen.
pub(crate) const COMMENTS: u32 = 12;
/// The finest time bucket the store is asked for.
const BASE_BUCKET: Duration = Duration::from_secs(60);
/// Most bars in the ratings-over-time chart.
const MAX_BARS: usize = 48;
/// Bucket widths tried, in multiples of [`BASE_BUCKET`]; past the last, whole days.
const NICE: [i64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

/// Everything the results page (the projector) shows about one event. `results` are the
/// figures the organiser chose for the public (raw, or cleaned of flagged votes: the raw or
/// the `cleaned` figures of `GET /api/events/{code}/results`), unless the organiser hid the
/// results: then
/// no rating in any form is in it (no average, histogram, timeline, comment rating or
/// per-channel count), only the vote count.
///
/// `Snapshot::read` builds the organiser's snapshot (the one function that does);
/// [`Snapshot::public`] derives the audience's from it, so one read per update serves both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Snapshot {
    /// False while the organiser hides the results (the page shows the vote count only).
    pub(crate) revealed: bool,
    /// Count, average, histogram.
    pub(crate) results: Results,
    /// The average as shown: one decimal, rounded half up from the exact fraction ("–" when
    /// there are no votes), so the server and the page script never round differently.
    pub(crate) average_text: String,
    /// `open`, `closed` or `not_open`.
    pub(crate) state: &'static str,
    /// Votes over time.
    pub(crate) timeline: Timeline,
    /// Latest comments, newest first (numbers in the text masked, no senders).
    pub(crate) comments: Vec<CommentView>,
    /// The event's share token, which may see [`Snapshot::public`] (never serialised).
    #[serde(skip)]
    pub(crate) share_token: Option<String>,
}

impl super::hub::Views for Snapshot {
    type Public = Self;

    fn audience(&self) -> (Self, Option<String>) {
        (self.public(), self.share_token.clone())
    }
}

/// Votes over time, in buckets of equal width with empty ones included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Timeline {
    /// Bucket width in seconds.
    pub(crate) bucket_seconds: i64,
    /// Buckets, oldest first.
    pub(crate) buckets: Vec<BucketView>,
}

/// One bucket of [`Timeline`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct BucketView {
    /// Start (RFC 3339).
    pub(crate) start: String,
    /// Votes.
    pub(crate) count: u64,
    /// Sum of their ratings.
    pub(crate) sum: u64,
}

/// A comment as the wall shows it (hidden comments never are). It carries no sender, not
/// even masked: the projector and the audience see what was said, never who said it (the
/// organiser sees masked senders on the manage page only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CommentView {
    /// The rating; none while the results are hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rating: Option<u8>,
    /// The text, phone numbers in it masked (still hostile: escape it).
    pub(crate) comment: String,
    /// When (RFC 3339).
    pub(crate) at: String,
}

impl Snapshot {
    /// Reads an event's snapshot; `None` for an unknown code.
    pub(crate) async fn read(
        store: &dyn Store,
        code: EventCode,
    ) -> Result<Option<Self>, StoreError> {
        let Some(event) = store.event(code.clone()).await? else {
            return Ok(None);
        };
        let settings = store.event_settings(code.clone()).await?;
        // The organiser's choice: raw figures, or cleaned of flagged votes.
        let figures = crate::server::figures::Figures::read(store, code.clone()).await?;
        let results = figures.map(|f| f.public().clone());
        let timeline = store.timeline(code.clone(), BASE_BUCKET).await?;
        let comments = store.latest_comments(code, COMMENTS).await?;
        let (Some(settings), Some(results), Some(timeline), Some(comments)) =
            (settings, results, timeline, comments)
        else {
            return Ok(None);
        };
        let snapshot = Self {
            share_token: settings.share_token.clone(),
            revealed: true,
            average_text: average_text(&results),
            state: state_name(&event),
            timeline: timeline_view(&timeline),
            comments: comments.iter().map(comment_view).collect(),
            results,
        };
        Ok(Some(if settings.results_hidden {
            snapshot.count_only()
        } else {
            snapshot
        }))
    }

    /// The audience's view: the same figures and comments, without the share token.
    #[must_use]
    pub(crate) fn public(&self) -> Self {
        let mut public = self.clone();
        public.share_token = None;
        public
    }

    /// Results hidden until revealed: the vote count (and comments) only. No rating in any
    /// form stays: no average, histogram or timeline (its sums are ratings), no comment's
    /// rating, no per-channel counts (with the histogram they would narrow ratings down).
    fn count_only(mut self) -> Self {
        self.revealed = false;
        self.results.average = None;
        self.results.histogram.clear();
        self.results.reach = crate::model::Reach::default();
        self.average_text = "–".to_owned();
        self.timeline.buckets.clear();
        for comment in &mut self.comments {
            comment.rating = None;
        }
        self
    }
}

/// `open`, `closed` or `not_open`, now.
pub(crate) fn state_name(event: &Event) -> &'static str {
    match event.state_at(Timestamp::now()) {
        EventState::Open => "open",
        EventState::Closed => "closed",
        EventState::NotYetOpen(_) => "not_open",
    }
}

/// The average to one decimal, rounded half up from the exact fraction; "–" without votes.
pub(crate) fn average_text(results: &Results) -> String {
    let (count, sum) = results
        .histogram
        .iter()
        .filter_map(|(rating, n)| Some((n, rating.parse::<u64>().ok()?)))
        .fold((0u64, 0u64), |(c, s), (n, r)| (c + n, s + n * r));
    if count == 0 {
        return "–".to_owned();
    }
    let tenths = (sum * 20 + count) / (count * 2);
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn comment_view(row: &RatingRow) -> CommentView {
    CommentView {
        rating: Some(row.rating.get()),
        comment: mask_numbers_in(&row.comment),
        at: row.updated_at.rfc3339(),
    }
}

fn timeline_view(buckets: &[TimeBucket]) -> Timeline {
    let base = i64::try_from(BASE_BUCKET.as_millis()).unwrap_or(60_000);
    let (width, buckets) = coarsen(buckets, base, MAX_BARS);
    Timeline {
        bucket_seconds: width / 1000,
        buckets: buckets
            .iter()
            .map(|b| BucketView {
                start: b.start.rfc3339(),
                count: b.count,
                sum: b.sum,
            })
            .collect(),
    }
}

/// Regroups `buckets` (of width `base` ms, sorted) into at most `max` buckets of a round
/// width, empty ones included so bars are evenly spaced in time. Returns the width too.
pub(crate) fn coarsen(buckets: &[TimeBucket], base: i64, max: usize) -> (i64, Vec<TimeBucket>) {
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return (base, Vec::new());
    };
    let (first, last) = (first.start.millis(), last.start.millis());
    let max = i64::try_from(max.max(2)).unwrap_or(i64::MAX);
    let span = last - first;
    let fits = |w: i64| span / w < max;
    let day = base * 1440;
    let width = NICE
        .iter()
        .map(|m| m * base)
        .find(|&w| fits(w))
        .unwrap_or_else(|| (span / (max - 1) / day + 1) * day);
    let origin = first.div_euclid(width) * width;
    let n = (last.div_euclid(width) * width - origin) / width + 1;
    let mut out: Vec<TimeBucket> = (0..n)
        .map(|i| TimeBucket {
            start: Timestamp::from_millis(origin + i * width),
            count: 0,
            sum: 0,
        })
        .collect();
    for b in buckets {
        let index = usize::try_from((b.start.millis() - origin).div_euclid(width)).ok();
        if let Some(slot) = index.and_then(|i| out.get_mut(i)) {
            slot.count += b.count;
            slot.sum += b.sum;
        }
    }
    (width, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn bucket(minute: i64, count: u64, sum: u64) -> TimeBucket {
        TimeBucket {
            start: Timestamp::from_millis(minute * 60_000),
            count,
            sum,
        }
    }

    fn results(histogram: [u64; 5]) -> Results {
        Results {
            code: "X".into(),
            name: "X".into(),
            open: true,
            count: histogram.iter().sum(),
            average: None,
            reach: crate::model::Reach::default(),
            histogram: (1..=5)
                .zip(histogram)
                .map(|(r, n)| (r.to_string(), n))
                .collect::<BTreeMap<_, _>>(),
            updated_at: None,
        }
    }

    #[test]
    fn average_rounds_half_up_exactly() {
        assert_eq!(average_text(&results([0; 5])), "–");
        assert_eq!(average_text(&results([0, 1, 0, 0, 0])), "2.0");
        // 9 / 4 = 2.25 exactly: half up gives 2.3 (float formatting would give 2.2).
        assert_eq!(average_text(&results([0, 3, 1, 0, 0])), "2.3");
        // 14 / 3 = 4.666…
        assert_eq!(average_text(&results([0, 0, 0, 1, 2])), "4.7");
        assert_eq!(average_text(&results([0, 0, 0, 0, 7])), "5.0");
    }

    #[test]
    fn coarsen_keeps_totals_and_fills_gaps() {
        let input = [bucket(10, 2, 7), bucket(13, 1, 5)];
        let (width, out) = coarsen(&input, 60_000, 48);
        assert_eq!(width, 60_000);
        assert_eq!(out.len(), 4, "minutes 10..=13");
        assert_eq!(out[1].count, 0);
        assert_eq!(out[3].sum, 5);

        // Five hours of minutes → 10-minute buckets (30 bars ≤ 48).
        let long: Vec<_> = (0..300).map(|m| bucket(m, 1, 3)).collect();
        let (width, out) = coarsen(&long, 60_000, 48);
        assert_eq!(width, 10 * 60_000);
        assert!(out.len() <= 48);
        assert_eq!(out.iter().map(|b| b.count).sum::<u64>(), 300);
        assert_eq!(out.iter().map(|b| b.sum).sum::<u64>(), 900);

        // Months apart → whole days.
        let (width, out) = coarsen(&[bucket(0, 1, 1), bucket(60 * 24 * 90, 1, 1)], 60_000, 48);
        assert_eq!(width % (1440 * 60_000), 0);
        assert!(out.len() <= 48, "{}", out.len());
        assert_eq!(coarsen(&[], 60_000, 48).1.len(), 0);
    }

    #[test]
    fn comments_are_masked() {
        let row = RatingRow {
            phone: "+14155550199".into(),
            rating: crate::model::Rating::new(4).unwrap(),
            comment: "call me on +44 7700 900123 <b>".into(),
            channel: crate::model::Channel::Sms,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
            message_sid: "SM1".into(),
            hidden: false,
        };
        let v = comment_view(&row);
        let json = serde_json::to_string(&v).unwrap();
        assert!(
            !json.contains("0199") && !json.contains("+1•"),
            "no sender: {json}"
        );
        assert!(!v.comment.contains("7700"), "{}", v.comment);
        assert!(v.comment.ends_with("<b>"), "escaping is the renderer's job");
    }

    #[test]
    fn public_view_drops_senders_and_hidden_results_show_the_count_only() {
        let snap = Snapshot {
            revealed: true,
            results: results([0, 1, 0, 0, 2]),
            average_text: "4.0".into(),
            state: "open",
            timeline: timeline_view(&[bucket(1, 3, 12)]),
            share_token: None,
            comments: vec![CommentView {
                rating: Some(5),
                comment: "great".into(),
                at: "1970-01-01T00:00:00Z".into(),
            }],
        };
        let public = snap.public();
        assert_eq!(public.comments[0].comment, "great");
        assert!(!serde_json::to_string(&public).unwrap().contains("•"));
        assert_eq!(public.results, snap.results);

        let hidden = snap.clone().count_only();
        assert!(!hidden.revealed);
        assert_eq!(hidden.results.count, 3);
        assert_eq!(hidden.results.average, None);
        assert!(hidden.results.histogram.is_empty());
        assert!(hidden.timeline.buckets.is_empty());
        assert_eq!(hidden.average_text, "–");
        assert_eq!(hidden.comments[0].rating, None);
        assert_eq!(hidden.comments[0].comment, "great");
        let json = serde_json::to_string(&hidden.public()).unwrap();
        assert!(!json.contains("\"rating\""), "{json}");
    }
}
