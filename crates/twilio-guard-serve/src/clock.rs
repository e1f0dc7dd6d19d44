//! One connection's clocks: when it last had nothing to do, when the next head began, and
//! whether a body ran out of time. The socket wrapper, the request wrapper and the watchdog
//! in [`crate::connection`] share them.

use std::io;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::Limits;

/// The connection's state as far as the timeouts care.
#[derive(Debug)]
struct State {
    /// Requests whose response body has not been sent (or dropped) yet.
    in_flight: usize,
    /// When the connection last became free: accept, or the end of the last response.
    free_since: Instant,
    /// The first byte read while free: a request head has begun.
    head_began: Option<Instant>,
    /// No request has been seen yet: waiting for the first one is bounded by the head
    /// timeout, not the (longer) keep-alive idle timeout.
    fresh: bool,
    /// A request body missed its deadline: close once the answer is out.
    body_stalled: bool,
}

/// What the watchdog should do now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Nothing yet; look again at this instant or when something changes.
    Wait(Option<Instant>),
    /// Nothing is in flight and the connection has been silent or stuck in a head too long:
    /// drop it.
    Close,
    /// A body stalled: stop keep-alive so the connection ends after its answer.
    Finish,
}

/// Shared by everything that watches one connection.
#[derive(Debug)]
pub(crate) struct Clock {
    state: Mutex<State>,
    changed: Notify,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                in_flight: 0,
                free_since: Instant::now(),
                head_began: None,
                fresh: true,
                body_stalled: false,
            }),
            changed: Notify::new(),
        }
    }

    // A panic while holding this lock cannot leave the counters half-updated (each update is
    // one assignment), so a poisoned lock is still good to use.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived from the client.
    fn bytes_read(&self) {
        let mut state = self.state();
        if state.in_flight == 0 && state.head_began.is_none() {
            state.head_began = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// A complete head arrived: a request is in flight until [`Clock::request_done`].
    pub(crate) fn request_began(&self) {
        let mut state = self.state();
        state.in_flight += 1;
        state.head_began = None;
        state.fresh = false;
    }

    /// A response was sent in full, or dropped.
    pub(crate) fn request_done(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.free_since = Instant::now();
            state.head_began = None;
        }
        drop(state);
        self.changed.notify_one();
    }

    /// A request body missed its deadline.
    pub(crate) fn body_stalled(&self) {
        self.state().body_stalled = true;
        self.changed.notify_one();
    }

    fn verdict(&self, limits: &Limits, now: Instant) -> Action {
        let mut state = self.state();
        if std::mem::take(&mut state.body_stalled) {
            return Action::Finish;
        }
        if state.in_flight > 0 {
            return Action::Wait(None);
        }
        let until = match state.head_began {
            Some(began) => began + limits.head_timeout,
            None if state.fresh => state.free_since + limits.head_timeout,
            None => state.free_since + limits.idle_timeout,
        };
        if until <= now {
            Action::Close
        } else {
            Action::Wait(Some(until))
        }
    }

    /// Resolves when the connection should close or finish (see [`Action`]).
    pub(crate) async fn expired(&self, limits: &Limits) -> Action {
        loop {
            // Registered before looking, so a change between the look and the wait wakes us.
            let changed = self.changed.notified();
            match self.verdict(limits, Instant::now()) {
                Action::Wait(Some(at)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                Action::Wait(None) => changed.await,
                decided => return decided,
            }
        }
    }
}

/// A socket that tells its [`Clock`] when bytes arrive.
#[derive(Debug)]
pub(crate) struct Watched<T> {
    inner: T,
    clock: std::sync::Arc<Clock>,
}

impl<T> Watched<T> {
    pub(crate) fn new(inner: T, clock: std::sync::Arc<Clock>) -> Self {
        Self { inner, clock }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
