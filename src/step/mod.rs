//! The kinds of work a step does outside the JS worker: `script` runs a shell command;
//! `agent` drives an AI coding CLI. (`function` steps run inside the worker.)

pub mod process;
pub mod script;

/// Why agent steps fail until their drivers land.
pub const AGENT_STEPS_UNAVAILABLE: &str =
    "agent steps are not available in this build yet: the Claude Code, Codex and Gemini CLI \
     drivers are being built; use a script step that calls the CLI meanwhile";
