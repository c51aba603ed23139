//! Helpers: a project folder and a data directory beside it per test, the binary, the database.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use workflow_engine::store::Store;

pub use crate::test_db::{db, db_writer, TestDb};

pub const BIN: &str = env!("CARGO_BIN_EXE_workflow-engine");

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// The data directory lives beside the project, not in it, as a server's should: steps
    /// may write their project, and must not reach the database (`subprocess::confine`).
    pub data: tempfile::TempDir,
    /// The sandbox's own PostgreSQL database when the suite runs on PostgreSQL
    /// (`WORKFLOW_ENGINE_TEST_PG=1`, `workflow_engine::testing::pg`); None on SQLite.
    pub database_url: Option<String>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
            data: tempfile::tempdir().expect("temp dir"),
            database_url: workflow_engine::testing::pg::enabled()
                .then(workflow_engine::testing::pg::fresh_database_url),
        }
    }

    /// Whether the suite runs on PostgreSQL.
    #[allow(dead_code)]
    pub fn on_pg(&self) -> bool {
        self.database_url.is_some()
    }

    pub fn project(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("data")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.project())
            .env("WORKFLOW_ENGINE_DATA_DIR", self.data_dir())
            .env("DATABASE_URL", self.database_url.as_deref().unwrap_or(""));
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run workflow-engine")
    }

    /// What `validate` says about `file`, which it must refuse (exit 2).
    pub fn refused_by_validate(&self, file: &Path) -> String {
        let out = self.run(&["validate", file.to_str().unwrap()]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
        text
    }

    pub async fn store(&self) -> Store {
        Store::open_with(&self.data_dir(), self.database_url.as_deref())
            .await
            .expect("open store")
    }

    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.project().join(".agent/workflows/executions").join(run_id)
    }

    pub fn read_json(&self, path: &Path) -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .expect("json")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The run id `run` prints on its first line.
pub fn run_id(o: &Output) -> String {
    let out = stdout(o);
    let first = out.lines().next().unwrap_or_default();
    first
        .strip_prefix("run ")
        .unwrap_or_else(|| panic!("first line is not the run id: {out}"))
        .split(' ')
        .next()
        .unwrap()
        .to_string()
}

#[derive(Debug, sqlx::FromRow)]
pub struct StepInfo {
    pub step_id: String,
    pub status: String,
    pub step_index: i64,
    pub attempt: i64,
    pub result: Option<String>,
    pub error_message: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

pub async fn steps(store: &Store, run_id: &str) -> Vec<StepInfo> {
    db(store)
        .await
        .all(
            "SELECT step_id, status, step_index, attempt, result, error_message, started_at, completed_at
             FROM workflow_run_steps WHERE workflow_run_id = ? ORDER BY step_index",
            &[run_id.into()],
        )
        .await
}

pub async fn run_row(store: &Store, run_id: &str) -> workflow_engine::store::runs::RunRow {
    workflow_engine::store::runs::RunRow::get(store, run_id)
        .await
        .expect("query")
        .expect("run exists")
}

/// Waits until `cond` holds, polling; panics after `secs`.
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
