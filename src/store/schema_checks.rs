//! Every domain enum against the `CHECK` list of its column in a freshly migrated database
//! (read back from `sqlite_schema`, after every migration, including those that edit a
//! table's stored definition), so a value cannot be added in one place only.

use crate::domain::*;

/// The values of `CHECK (column IN (...))` in `table`'s definition as the database has it.
fn check_values(schema: &[(String, String)], table: &str, column: &str) -> Vec<String> {
    let sql = &schema
        .iter()
        .find(|(name, _)| name == table)
        .unwrap_or_else(|| panic!("no table {table}"))
        .1;
    let check = format!("CHECK ({column} IN (");
    let found: Vec<&str> = sql
        .match_indices(&check)
        .map(|(at, _)| &sql[at + check.len()..])
        .collect();
    assert_eq!(found.len(), 1, "one CHECK for {table}.{column} in {sql}");
    let list = &found[0][..found[0].find(')').expect("a CHECK list ends with `)`")];
    list.split(',')
        .map(|v| v.trim().trim_matches('\'').to_string())
        .collect()
}

macro_rules! assert_matches_check {
    ($schema:expr, $enum:ty, $table:literal, $column:literal) => {{
        let mut ours: Vec<String> = <$enum>::ALL.iter().map(|v| v.as_str().to_string()).collect();
        let mut theirs = check_values($schema, $table, $column);
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{} against {}.{}", stringify!($enum), $table, $column);
    }};
}

#[tokio::test]
async fn every_enum_has_the_values_of_its_columns_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = super::Store::open(dir.path()).await.unwrap();
    let schema: Vec<(String, String)> = store
        .write_now(|db| {
            let mut q = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table'")?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .unwrap();
    let s = &schema;
    assert_matches_check!(s, RunStatus, "workflow_runs", "status");
    assert_matches_check!(s, ControlRequest, "workflow_runs", "control_request");
    assert_matches_check!(s, StepStatus, "workflow_run_steps", "status");
    assert_matches_check!(s, StepKind, "workflow_run_steps", "type");
    assert_matches_check!(s, AgentKind, "agent_sessions", "agent");
    assert_matches_check!(s, SessionStatus, "agent_sessions", "status");
    assert_matches_check!(s, CommentType, "workflow_comments", "comment_type");
    assert_matches_check!(s, FileType, "workflow_artifacts", "file_type");
    assert_matches_check!(s, DefinitionKind, "workflow_definitions", "type");
    assert_matches_check!(s, WaitKind, "workflow_waits", "kind");
    assert_matches_check!(s, AttemptOutcome, "workflow_step_attempts", "outcome");
    assert_matches_check!(s, WorkspaceState, "run_workspaces", "state");
    assert_matches_check!(s, KeepPolicy, "run_workspaces", "keep");
}
