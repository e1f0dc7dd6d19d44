//! The signals a server acts on, one function each, for every binary of the workspace:
//! `SIGINT`/`SIGTERM` end it ([`on_terminate`]), `SIGHUP` reloads its configuration
//! ([`on_hangup`]).

/// Resolves on the first Ctrl-C (`SIGINT`) or `SIGTERM` (what container runtimes and
/// service managers send), and logs that the server is draining. Give it to [`crate::serve`]
/// as the shutdown future: in-flight requests then finish within the shutdown limit.
/// If `SIGTERM` cannot be watched (logged), Ctrl-C alone ends the wait; if neither can, it
/// never resolves.
pub async fn on_terminate() {
    tokio::select! {
        () = interrupt() => {}
        () = terminate() => {}
    }
    tracing::info!("shutting down: draining in-flight requests");
}

async fn interrupt() {
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!(error = %e, "cannot watch Ctrl-C");
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGTERM: only Ctrl-C stops the server");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}

/// Calls `reload` on every `SIGHUP` until the process ends. Spawn it beside the server; the
/// server keeps its connections while `reload` swaps what it reads (e.g. a `LiveKeys` slot).
/// On platforms without `SIGHUP`, or when the signal cannot be watched (logged once), it
/// returns at once and configuration is read only at start.
pub async fn on_hangup(mut reload: impl FnMut() + Send) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(hangups) => hangups,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGHUP: configuration is read only at start");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            reload();
        }
    }
    #[cfg(not(unix))]
    drop(reload);
}
