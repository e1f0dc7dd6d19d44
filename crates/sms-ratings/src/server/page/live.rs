//! `GET /events/{code}/live`: server-sent events carrying the page's snapshot.
//!
//! A stream sends the snapshot at once (so a reconnecting page catches up), then each newer
//! snapshot its event's [`hub`](super::hub) feed publishes: one build per update shared by
//! every viewer, at most 5 a second, within a second of a vote on any instance sharing the
//! PostgreSQL database (`LISTEN/NOTIFY`), and at least every few seconds as a safety re-read.
//!
//! Open streams are capped per server and per client address, below the connection caps,
//! and live a bounded time: the server loop does it for every `text/event-stream` response
//! ([`twilio_guard_serve::Limits`]); beyond a cap the answer is `503` with `Retry-After`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderName;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::watch;

use super::hub::{Built, Frame, Hub, PublicFrame};
use super::view::Snapshot;
use super::{App, HttpError, code};
use crate::model::EventCode;
use crate::service::Ratings;
use crate::store::Store;

/// The snapshots of every live stream, poll and page: the hub.
#[derive(Clone)]
pub(crate) struct Streams {
    hub: Arc<Hub<Snapshot>>,
}

impl Streams {
    /// Snapshots read from `store`.
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        let hub = Hub::new(move |code| {
            let store = Arc::clone(&store);
            async move { Snapshot::read(store.as_ref(), code).await }
        });
        Self { hub }
    }

    /// The hub, listening to `ratings`' announcements.
    fn hub(&self, ratings: &Ratings) -> &Arc<Hub<Snapshot>> {
        self.hub.listen(ratings);
        &self.hub
    }

    /// `code`'s latest snapshot for the organiser (the projector page, its poll).
    pub(crate) async fn snapshot(
        &self,
        ratings: &Ratings,
        code: &EventCode,
    ) -> Result<Built<Snapshot>, HttpError> {
        ready(self.hub(ratings).latest(code).await)
    }

    /// `code`'s latest public view, while `token` is its share link.
    pub(crate) async fn public_snapshot(
        &self,
        ratings: &Ratings,
        code: &EventCode,
        token: &str,
    ) -> Result<Built<Snapshot>, HttpError> {
        let latest = self.hub(ratings).latest_public(code).await;
        match (latest.frame, latest.token) {
            (Frame::Ready(built), Some(current)) if *current == *token => Ok(built),
            (Frame::Ready(_), _) => Err(HttpError::NotFound),
            (frame, _) => ready(frame),
        }
    }
}

fn ready(frame: Frame<Snapshot>) -> Result<Built<Snapshot>, HttpError> {
    match frame {
        Frame::Ready(built) => Ok(built),
        Frame::Gone => Err(HttpError::NotFound),
        Frame::Pending | Frame::Unavailable => Err(HttpError::Unavailable),
    }
}

/// The snapshot as a JSON response: the feed's own bytes, shared, not copied.
pub(crate) fn json_response(built: &Built<Snapshot>) -> axum::response::Response {
    struct Shared(Arc<str>);
    impl AsRef<[u8]> for Shared {
        fn as_ref(&self) -> &[u8] {
            self.0.as_bytes()
        }
    }
    let body = axum::body::Bytes::from_owner(Shared(Arc::clone(&built.json)));
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
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

impl Published for Frame<Snapshot> {
    fn step(&self, _gate: Option<&str>) -> Step {
        match self {
            Frame::Ready(built) => Step::Push(Arc::clone(&built.json)),
            Frame::Gone => Step::Gone,
            Frame::Unavailable => Step::Unavailable,
            Frame::Pending => Step::Wait,
        }
    }
}

impl Published for PublicFrame<Snapshot> {
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
}

pub(crate) async fn stream(
    State(app): State<App>,
    Path(raw): Path<String>,
) -> Result<impl IntoResponse, HttpError> {
    let code = code(&raw)?;
    serve(&app, None, move |hub| hub.subscribe(&code)).await
}

/// The stream of a share link: `code`'s public views while `token` is the event's link.
pub(crate) async fn public_stream(
    app: &App,
    code: EventCode,
    token: String,
) -> Result<impl IntoResponse + use<>, HttpError> {
    serve(app, Some(token), move |hub| hub.subscribe_public(&code)).await
}

async fn serve<F, S>(
    app: &App,
    gate: Option<String>,
    subscribe: S,
) -> Result<impl IntoResponse + use<F, S>, HttpError>
where
    F: Published,
    S: FnOnce(&Arc<Hub<Snapshot>>) -> watch::Receiver<F>,
{
    let streams = &app.streams;
    let mut frames = subscribe(streams.hub(&app.ratings));
    let first = first_frame(&mut frames, gate.as_deref()).await?;
    let live = Live {
        frames,
        gate,
        stopping: app.stopping.subscribe(),
        first: Some(first),
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
