//! The server's queue of runs waiting for a slot (`scheduler::Runner`), in the order they
//! start, and which of them may start now: the first whose concurrency key (if any) has room,
//! so that a run waiting for its key never holds up the runs behind it, while runs of one key
//! keep their order (a later run of a key never passes an earlier one of the same key).

use std::collections::{HashMap, HashSet, VecDeque};

use super::Prepared;

/// One queued run.
pub(super) struct Queued {
    /// Its place in the order: re-queued runs go back where they were.
    pub seq: u64,
    pub run_id: String,
    /// The definition (and TypeScript worker) already loaded for it, if any.
    pub prepared: Option<Prepared>,
    /// Its concurrency key and limit, once read from the store (`None` inside: no key).
    pub key: Option<Option<(String, i64)>>,
    /// It waited for its key at the last look.
    pub blocked: bool,
}

/// The queue, in start order.
#[derive(Default)]
pub(super) struct RunQueue {
    entries: VecDeque<Queued>,
}

impl RunQueue {
    /// Adds a run in its place by `seq` (at the end for a new one).
    pub fn insert(&mut self, q: Queued) {
        let at = self
            .entries
            .iter()
            .position(|e| e.seq > q.seq)
            .unwrap_or(self.entries.len());
        self.entries.insert(at, q);
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.run_id.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Runs that did not wait for their key at the last look.
    pub fn unblocked(&self) -> usize {
        self.entries.iter().filter(|e| !e.blocked).count()
    }

    /// Whether a queued run has a concurrency key.
    pub fn has_keys(&self) -> bool {
        self.entries.iter().any(|e| matches!(e.key, Some(Some(_))))
    }

    /// Ids of runs whose key has not been read yet.
    pub fn unkeyed(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.key.is_none())
            .map(|e| e.run_id.clone())
            .collect()
    }

    /// Records the keys read from the store (a run absent from `keys` has none).
    pub fn set_keys(&mut self, asked: &[String], keys: &HashMap<String, (String, i64)>) {
        for e in self.entries.iter_mut().filter(|e| asked.contains(&e.run_id)) {
            e.key = Some(keys.get(&e.run_id).cloned());
        }
    }

    /// Takes out the first run that may start, given how many runs of each key are running
    /// (`busy`); marks the runs passed over as blocked (a blocked run gives back its loaded
    /// TypeScript worker: a queued run holds no process).
    pub fn take_startable(&mut self, busy: &HashMap<String, usize>) -> Option<Queued> {
        let mut full: HashSet<&str> = HashSet::new();
        let mut chosen = None;
        for (i, e) in self.entries.iter_mut().enumerate() {
            let key = match &e.key {
                // Not read yet: treated as waiting until it is.
                None => {
                    e.blocked = true;
                    continue;
                }
                Some(k) => k,
            };
            match key {
                None => {
                    chosen = Some(i);
                    break;
                }
                Some((k, limit)) => {
                    let running = busy.get(k).copied().unwrap_or(0) as i64;
                    if full.contains(k.as_str()) || running >= *limit {
                        full.insert(k.as_str());
                        e.blocked = true;
                        if e.prepared.as_ref().is_some_and(|p| p.child.is_some()) {
                            e.prepared = None;
                        }
                    } else {
                        chosen = Some(i);
                        break;
                    }
                }
            }
        }
        let mut taken = self.entries.remove(chosen?)?;
        taken.blocked = false;
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(seq: u64, key: Option<(&str, i64)>) -> Queued {
        Queued {
            seq,
            run_id: format!("r{seq}"),
            prepared: None,
            key: Some(key.map(|(k, l)| (k.to_string(), l))),
            blocked: false,
        }
    }

    #[test]
    fn a_run_waiting_for_its_key_does_not_hold_up_the_others_and_a_key_keeps_its_order() {
        let mut queue = RunQueue::default();
        for e in [
            q(1, Some(("a", 1))),
            q(2, Some(("a", 2))),
            q(3, Some(("b", 1))),
            q(4, None),
        ] {
            queue.insert(e);
        }
        let busy = HashMap::from([("a".to_string(), 1)]);
        // r1 waits for key a; r2 (limit 2) would have room but does not pass r1 of its key.
        assert_eq!(queue.take_startable(&busy).unwrap().run_id, "r3");
        assert_eq!(queue.take_startable(&busy).unwrap().run_id, "r4");
        assert!(queue.take_startable(&busy).is_none());
        assert_eq!(queue.unblocked(), 0);
        assert_eq!(queue.take_startable(&HashMap::new()).unwrap().run_id, "r1");
        // Re-queued in its place.
        queue.insert(q(1, Some(("a", 1))));
        assert_eq!(queue.ids().collect::<Vec<_>>(), ["r1", "r2"]);
    }

    #[test]
    fn an_unread_key_waits_until_it_is_read() {
        let mut queue = RunQueue::default();
        let mut e = q(1, None);
        e.key = None;
        queue.insert(e);
        assert!(queue.take_startable(&HashMap::new()).is_none());
        let asked = queue.unkeyed();
        queue.set_keys(&asked, &HashMap::new());
        assert_eq!(queue.take_startable(&HashMap::new()).unwrap().run_id, "r1");
    }
}
