//! Claude Code in print mode: `claude -p --output-format stream-json --verbose`, the prompt on
//! stdin (any length, and a prompt starting with `-` cannot be read as a flag).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::session_files;
use super::{
    each, json_line, text_of, AgentEvent, AgentKind, AgentRequest, Driver, Final, Invocation, Permission, Usage,
};

#[derive(Default)]
pub struct Claude {
    /// The input of the last `ExitPlanMode` call: in plan mode, the plan itself.
    plan: Option<String>,
    /// Tokens of the assistant messages so far (each message counted once, though the stream
    /// repeats it per content block), reported as `AgentEvent::Usage` as they grow.
    usage: Usage,
    last_message: Option<String>,
}

impl Driver for Claude {
    fn kind(&self) -> AgentKind {
        AgentKind::Claude
    }

    fn invocation(&self, req: &AgentRequest) -> Invocation {
        let mode = match req.permission {
            Permission::Default => "default",
            Permission::Plan => "plan",
            Permission::AcceptEdits => "acceptEdits",
            Permission::BypassPermissions => "bypassPermissions",
        };
        let mut args: Vec<String> = [
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            mode,
        ]
        .map(String::from)
        .into();
        if let Some(model) = &req.model {
            args.extend(["--model".into(), model.clone()]);
        }
        if let Some(turns) = req.max_turns {
            args.extend(["--max-turns".into(), turns.to_string()]);
        }
        if let Some(schema) = &req.output_schema {
            args.extend(["--json-schema".into(), schema.to_string()]);
        }
        if let Some(id) = &req.resume {
            args.extend(["--resume".into(), id.clone()]);
            if req.fork {
                args.push("--fork-session".into());
            }
        }
        // Nobody can answer a question in a headless run.
        args.push("--disallowedTools=AskUserQuestion".into());
        let c = &req.controls;
        args.extend(each("--allowedTools", &c.allowed_tools));
        args.extend(each("--disallowedTools", &c.disallowed_tools));
        args.extend(each("--append-system-prompt", &c.append_system_prompt));
        args.extend(each("--mcp-config", &c.mcp_config));
        args.extend(each("--add-dir", &c.add_dirs));
        args.extend(c.extra_args.iter().cloned());
        let mut env_set = Vec::new();
        if req.permission == Permission::BypassPermissions && req.is_root {
            // Claude refuses bypass mode as root unless it is told it runs in a sandbox.
            env_set.push(("IS_SANDBOX".into(), "1".into()));
        }
        Invocation {
            args,
            env_set,
            // A claude started from inside a Claude Code session refuses to run.
            env_remove: vec!["CLAUDECODE".into()],
            stdin: Some(req.prompt.clone()),
            warnings: Vec::new(),
        }
    }

    fn parse_line(&mut self, line: &str) -> Vec<AgentEvent> {
        let Some(obj) = json_line(line) else { return Vec::new() };
        let v = Value::Object(obj);
        match v.get("type").and_then(Value::as_str) {
            Some("system") if v.get("subtype").and_then(Value::as_str) == Some("init") => {
                match text_of(&v, "session_id") {
                    Some(id) => vec![AgentEvent::Session {
                        id,
                        model: text_of(&v, "model"),
                    }],
                    None => Vec::new(),
                }
            }
            Some("assistant") => self.assistant(&v),
            Some("user") => tool_results(&v),
            Some("result") => vec![AgentEvent::Final(Box::new(self.result(&v)))],
            _ => Vec::new(),
        }
    }

    fn session_file(&self, session_id: &str, cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        session_files::claude(&config_root(env)?, session_id, cwd)
    }

    /// Claude's `--resume` finds only the sessions of the folder it runs in: a session of
    /// another (a rerun in another worktree, or another `cwd`) is copied there first.
    fn prepare_resume(&self, session_id: &str, cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
        let Some(root) = config_root(env) else { return Ok(()) };
        let Some(found) = session_files::claude(&root, session_id, cwd) else {
            return Ok(());
        };
        let here = session_files::claude_in_cwd(&root, session_id, cwd);
        if found == here {
            return Ok(());
        }
        std::fs::create_dir_all(here.parent().expect("a folder"))
            .and_then(|_| std::fs::copy(&found, &here))
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "cannot copy claude's session {} to {}: {e}",
                    found.display(),
                    here.display()
                )
            })
    }
}

/// `$CLAUDE_CONFIG_DIR`, else `~/.claude`.
fn config_root(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match env("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => Some(PathBuf::from(env("HOME")?).join(".claude")),
    }
}

impl Claude {
    fn assistant(&mut self, v: &Value) -> Vec<AgentEvent> {
        let blocks = v.pointer("/message/content").and_then(Value::as_array);
        let mut events = Vec::new();
        if let Some(usage) = self.message_usage(v) {
            events.push(AgentEvent::Usage(usage));
        }
        for block in blocks.into_iter().flatten() {
            match block.get("type").and_then(Value::as_str) {
                Some("text") => {
                    if let Some(text) = text_of(block, "text") {
                        events.push(AgentEvent::Text { text, delta: false });
                    }
                }
                Some("thinking") => {
                    if let Some(text) = text_of(block, "thinking") {
                        events.push(AgentEvent::Thinking { text });
                    }
                }
                Some("tool_use") => {
                    let name = text_of(block, "name").unwrap_or_default();
                    let input = block.get("input").cloned().unwrap_or(Value::Null);
                    if name == "ExitPlanMode" {
                        self.plan = input.get("plan").and_then(Value::as_str).map(str::to_string);
                    }
                    events.push(AgentEvent::ToolCall {
                        id: text_of(block, "id").unwrap_or_default(),
                        name,
                        input,
                    });
                }
                _ => {}
            }
        }
        events
    }

    /// The tokens so far with this message's, if it is one not counted yet; counted as the
    /// result counts them (input with cache writes; cache reads apart).
    fn message_usage(&mut self, v: &Value) -> Option<Usage> {
        let u = v.pointer("/message/usage")?;
        let id = v.pointer("/message/id").and_then(Value::as_str).map(str::to_string);
        if id.is_some() && id == self.last_message {
            return None;
        }
        self.last_message = id;
        let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        let add = |a: Option<u64>, b: u64| Some(a.unwrap_or(0) + b);
        self.usage = Usage {
            input: add(self.usage.input, n("input_tokens") + n("cache_creation_input_tokens")),
            output: add(self.usage.output, n("output_tokens")),
            cached: add(self.usage.cached, n("cache_read_input_tokens")),
        };
        Some(self.usage)
    }

    fn result(&self, v: &Value) -> Final {
        let is_error = v.get("is_error").and_then(Value::as_bool).unwrap_or(true);
        let subtype = text_of(v, "subtype");
        let mut text = text_of(v, "result");
        let errors: Vec<&str> = v
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Error subtypes carry their reasons in `errors`; their `result`, if any, is not the
        // reason (`error_max_structured_output_retries` keeps the answer that did not fit there).
        let error_subtype = subtype.as_deref().is_some_and(|s| s != "success");
        if is_error && !errors.is_empty() && (error_subtype || text.as_deref().is_none_or(|t| t.trim().is_empty())) {
            text = Some(errors.join("; "));
        }
        if !is_error && text.as_deref().is_none_or(|t| t.trim().is_empty()) {
            // Plan mode ends with ExitPlanMode, which no one approves headless: its input is
            // the answer.
            text = self.plan.clone().or(text);
        }
        let usage = v.get("usage").map(|u| {
            let n = |k: &str| u.get(k).and_then(Value::as_u64);
            Usage {
                input: Some(n("input_tokens").unwrap_or(0) + n("cache_creation_input_tokens").unwrap_or(0)),
                output: n("output_tokens"),
                cached: n("cache_read_input_tokens"),
            }
        });
        Final {
            is_error,
            text,
            structured: v.get("structured_output").filter(|s| !s.is_null()).cloned(),
            subtype,
            api_status: v
                .get("api_error_status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
            usage,
            cost_usd: v.get("total_cost_usd").and_then(Value::as_f64),
            num_turns: v.get("num_turns").and_then(Value::as_u64),
            permission_denials: v
                .get("permission_denials")
                .filter(|d| d.as_array().is_some_and(|a| !a.is_empty()))
                .cloned(),
        }
    }
}

/// Tool results come back as `user` messages.
fn tool_results(v: &Value) -> Vec<AgentEvent> {
    let Some(blocks) = v.pointer("/message/content").and_then(Value::as_array) else {
        return Vec::new();
    };
    blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        .map(|b| AgentEvent::ToolResult {
            id: text_of(b, "tool_use_id").unwrap_or_default(),
            output: content_text(b.get("content")),
            is_error: b.get("is_error").and_then(Value::as_bool).unwrap_or(false),
        })
        .collect()
}

/// A tool result's content: a string, or text blocks.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) if !other.is_null() => other.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(permission: Permission) -> AgentRequest {
        AgentRequest {
            prompt: "-starts with a dash".into(),
            permission,
            model: None,
            max_turns: None,
            output_schema: None,
            output_schema_file: None,
            resume: None,
            fork: false,
            controls: Default::default(),
            is_root: true,
        }
    }

    #[test]
    fn controls_and_a_fork_map_to_claudes_flags() {
        let mut req = request(Permission::Default);
        req.resume = Some("s1".into());
        req.fork = true;
        req.controls = super::super::Controls {
            allowed_tools: vec!["Bash(git diff:*)".into(), "Edit".into()],
            disallowed_tools: vec!["WebFetch".into()],
            append_system_prompt: Some("-be brief".into()),
            mcp_config: Some("/w/mcp.json".into()),
            add_dirs: vec!["/w/docs".into()],
            extra_args: vec!["--bare".into(), "--settings".into(), "a b".into()],
        };
        let args = Claude::default().invocation(&req).args;
        assert_eq!(
            args[6..],
            [
                "--resume",
                "s1",
                "--fork-session",
                "--disallowedTools=AskUserQuestion",
                "--allowedTools=Bash(git diff:*)",
                "--allowedTools=Edit",
                "--disallowedTools=WebFetch",
                "--append-system-prompt=-be brief",
                "--mcp-config=/w/mcp.json",
                "--add-dir=/w/docs",
                "--bare",
                "--settings",
                "a b"
            ]
        );
    }

    #[test]
    fn the_prompt_goes_on_stdin_and_permissions_map_to_modes() {
        let inv = Claude::default().invocation(&request(Permission::Plan));
        assert_eq!(
            inv.args,
            [
                "-p",
                "--output-format",
                "stream-json",
                "--verbose",
                "--permission-mode",
                "plan",
                "--disallowedTools=AskUserQuestion"
            ]
        );
        assert_eq!(inv.stdin.as_deref(), Some("-starts with a dash"));
        assert_eq!(inv.env_remove, ["CLAUDECODE"]);
        assert!(inv.env_set.is_empty());
        let bypass = Claude::default().invocation(&request(Permission::BypassPermissions));
        assert_eq!(bypass.env_set, [("IS_SANDBOX".to_string(), "1".to_string())]);
        let mut not_root = request(Permission::BypassPermissions);
        not_root.is_root = false;
        assert!(Claude::default().invocation(&not_root).env_set.is_empty());
    }

    #[test]
    fn an_api_error_reported_as_success_is_an_error() {
        let mut c = Claude::default();
        let events = c.parse_line(
            r#"{"type":"result","subtype":"success","is_error":true,"result":"API Error: 429 rate","api_error_status":429,"duration_ms":1,"duration_api_ms":1,"num_turns":1,"session_id":"s"}"#,
        );
        let [AgentEvent::Final(f)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert!(f.is_error);
        assert_eq!(f.api_status, Some(429));
        assert_eq!(f.text.as_deref(), Some("API Error: 429 rate"));
    }

    #[test]
    fn assistant_messages_report_their_tokens_so_far_once_each() {
        let mut c = Claude::default();
        let message = |id: &str, text: &str| {
            format!(
                r#"{{"type":"assistant","message":{{"id":"{id}","content":[{{"type":"text","text":"{text}"}}],"usage":{{"input_tokens":4,"cache_creation_input_tokens":100,"cache_read_input_tokens":1400,"output_tokens":40}}}}}}"#
            )
        };
        let usage = |events: Vec<AgentEvent>| {
            events.into_iter().find_map(|e| match e {
                AgentEvent::Usage(u) => Some(u),
                _ => None,
            })
        };
        let first = usage(c.parse_line(&message("m1", "a"))).expect("usage");
        assert_eq!(
            (first.input, first.output, first.cached),
            (Some(104), Some(40), Some(1400))
        );
        // The stream repeats a message per content block: counted once.
        assert_eq!(usage(c.parse_line(&message("m1", "b"))), None);
        let second = usage(c.parse_line(&message("m2", "c"))).expect("usage");
        assert_eq!((second.input, second.output), (Some(208), Some(80)));
    }

    #[test]
    fn max_turns_takes_its_text_from_errors() {
        let mut c = Claude::default();
        let events = c.parse_line(r#"{"type":"result","subtype":"error_max_turns","is_error":true,"errors":["Reached maximum number of turns (3)"],"session_id":"s"}"#);
        let [AgentEvent::Final(f)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(f.text.as_deref(), Some("Reached maximum number of turns (3)"));
        assert_eq!(f.subtype.as_deref(), Some("error_max_turns"));
    }

    #[test]
    fn a_structured_output_failure_gives_its_reason_not_the_answer() {
        let mut c = Claude::default();
        let events = c.parse_line(
            r#"{"type":"result","subtype":"error_max_structured_output_retries","is_error":true,"result":"{\"a\":\"x\",\"b\":1}","errors":["Failed to provide valid structured output after 5 attempts"],"session_id":"s"}"#,
        );
        let [AgentEvent::Final(f)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(
            f.text.as_deref(),
            Some("Failed to provide valid structured output after 5 attempts")
        );
        assert_eq!(f.subtype.as_deref(), Some("error_max_structured_output_retries"));
    }

    #[test]
    fn noise_and_unknown_types_give_nothing() {
        let mut c = Claude::default();
        assert!(c.parse_line("Loaded cached credentials.").is_empty());
        assert!(c.parse_line(r#"{"type":"future_kind"}"#).is_empty());
        assert!(c.parse_line("").is_empty());
        assert!(c.parse_line("[1,2]").is_empty());
    }
}
