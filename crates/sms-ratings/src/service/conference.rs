//! Conference commands: importing the agenda (talks become events with a schedule) and
//! giving a room its Twilio number. Both announce every talk they changed once committed.

use std::collections::HashSet;
use std::time::Duration;

use jiff::tz::TimeZone;

use super::Ratings;
use crate::agenda::{self, Format, Talk};
use crate::conference::{
    self, Conference, ConferenceCode, ImportError, ImportPlan, Overrides, Room, StoredTalk, Windows,
};
use crate::phone::{self, Region};
use crate::store::{AgendaWrite, EventChange, StoreError, TalkWrite};

/// An agenda import as asked for.
#[derive(Debug, Clone, Default)]
pub struct AgendaImport {
    /// The conference; none: the file's acronym (schedule JSON/XML).
    pub conference: Option<ConferenceCode>,
    /// The file's bytes.
    pub file: Vec<u8>,
    /// The conference's time zone (IANA); none: as stored, else the file's, else UTC.
    pub time_zone: Option<String>,
    /// Vote windows open this long before a talk's end; none: as stored, else 10 minutes.
    pub opens_before_end: Option<Duration>,
    /// Vote windows close this long after a talk's end; none: as stored, else 20 minutes.
    pub closes_after_end: Option<Duration>,
    /// National numbers in the file are read in this region.
    pub region: Option<Region>,
    /// Only say what would change.
    pub dry_run: bool,
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The conference.
    pub conference: Conference,
    /// The format the file was read as.
    pub format: Format,
    /// Talk by talk.
    pub plan: ImportPlan,
    /// True when nothing was written.
    pub dry_run: bool,
}

/// Why a conference command failed; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConferenceError {
    /// The agenda cannot be imported.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// No conference code given and the file names none.
    #[error("which conference? name it with --conference CODE")]
    NoConference,
    /// The file's acronym is not a usable code.
    #[error(transparent)]
    Code(#[from] conference::InvalidConferenceCode),
    /// Not an IANA time zone.
    #[error("unknown time zone {0:?}: use an IANA name such as Europe/Amsterdam")]
    Zone(String),
    /// No such conference.
    #[error("no conference {0}: import its agenda first")]
    UnknownConference(String),
    /// The conference has no such room.
    #[error("conference {conference} has no room {room:?} (its rooms: {known})")]
    UnknownRoom {
        /// The conference.
        conference: String,
        /// The room asked for.
        room: String,
        /// Its rooms, comma-separated.
        known: String,
    },
    /// Not a phone number.
    #[error("{0:?} is not a valid phone number: type it in E.164 form, e.g. +442079460000")]
    Number(String),
    /// The number already serves another room.
    #[error("{number} already serves room {room:?}")]
    NumberInUse {
        /// The number.
        number: String,
        /// The room it serves.
        room: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<agenda::AgendaError> for ConferenceError {
    fn from(e: agenda::AgendaError) -> Self {
        Self::Import(ImportError::Agenda(e))
    }
}

impl Ratings {
    /// Imports an agenda: each talk an event with a schedule, matched to what an earlier
    /// import stored by the source's stable id. Whole or nothing.
    pub async fn import_agenda(
        &self,
        request: AgendaImport,
    ) -> Result<ImportReport, ConferenceError> {
        let provisional = match &request.conference {
            Some(code) => self.store.conference(code.clone()).await?,
            None => None,
        };
        let reading_zone = zone_named(
            request
                .time_zone
                .as_deref()
                .or(provisional.as_ref().map(|c| c.time_zone.as_str()))
                .unwrap_or("UTC"),
        )?;
        let agenda = agenda::parse(&request.file, &reading_zone)?;
        let code = match (&request.conference, &agenda.about.acronym) {
            (Some(code), _) => code.clone(),
            (None, Some(acronym)) => acronym.parse()?,
            (None, None) => return Err(ConferenceError::NoConference),
        };
        let stored_conf = match provisional {
            Some(c) => Some(c),
            None => self.store.conference(code.clone()).await?,
        };
        let conference = settings(&request, code, stored_conf, agenda.about.zone_name)?;
        let stored = self.store.talks(conference.code.clone()).await?;
        let taken: HashSet<String> = self
            .store
            .events()
            .await?
            .into_iter()
            .map(|e| e.code.to_string())
            .collect();
        let plan = conference::plan(&stored, agenda.talks, &taken, request.region)?;
        if !request.dry_run {
            let write = agenda_write(&conference, &plan, &stored);
            self.store.import_agenda(write).await?;
            for talk in plan
                .added
                .iter()
                .chain(&plan.changed)
                .chain(&plan.unchanged)
            {
                self.changed(talk.code.as_str());
            }
            for talk in &plan.cancelled {
                self.changed(talk.code.as_str());
            }
        }
        Ok(ImportReport {
            conference,
            format: agenda.format,
            plan,
            dry_run: request.dry_run,
        })
    }

    /// Gives a conference's room its Twilio number (E.164; national numbers read in
    /// `region`): texts and calls to it without a code count for the talk in that room whose
    /// window is open. How many talks it serves.
    pub async fn set_room_number(
        &self,
        conference: ConferenceCode,
        room: &str,
        number: &str,
        region: Option<Region>,
    ) -> Result<usize, ConferenceError> {
        let number =
            phone::to_e164(number, region).map_err(|_| ConferenceError::Number(number.into()))?;
        if self.store.conference(conference.clone()).await?.is_none() {
            return Err(ConferenceError::UnknownConference(conference.to_string()));
        }
        let rooms = self.store.rooms(conference.clone()).await?;
        if !rooms.iter().any(|r| r.name == room) {
            return Err(ConferenceError::UnknownRoom {
                conference: conference.to_string(),
                room: room.to_owned(),
                known: rooms
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if let Some(other) = rooms
            .iter()
            .find(|r| r.name != room && r.number.as_deref() == Some(number.as_str()))
        {
            return Err(ConferenceError::NumberInUse {
                number,
                room: other.name.clone(),
            });
        }
        self.store
            .set_room_number(conference.clone(), room.to_owned(), Some(number))
            .await?;
        let talks: Vec<StoredTalk> = self.store.talks(conference).await?;
        let in_room: Vec<&StoredTalk> = talks.iter().filter(|t| t.room == room).collect();
        for talk in &in_room {
            self.changed(talk.code.as_str());
        }
        Ok(in_room.len())
    }
}

impl Ratings {
    /// The conference `code` names, or the only one there is.
    pub async fn conference_or_only(
        &self,
        code: Option<ConferenceCode>,
    ) -> Result<ConferenceCode, ConferenceError> {
        if let Some(code) = code {
            return Ok(code);
        }
        let all = self.store.conferences().await?;
        match all.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(ConferenceError::UnknownConference(
                "(none yet: import an agenda first)".into(),
            )),
            _ => Err(ConferenceError::NoConference),
        }
    }

    /// A conference's rooms and their numbers.
    pub async fn rooms(&self, code: ConferenceCode) -> Result<Vec<Room>, ConferenceError> {
        Ok(self.store.rooms(code).await?)
    }
}

/// A talk's private results link for its speakers (its share link: read-only results and
/// visible comments, no phone numbers, no other talk; revoked from its manage page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerLink {
    /// The talk.
    pub talk: StoredTalk,
    /// The link's token: the page is `/p/{token}`.
    pub token: String,
}

impl Ratings {
    /// Every talk's speaker link (cancelled talks left out), giving a link to each talk that
    /// has none with a token from `new_token` (32 random bytes, base64url).
    pub async fn speaker_links(
        &self,
        conference: ConferenceCode,
        new_token: impl Fn() -> Option<String>,
    ) -> Result<Vec<SpeakerLink>, ConferenceError> {
        let talks = self.store.talks(conference).await?;
        let mut links = Vec::with_capacity(talks.len());
        for talk in talks.into_iter().filter(|t| !t.cancelled) {
            let existing = self
                .store
                .event_settings(talk.code.clone())
                .await?
                .and_then(|s| s.share_token);
            let token = match existing {
                Some(token) => token,
                None => {
                    let token = new_token().ok_or_else(|| {
                        StoreError::Unavailable("no randomness for a link token".into())
                    })?;
                    self.change_event(talk.code.clone(), EventChange::Share(Some(token.clone())))
                        .await?;
                    token
                }
            };
            links.push(SpeakerLink { talk, token });
        }
        Ok(links)
    }
}

/// A time zone by IANA name.
fn zone_named(name: &str) -> Result<TimeZone, ConferenceError> {
    TimeZone::get(name).map_err(|_| ConferenceError::Zone(name.to_owned()))
}

/// The conference's settings after this import: what the request gives, else what is
/// stored, else the file's zone and the default windows.
fn settings(
    request: &AgendaImport,
    code: ConferenceCode,
    stored: Option<Conference>,
    file_zone: Option<String>,
) -> Result<Conference, ConferenceError> {
    let windows = stored.as_ref().map(|c| c.windows).unwrap_or_default();
    let time_zone = request
        .time_zone
        .clone()
        .or(stored.map(|c| c.time_zone))
        .or(file_zone.filter(|z| TimeZone::get(z).is_ok()))
        .unwrap_or_else(|| "UTC".to_owned());
    zone_named(&time_zone)?;
    Ok(Conference {
        code,
        time_zone,
        windows: Windows {
            opens_before_end: request.opens_before_end.unwrap_or(windows.opens_before_end),
            closes_after_end: request.closes_after_end.unwrap_or(windows.closes_after_end),
        },
    })
}

/// What the store writes for a plan: every talk of the agenda with its vote times (its own
/// window where it has one), the cancellations, the rooms.
fn agenda_write(conference: &Conference, plan: &ImportPlan, stored: &[StoredTalk]) -> AgendaWrite {
    let overrides = |source_id: &str| {
        stored
            .iter()
            .find(|s| s.source_id == source_id)
            .map_or_else(Overrides::default, |s| s.overrides)
    };
    let write = |talk: &Talk, new: bool| TalkWrite {
        new,
        talk: talk.clone(),
        times: conference
            .windows
            .with(&overrides(&talk.source_id))
            .times(talk.start, talk.end),
    };
    let talks: Vec<TalkWrite> = plan
        .added
        .iter()
        .map(|t| write(t, true))
        .chain(
            plan.changed
                .iter()
                .chain(&plan.unchanged)
                .map(|t| write(t, false)),
        )
        .collect();
    let mut rooms: Vec<Room> = plan.numbers.clone();
    for talk in &talks {
        if !rooms.iter().any(|r| r.name == talk.talk.room) {
            rooms.push(Room {
                name: talk.talk.room.clone(),
                number: None,
            });
        }
    }
    AgendaWrite {
        conference: conference.clone(),
        talks,
        cancel: plan.cancelled.iter().map(|t| t.source_id.clone()).collect(),
        rooms,
    }
}
