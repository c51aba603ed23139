//! The one model every workflow file becomes, whatever its format.
//!
//! `yaml` parses YAML pipelines (steps known up front); `typescript` checks what a JS worker
//! reports of a `.ts` module's default export (its steps are found as `execute(ctx)` runs and
//! read by `step_json`). Both front-ends build steps with `step_build`, by the one table of
//! step fields in `step_rules` (which the JS worker follows too). YAML's `{{ }}` templates
//! (`template`) and `if:` conditions (`expr`) name the run's values by `refs`, checked
//! against what each step's data can hold (`step_data`); `schema` turns arguments
//! into a validated JSON object; `names` keeps invisible characters out of the names people
//! read. A parsed definition is what `definition.json` snapshots for every run.

pub mod agent_controls;
pub mod budget;
pub mod concurrency;
pub mod duration;
pub mod expr;
pub mod names;
pub mod refs;
pub mod retry;
pub mod run_name;
pub mod schema;
pub mod source;
pub mod step_build;
pub mod step_data;
pub mod step_json;
pub mod step_rules;
pub mod template;
pub mod typescript;
pub mod workspace;
pub mod yaml;

pub use step_rules::validate_step_id;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::domain::{DefinitionKind, StepKind};

impl DefinitionKind {
    /// The kind a file's extension says it is, if any.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "ts" | "mts" | "js" | "mjs" => Some(DefinitionKind::Code),
            "yaml" | "yml" => Some(DefinitionKind::Yaml),
            _ => None,
        }
    }
}

/// A parsed workflow: the spec's `WorkflowDefinition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: DefinitionKind,
    /// Absolute path of the file it was read from.
    pub path: PathBuf,
    pub phases: Vec<String>,
    /// Always JSON Schema, whatever the file wrote (zod is converted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_schema: Option<Value>,
    /// How runs are named when no name is given (`runName`): a `{{ args.x }}` template, or
    /// `run_name::FUNCTION_MARKER` for a TypeScript function of the arguments (`run_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    /// Run-level timeout in milliseconds, from the file (`timeout:`); `--timeout` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The run's spending limits, from the file (`budget:`); the API's and the CLI's override it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<budget::Budget>,
    /// How many runs with the same key run at once (`concurrency: { key, limit }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<concurrency::Concurrency>,
    /// Where the run's steps work (`workspace:`): the checkout, or a git worktree of its own;
    /// a run's own settings (API, CLI) are merged over these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<workspace::WorkspaceSpec>,
    /// YAML steps, known before the run. Empty for code workflows, whose steps are found as
    /// `execute(ctx)` runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepConfig>,
    /// A TypeScript workflow's file and the local modules it imported, as its worker loaded
    /// them (`source`): kept with each run, not part of `definition.json`.
    #[serde(skip)]
    pub sources: Vec<source::SourceFile>,
}

/// One step's configuration: the spec's `StepConfig` union, flattened. Which fields apply is
/// decided by `kind`; the parsers reject fields that do not belong to the kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepConfig {
    pub id: String,
    pub name: String,
    pub phase: String,
    #[serde(rename = "type")]
    pub kind: Option<StepKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// Agent steps: the model to ask the CLI for (`--model`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Agent steps: the most turns the agent may take (Claude `--max-turns`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
    /// Agent steps: the most US dollars one go of the step may spend (`maxCostUsd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_usd: Option<f64>,
    /// Agent steps: the most tokens one go of the step may use (`maxTokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Agent steps: JSON Schema the final answer must match (zod is converted); the parsed
    /// answer becomes the result's `data.output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// Agent steps: what a step interrupted by a crash does on resume: `restart` (default)
    /// runs it again from the prompt; `resume` continues the agent's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_interrupt: Option<String>,
    /// Agent steps: tool rules the agent may use without asking (`allowedTools`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_tools: Vec<String>,
    /// Agent steps: tool rules the agent may not use (`disallowedTools`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disallowed_tools: Vec<String>,
    /// Agent steps: text added to the agent's system prompt (`appendSystemPrompt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub append_system_prompt: Option<String>,
    /// Agent steps: MCP servers (`mcpConfig`): a file relative to the workdir (a string), or
    /// the configuration itself (an object), written to a file in the step's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_config: Option<Value>,
    /// Agent steps: more directories the agent may work in, relative to the workdir (`addDirs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_dirs: Vec<String>,
    /// Agent steps: arguments passed to the CLI as written, each one word (`extraArgs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_args: Vec<String>,
    /// Agent steps: how long the CLI may print nothing before it is stopped as `stalled`
    /// (`stallTimeout`, milliseconds); None: the configured default (15 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Step timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continue_on_error: bool,
    /// Script, function and agent steps: how failed tries are retried (`retry::RetrySpec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<retry::RetrySpec>,
    /// Approval steps: the gate's title (templated in YAML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Approval steps: Markdown shown to the person deciding (templated in YAML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Approval steps: who may decide (emails); empty: anyone who may see the project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    /// Approval steps: what a timeout decides: `reject` (default), `approve` or `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<String>,
    /// Approval steps: JSON Schema of the input the person fills in when deciding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Value>,
    /// Sleep steps: how long, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Signal steps: the name of the signal waited for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// YAML: the condition the step runs under (`if:`, `definition::expr`); when it is false
    /// the step is recorded `skipped` with the condition as the reason.
    #[serde(default, rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Where the step was written, for error messages (`file:line:col`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// YAML: the secrets the step's definition names, the only ones it may get (set as it is
    /// rendered); None for TypeScript, whose code may name any.
    #[serde(skip)]
    pub secrets: Option<Vec<String>>,
}

/// A position in a definition file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    #[schema(value_type = String)]
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A definition that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, utoipa::ToSchema)]
#[error("{}{message}", location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct DefinitionError {
    pub message: String,
    pub location: Option<Location>,
}

impl DefinitionError {
    pub fn at(location: Option<Location>, message: impl Into<String>) -> Self {
        DefinitionError {
            message: message.into(),
            location,
        }
    }

    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        DefinitionError {
            message: message.into(),
            location: Some(Location {
                file: file.to_path_buf(),
                line: 1,
                column: 1,
            }),
        }
    }
}

/// A duration for people: `850ms`, `1.2s`, `3m 05s`.
pub fn format_ms(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms}ms"),
        1_000..=59_999 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}
