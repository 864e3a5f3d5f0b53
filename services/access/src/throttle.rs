//! Slows down guessing: after a few failed sign-ins from one address, that address waits
//! before it may try again, twice as long after each further failure (capped). A success
//! clears the slate. Kept in memory: a restart forgives, which a guesser cannot use
//! because the secrets are far too long to guess anyway; this stops noise and scanners.
//! An IPv6 guesser holds a whole /64, so that is the unit there; and the table is capped,
//! so that a flood of addresses cannot grow it without end.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an address may make before it has to wait to try again.
const FREE_FAILURES: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(2);
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// A quiet address is forgotten after this long.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Addresses remembered at most; past it, the longest quiet is forgotten first.
const MOST_ADDRESSES: usize = 100_000;

/// What one guesser controls: an IPv4 address, or an IPv6 /64 (one host's or one home's).
fn unit(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().expect("checked")),
        v4 => v4,
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
}

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, Record>>,
}

impl Throttle {
    pub fn new() -> Throttle {
        Throttle::default()
    }

    /// How long `address` must still wait before it may try again (None: it may now).
    pub fn wait(&self, address: IpAddr) -> Option<Duration> {
        let failures = self.failures.lock().expect("never poisoned");
        let record = failures.get(&unit(address))?;
        let since = record.last.elapsed();
        let due = Self::penalty(record.failures)?;
        (since < due).then(|| due - since)
    }

    fn penalty(failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(FREE_FAILURES)?;
        Some(FIRST_WAIT.saturating_mul(1 << over.min(16)).min(LONGEST_WAIT))
    }

    pub fn failed(&self, address: IpAddr) {
        let mut failures = self.failures.lock().expect("never poisoned");
        failures.retain(|_, r| r.last.elapsed() < FORGET_AFTER);
        let address = unit(address);
        if failures.len() >= MOST_ADDRESSES && !failures.contains_key(&address) {
            if let Some(quietest) = failures.iter().min_by_key(|(_, r)| r.last).map(|(a, _)| *a) {
                failures.remove(&quietest);
            }
        }
        let record = failures.entry(address).or_insert(Record { failures: 0, last: Instant::now() });
        record.failures += 1;
        record.last = Instant::now();
    }

    pub fn succeeded(&self, address: IpAddr) {
        self.failures.lock().expect("never poisoned").remove(&unit(address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_waits_only_after_repeated_failures_and_a_success_clears_it() {
        let throttle = Throttle::new();
        let guesser: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        for _ in 0..FREE_FAILURES - 1 {
            throttle.failed(guesser);
        }
        assert_eq!(throttle.wait(guesser), None, "the first failures are free");
        throttle.failed(guesser);
        let wait = throttle.wait(guesser).expect("the last free failure makes it wait before trying again");
        assert!(wait <= FIRST_WAIT && wait > Duration::ZERO, "{wait:?}");
        assert_eq!(throttle.wait(other), None, "another address is not held up");
        throttle.succeeded(guesser);
        assert_eq!(throttle.wait(guesser), None);

        // An IPv6 guesser cannot step around it within its /64.
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        for _ in 0..FREE_FAILURES {
            throttle.failed(first);
        }
        assert!(throttle.wait("2001:db8:1:2::ffff".parse().unwrap()).is_some());
        assert_eq!(throttle.wait("2001:db8:1:3::1".parse().unwrap()), None);
    }

    #[test]
    fn the_wait_doubles_and_is_capped() {
        assert_eq!(Throttle::penalty(FREE_FAILURES - 1), None);
        assert_eq!(Throttle::penalty(FREE_FAILURES), Some(FIRST_WAIT));
        assert_eq!(Throttle::penalty(FREE_FAILURES + 2), Some(FIRST_WAIT * 4));
        assert_eq!(Throttle::penalty(FREE_FAILURES + 40), Some(LONGEST_WAIT));
    }
}
