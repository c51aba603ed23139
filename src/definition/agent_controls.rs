//! An agent step's controls: `allowedTools`, `disallowedTools`, `appendSystemPrompt`,
//! `mcpConfig`, `addDirs`, `extraArgs` and `stallTimeout`. Which flag each CLI has for each
//! (checked against the real CLIs' `--help`: claude 2.1.197, codex 0.171.0, gemini 0.61.0), and
//! the step builder's reading of them: a step that asks a CLI for a control it has no flag for
//! is refused as the definition loads (YAML at `file:line:col`, TypeScript at the field).

use serde_json::Value;

use super::step_build::{At, Problem, Reader, Written};
use super::step_rules::Front;
use super::{duration, StepConfig};
use crate::domain::AgentKind;

/// The controls a CLI may lack a flag for, in the order the table lists them.
pub const CONTROLS: &[&str] = &[
    "allowedTools",
    "disallowedTools",
    "appendSystemPrompt",
    "mcpConfig",
    "addDirs",
];

/// The flag `agent` takes for the control `key`; None when the CLI has none.
pub fn flag(agent: AgentKind, key: &str) -> Option<&'static str> {
    use AgentKind::{Claude, Codex, Gemini};
    match (key, agent) {
        ("allowedTools", Claude) => Some("--allowedTools"),
        // Deprecated in favour of gemini's policy engine, but still taken (0.61.0).
        ("allowedTools", Gemini) => Some("--allowed-tools"),
        ("disallowedTools", Claude) => Some("--disallowedTools"),
        ("appendSystemPrompt", Claude) => Some("--append-system-prompt"),
        ("mcpConfig", Claude) => Some("--mcp-config"),
        ("addDirs", Claude | Codex) => Some("--add-dir"),
        ("addDirs", Gemini) => Some("--include-directories"),
        _ => None,
    }
}

/// Why `agent` cannot take `key`, and what to do instead.
pub fn unsupported(agent: AgentKind, key: &str) -> String {
    let name = agent.as_str();
    let instead = match (agent, key) {
        (AgentKind::Codex, "allowedTools" | "disallowedTools") => {
            "codex exec never asks: its sandbox (`permission`) decides what runs"
        }
        (AgentKind::Gemini, "disallowedTools") => "use a gemini policy file: extraArgs: [\"--policy\", \"<file>\"]",
        (AgentKind::Codex, "appendSystemPrompt") => "put the instructions in AGENTS.md or in the prompt",
        (AgentKind::Gemini, "appendSystemPrompt") => "put the instructions in GEMINI.md or in the prompt",
        (AgentKind::Codex, "mcpConfig") => {
            "configure mcp_servers in codex's config.toml, or pass extraArgs: [\"-c\", \"mcp_servers.<name>.command=...\"]"
        }
        (AgentKind::Gemini, "mcpConfig") => "configure mcpServers in gemini's settings.json",
        _ => "remove it",
    };
    format!("is not supported by {name}: the {name} CLI has no flag for it ({instead})")
}

/// Flags the engine sets itself, per CLI: `extraArgs` may not set them again (the engine
/// reads the CLI's stream, session and answer through them).
fn engine_flags(agent: AgentKind) -> &'static [&'static str] {
    match agent {
        AgentKind::Claude => &[
            "-p",
            "--print",
            "--output-format",
            "--verbose",
            "--input-format",
            "--permission-mode",
            "--resume",
            "-r",
            "--session-id",
            "--fork-session",
            "--continue",
            "-c",
        ],
        AgentKind::Codex => &[
            "exec",
            "resume",
            "fork",
            "--json",
            "--experimental-json",
            "-o",
            "--output-last-message",
        ],
        AgentKind::Gemini => &[
            "-p",
            "--prompt",
            "-o",
            "--output-format",
            "--approval-mode",
            "-y",
            "--yolo",
            "-r",
            "--resume",
            "--session-id",
            "-i",
            "--prompt-interactive",
        ],
    }
}

/// The engine flag an argument sets, if it does (`--output-format`, `--output-format=json`).
fn engine_flag(agent: AgentKind, arg: &str) -> Option<&'static str> {
    let name = arg.split_once('=').map_or(arg, |(n, _)| n);
    engine_flags(agent).iter().copied().find(|f| *f == name)
}

/// Reads the controls of agent step `node` into `step` (whose `agent` is read already).
pub(super) fn read<R: Reader>(r: &mut R, node: &R::W, step: &mut StepConfig) {
    step.allowed_tools = list(r, node, "allowedTools");
    step.disallowed_tools = list(r, node, "disallowedTools");
    step.add_dirs = list(r, node, "addDirs");
    step.extra_args = list(r, node, "extraArgs");
    step.append_system_prompt = node.opt("appendSystemPrompt").and_then(|n| match n.as_str() {
        Some(text) if !text.trim().is_empty() => text_ok(r, n, "appendSystemPrompt", text),
        _ => invalid(r, n, "appendSystemPrompt", "must be text, not empty"),
    });
    step.mcp_config = node.opt("mcpConfig").and_then(|n| mcp_config(r, n));
    step.stall_timeout_ms = node
        .opt("stallTimeout")
        .and_then(|n| match duration::duration_from_json(&n.json()) {
            Ok(ms) if ms > 0 => Some(ms),
            Ok(_) => invalid(r, n, "stallTimeout", "must be longer than 0"),
            Err(e) => {
                r.problem(At::Value(n), &["stallTimeout"], Problem::Duration(e));
                None
            }
        });
    let Some(agent) = step.agent.as_deref().and_then(AgentKind::parse) else {
        return;
    };
    for key in CONTROLS {
        if node.opt(key).is_some() && flag(agent, key).is_none() {
            r.problem(At::Key(node, key), &[key], Problem::Invalid(unsupported(agent, key)));
        }
    }
    if let Some(n) = node.opt("extraArgs") {
        if let Some(f) = step.extra_args.iter().find_map(|a| engine_flag(agent, a)) {
            let problem = format!("must not set {f}: the engine passes it to {} itself", agent.as_str());
            r.problem(At::Value(n), &["extraArgs"], Problem::Invalid(problem));
        }
    }
}

fn invalid<R: Reader, T>(r: &mut R, value: &R::W, key: &str, problem: &str) -> Option<T> {
    r.problem(At::Value(value), &[key], Problem::Invalid(problem.to_string()));
    None
}

/// Text as written. YAML renders none of these fields, so a `{{ }}` placeholder would reach
/// the CLI as written: refused there.
fn text_ok<R: Reader>(r: &mut R, value: &R::W, key: &str, text: &str) -> Option<String> {
    if R::FRONT == Front::Yaml && text.contains("{{") {
        return invalid(
            r,
            value,
            key,
            "is passed to the agent as written: it cannot hold a {{ }} placeholder",
        );
    }
    Some(text.to_string())
}

/// A list of non-empty strings, each one argument.
fn list<R: Reader>(r: &mut R, node: &R::W, key: &str) -> Vec<String> {
    let Some(n) = node.opt(key) else { return Vec::new() };
    let items = match n.json() {
        Value::Array(items) => items,
        other => return invalid(r, n, key, &format!("must be a list of strings, found {other}")).unwrap_or_default(),
    };
    let mut out = Vec::new();
    for item in items {
        match item.as_str() {
            Some(s) if !s.is_empty() => match text_ok(r, n, key, s) {
                Some(s) => out.push(s),
                None => return Vec::new(),
            },
            _ => {
                return invalid(r, n, key, &format!("must be a list of non-empty strings, found {item}"))
                    .unwrap_or_default()
            }
        }
    }
    out
}

/// A file (relative to the workdir) or an MCP configuration object (`{"mcpServers": {...}}`).
fn mcp_config<R: Reader>(r: &mut R, value: &R::W) -> Option<Value> {
    match value.json() {
        Value::String(path) if !path.trim().is_empty() => text_ok(r, value, "mcpConfig", &path).map(Value::String),
        Value::Object(map) if map.get("mcpServers").is_some_and(Value::is_object) => Some(Value::Object(map)),
        Value::Object(_) => invalid(
            r,
            value,
            "mcpConfig",
            "must have an \"mcpServers\" object, as claude's --mcp-config files do",
        ),
        _ => invalid(
            r,
            value,
            "mcpConfig",
            "must be a file (relative to the workdir) or an object {\"mcpServers\": {...}}",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cli_has_its_flags() {
        assert_eq!(flag(AgentKind::Claude, "allowedTools"), Some("--allowedTools"));
        assert_eq!(flag(AgentKind::Codex, "allowedTools"), None);
        assert_eq!(flag(AgentKind::Gemini, "addDirs"), Some("--include-directories"));
        assert_eq!(flag(AgentKind::Gemini, "mcpConfig"), None);
        assert!(unsupported(AgentKind::Codex, "mcpConfig").starts_with("is not supported by codex: the codex CLI"));
        assert_eq!(
            engine_flag(AgentKind::Claude, "--output-format=json"),
            Some("--output-format")
        );
        assert_eq!(engine_flag(AgentKind::Claude, "--bare"), None);
    }
}
