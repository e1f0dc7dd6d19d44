//! Rocket 0.5 (feature `rocket`): a data guard and the [`Twilio`] fairing.
//!
//! A Rocket request guard cannot see the body, and Twilio's signature covers it, so the
//! check is a data guard: take [`TwilioRequest<T>`](crate::TwilioRequest) (the verified pairs
//! read as `T`) or [`VerifiedWebhook`] as the route's `data`. It runs
//! the [flow](crate::flow) before the handler: early refusals (405, 401, 413 by
//! `Content-Length`), the body read up to the limit, verification, the replay guard.
//!
//! Attach [`Twilio`] with the config. Besides holding the config for the guard, the fairing
//! gives a refused request the flow's own answer (status, fixed text, `Allow` or
//! `WWW-Authenticate`) in place of Rocket's catcher page, answers a replay with the stored
//! response, and stores the handler's response for replays.
//!
//! `rocket::build().attach(Twilio::new(config))`, then a route such as
//! `#[post("/sms", data = "<sms>")] fn sms(sms: TwilioRequest<Sms>) -> MessagingResponse`
//! (TwiML builders are Rocket responders, served as `text/xml`). The whole app is
//! `examples/rocket_sms.rs`.

use std::io::Cursor;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use rocket::data::{Data, FromData, ToByteUnit as _};
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::{ContentType, Header, HeaderMap, Status};
use rocket::outcome::Outcome;
use rocket::{Build, Request, Response, Rocket};

use crate::LOG_TARGET;
use crate::config::WebhookConfig;
use crate::flow::{Answer, Ticket, Verdict};
use crate::rejection::Rejection;
use crate::replay::StoredResponse;
use crate::request::{HeaderSource, Repeated, WebhookRequest};
use crate::webhook::{FromWebhook, TwilioRequest, VerifiedWebhook};

impl HeaderSource for HeaderMap<'_> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.get(name).map(str::as_bytes).collect()
    }

    fn single_value(&self, name: &str) -> Result<Option<&[u8]>, Repeated> {
        let mut values = self.get(name);
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(one), None) => Ok(Some(one.as_bytes())),
            (Some(_), Some(_)) => Err(Repeated),
        }
    }
}

/// The fairing that holds the config and finishes what the guard started; see the
/// [module docs](self).
#[derive(Clone, Debug)]
pub struct Twilio {
    config: Arc<WebhookConfig>,
}

impl Twilio {
    /// A fairing checking webhooks against `config`.
    pub fn new(config: WebhookConfig) -> Self {
        Twilio::shared(Arc::new(config))
    }

    /// A fairing over a config shared with other code.
    pub fn shared(config: Arc<WebhookConfig>) -> Self {
        Twilio { config }
    }
}

/// The config as managed state; private, so no other state can stand in for it.
struct Managed(Arc<WebhookConfig>);

/// What the guard left for the fairing in the request's local cache.
#[derive(Default)]
struct Pending(Mutex<Outcomes>);

#[derive(Default)]
struct Outcomes {
    /// The flow's own answer instead of the handler's or the catcher's.
    answer: Option<Owned>,
    /// The handler ran: its response is recorded for replays.
    ticket: Option<Ticket>,
}

enum Owned {
    Refused(Rejection),
    Replayed(StoredResponse),
}

impl Pending {
    fn of<'a>(request: &'a Request<'_>) -> &'a Pending {
        request.local_cache(Pending::default)
    }

    fn update(&self, change: impl FnOnce(&mut Outcomes)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn take(&self) -> Outcomes {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[rocket::async_trait]
impl Fairing for Twilio {
    fn info(&self) -> Info {
        Info {
            name: "twilio-webhook",
            kind: Kind::Ignite | Kind::Response,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        Ok(rocket.manage(Managed(Arc::clone(&self.config))))
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let Outcomes { answer, ticket } = Pending::of(request).take();
        match &answer {
            Some(Owned::Refused(rejection)) => respond(response, Answer::from(rejection)),
            Some(Owned::Replayed(stored)) => respond(response, Answer::from(stored)),
            None => {}
        }
        if let Some(ticket) = ticket.filter(Ticket::records) {
            record(ticket, response).await;
        }
    }
}

/// Stores the response for replays, or forgets the request when its body breaks.
async fn record(ticket: Ticket, response: &mut Response<'_>) {
    let Ok(body) = response.body_mut().to_bytes().await else {
        ticket.fail().await;
        respond(response, Answer::from(&Rejection::ResponseFailed));
        return;
    };
    let body = Bytes::from(body);
    let content_type = response.content_type().map(|t| t.to_string());
    ticket
        .record(
            response.status().code,
            content_type.as_deref(),
            body.clone(),
        )
        .await;
    response.set_sized_body(body.len(), Cursor::new(body));
}

/// Replaces the response with the flow's own answer.
fn respond(response: &mut Response<'_>, answer: Answer<'_>) {
    let mut fresh = Response::new();
    fresh.set_status(Status::new(answer.status));
    if let Some(content_type) = answer.content_type.and_then(ContentType::parse_flexible) {
        fresh.set_header(content_type);
    }
    if let Some((name, value)) = answer.header {
        fresh.set_header(Header::new(name, value.to_owned()));
    }
    let body = answer.body;
    fresh.set_sized_body(body.len(), Cursor::new(body));
    *response = fresh;
}

/// Why the data guard handed the handler no webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuardError {
    /// Refused: the fairing answers with the rejection's status and fixed text.
    Rejected(Rejection),
    /// A repeat of a handled request: the fairing answers with the stored response.
    Replay,
}

impl From<Rejection> for GuardError {
    fn from(rejection: Rejection) -> Self {
        GuardError::Rejected(rejection)
    }
}

/// Runs the flow over the request and its body; leaves what the fairing needs in the cache.
async fn verify(request: &Request<'_>, data: Data<'_>) -> Result<VerifiedWebhook, GuardError> {
    let Some(Managed(config)) = request.rocket().state::<Managed>() else {
        tracing::error!(target: LOG_TARGET, outcome = "rejected", reason = %Rejection::NotVerified, "a route wants a verified webhook but the Twilio fairing is not attached");
        return Err(Rejection::NotVerified.into());
    };
    let target = request.uri().to_string();
    let head = WebhookRequest::new(request.method().as_str(), &target, request.headers())
        .peer(request.remote());
    // One more byte than the limit, so the flow sees an oversized body and refuses it (413).
    let cap = (config.body_limit as u64).saturating_add(1).bytes();
    let body = std::pin::pin!(futures_util::stream::once(async move {
        data.open(cap)
            .into_bytes()
            .await
            .map(|b| Bytes::from(b.value))
    }));
    match config.receive(head, body).await? {
        Verdict::Handle(webhook, mut ticket) => {
            ticket.arm();
            Pending::of(request).update(|o| o.ticket = Some(ticket));
            Ok(webhook)
        }
        Verdict::Replay(stored) => {
            Pending::of(request).update(|o| o.answer = Some(Owned::Replayed(stored)));
            Err(GuardError::Replay)
        }
    }
}

/// The guard's failure; the fairing puts the flow's answer in place of the catcher's.
fn refuse<'r, T>(
    request: &'r Request<'_>,
    error: GuardError,
) -> Outcome<T, (Status, GuardError), (Data<'r>, Status)> {
    let status = match &error {
        GuardError::Rejected(rejection) => {
            Pending::of(request).update(|o| o.answer = Some(Owned::Refused(rejection.clone())));
            Status::new(rejection.status())
        }
        // Any error status: the stored response replaces the catcher's.
        GuardError::Replay => Status::Conflict,
    };
    Outcome::Error((status, error))
}

/// The verified webhook, for handlers that want the pairs, body or key info as is.
#[rocket::async_trait]
impl<'r> FromData<'r> for VerifiedWebhook {
    type Error = GuardError;

    async fn from_data(
        request: &'r Request<'_>,
        data: Data<'r>,
    ) -> rocket::data::Outcome<'r, Self> {
        match verify(request, data).await {
            Ok(webhook) => Outcome::Success(webhook),
            Err(error) => refuse(request, error),
        }
    }
}

/// The verified pairs read as `T` (500 without the [`Twilio`] fairing; 400 when the pairs do
/// not fit `T`).
#[rocket::async_trait]
impl<'r, T: FromWebhook + Send> FromData<'r> for TwilioRequest<T> {
    type Error = GuardError;

    async fn from_data(
        request: &'r Request<'_>,
        data: Data<'r>,
    ) -> rocket::data::Outcome<'r, Self> {
        let typed = verify(request, data)
            .await
            .and_then(|webhook| Ok(TwilioRequest::new(webhook)?));
        match typed {
            Ok(typed) => Outcome::Success(typed),
            Err(error) => refuse(request, error),
        }
    }
}
