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

/// Flags that would override what the engine decides for the step (its permission mode or
/// sandbox, its model, its turn limit) or bypass the permission checks: refused in `extraArgs`
/// (set `permission`, `model`, `maxTurns` instead).
fn overriding_flags(agent: AgentKind) -> &'static [&'static str] {
    match agent {
        AgentKind::Claude => &[
            "--dangerously-skip-permissions",
            "--allow-dangerously-skip-permissions",
            "--settings",
            "--max-turns",
            "--model",
            "--json-schema",
        ],
        AgentKind::Codex => &[
            "--sandbox",
            "-s",
            "--dangerously-bypass-approvals-and-sandbox",
            "--full-auto",
            "-C",
            "--cd",
            "-c",
            "--config",
            "-p",
            "--profile",
            "--ask-for-approval",
            "-a",
            "-m",
            "--model",
            "--output-schema",
        ],
        AgentKind::Gemini => &["-m", "--model", "-s", "--sandbox"],
    }
}

/// The engine flag an argument sets, if it does (`--output-format`, `--output-format=json`,
/// a short one with its value attached: `-mo3`).
fn engine_flag(agent: AgentKind, arg: &str) -> Option<&'static str> {
    let name = arg.split_once('=').map_or(arg, |(n, _)| n);
    let all = || engine_flags(agent).iter().chain(overriding_flags(agent)).copied();
    all().find(|f| *f == name).or_else(|| {
        // `-sVALUE`: a single-dash letter with its value attached.
        let short = arg
            .get(..2)
            .filter(|s| s.starts_with('-') && !arg.starts_with("--") && arg.len() > 2)?;
        all().find(|f| *f == short)
    })
}

/// Codex config keys (`-c key=value`) that decide its sandbox, approvals or model.
fn overriding_codex_key(key: &str) -> bool {
    let key = key.trim();
    ["sandbox", "approval", "profile", "model_provider"]
        .iter()
        .any(|p| key.starts_with(p))
        || key == "model"
}

/// Why argument `i` of `args` may not be passed, if it may not. Codex's `-c`/`--config` is
/// refused only for a key that decides its sandbox, approvals or model (`-c
/// mcp_servers.<name>...` and `-c model_reasoning_effort=...` are taken).
fn refused_arg(agent: AgentKind, args: &[String], i: usize) -> Option<String> {
    let arg = &args[i];
    let flag = engine_flag(agent, arg)?;
    let name = agent.as_str();
    if agent == AgentKind::Codex && matches!(flag, "-c" | "--config") {
        let value = match arg.split_once('=') {
            Some((_, v)) if arg.starts_with("--") => Some(v.to_string()),
            _ if arg.len() > 2 && !arg.starts_with("--") => Some(arg[2..].to_string()),
            _ => args.get(i + 1).cloned(),
        };
        let key = value.as_deref().map(|v| v.split_once('=').map_or(v, |(k, _)| k));
        return match key {
            Some(key) if !overriding_codex_key(key) => None,
            Some(key) => Some(format!(
                "must not set {flag} {key}: it would override the step's sandbox, approvals or model (set `permission`, `model` instead)"
            )),
            None => Some(format!("must not end with {flag}: it needs a key=value")),
        };
    }
    Some(if engine_flags(agent).contains(&flag) {
        format!("must not set {flag}: the engine passes it to {name} itself")
    } else {
        format!(
            "must not set {flag}: it would override the step's permission, sandbox, model or turn limit (set `permission`, `model`, `maxTurns` instead)"
        )
    })
}

/// Why a path of `key` may not be used: absolute, or climbing out of the workdir with `..`.
pub fn outside_workdir(key: &str, path: &str) -> Option<String> {
    if std::path::Path::new(path).is_absolute() {
        return Some(format!("{key}: {path:?} must be relative to the workdir, not absolute"));
    }
    let mut depth = 0i32;
    for part in std::path::Path::new(path).components() {
        match part {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return Some(format!("{key}: {path:?} climbs out of the workdir (`..`)"));
        }
    }
    None
}

/// Reads the controls of agent step `node` into `step` (whose `agent` is read already).
pub(super) fn read<R: Reader>(r: &mut R, node: &R::W, step: &mut StepConfig) {
    step.allowed_tools = list(r, node, "allowedTools");
    step.disallowed_tools = list(r, node, "disallowedTools");
    step.add_dirs = list(r, node, "addDirs");
    if let Some(problem) = step.add_dirs.iter().find_map(|d| outside_workdir("addDirs", d)) {
        let n = node.opt("addDirs").expect("read above");
        r.problem(At::Value(n), &["addDirs"], Problem::Invalid(problem));
        step.add_dirs.clear();
    }
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
        if let Some(problem) = (0..step.extra_args.len()).find_map(|i| refused_arg(agent, &step.extra_args, i)) {
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
        Value::String(path) if !path.trim().is_empty() => match outside_workdir("mcpConfig", &path) {
            Some(problem) => invalid(r, value, "mcpConfig", &problem),
            None => text_ok(r, value, "mcpConfig", &path).map(Value::String),
        },
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
        assert_eq!(engine_flag(AgentKind::Codex, "-sdanger-full-access"), Some("-s"));
        assert_eq!(engine_flag(AgentKind::Gemini, "--yolo"), Some("--yolo"));
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            refused_arg(AgentKind::Codex, &args(&["-c", "mcp_servers.x.command=y"]), 0),
            None
        );
        assert_eq!(
            refused_arg(AgentKind::Codex, &args(&["-cmodel_reasoning_effort=low"]), 0),
            None
        );
        assert!(refused_arg(AgentKind::Codex, &args(&["-c"]), 0).is_some());
        assert!(refused_arg(AgentKind::Codex, &args(&["-c", "sandbox_mode=danger-full-access"]), 0).is_some());
        assert!(refused_arg(AgentKind::Codex, &args(&["--config=model=o3"]), 0).is_some());
        assert!(refused_arg(AgentKind::Claude, &args(&["--model=opus"]), 0).is_some());
        assert_eq!(outside_workdir("addDirs", "docs/../src"), None);
        assert!(outside_workdir("addDirs", "docs/../../x").is_some());
        assert!(outside_workdir("mcpConfig", "/etc/passwd").is_some());
    }
}
