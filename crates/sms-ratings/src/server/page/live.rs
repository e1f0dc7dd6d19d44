//! `GET /events/{code}/live`: server-sent events carrying the page's snapshot.
//!
//! A stream sends the snapshot at once (so a reconnecting page catches up), then again after
//! each vote for its event, at most every [`MIN_GAP`] (a burst of votes becomes one push; the
//! page never falls more than that behind). Votes taken by *other* server instances on the
//! same PostgreSQL do not reach this process's notifications, so every [`REFRESH`] the stream
//! also re-reads and pushes if anything changed (also how a closed event shows as closed).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderName;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::{App, Audience, HttpError, code};
use crate::model::EventCode;
use crate::service::RatingNotice;

/// Least time between two pushes on one stream.
const MIN_GAP: Duration = Duration::from_millis(200);
/// Re-read this often even without notifications.
const REFRESH: Duration = Duration::from_secs(5);

struct Live {
    app: App,
    code: EventCode,
    notices: broadcast::Receiver<RatingNotice>,
    changes: broadcast::Receiver<EventCode>,
    audience: Audience,
    stopping: watch::Receiver<bool>,
    first: Option<String>,
    last: String,
    last_push: Instant,
}

pub(crate) async fn stream(
    State(app): State<App>,
    Path(raw): Path<String>,
) -> Result<impl IntoResponse, HttpError> {
    stream_for(app, code(&raw)?, Audience::Organiser).await
}

/// The stream of `code` as `audience` sees it (a public stream ends when its link is revoked).
pub(crate) async fn stream_for(
    app: App,
    code: EventCode,
    audience: Audience,
) -> Result<impl IntoResponse, HttpError> {
    // Subscribe before reading, so no vote falls between the snapshot and the stream.
    let notices = app.ratings().subscribe();
    let changes = app.changes.subscribe();
    let snap = audience
        .read(app.ratings().store().as_ref(), &code)
        .await?
        .ok_or(HttpError::NotFound)?;
    let json = serde_json::to_string(&snap).map_err(|_| HttpError::Internal)?;
    let live = Live {
        stopping: app.stopping.subscribe(),
        app,
        code,
        notices,
        changes,
        audience,
        first: Some(json.clone()),
        last: json,
        last_push: Instant::now(),
    };
    let events = futures_util::stream::unfold(live, |mut live| async move {
        let json = live.next().await?;
        Some((
            Ok::<_, std::convert::Infallible>(Event::default().event("snapshot").data(json)),
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

/// What woke the stream.
enum Wake {
    Vote,
    Refresh,
    Stop,
}

impl Live {
    /// The next snapshot to push; `None` ends the stream (shutdown, event gone).
    async fn next(&mut self) -> Option<String> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            match self.wake().await {
                Wake::Stop => return None,
                Wake::Vote => self.pace().await,
                Wake::Refresh => {}
            }
            let store = self.app.ratings().store();
            match self.audience.read(store.as_ref(), &self.code).await {
                Ok(Some(snap)) => {
                    let json = serde_json::to_string(&snap).ok()?;
                    if json != self.last {
                        self.last.clone_from(&json);
                        self.last_push = Instant::now();
                        return Some(json);
                    }
                }
                Ok(None) => return None,
                // The database may be back at the next vote or refresh; the page keeps its
                // last figures meanwhile.
                Err(e) => tracing::warn!(error = %e, "live results: cannot read snapshot"),
            }
        }
    }

    async fn wake(&mut self) -> Wake {
        let refresh = tokio::time::sleep(REFRESH);
        tokio::pin!(refresh);
        loop {
            tokio::select! {
                stop = self.stopping.wait_for(|s| *s) => {
                    let _ = stop;
                    return Wake::Stop;
                }
                notice = self.notices.recv() => match notice {
                    Ok(n) if n.event.code == self.code.as_str() => return Wake::Vote,
                    Ok(_) => {}
                    // Missed some: one of them may have been ours.
                    Err(broadcast::error::RecvError::Lagged(_)) => return Wake::Vote,
                    Err(broadcast::error::RecvError::Closed) => return Wake::Stop,
                },
                // The organiser changed the event: show it now, unpaced.
                change = self.changes.recv() => match change {
                    Ok(code) if code == self.code => return Wake::Refresh,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return Wake::Refresh,
                    Err(broadcast::error::RecvError::Closed) => return Wake::Stop,
                },
                () = &mut refresh => return Wake::Refresh,
            }
        }
    }

    /// Waits out [`MIN_GAP`] since the last push, then drops the notices that piled up
    /// meanwhile (the snapshot read next covers them).
    async fn pace(&mut self) {
        tokio::time::sleep_until(self.last_push + MIN_GAP).await;
        while self.notices.try_recv().is_ok() {}
    }
}
