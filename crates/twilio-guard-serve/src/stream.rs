//! Streams: responses that stay open (`text/event-stream`, server-sent events). A connection
//! holding one is under no head, body or idle clock, so streams are admitted under caps of
//! their own that leave a reserved share of the connection caps to every other request
//! ([`Limits::check`]), and each ends after [`Limits::stream_lifetime`].
//!
//! The server decides after the service answered, from the response's content type: no
//! route can forget to ask, and a refused stream's body is dropped before a byte is sent.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, Version, header};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::per_ip::{IpSlot, PerIp};
use crate::{Limits, LimitsError};

/// What a refused stream is told to wait before it tries again, in seconds. The page script
/// adds jitter, so a crowd refused at once does not come back at once.
pub const STREAM_RETRY_AFTER: u64 = 5;

/// The refusal's text.
const REFUSED: &str = "too many open streams, retry later\n";

/// The open streams: server-wide and per address, and how long each may live.
#[derive(Debug)]
pub(crate) struct Streams {
    total: Arc<Semaphore>,
    per_ip: Arc<PerIp>,
    per_ip_max: usize,
    lifetime: Duration,
    warned: Mutex<Option<Instant>>,
}

/// One open stream's place under both caps, given back when its body ends or is dropped.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    _total: OwnedSemaphorePermit,
    _ip: IpSlot,
}

/// What becomes of a response the service gave ([`Streams::admit`]).
#[derive(Debug)]
pub(crate) enum Admission {
    /// Not a stream: sent as it is.
    Plain,
    /// A stream admitted: its slot, held until its body ends, and how long it may live.
    Stream {
        slot: StreamSlot,
        lifetime: Duration,
    },
    /// A stream refused: this answer goes out instead, the service's body is dropped unsent.
    Refused(Response<Bytes>),
}

impl Streams {
    /// The caps `limits` set; refused when they would take the connections' reserve.
    pub(crate) fn new(limits: &Limits) -> Result<Self, LimitsError> {
        let total = limits.streams()?.min(Semaphore::MAX_PERMITS);
        Ok(Self {
            total: Arc::new(Semaphore::new(total)),
            per_ip: Arc::new(PerIp::default()),
            per_ip_max: limits.streams_per_ip()?,
            lifetime: limits.stream_lifetime,
            warned: Mutex::new(None),
        })
    }

    fn take(&self, ip: IpAddr) -> Option<StreamSlot> {
        let ip_slot = self.per_ip.take(ip, self.per_ip_max)?;
        let total = Arc::clone(&self.total).try_acquire_owned().ok()?;
        Some(StreamSlot {
            _total: total,
            _ip: ip_slot,
        })
    }

    /// What becomes of `response`: not a stream, a stream admitted (given its slot and
    /// lifetime), or a stream refused with `503` and `Retry-After`.
    pub(crate) fn admit<B>(
        &self,
        response: &Response<B>,
        peer: IpAddr,
        version: Version,
    ) -> Admission {
        if !is_stream(response) {
            return Admission::Plain;
        }
        if let Some(slot) = self.take(peer) {
            let lifetime = self.lifetime;
            return Admission::Stream { slot, lifetime };
        }
        let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
        crate::cap_warning::warn_now_and_then(&mut warned, "stream cap reached: refusing streams");
        Admission::Refused(refusal(version))
    }
}

/// A response that stays open: server-sent events.
fn is_stream<B>(response: &Response<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/event-stream"))
}

/// `503` with `Retry-After`; over HTTP/1 the connection closes after it, so a refused client
/// holds no slot while it waits.
fn refusal(version: Version) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(REFUSED.as_bytes()));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(STREAM_RETRY_AFTER));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if version < Version::HTTP_2 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_known_by_its_content_type() {
        let typed = |t: &str| {
            Response::builder()
                .header(header::CONTENT_TYPE, t)
                .body(())
                .unwrap()
        };
        assert!(is_stream(&typed("text/event-stream")));
        assert!(is_stream(&typed("Text/Event-Stream; charset=utf-8")));
        assert!(!is_stream(&typed("text/html")));
        assert!(!is_stream(&Response::new(())));
    }
}
