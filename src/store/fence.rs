//! Fencing: the runs this process drives, each under the lease version its claim got.
//!
//! While the engine holds a run (`Store::hold`), every write its driver makes for it checks
//! in the same statement that the run's lease is still this owner's at that version: a
//! step's begin and end, its tries, its waits and retry waits, its agent sessions, its
//! phase, warnings and snapshots, the comments the driver posts, its worktree's row, the
//! events it journals, the run's end, pause, suspension and budget stop. Another engine
//! that took the run over (its lease expired: this node was cut off or stalled) bumped the
//! version (a requeue of the lapsed lease bumps it too), so the write changes nothing and
//! fails with `StoreError::Fenced`: a node that lost a run cannot record anything for it,
//! whatever it still believes. The first such refusal tells the drive (`Store::fenced_out`),
//! which stops the run's steps and records nothing more, even where the refused write's
//! caller only logs its error. Writes made for a person (a comment, a decision, a cancel)
//! are not fenced. An event of a held run refused by the journal is dropped.
//!
//! The check as SQL, with the run's id as `RUN`: `fence_sql!("RUN")` expects the owner and
//! the version bound as two parameters (both NULL when the run is not held: no check).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

use super::{Result, Store, StoreError};

#[cfg(test)]
#[path = "fence_tests.rs"]
pub(crate) mod tests;

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

/// A run this process drives: its lease, and whether a write was refused for it.
#[derive(Debug)]
struct Held {
    owner: String,
    version: i64,
    fenced_out: watch::Sender<bool>,
}

#[derive(Debug, Default)]
pub(crate) struct Fences(Mutex<HashMap<String, Held>>);

impl Fences {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store {
    /// This process drives `run_id` under `owner`'s lease at `version` (its claim's):
    /// from now on the driver's writes for it are fenced.
    pub fn hold(&self, run_id: &str, owner: &str, version: i64) {
        let held = Held {
            owner: owner.to_string(),
            version,
            fenced_out: watch::channel(false).0,
        };
        self.fences.lock().insert(run_id.to_string(), held);
    }

    /// The drive of `run_id` ended here: its writes are no longer fenced.
    pub fn release(&self, run_id: &str) {
        self.fences.lock().remove(run_id);
    }

    /// The fence of `run_id`'s writes (none when this process does not hold it).
    pub fn fence(&self, run_id: &str) -> Fence {
        match self.fences.lock().get(run_id) {
            Some(held) => Fence {
                owner: Some(held.owner.clone()),
                version: Some(held.version),
            },
            None => Fence::default(),
        }
    }

    /// Says `true` once a write of the drive of `run_id` was refused (another engine took
    /// the run over); None when this process does not hold it.
    pub fn fenced_out(&self, run_id: &str) -> Option<watch::Receiver<bool>> {
        self.fences.lock().get(run_id).map(|h| h.fenced_out.subscribe())
    }

    /// Whether a write for the held run `run_id` was refused already.
    pub fn is_fenced_out(&self, run_id: &str) -> bool {
        self.fences.lock().get(run_id).is_some_and(|h| *h.fenced_out.borrow())
    }

    /// A write under `fence` for `run_id` was refused: the drive holding the run at that
    /// version is told (`fenced_out`), and this is the error to return.
    pub(crate) fn refused(&self, run_id: &str, fence: &Fence) -> StoreError {
        if let Some(held) = self.fences.lock().get(run_id) {
            if Some(held.version) == fence.version {
                held.fenced_out.send_replace(true);
            }
        }
        StoreError::Fenced(run_id.to_string())
    }

    /// `e`, the drive told first when it says `Fenced` (a write that found the fence out
    /// of its own, in a transaction of several statements).
    pub(crate) fn tell_fenced(&self, e: StoreError, fence: &Fence) -> StoreError {
        match e {
            StoreError::Fenced(run_id) => self.refused(&run_id, fence),
            e => e,
        }
    }

    /// After a fenced write that changed `changed` rows: `Fenced` when it changed none and
    /// the run's lease is not `fence`'s any more (a write may change nothing for reasons of
    /// its own: the lease, read after it, tells them apart; a lease lost is never regained
    /// at the same version).
    pub(crate) async fn check_fence(&self, run_id: &str, fence: &Fence, changed: u64) -> Result<()> {
        if changed > 0 || !fence.is_held() {
            return Ok(());
        }
        let (ours,): (bool,) = on_db!(
            self,
            "SELECT EXISTS (SELECT 1 FROM workflow_runs WHERE id = ?1 AND lease_owner = ?2 AND lease_version = ?3)",
            |pool, sql| sqlx::query_as(sql)
                .bind(run_id)
                .bind(fence.owner.as_deref())
                .bind(fence.version)
                .fetch_one(pool)
                .await
        )?;
        if ours {
            Ok(())
        } else {
            Err(self.refused(run_id, fence))
        }
    }
}

/// The check of a transaction of several writes, made first: whether the run's lease is
/// still `fence`'s (true when it is not held). On PostgreSQL the run's row stays locked
/// (`FOR SHARE`) until the transaction ends, so no claim takes the run meanwhile; SQLite's
/// write transaction (`IMMEDIATE`) excludes every other writer already.
pub(crate) async fn holds_pg(tx: &mut sqlx::PgConnection, run_id: &str, fence: &Fence) -> sqlx::Result<bool> {
    if !fence.is_held() {
        return Ok(true);
    }
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT lease_version FROM workflow_runs WHERE id = $1 AND lease_owner = $2 AND lease_version = $3 FOR SHARE",
    )
    .bind(run_id)
    .bind(fence.owner.as_deref())
    .bind(fence.version)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.is_some())
}

/// `holds_pg` on SQLite's write connection, inside its write transaction.
pub(crate) fn holds_lite(db: &rusqlite::Connection, run_id: &str, fence: &Fence) -> rusqlite::Result<bool> {
    if !fence.is_held() {
        return Ok(true);
    }
    db.query_row(
        "SELECT EXISTS (SELECT 1 FROM workflow_runs WHERE id = ?1 AND lease_owner = ?2 AND lease_version = ?3)",
        rusqlite::params![run_id, fence.owner, fence.version],
        |r| r.get(0),
    )
}
