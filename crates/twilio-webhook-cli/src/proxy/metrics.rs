//! `/metrics`: requests by outcome and upstream latency, in Prometheus text format.
//!
//! Each proxy owns its recorder instead of installing a global one, so two proxies in one
//! process (as in the tests) keep separate counts.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder as _, SharedString, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Requests handled, by outcome and status.
const REQUESTS: &str = "twilio_proxy_requests_total";
/// Seconds from sending to the upstream to its response head.
const UPSTREAM: &str = "twilio_proxy_upstream_seconds";
static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Outcome {
    /// Verified and forwarded; the upstream answered.
    Forwarded,
    /// Turned away by the validation core (the status says why).
    Rejected,
    /// A verified replay answered from the replay store, not forwarded.
    Replayed,
    /// Verified, but the upstream refused or failed (502).
    BadGateway,
    /// Verified, but the upstream missed the deadline (504).
    GatewayTimeout,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Forwarded => "forwarded",
            Outcome::Rejected => "rejected",
            Outcome::Replayed => "replayed",
            Outcome::BadGateway => "bad_gateway",
            Outcome::GatewayTimeout => "gateway_timeout",
        }
    }
}

/// One proxy's metrics.
pub(crate) struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    upstream: Histogram,
    /// The request counters registered so far, by outcome and status: looking one up here
    /// costs a read lock, where registering builds its labels (two allocations) and hashes
    /// them on every request. Bounded: five outcomes by at most 900 status codes.
    requests: RwLock<HashMap<(Outcome, u16), Counter>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A fresh registry with the histogram buckets Twilio's deadlines make interesting.
    pub(crate) fn new() -> Metrics {
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
        ];
        let builder = PrometheusBuilder::new();
        // Only fails for an empty bucket list.
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(UPSTREAM.to_owned()), &buckets)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        recorder.describe_counter(
            REQUESTS.into(),
            None,
            SharedString::const_str("Requests by outcome and status code."),
        );
        recorder.describe_histogram(
            UPSTREAM.into(),
            Some(Unit::Seconds),
            SharedString::const_str("Upstream latency to the response head."),
        );
        let upstream = recorder.register_histogram(&Key::from_name(UPSTREAM), &METADATA);
        let handle = recorder.handle();
        Metrics {
            recorder,
            handle,
            upstream,
            requests: RwLock::default(),
        }
    }

    /// Counts one request.
    pub(crate) fn request(&self, outcome: Outcome, status: u16) {
        let known = self.requests.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(counter) = known.get(&(outcome, status)) {
            counter.increment(1);
            return;
        }
        drop(known);
        let labels = vec![
            Label::new("outcome", outcome.label()),
            Label::new("status", status.to_string()),
        ];
        let counter: Counter = self
            .recorder
            .register_counter(&Key::from_parts(REQUESTS, labels), &METADATA);
        counter.increment(1);
        self.requests
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((outcome, status), counter);
    }

    /// Records an upstream round trip.
    pub(crate) fn upstream_latency(&self, seconds: f64) {
        self.upstream.record(seconds);
    }

    /// Folds recorded histogram samples into their buckets. The exporter keeps every sample
    /// until this runs, so without it memory grows with traffic between scrapes.
    pub(crate) fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histogram() {
        let m = Metrics::new();
        m.request(Outcome::Forwarded, 200);
        m.request(Outcome::Forwarded, 200);
        m.request(Outcome::Rejected, 403);
        m.upstream_latency(0.003);
        let text = m.render();
        assert!(
            text.contains(r#"twilio_proxy_requests_total{outcome="forwarded",status="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"outcome="rejected",status="403"} 1"#));
        assert!(text.contains(r#"twilio_proxy_upstream_seconds_bucket{le="0.005"} 1"#));
        // A second registry is independent.
        assert!(!Metrics::new().render().contains("forwarded"));
    }
}
