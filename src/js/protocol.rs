//! The line-delimited JSON spoken between the engine (`engine::js_child`) and a JS worker
//! process (`js::child`): one enum per direction, defined here and used by both ends.
//!
//! The engine writes `ToChild` lines to the child's stdin; the child writes `FromChild` lines
//! to its stdout (which carries nothing else: console output travels as `Log`). One `Load`,
//! then any number of `CheckArgs` and `RunName`, then at most one `Run`. While a run goes, each `ctx` call
//! is a `Call` answered by a `Reply` with the same id, in any order, so steps started together
//! with `Promise.all` proceed together. `Pause` and `PauseSeen` are the pause handshake
//! (`engine::pause_handshake`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::definition::Location;

/// What the engine tells the child.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToChild {
    /// Load the workflow module and describe it.
    Load {
        file: String,
        project_path: String,
        /// Applied to the child's JavaScript thread before the module runs.
        #[serde(default)]
        confine: Option<crate::subprocess::confine::WorkerConfinement>,
    },
    /// Check a run's arguments with the workflow's zod `argsSchema` (its refinements,
    /// discriminated unions and transforms), before the run is created.
    CheckArgs { args: Value },
    /// Call the workflow's `runName` function with a run's arguments (answered `RunNamed`).
    RunName { args: Value },
    /// Run `execute(ctx)`.
    Run {
        run_id: String,
        /// Where the run's steps work (its worktree, or the project): `ctx.projectPath`.
        project_path: String,
        /// The project checkout: `ctx.repoPath`.
        #[serde(default)]
        repo_path: String,
        args: Value,
        results: Value,
        /// The tag of `ctx.secrets` references (`engine::secrets`).
        secrets_tag: String,
        /// Steps a retry wait holds: a function step among them asks before it runs.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ask: Vec<String>,
    },
    /// The run is pausing: from now on every step asks before it starts (a function step
    /// otherwise starts at once and the engine records its start meanwhile).
    Pause,
    /// The answer to the `Call` with this id: its value, or the error `ctx` throws.
    Reply { id: u64, result: Result<Value, String> },
}

/// What the child tells the engine.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromChild {
    /// The module loaded; `definition` is what `__wfDescribe` returned, `sources` the local
    /// modules loaded for it (the workflow file first), as they were read.
    Loaded {
        definition: Value,
        #[serde(default)]
        sources: Vec<crate::definition::source::SourceFile>,
    },
    /// The module did not load or is not a workflow.
    LoadError {
        message: String,
        location: Option<Location>,
    },
    /// What zod found wrong with the arguments of `CheckArgs` (`args.path: message`); empty
    /// when nothing (or when the schema is JSON Schema, which the engine checks itself).
    ArgsChecked { problems: Vec<String> },
    /// What the workflow's `runName` function returned for `RunName`, or why there is none.
    RunNamed {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        error: Option<String>,
    },
    /// A `ctx` operation, answered by a `Reply` with the same id.
    Call { id: u64, call: CtxCall },
    /// A new function step is running (its `fn` started): record its start. Not answered:
    /// a problem with it is the answer to its `StepFinish`.
    StepBegin { step_id: String, config: Value },
    /// The child has read `Pause`: every function step it started without asking was
    /// announced (`StepBegin`) before this line.
    PauseSeen,
    /// A console line, and the function steps whose `fn` was running when it was printed.
    Log {
        level: String,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        steps: Vec<String>,
    },
    /// `execute` resolved.
    Done,
    /// `execute` awaits only waits (approval, sleep, signal) and nothing else can happen:
    /// the run is `waiting`, and this worker exits.
    Suspended,
    /// `execute` rejected (or never settled).
    Failed { message: String },
}

/// The `ctx` operations the engine serves for a running workflow.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CtxCall {
    /// `ctx.step` of a step the engine runs or replays (or a function step that asks first):
    /// answered with a `StepStartAnswer`.
    StepStart { step_id: String, config: Value },
    /// A function step's `fn` ended: answered with the step's result.
    StepFinish { step_id: String, outcome: FunctionOutcome },
    /// A try of a function step with a `retry` policy failed: answered, after the wait
    /// before the next try, with `{retry: true}`, or with `{retry: false}` (and an `error`
    /// to report instead, when the run stopped meanwhile or no time is left).
    StepRetry { step_id: String, outcome: FunctionOutcome },
    /// `ctx.checkpoint()`.
    Checkpoint,
    /// `ctx.comment(text, stepId)`.
    Comment { text: String, step_id: Option<String> },
    /// `ctx.exec(command, cwd)`: answered with its exit code and output.
    Exec { command: String, cwd: Option<String> },
}

/// The answer to `StepStart`, as the harness reads it (`action`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum StepStartAnswer {
    /// The step's result (stored by an earlier attempt, or just produced).
    Return { result: Value },
    /// A function step was recorded as started: run its `fn`.
    Run,
    /// The step waits (approval, sleep, signal): its promise stays pending in this worker.
    Wait,
}

/// How a function step's `fn` ended, as the harness reports it (`runFunctionStep`).
#[derive(Debug, Serialize, Deserialize)]
pub struct FunctionOutcome {
    pub ok: bool,
    /// What `fn` returned, in its JSON form; `Some(Null)` when it returned `null`, `None`
    /// when it returned nothing.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    pub error: Option<String>,
    pub stack: Option<String>,
    /// The error was a `NonRetryableError` (or had `nonRetryable: true`).
    #[serde(default, rename = "nonRetryable", skip_serializing_if = "std::ops::Not::not")]
    pub non_retryable: bool,
    /// The error's `retryAfter`: milliseconds, or a duration like "2s".
    #[serde(default, rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<Value>,
}

/// A field that is present is `Some`, even when it is `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Environment variable that tells a worker process which file descriptor protocol it speaks
/// (set by the engine; a user running the hidden subcommand by hand gets a clear error).
pub const WORKER_ENV: &str = "WORKFLOW_ENGINE_WORKER";

/// The JS heap limit of a worker, in MB (`--worker-memory-mb`); workers inherit it.
pub const WORKER_MEMORY_ENV: &str = "WORKFLOW_ENGINE_WORKER_MEMORY_MB";

/// Enough for any workflow's own logic; a runaway allocation stops here, not at the machine's.
pub const DEFAULT_WORKER_MEMORY_MB: u64 = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_step_returning_null_keeps_its_null_data() {
        let null: FunctionOutcome = serde_json::from_str(r#"{"ok":true,"data":null}"#).unwrap();
        assert_eq!(null.data, Some(Value::Null));
        let nothing: FunctionOutcome = serde_json::from_str(r#"{"ok":true}"#).unwrap();
        assert_eq!(nothing.data, None);
        let line = serde_json::to_string(&nothing).unwrap();
        let back: FunctionOutcome = serde_json::from_str(&line).unwrap();
        assert_eq!(back.data, None);
    }

    #[test]
    fn a_call_survives_the_line_between_the_processes() {
        let call = FromChild::Call {
            id: 7,
            call: CtxCall::Comment {
                text: "hi".into(),
                step_id: None,
            },
        };
        let line = serde_json::to_string(&call).unwrap();
        let back: FromChild = serde_json::from_str(&line).unwrap();
        assert!(matches!(
            back,
            FromChild::Call { id: 7, call: CtxCall::Comment { text, step_id: None } } if text == "hi"
        ));
    }

    #[test]
    fn the_step_start_answer_is_what_the_harness_reads() {
        let run = serde_json::to_value(StepStartAnswer::Run).unwrap();
        assert_eq!(run, serde_json::json!({ "action": "run" }));
        let ret = serde_json::to_value(StepStartAnswer::Return {
            result: Value::Bool(true),
        })
        .unwrap();
        assert_eq!(ret, serde_json::json!({ "action": "return", "result": true }));
    }
}
