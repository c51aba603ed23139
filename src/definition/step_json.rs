//! A TypeScript step's config as the JS worker sends it (`ctx.step(id, config)` as JSON),
//! read by the step builder (`step_build`): the TypeScript side of it, which words the first
//! problem for `ctx.step` and gives a step without `phase` the run's current one. The worker
//! checked the config too, before a function step's `fn` ran, but a worker is not trusted
//! blindly: it runs the workflow's code.

use serde_json::Value;

use super::step_build::{self, At, Problem, Reader, Written};
use super::step_rules::{self, Front, MAX_TURNS};
use super::StepConfig;

/// Checks the config of step `id`; a step without `phase` is in `default_phase()`. The error
/// names the step and the field: `ctx.step("id"): "model" must not be empty`.
pub fn step_from_json(id: &str, config: &Value, default_phase: impl FnOnce() -> String) -> Result<StepConfig, String> {
    let mut reader = TsStep {
        id,
        default_phase: config.opt("phase").is_none().then(default_phase),
        phase: None,
        first: None,
    };
    let step = step_build::build(&mut reader, config);
    match (reader.first, step, reader.phase) {
        (None, Some(step), Some(phase)) => Ok(StepConfig { phase, ..step }),
        (first, ..) => {
            let problem = first.unwrap_or_else(|| "the config must be an object".into());
            let call = match config.get("type").and_then(Value::as_str) {
                Some("approval") => "ctx.approval",
                Some("sleep") => "ctx.sleep",
                Some("signal") => "ctx.waitForSignal",
                _ => "ctx.step",
            };
            Err(format!("{call}(\"{id}\"): {problem}"))
        }
    }
}

impl Written for Value {
    fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key).filter(|v| !v.is_null())
    }

    fn is_null(&self) -> bool {
        Value::is_null(self)
    }

    fn entries(&self) -> Option<Vec<(&str, &Value)>> {
        Some(self.as_object()?.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }

    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }

    fn json(&self) -> Value {
        self.clone()
    }
}

/// The TypeScript side of the builder: the first problem, worded for `ctx.step`.
struct TsStep<'a> {
    id: &'a str,
    /// The phase of a step that names none.
    default_phase: Option<String>,
    phase: Option<String>,
    first: Option<String>,
}

impl TsStep<'_> {
    fn string(&mut self, value: &Value, key: &str) -> Option<String> {
        let text = value.as_str().map(str::to_string);
        if text.is_none() {
            self.problem(At::Value(value), &[key], Problem::NotAString);
        }
        text
    }
}

impl Reader for TsStep<'_> {
    type W = Value;
    const FRONT: Front = Front::TypeScript;

    /// The id is `ctx.step`'s first argument; a step without `phase` is in the default one.
    fn own_fields(&mut self, node: &Value) -> Option<String> {
        self.phase = match node.opt("phase") {
            None => self.default_phase.take(),
            Some(phase) => self.string(phase, "phase"),
        };
        Some(self.id.to_string())
    }

    fn problem(&mut self, at: At<'_, Value>, field: &[&str], problem: Problem) {
        if self.first.is_none() {
            self.first = Some(message(at, field, problem));
        }
    }

    /// Strings; an `env` value may also be a number or a boolean, as its JSON text.
    fn text(&mut self, value: &Value, field: &[&str]) -> Option<String> {
        match (value, field) {
            (Value::String(s), _) => Some(s.clone()),
            (Value::Number(_) | Value::Bool(_), ["env", _]) => Some(value.to_string()),
            (_, ["env", name]) => {
                let message = format!("env.{name} must be a string");
                self.first.get_or_insert(message);
                None
            }
            (_, [key, ..]) => self.string(value, key),
            (_, []) => None,
        }
    }
}

/// A problem as `ctx.step` reports it.
fn message(at: At<'_, Value>, field: &[&str], problem: Problem) -> String {
    let key = field.first().copied().unwrap_or_default();
    let value = match at {
        At::Value(v) => Some(v),
        _ => None,
    };
    let shown = value.map(Value::to_string).unwrap_or_default();
    match problem {
        Problem::NotAMapping if key == "env" => "\"env\" must be an object of strings".into(),
        Problem::NotAMapping if key == "outputSchema" => {
            format!("\"outputSchema\" must be a JSON Schema object, not {shown}")
        }
        Problem::NotAMapping => "the config must be an object".into(),
        Problem::UnknownField => {
            let expected: Vec<&str> = step_rules::fields_read(Front::TypeScript).map(|f| f.key).collect();
            format!("unknown field \"{key}\" (expected one of: {})", expected.join(", "))
        }
        Problem::Missing if key == "command" => format!("a script step needs a \"{key}\""),
        Problem::Missing => format!("\"{key}\" is required"),
        Problem::NotAString => format!("\"{key}\" must be a string"),
        Problem::NotOneOf(allowed) => {
            let words: Vec<String> = allowed.iter().map(|w| format!("\"{w}\"")).collect();
            let other = value.and_then(Value::as_str).unwrap_or_default();
            format!("\"{key}\" must be {}, not {other:?}", step_rules::or_list(words))
        }
        Problem::BadType => {
            let other = value.and_then(Value::as_str);
            format!("\"type\" must be \"agent\", \"script\" or \"function\", not {other:?}")
        }
        Problem::Foreign { belongs_to, kind } => {
            let (belongs_to, kind) = (belongs_to.as_str(), kind.as_str());
            format!("\"{key}\" applies to {belongs_to} steps, not {kind} steps")
        }
        Problem::Model(_) => "\"model\" must not be empty".into(),
        Problem::MaxTurns => format!("\"maxTurns\" must be a whole number from 1 to {MAX_TURNS}, not {shown}"),
        Problem::Schema(problem) => format!("\"outputSchema\" is not a valid JSON Schema{problem}"),
        Problem::Duration(e) => format!("{key}: {e}"),
        Problem::Invalid(problem) => format!("\"{key}\" {problem}"),
        Problem::Name(problem) => format!("\"name\": {problem}"),
        // The builder checks these for YAML only: the worker refused them already.
        Problem::NotABool | Problem::EnvName => format!("\"{key}\" is not valid"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::definition::StepKind;

    fn check(config: Value) -> Result<StepConfig, String> {
        step_from_json("s", &config, || "build".into())
    }

    #[test]
    fn a_config_becomes_a_step() {
        let step = check(json!({"type": "script", "command": "make", "env": {"N": 4}, "timeout": "2s"})).unwrap();
        assert_eq!(
            (step.id.as_str(), step.name.as_str(), step.phase.as_str()),
            ("s", "s", "build")
        );
        assert_eq!(
            (step.kind, step.command.as_deref()),
            (Some(StepKind::Script), Some("make"))
        );
        assert_eq!((step.env["N"].as_str(), step.timeout_ms), ("4", Some(2_000)));
        let agent = json!({"type": "agent", "agent": "codex", "prompt": "p", "maxTurns": 3, "onInterrupt": "resume"});
        let step = check(agent).unwrap();
        assert_eq!(
            (step.max_turns, step.on_interrupt.as_deref()),
            (Some(3), Some("resume"))
        );
    }

    #[test]
    fn mistakes_name_the_step_and_the_field() {
        let err = |config: Value| check(config).unwrap_err();
        assert_eq!(err(json!([])), "ctx.step(\"s\"): the config must be an object");
        assert!(err(json!({"type": "script", "command": "x", "retries": 1}))
            .starts_with("ctx.step(\"s\"): unknown field \"retries\" (expected one of: name, phase, type,"));
        assert_eq!(
            err(json!({"type": "shell"})),
            "ctx.step(\"s\"): \"type\" must be \"agent\", \"script\" or \"function\", not Some(\"shell\")"
        );
        assert_eq!(
            err(json!({"type": "script"})),
            "ctx.step(\"s\"): a script step needs a \"command\""
        );
        assert_eq!(
            err(json!({"type": "function", "maxTurns": 2})),
            "ctx.step(\"s\"): \"maxTurns\" applies to agent steps, not function steps"
        );
        let agent = |extra: Value| {
            let mut config = json!({"type": "agent", "agent": "claude", "prompt": "p"});
            config
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            err(config)
        };
        assert_eq!(
            agent(json!({"model": " "})),
            "ctx.step(\"s\"): \"model\" must not be empty"
        );
        let turns = "ctx.step(\"s\"): \"maxTurns\" must be a whole number from 1 to 10000, not 0";
        assert_eq!(agent(json!({"maxTurns": 0})), turns);
        assert!(agent(json!({"outputSchema": {"type": "strin"}})).contains("is not a valid JSON Schema at /type: "));
        assert!(err(json!({"type": "function", "name": "a\u{202E}"})).contains("\"name\": contains U+202E"));
    }
}
