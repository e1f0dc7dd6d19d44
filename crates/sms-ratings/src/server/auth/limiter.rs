//! Failed organiser sign-ins counted in three tiers: per client address (an IPv6 /64 counting
//! as one), per network (IPv4 /24, IPv6 /48) and for the whole server (a global budget).
//!
//! Each tier's table is bounded: when it is full of live entries, every address it does not
//! track shares one overflow count, and a request from an untracked address is judged by that
//! count too (so a full table limits newcomers instead of forgetting them).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins one client address may make per `FAILURE_WINDOW` (a minute).
pub const MAX_FAILURES: u32 = 10;
/// Failed sign-ins one network (IPv4 /24, IPv6 /48) may make per `FAILURE_WINDOW` (a minute).
pub const NETWORK_FAILURES: u32 = 50;
/// Failed sign-ins the whole server accepts per `FAILURE_WINDOW` (a minute) from clients without a
/// device cookie; beyond, such clients wait for the window to end.
pub const GLOBAL_FAILURES: u32 = 500;
/// The window failed sign-ins are counted in.
pub(crate) const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Entries per tier; memory stays bounded whatever the address spread.
const TRACKED: usize = 16_384;

/// The counts of every tier, behind one lock (a failure updates all three at once).
pub(crate) struct Limiter {
    tiers: Mutex<Tiers>,
}

struct Tiers {
    addresses: Tier,
    networks: Tier,
    global: Window,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::with_capacity(TRACKED)
    }
}

impl Limiter {
    /// A limiter tracking at most `capacity` addresses and networks.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            tiers: Mutex::new(Tiers {
                addresses: Tier::new(MAX_FAILURES, capacity),
                networks: Tier::new(NETWORK_FAILURES, capacity),
                global: Window::default(),
            }),
        }
    }

    /// How long `client` must wait, when it, its network or the server used up its failures.
    pub(crate) fn blocked(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let Ok(tiers) = self.tiers.lock() else {
            // A poisoned lock: fail closed for a moment rather than stop counting.
            return Some(Duration::from_secs(1));
        };
        [
            tiers.addresses.wait(client, now),
            tiers.networks.wait(network(client), now),
            tiers.global.wait(GLOBAL_FAILURES, now),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Counts one failure of `client` in every tier.
    pub(crate) fn failed(&self, client: IpAddr, now: Instant) {
        let Ok(mut tiers) = self.tiers.lock() else {
            return;
        };
        tiers.addresses.count(client, now);
        tiers.networks.count(network(client), now);
        tiers.global.count(now);
    }
}

/// The network an address is counted in besides itself: IPv4 /24, IPv6 /48.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[3..].fill(0);
            IpAddr::from(segments)
        }
    }
}

/// One tier: a bounded table of windows and the overflow window of everyone else.
struct Tier {
    limit: u32,
    capacity: usize,
    windows: HashMap<IpAddr, Window>,
    overflow: Window,
}

impl Tier {
    fn new(limit: u32, capacity: usize) -> Self {
        Self {
            limit,
            capacity,
            windows: HashMap::new(),
            overflow: Window::default(),
        }
    }

    fn wait(&self, key: IpAddr, now: Instant) -> Option<Duration> {
        // An address the table does not hold failed, if at all, into the overflow.
        let window = self.windows.get(&key).unwrap_or(&self.overflow);
        window.wait(self.limit, now)
    }

    fn count(&mut self, key: IpAddr, now: Instant) {
        if !self.windows.contains_key(&key) && self.windows.len() >= self.capacity {
            self.windows.retain(|_, w| w.live(now));
        }
        if self.windows.contains_key(&key) || self.windows.len() < self.capacity {
            self.windows.entry(key).or_default().count(now);
        } else {
            self.overflow.count(now);
        }
    }
}

/// Failures since `started`, for one [`FAILURE_WINDOW`].
#[derive(Clone, Copy, Default)]
struct Window {
    started: Option<Instant>,
    failures: u32,
}

impl Window {
    fn live(&self, now: Instant) -> bool {
        self.started.is_some_and(|s| s + FAILURE_WINDOW > now)
    }

    fn wait(&self, limit: u32, now: Instant) -> Option<Duration> {
        let ends = self.started? + FAILURE_WINDOW;
        (self.failures >= limit && ends > now).then(|| ends - now)
    }

    fn count(&mut self, now: Instant) {
        if !self.live(now) {
            *self = Window {
                started: Some(now),
                failures: 0,
            };
        }
        self.failures = self.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_after_the_limit_and_forgets_after_the_window() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.blocked(ip("192.0.2.1"), t0), None);
            limiter.failed(ip("192.0.2.1"), t0);
        }
        let wait = limiter.blocked(ip("192.0.2.1"), t0 + Duration::from_secs(10));
        assert_eq!(wait, Some(FAILURE_WINDOW - Duration::from_secs(10)));
        assert_eq!(limiter.blocked(ip("192.0.2.2"), t0), None, "per address");
        assert_eq!(limiter.blocked(ip("192.0.2.1"), t0 + FAILURE_WINDOW), None);
    }

    #[test]
    fn a_full_table_limits_untracked_addresses() {
        let limiter = Limiter::with_capacity(4);
        let t0 = Instant::now();
        for n in 0..4 {
            limiter.failed(IpAddr::from([10, n, 0, 1]), t0);
        }
        let newcomer = ip("10.200.0.1");
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.blocked(newcomer, t0), None);
            limiter.failed(newcomer, t0);
        }
        assert!(limiter.blocked(newcomer, t0).is_some());
        assert!(limiter.blocked(ip("10.201.0.1"), t0).is_some(), "shared");
        assert_eq!(limiter.blocked(IpAddr::from([10, 1, 0, 1]), t0), None);
    }

    #[test]
    fn networks_and_the_server_have_budgets_of_their_own() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for host in 0..5 {
            for _ in 0..MAX_FAILURES {
                limiter.failed(IpAddr::from([198, 51, 100, host]), t0);
            }
        }
        assert!(limiter.blocked(ip("198.51.100.77"), t0).is_some(), "/24");
        assert_eq!(limiter.blocked(ip("198.51.101.77"), t0), None);
        for _ in 0..NETWORK_FAILURES {
            limiter.failed(ip("2001:db8:1:2::1"), t0);
        }
        assert!(
            limiter.blocked(ip("2001:db8:1:ffff::1"), t0).is_some(),
            "/48"
        );
        assert_eq!(limiter.blocked(ip("2001:db8:2::1"), t0), None);
        for n in 0..=(GLOBAL_FAILURES / MAX_FAILURES) {
            for _ in 0..MAX_FAILURES {
                limiter.failed(IpAddr::from([203, 0, u8::try_from(n).unwrap(), 1]), t0);
            }
        }
        assert!(limiter.blocked(ip("192.0.2.1"), t0).is_some(), "global");
        assert_eq!(limiter.blocked(ip("192.0.2.1"), t0 + FAILURE_WINDOW), None);
    }
}
