//! Codex: `codex exec --json --skip-git-repo-check <sandbox> -`, the prompt on stdin.
//! Approvals are always `never` in exec, so the sandbox is the permission.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::session_files;
use super::{json_line, text_of, AgentEvent, AgentKind, AgentRequest, Driver, Final, Invocation, Permission, Usage};

/// Added to the prompt in `plan` mode: Codex exec has no plan mode, only a read-only sandbox.
pub const PLAN_SUFFIX: &str = "\n\nProduce a plan only; do not modify any files.";

#[derive(Default)]
pub struct Codex {
    last_message: Option<String>,
    /// A top-level `error` line: Codex exits 1 after one, even if the turn completes.
    error: Option<String>,
    usage: Usage,
}

impl Driver for Codex {
    fn kind(&self) -> AgentKind {
        AgentKind::Codex
    }

    fn invocation(&self, req: &AgentRequest) -> Invocation {
        let mut args: Vec<String> = ["exec", "--json", "--skip-git-repo-check", "--color", "never"]
            .map(String::from)
            .into();
        match req.permission {
            Permission::Default | Permission::Plan => args.extend(["--sandbox".into(), "read-only".into()]),
            Permission::AcceptEdits => args.extend(["--sandbox".into(), "workspace-write".into()]),
            Permission::BypassPermissions => args.push("--dangerously-bypass-approvals-and-sandbox".into()),
        }
        if let Some(model) = &req.model {
            args.extend(["--model".into(), model.clone()]);
        }
        if let Some(file) = &req.output_schema_file {
            args.extend(["--output-schema".into(), file.to_string_lossy().into_owned()]);
        }
        for dir in &req.controls.add_dirs {
            args.extend(["--add-dir".into(), dir.to_string_lossy().into_owned()]);
        }
        // Before the subcommand, which takes fewer options than `exec`.
        args.extend(req.controls.extra_args.iter().cloned());
        if let Some(id) = &req.resume {
            let sub = if req.fork { "fork" } else { "resume" };
            args.extend([sub.into(), id.clone()]);
        }
        args.push("-".into());
        let mut warnings = Vec::new();
        if let Some(turns) = req.max_turns {
            warnings.push(format!(
                "maxTurns ({turns}) is not passed to codex: codex exec has no turn limit; the step's timeout bounds it"
            ));
        }
        let mut prompt = req.prompt.clone();
        if req.permission == Permission::Plan {
            prompt.push_str(PLAN_SUFFIX);
        }
        Invocation {
            args,
            env_set: Vec::new(),
            env_remove: Vec::new(),
            stdin: Some(prompt),
            warnings,
        }
    }

    fn parse_line(&mut self, line: &str) -> Vec<AgentEvent> {
        let Some(obj) = json_line(line) else { return Vec::new() };
        let v = Value::Object(obj);
        match v.get("type").and_then(Value::as_str) {
            Some("thread.started") => text_of(&v, "thread_id")
                .map(|id| vec![AgentEvent::Session { id, model: None }])
                .unwrap_or_default(),
            Some("item.started") => self.item(&v, false),
            Some("item.completed") => self.item(&v, true),
            Some("turn.completed") => self.turn_completed(&v),
            Some("turn.failed") => self.turn_failed(&v),
            Some("error") => self.error(&v),
            _ => Vec::new(),
        }
    }

    fn session_file(&self, session_id: &str, _cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        let root = match env("CODEX_HOME").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(env("HOME")?).join(".codex"),
        };
        session_files::codex(&root, session_id)
    }
}

impl Codex {
    /// The end of the turn: its token counts added up, and the final result (the last
    /// message, or the error reported during the turn).
    fn turn_completed(&mut self, v: &Value) -> Vec<AgentEvent> {
        if let Some(u) = v.get("usage") {
            let n = |k: &str| u.get(k).and_then(Value::as_u64);
            let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            };
            self.usage = Usage {
                input: add(self.usage.input, n("input_tokens")),
                output: add(self.usage.output, n("output_tokens")),
                cached: add(self.usage.cached, n("cached_input_tokens")),
            };
        }
        let is_error = self.error.is_some();
        vec![AgentEvent::Final(Box::new(Final {
            is_error,
            text: if is_error {
                self.error.clone()
            } else {
                self.last_message.clone()
            },
            usage: Some(self.usage),
            ..Final::default()
        }))]
    }

    fn turn_failed(&self, v: &Value) -> Vec<AgentEvent> {
        let message = v
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| self.error.clone())
            .unwrap_or_else(|| "the turn failed".into());
        vec![AgentEvent::Final(Box::new(Final {
            is_error: true,
            text: Some(message),
            usage: Some(self.usage),
            ..Final::default()
        }))]
    }

    fn error(&mut self, v: &Value) -> Vec<AgentEvent> {
        let message = text_of(v, "message").unwrap_or_else(|| "error".into());
        // "Reconnecting... 2/5 (...)" is Codex retrying on its own, not a failure yet.
        if !message.starts_with("Reconnecting") {
            self.error = Some(message.clone());
        }
        vec![AgentEvent::Warning(message)]
    }

    fn item(&mut self, v: &Value, completed: bool) -> Vec<AgentEvent> {
        let Some(item) = v.get("item") else { return Vec::new() };
        let id = text_of(item, "id").unwrap_or_default();
        let kind = item.get("type").and_then(Value::as_str);
        if completed {
            self.item_completed(item, kind, id)
        } else {
            item_started(item, kind, id)
        }
    }

    fn item_completed(&mut self, item: &Value, kind: Option<&str>, id: String) -> Vec<AgentEvent> {
        let status = text_of(item, "status");
        let failed = matches!(status.as_deref(), Some("failed" | "declined"));
        match kind {
            Some("agent_message") => {
                let text = text_of(item, "text").unwrap_or_default();
                self.last_message = Some(text.clone());
                vec![AgentEvent::Text { text, delta: false }]
            }
            Some("reasoning" | "plan") => text_of(item, "text")
                .map(|text| vec![AgentEvent::Thinking { text }])
                .unwrap_or_default(),
            Some("command_execution") => {
                let exit = item.get("exit_code").and_then(Value::as_i64);
                vec![AgentEvent::ToolResult {
                    id,
                    output: text_of(item, "aggregated_output").unwrap_or_default(),
                    is_error: failed || exit.is_some_and(|c| c != 0),
                }]
            }
            Some("file_change") => vec![
                AgentEvent::ToolCall {
                    id: id.clone(),
                    name: "file_change".into(),
                    input: serde_json::json!({ "changes": item.get("changes") }),
                },
                AgentEvent::ToolResult {
                    id,
                    output: status.unwrap_or_default(),
                    is_error: failed,
                },
            ],
            Some("mcp_tool_call") => vec![AgentEvent::ToolResult {
                id,
                output: item
                    .get("result")
                    .or_else(|| item.get("error"))
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                is_error: failed || item.get("error").is_some_and(|e| !e.is_null()),
            }],
            Some("web_search") => vec![AgentEvent::ToolCall {
                id,
                name: "web_search".into(),
                input: serde_json::json!({ "query": item.get("query") }),
            }],
            Some("error") => text_of(item, "message")
                .map(|m| vec![AgentEvent::Warning(m)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// A tool call as it starts: a shell command or an MCP tool (the others are told whole
/// when they complete).
fn item_started(item: &Value, kind: Option<&str>, id: String) -> Vec<AgentEvent> {
    match kind {
        Some("command_execution") => vec![AgentEvent::ToolCall {
            id,
            name: "shell".into(),
            input: serde_json::json!({ "command": item.get("command") }),
        }],
        Some("mcp_tool_call") => vec![AgentEvent::ToolCall {
            id,
            name: format!(
                "{}.{}",
                text_of(item, "server").unwrap_or_default(),
                text_of(item, "tool").unwrap_or_default()
            ),
            input: item.get("arguments").cloned().unwrap_or(Value::Null),
        }],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(permission: Permission) -> AgentRequest {
        AgentRequest {
            prompt: "fix it".into(),
            permission,
            model: Some("gpt-5".into()),
            max_turns: None,
            output_schema: None,
            output_schema_file: None,
            resume: Some("0199a213-81c0-7800-8aa1-bbab2a035a53".into()),
            fork: false,
            controls: Default::default(),
            is_root: false,
        }
    }

    #[test]
    fn flags_come_before_resume_and_the_prompt_is_read_from_stdin() {
        let inv = Codex::default().invocation(&request(Permission::AcceptEdits));
        assert_eq!(
            inv.args.join(" "),
            "exec --json --skip-git-repo-check --color never --sandbox workspace-write --model gpt-5 \
             resume 0199a213-81c0-7800-8aa1-bbab2a035a53 -"
        );
        assert_eq!(inv.stdin.as_deref(), Some("fix it"));
        let plan = Codex::default().invocation(&request(Permission::Plan));
        assert!(plan.args.join(" ").contains("--sandbox read-only"));
        assert!(plan.stdin.unwrap().ends_with(PLAN_SUFFIX));
        let bypass = Codex::default().invocation(&request(Permission::BypassPermissions));
        assert!(bypass
            .args
            .contains(&"--dangerously-bypass-approvals-and-sandbox".to_string()));
        assert!(!bypass.args.contains(&"--sandbox".to_string()));
        let mut fork = request(Permission::Default);
        fork.fork = true;
        fork.controls.add_dirs = vec!["/w/docs".into()];
        fork.controls.extra_args = vec!["-c".into(), "model_reasoning_effort=\"low\"".into()];
        assert_eq!(
            Codex::default().invocation(&fork).args[7..],
            [
                "--model",
                "gpt-5",
                "--add-dir",
                "/w/docs",
                "-c",
                "model_reasoning_effort=\"low\"",
                "fork",
                "0199a213-81c0-7800-8aa1-bbab2a035a53",
                "-"
            ]
        );
    }

    #[test]
    fn the_answer_is_the_last_agent_message_and_a_sticky_error_fails_the_turn() {
        let mut c = Codex::default();
        c.parse_line(r#"{"type":"item.completed","item":{"id":"1","type":"agent_message","text":"first"}}"#);
        c.parse_line(r#"{"type":"item.completed","item":{"id":"2","type":"agent_message","text":"last"}}"#);
        let events = c.parse_line(
            r#"{"type":"turn.completed","usage":{"input_tokens":5,"cached_input_tokens":2,"output_tokens":1}}"#,
        );
        let [AgentEvent::Final(f)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!((f.is_error, f.text.as_deref()), (false, Some("last")));
        assert_eq!(f.usage.unwrap().cached, Some(2));
        c.parse_line(r#"{"type":"error","message":"Reconnecting... 2/5 (stream disconnected)"}"#);
        let events = c.parse_line(r#"{"type":"turn.completed","usage":{}}"#);
        assert!(
            matches!(events.as_slice(), [AgentEvent::Final(f)] if !f.is_error),
            "a retry is not a failure"
        );
        c.parse_line(r#"{"type":"error","message":"stream disconnected"}"#);
        let events = c.parse_line(r#"{"type":"turn.completed","usage":{}}"#);
        let [AgentEvent::Final(f)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!((f.is_error, f.text.as_deref()), (true, Some("stream disconnected")));
    }
}
