//! Every enum against its wire strings (the migrated database's `CHECK` lists are compared
//! with them in `store::schema_checks`), so a value cannot be added in one place only.

use super::*;

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
        DefinitionKind,
        Isolation,
        KeepPolicy,
        WorkspaceState
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
