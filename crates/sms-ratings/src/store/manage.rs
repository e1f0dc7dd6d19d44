//! Organiser management (schema version 2): event edits and state changes, moderation,
//! share links. The statements are the same text for both dialects; each backend binds
//! [`EventChange::arg`] with its own types.

use crate::model::Timestamp;

/// What an event shows to its audience, and whether it is archived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSettings {
    /// Archived: closed and listed apart.
    pub archived: bool,
    /// Results hidden until revealed: the projector and the public view show the vote
    /// count only.
    pub results_hidden: bool,
    /// The public share link's token (`/p/{token}`), when there is one.
    pub share_token: Option<String>,
    /// Calls whose caller ID was not attested count like any vote (by default they are held
    /// apart: see [`crate::model::CallerId`]).
    pub count_unverified_calls: bool,
    /// Origins allowed to frame the share link, space-separated (see [`crate::embed`]).
    pub frame_ancestors: Option<String>,
}

impl EventSettings {
    /// The origins allowed to frame the share link.
    pub fn frame_origins(&self) -> Vec<String> {
        let list = self.frame_ancestors.as_deref().unwrap_or_default();
        list.split_whitespace().map(str::to_owned).collect()
    }
}

/// A change to an event's state, as the organiser's buttons make it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventChange {
    /// Take votes from now on: not closed, not archived, opening time cleared, a closing
    /// time already past cleared.
    OpenNow(Timestamp),
    /// Stop taking votes.
    Close,
    /// Close and archive.
    Archive,
    /// Back from the archive (still closed).
    Unarchive,
    /// Hide (`true`) or reveal (`false`) the results.
    HideResults(bool),
    /// Set (a new token) or revoke (`None`) the share link.
    Share(Option<String>),
    /// Count (`true`) or hold apart (`false`) call votes whose caller ID was not attested,
    /// from now on.
    CountUnverifiedCalls(bool),
    /// The origins allowed to frame the share link (checked by [`crate::embed`]).
    FrameAncestors(Vec<String>),
}

/// The second parameter of a [`EventChange`]'s statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    /// The statement takes only the code.
    None,
    /// Milliseconds since the epoch.
    Millis(i64),
    /// A flag.
    Flag(bool),
    /// Text or NULL.
    Text(Option<String>),
}

impl EventChange {
    /// The statement (`$1` = code, `$2` = [`EventChange::arg`] when there is one).
    pub(crate) fn sql(&self) -> &'static str {
        match self {
            Self::OpenNow(_) => {
                "UPDATE events SET closed = FALSE, archived = FALSE, opens = NULL,
                 closes = CASE WHEN closes <= $2 THEN NULL ELSE closes END WHERE code = $1"
            }
            Self::Close => "UPDATE events SET closed = TRUE WHERE code = $1",
            Self::Archive => "UPDATE events SET closed = TRUE, archived = TRUE WHERE code = $1",
            Self::Unarchive => "UPDATE events SET archived = FALSE WHERE code = $1",
            Self::HideResults(_) => "UPDATE events SET results_hidden = $2 WHERE code = $1",
            Self::Share(_) => "UPDATE events SET share_token = $2 WHERE code = $1",
            Self::CountUnverifiedCalls(_) => {
                "UPDATE events SET count_unverified_calls = $2 WHERE code = $1"
            }
            Self::FrameAncestors(_) => "UPDATE events SET frame_ancestors = $2 WHERE code = $1",
        }
    }

    /// The value bound to `$2`.
    pub(crate) fn arg(&self) -> Arg {
        match self {
            Self::OpenNow(now) => Arg::Millis(now.millis()),
            Self::HideResults(flag) | Self::CountUnverifiedCalls(flag) => Arg::Flag(*flag),
            Self::Share(token) => Arg::Text(token.clone()),
            Self::FrameAncestors(origins) => {
                Arg::Text(Some(origins.join(" ")).filter(|s| !s.is_empty()))
            }
            Self::Close | Self::Archive | Self::Unarchive => Arg::None,
        }
    }
}

/// Changes an event's name, number, times and zone (`$1` = code); its state stays.
pub(crate) const EDIT_EVENT_SQL: &str = "UPDATE events
    SET name = $2, number = $3, opens = $4, closes = $5, time_zone = $6 WHERE code = $1";

/// Creates an event unless its code is taken (`$1` = code, `$2` = name, `$3` = number,
/// `$4` = opens, `$5` = closes, `$6` = when, `$7` = time zone); no row when taken.
pub(crate) const ADD_EVENT_SQL: &str = "INSERT INTO events
    (code, name, number, opens, closes, closed, created_at, time_zone)
    VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7) ON CONFLICT (code) DO NOTHING";

/// Hides or shows one comment (`$1` = code, `$2` = the vote's `MessageSid`, `$3` = hidden).
pub(crate) const HIDE_COMMENT_SQL: &str = "UPDATE ratings SET hidden = $3
    WHERE event_id = (SELECT id FROM events WHERE code = $1) AND message_sid = $2";

/// Removes every vote of an event (`$1` = event id). Processed `MessageSid`s stay, so a
/// retried old message still gets its stored reply and no second effect.
pub(crate) const RESET_VOTES_SQL: &str = "DELETE FROM ratings WHERE event_id = $1";
