//! The accept loop: the connection cap, one task per connection, graceful shutdown.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::Limits;
use crate::connection::{self, Phase, Setup};
use crate::per_ip::PerIp;
use crate::service::{ResponseBody, Service};
use crate::stream::Streams;

/// How often a full server says so in the log (a flood would otherwise flood the log too).
const CAP_WARNING_EVERY: Duration = Duration::from_secs(10);

/// Descriptors the rest of a process needs beside its connections (listener, database,
/// upstream pool, logs): the connection cap should leave this much below the open-file limit.
const FILE_HEADROOM: u64 = 64;

/// Warns when the open-file limit would stop accepts (EMFILE) before the connection cap does:
/// then a flood leaves new clients waiting in the backlog instead of being turned away.
fn check_open_file_limit(max: usize) {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit};
        let wanted = u64::try_from(max)
            .unwrap_or(u64::MAX)
            .saturating_add(FILE_HEADROOM);
        if let Some(soft) = getrlimit(Resource::Nofile).current
            && soft < wanted
        {
            tracing::warn!(
                max_connections = max,
                open_file_limit = soft,
                "the open-file limit is below the connection cap plus {FILE_HEADROOM}: raise \
                 `ulimit -n` or lower --max-connections"
            );
        }
    }
}

/// Logs that a cap turns clients away, at most once per [`CAP_WARNING_EVERY`].
pub(crate) fn warn_now_and_then(warned: &mut Option<Instant>, what: &'static str) {
    if warned.is_none_or(|at| at.elapsed() >= CAP_WARNING_EVERY) {
        tracing::warn!("{what}");
        *warned = Some(Instant::now());
    }
}

/// Serves `listener` (HTTPS when `tls` is given) with `service` under `limits` until
/// `shutdown` resolves; then stops accepting, lets in-flight requests finish for up to
/// [`Limits::drain_timeout`], drops what is left and returns.
///
/// Each request carries axum's `ConnectInfo<SocketAddr>` with the peer address, plain or TLS.
/// A connection beyond [`Limits::max_connections`] (or [`Limits::max_connections_per_ip`]) is
/// accepted and closed at once: an answer
/// would cost a read (and over TLS a handshake) of exactly the clients to turn away, and
/// closing frees the descriptor at once.
///
/// A response of type `text/event-stream` is a stream: admitted under
/// [`Limits::max_streams`] and [`Limits::max_streams_per_ip`] (which always leave a quarter
/// of the connection caps to other requests), else answered `503` with `Retry-After`; it
/// ends after [`Limits::stream_lifetime`].
///
/// Errors if the limits fail [`Limits::check`] (`InvalidInput`, before anything is served)
/// or the listener's address cannot be read; accept errors (out of descriptors) are logged
/// and retried after a short pause.
pub async fn serve<S, B>(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    service: S,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    S: Service<B>,
    B: ResponseBody,
{
    let streams = Arc::new(
        Streams::new(&limits)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
    );
    let local = listener.local_addr()?;
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    check_open_file_limit(max);
    let limits = Arc::new(limits);
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let (phase, following) = watch::channel(Phase::Serving);
    let mut shutdown = pin!(shutdown);
    let per_ip = Arc::new(PerIp::default());
    let mut warned: Option<Instant> = None;
    tracing::debug!(%local, max_connections = max, "serving");
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: back off instead of spinning.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip_slot = match limits.max_connections_per_ip {
            0 => None,
            per_address => match per_ip.take(peer.ip(), per_address) {
                Some(ip_slot) => Some(ip_slot),
                None => {
                    drop(stream);
                    warn_now_and_then(
                        &mut warned,
                        "connection cap per address reached: closing new connections at once",
                    );
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            warn_now_and_then(
                &mut warned,
                "connection cap reached: closing new connections at once",
            );
            continue;
        };
        let setup = Setup {
            service: service.clone(),
            limits: Arc::clone(&limits),
            streams: Arc::clone(&streams),
            tls: tls.clone(),
            phase: following.clone(),
            slot,
            ip_slot,
        };
        tokio::spawn(connection::run(stream, peer, setup));
    }
    drop(listener);
    phase.send_replace(Phase::Draining);
    // Every connection task holds one slot until it ends: all slots back means all done.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    tokio::select! {
        _ = slots.acquire_many(all) => {}
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("drain timeout: closing connections with requests in flight");
        }
    }
    phase.send_replace(Phase::Abort);
    Ok(())
}
