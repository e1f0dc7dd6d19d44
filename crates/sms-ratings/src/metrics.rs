//! Prometheus metrics: what is counted, under which names.
//!
//! The recorder is installed once per process (tests start many servers in one process).
//! Histograms keep every recorded sample until upkeep folds them into their summary, so a
//! thread runs that upkeep every [`UPKEEP_EVERY`]: memory stays flat whether or not anyone
//! scrapes `/metrics` (rendering folds them too).

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often recorded histogram samples are folded (and their memory freed).
pub const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// Installs the process-wide recorder the first time; returns the handle that renders
/// `/metrics` (`None` when another recorder was installed first).
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            upkeep(handle.clone());
            Some(handle)
        })
        .clone()
}

/// Folds histogram samples every [`UPKEEP_EVERY`] for the life of the process, on a thread
/// of its own: the recorder is process-wide and may be installed before (or without) any
/// runtime. Without that thread (it could not be started) memory grows until scraped.
fn upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
    }
}

/// A batch finished: its size, how long it took, whether it committed.
pub(crate) fn batch_committed(backend: &'static str, size: usize, took: Duration, ok: bool) {
    let outcome = if ok { "committed" } else { "failed" };
    metrics::counter!("sms_ratings_batches_total", "backend" => backend, "outcome" => outcome)
        .increment(1);
    #[allow(clippy::cast_precision_loss)] // batch sizes are small
    metrics::histogram!("sms_ratings_batch_size", "backend" => backend).record(size as f64);
    metrics::histogram!("sms_ratings_commit_seconds", "backend" => backend)
        .record(took.as_secs_f64());
}

/// A webhook was answered with this outcome label (`recorded`, `duplicate`, `help`, ...).
pub(crate) fn webhook(outcome: &'static str) {
    metrics::counter!("sms_ratings_webhooks_total", "outcome" => outcome).increment(1);
}

/// The final `COMMIT` of a batch (the fsync) took this long.
pub(crate) fn synced(backend: &'static str, took: Duration) {
    metrics::histogram!("sms_ratings_sync_seconds", "backend" => backend)
        .record(took.as_secs_f64());
}

/// A vote was judged: one count per reason it was flagged for, and the alert when it
/// revealed a burst or a number-block cluster (`sms_ratings_flag_alerts_total`).
pub(crate) fn flagged(reasons: crate::flag::Reasons, alert: Option<crate::flag::Reason>) {
    for reason in reasons.iter() {
        metrics::counter!("sms_ratings_votes_flagged_total", "reason" => reason.name())
            .increment(1);
    }
    if let Some(reason) = alert {
        metrics::counter!("sms_ratings_flag_alerts_total", "reason" => reason.name()).increment(1);
        tracing::warn!(reason = reason.name(), "possible ballot-stuffing");
    }
}

/// A reply was withheld by the reply budget.
pub(crate) fn reply_withheld() {
    metrics::counter!("sms_ratings_replies_withheld_total").increment(1);
}

/// A Lookup of a voter's number finished with this outcome (`suspect`, `ok`, `error`).
pub(crate) fn lookup(outcome: &'static str) {
    metrics::counter!("sms_ratings_lookups_total", "outcome" => outcome).increment(1);
}
