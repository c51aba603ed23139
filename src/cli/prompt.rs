//! Asking an approval gate on the terminal: `[a]pprove, [r]equest changes, re[j]ect`, a
//! comment (required to request changes), and the gate's form, one top-level field at a
//! time, typed and checked by its schema and asked again with the error. A step whose
//! retries ran out is asked `[r]etry, [s]kip, [f]ail` (a skip's value as JSON).
//!
//! Lines come from one blocking reader thread of stdin for the whole process, so a prompt can
//! be abandoned (the gate was decided elsewhere) without losing the reader or a later line.

use std::io::{BufRead, Write};
use std::sync::OnceLock;

use serde_json::{Map, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::sync::Mutex;

use crate::engine::waits::{ApprovalSpec, Decision, DecisionInput};

/// How asking a gate ended.
pub(super) enum Asked {
    /// The terminal's decision was recorded.
    Answered,
    /// Something changed (decided elsewhere, the run is due or not waiting): look again.
    Changed,
    /// Ctrl-C.
    Interrupted,
    /// stdin was closed: nothing more can be asked.
    NoInput,
}

/// stdin's lines, read by a thread of their own started on first use.
fn lines() -> &'static Mutex<UnboundedReceiver<String>> {
    static LINES: OnceLock<Mutex<UnboundedReceiver<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let (tx, rx) = unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Mutex::new(rx)
    })
}

/// Prints `prompt` and reads one line, trimmed; None at the end of input.
pub(super) async fn read_line(prompt: &str) -> Option<String> {
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let line = lines().lock().await.recv().await;
    line.map(|l| l.trim().to_string())
}

/// The gate as the person sees it before deciding: its title and description.
pub(super) fn print_gate(step_key: &str, spec: &ApprovalSpec) {
    println!("\n  {} ({step_key})", spec.title);
    if let Some(d) = spec.description.as_deref().filter(|d| !d.trim().is_empty()) {
        for line in d.trim_end().lines() {
            println!("  │ {line}");
        }
    }
    if !spec.approvers.is_empty() {
        println!(
            "  approvers: {} (this terminal may decide any gate)",
            spec.approvers.join(", ")
        );
    }
}

/// Asks the decision, its comment and the form; None at the end of input.
pub(super) async fn ask(spec: &ApprovalSpec, retry_wait: bool) -> Option<DecisionInput> {
    if retry_wait {
        return ask_retry().await;
    }
    loop {
        let choice = read_line("[a]pprove, [r]equest changes, re[j]ect: ").await?;
        let decision = match choice.to_ascii_lowercase().as_str() {
            "a" | "approve" => Decision::Approve,
            "r" | "request changes" => Decision::RequestChanges,
            "j" | "reject" => Decision::Reject,
            _ => {
                println!("  type a, r or j");
                continue;
            }
        };
        let (comment, input) = match decision {
            Decision::Approve => (None, ask_form(spec.form.as_ref()).await?),
            Decision::RequestChanges => (ask_comment(true).await?, None),
            _ => (ask_comment(false).await?, None),
        };
        return Some(DecisionInput {
            decision,
            comment,
            input,
            value: None,
        });
    }
}

/// At a step whose retries ran out: retry, skip (with a value) or fail.
async fn ask_retry() -> Option<DecisionInput> {
    let decision = loop {
        let choice = read_line("[r]etry, [s]kip, [f]ail: ").await?;
        match choice.to_ascii_lowercase().as_str() {
            "r" | "retry" => break Decision::Retry,
            "s" | "skip" => break Decision::Skip,
            "f" | "fail" => break Decision::Fail,
            _ => println!("  type r, s or f"),
        }
    };
    let value = match decision {
        Decision::Skip => loop {
            let line = read_line("the step's data, as JSON (empty: null): ").await?;
            if line.is_empty() {
                break None;
            }
            match serde_json::from_str::<Value>(&line) {
                Ok(v) => break Some(v),
                Err(e) => println!("  not JSON: {e}"),
            }
        },
        _ => None,
    };
    let comment = ask_comment(false).await?;
    Some(DecisionInput {
        decision,
        comment,
        input: None,
        value,
    })
}

/// A comment: asked until given when `required`; an empty one is none.
async fn ask_comment(required: bool) -> Option<Option<String>> {
    let prompt = if required {
        "comment (what to change): "
    } else {
        "comment (optional): "
    };
    loop {
        let line = read_line(prompt).await?;
        if !line.is_empty() {
            return Some(Some(line));
        }
        if !required {
            return Some(None);
        }
        println!("  a comment is required to request changes");
    }
}

/// The form's top-level fields, each asked by its schema; None (no input) without a form.
async fn ask_form(form: Option<&Value>) -> Option<Option<Value>> {
    let Some(form) = form else {
        return Some(None);
    };
    let required: Vec<&str> = form["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut values = Map::new();
    for (name, schema) in form["properties"].as_object().into_iter().flatten() {
        let required = required.contains(&name.as_str());
        let prompt = field_prompt(name, schema, required);
        let value = loop {
            let line = read_line(&prompt).await?;
            match parse_field(&line, schema, required) {
                Ok(v) => break v,
                Err(e) => println!("  {name}: {e}"),
            }
        };
        if let Some(v) = value {
            values.insert(name.clone(), v);
        }
    }
    Some(Some(Value::Object(values)))
}

/// `budget (number, required, one of: 1, 2) [default 2]: `, with the field's description.
pub(super) fn field_prompt(name: &str, schema: &Value, required: bool) -> String {
    let mut notes: Vec<String> = Vec::new();
    if let Some(t) = schema["type"].as_str() {
        notes.push(t.to_string());
    }
    if required {
        notes.push("required".into());
    }
    if let Some(options) = schema["enum"].as_array() {
        let options: Vec<String> = options.iter().map(plain).collect();
        notes.push(format!("one of: {}", options.join(", ")));
    }
    let mut prompt = format!("  {name}");
    if let Some(d) = schema["description"].as_str() {
        prompt.push_str(&format!(" — {d}"));
    }
    if !notes.is_empty() {
        prompt.push_str(&format!(" ({})", notes.join(", ")));
    }
    if let Some(d) = schema.get("default") {
        prompt.push_str(&format!(" [{}]", plain(d)));
    }
    prompt.push_str(": ");
    prompt
}

/// A value as typed: strings without their quotes.
fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// A typed line as the field's value, checked by the field's schema: None for an empty
/// line of an optional field without a default.
pub(super) fn parse_field(line: &str, schema: &Value, required: bool) -> Result<Option<Value>, String> {
    if line.is_empty() {
        return match schema.get("default") {
            Some(d) => Ok(Some(d.clone())),
            None if required => Err("required".into()),
            None => Ok(None),
        };
    }
    let value = match schema["type"].as_str() {
        Some("number") => serde_json::from_str::<Value>(line)
            .ok()
            .filter(Value::is_number)
            .ok_or("a number, please")?,
        Some("integer") => Value::from(line.parse::<i64>().map_err(|_| "a whole number, please")?),
        Some("boolean") => match line.to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" => Value::Bool(true),
            "n" | "no" | "false" => Value::Bool(false),
            _ => return Err("yes or no, please".into()),
        },
        Some("array") | Some("object") => serde_json::from_str(line).map_err(|e| format!("JSON, please ({e})"))?,
        Some(_) => Value::String(line.to_string()),
        None => serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.to_string())),
    };
    let validator = jsonschema::validator_for(schema).map_err(|e| format!("the form's schema is invalid: {e}"))?;
    let problem = validator.iter_errors(&value).next().map(|e| e.to_string());
    match problem {
        Some(e) => Err(e),
        None => Ok(Some(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_field_is_typed_and_checked_by_its_schema() {
        let number = json!({ "type": "number", "minimum": 1 });
        assert_eq!(parse_field("2.5", &number, true), Ok(Some(json!(2.5))));
        assert!(parse_field("lots", &number, true).unwrap_err().contains("number"));
        assert!(parse_field("0", &number, true).unwrap_err().contains("minimum"));
        assert_eq!(parse_field("", &number, true), Err("required".into()));
        assert_eq!(parse_field("", &number, false), Ok(None));

        let choice = json!({ "type": "string", "enum": ["low", "high"], "default": "low" });
        assert_eq!(parse_field("", &choice, true), Ok(Some(json!("low"))));
        assert_eq!(parse_field("high", &choice, true), Ok(Some(json!("high"))));
        assert!(parse_field("mid", &choice, true).is_err());

        let flag = json!({ "type": "boolean" });
        assert_eq!(parse_field("y", &flag, false), Ok(Some(json!(true))));
        assert!(parse_field("maybe", &flag, false).is_err());
        assert_eq!(
            parse_field("7", &json!({ "type": "integer" }), false),
            Ok(Some(json!(7)))
        );
    }

    #[test]
    fn a_fields_prompt_says_what_it_takes() {
        let schema = json!({ "type": "string", "enum": ["low", "high"], "default": "low", "description": "risk" });
        assert_eq!(
            field_prompt("risk", &schema, true),
            "  risk — risk (string, required, one of: low, high) [low]: "
        );
    }
}
