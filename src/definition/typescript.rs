//! What a JS worker reports of a TypeScript workflow (the `defineWorkflow({ name, phases,
//! argsSchema, timeout, ... })` metadata, as `__wfDescribe` returns it) checked and turned
//! into a `WorkflowDefinition`. The worker checked the same fields; this side holds the
//! rules the YAML front-end shares (names, durations). Its steps are found as `execute(ctx)`
//! runs, each checked by `step_json`.

use std::path::Path;

use serde_json::Value;

use super::names::check_name;
use super::{duration, DefinitionError, DefinitionKind, Location, WorkflowDefinition};

/// The definition in `described`, read from `file`. `locate(key)` finds where a top-level key
/// of `defineWorkflow({...})` is written, for the error's location.
pub fn from_described(
    file: &Path,
    described: Value,
    locate: impl Fn(&str) -> Option<Location>,
) -> Result<WorkflowDefinition, Vec<DefinitionError>> {
    let err = |m: String| vec![DefinitionError::in_file(file, m)];
    let timeout_ms = match described.get("timeout") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            duration::duration_from_json(v)
                .map_err(|e| vec![DefinitionError::at(locate("timeout"), format!("timeout: {e}"))])?,
        ),
    };
    let budget = match described.get("budget") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            super::budget::Budget::from_json(v)
                .map_err(|(_, e)| vec![DefinitionError::at(locate("budget"), format!("budget: {e}"))])?,
        ),
    };
    let workspace = match described.get("workspace") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            super::workspace::WorkspaceSpec::from_json(v)
                .map_err(|(_, e)| vec![DefinitionError::at(locate("workspace"), format!("workspace: {e}"))])?,
        ),
    };
    let phases: Vec<String> = serde_json::from_value(described.get("phases").cloned().unwrap_or(Value::Null))
        .map_err(|e| err(format!("phases: {e}")))?;
    let name = described
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let named = std::iter::once(("name", &name)).chain(phases.iter().map(|p| ("phases[]", p)));
    for (field, text) in named {
        check_name(field, text).map_err(|e| vec![DefinitionError::at(locate(field.trim_end_matches("[]")), e)])?;
    }
    let run_name = match described.get("runName") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t == super::run_name::FUNCTION_MARKER => Some(t.clone()),
        Some(Value::String(t)) => {
            super::template::check_args_only(t, &args_scope(&described))
                .map_err(|(_, e)| vec![DefinitionError::at(locate("runName"), format!("runName: {e}"))])?;
            Some(t.clone())
        }
        Some(_) => {
            let m = "runName: must be a string template or a function of the arguments";
            return Err(vec![DefinitionError::at(locate("runName"), m)]);
        }
    };
    let concurrency = match described.get("concurrency") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let at = |field: Option<&str>, e: String| {
                let path = field.map_or("concurrency".to_string(), |f| format!("concurrency.{f}"));
                let e = e
                    .strip_prefix(&format!("{}: ", field.unwrap_or("-")))
                    .unwrap_or(&e)
                    .to_string();
                vec![DefinitionError::at(locate("concurrency"), format!("{path}: {e}"))]
            };
            let c = super::concurrency::Concurrency::from_json(v).map_err(|(f, e)| at(f, e))?;
            c.check(&args_scope(&described)).map_err(|(_, e)| at(Some("key"), e))?;
            Some(c)
        }
    };
    Ok(WorkflowDefinition {
        name,
        description: described.get("description").and_then(Value::as_str).map(str::to_string),
        kind: DefinitionKind::Code,
        path: file.to_path_buf(),
        phases,
        args_schema: described.get("argsSchema").filter(|v| !v.is_null()).cloned(),
        run_name,
        timeout_ms,
        budget,
        concurrency,
        workspace,
        steps: Vec::new(),
        sources: Vec::new(),
    })
}

/// What a TypeScript `runName` or concurrency key template may name: the declared arguments,
/// no steps.
struct ArgsScope(Option<Vec<String>>);

fn args_scope(described: &Value) -> ArgsScope {
    let known = described
        .pointer("/argsSchema/properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect());
    ArgsScope(known)
}

impl super::refs::Scope for ArgsScope {
    fn known_args(&self) -> Option<&[String]> {
        self.0.as_deref()
    }

    fn step(&self, _: &str) -> Option<&super::step_data::Produced> {
        None
    }
}
