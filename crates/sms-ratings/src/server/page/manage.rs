//! Event management in the browser: create, edit, open / close / archive, hide and reveal
//! results, the audience link, comment moderation and resetting votes.
//!
//! Every handler here is a POST behind [`crate::server::csrf::protect`]. Details follow the
//! same rules as `sms-ratings events add` ([`crate::rules`]); a refused form comes back with
//! its values and an error next to each field (422), having stored nothing. Success answers
//! 303 to the manage page with a notice naming what happened.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::flags::FlagsCard;
use super::form::{FormData, Posted, to_manage};
use super::render::{self, EventForm, ManagePage, ModeratedComment, NewEventPage, Notice};
use super::view::{average_text, state_name};
use super::{App, code};
use crate::mask::{mask_numbers_in, mask_phone};
use crate::model::{Event, EventCode, NewEvent, Timestamp};
use crate::rules::{self, EventRuleError};
use crate::server::csrf::{CsrfToken, new_token};
use crate::server::error::HttpError;
use crate::server::figures::Figures;
use crate::store::{EventChange, StoreError};

/// The event form as posted, and the event it describes when every rule holds.
fn checked(
    form: &FormData,
    code: &str,
    app: &App,
) -> (EventForm, Result<NewEvent, Vec<EventRuleError>>) {
    let typed = rules::Typed {
        code,
        name: form.get("name"),
        number: form.get("number"),
        opens: form.get("opens"),
        closes: form.get("closes"),
        time_zone: form.get("time_zone"),
    };
    let result = rules::check_typed(&typed, &app.default_zone, app.default_region);
    let shown = EventForm {
        code_editable: true,
        code: code.to_owned(),
        name: typed.name.to_owned(),
        number: typed.number.to_owned(),
        opens: typed.opens.to_owned(),
        closes: typed.closes.to_owned(),
        time_zone: typed.time_zone.to_owned(),
        default_zone: app.default_zone.name().to_owned(),
        errors: result.as_ref().err().cloned().unwrap_or_default(),
    };
    (shown, result)
}

/// [`checked`], then the one-open-event-per-number rule against the stored events.
async fn checked_with_others(
    app: &App,
    form: &FormData,
    code: &str,
) -> Result<(EventForm, Result<NewEvent, ()>), HttpError> {
    let (mut shown, result) = checked(form, code, app);
    let Ok(event) = result else {
        return Ok((shown, Err(())));
    };
    match app.ratings.check_number_free(&event).await? {
        Ok(()) => Ok((shown, Ok(event))),
        Err(e) => {
            shown.errors.push(e);
            Ok((shown, Err(())))
        }
    }
}

pub(crate) async fn new_form(
    State(app): State<App>,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    let form = EventForm {
        code_editable: true,
        default_zone: app.default_zone.name().to_owned(),
        ..EventForm::default()
    };
    render::page(StatusCode::OK, &NewEventPage { form, csrf: csrf.0 })
}

pub(crate) async fn create(
    State(app): State<App>,
    Extension(csrf): Extension<CsrfToken>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let form = FormData::parse(&body);
    let (mut shown, result) = checked_with_others(&app, &form, form.get("code")).await?;
    let refused = |form| {
        let page = NewEventPage { form, csrf: csrf.0 };
        Ok(render::page(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let Ok(event) = result else {
        return refused(shown);
    };
    match app.ratings.create_event(event).await {
        Ok(event) => {
            tracing::info!(code = %event.code, "event created");
            let open = event.is_open_at(Timestamp::now());
            Ok(to_manage(
                &event.code,
                if open { "created-open" } else { "created" },
            ))
        }
        Err(StoreError::DuplicateEvent(code)) => {
            shown.errors.push(EventRuleError::CodeTaken(code));
            refused(shown)
        }
        Err(e) => Err(e.into()),
    }
}

/// `?notice=…&removed=N` on the manage page.
#[derive(Debug, Deserialize)]
pub(crate) struct ManageQuery {
    notice: Option<String>,
    removed: Option<u64>,
}

fn notice(query: &ManageQuery) -> Option<Notice> {
    let (kind, text) = match query.notice.as_deref()? {
        "created" => (
            "created",
            "Event created. Voting opens at the time you set.",
        ),
        "created-open" => ("created", "Event created. Voting is open now."),
        "saved" => ("saved", "Changes saved."),
        "opened" => ("opened", "Voting is open."),
        "closed" => ("closed", "Voting is closed."),
        "archived" => ("archived", "Event archived (and closed)."),
        "unarchived" => ("unarchived", "Event back from the archive."),
        "results-hidden" => (
            "results-hidden",
            "Results hidden: the projector and the audience link show the vote count only.",
        ),
        "results-revealed" => ("results-revealed", "Results revealed."),
        "calls-counted" => (
            "calls-counted",
            "Calls from unverified numbers count from now on.",
        ),
        "calls-held" => (
            "calls-held",
            "Calls from unverified numbers are held from now on.",
        ),
        "shared" => (
            "shared",
            "New audience link: any earlier link no longer works.",
        ),
        "revoked" => ("revoked", "Audience link revoked: it now answers 404."),
        "embed" => ("embed", "Framing origins saved."),
        "figures" => (
            "figures",
            "Saved what the projector and the audience link show.",
        ),
        "vote-moved" => ("vote-moved", "Vote moved; the change is recorded."),
        "vote-gone" => (
            "vote-gone",
            "That vote is gone (its sender voted again): nothing was changed.",
        ),
        "comment-hidden" => (
            "comment-hidden",
            "Comment hidden from the projector and the audience.",
        ),
        "comment-shown" => ("comment-shown", "Comment shown again."),
        "comment-gone" => (
            "comment-gone",
            "That vote changed meanwhile (its sender voted again): check the list.",
        ),
        "reset" => {
            let n = query.removed.unwrap_or(0);
            let votes = if n == 1 { "vote" } else { "votes" };
            return Some(Notice {
                kind: "reset",
                text: format!("Removed {n} {votes}."),
            });
        }
        _ => return None,
    };
    Some(Notice {
        kind,
        text: text.to_owned(),
    })
}

/// What to show on the manage page besides the stored event.
#[derive(Default)]
struct Shown {
    notice: Option<Notice>,
    form: Option<EventForm>,
    state_error: Option<String>,
    reset_error: Option<String>,
    /// The framing origins as typed, and why they were refused.
    embed: Option<(String, String)>,
}

async fn manage_page(
    app: &App,
    code: EventCode,
    csrf: String,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let store = app.ratings.store();
    let event = store
        .event(code.clone())
        .await?
        .ok_or(HttpError::NotFound)?;
    let settings = store.event_settings(code.clone()).await?;
    let figures = Figures::read(&**store, code.clone()).await?;
    let ratings = store.ratings(code).await?;
    let (Some(settings), Some(figures), Some(ratings)) = (settings, figures, ratings) else {
        return Err(HttpError::NotFound);
    };
    let results = &figures.raw;
    // The figures the page script compares with the snapshot, which carries the public's.
    let public = figures.public();
    let mut comments: Vec<_> = ratings
        .into_iter()
        .filter(|r| !r.comment.is_empty())
        .collect();
    comments.sort_by_key(|r| std::cmp::Reverse(r.updated_at));
    let state = state_name(&event);
    let settings_origins = settings.frame_origins();
    let page = ManagePage {
        state,
        state_label: render::state_label(state),
        opens_text: event
            .opens
            .map(|t| event.zone(&app.default_zone).show(t))
            .unwrap_or_default(),
        zone: event.zone(&app.default_zone).name().to_owned(),
        count: results.count,
        average: average_text(results),
        reach: results.reach.clone(),
        stamp: format!(
            "{}/{}",
            public.count,
            public.updated_at.as_deref().unwrap_or_default()
        ),
        flags: FlagsCard::new(&figures),
        share_url: settings
            .share_token
            .as_ref()
            .map(|t| format!("{}/p/{t}", app.public_url)),
        comments: comments
            .into_iter()
            .map(|r| ModeratedComment {
                id: r.message_sid,
                phone: mask_phone(&r.phone),
                rating: r.rating.get(),
                comment: mask_numbers_in(&r.comment),
                hidden: r.hidden,
            })
            .collect(),
        form: shown
            .form
            .unwrap_or_else(|| EventForm::of(&event, &app.default_zone)),
        bad_number: event.number.clone().filter(|n| !crate::phone::is_e164(n)),
        settings,
        event,
        csrf,
        notice: shown.notice,
        state_error: shown.state_error,
        reset_error: shown.reset_error,
        embed_origins: shown
            .embed
            .as_ref()
            .map_or_else(|| settings_origins.join(" "), |(typed, _)| typed.clone()),
        embed_error: shown.embed.map(|(_, error)| error),
    };
    Ok(render::page(status, &page))
}

pub(crate) async fn page(
    State(app): State<App>,
    Path(raw): Path<String>,
    Query(query): Query<ManageQuery>,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<Response, HttpError> {
    let shown = Shown {
        notice: notice(&query),
        ..Shown::default()
    };
    manage_page(&app, code(&raw)?, csrf.0, shown, StatusCode::OK).await
}

pub(crate) async fn edit(
    State(app): State<App>,
    Extension(csrf): Extension<CsrfToken>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let (mut shown, result) = checked_with_others(&app, &form, code.as_str()).await?;
    shown.code_editable = false;
    let Ok(event) = result else {
        let shown = Shown {
            form: Some(shown),
            ..Shown::default()
        };
        return manage_page(&app, code, csrf.0, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    app.ratings.edit_event(event).await?;
    Ok(to_manage(&code, "saved"))
}

/// Applies `change` (the service tells the live pages) and answers 303 to the manage page
/// with the notice `done`.
async fn apply(
    app: &App,
    code: EventCode,
    change: EventChange,
    done: &str,
) -> Result<Response, HttpError> {
    app.ratings.change_event(code.clone(), change).await?;
    tracing::info!(%code, action = done, "event changed");
    Ok(to_manage(&code, done))
}

/// Opening must not put a second open event on the event's number.
fn check_can_open(event: &Event, all: &[Event], now: Timestamp) -> Result<(), EventRuleError> {
    let candidate = NewEvent {
        code: event.code.clone(),
        name: event.name.clone(),
        number: event.number.clone(),
        opens: None,
        closes: event.closes.filter(|c| *c > now),
        time_zone: event.time_zone.clone(),
    };
    rules::check_number_free(&candidate, all, now)
}

pub(crate) async fn state(
    State(app): State<App>,
    Extension(csrf): Extension<CsrfToken>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let store = app.ratings.store();
    let now = Timestamp::now();
    let (change, done) = match form.get("action") {
        "open" => (EventChange::OpenNow(now), "opened"),
        "close" => (EventChange::Close, "closed"),
        "archive" => (EventChange::Archive, "archived"),
        "unarchive" => (EventChange::Unarchive, "unarchived"),
        _ => return Err(HttpError::BadRequest),
    };
    if matches!(change, EventChange::OpenNow(_)) {
        let all = store.events().await?;
        let event = all
            .iter()
            .find(|e| e.code == code)
            .ok_or(HttpError::NotFound)?;
        if let Err(e) = check_can_open(event, &all, now) {
            let shown = Shown {
                state_error: Some(e.to_string()),
                ..Shown::default()
            };
            return manage_page(&app, code, csrf.0, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    }
    apply(&app, code, change, done).await
}

pub(crate) async fn results(
    State(app): State<App>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let (hidden, done) = match form.get("action") {
        "hide" => (true, "results-hidden"),
        "reveal" => (false, "results-revealed"),
        _ => return Err(HttpError::BadRequest),
    };
    apply(&app, code, EventChange::HideResults(hidden), done).await
}

pub(crate) async fn calls(
    State(app): State<App>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let (count, done) = match form.get("action") {
        "count" => (true, "calls-counted"),
        "hold" => (false, "calls-held"),
        _ => return Err(HttpError::BadRequest),
    };
    apply(&app, code, EventChange::CountUnverifiedCalls(count), done).await
}

pub(crate) async fn share(
    State(app): State<App>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let (token, done) = match form.get("action") {
        "new" => (Some(new_token().ok_or(HttpError::Internal)?), "shared"),
        "revoke" => (None, "revoked"),
        _ => return Err(HttpError::BadRequest),
    };
    apply(&app, code, EventChange::Share(token), done).await
}

pub(crate) async fn comments(
    State(app): State<App>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let (hidden, done) = match form.get("action") {
        "hide" => (true, "comment-hidden"),
        "unhide" => (false, "comment-shown"),
        _ => return Err(HttpError::BadRequest),
    };
    let id = form.get("id").to_owned();
    if app.ratings.store().event(code.clone()).await?.is_none() {
        return Err(HttpError::NotFound);
    }
    let found = app.ratings.hide_comment(code.clone(), id, hidden).await?;
    Ok(to_manage(&code, if found { done } else { "comment-gone" }))
}

/// Sets the origins allowed to frame the audience link; a bad list changes nothing.
pub(crate) async fn embed(
    State(app): State<App>,
    Extension(csrf): Extension<CsrfToken>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    let typed = form.get("origins");
    match crate::embed::parse_origins(typed) {
        Ok(origins) => apply(&app, code, EventChange::FrameAncestors(origins), "embed").await,
        Err(e) => {
            let shown = Shown {
                embed: Some((typed.to_owned(), e.to_string())),
                ..Shown::default()
            };
            manage_page(&app, code, csrf.0, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub(crate) async fn reset(
    State(app): State<App>,
    Extension(csrf): Extension<CsrfToken>,
    Posted { code, form }: Posted,
) -> Result<Response, HttpError> {
    // Exactly the code, as shown: removing every vote deserves a deliberate confirmation.
    if form.get("confirm") != code.as_str() {
        let shown = Shown {
            reset_error: Some(format!("Type {code} to confirm; nothing was removed.")),
            ..Shown::default()
        };
        return manage_page(&app, code, csrf.0, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let removed = app.ratings.reset_votes(code.clone()).await?;
    tracing::info!(%code, removed, "votes reset");
    let location = format!("/events/{code}/manage?notice=reset&removed={removed}");
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}
