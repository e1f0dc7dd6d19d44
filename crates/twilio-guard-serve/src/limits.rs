//! What a client may take: time for the head, the body and the gap between requests, the
//! number of open connections and streams, the size of a request head.

use std::time::Duration;

/// The limits every connection is held to; see the field docs for when each one bites.
///
/// The defaults close any stalled request within 20 s (head 10 s, then body 10 s), under the
/// 30 s the project promises and near Twilio's own 15 s wait, while a client on a slow mobile
/// link still gets its few kilobytes through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// From the first byte of a request head (or from accept, on a new connection) until the
    /// head is complete. A head still incomplete then closes the connection without an answer.
    pub head_timeout: Duration,
    /// From the complete head until the last body byte: a whole-body deadline, so trickling a
    /// byte now and then does not keep it open (a minimum rate of body size / this). On expiry
    /// the service sees a body error, answers, and the connection is closed.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request with no byte sent.
    pub idle_timeout: Duration,
    /// Open connections at most; one more is accepted and closed at once.
    pub max_connections: usize,
    /// Open connections from one IP address (an IPv6 /64 counting as one) at most (0: no
    /// such cap); one more is accepted and closed at once. Without it, one client can take
    /// every slot of `max_connections`.
    pub max_connections_per_ip: usize,
    /// Open streams (responses of type `text/event-stream`) at most; `None`: the most
    /// [`Limits::check`] allows, `max_connections` less its reserve. One more gets `503` with
    /// `Retry-After`.
    pub max_streams: Option<usize>,
    /// Open streams from one IP address at most; `None`: the most [`Limits::check`] allows
    /// (`max_connections_per_ip` less its reserve, or `max_streams` without a per-address cap).
    pub max_streams_per_ip: Option<usize>,
    /// How long a stream may stay open; then its body ends (an `EventSource` reconnects), so
    /// no connection is held under no clock at all.
    pub stream_lifetime: Duration,
    /// Largest request head (request line and headers; HTTP/2: the header list). Larger: 431
    /// and the connection closed.
    pub max_header_bytes: usize,
    /// On shutdown, how long in-flight requests may take before their connections are dropped.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_connections_per_ip: 256,
            max_streams: None,
            max_streams_per_ip: None,
            stream_lifetime: Duration::from_secs(300),
            max_header_bytes: 16 * 1024,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// The share of a connection cap streams can never take: a quarter, rounded up. Webhooks, the
/// organiser's pages and everyone's page loads need these while streams hold the rest.
#[must_use]
pub const fn reserved_for_requests(connections: usize) -> usize {
    connections.div_ceil(4)
}

/// Why a set of [`Limits`] is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitsError {
    /// A stream cap would let streams take the connections kept for other requests.
    #[error(
        "{flag} {streams} would let streams take every connection: {cap} {connections} keeps \
         a quarter ({reserved}) for webhooks and pages, so at most {at_most} streams"
    )]
    StreamsTakeReserve {
        /// The stream cap's flag (`--max-streams`, `--max-streams-per-ip`).
        flag: &'static str,
        /// The stream cap asked for.
        streams: usize,
        /// The connection cap's flag it sits under.
        cap: &'static str,
        /// That connection cap.
        connections: usize,
        /// The connections kept from streams.
        reserved: usize,
        /// The largest stream cap allowed.
        at_most: usize,
    },
}

impl Limits {
    /// The limits with another shutdown bound (each binary has its own flag for it, or none).
    #[must_use]
    pub fn drain_timeout(mut self, drain: Duration) -> Self {
        self.drain_timeout = drain;
        self
    }

    /// Checks that streams can never hold the connections other requests need: the stream
    /// caps leave [`reserved_for_requests`] of the connection caps (server-wide and per
    /// address) to everything else. [`crate::serve`] refuses limits that fail this.
    pub fn check(&self) -> Result<(), LimitsError> {
        self.streams()?;
        self.streams_per_ip()?;
        Ok(())
    }

    /// The server-wide stream cap in force.
    pub(crate) fn streams(&self) -> Result<usize, LimitsError> {
        under(
            ("--max-streams", self.max_streams),
            ("--max-connections", self.max_connections),
        )
    }

    /// The per-address stream cap in force.
    pub(crate) fn streams_per_ip(&self) -> Result<usize, LimitsError> {
        let total = self.streams()?;
        if self.max_connections_per_ip == 0 {
            return Ok(self.max_streams_per_ip.unwrap_or(total).min(total));
        }
        let per_ip = under(
            ("--max-streams-per-ip", self.max_streams_per_ip),
            ("--max-connections-per-ip", self.max_connections_per_ip),
        )?;
        Ok(per_ip.min(total))
    }
}

/// `streams` (default: the most allowed) if it leaves the reserve of `connections`.
fn under(
    (flag, streams): (&'static str, Option<usize>),
    (cap, connections): (&'static str, usize),
) -> Result<usize, LimitsError> {
    let reserved = reserved_for_requests(connections);
    let at_most = connections - reserved;
    match streams {
        None => Ok(at_most),
        Some(streams) if streams <= at_most => Ok(streams),
        Some(streams) => Err(LimitsError::StreamsTakeReserve {
            flag,
            streams,
            cap,
            connections,
            reserved,
            at_most,
        }),
    }
}

/// The command-line flags (each with an environment fallback) for [`Limits`]; flatten it into
/// a `clap` command with `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitsArgs {
    /// Time a client has to send a whole request head (from its first byte, or from connect on
    /// a new connection); then the connection is closed.
    #[arg(long, env = "HTTP_HEAD_TIMEOUT", hide_env_values = true, default_value = "10s", value_parser = duration)]
    pub head_timeout: Duration,
    /// Time a client has to send a whole request body once the head is in; then the request
    /// fails and the connection is closed.
    #[arg(long, env = "HTTP_BODY_TIMEOUT", hide_env_values = true, default_value = "10s", value_parser = duration)]
    pub body_timeout: Duration,
    /// How long a kept-alive connection may sit idle between requests. Behind a load
    /// balancer, set it above the balancer's own idle timeout.
    #[arg(long, env = "HTTP_IDLE_TIMEOUT", hide_env_values = true, default_value = "30s", value_parser = duration)]
    pub idle_timeout: Duration,
    /// Open connections at most; beyond it new connections are closed at once. Keep it under
    /// the process's open-file limit (`ulimit -n`).
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", hide_env_values = true, default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Open connections from one IP address (an IPv6 /64 counting as one) at most (0: no
    /// per-address cap). Keeps one client from taking every connection; set 0 behind a load
    /// balancer or proxy, where all connections come from its address.
    #[arg(
        long,
        env = "HTTP_MAX_CONNECTIONS_PER_IP",
        hide_env_values = true,
        default_value_t = 256
    )]
    pub max_connections_per_ip: u32,
    /// Open streams (server-sent events) at most [default: three quarters of
    /// --max-connections, the most allowed: a quarter is kept for webhooks and pages].
    #[arg(long, env = "HTTP_MAX_STREAMS", hide_env_values = true)]
    pub max_streams: Option<u32>,
    /// Open streams from one IP address at most [default: three quarters of
    /// --max-connections-per-ip, the most allowed].
    #[arg(long, env = "HTTP_MAX_STREAMS_PER_IP", hide_env_values = true)]
    pub max_streams_per_ip: Option<u32>,
    /// How long a stream stays open; then it ends and the page reconnects.
    #[arg(long, env = "HTTP_STREAM_LIFETIME", hide_env_values = true, default_value = "5m", value_parser = duration)]
    pub stream_lifetime: Duration,
    /// Largest request head in bytes (request line and headers); larger gets 431.
    #[arg(long, env = "HTTP_MAX_HEADER_BYTES", hide_env_values = true, default_value_t = 16 * 1024,
          value_parser = clap::value_parser!(u32).range(1024..=1024 * 1024))]
    pub max_header_bytes: u32,
}

impl LimitsArgs {
    /// The limits these flags ask for (shutdown bound: the default); an error names the
    /// stream cap that would eat into the connections kept for other requests.
    pub fn limits(&self) -> Result<Limits, LimitsError> {
        let limits = Limits {
            head_timeout: self.head_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections as usize,
            max_connections_per_ip: self.max_connections_per_ip as usize,
            max_streams: self.max_streams.map(|n| n as usize),
            max_streams_per_ip: self.max_streams_per_ip.map(|n| n as usize),
            stream_lifetime: self.stream_lifetime,
            max_header_bytes: self.max_header_bytes as usize,
            ..Limits::default()
        };
        limits.check()?;
        Ok(limits)
    }
}

/// `10s`, `1500ms`, `1m`; zero is refused (it would close every connection at once).
fn duration(text: &str) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if parsed.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        limits: LimitsArgs,
    }

    #[test]
    fn flag_defaults_are_the_limits_defaults() {
        let cli = Cli::try_parse_from(["x"]).unwrap();
        assert_eq!(cli.limits.limits().unwrap(), Limits::default());
    }

    #[test]
    fn flags_parse_and_refuse_nonsense() {
        let cli = Cli::try_parse_from(["x", "--head-timeout", "1500ms", "--max-connections", "7"])
            .unwrap();
        assert_eq!(cli.limits.head_timeout, Duration::from_millis(1500));
        assert_eq!(cli.limits.limits().unwrap().max_connections, 7);
        for bad in [
            ["--head-timeout", "0s"],
            ["--max-connections", "0"],
            ["--max-header-bytes", "10"],
            ["--body-timeout", "soon"],
            ["--stream-lifetime", "0s"],
        ] {
            assert!(
                Cli::try_parse_from(["x", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn streams_always_leave_a_quarter_of_the_connections() {
        let defaults = Limits::default();
        assert_eq!(defaults.streams(), Ok(768));
        assert_eq!(defaults.streams_per_ip(), Ok(192));
        let mut small = Limits {
            max_connections: 40,
            ..Limits::default()
        };
        assert_eq!(small.streams(), Ok(30));
        assert_eq!(small.streams_per_ip(), Ok(30), "never above the total");
        small.max_connections = 1;
        assert_eq!(small.streams(), Ok(0));

        // The configuration (10 000 streams under 1 024 connections) is refused,
        // with the flags and the most allowed named.
        let cli = Cli::try_parse_from(["x", "--max-streams", "10000"]).unwrap();
        let refused = cli.limits.limits().unwrap_err();
        let text = refused.to_string();
        assert!(
            text.contains("--max-streams 10000") && text.contains("at most 768"),
            "{text}"
        );
        let cli = Cli::try_parse_from(["x", "--max-streams-per-ip", "193"]).unwrap();
        assert!(
            cli.limits
                .limits()
                .unwrap_err()
                .to_string()
                .contains("at most 192")
        );
        let cli = Cli::try_parse_from(["x", "--max-streams", "768", "--max-streams-per-ip", "192"])
            .unwrap();
        assert!(cli.limits.limits().is_ok());
        // Without a per-address cap, the per-address stream cap is only under the total.
        let cli = Cli::try_parse_from(["x", "--max-connections-per-ip", "0"]).unwrap();
        assert_eq!(cli.limits.limits().unwrap().streams_per_ip(), Ok(768));
    }
}
