//! `step_snapshots`: the commit each script or agent step of a worktree run left its
//! worktree at, with what changed since the snapshot before it; and the points a diff is
//! taken from (the run's newest snapshot, the one before a step, the one current when the
//! run's last gate was decided).

use super::{now, Result, Store};
use crate::domain::FileChange;

/// A step's snapshot as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    pub step_row_id: String,
    pub run_id: String,
    pub commit: String,
    pub parent: String,
    pub files_changed: Vec<FileChange>,
    pub additions: i64,
    pub deletions: i64,
    pub created_at: String,
    /// The worktree's HEAD when it was taken (None where git could not say).
    pub head: Option<String>,
}

type Raw = (String, String, String, String, String, i64, i64, String, Option<String>);

fn from_raw((step_row_id, run_id, commit, parent, files, additions, deletions, created_at, head): Raw) -> SnapshotRow {
    SnapshotRow {
        step_row_id,
        run_id,
        commit,
        parent,
        // Written by `record` from the same type; an unreadable list is shown empty.
        files_changed: serde_json::from_str(&files).unwrap_or_default(),
        additions,
        deletions,
        created_at,
        head,
    }
}

const COLUMNS: &str =
    "s.step_row_id, s.run_id, s.\"commit\", s.parent, s.files_changed, s.additions, s.deletions, s.created_at, s.head";

/// A snapshot to record.
pub struct NewSnapshot<'a> {
    pub step_row_id: &'a str,
    pub run_id: &'a str,
    pub commit: &'a str,
    pub parent: &'a str,
    pub files_changed: &'a [FileChange],
    pub additions: u64,
    pub deletions: u64,
    pub head: Option<&'a str>,
}

impl SnapshotRow {
    /// Records (or, for a step tried again, replaces) a step's snapshot; a replaced one keeps
    /// its first parent.
    pub async fn record(store: &Store, new: NewSnapshot<'_>) -> Result<SnapshotRow> {
        let files = serde_json::to_string(new.files_changed).expect("file changes serialise");
        let fence = store.fence(new.run_id);
        let raw: Vec<Raw> = on_db!(
            store,
            concat!(
                "INSERT INTO step_snapshots
                     (step_row_id, run_id, \"commit\", parent, files_changed, additions, deletions, created_at, head)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE ",
                super::fence::fence_sql!("?2", "10", "11"),
                "
                 ON CONFLICT (step_row_id) DO UPDATE SET \"commit\" = excluded.\"commit\",
                     files_changed = excluded.files_changed, additions = excluded.additions,
                     deletions = excluded.deletions, created_at = excluded.created_at, head = excluded.head
                 RETURNING step_row_id, run_id, \"commit\", parent, files_changed, additions, deletions, created_at, head"
            ),
            |pool, sql| sqlx::query_as(sql)
                .bind(new.step_row_id)
                .bind(new.run_id)
                .bind(new.commit)
                .bind(new.parent)
                .bind(files)
                .bind(new.additions as i64)
                .bind(new.deletions as i64)
                .bind(now())
                .bind(new.head)
                .bind(&fence.owner)
                .bind(fence.version)
                .fetch_all(pool)
                .await
        )?;
        match raw.into_iter().next() {
            Some(raw) => Ok(from_raw(raw)),
            None if fence.is_held() => Err(store.refused(new.run_id, &fence)),
            None => Err(sqlx::Error::RowNotFound.into()),
        }
    }

    /// The snapshot of step row `step_row_id`, if it has one.
    pub async fn for_step(store: &Store, step_row_id: &str) -> Result<Option<SnapshotRow>> {
        let raw: Option<Raw> = on_read!(
            store,
            &format!("SELECT {COLUMNS} FROM step_snapshots s WHERE s.step_row_id = ?"),
            |pool, sql| sqlx::query_as(sql).bind(step_row_id).fetch_optional(pool).await
        )?;
        Ok(raw.map(from_raw))
    }

    /// The snapshots of these step rows (the steps of a run page).
    pub async fn for_steps(store: &Store, step_row_ids: &[&str]) -> Result<Vec<SnapshotRow>> {
        if step_row_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; step_row_ids.len()].join(", ");
        let sql = format!("SELECT {COLUMNS} FROM step_snapshots s WHERE s.step_row_id IN ({marks})");
        let rows: Vec<Raw> = on_read!(store, sql, |pool, sql| {
            let mut query = sqlx::query_as::<_, Raw>(sql);
            for id in step_row_ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(from_raw).collect())
    }

    /// The run's newest snapshot (the parent of its next one, the head of its whole diff).
    /// Snapshots made in the same millisecond go by their step rows' ids (uuid v7, in the
    /// order the steps began), on both backends (PostgreSQL has no `rowid`).
    pub async fn latest_for_run(store: &Store, run_id: &str) -> Result<Option<SnapshotRow>> {
        let raw: Option<Raw> = on_db!(
            store,
            &format!(
            "SELECT {COLUMNS} FROM step_snapshots s WHERE s.run_id = ? ORDER BY s.created_at DESC, s.step_row_id DESC LIMIT 1"
        ),
            |pool, sql| sqlx::query_as(sql).bind(run_id).fetch_optional(pool).await
        )?;
        Ok(raw.map(from_raw))
    }

    /// The snapshot the run's worktree was at before the step at `step_index` ran: the
    /// newest snapshot of a step before it in step order; None if no step before it has one.
    pub async fn before_step(store: &Store, run_id: &str, step_index: i64) -> Result<Option<SnapshotRow>> {
        let raw: Option<Raw> = on_read!(
            store,
            &format!(
                "SELECT {COLUMNS} FROM step_snapshots s JOIN workflow_run_steps st ON st.id = s.step_row_id
              WHERE s.run_id = ? AND st.step_index < ?
              ORDER BY st.step_index DESC, s.created_at DESC LIMIT 1"
            ),
            |pool, sql| sqlx::query_as(sql)
                .bind(run_id)
                .bind(step_index)
                .fetch_optional(pool)
                .await
        )?;
        Ok(raw.map(from_raw))
    }

    /// The run's snapshot current when its newest decided approval was decided: the
    /// outer None if no approval of the run was decided, the inner None if no snapshot was
    /// taken before it (the diff then starts at the base).
    pub async fn at_last_gate(store: &Store, run_id: &str) -> Result<Option<Option<SnapshotRow>>> {
        let decided: Option<(String,)> = on_read!(
            store,
            "SELECT resolved_at FROM workflow_waits
              WHERE workflow_run_id = ? AND kind = 'approval' AND resolved_at IS NOT NULL
              ORDER BY resolved_at DESC LIMIT 1",
            |pool, sql| sqlx::query_as(sql).bind(run_id).fetch_optional(pool).await
        )?;
        let Some((at,)) = decided else { return Ok(None) };
        let raw: Option<Raw> = on_read!(
            store,
            &format!(
                "SELECT {COLUMNS} FROM step_snapshots s WHERE s.run_id = ? AND s.created_at <= ?
              ORDER BY s.created_at DESC, s.step_row_id DESC LIMIT 1"
            ),
            |pool, sql| sqlx::query_as(sql).bind(run_id).bind(at).fetch_optional(pool).await
        )?;
        Ok(Some(raw.map(from_raw)))
    }
}
