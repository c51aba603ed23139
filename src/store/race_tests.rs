//! Tests of store functions called at once by several writers (the driver of a run, the API
//! on this or another node), on the test backend: on PostgreSQL under READ COMMITTED these
//! transactions really overlap, where SQLite runs them one after the other.

use std::path::Path;

use super::projects::ProjectRow;
use super::runs::{NewRun, RunRow};
use super::steps::StepStart;
use super::waits::{Began, NewWait, Resolution, WaitRow};
use super::{new_id, now, Store};
use crate::domain::{StepKind, StepStatus, WaitKind};

/// A store with a project and a definition for runs to belong to: (store, definition id,
/// project id).
pub(super) async fn seeded(dir: &Path) -> (Store, String, String) {
    let store = Store::open_for_test(dir).await.unwrap();
    let project = ProjectRow::ensure(&store, dir).await.unwrap();
    let def = new_id();
    let ts = now();
    on_db!(
        store,
        "INSERT INTO workflow_definitions (id, project_id, name, type, path, created_at, updated_at)
         VALUES (?, ?, 'races', 'yaml', ?, ?, ?)",
        |pool, sql| sqlx::query(sql)
            .bind(&def)
            .bind(&project.id)
            .bind(dir.join("races.yaml").to_string_lossy().as_ref())
            .bind(&ts)
            .bind(&ts)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    )
    .unwrap();
    (store, def, project.id)
}

pub(super) async fn new_run(store: &Store, def: &str, project: &str, key: Option<&str>) -> RunRow {
    let args = serde_json::json!({});
    RunRow::create(
        store,
        NewRun {
            project_id: project,
            user_id: None,
            definition_id: def,
            name: "race",
            args: &args,
            first_phase: None,
            timeout_ms: None,
            budget: None,
            concurrency: key.map(|k| (k.to_string(), 1)),
            held_by: None,
        },
    )
    .await
    .unwrap()
}

fn delivered(payload: &str) -> Resolution {
    Resolution {
        status: StepStatus::Completed,
        result: payload.to_string(),
        error: None,
    }
}

fn not_interrupted(_: &str) -> bool {
    false
}

/// The driver begins a signal wait while the API sends that signal: however the two
/// transactions overlap, the signal reaches the step exactly once (the wait takes the signal
/// already sent, or the signal finds the step waiting), never neither (a run waiting forever
/// for a signal it was sent) nor both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_sent_while_its_wait_begins_is_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, def, project) = seeded(dir.path()).await;
    for round in 0..40 {
        let run = new_run(&store, &def, &project, None).await;
        let log_dir = format!("logs/{round}");
        let wait = WaitRow::begin_wait(
            &store,
            StepStart {
                run_id: &run.id,
                step_id: "go",
                name: "go",
                phase: "main",
                kind: StepKind::Signal,
                log_dir: &log_dir,
                interrupted: not_interrupted,
            },
            NewWait {
                kind: WaitKind::Signal,
                spec: "{}",
                signal_name: Some("go"),
                deadline: None,
                continue_on_error: false,
            },
            |_, signal| signal.map(|s| delivered(&s.payload)),
        );
        let send = WaitRow::send_signal(&store, &run.id, "go", "\"hi\"", None, None, |_, s| {
            delivered(&s.payload)
        });
        let (began, sent) = tokio::join!(wait, send);
        let (began, sent) = (began.unwrap(), sent.unwrap());
        let by_wait = matches!(&began, Began::Resolved(_, Some(_)));
        let by_signal = sent.delivered_to.is_some();
        assert!(
            by_wait ^ by_signal,
            "round {round}: the wait took the signal: {by_wait}, the signal found the wait: {by_signal}"
        );
        let step = super::steps::StepRow::get(&store, &run.id, "go")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(step.status, StepStatus::Completed, "round {round}");
    }
}

/// Two nodes claim two queued runs of one concurrency key (limit 1) at once: at most one
/// gets to run. Each claim counts the key's running runs in the statement that claims
/// (`KEY_HAS_ROOM`); on PostgreSQL that count alone sees neither claim of the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_claims_at_once_keep_a_keys_limit() {
    use super::runs::ClaimFrom;
    let dir = tempfile::tempdir().unwrap();
    let (store, def, project) = seeded(dir.path()).await;
    let until = "2999-01-01T00:00:00.000Z";
    for round in 0..40 {
        let key = format!("key-{round}");
        let a = new_run(&store, &def, &project, Some(&key)).await;
        let b = new_run(&store, &def, &project, Some(&key)).await;
        let (got_a, got_b) = tokio::join!(
            RunRow::claim(&store, &a.id, ClaimFrom::Queue, "node-a", until, None),
            RunRow::claim(&store, &b.id, ClaimFrom::Queue, "node-b", until, None),
        );
        let (got_a, got_b) = (got_a.unwrap(), got_b.unwrap());
        assert!(
            got_a.is_none() || got_b.is_none(),
            "round {round}: both runs of key {key} (limit 1) were claimed"
        );
        assert!(
            got_a.is_some() || got_b.is_some(),
            "round {round}: neither run was claimed"
        );
    }
}
