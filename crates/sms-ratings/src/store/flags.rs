//! Flags in storage: the texts both backends run for flagged votes, the organiser's choice of
//! public figures and hand moves (each recorded in the audit with who and when), and Lookup's
//! line types.

use super::StoreError;
use super::rows::{Columns, rating_from_db};
use crate::flag::{FlaggedVote, PublicFigures, Reasons};
use crate::model::Timestamp;

/// Adds reasons to an event's vote by phone (`$1` = event id, `$2` = phone, `$3` = bits).
pub(crate) const ADD_FLAGS_SQL: &str =
    "UPDATE ratings SET flags = flags | $3 WHERE event_id = $1 AND phone = $2";

/// An event's flagged or hand-moved votes (`$1` = event id): phone, rating, flags, hand,
/// key, when.
pub(crate) const FLAGGED_SQL: &str = "SELECT phone, CAST(rating AS BIGINT), flags,
    counted_by_hand, message_sid, updated_at FROM ratings
    WHERE event_id = $1 AND (flags <> 0 OR counted_by_hand IS NOT NULL)
    ORDER BY updated_at, phone";

/// An event's public choice (`$1` = event id): cleaned?, excluded reasons.
pub(crate) const PUBLIC_SQL: &str =
    "SELECT public_cleaned, public_excluded FROM events WHERE id = $1";

/// Sets an event's public choice (`$1` = event id, `$2` = cleaned?, `$3` = excluded bits).
pub(crate) const SET_PUBLIC_SQL: &str =
    "UPDATE events SET public_cleaned = $2, public_excluded = $3 WHERE id = $1";

/// Moves a vote in or out by hand, or back to its flags (`$1` = event id, `$2` = key,
/// `$3` = counted, or NULL).
pub(crate) const MOVE_SQL: &str =
    "UPDATE ratings SET counted_by_hand = $3 WHERE event_id = $1 AND message_sid = $2";

/// Records an organiser's change (`$1` = event id, `$2` = when, `$3` = who, `$4` = what).
pub(crate) const AUDIT_SQL: &str =
    "INSERT INTO organiser_audit (event_id, at, who, what) VALUES ($1, $2, $3, $4)";

/// An event's latest recorded changes, newest first (`$1` = event id): when, who, what.
pub(crate) const AUDIT_LIST_SQL: &str = "SELECT at, who, what FROM organiser_audit
    WHERE event_id = $1 ORDER BY at DESC, id DESC LIMIT 50";

/// A number's line type, if looked up (`$1` = phone).
pub(crate) const LINE_TYPE_SQL: &str = "SELECT line_type FROM line_types WHERE phone = $1";

/// Keeps a number's line type (`$1` = phone, `$2` = line type, `$3` = when).
pub(crate) const KEEP_LINE_TYPE_SQL: &str = "INSERT INTO line_types (phone, line_type,
    looked_up_at) VALUES ($1, $2, $3) ON CONFLICT (phone) DO UPDATE
    SET line_type = excluded.line_type, looked_up_at = excluded.looked_up_at";

/// Who changed something, and when: what the audit records with each change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// The organiser's user name.
    pub who: String,
    /// When.
    pub at: Timestamp,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub who: String,
    /// What, in words.
    pub what: String,
}

/// An event's flagged votes and the organiser's choices, for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagReview {
    /// What the public sees.
    pub public: PublicFigures,
    /// The reasons the cleaned figures set aside (ticked by the organiser; all by default).
    pub excluded: Reasons,
    /// Flagged or hand-moved votes, oldest first.
    pub votes: Vec<FlaggedVote>,
    /// The latest recorded choices, newest first.
    pub audit: Vec<AuditEntry>,
}

impl FlagReview {
    /// The review from the stored public choice (`cleaned`, `excluded` bits).
    pub(crate) fn new(cleaned: bool, excluded: i64, votes: Vec<FlaggedVote>) -> Self {
        let excluded = Reasons::from_bits(excluded);
        Self {
            public: if cleaned {
                PublicFigures::Cleaned(excluded)
            } else {
                PublicFigures::Raw
            },
            excluded,
            votes,
            audit: Vec::new(),
        }
    }
}

/// What a public choice is recorded as.
pub(crate) fn describe_public(cleaned: bool, excluded: Reasons) -> String {
    let choice = if cleaned {
        PublicFigures::Cleaned(excluded)
    } else {
        PublicFigures::Raw
    };
    choice.describe()
}

/// What a hand move is recorded as.
pub(crate) fn describe_move(key: &str, hand: Option<bool>) -> String {
    match hand {
        Some(true) => format!("vote {key} counted by hand"),
        Some(false) => format!("vote {key} set aside by hand"),
        None => format!("vote {key} back to its flags"),
    }
}

/// A vote from the columns of [`FLAGGED_SQL`].
pub(crate) fn flagged_vote(row: &impl Columns) -> Result<FlaggedVote, StoreError> {
    Ok(FlaggedVote {
        phone: row.column(0)?,
        rating: rating_from_db(row.column(1)?)?,
        reasons: Reasons::from_bits(row.column(2)?),
        hand: row.column(3)?,
        key: row.column(4)?,
        at: Timestamp::from_millis(row.column(5)?),
    })
}

/// A recorded change from the columns of [`AUDIT_LIST_SQL`].
pub(crate) fn audit_entry(row: &impl Columns) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: Timestamp::from_millis(row.column(0)?),
        who: row.column(1)?,
        what: row.column(2)?,
    })
}

/// The public choice from the columns of [`PUBLIC_SQL`]: cleaned?, excluded bits.
pub(crate) fn public_choice(row: &impl Columns) -> Result<(bool, i64), StoreError> {
    Ok((row.column(0)?, row.column(1)?))
}
