//! An agent step's controls and supervision in the step host: its controls made ready for
//! the command line (paths against the workdir, an MCP object written to a file), the fork of
//! the parent run's conversation a rerun's agent step continues, and the step's `warnings`
//! (denied tool calls, a fork that could not be made), kept until the step ends
//! (`step_end` stores them and puts them in `workflow.step.completed`).

use std::path::PathBuf;

use serde_json::Value;

use super::host::StepHost;
use crate::agent::{AgentKind, Controls};
use crate::definition::StepConfig;
use crate::store::agent_sessions::AgentSessionRow;
use crate::store::runs::RunRow;
use crate::store::steps::StepRow;

/// What a forked session is told, before the step's own prompt.
pub const FORK_PREAMBLE: &str = "This step of the workflow is being run again (a rerun). The conversation above \
     is your earlier attempt at it; the files may have been put back as they were before that attempt. Do the \
     task again, using what you learned. The task is:\n\n";

/// Where a rerun's agent step starts its conversation.
pub(super) enum ForkPoint {
    /// Not a rerun's from-step, or its parent ran no agent session there: a fresh session.
    None,
    /// Continue a copy of the parent run's session (claude `--resume ID --fork-session`,
    /// codex `exec fork ID`).
    Fork(String),
    /// The parent had a session, but it cannot be forked: a fresh session, and why.
    Fresh(String),
}

impl StepHost {
    /// The step's controls, ready for the CLI: directories and the MCP file resolved against
    /// the workdir; an MCP configuration object written to `mcp-config.json` in the step's
    /// folder.
    pub(super) fn agent_controls(&self, config: &StepConfig) -> Result<Controls, String> {
        let workdir = self.resolve_cwd(None);
        // Checked as the definition loads too; again here for a step built another way.
        for (key, path) in config.add_dirs.iter().map(|d| ("addDirs", d.as_str())).chain(
            config
                .mcp_config
                .as_ref()
                .and_then(Value::as_str)
                .map(|p| ("mcpConfig", p)),
        ) {
            if let Some(problem) = crate::definition::agent_controls::outside_workdir(key, path) {
                return Err(problem);
            }
        }
        let mcp_config = match &config.mcp_config {
            Some(Value::String(path)) => Some(inside(&workdir, path).ok_or_else(|| {
                // The same words whether it is missing or leads out (a symlink): nothing is
                // said of what is outside the workdir.
                format!("mcpConfig: {path:?} is not a file in the workdir")
            })?),
            Some(object @ Value::Object(_)) => {
                let dir = self.files.step_dir(&config.id);
                let file = dir.join("mcp-config.json");
                std::fs::create_dir_all(&dir)
                    .and_then(|_| std::fs::write(&file, serde_json::to_vec_pretty(object).expect("JSON")))
                    .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                Some(file)
            }
            _ => None,
        };
        if let Some(file) = mcp_config.as_ref().filter(|f| !f.is_file()) {
            return Err(format!("mcpConfig: {} is not a file in the workdir", file.display()));
        }
        Ok(Controls {
            allowed_tools: config.allowed_tools.clone(),
            disallowed_tools: config.disallowed_tools.clone(),
            append_system_prompt: config.append_system_prompt.clone(),
            mcp_config,
            add_dirs: config
                .add_dirs
                .iter()
                .map(|d| workdir.join(d))
                .collect::<Vec<PathBuf>>(),
            extra_args: config.extra_args.clone(),
        })
    }

    /// A rerun from this step: the parent run's session of the step, if it had one. Only the
    /// step the rerun starts from forks; the agent steps after it start fresh, as their parent
    /// conversations followed from what the rerun is redoing.
    pub(super) async fn fork_point(&self, config: &StepConfig, kind: AgentKind) -> ForkPoint {
        let store = self.engine.store();
        let Ok(Some(run)) = RunRow::get(store, &self.run_id).await else {
            return ForkPoint::None;
        };
        let (Some(parent), Some(from)) = (run.parent_run_id.as_deref(), run.forked_from_step.as_deref()) else {
            return ForkPoint::None;
        };
        if from != config.id {
            return ForkPoint::None;
        }
        let Ok(Some(step)) = StepRow::get(store, parent, &config.id).await else {
            return ForkPoint::None;
        };
        let Some(id) = step.agent_session_id.as_deref() else {
            return ForkPoint::None;
        };
        let Ok(Some(session)) = AgentSessionRow::get(store, id).await else {
            return ForkPoint::None;
        };
        let Some(session_id) = session.session_id.clone() else {
            return ForkPoint::None;
        };
        let name = kind.as_str();
        if !kind.can_fork() {
            return ForkPoint::Fresh(format!("{name} cannot fork a conversation; started fresh"));
        }
        if session.agent != kind {
            return ForkPoint::Fresh(format!(
                "run {parent}'s conversation of this step was with {}, not {name}; started fresh",
                session.agent.as_str()
            ));
        }
        if !session.resumable {
            return ForkPoint::Fresh(format!(
                "{name} never saved run {parent}'s conversation {session_id}, so it cannot be forked; started fresh"
            ));
        }
        ForkPoint::Fork(session_id)
    }

    /// Adds a warning to the step's, stored and sent when it ends.
    pub(super) fn add_warning(&self, step_id: &str, warning: String) {
        let mut state = self.state.lock().expect("host lock");
        let list = state.warnings.entry(step_id.to_string()).or_default();
        if !list.contains(&warning) {
            list.push(warning);
        }
    }

    /// The step's warnings, taken as it ends.
    pub(super) fn take_warnings(&self, step_id: &str) -> Vec<String> {
        let mut state = self.state.lock().expect("host lock");
        state.warnings.remove(step_id).unwrap_or_default()
    }
}

/// "2 tool calls were denied: Bash(rm -rf build), Write(/etc/x)", from the CLI's
/// `permission_denials` (claude: `{tool_name, tool_input}`); None when there were none.
pub(super) fn denial_warning(denials: &Value) -> Option<String> {
    let list = denials.as_array().filter(|l| !l.is_empty())?;
    let shown: Vec<String> = list.iter().take(5).map(denied_call).collect();
    let more = if list.len() > shown.len() {
        format!(" and {} more", list.len() - shown.len())
    } else {
        String::new()
    };
    let calls = if list.len() == 1 {
        "1 tool call was".to_string()
    } else {
        format!("{} tool calls were", list.len())
    };
    Some(format!("{calls} denied: {}{more}", shown.join(", ")))
}

/// `Tool(its main argument)`, cut short.
fn denied_call(denial: &Value) -> String {
    let name = denial["tool_name"].as_str().unwrap_or("a tool");
    let input = &denial["tool_input"];
    let arg = ["command", "file_path", "path", "url", "pattern"]
        .iter()
        .find_map(|k| input[*k].as_str())
        .map(str::to_string)
        .or_else(|| input.as_object().filter(|o| !o.is_empty()).map(|_| input.to_string()));
    match arg {
        Some(arg) => {
            let cut: String = arg.chars().take(60).collect();
            let dots = if cut.len() < arg.len() { "…" } else { "" };
            format!("{name}({cut}{dots})")
        }
        None => name.to_string(),
    }
}

/// `workdir/path` if it is a file that, symlinks followed, stays in the workdir.
fn inside(workdir: &std::path::Path, path: &str) -> Option<PathBuf> {
    let file = workdir.join(path);
    let real = std::fs::canonicalize(&file).ok()?;
    let root = std::fs::canonicalize(workdir).ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn denials_are_listed_by_tool_and_argument() {
        let two = json!([
            {"tool_name": "Bash", "tool_input": {"command": "rm -rf build"}},
            {"tool_name": "Write", "tool_input": {"file_path": "/etc/x", "content": "y"}}
        ]);
        assert_eq!(
            denial_warning(&two).unwrap(),
            "2 tool calls were denied: Bash(rm -rf build), Write(/etc/x)"
        );
        assert_eq!(
            denial_warning(&json!([{"tool_name": "WebFetch"}])).unwrap(),
            "1 tool call was denied: WebFetch"
        );
        assert_eq!(denial_warning(&json!([])), None);
        let long = json!([{"tool_name": "Bash", "tool_input": {"command": "x".repeat(100)}}]);
        assert!(denial_warning(&long).unwrap().ends_with("x…)"));
    }
}
