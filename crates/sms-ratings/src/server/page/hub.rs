//! One snapshot per event per update, shared by every open stream and every read of that
//! event.
//!
//! The first viewer of an event starts its *feed*: a task that builds the snapshot (with the
//! function the hub was made with — the same one the pages use), publishes it (the value and
//! its JSON) on a `watch` channel, and rebuilds when told the event changed, at most every
//! [`MIN_GAP`] (a burst of votes becomes one build, ≤ 5 a second) and at least every
//! [`REFRESH`] (a safety re-read for changes nobody announced: an event's opening or closing
//! time passing, a SQLite file shared with another process). Every stream holds a receiver
//! of that channel, so a thousand viewers cost a thousand receivers and one query set per
//! update, and a slow viewer simply skips to the newest snapshot.
//!
//! One-off reads (the snapshot polls, the pages) take the feed's latest frame too
//! ([`Hub::latest`]): however many clients poll, the database sees one build per update. A
//! read waits for the build under way only when this process announced a change after the
//! latest frame's build began (so a page loaded right after a vote or a moderation shows it),
//! and at most [`READ_WAIT`]. A feed that is only polled lingers [`LINGER`] after its last
//! read, so polls do not restart it; it ends when nobody streams or reads it any more.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures_util::FutureExt as _;
use serde::Serialize;
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

use crate::model::EventCode;
use crate::service::Ratings;
use crate::store::{Change, StoreError};

/// Least time between two builds of one event's snapshot.
pub(crate) const MIN_GAP: Duration = Duration::from_millis(200);
/// Rebuild this often even when nothing was announced.
pub(crate) const REFRESH: Duration = Duration::from_secs(5);
/// How long a read waits at most for a build that covers a change this process announced;
/// then it takes the latest frame as it is. Only small events' reads wait (their next build
/// comes within [`MIN_GAP`]); a huge event's builds are spaced out ([`gap_after`]), and its
/// reads take the latest frame at once rather than hold their connections.
pub(crate) const READ_WAIT: Duration = Duration::from_secs(1);
/// How long a read waits for an event's very first build.
const FIRST_READ_WAIT: Duration = Duration::from_secs(30);
/// How long a feed outlives its last read when nobody streams it: longer than any poll
/// interval of the page script, so polling keeps one feed running.
pub(crate) const LINGER: Duration = Duration::from_secs(90);
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

/// A built snapshot: the value (pages render it) and its JSON (streams and polls send these
/// very bytes), shared by every viewer.
#[derive(Debug)]
pub(crate) struct Built<T> {
    /// The snapshot.
    pub(crate) value: Arc<T>,
    /// Its JSON.
    pub(crate) json: Arc<str>,
}

impl<T> Clone for Built<T> {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            json: Arc::clone(&self.json),
        }
    }
}

/// What a feed publishes.
#[derive(Debug)]
pub(crate) enum Frame<T> {
    /// Not built yet.
    Pending,
    /// The snapshot.
    Ready(Built<T>),
    /// The database could not be read (viewers keep what they have; it is retried).
    Unavailable,
    /// The event does not exist (any more): streams end.
    Gone,
}

impl<T> Clone for Frame<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Pending => Self::Pending,
            Self::Ready(built) => Self::Ready(built.clone()),
            Self::Unavailable => Self::Unavailable,
            Self::Gone => Self::Gone,
        }
    }
}

/// Two frames are the same when they would send the same bytes.
impl<T> PartialEq for Frame<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Ready(a), Self::Ready(b)) => a.json == b.json,
            (Self::Pending, Self::Pending)
            | (Self::Unavailable, Self::Unavailable)
            | (Self::Gone, Self::Gone) => true,
            _ => false,
        }
    }
}

/// What a feed publishes to the audience: the public view, and the share token that may see
/// it (none: no link is valid).
#[derive(Debug)]
pub(crate) struct PublicFrame<P> {
    /// The share token the view is for.
    pub(crate) token: Option<Arc<str>>,
    /// The public view.
    pub(crate) frame: Frame<P>,
}

impl<P> Clone for PublicFrame<P> {
    fn clone(&self) -> Self {
        Self {
            token: self.token.clone(),
            frame: self.frame.clone(),
        }
    }
}

impl<P> PartialEq for PublicFrame<P> {
    fn eq(&self, other: &Self) -> bool {
        self.token == other.token && self.frame == other.frame
    }
}

/// What a feed builds: the organiser's snapshot, from which the audience's is derived.
pub(crate) trait Views: Serialize + Send + Sync + 'static {
    /// The audience's view.
    type Public: Serialize + Send + Sync + 'static;
    /// The audience's view and the share token that may see it.
    fn audience(&self) -> (Self::Public, Option<String>);
}

type Frames<T> = (Frame<T>, PublicFrame<<T as Views>::Public>);
type BuildFuture<T> = Pin<Box<dyn Future<Output = Frames<T>> + Send>>;
type Build<T> = Arc<dyn Fn(EventCode) -> BuildFuture<T> + Send + Sync>;

/// The feeds of the events someone is watching.
pub(crate) struct Hub<T: Views> {
    build: Build<T>,
    feeds: Mutex<HashMap<EventCode, Arc<Feed<T>>>>,
    listening: std::sync::Once,
    /// This process's announcements, read at each [`Hub::latest`] so a read sees the changes
    /// announced before it (the forwarding task may not have run yet).
    local: Mutex<Option<broadcast::Receiver<Change>>>,
}

struct Feed<T: Views> {
    frames: watch::Sender<Frame<T>>,
    public: watch::Sender<PublicFrame<T::Public>>,
    wake: Notify,
    /// Announced changes so far.
    touched: AtomicU64,
    /// How many announced changes the latest published build covers (the count when it
    /// began); `None` before the first build.
    built: watch::Sender<Option<u64>>,
    /// The latest one-off read, if any.
    last_read: Mutex<Option<Instant>>,
    /// The latest build took [`SLOW_BUILD`] or more: reads do not wait for the next.
    slow: AtomicBool,
}

impl<T: Views> Feed<T> {
    /// When a feed only read once in a while may end: [`LINGER`] after its last read.
    fn linger_until(&self) -> Option<Instant> {
        let last_read = *self
            .last_read
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        last_read.map(|at| at + LINGER)
    }

    /// Nobody streams it and nobody read it within [`LINGER`].
    fn unwatched(&self) -> bool {
        self.frames.receiver_count() + self.public.receiver_count() == 0
            && self
                .linger_until()
                .is_none_or(|until| until <= Instant::now())
    }
}

impl<T: Views> Hub<T> {
    /// A hub whose snapshots `build` makes (`None`: no such event).
    pub(crate) fn new<F, Fut>(build: F) -> Arc<Self>
    where
        F: Fn(EventCode) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<T>, StoreError>> + Send + 'static,
    {
        let build = Arc::new(build);
        let build: Build<T> = Arc::new(move |code: EventCode| {
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
            local: Mutex::new(None),
        })
    }

    /// Forwards every change `ratings` announces (and, on PostgreSQL, its store hears of) to
    /// the feeds (started once, on the first use: that is inside the runtime, and before it
    /// nobody watches).
    pub(crate) fn listen(self: &Arc<Self>, ratings: &Ratings) {
        self.listening.call_once(|| {
            *self.local.lock().unwrap_or_else(PoisonError::into_inner) = Some(ratings.changes());
            let sources = [Some(ratings.changes()), ratings.store().changes()];
            for source in sources.into_iter().flatten() {
                tokio::spawn(forward(Arc::downgrade(self), source));
            }
        });
    }

    /// A receiver of `code`'s snapshots, starting its feed if nobody watched it yet.
    pub(crate) fn subscribe(self: &Arc<Self>, code: &EventCode) -> watch::Receiver<Frame<T>> {
        self.with_feed(code, |feed| feed.frames.subscribe())
    }

    /// A receiver of `code`'s public views (for share links), like [`Hub::subscribe`].
    pub(crate) fn subscribe_public(
        self: &Arc<Self>,
        code: &EventCode,
    ) -> watch::Receiver<PublicFrame<T::Public>> {
        self.with_feed(code, |feed| feed.public.subscribe())
    }

    /// `code`'s latest snapshot, for a one-off read (see the module docs).
    pub(crate) async fn latest(self: &Arc<Self>, code: &EventCode) -> Frame<T> {
        self.read(code, |feed| feed.frames.subscribe())
            .await
            .unwrap_or(Frame::Unavailable)
    }

    /// `code`'s latest public view, like [`Hub::latest`].
    pub(crate) async fn latest_public(
        self: &Arc<Self>,
        code: &EventCode,
    ) -> PublicFrame<T::Public> {
        self.read(code, |feed| feed.public.subscribe())
            .await
            .unwrap_or(PublicFrame {
                token: None,
                frame: Frame::Unavailable,
            })
    }

    /// The latest item of `code`'s feed once it has been built, by a build covering every
    /// change announced before the read if one comes within [`READ_WAIT`]. `None` when the
    /// first build took longer than [`FIRST_READ_WAIT`] or the feed ended meanwhile.
    async fn read<R: Clone>(
        self: &Arc<Self>,
        code: &EventCode,
        subscribe: impl Fn(&Feed<T>) -> watch::Receiver<R>,
    ) -> Option<R> {
        self.drain_local();
        let (covered, mut built, rx, slow) = self.with_feed(code, |feed| {
            *feed
                .last_read
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
            (
                feed.touched.load(Ordering::SeqCst),
                feed.built.subscribe(),
                subscribe(feed),
                feed.slow.load(Ordering::SeqCst),
            )
        });
        tokio::time::timeout(FIRST_READ_WAIT, built.wait_for(|n| n.is_some()))
            .await
            .ok()?
            .ok()?;
        if !slow {
            let fresh = built.wait_for(|n| n.is_some_and(|n| n >= covered));
            let _ = tokio::time::timeout(READ_WAIT, fresh).await;
        }
        let latest = rx.borrow().clone();
        Some(latest)
    }

    /// `subscribe` on `code`'s feed, starting it if nobody watched it yet.
    fn with_feed<R>(self: &Arc<Self>, code: &EventCode, subscribe: impl Fn(&Feed<T>) -> R) -> R {
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
            feed.touched.fetch_add(1, Ordering::SeqCst);
            feed.wake.notify_one();
        }
    }

    /// Tells every feed that anything may have changed (announcements were missed).
    pub(crate) fn touch_all(&self) {
        if let Ok(feeds) = self.feeds.lock() {
            for feed in feeds.values() {
                feed.touched.fetch_add(1, Ordering::SeqCst);
                feed.wake.notify_one();
            }
        }
    }

    /// Applies the announcements of this process not read yet.
    fn drain_local(&self) {
        let mut local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(changes) = local.as_mut() else {
            return;
        };
        loop {
            match changes.try_recv() {
                Ok(Change::Event(code)) => self.touch(&code),
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => self.touch_all(),
                Err(_) => return,
            }
        }
    }

    /// Events with a running feed (for tests and metrics).
    #[cfg(test)]
    fn watched(&self) -> usize {
        self.feeds.lock().map(|f| f.len()).unwrap_or(0)
    }

    fn start(self: &Arc<Self>, code: &EventCode) -> Arc<Feed<T>> {
        let feed = Arc::new(Feed {
            frames: watch::channel(Frame::Pending).0,
            public: watch::channel(PublicFrame {
                token: None,
                frame: Frame::Pending,
            })
            .0,
            wake: Notify::new(),
            touched: AtomicU64::new(0),
            built: watch::channel(None).0,
            last_read: Mutex::new(None),
            slow: AtomicBool::new(false),
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
    fn retire(&self, code: &EventCode, feed: &Arc<Feed<T>>, always: bool) -> bool {
        let Ok(mut feeds) = self.feeds.lock() else {
            return true;
        };
        if !always && !feed.unwatched() {
            return false;
        }
        if feeds.get(code).is_some_and(|f| Arc::ptr_eq(f, feed)) {
            feeds.remove(code);
        }
        true
    }
}

fn frame<T: Serialize>(built: Result<Option<T>, StoreError>, code: &EventCode) -> Frame<T> {
    match built {
        Ok(Some(snapshot)) => match serde_json::to_string(&snapshot) {
            Ok(json) => Frame::Ready(Built {
                value: Arc::new(snapshot),
                json: json.into(),
            }),
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

/// One event's feed: build, publish if changed, wait for a change (paced) or the refresh;
/// ends once nobody streams or reads it.
async fn run_feed<T: Views>(
    hub: Weak<Hub<T>>,
    build: Build<T>,
    code: EventCode,
    feed: Arc<Feed<T>>,
) {
    loop {
        let started = Instant::now();
        let covers = feed.touched.load(Ordering::SeqCst);
        let (built, public) = build(code.clone()).await;
        let last_build = Instant::now();
        let gap = gap_after(last_build - started);
        feed.slow
            .store(last_build - started >= SLOW_BUILD, Ordering::SeqCst);
        let gone = built == Frame::Gone;
        publish(&feed.frames, built, |f| f);
        publish(&feed.public, public, |p| &p.frame);
        feed.built.send_replace(Some(covers));
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
            () = unwatched(&feed) => {
                match hub.upgrade() {
                    Some(hub) if !hub.retire(&code, &feed, false) => {}
                    _ => return,
                }
            }
        }
    }
}

/// Resolves once nobody streams `feed` and its last read is [`LINGER`] old.
async fn unwatched<T: Views>(feed: &Feed<T>) {
    feed.frames.closed().await;
    feed.public.closed().await;
    if let Some(until) = feed.linger_until() {
        tokio::time::sleep_until(until).await;
    }
}

/// Sends `built` unless it equals what `tx` holds; a failed re-read keeps the last snapshot
/// on the pages.
fn publish<T: PartialEq, P>(tx: &watch::Sender<T>, built: T, frame: impl Fn(&T) -> &Frame<P>) {
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
async fn forward<T: Views>(hub: Weak<Hub<T>>, mut source: broadcast::Receiver<Change>) {
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
    fn counting() -> (Arc<Hub<u64>>, Arc<AtomicU64>, Arc<AtomicU64>) {
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

    fn json<T>(frame: &Frame<T>) -> Option<String> {
        match frame {
            Frame::Ready(built) => Some(built.json.to_string()),
            _ => None,
        }
    }

    async fn next_ready(rx: &mut watch::Receiver<Frame<u64>>) -> Arc<str> {
        loop {
            if let Frame::Ready(built) = rx.borrow_and_update().clone() {
                return built.json;
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
            assert_eq!(json(&rx.borrow_and_update()).as_deref(), Some("7"));
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
        assert!(matches!(*gone.borrow(), Frame::Gone));
        let mut rx = hub.subscribe(&"SLOW".parse().unwrap());
        assert_eq!(&*next_ready(&mut rx).await, "0");
        value.store(3, Ordering::SeqCst);
        // Nobody announced it: the refresh picks it up.
        rx.changed().await.unwrap();
        assert_eq!(json(&rx.borrow()).as_deref(), Some("3"));
    }

    #[tokio::test(start_paused = true)]
    async fn public_views_come_from_the_same_build() {
        let (hub, value, builds) = counting();
        let code: EventCode = "BOTH".parse().unwrap();
        let mut organiser = hub.subscribe(&code);
        let mut public = hub.subscribe_public(&code);
        assert_eq!(&*next_ready(&mut organiser).await, "0");
        let view = loop {
            if let Frame::Ready(built) = public.borrow_and_update().frame.clone() {
                break built.json;
            }
            public.changed().await.unwrap();
        };
        assert_eq!(&*view, "1000", "derived from the organiser's snapshot");
        value.store(2, Ordering::SeqCst);
        hub.touch("BOTH");
        public.changed().await.unwrap();
        assert_eq!(json(&public.borrow().frame).as_deref(), Some("1002"));
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

    #[tokio::test(start_paused = true)]
    async fn reads_share_the_feed_see_announced_changes_and_let_it_end() {
        let (hub, value, builds) = counting();
        let code: EventCode = "POLL".parse().unwrap();
        for _ in 0..100 {
            assert_eq!(json(&hub.latest(&code).await).as_deref(), Some("0"));
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1, "100 reads, one build");
        // A change announced before a read: the read waits for the build that covers it.
        value.store(5, Ordering::SeqCst);
        hub.touch("POLL");
        assert_eq!(json(&hub.latest(&code).await).as_deref(), Some("5"));
        assert_eq!(
            json(&hub.latest_public(&code).await.frame).as_deref(),
            Some("1005")
        );
        assert_eq!(builds.load(Ordering::SeqCst), 2);
        // Nobody streams it: the feed lingers after the last read, then ends.
        tokio::time::sleep(LINGER / 2).await;
        assert_eq!(hub.watched(), 1, "still there between polls");
        tokio::time::sleep(LINGER + REFRESH * 2).await;
        assert_eq!(hub.watched(), 0, "gone once nobody reads it");
        assert!(matches!(
            hub.latest(&"GONE".parse().unwrap()).await,
            Frame::Gone
        ));
    }
}
