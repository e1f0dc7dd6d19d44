//! The detector: each event's recent votes in memory, judged as each vote is recorded.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use super::burst::{Burst, BurstSettings};
use super::prefix::{Cluster, Prefixes};
use super::rate::SlidingCounts;
use super::{Reason, Reasons};
use crate::model::Timestamp;

/// How the detector judges; [`Settings::default`] suits a room of a few hundred voters.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Bursts ([`super::burst`]).
    pub burst: BurstSettings,
    /// How long a number block stays crowded by a vote, in milliseconds.
    pub prefix_window_ms: i64,
    /// Distinct numbers of one block within the window that make it crowded.
    pub prefix_min: usize,
    /// Votes per minute from one sender above which its vote is flagged `rate`.
    pub rate_per_minute: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            burst: BurstSettings::default(),
            prefix_window_ms: 10 * 60_000,
            prefix_min: 8,
            rate_per_minute: 5,
        }
    }
}

/// One vote as the detector sees it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// Its idempotency key (`MessageSid`): a vote seen twice (a retried batch) is judged once.
    pub key: &'a str,
    /// The sender's number.
    pub phone: &'a str,
    /// The rating, 1–5.
    pub rating: u8,
    /// When it arrived.
    pub at: Timestamp,
    /// A call whose caller ID was not attested.
    pub unattested: bool,
}

/// The detector's judgement of one vote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The vote's reasons.
    pub reasons: Reasons,
    /// Earlier votes of the event (by phone) found to belong to a burst or cluster only now.
    pub earlier: Vec<(Arc<str>, Reasons)>,
    /// A burst or cluster that this vote revealed (the alert), if any.
    pub alert: Option<Reason>,
}

/// A recent vote of an event.
#[derive(Debug)]
struct Seen {
    at: i64,
    phone: Arc<str>,
    rating: u8,
    key: Arc<str>,
    reasons: Reasons,
}

/// One event's state.
#[derive(Debug, Default)]
struct EventState {
    burst: Burst,
    prefixes: Prefixes,
    /// Votes of the last burst window or prefix window, whichever is longer.
    recent: VecDeque<Seen>,
    /// Whether a burst was under way at the last vote (an alert is raised when one starts).
    bursting: bool,
}

#[derive(Debug, Default)]
struct State {
    events: HashMap<i64, EventState>,
    senders: SlidingCounts,
    suspect_lines: HashSet<Box<str>>,
}

/// The detector, shared by the store (which asks it about every vote it records) and the
/// service (which tells it what Lookup found).
#[derive(Debug, Default)]
pub struct Detector {
    settings: Settings,
    state: Mutex<State>,
}

impl Detector {
    /// A detector with these settings.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            state: Mutex::default(),
        }
    }

    /// Remembers that Lookup calls `phone` a suspect line type: its later votes are flagged
    /// as they are recorded.
    pub fn suspect_line(&self, phone: &str) {
        self.state().suspect_lines.insert(phone.into());
    }

    /// Judges a vote for event `event` (its id), about to be recorded.
    pub fn observe(&self, event: i64, vote: &Observation<'_>) -> Verdict {
        let s = &self.settings;
        let mut state = self.state();
        let State {
            events,
            senders,
            suspect_lines,
        } = &mut *state;
        let at = vote.at.millis();
        let ev = events.entry(event).or_default();
        if let Some(seen) = ev.recent.iter().find(|v| *v.key == *vote.key) {
            return Verdict {
                reasons: seen.reasons,
                ..Verdict::default()
            };
        }
        let mut verdict = Verdict::default();
        let signals = [
            (vote.unattested, Reason::CallerUnverified),
            (suspect_lines.contains(vote.phone), Reason::LineType),
            (
                senders.over(vote.phone, at, 60_000, s.rate_per_minute),
                Reason::Rate,
            ),
        ];
        for (found, reason) in signals {
            if found {
                verdict.reasons = verdict.reasons.with(reason);
            }
        }
        let phone: Arc<str> = vote.phone.into();
        judge_cluster(ev, &phone, at, s, &mut verdict);
        judge_burst(ev, vote.rating, at, s, &mut verdict);
        let keep = s.prefix_window_ms.max(s.burst.window_ms);
        while ev.recent.front().is_some_and(|v| v.at <= at - keep) {
            ev.recent.pop_front();
        }
        ev.recent.push_back(Seen {
            at,
            phone,
            rating: vote.rating,
            key: vote.key.into(),
            reasons: verdict.reasons,
        });
        verdict
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is counts and recent votes: after a panic elsewhere it is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `prefix` signal: the vote's block crowded; when it just became crowded, the earlier
/// votes of the block are flagged too.
fn judge_cluster(ev: &mut EventState, phone: &Arc<str>, at: i64, s: &Settings, v: &mut Verdict) {
    match ev
        .prefixes
        .observe(at, phone, s.prefix_window_ms, s.prefix_min)
    {
        Cluster::None => {}
        Cluster::Member => v.reasons = v.reasons.with(Reason::Prefix),
        Cluster::Formed(members) => {
            v.reasons = v.reasons.with(Reason::Prefix);
            v.alert = Some(Reason::Prefix);
            let members: HashSet<&str> = members.iter().map(|p| &**p).collect();
            mark_earlier(ev, Reason::Prefix, |seen| members.contains(&*seen.phone), v);
        }
    }
}

/// The `burst` signal: during a burst, votes with a rating it leans towards are flagged, the
/// earlier ones of its window too.
fn judge_burst(ev: &mut EventState, rating: u8, at: i64, s: &Settings, v: &mut Verdict) {
    let Some(leaning) = ev.burst.observe(at, rating, &s.burst) else {
        ev.bursting = false;
        return;
    };
    if !ev.bursting {
        v.alert = v.alert.or(Some(Reason::Burst));
    }
    ev.bursting = true;
    let leans = |r: u8| leaning[usize::from(r.clamp(1, 5) - 1)];
    if leans(rating) {
        v.reasons = v.reasons.with(Reason::Burst);
    }
    let from = at - s.burst.window_ms;
    mark_earlier(
        ev,
        Reason::Burst,
        |seen| seen.at > from && leans(seen.rating),
        v,
    );
}

/// Adds `reason` to the recent votes that `belongs` picks and do not have it yet.
fn mark_earlier(
    ev: &mut EventState,
    reason: Reason,
    belongs: impl Fn(&Seen) -> bool,
    v: &mut Verdict,
) {
    for seen in ev.recent.iter_mut() {
        if !seen.reasons.contains(reason) && belongs(seen) {
            seen.reasons = seen.reasons.with(reason);
            v.earlier
                .push((Arc::clone(&seen.phone), Reasons::NONE.with(reason)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote<'a>(key: &'a str, phone: &'a str, rating: u8, at: i64) -> Observation<'a> {
        Observation {
            key,
            phone,
            rating,
            at: Timestamp::from_millis(at),
            unattested: false,
        }
    }

    #[test]
    fn a_cluster_flags_its_earlier_members_once_and_alerts() {
        let d = Detector::new(Settings::default());
        let mut earlier = 0;
        let mut alerts = 0;
        for i in 0..20 {
            let (key, phone) = (format!("SM{i}"), format!("+1415555{i:04}"));
            let v = d.observe(1, &vote(&key, &phone, 1, i * 1000));
            earlier += v.earlier.len();
            alerts += usize::from(v.alert == Some(Reason::Prefix));
            assert_eq!(v.reasons.contains(Reason::Prefix), i >= 7, "vote {i}");
        }
        assert_eq!((earlier, alerts), (7, 1));
    }

    #[test]
    fn rate_lines_and_calls() {
        let d = Detector::new(Settings::default());
        d.suspect_line("+15550001111");
        let mut v = Verdict::default();
        for i in 0..6 {
            let key = format!("SM{i}");
            v = d.observe(2, &vote(&key, "+15550001111", 3, i * 1000));
        }
        assert!(v.reasons.contains(Reason::Rate) && v.reasons.contains(Reason::LineType));
        let call = Observation {
            unattested: true,
            ..vote("CA1:3", "+15550002222", 3, 0)
        };
        assert_eq!(
            d.observe(2, &call).reasons,
            Reasons::NONE.with(Reason::CallerUnverified)
        );
    }

    #[test]
    fn the_same_vote_twice_is_judged_once() {
        let d = Detector::new(Settings::default());
        let first = d.observe(3, &vote("SM1", "+15550001111", 3, 0));
        let again = d.observe(3, &vote("SM1", "+15550001111", 3, 0));
        assert_eq!(first.reasons, again.reasons);
    }
}
