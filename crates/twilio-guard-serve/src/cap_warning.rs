//! The warning that a cap turns clients away, shared by the connection and stream caps and
//! kept rare: a flood must not become a flood of log lines.

use std::time::Duration;

use tokio::time::Instant;

/// How often a full server says so in the log (a flood would otherwise flood the log too).
const CAP_WARNING_EVERY: Duration = Duration::from_secs(10);

/// Logs that a cap turns clients away, at most once per [`CAP_WARNING_EVERY`].
pub(crate) fn warn_now_and_then(warned: &mut Option<Instant>, what: &'static str) {
    if warned.is_none_or(|at| at.elapsed() >= CAP_WARNING_EVERY) {
        tracing::warn!("{what}");
        *warned = Some(Instant::now());
    }
}
