//! Agent steps: the Claude Code, Codex and Gemini CLIs driven as workflow steps.
//!
//! A [`Driver`] knows one CLI: the command line for a request, how to read one line of its
//! stream into [`AgentEvent`]s, and where the CLI keeps its own transcript. [`exec`] runs any
//! driver the same way (process group, stdin closed, lines of any length, stop and timeout
//! escalation, retries); [`classify`] names why an attempt failed. The command lines, event
//! shapes and permission mapping follow `shared/design/agent-clis.md`.

pub mod classify;
pub mod claude;
pub mod codex;
pub mod config;
pub mod exec;
mod exec_io;
pub mod gemini;
mod session_files;
pub mod stall;
pub mod words;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use config::AgentsConfig;

pub use crate::domain::{AgentKind, Permission};

impl AgentKind {
    /// The server's variables this CLI's steps get beyond the common step environment
    /// (`crate::subprocess::env`): its own credentials and settings, which no other step sees.
    pub fn credential_env(self) -> &'static [&'static str] {
        match self {
            AgentKind::Claude => &["ANTHROPIC_*", "CLAUDE_CODE_*", "CLAUDE_CONFIG_DIR"],
            AgentKind::Codex => &["OPENAI_*", "CODEX_*"],
            AgentKind::Gemini => &["GEMINI_*", "GOOGLE_*"],
        }
    }

    /// Whether the CLI can continue a copy of a session under a new id (claude
    /// `--resume ID --fork-session`, codex `exec fork ID`); gemini cannot (0.61.0).
    pub fn can_fork(self) -> bool {
        matches!(self, AgentKind::Claude | AgentKind::Codex)
    }

    /// The executable looked up on `PATH` when nothing is configured.
    pub fn default_program(self) -> &'static str {
        self.as_str()
    }

    pub fn driver(self) -> Box<dyn Driver> {
        match self {
            AgentKind::Claude => Box::<claude::Claude>::default(),
            AgentKind::Codex => Box::<codex::Codex>::default(),
            AgentKind::Gemini => Box::<gemini::Gemini>::default(),
        }
    }
}

/// What one attempt of an agent step asks the CLI for.
#[derive(Debug, Clone)]
pub struct AgentRequest {
    pub prompt: String,
    pub permission: Permission,
    pub model: Option<String>,
    pub max_turns: Option<u32>,
    /// JSON Schema for the final answer.
    pub output_schema: Option<Value>,
    /// Where a driver that takes the schema as a file (Codex) finds it.
    pub output_schema_file: Option<PathBuf>,
    /// Continue this CLI session instead of starting a new one.
    pub resume: Option<String>,
    /// With `resume`: continue a copy of that session under a new id (a rerun), leaving the
    /// original as it was. Only for CLIs that `can_fork`.
    pub fork: bool,
    /// The step's controls, mapped to the CLI's flags (`definition::agent_controls`).
    pub controls: Controls,
    /// Whether the engine runs as root (Claude refuses bypass mode as root outside a sandbox).
    pub is_root: bool,
}

/// An agent step's controls, ready for the command line: paths resolved against the workdir,
/// an MCP configuration object already written to a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Controls {
    pub allowed_tools: Vec<String>,
    pub disallowed_tools: Vec<String>,
    pub append_system_prompt: Option<String>,
    pub mcp_config: Option<PathBuf>,
    pub add_dirs: Vec<PathBuf>,
    /// Passed as written, after the driver's own flags (before Codex's subcommand).
    pub extra_args: Vec<String>,
}

/// `--flag=value` for each value (one argument each, so that a variadic flag cannot swallow
/// what follows it).
pub(crate) fn each(flag: &str, values: impl IntoIterator<Item = impl AsRef<std::ffi::OsStr>>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| format!("{flag}={}", v.as_ref().to_string_lossy()))
        .collect()
}

/// How to start the CLI, beyond its program and configured arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invocation {
    pub args: Vec<String>,
    pub env_set: Vec<(String, String)>,
    pub env_remove: Vec<String>,
    /// Written to stdin, which is then closed; `None` gives the CLI `/dev/null`.
    pub stdin: Option<String>,
    /// Things the step cannot honour with this CLI, for the step's log.
    pub warnings: Vec<String>,
}

/// Token counts, as far as the CLI reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub input: Option<u64>,
    pub output: Option<u64>,
    pub cached: Option<u64>,
}

/// The CLI's terminal event: how it says the session ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Final {
    pub is_error: bool,
    /// The answer (success), or the error text (failure).
    pub text: Option<String>,
    pub structured: Option<Value>,
    /// Claude's `subtype`, Gemini's error `type`.
    pub subtype: Option<String>,
    /// HTTP status of a failed API call, where the CLI reports it.
    pub api_status: Option<u16>,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub num_turns: Option<u64>,
    pub permission_denials: Option<Value>,
}

/// One thing the agent did, normalised across CLIs.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// The CLI's session id, as soon as the stream shows it.
    Session {
        id: String,
        model: Option<String>,
    },
    /// Assistant text: a whole message, or a chunk of one (`delta`).
    Text {
        text: String,
        delta: bool,
    },
    Thinking {
        text: String,
    },
    ToolCall {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        id: String,
        output: String,
        is_error: bool,
    },
    /// Usage reported before the end (Codex reports it per turn).
    Usage(Usage),
    /// A non-fatal error or notice from the CLI.
    Warning(String),
    /// The terminal event.
    Final(Box<Final>),
}

/// One CLI: its command line, its stream, its transcript file.
pub trait Driver: Send {
    fn kind(&self) -> AgentKind;
    /// The arguments (after the configured program and extra arguments), environment
    /// changes and stdin for `req`.
    fn invocation(&self, req: &AgentRequest) -> Invocation;
    /// Reads one stdout line. Lines that are not JSON, or of unknown types, give nothing;
    /// it never fails.
    fn parse_line(&mut self, line: &str) -> Vec<AgentEvent>;
    /// The CLI's own JSONL transcript of `session_id`, if it exists. `env` looks up the
    /// variables the CLI sees (`HOME`, `CLAUDE_CONFIG_DIR`, ...).
    fn session_file(&self, session_id: &str, cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf>;
    /// Makes `session_id` resumable from `cwd`, where the CLI keeps sessions per folder.
    fn prepare_resume(
        &self,
        _session_id: &str,
        _cwd: &Path,
        _env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), String> {
        Ok(())
    }
}

/// The JSON object on a line, if the line is one.
pub(crate) fn json_line(line: &str) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_str::<Value>(line.trim()) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A string field, or nothing.
pub(crate) fn text_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Environment for the CLI: the engine's own, then the agent's configured variables, then the
/// step's.
pub fn merged_env(configured: &BTreeMap<String, String>, step: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = configured.clone();
    env.extend(step.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}

/// Whether this process runs as root.
pub fn running_as_root() -> bool {
    crate::sys::process::running_as_root()
}
