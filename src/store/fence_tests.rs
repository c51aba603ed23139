//! Fencing (`fence`): every write the driver of a held run makes is refused, changing
//! nothing, once another engine took the run over (its lease lapsed, the reaper requeued it
//! and another node claimed it); the same writes pass while the lease is held. On the test
//! backend (SQLite, or PostgreSQL with `WORKFLOW_ENGINE_TEST_PG=1`).

use crate::domain::{
    AgentKind, AttemptOutcome, CommentType, KeepPolicy, RunStatus, SessionStatus, StepKind, WorkspaceState,
};
use crate::store::agent_sessions::{AgentSessionRow, SessionEnd};
use crate::store::attempts::AttemptRow;
use crate::store::claims::Claimer;
use crate::store::comments::CommentRow;
use crate::store::events::{EventRow, NewEvent};
use crate::store::race_tests::{new_run, seeded};
use crate::store::retry_waits::RetryHold;
use crate::store::runs::{ClaimFrom, RunRow};
use crate::store::snapshots::{NewSnapshot, SnapshotRow};
use crate::store::steps::{StepRow, StepStart};
use crate::store::workspaces::{NewWorkspace, WorkspaceRow};
use crate::store::{Result, Store, StoreError};

const FAR: &str = "2999-01-01T00:00:00.000Z";

fn not_interrupted(_: &str) -> bool {
    false
}

/// A run claimed by node A and held by this process (its driver), with a running step and
/// an agent session: (store, run, step, session id).
async fn held_run(dir: &std::path::Path) -> (Store, RunRow, StepRow, String) {
    let (store, def, project) = seeded(dir).await;
    let run = new_run(&store, &def, &project, None).await;
    let run = claim(&store, &run.id, "node-a").await.expect("node A claims the run");
    store.hold(&run.id, "node-a", run.lease_version);
    let step = StepRow::begin(
        &store,
        StepStart {
            run_id: &run.id,
            step_id: "s",
            name: "s",
            phase: "p",
            kind: StepKind::Agent,
            log_dir: "logs/s",
            interrupted: not_interrupted,
        },
    )
    .await
    .unwrap();
    let session = AgentSessionRow::start(&store, &run.id, &step.id, AgentKind::Claude, "sess-1", None, None)
        .await
        .unwrap();
    (store, run, step, session.id)
}

async fn claim(store: &Store, run_id: &str, owner: &str) -> Option<RunRow> {
    let who = Claimer {
        owner,
        node: owner,
        lease_until: FAR,
        cluster_max: None,
    };
    RunRow::claim_for(store, run_id, ClaimFrom::Queue, &who, None)
        .await
        .unwrap()
}

/// Node A's lease lapses, the reaper requeues the run and node B claims it: its version
/// grows by one.
pub(crate) async fn take_over(store: &Store, run: &RunRow) {
    on_db!(
        store,
        "UPDATE workflow_runs SET lease_expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?",
        |pool, sql| sqlx::query(sql)
            .bind(&run.id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    )
    .unwrap();
    let requeued = RunRow::requeue_expired(store, 10).await.unwrap();
    assert!(requeued.iter().any(|r| r.id == run.id), "{requeued:?}");
    let b = claim(store, &run.id, "node-b").await.expect("node B claims the run");
    assert_eq!(b.lease_version, run.lease_version + 1);
}

/// What the database holds of the run, to compare before and after refused writes.
async fn fingerprint(store: &Store, run_id: &str, session: &str) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        RunRow::get(store, run_id).await.unwrap(),
        StepRow::list_for_run(store, run_id).await.unwrap(),
        AttemptRow::list_for_run(store, run_id).await.unwrap(),
        AgentSessionRow::get(store, session).await.unwrap(),
        CommentRow::list_for_run(store, run_id).await.unwrap(),
        WorkspaceRow::get(store, run_id).await.unwrap(),
        SnapshotRow::latest_for_run(store, run_id).await.unwrap(),
        EventRow::max_seq(store).await.unwrap(),
    )
}

/// Every write a driver makes for its run, in an order in which each applies (the run's
/// budget stop, which gives the lease up, last): each one's name and outcome.
async fn every_write(store: &Store, run: &RunRow, step: &StepRow, session: &str) -> Vec<(&'static str, Result<()>)> {
    let id = run.id.as_str();
    let mut out: Vec<(&'static str, Result<()>)> = Vec::new();
    out.push((
        "attempt start",
        AttemptRow::start(store, id, &step.id, 2, "logs/s/attempt-2").await,
    ));
    let end = AttemptRow::end_running(store, id, &step.id, AttemptOutcome::Failed, Some("no")).await;
    out.push(("attempt end_running", end));
    let current = AttemptRow::end_current(store, step, AttemptOutcome::Failed, Some("no"), |n| {
        format!("logs/s/{n}")
    });
    out.push(("attempt end_current", current.await.map(drop)));
    let started = AgentSessionRow::start(store, id, &step.id, AgentKind::Claude, "sess-2", None, None).await;
    out.push(("session start", started.map(drop)));
    out.push(("session reopen", AgentSessionRow::reopen(store, id, session).await));
    let resumable = AgentSessionRow::mark_resumable(store, id, session, Some("/t.jsonl")).await;
    out.push(("session mark_resumable", resumable));
    let usage = AgentSessionRow::record_usage(store, id, session, Some(10), Some(20), Some(0.5)).await;
    out.push(("session record_usage", usage));
    let end = SessionEnd {
        status: SessionStatus::Completed,
        model: Some("m"),
        session_file_path: None,
        cost_usd: Some(1.0),
        input_tokens: Some(1),
        output_tokens: Some(2),
        cached_tokens: None,
        num_turns: Some(1),
        error_kind: None,
    };
    out.push((
        "session finish",
        AgentSessionRow::finish(store, id, session, &end).await,
    ));
    let warned = StepRow::set_warnings(store, id, &step.id, &["careful".to_string()]).await;
    out.push(("step set_warnings", warned));
    let output = StepRow::set_last_output(store, id, &step.id, "2026-01-01T00:00:00.000Z").await;
    out.push(("step set_last_output", output));
    out.push(("run set_phase", RunRow::set_phase(store, id, "p2").await.map(drop)));
    let comment = CommentRow::insert_held(store, id, None, "from the driver", CommentType::System).await;
    out.push(("comment insert_held", comment.map(drop)));
    let snapshot = SnapshotRow::record(
        store,
        NewSnapshot {
            step_row_id: &step.id,
            run_id: id,
            commit: "c1",
            parent: "c0",
            files_changed: &[],
            additions: 1,
            deletions: 0,
            head: None,
        },
    )
    .await;
    out.push(("snapshot record", snapshot.map(drop)));
    let workspace = WorkspaceRow::insert(
        store,
        NewWorkspace {
            run_id: id,
            path: "/w",
            repo_path: "/r",
            branch: "b",
            branch_template: "b",
            base: "main",
            keep: KeepPolicy::OnFailure,
            delete_branch: false,
        },
    )
    .await;
    out.push(("workspace insert", workspace.map(drop)));
    out.push((
        "workspace set_base_commit",
        WorkspaceRow::set_base_commit(store, id, "c0").await,
    ));
    out.push((
        "workspace set_start_commit",
        WorkspaceRow::set_start_commit(store, id, "c0").await,
    ));
    out.push((
        "workspace set_branch_made",
        WorkspaceRow::set_branch_made(store, id).await,
    ));
    out.push(("workspace set_restored", WorkspaceRow::set_restored(store, id).await));
    let state = WorkspaceRow::set_state(store, id, WorkspaceState::Active, None).await;
    out.push(("workspace set_state", state.map(drop)));
    let event = NewEvent {
        project_id: run.project_id.clone(),
        execution_id: run.id.clone(),
        kind: "workflow.step.progress".into(),
        data: "{}".into(),
        fence: store.fence(id),
    };
    let journaled = match EventRow::insert_batch(store, &[event]).await {
        Ok(0) => Ok(()),
        Ok(_) => Err(StoreError::Fenced(run.id.clone())),
        Err(e) => Err(e),
    };
    out.push(("event journal", journaled));
    let parked = RetryHold::park(store, id, &step.id, "{}", Some("no")).await;
    out.push(("retry park", parked.map(drop)));
    out.push(("steps fail_running", StepRow::fail_running(store, id, "stopped").await));
    out.push((
        "run stop_for_budget",
        RunRow::stop_for_budget(store, id, "{}").await.map(drop),
    ));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_of_a_driver_whose_run_was_taken_over_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run, step, session) = held_run(dir.path()).await;
    take_over(&store, &run).await;
    let before = fingerprint(&store, &run.id, &session).await;
    let mut fenced_out = store.fenced_out(&run.id).expect("held");
    assert!(!*fenced_out.borrow());
    for (name, outcome) in every_write(&store, &run, &step, &session).await {
        assert!(
            matches!(&outcome, Err(StoreError::Fenced(r)) if *r == run.id),
            "{name}: {outcome:?}"
        );
    }
    assert_eq!(fingerprint(&store, &run.id, &session).await, before);
    // The drive was told at the first refusal.
    assert!(*fenced_out.borrow_and_update());
    assert!(store.is_fenced_out(&run.id));
    // Node B's lease is untouched.
    let row = RunRow::get(&store, &run.id).await.unwrap().unwrap();
    assert_eq!(row.lease_owner.as_deref(), Some("node-b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_writes_pass_while_the_lease_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run, step, session) = held_run(dir.path()).await;
    let before = fingerprint(&store, &run.id, &session).await;
    let seq = EventRow::max_seq(&store).await.unwrap();
    for (name, outcome) in every_write(&store, &run, &step, &session).await {
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
    }
    assert_ne!(fingerprint(&store, &run.id, &session).await, before);
    assert!(!store.is_fenced_out(&run.id));
    assert_eq!(AttemptRow::list_for_run(&store, &run.id).await.unwrap().len(), 2);
    let comments = CommentRow::list_for_run(&store, &run.id).await.unwrap();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(EventRow::max_seq(&store).await.unwrap() > seq);
    let s = AgentSessionRow::get(&store, &session).await.unwrap().unwrap();
    assert_eq!((s.status, s.resumable), (SessionStatus::Completed, true));
    let row = RunRow::get(&store, &run.id).await.unwrap().unwrap();
    assert_eq!((row.status, row.lease_owner), (RunStatus::Waiting, None));
}

/// Writes this process makes for a run it does not hold (the API on behalf of a person) are
/// not fenced, even while another node drives the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_for_a_run_this_process_does_not_hold_are_not_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run, _step, _session) = held_run(dir.path()).await;
    take_over(&store, &run).await;
    store.release(&run.id);
    CommentRow::insert(&store, &run.id, None, "a person's note", CommentType::User, None)
        .await
        .unwrap();
    let event = NewEvent {
        project_id: run.project_id.clone(),
        execution_id: run.id.clone(),
        kind: "workflow.comment.created".into(),
        data: "{}".into(),
        fence: store.fence(&run.id),
    };
    assert_eq!(EventRow::insert_batch(&store, &[event]).await.unwrap(), 0);
}

/// Of events journaled in one batch, those of a run taken over from their driver are
/// dropped, the others kept, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_drops_only_the_events_of_a_run_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run, _step, _session) = held_run(dir.path()).await;
    let lost = store.fence(&run.id);
    take_over(&store, &run).await;
    let event = |data: &str, fence| NewEvent {
        project_id: run.project_id.clone(),
        execution_id: run.id.clone(),
        kind: "workflow.step.progress".into(),
        data: data.into(),
        fence,
    };
    let seq = EventRow::max_seq(&store).await.unwrap();
    let batch = [
        event("1", Default::default()),
        event("2", lost.clone()),
        event("3", Default::default()),
    ];
    assert_eq!(EventRow::insert_batch(&store, &batch).await.unwrap(), 1);
    let kept: Vec<String> = EventRow::after(&store, seq, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.data)
        .collect();
    assert_eq!(kept, ["1", "3"]);
}
