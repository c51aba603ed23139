//! A step recorded once, when it has ended: its row inserted finished and its run advanced,
//! in one statement (PostgreSQL) or one transaction (SQLite). A function step that ends
//! before its start was written (`engine::step_defer`) costs one write instead of two.

use super::fence::fence_sql;
use super::steps::StepRow;
use super::{Result, Store, StoreError};
use crate::domain::{StepKind, StepStatus};

/// A step that started and ended without a row: what its row records.
pub struct StepAtOnce<'a> {
    /// The id its start event announced.
    pub id: &'a str,
    pub run_id: &'a str,
    pub step_id: &'a str,
    pub name: &'a str,
    pub phase: &'a str,
    pub kind: StepKind,
    pub log_dir: &'a str,
    pub started_at: &'a str,
    pub status: StepStatus,
    pub result: &'a str,
    pub error: Option<&'a str>,
    pub continue_on_error: bool,
    pub completed_at: &'a str,
}

/// ?1 row id, ?2 run, ?3 step id, ?4 name, ?5 phase, ?6 type, ?7 status, ?8 result,
/// ?9 error, ?10 continue_on_error, ?11 log folder, ?12 started, ?13 ended, ?14/?15 the
/// fence. The next index, as a step's begin takes it. No row when fenced, or when the step
/// has a row already (it cannot: its start was never written).
macro_rules! insert_finished {
    () => {
        concat!(
            "INSERT INTO workflow_run_steps
                 (id, workflow_run_id, step_id, step_index, name, phase, type, status, result,
                  error_message, continue_on_error, log_directory_path, started_at, completed_at,
                  created_at, updated_at)
             SELECT ?1, ?2, ?3,
                    (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = ?2),
                    ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?12, ?13
              WHERE ",
            fence_sql!("?2", "14", "15"),
            "
             ON CONFLICT (workflow_run_id, step_id) DO NOTHING
             RETURNING *"
        )
    };
}

/// SQLite: the insert, then the run advanced as `workflow_run_steps_advance_run` does for a
/// step that ends (a trigger on the status's update, which an insert does not fire).
const INSERT_FINISHED: &str = insert_finished!();
const ADVANCE_RUN: &str = "UPDATE workflow_runs
     SET current_step_index = MAX(current_step_index, ?1 + 1), current_phase = ?2, updated_at = ?3
     WHERE id = ?4";

/// PostgreSQL: both in one statement (one round trip, one commit).
const INSERT_FINISHED_AND_ADVANCE: &str = concat!(
    "WITH step AS (",
    insert_finished!(),
    "), advanced AS (
         UPDATE workflow_runs
            SET current_step_index = GREATEST(current_step_index, (SELECT step_index + 1 FROM step)),
                current_phase = (SELECT phase FROM step),
                updated_at = ?13
          WHERE id = ?2 AND EXISTS (SELECT 1 FROM step))
     SELECT * FROM step"
);

impl StepRow {
    /// Records a step that ended before its start was written: its row, finished, and the
    /// run advanced, durably and at once. Fenced as `begin`.
    pub async fn insert_finished(store: &Store, s: StepAtOnce<'_>) -> Result<StepRow> {
        let fence = store.fence(s.run_id);
        let row = if store.is_lite() {
            store.write_now(|db| {
                let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
                let mut insert = tx.prepare_cached(INSERT_FINISHED)?;
                let row = super::first_direct(
                    &mut insert,
                    rusqlite::params![
                        s.id,
                        s.run_id,
                        s.step_id,
                        s.name,
                        s.phase,
                        s.kind,
                        s.status,
                        s.result,
                        s.error,
                        s.continue_on_error,
                        s.log_dir,
                        s.started_at,
                        s.completed_at,
                        fence.owner,
                        fence.version
                    ],
                    StepRow::from_direct,
                )?;
                drop(insert);
                if let Some(row) = &row {
                    tx.prepare_cached(ADVANCE_RUN)?.execute(rusqlite::params![
                        row.step_index,
                        row.phase,
                        row.updated_at,
                        row.workflow_run_id
                    ])?;
                    tx.commit()?;
                }
                Ok(row)
            })?
        } else {
            on_pg_hot!(store, INSERT_FINISHED_AND_ADVANCE, |conn, sql| {
                sqlx::query_as(sql)
                    .bind(s.id)
                    .bind(s.run_id)
                    .bind(s.step_id)
                    .bind(s.name)
                    .bind(s.phase)
                    .bind(s.kind)
                    .bind(s.status)
                    .bind(s.result)
                    .bind(s.error)
                    .bind(s.continue_on_error)
                    .bind(s.log_dir)
                    .bind(s.started_at)
                    .bind(s.completed_at)
                    .bind(&fence.owner)
                    .bind(fence.version)
                    .fetch_optional(conn)
                    .await
            })?
        };
        match row {
            Some(row) => Ok(row),
            None if fence.is_held() => Err(store.refused(s.run_id, &fence)),
            // It cannot have a row: its start was never written, and ids are unique per run.
            None => Err(StoreError::NotFound(format!(
                "a place for step \"{}\" of run {} (it has a row already)",
                s.step_id, s.run_id
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::race_tests::{new_run, seeded};
    use crate::store::runs::{ClaimFrom, RunRow};
    use crate::store::{new_id, now};

    fn at_once<'a>(id: &'a str, run_id: &'a str, step_id: &'a str, ts: &'a str) -> StepAtOnce<'a> {
        StepAtOnce {
            id,
            run_id,
            step_id,
            name: step_id,
            phase: "build",
            kind: StepKind::Function,
            log_dir: "logs",
            started_at: ts,
            status: StepStatus::Completed,
            result: "{\"ok\":true}",
            error: None,
            continue_on_error: false,
            completed_at: ts,
        }
    }

    /// A step recorded at once takes the next index and advances its run in the same write;
    /// once another engine took the run over, it records nothing.
    #[tokio::test]
    async fn a_step_recorded_at_once_advances_its_run_and_is_fenced() {
        let dir = tempfile::tempdir().unwrap();
        let (store, def, project) = seeded(dir.path()).await;
        let run = new_run(&store, &def, &project, None).await;
        let claimed = RunRow::claim(
            &store,
            &run.id,
            ClaimFrom::Queue,
            "node-a",
            "2999-01-01T00:00:00.000Z",
            None,
        )
        .await
        .unwrap()
        .expect("claimed");
        store.hold(&run.id, "node-a", claimed.lease_version);
        let ts = now();
        for (i, step) in ["first", "second"].into_iter().enumerate() {
            let id = new_id();
            let row = StepRow::insert_finished(&store, at_once(&id, &run.id, step, &ts))
                .await
                .unwrap();
            assert_eq!(
                (row.id.as_str(), row.step_index, row.status),
                (id.as_str(), i as i64, StepStatus::Completed)
            );
            let now_run = RunRow::get(&store, &run.id).await.unwrap().unwrap();
            assert_eq!(
                (now_run.current_step_index, now_run.current_phase.as_deref()),
                (i as i64 + 1, Some("build"))
            );
        }
        // Its lease lapses and node B claims it: its lease version moves on.
        crate::store::fence::tests::take_over(&store, &claimed).await;
        let refused = StepRow::insert_finished(&store, at_once(&new_id(), &run.id, "third", &ts)).await;
        assert!(matches!(refused, Err(StoreError::Fenced(_))), "{refused:?}");
        let rows = StepRow::list_for_run(&store, &run.id).await.unwrap();
        assert_eq!(rows.len(), 2, "the fenced step left no row");
        let after = RunRow::get(&store, &run.id).await.unwrap().unwrap();
        assert_eq!(after.current_step_index, 2, "nor moved its run");
    }
}
