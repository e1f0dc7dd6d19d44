//! Twilio's side of a whole conversation: after the first webhook, do what the TwiML says —
//! follow `<Redirect>`s, post `<Gather>`/`<Dial>`/`<Record>` actions and status callbacks —
//! each request signed over the URL Twilio would call, with the same SIDs and numbers
//! throughout, as Twilio keeps them.
//!
//! [`messaging`] walks SMS replies, [`voice`] a call; [`keypad`] is where a call's input
//! comes from. Every request — TwiML and status callbacks alike — counts against
//! `--max-steps`, so neither a redirect loop nor one answer asking for a thousand status
//! callbacks can make more requests than that.

pub(crate) mod keypad;
pub(crate) mod messaging;
pub(crate) mod voice;

use bytes::Bytes;
use clap::ValueEnum;
use reqwest::Client;

use super::deliver::{Reply, deliver};
use super::fake::Kind;
use super::twilio::{Method, Payload, Signer, Unsigned};
use super::twiml::Twiml;
use super::urls::{Place, Urls};
use super::view::{Purpose, View};

/// How a `<Message>` ends, for its status callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailStatus {
    /// The carrier could not deliver it (`ErrorCode` 30003, unreachable handset).
    Undelivered,
    /// Twilio could not send it (`ErrorCode` 30008, unknown error).
    Failed,
}

impl FailStatus {
    /// `MessageStatus` and `ErrorCode`.
    pub(crate) fn status(self) -> (&'static str, &'static str) {
        match self {
            FailStatus::Undelivered => ("undelivered", "30003"),
            FailStatus::Failed => ("failed", "30008"),
        }
    }
}

/// The settings of a flow that do not change from one request to the next.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    /// Requests (TwiML and status callbacks) allowed before the flow is stopped.
    pub(crate) max_steps: u32,
    /// `<Message>` callbacks end in this status instead of `delivered`.
    pub(crate) fail_status: Option<FailStatus>,
    /// The call's status callback URL (relative URLs resolve against the first URL).
    pub(crate) status_callback: Option<String>,
}

/// The first request of a flow.
#[derive(Debug, Clone)]
pub(crate) struct Start {
    /// What is imitated.
    pub(crate) kind: Kind,
    /// How the first request travels (later ones use the TwiML's `method`).
    pub(crate) method: Method,
    /// Where it goes.
    pub(crate) place: Place,
    /// The webhook's parameters: kept for the whole flow.
    pub(crate) params: Vec<(String, String)>,
    /// A raw JSON body instead of the parameters: sent once, nothing followed.
    pub(crate) json: Option<Bytes>,
}

/// A flow under way: the client, the signer, the view and the running verdict.
pub(crate) struct Flow<'a> {
    http: &'a Client,
    signer: &'a Signer,
    urls: &'a Urls,
    rules: &'a Rules,
    /// Where it is shown.
    pub(crate) view: &'a mut View,
    steps: u32,
    ok: bool,
    /// The step limit was reached: nothing more is sent.
    exhausted: bool,
}

impl<'a> Flow<'a> {
    /// A new flow; nothing is sent yet.
    pub(crate) fn new(
        http: &'a Client,
        signer: &'a Signer,
        urls: &'a Urls,
        rules: &'a Rules,
        view: &'a mut View,
    ) -> Self {
        Flow {
            http,
            signer,
            urls,
            rules,
            view,
            steps: 0,
            ok: true,
            exhausted: false,
        }
    }

    /// Runs the flow from `start`: a call for `call`/`gather`, a conversation for messages,
    /// one request for status callbacks and JSON bodies. Whether every step went well.
    pub(crate) async fn run(mut self, start: Start, keypad: &mut dyn keypad::Keypad) -> bool {
        match start.kind {
            _ if start.json.is_some() => self.single(&start).await,
            Kind::Status => self.single(&start).await,
            Kind::Call | Kind::Gather => voice::call(&mut self, start, keypad).await,
            Kind::Sms | Kind::Mms | Kind::Whatsapp => messaging::converse(&mut self, start).await,
        }
        self.view.end(self.ok, self.steps);
        self.ok
    }

    /// Marks the flow failed and says why.
    pub(crate) fn fail(&mut self, why: &str) {
        self.ok = false;
        self.view.problem(why);
    }

    async fn single(&mut self, start: &Start) {
        let payload = match &start.json {
            Some(json) => Payload::Json(json),
            None => Payload::Form(&start.params),
        };
        self.twiml(
            start.kind,
            Purpose::Webhook,
            start.method,
            &start.place,
            payload,
        )
        .await;
    }

    /// The place of `url` (from the TwiML) read at `current`; no URL means `current` itself.
    pub(crate) fn follow(&mut self, current: &Place, url: Option<&str>) -> Option<Place> {
        let Some(url) = url else {
            return Some(current.clone());
        };
        match self.urls.follow(&current.signed, url) {
            Ok(place) => Some(place),
            Err(e) => {
                self.fail(&format!("cannot follow {url:?}: {e}"));
                None
            }
        }
    }

    /// Whether the step limit has been reached (the flow should stop).
    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Takes one request from the step budget; when it is spent, fails the flow (saying so
    /// once) and answers `false`.
    fn spend(&mut self) -> bool {
        if self.steps < self.rules.max_steps {
            self.steps += 1;
            return true;
        }
        if !self.exhausted {
            self.exhausted = true;
            let max = self.rules.max_steps;
            self.fail(&format!(
                "step limit reached: {max} requests (TwiML and status callbacks) and the flow \
                 has not ended (a redirect loop?); raise --max-steps if this is expected"
            ));
        }
        false
    }

    /// A request whose answer is TwiML for `kind`: counted against the step limit; `None`
    /// when there is nothing to follow (failed request, non-2xx, malformed TwiML).
    pub(crate) async fn twiml(
        &mut self,
        kind: Kind,
        purpose: Purpose,
        method: Method,
        place: &Place,
        payload: Payload<'_>,
    ) -> Option<Twiml> {
        if !self.spend() {
            return None;
        }
        let reply = self.exchange(purpose, method, place, payload).await?;
        let judged = super::judge(kind, &reply);
        let verdict = judged.as_ref().map(Option::as_ref).transpose();
        self.view.answer(&reply, verdict);
        match judged {
            Ok(doc) if reply.status.is_success() => Some(doc.unwrap_or_default()),
            Ok(_) => None,
            Err(_) => {
                self.ok = false;
                None
            }
        }
    }

    /// A status callback, counted against the step limit: its answer's body is ignored, its
    /// status is not.
    pub(crate) async fn callback(
        &mut self,
        purpose: Purpose,
        method: Method,
        place: &Place,
        params: &[(String, String)],
    ) {
        if !self.spend() {
            return;
        }
        if let Some(reply) = self
            .exchange(purpose, method, place, Payload::Form(params))
            .await
        {
            self.view.answer(&reply, None);
        }
    }

    /// Signs and sends one request; a transport failure or a non-2xx fails the flow.
    async fn exchange(
        &mut self,
        purpose: Purpose,
        method: Method,
        place: &Place,
        payload: Payload<'_>,
    ) -> Option<Reply> {
        let shown: &[(String, String)] = match payload {
            Payload::Form(params) => params,
            Payload::Json(_) => &[],
        };
        self.view
            .request(self.steps, purpose, method, &place.wire, shown);
        let token = match super::idempotency_token() {
            Ok(token) => token,
            Err(e) => {
                self.fail(&format!("random source: {e}"));
                return None;
            }
        };
        let request = Unsigned {
            method,
            url: &place.wire,
            signed_url: &place.signed,
            payload,
        };
        let prepared = self.signer.prepare(request, token);
        match deliver(self.http, &prepared, place.credentials.as_ref()).await {
            Ok(reply) => {
                self.ok &= reply.status.is_success();
                Some(reply)
            }
            Err(e) => {
                self.ok = false;
                // reqwest's message names the URL without userinfo (the place has none).
                self.view.transport_error(&e.to_string());
                None
            }
        }
    }
}
