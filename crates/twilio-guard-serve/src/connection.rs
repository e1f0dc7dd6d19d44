//! One connection: TLS handshake, HTTP/1.1 or HTTP/2 (by ALPN), the request wrapper and the
//! watchdog that closes it when a client stalls.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tower::ServiceExt as _;

use crate::body::{InFlight, RequestBody, TrackedBody};
use crate::clock::{Action, Clock, Watched};
use crate::per_ip::IpSlot;
use crate::service::{ResponseBody, Service};
use crate::stream::Streams;
use crate::{BoxError, Limits};

/// Where the server is in its life; connections follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Accepting and serving.
    Serving,
    /// Finish what is in flight, take no new requests.
    Draining,
    /// The drain bound passed: drop the connection now.
    Abort,
}

/// Everything a connection task needs besides its socket.
pub(crate) struct Setup<S> {
    pub(crate) service: S,
    pub(crate) limits: Arc<Limits>,
    /// The open streams of the whole server.
    pub(crate) streams: Arc<Streams>,
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    pub(crate) phase: watch::Receiver<Phase>,
    /// This connection's slot under the connection cap, given back when the task ends.
    pub(crate) slot: OwnedSemaphorePermit,
    /// Its share of its peer address's count, if that is capped.
    pub(crate) ip_slot: Option<IpSlot>,
}

/// Serves one accepted connection to its end.
pub(crate) async fn run<S, B>(stream: TcpStream, peer: SocketAddr, setup: Setup<S>)
where
    S: Service<B>,
    B: ResponseBody,
{
    let _ = stream.set_nodelay(true);
    let Setup {
        service,
        limits,
        streams,
        tls,
        phase,
        slot: _slot,
        ip_slot: _ip_slot,
    } = setup;
    let clock = Arc::new(Clock::new());
    let guarded = Guarded {
        service,
        peer,
        limits: Arc::clone(&limits),
        streams,
        clock: Arc::clone(&clock),
    };
    let Some(acceptor) = tls else {
        let io = TokioIo::new(Watched::new(stream, Arc::clone(&clock)));
        return drive(http1(io, guarded, &limits), &clock, &limits, phase).await;
    };
    // The handshake counts as the head: a client that stalls in it is gone as fast.
    let tls = match tokio::time::timeout(limits.head_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return tracing::debug!(error = %e, "TLS handshake failed"),
        Err(_) => return tracing::debug!("TLS handshake timed out"),
    };
    let alpn = tls.get_ref().1.alpn_protocol();
    if alpn == Some(crate::acme::ACME_TLS_ALPN) {
        // A TLS-ALPN-01 validator: the handshake was the whole answer.
        return;
    }
    let h2 = alpn == Some(b"h2");
    let io = TokioIo::new(Watched::new(tls, Arc::clone(&clock)));
    if h2 {
        let mut http = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        http.timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
        drive(http.serve_connection(io, guarded), &clock, &limits, phase).await;
    } else {
        drive(http1(io, guarded, &limits), &clock, &limits, phase).await;
    }
}

fn http1<I, S>(io: I, service: S, limits: &Limits) -> hyper::server::conn::http1::Connection<I, S>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<Incoming>,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<BoxError>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    // The clock closes a stalled head first; hyper's own head timer (which also runs while a
    // kept-alive connection waits, see tests/it/hyper_facts.rs) is the backstop behind it.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout + limits.idle_timeout)
        .max_header_size(limits.max_header_bytes);
    http.serve_connection(io, service)
}

/// Polls the connection until it ends, the clock says it stalled, or the server stops.
async fn drive<C>(conn: C, clock: &Clock, limits: &Limits, mut phase: watch::Receiver<Phase>)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let mut conn = pin!(conn);
    // Graceful shutdown once at most (HTTP/2 sends GOAWAY each time). The clock keeps running
    // after it, so a client stalling in a head while the server drains is still closed.
    let mut finishing = false;
    let mut finish = |conn: Pin<&mut C>| {
        if !std::mem::replace(&mut finishing, true) {
            conn.graceful_shutdown();
        }
    };
    if *phase.borrow_and_update() != Phase::Serving {
        finish(conn.as_mut());
    }
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            verdict = clock.expired(limits) => match verdict {
                // Nothing in flight: dropping the connection cancels no request.
                Action::Close => return tracing::debug!("connection stalled or idle: closed"),
                Action::Finish | Action::Wait(_) => finish(conn.as_mut()),
            },
            changed = phase.changed() => match changed.map(|()| *phase.borrow_and_update()) {
                Ok(Phase::Serving) => {}
                Ok(Phase::Draining) => finish(conn.as_mut()),
                Ok(Phase::Abort) | Err(_) => return,
            },
        }
    }
}

/// The service as hyper sees it: adds the peer address and the body deadline, keeps the
/// clock's count of requests in flight, and admits (or refuses) streams.
#[derive(Clone)]
struct Guarded<S> {
    service: S,
    peer: SocketAddr,
    limits: Arc<Limits>,
    streams: Arc<Streams>,
    clock: Arc<Clock>,
}

impl<S, B> hyper::service::Service<Request<Incoming>> for Guarded<S>
where
    // The second bound names `B` for the compiler (the first implies it).
    S: Service<B> + tower::Service<Request<RequestBody>, Response = Response<B>>,
    B: ResponseBody,
{
    type Response = Response<TrackedBody<B>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::begin(Arc::clone(&self.clock));
        let (mut parts, body) = request.into_parts();
        let version = parts.version;
        parts.extensions.insert(ConnectInfo(self.peer));
        let body = RequestBody::new(body, self.limits.body_timeout, Arc::clone(&self.clock));
        let answer = self
            .service
            .clone()
            .oneshot(Request::from_parts(parts, body));
        let (streams, peer) = (Arc::clone(&self.streams), self.peer.ip());
        Box::pin(async move {
            let Ok(response) = answer.await;
            let admission = streams.admit(&response, peer, version);
            Ok(TrackedBody::track(response, admission, in_flight))
        })
    }
}
