//! Fencing: the runs this process drives, each under the lease version its claim got.
//!
//! While the engine holds a run (`Store::hold`), the writes a driver makes for it (a step's
//! begin and end, its tries, its waits, its agent session) check in the same statement that
//! the run's lease is still this owner's at that version. Another engine that took the run
//! over (its lease expired: this node was cut off or stalled) bumped the version, so the
//! write changes nothing and fails with `StoreError::Fenced`: a node that lost a run cannot
//! record anything for it, whatever it still believes.
//!
//! The check as SQL, with the run's id as `RUN`: `fence_sql!("RUN")` expects the owner and
//! the version bound as two parameters (both NULL when the run is not held: no check).

use std::collections::HashMap;
use std::sync::Mutex;

use super::Store;

/// `(?o IS NULL OR the run's lease is ?o's at version ?v)`, for the run whose id is the SQL
/// expression `$run`; `$o` and `$v` are the parameters' numbers.
macro_rules! fence_sql {
    ($run:literal, $o:literal, $v:literal) => {
        concat!(
            "(?",
            $o,
            " IS NULL OR EXISTS (SELECT 1 FROM workflow_runs fenced WHERE fenced.id = ",
            $run,
            " AND fenced.lease_owner = ?",
            $o,
            " AND fenced.lease_version = ?",
            $v,
            "))"
        )
    };
}
pub(crate) use fence_sql;

/// The lease a held run's writes check: (owner, version), or none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fence {
    pub owner: Option<String>,
    pub version: Option<i64>,
}

impl Fence {
    pub fn is_held(&self) -> bool {
        self.owner.is_some()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Fences(Mutex<HashMap<String, (String, i64)>>);

impl Store {
    /// This process drives `run_id` under `owner`'s lease at `version` (its claim's):
    /// from now on the driver's writes for it are fenced.
    pub fn hold(&self, run_id: &str, owner: &str, version: i64) {
        self.fences
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(run_id.to_string(), (owner.to_string(), version));
    }

    /// The drive of `run_id` ended here: its writes are no longer fenced.
    pub fn release(&self, run_id: &str) {
        self.fences.0.lock().unwrap_or_else(|p| p.into_inner()).remove(run_id);
    }

    /// The fence of `run_id`'s writes (none when this process does not hold it).
    pub fn fence(&self, run_id: &str) -> Fence {
        match self.fences.0.lock().unwrap_or_else(|p| p.into_inner()).get(run_id) {
            Some((owner, version)) => Fence {
                owner: Some(owner.clone()),
                version: Some(*version),
            },
            None => Fence::default(),
        }
    }
}
