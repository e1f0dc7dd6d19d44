//! The per-address caps: how many connections (or streams) each peer address holds now.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The address a per-address cap counts `ip` under: IPv4 as is (also when mapped into
/// IPv6), IPv6 by its /64, the smallest network one subscriber is usually given (counting
/// each of its 2^64 addresses apart would cap nothing).
#[must_use]
pub fn address_group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// Open connections (or streams) per peer address group ([`address_group`]); entries leave the map when their count drops to zero,
/// so the map holds only addresses with open connections (at most `max_connections`).
#[derive(Debug, Default)]
pub(crate) struct PerIp {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's share of its address's count, given back on drop.
#[derive(Debug)]
pub(crate) struct IpSlot {
    per_ip: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    // Each update is a single insert or remove, so a poisoned lock still holds good counts.
    fn open(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for `ip` if its group holds fewer than `max`.
    pub(crate) fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let ip = address_group(ip);
        let mut open = self.open();
        let count = open.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(IpSlot {
            per_ip: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.per_ip.open();
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_address_and_forgets_closed_ones() {
        let per_ip = Arc::new(PerIp::default());
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = per_ip.take(a, 2).unwrap();
        let _second = per_ip.take(a, 2).unwrap();
        assert!(per_ip.take(a, 2).is_none());
        let _other = per_ip.take(b, 2).unwrap();
        drop(first);
        let _again = per_ip.take(a, 2).unwrap();
        drop((_second, _again, _other));
        assert!(per_ip.open().is_empty());
    }

    #[test]
    fn an_ipv6_slash_64_counts_as_one_address() {
        let per_ip = Arc::new(PerIp::default());
        let _one = per_ip.take("2001:db8::1".parse().unwrap(), 1).unwrap();
        assert!(
            per_ip
                .take("2001:db8::ffff:2".parse().unwrap(), 1)
                .is_none()
        );
        assert!(per_ip.take("2001:db8:0:1::1".parse().unwrap(), 1).is_some());
        let _v4 = per_ip.take("10.0.0.1".parse().unwrap(), 1).unwrap();
        assert!(per_ip.take("::ffff:10.0.0.1".parse().unwrap(), 1).is_none());
    }
}
