//! One snapshot per event per update, shared by every open stream of that event.
//!
//! The first viewer of an event starts its *feed*: a task that builds the snapshot (with the
//! function the hub was made with — the same one the pages use), publishes it as JSON on a
//! `watch` channel, and rebuilds when told the event changed, at most every [`MIN_GAP`] (a
//! burst of votes becomes one build, ≤ 5 a second) and at least every [`REFRESH`] (a safety
//! re-read for changes nobody announced: an event's opening or closing time passing, a
//! SQLite file shared with another process). Every viewer holds a receiver of that channel,
//! so a thousand viewers cost a thousand receivers and one query set per update, and a slow
//! viewer simply skips to the newest snapshot. The feed ends with its last viewer.
//!
//! Each build also derives the audience's view ([`Views::audience`]: no phone numbers) and
//! publishes it on a second channel with the share token it is for, so share-link viewers
//! cost no query of their own either, and their streams end when the link is revoked.
//!
//! Changes arrive through [`Hub::touch`]: from this process's service
//! ([`crate::service::Ratings::changes`]) and, on PostgreSQL, from every instance through
//! `LISTEN/NOTIFY` ([`crate::store::Store::changes`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::FutureExt as _;
use serde::Serialize;
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

use crate::model::EventCode;
use crate::store::{Change, StoreError};

/// Least time between two builds of one event's snapshot.
pub(crate) const MIN_GAP: Duration = Duration::from_millis(200);
/// Rebuild this often even when nothing was announced.
pub(crate) const REFRESH: Duration = Duration::from_secs(5);
/// A build this slow is a very large event (hundreds of thousands of votes): from here on the
/// next build waits [`BUILD_GAP_FACTOR`] times as long as this one took. A small event's build
/// takes milliseconds and keeps the [`MIN_GAP`] pace (a vote on the page within a second).
const SLOW_BUILD: Duration = Duration::from_millis(250);
/// After a slow build that took `t`, the next waits at least `t` times this, so an event's
/// snapshot takes at most a tenth of the time and a huge event under a flood of votes
/// refreshes less often instead of slowing the votes down.
const BUILD_GAP_FACTOR: u32 = 9;
/// The longest the spacing of [`BUILD_GAP_FACTOR`] may grow to.
const MAX_GAP: Duration = Duration::from_secs(10);

/// The least time between the end of a build that took `took` and the start of the next.
fn gap_after(took: Duration) -> Duration {
    if took < SLOW_BUILD {
        return MIN_GAP;
    }
    took.saturating_mul(BUILD_GAP_FACTOR)
        .clamp(MIN_GAP, MAX_GAP)
}

/// What a feed publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// Not built yet.
    Pending,
    /// The snapshot, as JSON.
    Ready(Arc<str>),
    /// The database could not be read (viewers keep what they have; it is retried).
    Unavailable,
    /// The event does not exist (any more): streams end.
    Gone,
}

/// What a feed publishes to the audience: the public view, and the share token that may see
/// it (none: no link is valid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicFrame {
    /// The share token the view is for.
    pub(crate) token: Option<Arc<str>>,
    /// The public view.
    pub(crate) frame: Frame,
}

/// What a feed builds: the organiser's snapshot, from which the audience's is derived.
pub(crate) trait Views: Serialize {
    /// The audience's view.
    type Public: Serialize;
    /// The audience's view and the share token that may see it.
    fn audience(&self) -> (Self::Public, Option<String>);
}

type BuildFuture = Pin<Box<dyn Future<Output = (Frame, PublicFrame)> + Send>>;
type Build = Arc<dyn Fn(EventCode) -> BuildFuture + Send + Sync>;

/// The feeds of the events someone is watching.
pub(crate) struct Hub {
    build: Build,
    feeds: Mutex<HashMap<EventCode, Arc<Feed>>>,
    listening: std::sync::Once,
}

struct Feed {
    frames: watch::Sender<Frame>,
    public: watch::Sender<PublicFrame>,
    wake: Notify,
}

impl Hub {
    /// A hub whose snapshots `build` makes (`None`: no such event).
    pub(crate) fn new<T, F, Fut>(build: F) -> Arc<Self>
    where
        T: Views,
        F: Fn(EventCode) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<T>, StoreError>> + Send + 'static,
    {
        let build = Arc::new(build);
        let build: Build = Arc::new(move |code: EventCode| {
            let build = Arc::clone(&build);
            Box::pin(async move {
                let built = build(code.clone()).await;
                let public = match &built {
                    Ok(Some(snapshot)) => {
                        let (view, token) = snapshot.audience();
                        PublicFrame {
                            token: token.map(Into::into),
                            frame: frame(Ok(Some(view)), &code),
                        }
                    }
                    Ok(None) => PublicFrame {
                        token: None,
                        frame: Frame::Gone,
                    },
                    Err(_) => PublicFrame {
                        token: None,
                        frame: Frame::Unavailable,
                    },
                };
                (frame(built, &code), public)
            })
        });
        Arc::new(Self {
            build,
            feeds: Mutex::new(HashMap::new()),
            listening: std::sync::Once::new(),
        })
    }

    /// Forwards every change announced on `sources` to the feeds (started once, on the
    /// first subscription: that is inside the runtime, and before it nobody watches).
    pub(crate) fn listen(
        self: &Arc<Self>,
        sources: impl FnOnce() -> Vec<broadcast::Receiver<Change>>,
    ) {
        self.listening.call_once(|| {
            for source in sources() {
                tokio::spawn(forward(Arc::downgrade(self), source));
            }
        });
    }

    /// A receiver of `code`'s snapshots, starting its feed if nobody watched it yet.
    pub(crate) fn subscribe(self: &Arc<Self>, code: &EventCode) -> watch::Receiver<Frame> {
        self.with_feed(code, |feed| feed.frames.subscribe())
    }

    /// A receiver of `code`'s public views (for share links), like [`Hub::subscribe`].
    pub(crate) fn subscribe_public(
        self: &Arc<Self>,
        code: &EventCode,
    ) -> watch::Receiver<PublicFrame> {
        self.with_feed(code, |feed| feed.public.subscribe())
    }

    /// `subscribe` on `code`'s feed, starting it if nobody watched it yet.
    fn with_feed<R>(self: &Arc<Self>, code: &EventCode, subscribe: impl Fn(&Feed) -> R) -> R {
        let Ok(mut feeds) = self.feeds.lock() else {
            // Poisoned only by a panic elsewhere; a lone feed still serves this viewer.
            return subscribe(&self.start(code));
        };
        if let Some(feed) = feeds.get(code) {
            return subscribe(feed);
        }
        let feed = self.start(code);
        let rx = subscribe(&feed);
        feeds.insert(code.clone(), feed);
        rx
    }

    /// Tells `code`'s feed (if anyone watches it) that the event changed.
    pub(crate) fn touch(&self, code: &str) {
        if let Ok(feeds) = self.feeds.lock()
            && let Some(feed) = code.parse().ok().and_then(|c: EventCode| feeds.get(&c))
        {
            feed.wake.notify_one();
        }
    }

    /// Tells every feed that anything may have changed (announcements were missed).
    pub(crate) fn touch_all(&self) {
        if let Ok(feeds) = self.feeds.lock() {
            feeds.values().for_each(|f| f.wake.notify_one());
        }
    }

    /// Events with a running feed (for tests and metrics).
    #[cfg(test)]
    fn watched(&self) -> usize {
        self.feeds.lock().map(|f| f.len()).unwrap_or(0)
    }

    fn start(self: &Arc<Self>, code: &EventCode) -> Arc<Feed> {
        let feed = Arc::new(Feed {
            frames: watch::channel(Frame::Pending).0,
            public: watch::channel(PublicFrame {
                token: None,
                frame: Frame::Pending,
            })
            .0,
            wake: Notify::new(),
        });
        tokio::spawn(run_feed(
            Arc::downgrade(self),
            Arc::clone(&self.build),
            code.clone(),
            Arc::clone(&feed),
        ));
        feed
    }

    /// Removes `feed` if nobody watches it any more (or, `always`, in any case); true when
    /// it was removed. Under the map's lock, so a viewer subscribing meanwhile either finds
    /// it still listed (and it goes on) or starts a new one.
    fn retire(&self, code: &EventCode, feed: &Arc<Feed>, always: bool) -> bool {
        let Ok(mut feeds) = self.feeds.lock() else {
            return true;
        };
        if !always && feed.frames.receiver_count() + feed.public.receiver_count() > 0 {
            return false;
        }
        if feeds.get(code).is_some_and(|f| Arc::ptr_eq(f, feed)) {
            feeds.remove(code);
        }
        true
    }
}

fn frame<T: Serialize>(built: Result<Option<T>, StoreError>, code: &EventCode) -> Frame {
    match built {
        Ok(Some(snapshot)) => match serde_json::to_string(&snapshot) {
            Ok(json) => Frame::Ready(json.into()),
            Err(e) => {
                tracing::error!(%code, error = %e, "live results: cannot serialise snapshot");
                Frame::Unavailable
            }
        },
        Ok(None) => Frame::Gone,
        Err(e) => {
            tracing::warn!(%code, error = %e, "live results: cannot read snapshot");
            Frame::Unavailable
        }
    }
}

/// One event's feed: build, publish if changed, wait for a change (paced) or the refresh.
async fn run_feed(hub: Weak<Hub>, build: Build, code: EventCode, feed: Arc<Feed>) {
    loop {
        let started = Instant::now();
        let (built, public) = build(code.clone()).await;
        let last_build = Instant::now();
        let gap = gap_after(last_build - started);
        let gone = built == Frame::Gone;
        publish(&feed.frames, built, |f| f);
        publish(&feed.public, public, |p| &p.frame);
        if gone {
            if let Some(hub) = hub.upgrade() {
                let _ = hub.retire(&code, &feed, true);
            }
            return;
        }
        tokio::select! {
            () = feed.wake.notified() => {
                tokio::time::sleep_until(last_build + gap).await;
                // Changes announced while pacing are covered by the build about to start.
                let _ = feed.wake.notified().now_or_never();
            }
            () = tokio::time::sleep(REFRESH) => {}
            () = async { feed.frames.closed().await; feed.public.closed().await } => {
                match hub.upgrade() {
                    Some(hub) if !hub.retire(&code, &feed, false) => {}
                    _ => return,
                }
            }
        }
    }
}

/// Sends `built` unless it equals what `tx` holds; a failed re-read keeps the last snapshot
/// on the pages.
fn publish<T: PartialEq>(tx: &watch::Sender<T>, built: T, frame: impl Fn(&T) -> &Frame) {
    tx.send_if_modified(|current| {
        let keep = *current == built
            || (*frame(&built) == Frame::Unavailable && matches!(frame(current), Frame::Ready(_)));
        if !keep {
            *current = built;
        }
        !keep
    });
}

/// Forwards one source of changes to the hub until either is gone.
async fn forward(hub: Weak<Hub>, mut source: broadcast::Receiver<Change>) {
    loop {
        let change = source.recv().await;
        let Some(hub) = hub.upgrade() else { return };
        match change {
            Ok(Change::Event(code)) => hub.touch(&code),
            // Missed some: any event may have changed.
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => hub.touch_all(),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn a_slow_build_spaces_the_next_so_building_takes_a_tenth_at_most() {
        assert_eq!(gap_after(Duration::from_millis(3)), MIN_GAP);
        assert_eq!(gap_after(Duration::from_millis(200)), MIN_GAP);
        assert_eq!(
            gap_after(Duration::from_millis(500)),
            Duration::from_millis(4500)
        );
        assert_eq!(gap_after(Duration::from_secs(4)), MAX_GAP);
    }

    impl Views for u64 {
        type Public = u64;
        fn audience(&self) -> (u64, Option<String>) {
            (self + 1000, None)
        }
    }

    /// A hub over a counter: each build reads it, and counts builds.
    fn counting() -> (Arc<Hub>, Arc<AtomicU64>, Arc<AtomicU64>) {
        let value = Arc::new(AtomicU64::new(0));
        let builds = Arc::new(AtomicU64::new(0));
        let (v, b) = (Arc::clone(&value), Arc::clone(&builds));
        let hub = Hub::new(move |code: EventCode| {
            let (v, b) = (Arc::clone(&v), Arc::clone(&b));
            async move {
                b.fetch_add(1, Ordering::SeqCst);
                Ok((code.as_str() != "GONE").then(|| v.load(Ordering::SeqCst)))
            }
        });
        (hub, value, builds)
    }

    async fn next_ready(rx: &mut watch::Receiver<Frame>) -> Arc<str> {
        loop {
            if let Frame::Ready(json) = rx.borrow_and_update().clone() {
                return json;
            }
            rx.changed().await.unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn many_viewers_share_one_build_per_update_and_bursts_coalesce() {
        let (hub, value, builds) = counting();
        let code: EventCode = "LIVE".parse().unwrap();
        let mut viewers: Vec<_> = (0..1000).map(|_| hub.subscribe(&code)).collect();
        for rx in &mut viewers {
            assert_eq!(&*next_ready(rx).await, "0");
        }
        assert_eq!(
            builds.load(Ordering::SeqCst),
            1,
            "one build for 1000 viewers"
        );
        // A burst of 50 changes within the gap: one more build, seen by everyone.
        value.store(7, Ordering::SeqCst);
        for _ in 0..50 {
            hub.touch("LIVE");
        }
        for rx in &mut viewers {
            rx.changed().await.unwrap();
            assert_eq!(*rx.borrow_and_update(), Frame::Ready("7".into()));
        }
        tokio::time::sleep(MIN_GAP * 2).await;
        assert_eq!(builds.load(Ordering::SeqCst), 2, "the burst was one build");
        drop(viewers);
        tokio::time::sleep(REFRESH * 2).await;
        assert_eq!(hub.watched(), 0, "the feed ends with its last viewer");
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_event_is_gone_and_the_refresh_rereads() {
        let (hub, value, _) = counting();
        let mut gone = hub.subscribe(&"GONE".parse().unwrap());
        gone.changed().await.unwrap();
        assert_eq!(*gone.borrow(), Frame::Gone);
        let mut rx = hub.subscribe(&"SLOW".parse().unwrap());
        assert_eq!(&*next_ready(&mut rx).await, "0");
        value.store(3, Ordering::SeqCst);
        // Nobody announced it: the refresh picks it up.
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), Frame::Ready("3".into()));
    }

    #[tokio::test(start_paused = true)]
    async fn public_views_come_from_the_same_build() {
        let (hub, value, builds) = counting();
        let code: EventCode = "BOTH".parse().unwrap();
        let mut organiser = hub.subscribe(&code);
        let mut public = hub.subscribe_public(&code);
        assert_eq!(&*next_ready(&mut organiser).await, "0");
        let view = loop {
            if let Frame::Ready(json) = public.borrow_and_update().frame.clone() {
                break json;
            }
            public.changed().await.unwrap();
        };
        assert_eq!(&*view, "1000", "derived from the organiser's snapshot");
        value.store(2, Ordering::SeqCst);
        hub.touch("BOTH");
        public.changed().await.unwrap();
        assert_eq!(public.borrow().frame, Frame::Ready("1002".into()));
        assert_eq!(
            builds.load(Ordering::SeqCst),
            2,
            "one build per update for both"
        );
        drop(organiser);
        drop(public);
        tokio::time::sleep(REFRESH * 2).await;
        assert_eq!(
            hub.watched(),
            0,
            "the feed ends with its last viewer of either kind"
        );
    }
}
