//! Every enum against its wire strings and against the migrations' `CHECK` lists, so a value
//! cannot be added in one place only.

use super::*;

/// Every migration that declares one of these columns' `CHECK`.
/// A later migration that declares the column again (a table rebuilt) wins.
const MIGRATIONS: [&str; 4] = [
    include_str!("../../migrations/20261125000001_initial.sql"),
    include_str!("../../migrations/20261125000003_control.sql"),
    include_str!("../../migrations/20261125000004_agent_sessions.sql"),
    include_str!("../../migrations/20261205130000_waits.sql"),
];

/// The values of `CHECK (column IN (...))` where `table` creates or adds `column`.
fn check_values(table: &str, column: &str) -> Vec<String> {
    let create = format!("CREATE TABLE {table} (");
    let rebuilt = format!("CREATE TABLE {table}_new (");
    let alter = format!("ALTER TABLE {table} ADD COLUMN {column} ");
    let check = format!("CHECK ({column} IN (");
    let found: Vec<Vec<String>> = MIGRATIONS
        .iter()
        .filter_map(|sql| {
            let definition = if let Some(at) = sql.find(&rebuilt).or_else(|| sql.find(&create)) {
                let rest = &sql[at..];
                &rest[..rest.find("\n);").expect("a CREATE TABLE ends with `);`")]
            } else {
                let rest = &sql[sql.find(&alter)?..];
                &rest[..rest.find(';').expect("an ALTER TABLE ends with `;`")]
            };
            let list = &definition[definition.find(&check)? + check.len()..];
            let list = &list[..list.find(')').expect("a CHECK list ends with `)`")];
            Some(
                list.split(',')
                    .map(|v| v.trim().trim_matches('\'').to_string())
                    .collect(),
            )
        })
        .collect();
    assert!(!found.is_empty(), "no CHECK for {table}.{column}");
    found.into_iter().next_back().unwrap_or_default()
}

/// Asserts that an enum's wire strings are exactly the column's CHECK list.
macro_rules! assert_matches_check {
    ($enum:ty, $table:literal, $column:literal) => {{
        let mut ours: Vec<String> = <$enum>::ALL.iter().map(|v| v.as_str().to_string()).collect();
        let mut theirs = check_values($table, $column);
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{} against {}.{}", stringify!($enum), $table, $column);
    }};
}

#[test]
fn every_enum_has_the_values_of_its_columns_check() {
    assert_matches_check!(RunStatus, "workflow_runs", "status");
    assert_matches_check!(ControlRequest, "workflow_runs", "control_request");
    assert_matches_check!(StepStatus, "workflow_run_steps", "status");
    assert_matches_check!(StepKind, "workflow_run_steps", "type");
    assert_matches_check!(AgentKind, "agent_sessions", "agent");
    assert_matches_check!(SessionStatus, "agent_sessions", "status");
    assert_matches_check!(CommentType, "workflow_comments", "comment_type");
    assert_matches_check!(FileType, "workflow_artifacts", "file_type");
    assert_matches_check!(DefinitionKind, "workflow_definitions", "type");
    assert_matches_check!(WaitKind, "workflow_waits", "kind");
}

/// Asserts that every value goes through serde, `as_str`, `Display` and `parse` unchanged.
macro_rules! assert_round_trips {
    ($($enum:ty),+) => {$(
        for value in <$enum>::ALL {
            let json = serde_json::to_value(value).unwrap();
            assert_eq!(json, serde_json::Value::String(value.as_str().to_string()));
            assert_eq!(serde_json::from_value::<$enum>(json).unwrap(), value);
            assert_eq!(value.to_string(), value.as_str());
            assert_eq!(<$enum>::parse(value.as_str()), Some(value));
            assert_eq!(value.as_str().parse::<$enum>(), Ok(value));
        }
        assert_eq!(<$enum>::parse("nonsense"), None);
        assert!("nonsense".parse::<$enum>().is_err());
    )+};
}

#[test]
fn every_value_round_trips_through_serde_and_its_wire_string() {
    assert_round_trips!(
        RunStatus,
        ControlRequest,
        StepStatus,
        StepKind,
        AgentKind,
        Permission,
        OnInterrupt,
        SessionStatus,
        CommentType,
        FileType,
        DefinitionKind
    );
}

#[test]
fn permission_and_on_interrupt_use_the_spec_spelling() {
    let wire: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(wire, ["default", "plan", "acceptEdits", "bypassPermissions"]);
    let wire: Vec<&str> = OnInterrupt::ALL.iter().map(|o| o.as_str()).collect();
    assert_eq!(wire, ["restart", "resume"]);
}

#[test]
fn a_step_result_serialises_as_the_spec_says() {
    let done = StepResult {
        step_id: "build".into(),
        status: StepStatus::Completed,
        data: Some(serde_json::json!({"exitCode": 0})),
        error: None,
    };
    let text = serde_json::to_string(&done).unwrap();
    assert_eq!(text, r#"{"stepId":"build","status":"completed","data":{"exitCode":0}}"#);
    let failed = StepResult {
        step_id: "x".into(),
        status: StepStatus::Failed,
        data: None,
        error: Some("boom".into()),
    };
    let text = serde_json::to_string(&failed).unwrap();
    assert_eq!(text, r#"{"stepId":"x","status":"failed","error":"boom"}"#);
    let back: StepResult = serde_json::from_str(&text).unwrap();
    assert_eq!(back, failed);
    assert_eq!(
        StepResult::status_of(&serde_json::from_str(&text).unwrap()),
        Some(StepStatus::Failed)
    );
}

#[test]
fn run_status_predicates() {
    use RunStatus::*;
    let terminal: Vec<RunStatus> = RunStatus::ALL.into_iter().filter(|s| s.is_terminal()).collect();
    assert_eq!(terminal, [Completed, Failed, Cancelled]);
    let resumable: Vec<RunStatus> = RunStatus::ALL.into_iter().filter(|s| s.is_resumable()).collect();
    assert_eq!(resumable, [Paused, Failed]);
    let active: Vec<RunStatus> = RunStatus::ALL.into_iter().filter(|s| s.is_active()).collect();
    assert_eq!(active, [Pending, Running]);
}
