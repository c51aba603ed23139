//! What an agent step shows: its result `data` (the answer checked against `outputSchema`),
//! its progress events, and its part of `summary.md`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::agent::classify::FailureKind;
use crate::agent::exec::{Attempt, Output};
use crate::agent::{AgentEvent, AgentKind};
use crate::definition::StepConfig;

/// How much of a tool's input or result a progress event carries.
const PROGRESS_TEXT_MAX: usize = 2000;

/// What the step knows of its session when it ends.
pub(super) struct SessionFacts<'a> {
    pub session_id: Option<&'a str>,
    pub file: Option<&'a str>,
    pub resumed: bool,
}

/// The step's `data`, and its failure if it failed (the answer checked against the schema).
pub(super) fn result_data(
    kind: AgentKind,
    config: &StepConfig,
    attempt: &Attempt,
    tries: u32,
    session: &SessionFacts<'_>,
) -> (Value, Option<(FailureKind, String)>) {
    let t = &attempt.transcript;
    let fin = t.final_event.as_ref();
    let text = fin
        .filter(|f| !f.is_error)
        .and_then(|f| f.text.clone())
        .or_else(|| t.last_text.clone())
        .unwrap_or_default();
    let mut data = json!({
        "agent": kind.as_str(),
        "text": text,
        "sessionId": session.session_id,
        "model": t.model.clone().or_else(|| config.model.clone()),
        "usage": {
            "inputTokens": t.usage.input,
            "outputTokens": t.usage.output,
            "cachedTokens": t.usage.cached,
        },
        "costUsd": fin.and_then(|f| f.cost_usd),
        "numTurns": fin.and_then(|f| f.num_turns),
        "attempts": tries,
        "resumed": session.resumed,
    });
    if let Some(denials) = fin.and_then(|f| f.permission_denials.clone()) {
        data["permissionDenials"] = denials;
    }
    if let Some(file) = session.file {
        data["sessionFile"] = Value::String(file.to_string());
    }
    let mut failure = attempt.failure();
    if let (None, Some(schema)) = (&failure, &config.output_schema) {
        match structured_answer(fin.and_then(|f| f.structured.clone()), &text, schema) {
            Ok(output) => data["output"] = output,
            Err(problem) => {
                failure = Some((
                    FailureKind::InvalidOutput,
                    format!(
                        "{}'s answer does not match the step's outputSchema: {problem}",
                        kind.as_str()
                    ),
                ))
            }
        }
    }
    if let Some((kind, _)) = &failure {
        data["errorKind"] = Value::String(kind.as_str().to_string());
    }
    (data, failure)
}

/// The answer as JSON matching `schema`: the CLI's structured output, or the text (a code
/// fence around it is allowed).
fn structured_answer(structured: Option<Value>, text: &str, schema: &Value) -> Result<Value, String> {
    let value = match structured {
        Some(v) => v,
        None => {
            let trimmed = text.trim();
            let unfenced = trimmed
                .strip_prefix("```json")
                .or_else(|| trimmed.strip_prefix("```"))
                .and_then(|t| t.strip_suffix("```"))
                .unwrap_or(trimmed);
            serde_json::from_str(unfenced.trim()).map_err(|e| format!("the answer is not JSON ({e})"))?
        }
    };
    let validator = jsonschema::validator_for(schema).map_err(|e| format!("the schema is not valid: {e}"))?;
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| {
            let at = e.instance_path.to_string();
            format!("{}: {e}", if at.is_empty() { "(root)".to_string() } else { at })
        })
        .collect();
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(problems.join("; "))
    }
}

/// What a progress event shows: (stream, text, detail).
type Progress = (&'static str, String, Option<Value>);

/// What a progress event shows for an output.
pub(super) fn progress(out: &Output) -> Option<Progress> {
    Some(match out {
        // JSON lines are shown by what they mean; other lines as they are.
        Output::Raw { stream: "stdout", text } if crate::agent::json_line(text).is_some() || text.trim().is_empty() => {
            return None
        }
        Output::Raw { stream, text } => (*stream, head(text), None),
        Output::Retry {
            next_attempt,
            delay,
            reason,
            ..
        } => (
            "retry",
            format!(
                "{reason}; try {next_attempt} in {}",
                crate::definition::format_ms(delay.as_millis() as u64)
            ),
            Some(json!({ "attempt": next_attempt, "delayMs": delay.as_millis() as u64 })),
        ),
        Output::Event(event) => return event_progress(event),
        Output::TryStarted { .. } => return None,
    })
}

/// What a progress event shows for an event of the agent's (its usage shows in the result).
fn event_progress(event: &AgentEvent) -> Option<Progress> {
    Some(match event {
        AgentEvent::Session { id, model } => (
            "session",
            match model {
                Some(m) => format!("session {id} ({m})"),
                None => format!("session {id}"),
            },
            Some(json!({ "sessionId": id, "model": model })),
        ),
        AgentEvent::Text { text, delta } => ("assistant", text.clone(), Some(json!({ "delta": delta }))),
        AgentEvent::Thinking { text } => ("thinking", head(text), None),
        AgentEvent::ToolCall { id, name, input } => tool_call_progress(id, name, input),
        AgentEvent::ToolResult { id, output, is_error } => (
            "tool_result",
            crate::subprocess::script::tail(output, PROGRESS_TEXT_MAX).to_string(),
            Some(json!({ "toolUseId": id, "isError": is_error, "bytes": output.len() })),
        ),
        AgentEvent::Warning(w) => ("warning", w.clone(), None),
        AgentEvent::Final(f) => (
            "result",
            head(f.text.as_deref().unwrap_or_default()),
            Some(json!({ "isError": f.is_error, "subtype": f.subtype })),
        ),
        AgentEvent::Usage(_) => return None,
    })
}

/// A tool call, its input cut short in the text and, when too long, in the detail too.
fn tool_call_progress(id: &str, name: &str, input: &Value) -> Progress {
    let shown = head(&input.to_string());
    let input = if input.to_string().len() > PROGRESS_TEXT_MAX {
        Value::String(shown.clone())
    } else {
        input.clone()
    };
    (
        "tool_call",
        format!("{name} {shown}"),
        Some(json!({ "tool": name, "toolUseId": id, "input": input })),
    )
}

/// The start of `s`, at most `PROGRESS_TEXT_MAX` bytes, with `…` when cut.
fn head(s: &str) -> String {
    if s.len() <= PROGRESS_TEXT_MAX {
        return s.to_string();
    }
    let mut end = PROGRESS_TEXT_MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The agent section of `summary.md`, from the step's data.
pub fn agent_summary(data: &Value) -> String {
    let mut s = String::from("\n## Agent\n\n");
    let agent = data["agent"].as_str().unwrap_or("agent");
    match data["model"].as_str() {
        Some(model) => s.push_str(&format!("- Agent: {agent} ({model})\n")),
        None => s.push_str(&format!("- Agent: {agent}\n")),
    }
    if let Some(id) = data["sessionId"].as_str() {
        s.push_str(&format!(
            "- Session: `{id}`{}\n",
            if data["resumed"] == true { " (resumed)" } else { "" }
        ));
    }
    if let Some(file) = data["sessionFile"].as_str() {
        s.push_str(&format!("- Transcript: `{file}`\n"));
    }
    if let Some(turns) = data["numTurns"].as_u64() {
        s.push_str(&format!("- Turns: {turns}\n"));
    }
    let usage: BTreeMap<&str, u64> = ["inputTokens", "outputTokens", "cachedTokens"]
        .into_iter()
        .filter_map(|k| Some((k, data["usage"][k].as_u64()?)))
        .collect();
    if !usage.is_empty() {
        let get = |k: &str| usage.get(k).map(u64::to_string).unwrap_or_else(|| "?".into());
        s.push_str(&format!(
            "- Tokens: {} in, {} out, {} cached\n",
            get("inputTokens"),
            get("outputTokens"),
            get("cachedTokens")
        ));
    }
    if let Some(cost) = data["costUsd"].as_f64() {
        s.push_str(&format!("- Cost: ${cost:.4}\n"));
    }
    if let Some(tries) = data["attempts"].as_u64().filter(|t| *t > 1) {
        s.push_str(&format!("- Tries: {tries}\n"));
    }
    if let Some(denials) = data["permissionDenials"].as_array() {
        s.push_str(&format!("- Permission denials: {}\n", denials.len()));
    }
    if let Some(output) = data.get("output") {
        let pretty = serde_json::to_string_pretty(output).unwrap_or_default();
        s.push_str(&format!("\n## Structured output\n\n```json\n{pretty}\n```\n"));
    }
    if let Some(text) = data["text"].as_str().filter(|t| !t.trim().is_empty()) {
        s.push_str(&format!("\n## Answer\n\n{}\n", text.trim_end()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_parsed_fenced_or_not_and_checked() {
        let schema = json!({"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]});
        assert_eq!(
            structured_answer(None, "```json\n{\"n\": 3}\n```", &schema),
            Ok(json!({"n": 3}))
        );
        assert_eq!(
            structured_answer(Some(json!({"n": 1})), "ignored", &schema),
            Ok(json!({"n": 1}))
        );
        let err = structured_answer(None, "{\"n\": \"x\"}", &schema).unwrap_err();
        assert!(err.contains("/n"), "{err}");
        let err = structured_answer(None, "Sure! Here it is", &schema).unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
    }
}
