//! `GET /events/{code}/live`: server-sent events carrying the page's snapshot.
//!
//! A stream sends the snapshot at once (so a reconnecting page catches up), then each newer
//! snapshot its event's [`hub`](super::hub) feed publishes: one build per update shared by
//! every viewer, at most 5 a second, within a second of a vote on any instance sharing the
//! PostgreSQL database (`LISTEN/NOTIFY`), and at least every few seconds as a safety re-read.
//!
//! Open streams are capped per server and per client address ([`StreamLimits`]); beyond a
//! cap the answer is `503` with `Retry-After` (a page's `EventSource` retries by itself).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderName};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::watch;

use super::hub::{Frame, Hub, PublicFrame};
use super::view::Snapshot;
use super::{App, HttpError, code};
use crate::model::EventCode;
use crate::server::auth::client_address;
use crate::store::Store;

/// Caps on open live streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Open streams on this server.
    pub total: usize,
    /// Open streams from one client address (IPv6: one /64).
    pub per_client: usize,
}

impl Default for StreamLimits {
    /// 10,000 per server (a viewer costs some KiB), 100 per client address (a venue's
    /// projector, organisers' tabs and phones behind one NAT).
    fn default() -> Self {
        Self {
            total: 10_000,
            per_client: 100,
        }
    }
}

/// The live streams' shared state: the hub and the open-stream counts.
#[derive(Clone)]
pub(crate) struct Streams {
    hub: Arc<Hub>,
    open: Arc<Mutex<Open>>,
    limits: StreamLimits,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_client: HashMap<Option<IpAddr>, usize>,
}

/// One open stream, counted until dropped (when the stream ends or the client goes).
struct Slot {
    open: Arc<Mutex<Open>>,
    client: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock() {
            open.total = open.total.saturating_sub(1);
            if let Some(n) = open.by_client.get_mut(&self.client) {
                *n -= 1;
                if *n == 0 {
                    open.by_client.remove(&self.client);
                }
            }
        }
    }
}

impl Streams {
    /// Streams of snapshots read from `store`, within `limits`.
    pub(crate) fn new(store: Arc<dyn Store>, limits: StreamLimits) -> Self {
        let hub = Hub::new(move |code| {
            let store = Arc::clone(&store);
            async move { Snapshot::read(store.as_ref(), code).await }
        });
        Self {
            hub,
            open: Arc::default(),
            limits,
        }
    }

    /// A slot for one more stream from `client`, if both caps allow it.
    fn acquire(&self, client: Option<IpAddr>) -> Option<Slot> {
        let mut open = self.open.lock().ok()?;
        let mine = open.by_client.get(&client).copied().unwrap_or(0);
        if open.total >= self.limits.total || mine >= self.limits.per_client {
            return None;
        }
        open.total += 1;
        *open.by_client.entry(client).or_insert(0) += 1;
        Some(Slot {
            open: Arc::clone(&self.open),
            client,
        })
    }
}

/// What a stream does with the newest item of its feed.
enum Step {
    /// Send this snapshot.
    Push(Arc<str>),
    /// Nothing yet, or the database could not be read: keep what the page has.
    Wait,
    /// The event is gone (or the share link no longer valid): 404 at first, else end.
    Gone,
    /// The first read failed: 503.
    Unavailable,
}

/// An item of a feed's channel, as a stream reads it; `gate` is the share token a public
/// stream was opened with.
trait Published: Clone + Send + Sync + 'static {
    fn step(&self, gate: Option<&str>) -> Step;
}

impl Published for Frame {
    fn step(&self, _gate: Option<&str>) -> Step {
        match self {
            Frame::Ready(json) => Step::Push(Arc::clone(json)),
            Frame::Gone => Step::Gone,
            Frame::Unavailable => Step::Unavailable,
            Frame::Pending => Step::Wait,
        }
    }
}

impl Published for PublicFrame {
    /// A view for another token (the link was replaced or revoked) ends the stream.
    fn step(&self, gate: Option<&str>) -> Step {
        match (&self.frame, self.token.as_deref()) {
            (Frame::Ready(_), token) if token != gate => Step::Gone,
            (frame, _) => frame.step(gate),
        }
    }
}

struct Live<F> {
    frames: watch::Receiver<F>,
    gate: Option<String>,
    stopping: watch::Receiver<bool>,
    first: Option<std::sync::Arc<str>>,
    _slot: Slot,
}

pub(crate) async fn stream(
    State(app): State<App>,
    Path(raw): Path<String>,
    extensions: Extensions,
) -> Result<impl IntoResponse, HttpError> {
    let code = code(&raw)?;
    serve(&app, &extensions, None, move |hub| hub.subscribe(&code)).await
}

/// The stream of a share link: `code`'s public views while `token` is the event's link.
pub(crate) async fn public_stream(
    app: &App,
    extensions: &Extensions,
    code: EventCode,
    token: String,
) -> Result<impl IntoResponse + use<>, HttpError> {
    serve(app, extensions, Some(token), move |hub| {
        hub.subscribe_public(&code)
    })
    .await
}

async fn serve<F, S>(
    app: &App,
    extensions: &Extensions,
    gate: Option<String>,
    subscribe: S,
) -> Result<impl IntoResponse + use<F, S>, HttpError>
where
    F: Published,
    S: FnOnce(&Arc<Hub>) -> watch::Receiver<F>,
{
    let streams = &app.streams;
    let client = client_address(extensions);
    let Some(slot) = streams.acquire(client) else {
        tracing::warn!(client = ?client, "live stream refused: too many open streams");
        return Err(HttpError::TooManyStreams);
    };
    let ratings = app.ratings.clone();
    streams.hub.listen(|| {
        [Some(ratings.changes()), ratings.store().changes()]
            .into_iter()
            .flatten()
            .collect()
    });
    let mut frames = subscribe(&streams.hub);
    let first = first_frame(&mut frames, gate.as_deref()).await?;
    let live = Live {
        frames,
        gate,
        stopping: app.stopping.subscribe(),
        first: Some(first),
        _slot: slot,
    };
    let events = futures_util::stream::unfold(live, |mut live| async move {
        let json = live.next().await?;
        Some((
            Ok::<_, std::convert::Infallible>(Event::default().event("snapshot").data(&*json)),
            live,
        ))
    });
    // nginx buffers responses unless told not to; a buffered stream is a dead stream.
    let unbuffered = [(HeaderName::from_static("x-accel-buffering"), "no")];
    Ok((
        unbuffered,
        Sse::new(events).keep_alive(KeepAlive::default()),
    ))
}

/// The feed's first snapshot: an unknown event is 404, an unreadable database 503.
async fn first_frame<F: Published>(
    frames: &mut watch::Receiver<F>,
    gate: Option<&str>,
) -> Result<Arc<str>, HttpError> {
    loop {
        match frames.borrow_and_update().step(gate) {
            Step::Push(json) => return Ok(json),
            Step::Gone => return Err(HttpError::NotFound),
            Step::Unavailable => return Err(HttpError::Unavailable),
            Step::Wait => {}
        }
        frames.changed().await.map_err(|_| HttpError::Unavailable)?;
    }
}

impl<F: Published> Live<F> {
    /// The next snapshot to push; `None` ends the stream (shutdown, event gone).
    async fn next(&mut self) -> Option<Arc<str>> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            tokio::select! {
                stop = self.stopping.wait_for(|s| *s) => {
                    let _ = stop;
                    return None;
                }
                changed = self.frames.changed() => changed.ok()?,
            }
            let step = self.frames.borrow_and_update().step(self.gate.as_deref());
            match step {
                Step::Push(json) => return Some(json),
                Step::Gone => return None,
                // The page keeps its last figures until the database answers again.
                Step::Wait | Step::Unavailable => {}
            }
        }
    }
}
