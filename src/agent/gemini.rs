//! Gemini CLI headless: `gemini --output-format stream-json --approval-mode <m> --prompt=<p>`.
//! Its `result` event carries no text: the answer is the assistant text of the last round.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::session_files;
use super::{
    each, json_line, text_of, AgentEvent, AgentKind, AgentRequest, Driver, Final, Invocation, Permission, Usage,
};

/// Prompts longer than this go on stdin (which Gemini puts before `--prompt`), not in argv,
/// which the kernel limits to 128 KiB per argument.
const ARGV_PROMPT_MAX: usize = 100 * 1024;

#[derive(Default)]
pub struct Gemini {
    /// Assistant text since the last tool call or result.
    round: String,
}

impl Driver for Gemini {
    fn kind(&self) -> AgentKind {
        AgentKind::Gemini
    }

    fn invocation(&self, req: &AgentRequest) -> Invocation {
        let mode = match req.permission {
            Permission::Default => "default",
            Permission::Plan => "plan",
            Permission::AcceptEdits => "auto_edit",
            Permission::BypassPermissions => "yolo",
        };
        let mut args: Vec<String> = ["--output-format", "stream-json", "--approval-mode", mode]
            .map(String::from)
            .into();
        if let Some(model) = &req.model {
            args.extend(["--model".into(), model.clone()]);
        }
        if let Some(id) = &req.resume {
            args.extend(["--resume".into(), id.clone()]);
        }
        args.extend(each("--allowed-tools", &req.controls.allowed_tools));
        args.extend(each("--include-directories", &req.controls.add_dirs));
        args.extend(req.controls.extra_args.iter().cloned());
        let mut prompt = req.prompt.clone();
        if let Some(schema) = &req.output_schema {
            // Gemini has no structured-output flag: ask for it, then validate the answer.
            prompt.push_str(&format!(
                "\n\nReply with only a JSON value (no prose, no code fence) that matches this JSON Schema:\n{schema}"
            ));
        }
        let stdin = if prompt.len() > ARGV_PROMPT_MAX {
            let stdin = std::mem::replace(&mut prompt, "Follow the instructions above.".into());
            Some(stdin)
        } else {
            None
        };
        args.push(format!("--prompt={prompt}"));
        let mut warnings = Vec::new();
        if let Some(turns) = req.max_turns {
            warnings.push(format!(
                "maxTurns ({turns}) is not passed to gemini: it has no such flag (set model.maxSessionTurns in its settings)"
            ));
        }
        Invocation {
            args,
            // Untrusted folders force the approval mode back to default (gemini >= 0.41).
            env_set: vec![("GEMINI_CLI_TRUST_WORKSPACE".into(), "true".into())],
            env_remove: Vec::new(),
            stdin,
            warnings,
        }
    }

    fn parse_line(&mut self, line: &str) -> Vec<AgentEvent> {
        let Some(obj) = json_line(line) else { return Vec::new() };
        let v = Value::Object(obj);
        match v.get("type").and_then(Value::as_str) {
            Some("init") => text_of(&v, "session_id")
                .map(|id| {
                    vec![AgentEvent::Session {
                        id,
                        model: text_of(&v, "model"),
                    }]
                })
                .unwrap_or_default(),
            Some("message") if v.get("role").and_then(Value::as_str) == Some("assistant") => {
                let text = text_of(&v, "content").unwrap_or_default();
                let delta = v.get("delta").and_then(Value::as_bool).unwrap_or(false);
                if !delta {
                    self.round.clear();
                }
                self.round.push_str(&text);
                vec![AgentEvent::Text { text, delta }]
            }
            Some("tool_use") => {
                self.round.clear();
                vec![AgentEvent::ToolCall {
                    id: text_of(&v, "tool_id").unwrap_or_default(),
                    name: text_of(&v, "tool_name").unwrap_or_default(),
                    input: v.get("parameters").cloned().unwrap_or(Value::Null),
                }]
            }
            Some("tool_result") => {
                self.round.clear();
                tool_result(&v)
            }
            Some("error") => text_of(&v, "message")
                .map(|m| vec![AgentEvent::Warning(m)])
                .unwrap_or_default(),
            Some("result") => self.result(&v),
            _ => Vec::new(),
        }
    }

    fn session_file(&self, session_id: &str, _cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        let home = env("GEMINI_CLI_HOME")
            .filter(|d| !d.is_empty())
            .or_else(|| env("HOME"))?;
        session_files::gemini(&PathBuf::from(home).join(".gemini"), session_id)
    }
}

impl Gemini {
    /// The final result: its status, token counts, and text (the last round of assistant
    /// messages, or the error's message).
    fn result(&self, v: &Value) -> Vec<AgentEvent> {
        let is_error = v.get("status").and_then(Value::as_str) != Some("success");
        let stats = v.get("stats");
        let n = |k: &str| stats.and_then(|s| s.get(k)).and_then(Value::as_u64);
        let usage = stats.map(|_| Usage {
            input: n("input_tokens"),
            output: n("output_tokens"),
            cached: n("cached"),
        });
        let text = if is_error {
            v.pointer("/error/message").and_then(Value::as_str).map(str::to_string)
        } else {
            Some(self.round.clone())
        };
        vec![AgentEvent::Final(Box::new(Final {
            is_error,
            text,
            subtype: v.pointer("/error/type").and_then(Value::as_str).map(str::to_string),
            usage,
            ..Final::default()
        }))]
    }
}

fn tool_result(v: &Value) -> Vec<AgentEvent> {
    let is_error = v.get("status").and_then(Value::as_str) != Some("success");
    let output = text_of(v, "output")
        .or_else(|| v.pointer("/error/message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    vec![AgentEvent::ToolResult {
        id: text_of(v, "tool_id").unwrap_or_default(),
        output,
        is_error,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(permission: Permission, prompt: &str) -> AgentRequest {
        AgentRequest {
            prompt: prompt.into(),
            permission,
            model: None,
            max_turns: Some(4),
            output_schema: None,
            output_schema_file: None,
            resume: None,
            fork: false,
            controls: Default::default(),
            is_root: false,
        }
    }

    #[test]
    fn permissions_map_to_approval_modes_and_the_prompt_cannot_be_read_as_a_flag() {
        let inv = Gemini::default().invocation(&request(Permission::AcceptEdits, "-rf"));
        assert_eq!(
            inv.args,
            [
                "--output-format",
                "stream-json",
                "--approval-mode",
                "auto_edit",
                "--prompt=-rf"
            ]
        );
        assert_eq!(inv.stdin, None);
        assert_eq!(
            inv.env_set,
            [("GEMINI_CLI_TRUST_WORKSPACE".to_string(), "true".to_string())]
        );
        assert_eq!(inv.warnings.len(), 1, "maxTurns cannot be honoured");
        let yolo = Gemini::default().invocation(&request(Permission::BypassPermissions, "x"));
        assert!(yolo.args.contains(&"yolo".to_string()));
        assert!(!yolo.args.contains(&"-y".to_string()));
        let huge = "x".repeat(200 * 1024);
        let inv = Gemini::default().invocation(&request(Permission::Default, &huge));
        assert_eq!(inv.stdin.as_deref(), Some(huge.as_str()));
        assert_eq!(inv.args.last().unwrap(), "--prompt=Follow the instructions above.");
    }

    #[test]
    fn the_answer_is_the_last_round_of_assistant_text() {
        let mut g = Gemini::default();
        for line in [
            r#"{"type":"message","role":"assistant","content":"Let me check.","delta":true}"#,
            r#"{"type":"tool_use","tool_name":"read_file","tool_id":"t1","parameters":{}}"#,
            r#"{"type":"tool_result","tool_id":"t1","status":"success","output":"readme"}"#,
            r#"{"type":"message","role":"assistant","content":"Final ","delta":true}"#,
            r#"{"type":"message","role":"assistant","content":"answer","delta":true}"#,
        ] {
            g.parse_line(line);
        }
        let events = g.parse_line(
            r#"{"type":"result","status":"success","stats":{"input_tokens":3,"output_tokens":2,"cached":1}}"#,
        );
        let [AgentEvent::Final(f)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(f.text.as_deref(), Some("Final answer"));
        assert_eq!(f.usage.unwrap().input, Some(3));
    }
}
