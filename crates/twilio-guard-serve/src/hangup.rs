//! `SIGHUP` as "reload your configuration": one loop both servers use to swap keys in place.

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
