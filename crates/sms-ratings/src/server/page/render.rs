//! The pages' templates (askama, in `templates/`: HTML-escaped by default, checked at compile
//! time) and the values they show.

use std::sync::Arc;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::hub::Built;
use super::view::{Snapshot, state_name};
use crate::model::{Event, Results, Zone};
use crate::rules::{EventRuleError, Field};
use crate::server::error::HttpError;
use crate::store::EventSettings;

/// Renders a template as an HTML response with `status`.
pub(crate) fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            HttpError::Internal.into_response()
        }
    }
}

/// What the state chips say.
pub(crate) fn state_label(state: &str) -> &'static str {
    match state {
        "open" => "open",
        "not_open" => "not open yet",
        _ => "closed",
    }
}

/// One row of the events list.
pub(crate) struct IndexRow {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) state: &'static str,
    pub(crate) state_label: &'static str,
    /// When a pending event opens, in its zone, named (empty otherwise).
    pub(crate) opens: String,
    pub(crate) count: u64,
    pub(crate) average: String,
}

impl IndexRow {
    /// The row of `event`, its opening time in its zone (else `default_zone`).
    pub(crate) fn new(event: &Event, results: &Results, default_zone: &Zone) -> Self {
        let state = state_name(event);
        let opens = match (state, event.opens) {
            ("not_open", Some(t)) => format!("opens {}", event.zone(default_zone).show(t)),
            _ => String::new(),
        };
        Self {
            code: event.code.to_string(),
            name: event.name.clone(),
            number: event
                .number
                .as_deref()
                .map(display_number)
                .unwrap_or_default(),
            state,
            state_label: state_label(state),
            opens,
            count: results.count,
            average: super::view::average_text(results),
        }
    }
}

/// `GET /`: the events, current or archived.
#[derive(Template)]
#[template(path = "index.html")]
pub(crate) struct IndexPage {
    pub(crate) rows: Vec<IndexRow>,
    pub(crate) archived: bool,
    pub(crate) archived_count: usize,
}

/// How people vote for `event`: the number to text and whether the code must lead the text
/// (when the number serves other open events too, or the event has no number of its own).
pub(crate) struct HowToVote {
    /// The number to text, formatted for reading.
    pub(crate) number: Option<String>,
    /// True when the text must start with the event code.
    pub(crate) needs_code: bool,
}

impl HowToVote {
    /// Works it out from all events.
    pub(crate) fn of(event: &Event, all: &[Event]) -> Self {
        let now = crate::model::Timestamp::now();
        let shared = event.number.as_ref().is_some_and(|n| {
            all.iter()
                .any(|e| e.id != event.id && e.number.as_ref() == Some(n) && e.is_open_at(now))
        });
        Self {
            number: event.number.as_deref().map(display_number),
            needs_code: shared || event.number.is_none(),
        }
    }
}

/// Where the page script connects.
pub(crate) struct PageUrls {
    /// The server-sent events stream.
    pub(crate) live: String,
    /// The JSON snapshot polled when the stream fails.
    pub(crate) poll: String,
    /// `sse` (with polling as fallback) or `poll` (forced by `?transport=poll`).
    pub(crate) transport: &'static str,
}

/// One bar of the histogram, 5 at the top.
pub(crate) struct Bar {
    rating: &'static str,
    n: u64,
    width: String,
}

/// `GET /events/{code}` (the projector) and `GET /p/{token}` (the audience): the same wall,
/// with nothing of the organiser's on it (no links to their pages, no senders).
#[derive(Template)]
#[template(path = "event.html")]
pub(crate) struct EventPage {
    pub(crate) name: String,
    pub(crate) code: String,
    pub(crate) state_label: &'static str,
    pub(crate) how: HowToVote,
    pub(crate) snap: Arc<Snapshot>,
    /// The snapshot's JSON as the hub published it (the bytes the streams send).
    pub(crate) snapshot_json: Arc<str>,
    pub(crate) bars: Vec<Bar>,
    pub(crate) urls: PageUrls,
    /// `sms:` link with the number and code filled in (when the event has a number).
    pub(crate) sms_link: Option<String>,
    /// The QR code of [`EventPage::sms_link`].
    pub(crate) qr_url: Option<String>,
    /// The zone its times are shown in (the page script's too, from `data-tz`).
    pub(crate) zone: Zone,
}

impl EventPage {
    /// The page for `event` showing `snap`, its times in its zone (else `default_zone`).
    pub(crate) fn new(
        event: &Event,
        how: HowToVote,
        snap: Built<Snapshot>,
        urls: PageUrls,
        default_zone: &Zone,
    ) -> Self {
        let Built { value: snap, json } = snap;
        let max = snap
            .results
            .histogram
            .values()
            .copied()
            .max()
            .unwrap_or(0)
            .max(1);
        // Hidden results: no bars at all (their labels are ratings too).
        let shown: &[&'static str] = if snap.revealed {
            &["5", "4", "3", "2", "1"]
        } else {
            &[]
        };
        let bars = shown
            .iter()
            .copied()
            .map(|rating| {
                let n = snap.results.histogram.get(rating).copied().unwrap_or(0);
                Bar {
                    rating,
                    n,
                    width: bar_width(n, max),
                }
            })
            .collect();
        Self {
            name: event.name.clone(),
            code: event.code.to_string(),
            state_label: state_label(snap.state),
            how,
            snapshot_json: json,
            snap,
            bars,
            urls,
            sms_link: super::qr::sms_link(event),
            qr_url: None,
            zone: event.zone(default_zone).clone(),
        }
    }

    /// An RFC 3339 time from the snapshot on the event's wall clock (`19:30`), as the page
    /// script would write it.
    pub(crate) fn clock(&self, at: &str) -> String {
        at.parse()
            .map_or_else(|_| at.to_owned(), |t| self.zone.clock(t))
    }
}

/// The fields of the event form, as typed, with their errors.
#[derive(Debug, Default)]
pub(crate) struct EventForm {
    pub(crate) code_editable: bool,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) opens: String,
    pub(crate) closes: String,
    /// The event's own zone as typed (empty: the deployment's).
    pub(crate) time_zone: String,
    /// The deployment's zone, the times' zone when the event has none.
    pub(crate) default_zone: String,
    pub(crate) errors: Vec<EventRuleError>,
}

impl EventForm {
    /// The form filled in from a stored event (its times in the `datetime-local` format, in
    /// its zone, else in `default_zone`, the deployment's).
    pub(crate) fn of(event: &Event, default_zone: &Zone) -> Self {
        let zone = event.zone(default_zone);
        let local =
            |t: Option<crate::model::Timestamp>| t.map(|t| zone.input(t)).unwrap_or_default();
        Self {
            code_editable: false,
            code: event.code.to_string(),
            name: event.name.clone(),
            number: event.number.clone().unwrap_or_default(),
            opens: local(event.opens),
            closes: local(event.closes),
            time_zone: event
                .time_zone
                .as_ref()
                .map(|z| z.name().to_owned())
                .unwrap_or_default(),
            default_zone: default_zone.name().to_owned(),
            errors: Vec::new(),
        }
    }

    /// The zone the times are typed in, as the form names it: the one typed when it is a
    /// zone, else the deployment's.
    pub(crate) fn zone_shown(&self) -> String {
        match self.time_zone.parse::<Zone>() {
            Ok(zone) => zone.name().to_owned(),
            Err(_) => self.default_zone.clone(),
        }
    }

    /// The zone names the time-zone field suggests.
    pub(crate) fn zone_names(&self) -> &'static [String] {
        crate::model::zone::names()
    }

    /// The first error for the field named `name` (`code`, `name`, `number`, `opens`,
    /// `closes`, `time_zone`), as shown next to it.
    pub(crate) fn error(&self, name: &str) -> Option<String> {
        let field = match name {
            "code" => Field::Code,
            "name" => Field::Name,
            "number" => Field::Number,
            "opens" => Field::Opens,
            "time_zone" => Field::TimeZone,
            _ => Field::Closes,
        };
        self.errors
            .iter()
            .find(|e| e.field() == field)
            .map(ToString::to_string)
    }
}

/// `GET /events/new`, and the form again with its errors.
#[derive(Template)]
#[template(path = "event_form.html")]
pub(crate) struct NewEventPage {
    pub(crate) form: EventForm,
    pub(crate) csrf: String,
}

/// A comment in the organiser's moderation list.
pub(crate) struct ModeratedComment {
    pub(crate) id: String,
    pub(crate) phone: String,
    pub(crate) rating: u8,
    pub(crate) comment: String,
    pub(crate) hidden: bool,
}

/// What the last action did, shown at the top of the manage page.
pub(crate) struct Notice {
    pub(crate) kind: &'static str,
    pub(crate) text: String,
}

/// `GET /events/{code}/manage`.
#[derive(Template)]
#[template(path = "manage.html")]
pub(crate) struct ManagePage {
    pub(crate) event: Event,
    pub(crate) settings: EventSettings,
    pub(crate) state: &'static str,
    pub(crate) state_label: &'static str,
    /// When voting opens, in the event's zone, named.
    pub(crate) opens_text: String,
    /// The name of the zone the event's times are shown in.
    pub(crate) zone: String,
    pub(crate) count: u64,
    pub(crate) average: String,
    /// Votes per channel and voters who opted out of texts.
    pub(crate) reach: crate::model::Reach,
    /// Votes and latest vote time as the page shows them (`count/updated_at`); the page
    /// script says "new votes" when the snapshot's differ.
    pub(crate) stamp: String,
    pub(crate) share_url: Option<String>,
    pub(crate) comments: Vec<ModeratedComment>,
    pub(crate) form: EventForm,
    pub(crate) csrf: String,
    pub(crate) notice: Option<Notice>,
    pub(crate) state_error: Option<String>,
    pub(crate) reset_error: Option<String>,
    /// The event's number when it is not E.164 (stored before numbers were parsed): texts to
    /// it cannot be matched until the organiser fixes it.
    pub(crate) bad_number: Option<String>,
    /// The origins allowed to frame the audience link, space-separated (or as typed).
    pub(crate) embed_origins: String,
    pub(crate) embed_error: Option<String>,
    /// Flagged votes, raw and cleaned figures, what the public sees.
    pub(crate) flags: super::flags::FlagsCard,
}

/// `+15005550006` → `+1 500 555 0006`; other numbers as they are.
pub(crate) fn display_number(number: &str) -> String {
    let digits = number
        .strip_prefix("+1")
        .filter(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()));
    match digits {
        Some(d) => format!("+1 {} {} {}", &d[..3], &d[3..6], &d[6..]),
        None => number.to_owned(),
    }
}

/// A bar's width as an SVG percentage, one decimal (the page script computes the same).
pub(crate) fn bar_width(n: u64, max: u64) -> String {
    let tenths = n * 1000 / max.max(1);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_bars() {
        assert_eq!(display_number("+15005550006"), "+1 500 555 0006");
        assert_eq!(display_number("+447700900123"), "+447700900123");
        assert_eq!(bar_width(0, 0), "0.0%");
        assert_eq!(bar_width(1, 3), "33.3%");
        assert_eq!(bar_width(3, 3), "100.0%");
    }

    #[test]
    fn form_errors_sit_next_to_their_field() {
        let form = EventForm {
            errors: vec![EventRuleError::Code, EventRuleError::ClosesBeforeOpens],
            ..EventForm::default()
        };
        assert!(form.error("code").unwrap().contains("2-32"));
        assert!(form.error("closes").unwrap().contains("after"));
        assert_eq!(form.error("name"), None);
    }
}
