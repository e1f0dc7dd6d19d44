//! `--repeat N --concurrency C`: the same webhook many times, with throughput and latency.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Client;

use super::deliver::deliver;
use super::twilio::Target;
use super::{Ids, judge};

/// The plan of a load run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Requests in total (at most).
    pub(crate) repeat: u64,
    /// Stop starting requests after this long.
    pub(crate) duration: Option<Duration>,
    /// Requests in flight at once.
    pub(crate) concurrency: usize,
}

/// What a load run measured.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Latency of every completed request (any status).
    latencies: Vec<Duration>,
    /// Replies by status code.
    statuses: BTreeMap<u16, u64>,
    /// Transport failures by message.
    errors: BTreeMap<String, u64>,
    /// Replies that were 2xx but not acceptable TwiML.
    bad_twiml: u64,
    /// Wall-clock time of the whole run.
    elapsed: Duration,
}

impl Report {
    /// Whether every request got a 2xx with acceptable content.
    pub(crate) fn all_ok(&self) -> bool {
        self.failures() == 0
    }

    fn failures(&self) -> u64 {
        let not_2xx: u64 = self
            .statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum();
        not_2xx + self.errors.values().sum::<u64>() + self.bad_twiml
    }

    fn merge(&mut self, other: Report) {
        self.latencies.extend(other.latencies);
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.bad_twiml += other.bad_twiml;
    }

    fn percentile(sorted: &[Duration], p: f64) -> Duration {
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        // Nearest rank: the smallest value with at least p of the samples at or below it.
        let rank = (p * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let n = self.statuses.values().sum::<u64>() + self.errors.values().sum::<u64>();
        let secs = self.elapsed.as_secs_f64();
        let rps = if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let ms = |p: f64| Self::percentile(&sorted, p).as_secs_f64() * 1e3;
        writeln!(f, "{n} requests in {secs:.3} s: {rps:.1} req/s")?;
        for (status, count) in &self.statuses {
            writeln!(f, "  status {status}: {count}")?;
        }
        for (error, count) in &self.errors {
            writeln!(f, "  failed ({error}): {count}")?;
        }
        if self.bad_twiml > 0 {
            writeln!(f, "  2xx without acceptable TwiML: {}", self.bad_twiml)?;
        }
        let (p50, p90, p99, max) = (ms(0.50), ms(0.90), ms(0.99), ms(1.0));
        writeln!(
            f,
            "latency ms: p50 {p50:.3}  p90 {p90:.3}  p99 {p99:.3}  max {max:.3}"
        )?;
        write!(
            f,
            "summary requests={n} failed={} rps={rps:.1} p50_ms={p50:.3} p90_ms={p90:.3} p99_ms={p99:.3} max_ms={max:.3}",
            self.failures()
        )
    }
}

/// Sends `plan.repeat` requests from `plan.concurrency` workers and measures them.
pub(crate) async fn run(client: Client, target: Arc<Target>, ids: Arc<Ids>, plan: Plan) -> Report {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = plan.duration.map(|d| start + d);
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| {
            let (client, target, ids, next) =
                (client.clone(), target.clone(), ids.clone(), next.clone());
            tokio::spawn(async move {
                let mut report = Report::default();
                while deadline.is_none_or(|d| Instant::now() < d)
                    && next.fetch_add(1, Ordering::Relaxed) < plan.repeat
                {
                    one(&client, &target, &ids, &mut report).await;
                }
                report
            })
        })
        .collect();
    let mut report = Report::default();
    for worker in workers {
        match worker.await {
            Ok(part) => report.merge(part),
            Err(e) => *report.errors.entry(format!("worker: {e}")).or_default() += 1,
        }
    }
    report.elapsed = start.elapsed();
    report
}

async fn one(client: &Client, target: &Target, ids: &Ids, report: &mut Report) {
    let request = match ids.next() {
        Ok((sid, token)) => target.prepare(&sid, token),
        Err(e) => {
            *report.errors.entry(e.to_string()).or_default() += 1;
            return;
        }
    };
    match deliver(client, &request, target.credentials.as_ref()).await {
        Ok(reply) => {
            report.latencies.push(reply.elapsed);
            *report.statuses.entry(reply.status.as_u16()).or_default() += 1;
            if reply.status.is_success() && judge(target.scenario.kind, &reply).is_err() {
                report.bad_twiml += 1;
            }
        }
        Err(e) => *report.errors.entry(error_kind(&e)).or_default() += 1,
    }
}

/// A short, secret-free class of a transport error (the URL may carry credentials).
fn error_kind(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(Report::percentile(&sorted, 0.5), Duration::from_millis(50));
        assert_eq!(Report::percentile(&sorted, 0.99), Duration::from_millis(99));
        assert_eq!(Report::percentile(&sorted, 1.0), Duration::from_millis(100));
        assert_eq!(Report::percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn failures_count_non_2xx_errors_and_bad_twiml() {
        let mut r = Report::default();
        r.statuses.insert(200, 5);
        assert!(r.all_ok());
        r.statuses.insert(403, 1);
        r.bad_twiml = 2;
        r.errors.insert("connect".into(), 1);
        assert_eq!(r.failures(), 4);
        assert!(r.to_string().contains("summary requests=7 failed=4"));
    }
}
