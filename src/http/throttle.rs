//! Login throttling: a few failed sign-ins are free, then every further failure doubles the
//! wait (429 with `Retry-After`), per account and per client address.
//!
//! An attempt is counted when it starts, not when its password check ends, so a burst of
//! parallel guesses cannot all slip in before the first failure is recorded; a success takes
//! its count back. Memory is bounded: at most `MAX_ENTRIES` keys per kind, the stalest first
//! to go.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures a key may have before it must wait, and how long the waits grow.
struct Policy {
    free_failures: u32,
    first_wait: Duration,
    max_wait: Duration,
}

/// One account: a person who mistypes a few times is not slowed down.
const PER_ACCOUNT: Policy = Policy {
    free_failures: 5,
    first_wait: Duration::from_secs(1),
    max_wait: Duration::from_secs(15 * 60),
};

/// One address: several people may share it (an office, a proxy), so it gets more slack.
const PER_ADDRESS: Policy = Policy {
    free_failures: 20,
    first_wait: Duration::from_secs(1),
    max_wait: Duration::from_secs(15 * 60),
};

/// A key whose last failure is this old starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// Keys kept per kind (accounts, addresses); about 100 bytes each.
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    accounts: Counters<String>,
    addresses: Counters<IpAddr>,
}

impl LoginThrottle {
    /// Counts an attempt for the email and the address, or says how long they must wait.
    pub fn begin(&self, email: &str, addr: IpAddr) -> Result<(), Duration> {
        let (account, addr, now) = (account_key(email), address_key(addr), Instant::now());
        let mut state = self.state.lock().expect("throttle lock");
        let wait = state.accounts.wait(&account, now).max(state.addresses.wait(&addr, now));
        if !wait.is_zero() {
            return Err(wait);
        }
        state.accounts.count(account, &PER_ACCOUNT, now);
        state.addresses.count(addr, &PER_ADDRESS, now);
        Ok(())
    }

    /// A right password: the account starts afresh and the address gets its attempt back
    /// (but not its earlier failures, or one valid account would clear an address's guesses).
    pub fn succeeded(&self, email: &str, addr: IpAddr) {
        let mut state = self.state.lock().expect("throttle lock");
        state.accounts.entries.remove(&account_key(email));
        state.addresses.uncount(&address_key(addr), &PER_ADDRESS);
    }
}

/// The longest an email can be (RFC 5321): a longer one is cut, so that a key stays small
/// however large the body a guesser sends.
const MAX_EMAIL_CHARS: usize = 254;

fn account_key(email: &str) -> String {
    email
        .trim()
        .chars()
        .take(MAX_EMAIL_CHARS)
        .collect::<String>()
        .to_lowercase()
}

/// An IPv6 client usually holds a whole /64, so that is what is counted.
fn address_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & (!0u128 << 64)).into()),
        },
    }
}

struct Counters<K> {
    entries: HashMap<K, Entry>,
    capacity: usize,
}

struct Entry {
    failures: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

impl<K> Default for Counters<K> {
    fn default() -> Self {
        Counters {
            entries: HashMap::new(),
            capacity: MAX_ENTRIES,
        }
    }
}

impl<K: Hash + Eq + Clone> Counters<K> {
    fn wait(&self, key: &K, now: Instant) -> Duration {
        self.entries
            .get(key)
            .and_then(|e| e.blocked_until)
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now))
    }

    fn count(&mut self, key: K, policy: &Policy, now: Instant) {
        if !self.entries.contains_key(&key) {
            self.make_room(now);
        }
        let entry = self.entries.entry(key).or_insert(Entry {
            failures: 0,
            last: now,
            blocked_until: None,
        });
        if now.duration_since(entry.last) > FORGET_AFTER {
            entry.failures = 0;
        }
        entry.failures += 1;
        entry.last = now;
        entry.blocked_until = backoff(entry.failures, policy).map(|d| now + d);
    }

    fn uncount(&mut self, key: &K, policy: &Policy) {
        if let Some(entry) = self.entries.get_mut(key) {
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures < policy.free_failures {
                entry.blocked_until = None;
            }
        }
    }

    /// Drops forgotten keys; when every key is recent, the one idle longest.
    fn make_room(&mut self, now: Instant) {
        if self.entries.len() < self.capacity {
            return;
        }
        self.entries.retain(|_, e| now.duration_since(e.last) <= FORGET_AFTER);
        while self.entries.len() >= self.capacity {
            let oldest = self.entries.iter().min_by_key(|(_, e)| e.last).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.entries.remove(&k),
                None => break,
            };
        }
    }
}

/// The wait after `failures` failures: none while they are free, then 1 s, 2 s, 4 s, ...
fn backoff(failures: u32, policy: &Policy) -> Option<Duration> {
    let over = failures.checked_sub(policy.free_failures)?;
    let wait = policy.first_wait.saturating_mul(1u32 << over.min(20));
    Some(wait.min(policy.max_wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_bounded_however_many_keys_fail() {
        let mut counters: Counters<u32> = Counters {
            entries: HashMap::new(),
            capacity: 100,
        };
        let now = Instant::now();
        for key in 0..1000 {
            counters.count(key, &PER_ACCOUNT, now + Duration::from_millis(key.into()));
        }
        assert_eq!(counters.entries.len(), 100);
        assert!(counters.entries.contains_key(&999), "the newest key is kept");
        assert!(!counters.entries.contains_key(&0), "the stalest key went first");
    }

    #[test]
    fn waits_double_after_the_free_failures_up_to_the_cap() {
        let waits: Vec<_> = (1..=8).map(|f| backoff(f, &PER_ACCOUNT).map(|d| d.as_secs())).collect();
        assert_eq!(waits, [None, None, None, None, Some(1), Some(2), Some(4), Some(8)]);
        assert_eq!(backoff(60, &PER_ACCOUNT), Some(PER_ACCOUNT.max_wait));
    }

    #[test]
    fn a_huge_email_makes_a_small_key() {
        let huge = "A".repeat(1_000_000);
        assert_eq!(account_key(&huge), "a".repeat(MAX_EMAIL_CHARS));
        assert_eq!(account_key(" Ann@Example.com "), "ann@example.com");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
    }
}
