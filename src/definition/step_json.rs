//! A TypeScript step's config as the JS worker sends it (`ctx.step(id, config)` as JSON),
//! checked against `step_rules` and turned into a `StepConfig`. The worker checked it too,
//! before a function step's `fn` ran, but a worker is not trusted blindly: it runs the
//! workflow's code.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::names::check_name;
use super::step_rules::{self, Front, ModelProblem, Refused, MAX_TURNS, ON_INTERRUPT};
use super::{duration, StepConfig, StepKind};

/// Checks the config of step `id`; a step without `phase` is in `default_phase()`. The error
/// names the step and the field: `ctx.step("id"): "model" must not be empty`.
pub fn step_from_json(id: &str, config: &Value, default_phase: impl FnOnce() -> String) -> Result<StepConfig, String> {
    build(id, config, default_phase).map_err(|m| format!("ctx.step(\"{id}\"): {m}"))
}

fn build(id: &str, config: &Value, default_phase: impl FnOnce() -> String) -> Result<StepConfig, String> {
    let fields = Fields::of(config)?;
    let kind = step_kind(fields.text("type")?)?;
    if kind == StepKind::Script && fields.text("command")?.is_none() {
        return Err("a script step needs a \"command\"".into());
    }
    let phase = fields.text("phase")?.unwrap_or_else(default_phase);
    let mut step = StepConfig {
        id: id.to_string(),
        phase,
        kind: Some(kind),
        env: fields.env()?,
        timeout_ms: fields.timeout()?,
        ..StepConfig::default()
    };
    fields.agent_options(kind, &mut step)?;
    step.name = fields.name(id)?;
    step.command = fields.text("command")?;
    step.cwd = fields.text("cwd")?;
    step.prompt = fields.text("prompt")?;
    step.agent = fields.text("agent")?;
    step.permission = fields.text("permission")?;
    // The worker refuses anything but a boolean before the engine sees it.
    step.continue_on_error = fields
        .given("continueOnError")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(step)
}

fn step_kind(written: Option<String>) -> Result<StepKind, String> {
    match written.as_deref() {
        Some("script") => Ok(StepKind::Script),
        Some("agent") => Ok(StepKind::Agent),
        Some("function") => Ok(StepKind::Function),
        other => Err(format!(
            "\"type\" must be \"agent\", \"script\" or \"function\", not {other:?}"
        )),
    }
}

/// The config's fields, each read by what `step_rules` says it must be.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The config if it is an object of known fields. `fn` is a TypeScript field that never
    /// crosses to the engine: the worker keeps it in the isolate.
    fn of(config: &'a Value) -> Result<Self, String> {
        let obj = config.as_object().ok_or("the config must be an object")?;
        let sent = || step_rules::fields_in(Front::TypeScript).filter(|f| f.key != "fn");
        if let Some(k) = obj.keys().find(|k| !sent().any(|f| f.key == k.as_str())) {
            let expected: Vec<&str> = sent().map(|f| f.key).collect();
            let expected = expected.join(", ");
            return Err(format!("unknown field \"{k}\" (expected one of: {expected})"));
        }
        Ok(Fields(obj))
    }

    fn given(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.given(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("\"{key}\" must be a string")),
        }
    }

    /// Names to strings; numbers and booleans count as their JSON text.
    fn env(&self) -> Result<BTreeMap<String, String>, String> {
        let vars = match self.given("env") {
            None => return Ok(BTreeMap::new()),
            Some(Value::Object(vars)) => vars,
            Some(_) => return Err("\"env\" must be an object of strings".into()),
        };
        vars.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
                _ => Err(format!("env.{k} must be a string")),
            })
            .collect()
    }

    fn timeout(&self) -> Result<Option<u64>, String> {
        let Some(t) = self.given("timeout") else {
            return Ok(None);
        };
        duration::duration_from_json(t)
            .map(Some)
            .map_err(|e| format!("timeout: {e}"))
    }

    fn name(&self, id: &str) -> Result<String, String> {
        let Some(name) = self.text("name")? else {
            return Ok(id.to_string());
        };
        check_name("\"name\"", &name)?;
        Ok(name)
    }

    /// `model`, `maxTurns`, `onInterrupt` and `outputSchema`, which only agent steps take.
    fn agent_options(&self, kind: StepKind, step: &mut StepConfig) -> Result<(), String> {
        let mut misplaced = step_rules::foreign_fields(kind, Refused::Everywhere);
        if let Some(rule) = misplaced.find(|rule| self.given(rule.key).is_some()) {
            let (k, kind) = (rule.key, kind.as_str());
            return Err(format!("\"{k}\" applies to agent steps, not {kind} steps"));
        }
        step.model = self.text("model")?;
        // Only an empty model is refused: `{{` in a YAML model is a placeholder left
        // unrendered, but a TypeScript template literal has already been filled in.
        if step.model.as_deref().and_then(step_rules::model_problem) == Some(ModelProblem::Empty) {
            return Err("\"model\" must not be empty".into());
        }
        step.max_turns = match self.given("maxTurns") {
            None => None,
            Some(v) => Some(
                step_rules::max_turns(v)
                    .ok_or_else(|| format!("\"maxTurns\" must be a whole number from 1 to {MAX_TURNS}, not {v}"))?,
            ),
        };
        step.on_interrupt = self.text("onInterrupt")?;
        if let Some(other) = step.on_interrupt.as_deref().filter(|o| !ON_INTERRUPT.contains(o)) {
            return Err(format!(
                "\"onInterrupt\" must be \"restart\" or \"resume\", not {other:?}"
            ));
        }
        step.output_schema = self.output_schema()?;
        Ok(())
    }

    fn output_schema(&self) -> Result<Option<Value>, String> {
        match self.given("outputSchema") {
            None => Ok(None),
            Some(schema @ Value::Object(_)) => match step_rules::output_schema_problem(schema) {
                Some(problem) => Err(format!("\"outputSchema\" is not a valid JSON Schema{problem}")),
                None => Ok(Some(schema.clone())),
            },
            Some(other) => Err(format!("\"outputSchema\" must be a JSON Schema object, not {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
