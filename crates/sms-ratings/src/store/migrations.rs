//! Versioned schema migrations, the same versions and texts for both backends, applied at start.
//!
//! One SQL text per version; where the dialects differ (identity columns) the text holds a
//! placeholder that [`Dialect::render`] fills in. `schema_migrations` records what was applied;
//! a database migrated by a newer build (a version this build does not know) is refused rather
//! than guessed at.

use super::StoreError;

/// The SQL dialects spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The migration text in this dialect.
    pub(crate) fn render(self, sql: &str) -> String {
        let (id, clustered) = match self {
            Self::Sqlite => ("INTEGER PRIMARY KEY", " WITHOUT ROWID"),
            Self::Postgres => ("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", ""),
        };
        sql.replace("{ID}", id).replace("{CLUSTERED}", clustered)
    }
}

/// One schema step.
pub(crate) struct Migration {
    /// Applied in increasing order.
    pub(crate) version: i64,
    /// What it does.
    pub(crate) name: &'static str,
    /// The SQL (statements separated by `;`), `{ID}` for an identity primary key,
    /// `{CLUSTERED}` after a table stored in its primary key's order (SQLite's
    /// `WITHOUT ROWID`: one b-tree per insert instead of a rowid table plus a key index).
    pub(crate) sql: &'static str,
}

/// Creates the bookkeeping table (same text for both dialects).
pub(crate) const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "events, ratings, processed_messages",
        sql: "
CREATE TABLE events (
    id {ID},
    code TEXT NOT NULL UNIQUE CHECK (code = upper(code)),
    name TEXT NOT NULL,
    number TEXT,
    opens BIGINT,
    closes BIGINT,
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_number ON events (number);
CREATE TABLE ratings (
    event_id BIGINT NOT NULL REFERENCES events (id),
    phone TEXT NOT NULL,
    rating SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    message_sid TEXT NOT NULL UNIQUE,
    votes INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, phone)
){CLUSTERED};
CREATE TABLE processed_messages (
    message_sid TEXT PRIMARY KEY,
    reply TEXT NOT NULL,
    created_at BIGINT NOT NULL
){CLUSTERED};
",
    },
    // Organiser management: archive, results hidden until revealed, the public share link,
    // hidden comments.
    Migration {
        version: 2,
        name: "event settings, share links, hidden comments",
        sql: "
ALTER TABLE events ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN results_hidden BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN share_token TEXT;
CREATE UNIQUE INDEX events_share_token ON events (share_token);
ALTER TABLE ratings ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
",
    },
    Migration {
        version: 3,
        name: "rating channel, opt-outs",
        sql: "
ALTER TABLE ratings ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';
UPDATE ratings SET channel = 'whatsapp' WHERE phone LIKE 'whatsapp:%';
CREATE TABLE opt_outs (
    phone TEXT PRIMARY KEY,
    opted_out_at BIGINT NOT NULL
){CLUSTERED};
",
    },
    Migration {
        version: 4,
        name: "twilio number webhooks kept for undo",
        sql: "
CREATE TABLE twilio_number_backups (
    number_sid TEXT PRIMARY KEY,
    phone_number TEXT NOT NULL,
    sms_url TEXT NOT NULL,
    sms_method TEXT NOT NULL,
    voice_url TEXT NOT NULL,
    voice_method TEXT NOT NULL,
    saved_at BIGINT NOT NULL
){CLUSTERED};
",
    },
    // Version 5: call votes whose caller ID was not attested are kept apart, never replacing
    // a counted vote, unless the event counts them. A table of their own, not a mark on
    // `ratings`: a held vote must leave the phone's counted row as it is, and every held call
    // is kept.
    Migration {
        version: 5,
        name: "held call votes, counting unverified calls",
        sql: "
ALTER TABLE events ADD COLUMN count_unverified_calls BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE held_votes (
    message_sid TEXT PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id),
    phone TEXT NOT NULL,
    rating SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    verstat TEXT NOT NULL,
    created_at BIGINT NOT NULL
){CLUSTERED};
CREATE INDEX held_votes_event ON held_votes (event_id);
",
    },
    // Event numbers in E.164 (Twilio's `To`): what was stored with separators and a country
    // code is cleaned here; a national number needs a region this build cannot know at
    // migration time, so it stays as it is and the manage page flags it (`phone::is_e164`).
    Migration {
        version: 6,
        name: "event numbers in E.164",
        sql: "
UPDATE events SET number = NULL WHERE trim(number) = '';
UPDATE events
SET number = replace(replace(replace(replace(replace(trim(number),
    ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')
WHERE trim(number) LIKE '+%' OR trim(number) LIKE 'whatsapp:+%';
",
    },
    // The origins that may frame an event's audience link (space-separated; see `embed`).
    Migration {
        version: 7,
        name: "audience link framing origins",
        sql: "ALTER TABLE events ADD COLUMN frame_ancestors TEXT;",
    },
    // The IANA zone an event's times are typed and shown in; NULL: the deployment's
    // `--timezone`, which is what every event made before this showed.
    Migration {
        version: 8,
        name: "event time zones",
        sql: "ALTER TABLE events ADD COLUMN time_zone TEXT;",
    },
    // Ballot-stuffing signals stored with each vote (a bit mask of `flag::Reason`s, never
    // deleting the vote), the organiser's hand on single votes, what the public sees, Lookup's
    // line types (each number looked up once), and the record of the organiser's choices.
    Migration {
        version: 9,
        name: "vote flags, public figures, line types, organiser audit",
        sql: "
ALTER TABLE ratings ADD COLUMN flags BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ratings ADD COLUMN counted_by_hand BOOLEAN;
CREATE INDEX ratings_flagged ON ratings (event_id)
    WHERE flags <> 0 OR counted_by_hand IS NOT NULL;
ALTER TABLE events ADD COLUMN public_cleaned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN public_excluded BIGINT NOT NULL DEFAULT 31;
CREATE TABLE line_types (
    phone TEXT PRIMARY KEY,
    line_type TEXT NOT NULL,
    looked_up_at BIGINT NOT NULL
){CLUSTERED};
CREATE TABLE organiser_audit (
    id {ID},
    event_id BIGINT NOT NULL REFERENCES events (id),
    at BIGINT NOT NULL,
    who TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX organiser_audit_event ON organiser_audit (event_id);
",
    },
    // Conference mode: a talk is an event with a schedule. The agenda's talks are events of
    // a conference, in a room, with speakers, a scheduled start and end and the source's
    // stable id (a re-import finds them by it); a talk that left the agenda is cancelled,
    // never deleted. `opens`/`closes` stay the event's vote times (its code works from the
    // start until its window closes); `window_opens` is when texts without a code to its
    // room's number start counting for it. Each room has a Twilio number, copied to its
    // talks' `number` so a vote finds them as it finds any event.
    Migration {
        version: 10,
        name: "conferences, rooms, talks as events with a schedule",
        sql: "
CREATE TABLE conferences (
    code TEXT PRIMARY KEY CHECK (code = upper(code)),
    time_zone TEXT NOT NULL,
    opens_before_end_ms BIGINT NOT NULL,
    closes_after_end_ms BIGINT NOT NULL
){CLUSTERED};
CREATE TABLE rooms (
    conference TEXT NOT NULL REFERENCES conferences (code),
    name TEXT NOT NULL,
    number TEXT UNIQUE,
    PRIMARY KEY (conference, name)
){CLUSTERED};
ALTER TABLE events ADD COLUMN conference TEXT REFERENCES conferences (code);
ALTER TABLE events ADD COLUMN room TEXT;
ALTER TABLE events ADD COLUMN speakers TEXT;
ALTER TABLE events ADD COLUMN scheduled_start BIGINT;
ALTER TABLE events ADD COLUMN scheduled_end BIGINT;
ALTER TABLE events ADD COLUMN source_id TEXT;
ALTER TABLE events ADD COLUMN cancelled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN opens_before_end_ms BIGINT;
ALTER TABLE events ADD COLUMN closes_after_end_ms BIGINT;
ALTER TABLE events ADD COLUMN window_opens BIGINT;
CREATE UNIQUE INDEX events_talk_source ON events (conference, source_id);
",
    },
];

/// The migrations not yet in `applied` (the recorded versions), oldest first: a version
/// missing below the latest applied one (branches that each added one) is applied too. An
/// error when a recorded version is one this build does not know (a newer build migrated it).
pub(crate) fn pending(applied: &[i64]) -> Result<Vec<&'static Migration>, StoreError> {
    if let Some(unknown) = applied
        .iter()
        .find(|v| !MIGRATIONS.iter().any(|m| m.version == **v))
    {
        let latest = MIGRATIONS.last().map_or(0, |m| m.version);
        return Err(StoreError::Corrupt(format!(
            "schema version {unknown} is unknown to this build (it knows up to {latest}); \
             upgrade sms-ratings"
        )));
    }
    Ok(MIGRATIONS
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .collect())
}

/// Lists the applied versions (same text for both dialects).
pub(crate) const APPLIED_VERSIONS: &str = "SELECT version FROM schema_migrations ORDER BY version";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert!(MIGRATIONS.iter().all(|m| !m.name.is_empty()));
    }

    #[test]
    fn pending_and_too_new() {
        assert_eq!(pending(&[]).unwrap().len(), MIGRATIONS.len());
        let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert!(pending(&all).unwrap().is_empty());
        // A version added by another branch below the latest applied one still runs.
        let first_and_last = [all[0], all[all.len() - 1]];
        assert_eq!(pending(&first_and_last).unwrap().len(), all.len() - 2);
        assert!(matches!(pending(&[999]), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn dialects_fill_the_identity() {
        assert!(
            Dialect::Sqlite
                .render(MIGRATIONS[0].sql)
                .contains("id INTEGER PRIMARY KEY")
        );
        assert!(
            Dialect::Postgres
                .render(MIGRATIONS[0].sql)
                .contains("IDENTITY")
        );
    }
}
