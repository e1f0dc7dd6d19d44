//! Replay suppression: a signed request is handled at most once within a time window.
//!
//! Twilio signs no timestamp, so a captured request verifies forever. The guard remembers
//! each request by its [`Fingerprint`] — a hash of the verified MAC, which covers the URL and
//! every parameter under one key. The unsigned `I-Twilio-Idempotency-Token` header plays no
//! part, so changing it does not get a replay through. A repeat within the TTL never reaches
//! the handler: it gets the response the first request got, or `409` while the first is
//! still being handled.
//!
//! The guard is on by default. Turn it off per route
//! ([`WebhookConfig::without_replay_guard`](crate::WebhookConfig::without_replay_guard)) where
//! identical requests are legitimate: `<Gather>`, `<Record>` and `<Dial>` action URLs can be
//! called byte for byte the same (same call, same digits) in a loop.
//!
//! [`ReplayGuard`] is an object-safe async trait so a shared store (Redis, a database) can
//! back it when several servers answer the same webhook; [`MemoryReplayGuard`] is the bounded
//! in-process default.
//!
//! Stores keep a response body of at most [`MAX_STORED_BODY`] bytes (64 KiB, Twilio's own
//! limit on a TwiML document). A larger response is not kept, and neither is one that would
//! take a [`MemoryReplayGuard`] over its byte budget; the request stays marked handled, so
//! its repeats still never reach the handler: they get `409 Conflict`
//! ([`StoredResponse::not_kept`]) instead of a truncated or empty copy that would pass for
//! the real answer.
//!
//! ```
//! use twilio_webhook::replay::{Begin, StoredResponse};
//! use twilio_webhook::{MemoryReplayGuard, ReplayGuard};
//!
//! # fn main() { futures_lite_block_on(async {
//! let guard = MemoryReplayGuard::default();
//! let fp = [7u8; 32].into();
//! assert!(matches!(guard.begin(&fp).await, Ok(Begin::Fresh)));
//! assert!(matches!(guard.begin(&fp).await, Ok(Begin::InFlight)));
//! guard.complete(&fp, StoredResponse::new(200, Some("text/xml"), b"<Response/>".to_vec())).await.unwrap();
//! match guard.begin(&fp).await {
//!     Ok(Begin::Done(stored)) => assert_eq!(stored.body(), b"<Response/>"),
//!     other => panic!("{other:?}"),
//! }
//! # }) }
//! # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hashlink::LinkedHashMap;

use crate::rejection::Rejection;
use crate::twiml::Twiml;

/// The largest response body a replay store keeps: 64 KiB, the size Twilio allows a TwiML
/// document. Shared by every store (the in-memory one here, the CLI's Redis one) so a
/// replay gets the same answer whichever store is configured.
pub const MAX_STORED_BODY: usize = 64 * 1024;

/// The default byte budget of a [`MemoryReplayGuard`]'s stored responses: 64 MiB.
pub const DEFAULT_STORED_BYTES: usize = 64 * 1024 * 1024;

/// A boxed, sendable future, the return type of [`ReplayGuard`]'s methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Identifies one signed request: SHA-256 of its verified MAC (see
/// [`Verified::fingerprint`](crate::Verified::fingerprint)). Reveals nothing about the
/// signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, e.g. for a Redis key.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl From<[u8; 32]> for Fingerprint {
    fn from(bytes: [u8; 32]) -> Self {
        Fingerprint(bytes)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", &self.to_hex()[..16])
    }
}

/// The response the first request got, kept to answer its replays. The body is shared
/// [`Bytes`]: recording the handler's response and answering each replay (a clone out of the
/// store, then the response body) count a reference, never copy the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    status: u16,
    content_type: Option<Cow<'static, str>>,
    body: Bytes,
}

/// Content types kept without a copy of their own: TwiML's and the rejections', which are
/// nearly every stored response.
const COMMON_CONTENT_TYPES: [&str; 4] = [
    Twiml::CONTENT_TYPE,
    Rejection::CONTENT_TYPE,
    "text/xml",
    "application/xml",
];

impl StoredResponse {
    /// A response with `status`, optional `Content-Type` and `body` (a `Vec<u8>` or
    /// [`Bytes`], taken without a copy).
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<Bytes>) -> Self {
        let content_type = content_type.map(|c| {
            COMMON_CONTENT_TYPES
                .iter()
                .find(|&&common| common == c)
                .map_or_else(|| Cow::Owned(c.to_owned()), |&common| Cow::Borrowed(common))
        });
        StoredResponse {
            status,
            content_type,
            body: body.into(),
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Content-Type`, if the response had one.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as shared bytes, for a response: a reference more, no copy.
    pub fn body_bytes(&self) -> Bytes {
        self.body.clone()
    }

    /// What a store keeps of this response: the response itself, or [`Self::not_kept`] when
    /// its body is over [`MAX_STORED_BODY`].
    pub fn bounded(self) -> StoredResponse {
        if self.body.len() > MAX_STORED_BODY {
            StoredResponse::not_kept()
        } else {
            self
        }
    }

    /// The answer kept for a request whose own response was not kept (too large, or over
    /// the store's budget): `409` with [`Rejection::ReplayNotKept`]'s fixed text. The
    /// handler is not run again, and the repeat is not told a status it did not earn.
    pub fn not_kept() -> StoredResponse {
        let r = Rejection::ReplayNotKept;
        StoredResponse::new(
            r.status(),
            Some(Rejection::CONTENT_TYPE),
            Bytes::from_static(r.body().as_bytes()),
        )
    }

    /// The bytes this response counts against a store's budget: its body and its content
    /// type, the latter whether held or borrowed (so the budget does not depend on which).
    fn size(&self) -> usize {
        self.body.len() + self.content_type.as_ref().map_or(0, |c| c.len())
    }
}

/// What [`ReplayGuard::begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Begin {
    /// First sighting within the TTL: the caller now holds the in-flight mark and must
    /// [`complete`](ReplayGuard::complete) or [`abort`](ReplayGuard::abort).
    Fresh,
    /// The same request is being handled right now.
    InFlight,
    /// The same request was handled; here is its response.
    Done(StoredResponse),
}

/// Why the replay store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The backing store failed (connection lost, timeout); the text is for the log and
    /// must not hold secrets.
    #[error("replay store unavailable: {0}")]
    Unavailable(String),
}

/// A store of recently seen request fingerprints.
///
/// Implementations must make [`begin`](ReplayGuard::begin) atomic: of two concurrent calls
/// with the same fingerprint exactly one sees [`Begin::Fresh`]. An in-flight mark should
/// lapse on its own after a lease (the handler's task may be dropped before it can abort).
pub trait ReplayGuard: Send + Sync + fmt::Debug {
    /// Marks `fp` in flight if it is new; otherwise says what is known about it.
    fn begin<'a>(&'a self, fp: &'a Fingerprint) -> BoxFuture<'a, Result<Begin, ReplayError>>;

    /// Records the response for `fp`; replays within the TTL get it.
    fn complete<'a>(
        &'a self,
        fp: &'a Fingerprint,
        response: StoredResponse,
    ) -> BoxFuture<'a, Result<(), ReplayError>>;

    /// Forgets `fp` (the handler failed): Twilio's retry must get through.
    fn abort<'a>(&'a self, fp: &'a Fingerprint) -> BoxFuture<'a, Result<(), ReplayError>>;
}

#[derive(Debug)]
enum State {
    InFlight { until: Instant },
    Done(StoredResponse),
}

impl State {
    fn size(&self) -> usize {
        match self {
            State::InFlight { .. } => 0,
            State::Done(response) => response.size(),
        }
    }
}

#[derive(Debug)]
struct Entry {
    state: State,
    created: Instant,
}

/// The entries in age order, oldest at the front: one map that is also a list, so an entry
/// and its place in the order are one item — nothing can pile up in the order, whatever mix
/// of completions and aborts arrives — and moving an entry to the back, dropping it or the
/// oldest are all O(1) with no second structure to keep in step (`hashlink`, whose nodes are
/// reused, so a full guard allocates nothing per request).
#[derive(Debug, Default)]
struct Store {
    entries: LinkedHashMap<Fingerprint, Entry, BuildHasherDefault<FoldHasher>>,
    /// Bytes held by stored responses.
    bytes: usize,
}

/// Hashes a [`Fingerprint`] by folding its bytes into a word. They are SHA-256 output over
/// a MAC under a secret key, so already uniform, and no sender can choose them to collide —
/// the one thing SipHash, the map's default and 5 % of a request, would add.
#[derive(Debug, Default)]
struct FoldHasher(u64);

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(23) ^ u64::from_le_bytes(word);
        }
    }
}

impl Store {
    /// Puts `fp` at the back of the age order in `state`, replacing any entry it had.
    fn insert(&mut self, fp: Fingerprint, state: State, now: Instant) {
        self.bytes += state.size();
        let entry = Entry {
            state,
            created: now,
        };
        if let Some(old) = self.entries.insert(fp, entry) {
            self.bytes = self.bytes.saturating_sub(old.state.size());
        }
    }

    fn remove(&mut self, fp: &Fingerprint) {
        if let Some(entry) = self.entries.remove(fp) {
            self.bytes = self.bytes.saturating_sub(entry.state.size());
        }
    }

    /// Drops the oldest entry.
    fn pop_oldest(&mut self) {
        if let Some((_, entry)) = self.entries.pop_front() {
            self.bytes = self.bytes.saturating_sub(entry.state.size());
        }
    }
}

/// The default guard: an in-process map bounded by a capacity (oldest evicted first), a TTL
/// and a byte budget for stored responses. Shared by the clones of one layer; not shared
/// between processes.
#[derive(Debug, Clone)]
pub struct MemoryReplayGuard {
    store: Arc<Mutex<Store>>,
    capacity: usize,
    ttl: Duration,
    lease: Duration,
    max_bytes: usize,
}

impl Default for MemoryReplayGuard {
    /// 10 000 requests, one hour, in-flight marks lapse after 30 s (Twilio gives up after
    /// 15), responses kept up to 64 MiB in all.
    fn default() -> Self {
        MemoryReplayGuard::new(10_000, Duration::from_secs(3600))
    }
}

impl MemoryReplayGuard {
    /// A guard remembering up to `capacity` requests (at least one) for `ttl` each.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        MemoryReplayGuard {
            store: Arc::default(),
            capacity: capacity.max(1),
            ttl,
            lease: Duration::from_secs(30),
            max_bytes: DEFAULT_STORED_BYTES,
        }
    }

    /// How long an in-flight mark holds when neither completed nor aborted (default 30 s).
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The most bytes of stored responses kept at once (default [`DEFAULT_STORED_BYTES`]).
    /// A response that would go over it is not kept (see [`StoredResponse::not_kept`]):
    /// older entries are never evicted early for it, so no earlier request loses its
    /// protection.
    #[must_use]
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// How many fingerprints are remembered now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many bytes of stored responses are held now.
    pub fn stored_bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the map inconsistent (every update
        // completes before anything that could panic), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn begin_at(&self, fp: &Fingerprint, now: Instant) -> Begin {
        let mut guard = self.lock();
        let store = &mut *guard;
        self.evict(store, now);
        if let Some(entry) = store.entries.get(fp) {
            match &entry.state {
                State::Done(r) => return Begin::Done(r.clone()),
                State::InFlight { until } if *until > now => return Begin::InFlight,
                State::InFlight { .. } => {}
            }
        }
        let until = now + self.lease;
        store.insert(*fp, State::InFlight { until }, now);
        self.evict(store, now);
        Begin::Fresh
    }

    fn complete_at(&self, fp: &Fingerprint, response: StoredResponse, now: Instant) {
        let mut guard = self.lock();
        let store = &mut *guard;
        if !store.entries.contains_key(fp) {
            return;
        }
        let mut response = response.bounded();
        let held = store.entries.get(fp).map_or(0, |e| e.state.size());
        if store
            .bytes
            .saturating_sub(held)
            .saturating_add(response.size())
            > self.max_bytes
        {
            response = StoredResponse::not_kept();
        }
        // The TTL runs from completion, so a slow handler still gets the full window.
        store.insert(*fp, State::Done(response), now);
    }

    fn abort_now(&self, fp: &Fingerprint) {
        let mut store = self.lock();
        if matches!(
            store.entries.get(fp).map(|e| &e.state),
            Some(State::InFlight { .. })
        ) {
            store.remove(fp);
        }
    }

    /// Drops expired entries from the front, then the oldest while over capacity.
    fn evict(&self, store: &mut Store, now: Instant) {
        while let Some((_, oldest)) = store.entries.front() {
            let expired = now.duration_since(oldest.created) >= self.ttl;
            if !expired && store.entries.len() <= self.capacity {
                break;
            }
            store.pop_oldest();
        }
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn begin<'a>(&'a self, fp: &'a Fingerprint) -> BoxFuture<'a, Result<Begin, ReplayError>> {
        let begin = self.begin_at(fp, Instant::now());
        Box::pin(std::future::ready(Ok(begin)))
    }

    fn complete<'a>(
        &'a self,
        fp: &'a Fingerprint,
        response: StoredResponse,
    ) -> BoxFuture<'a, Result<(), ReplayError>> {
        self.complete_at(fp, response, Instant::now());
        Box::pin(std::future::ready(Ok(())))
    }

    fn abort<'a>(&'a self, fp: &'a Fingerprint) -> BoxFuture<'a, Result<(), ReplayError>> {
        self.abort_now(fp);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The in-flight mark of one fresh request, held by an adapter while the handler runs.
///
/// [`finish`](ReplayTicket::finish) stores the response (or, for a 5xx, forgets the request
/// so Twilio's retry runs the handler again). A ticket dropped unfinished before the handler
/// was called aborts (a guard whose abort does not complete at once falls back on its
/// lease); after [`keep_on_drop`](ReplayTicket::keep_on_drop) — the handler was called, then
/// the client hung up — the mark stays in flight until its lease ends.
#[derive(Debug)]
pub struct ReplayTicket {
    guard: Arc<dyn ReplayGuard>,
    fp: Fingerprint,
    open: bool,
}

impl ReplayTicket {
    /// A ticket for `fp`, which `guard.begin` just reported fresh.
    pub fn new(guard: Arc<dyn ReplayGuard>, fp: Fingerprint) -> Self {
        ReplayTicket {
            guard,
            fp,
            open: true,
        }
    }

    /// Records the handler's response: stored for replays, unless it is a server error
    /// (5xx), which lets Twilio's retry through instead.
    pub async fn finish(mut self, response: StoredResponse) -> Result<(), ReplayError> {
        self.open = false;
        if response.status() >= 500 {
            self.guard.abort(&self.fp).await
        } else {
            self.guard.complete(&self.fp, response).await
        }
    }

    /// From now on a drop leaves the request in flight (its lease then decides) instead of
    /// forgetting it: the handler has been called, so the request counts as handled even if
    /// nobody waits for its response. See [`crate::flow`].
    pub fn keep_on_drop(&mut self) {
        self.open = false;
    }

    /// Forgets the request: its retry will reach the handler.
    pub async fn abort(mut self) -> Result<(), ReplayError> {
        self.open = false;
        self.guard.abort(&self.fp).await
    }
}

impl Drop for ReplayTicket {
    fn drop(&mut self) {
        if self.open {
            // Poll the abort once: in-memory guards finish at once; others lapse by lease.
            let mut abort = self.guard.abort(&self.fp);
            let _ = abort.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u8) -> Fingerprint {
        [n; 32].into()
    }

    fn ok() -> StoredResponse {
        StoredResponse::new(200, Some("text/xml"), b"<Response/>".to_vec())
    }

    #[test]
    fn fresh_inflight_done() {
        let g = MemoryReplayGuard::default();
        let t = Instant::now();
        assert_eq!(g.begin_at(&fp(1), t), Begin::Fresh);
        assert_eq!(g.begin_at(&fp(1), t), Begin::InFlight);
        assert_eq!(g.begin_at(&fp(2), t), Begin::Fresh);
        g.complete_at(&fp(1), ok(), t);
        assert_eq!(g.begin_at(&fp(1), t), Begin::Done(ok()));
    }

    #[test]
    fn ttl_and_lease_expire() {
        let g = MemoryReplayGuard::new(10, Duration::from_secs(60)).lease(Duration::from_secs(5));
        let t = Instant::now();
        assert_eq!(g.begin_at(&fp(1), t), Begin::Fresh);
        assert_eq!(g.begin_at(&fp(1), t + Duration::from_secs(6)), Begin::Fresh);
        g.complete_at(&fp(1), ok(), t + Duration::from_secs(6));
        let later = t + Duration::from_secs(65);
        assert_eq!(g.begin_at(&fp(1), later), Begin::Done(ok()));
        assert_eq!(
            g.begin_at(&fp(1), t + Duration::from_secs(67)),
            Begin::Fresh
        );
    }

    #[test]
    fn capacity_evicts_oldest() {
        let g = MemoryReplayGuard::new(2, Duration::from_secs(60));
        let t = Instant::now();
        for n in 1..=3 {
            assert_eq!(g.begin_at(&fp(n), t), Begin::Fresh);
            g.complete_at(&fp(n), ok(), t);
        }
        assert_eq!(g.len(), 2);
        assert_eq!(g.begin_at(&fp(3), t), Begin::Done(ok()));
        assert_eq!(g.begin_at(&fp(1), t), Begin::Fresh);
    }

    #[test]
    fn abort_and_dropped_ticket_let_retries_through() {
        let g = Arc::new(MemoryReplayGuard::default());
        let t = Instant::now();
        assert_eq!(g.begin_at(&fp(1), t), Begin::Fresh);
        g.abort_now(&fp(1));
        assert_eq!(g.begin_at(&fp(1), t), Begin::Fresh);
        drop(ReplayTicket::new(g.clone(), fp(1)));
        assert_eq!(g.begin_at(&fp(1), t), Begin::Fresh);
        // Abort never drops a completed entry.
        g.complete_at(&fp(1), ok(), t);
        g.abort_now(&fp(1));
        assert_eq!(g.begin_at(&fp(1), t), Begin::Done(ok()));
    }

    #[test]
    fn repeated_aborts_stay_within_capacity() {
        // One long-lived entry at the front, then many requests that abort: nothing may
        // pile up behind it for the TTL.
        let g = MemoryReplayGuard::new(4, Duration::from_secs(3600));
        let t = Instant::now();
        assert_eq!(g.begin_at(&fp(0), t), Begin::Fresh);
        g.complete_at(&fp(0), ok(), t);
        for n in 1..=200u8 {
            assert_eq!(g.begin_at(&fp(n), t), Begin::Fresh);
            if n % 3 == 0 {
                g.complete_at(&fp(n), ok(), t);
            } else {
                g.abort_now(&fp(n));
            }
            let store = g.lock();
            assert!(store.entries.len() <= 4, "{} entries", store.entries.len());
            let listed = store.entries.iter().count();
            assert!(listed <= 4, "{listed} order items");
        }
        // The lapsed-lease path re-inserts too: still one order item per entry.
        let g = MemoryReplayGuard::new(4, Duration::from_secs(3600)).lease(Duration::ZERO);
        for n in 0..50 {
            assert_eq!(g.begin_at(&fp(1), t + Duration::from_secs(n)), Begin::Fresh);
        }
        assert_eq!(g.lock().entries.iter().count(), 1);
    }

    #[test]
    fn oversized_responses_are_not_kept() {
        let g = MemoryReplayGuard::default();
        let t = Instant::now();
        let big = StoredResponse::new(200, Some("text/xml"), vec![b'x'; MAX_STORED_BODY + 1]);
        assert_eq!(g.begin_at(&fp(1), t), Begin::Fresh);
        g.complete_at(&fp(1), big, t);
        // Still marked handled (the handler is not run again), answered 409, body not held.
        let Begin::Done(stored) = g.begin_at(&fp(1), t) else {
            panic!("forgotten")
        };
        assert_eq!(stored, StoredResponse::not_kept());
        assert_eq!(stored.status(), 409);
        assert!(g.stored_bytes() < 100, "{}", g.stored_bytes());
        // Exactly at the cap is kept.
        let fits = StoredResponse::new(200, None, vec![b'x'; MAX_STORED_BODY]);
        assert_eq!(g.begin_at(&fp(2), t), Begin::Fresh);
        g.complete_at(&fp(2), fits.clone(), t);
        assert_eq!(g.begin_at(&fp(2), t), Begin::Done(fits));
    }

    #[test]
    fn byte_budget_keeps_earlier_entries() {
        let body = |n: usize| StoredResponse::new(200, None, vec![b'x'; n]);
        let g = MemoryReplayGuard::new(100, Duration::from_secs(60)).max_bytes(1000);
        let t = Instant::now();
        for n in 1..=3 {
            assert_eq!(g.begin_at(&fp(n), t), Begin::Fresh);
            g.complete_at(&fp(n), body(400), t);
        }
        let refusal = StoredResponse::not_kept().size();
        assert_eq!(g.stored_bytes(), 800 + refusal);
        assert_eq!(g.begin_at(&fp(1), t), Begin::Done(body(400)));
        assert_eq!(
            g.begin_at(&fp(3), t),
            Begin::Done(StoredResponse::not_kept())
        );
        // Room comes back as entries expire.
        let later = t + Duration::from_secs(61);
        assert_eq!(g.begin_at(&fp(4), later), Begin::Fresh);
        assert_eq!(g.stored_bytes(), 0);
        g.complete_at(&fp(4), body(400), later);
        assert_eq!(g.begin_at(&fp(4), later), Begin::Done(body(400)));
    }
}
