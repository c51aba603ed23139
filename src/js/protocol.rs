//! The line-delimited JSON spoken between the engine and a JS worker process.
//!
//! The engine writes `ToChild` lines to the worker's stdin; the worker writes `FromChild`
//! lines to its stdout (which carries nothing else: console output travels as `Log`).
//! One `Load`, then any number of `CheckArgs`, then at most one `Run`; calls are answered by `Reply` with the same id, in any
//! order, so steps started together with `Promise.all` proceed together.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::definition::Location;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToChild {
    /// Load the workflow module and describe it.
    Load {
        file: String,
        project_path: String,
        /// Applied to the worker's JavaScript thread before the module runs.
        #[serde(default)]
        confine: Option<crate::step::confine::WorkerConfinement>,
    },
    /// Check a run's arguments with the workflow's zod `argsSchema` (its refinements,
    /// discriminated unions and transforms), before the run is created.
    CheckArgs { args: Value },
    /// Run `execute(ctx)`.
    Run {
        run_id: String,
        project_path: String,
        args: Value,
        results: Value,
        /// The tag of `ctx.secrets` references (`engine::secrets`).
        secrets_tag: String,
    },
    /// The run is pausing: from now on every step asks before it starts (a function step
    /// otherwise starts at once and the engine records its start meanwhile).
    Pause,
    /// The answer to a `Call`.
    Reply {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromChild {
    /// The module loaded; `definition` is what `__wfDescribe` returned.
    Loaded { definition: Value },
    /// The module did not load or is not a workflow.
    LoadError {
        message: String,
        location: Option<Location>,
    },
    /// What zod found wrong with the arguments of `CheckArgs` (`args.path: message`); empty
    /// when nothing (or when the schema is JSON Schema, which the engine checks itself).
    ArgsChecked { problems: Vec<String> },
    /// A `ctx` operation: `stepStart`, `stepFinish`, `checkpoint`, `comment`, `exec`; or
    /// `stepBegin`, which is not answered (a new function step is running: record its start;
    /// a problem with it is the answer to its `stepFinish`).
    Call { id: u64, method: String, params: Value },
    /// The worker has read `Pause`: every function step it started without asking was
    /// announced (`stepBegin`) before this line.
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
    /// `execute` rejected (or never settled).
    Failed { message: String },
}

/// Environment variable that tells a worker process which file descriptor protocol it speaks
/// (set by the engine; a user running the hidden subcommand by hand gets a clear error).
pub const WORKER_ENV: &str = "WORKFLOW_ENGINE_WORKER";

/// The JS heap limit of a worker, in MB (`--worker-memory-mb`); workers inherit it.
pub const WORKER_MEMORY_ENV: &str = "WORKFLOW_ENGINE_WORKER_MEMORY_MB";

/// Enough for any workflow's own logic; a runaway allocation stops here, not at the machine's.
pub const DEFAULT_WORKER_MEMORY_MB: u64 = 1024;
