//! What a client may take: time for the head, the body and the gap between requests, the
//! number of open connections, the size of a request head.

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
    /// Open connections from one IP address at most (0: no such cap); one more is accepted
    /// and closed at once. Without it, one client can take every slot of `max_connections`.
    pub max_connections_per_ip: usize,
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
            max_connections_per_ip: 0,
            max_header_bytes: 16 * 1024,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

impl Limits {
    /// The limits with another shutdown bound (each binary has its own flag for it, or none).
    #[must_use]
    pub fn drain_timeout(mut self, drain: Duration) -> Self {
        self.drain_timeout = drain;
        self
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
    /// Open connections from one IP address at most (0: no per-address cap). Keeps one client
    /// from taking every connection; leave it at 0 behind a load balancer or proxy, where all
    /// connections come from its address.
    #[arg(
        long,
        env = "HTTP_MAX_CONNECTIONS_PER_IP",
        hide_env_values = true,
        default_value_t = 0
    )]
    pub max_connections_per_ip: u32,
    /// Largest request head in bytes (request line and headers); larger gets 431.
    #[arg(long, env = "HTTP_MAX_HEADER_BYTES", hide_env_values = true, default_value_t = 16 * 1024,
          value_parser = clap::value_parser!(u32).range(1024..=1024 * 1024))]
    pub max_header_bytes: u32,
}

impl LimitsArgs {
    /// The limits these flags ask for (shutdown bound: the default).
    pub fn limits(&self) -> Limits {
        Limits {
            head_timeout: self.head_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections as usize,
            max_connections_per_ip: self.max_connections_per_ip as usize,
            max_header_bytes: self.max_header_bytes as usize,
            ..Limits::default()
        }
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
        assert_eq!(cli.limits.limits(), Limits::default());
    }

    #[test]
    fn flags_parse_and_refuse_nonsense() {
        let cli = Cli::try_parse_from(["x", "--head-timeout", "1500ms", "--max-connections", "7"])
            .unwrap();
        assert_eq!(cli.limits.head_timeout, Duration::from_millis(1500));
        assert_eq!(cli.limits.limits().max_connections, 7);
        for bad in [
            ["--head-timeout", "0s"],
            ["--max-connections", "0"],
            ["--max-header-bytes", "10"],
            ["--body-timeout", "soon"],
        ] {
            assert!(
                Cli::try_parse_from(["x", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }
}
