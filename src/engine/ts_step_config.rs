//! A TypeScript step's config, as the worker sends it (`ctx.step(id, config)` as JSON), checked
//! and turned into a `StepConfig`: the worker checked it too, but a worker is not trusted
//! blindly.

use serde_json::Value;

use super::host::{Interrupt, StepHost};
use crate::definition::names::check_name;
use crate::definition::yaml::MAX_TURNS;
use crate::definition::{duration, StepConfig, StepKind};
use crate::domain::OnInterrupt;

/// Fields a TypeScript step may carry; `model`, `maxTurns`, `outputSchema` and `onInterrupt`
/// only on agent steps (they are read by the agent drivers).
const TS_STEP_FIELDS: &[&str] = &[
    "type",
    "name",
    "phase",
    "command",
    "cwd",
    "prompt",
    "agent",
    "permission",
    "env",
    "timeout",
    "continueOnError",
    "model",
    "maxTurns",
    "outputSchema",
    "onInterrupt",
];

pub(super) fn config_from_json(id: &str, v: &Value, host: &StepHost) -> Result<StepConfig, Interrupt> {
    let bad = |m: String| Interrupt::Invalid(format!("ctx.step(\"{id}\"): {m}"));
    let obj = v
        .as_object()
        .ok_or_else(|| bad("the config must be an object".into()))?;
    if let Some(k) = obj.keys().find(|k| !TS_STEP_FIELDS.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown field \"{k}\" (expected one of: {})",
            TS_STEP_FIELDS.join(", ")
        )));
    }
    let text = |k: &str| -> Result<Option<String>, Interrupt> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("\"{k}\" must be a string"))),
        }
    };
    let kind_text = text("type")?;
    let Some(kind) = kind_text.as_deref().and_then(StepKind::parse) else {
        let other = kind_text.as_deref();
        return Err(bad(format!(
            "\"type\" must be \"agent\", \"script\" or \"function\", not {other:?}"
        )));
    };
    if kind == StepKind::Script && text("command")?.is_none() {
        return Err(bad("a script step needs a \"command\"".into()));
    }
    let phase = match text("phase")? {
        Some(p) => p,
        None => host
            .current_phase()
            .or_else(|| host.phases.first().cloned())
            .unwrap_or_default(),
    };
    let env = match obj.get("env") {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
                _ => Err(bad(format!("env.{k} must be a string"))),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("\"env\" must be an object of strings".into())),
    };
    let timeout_ms = match obj.get("timeout") {
        None | Some(Value::Null) => None,
        Some(t) => Some(duration::duration_from_json(t).map_err(|e| bad(format!("timeout: {e}")))?),
    };
    // Agent options: the worker checked them, but a worker is not trusted blindly.
    let given = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let agent_only = ["model", "maxTurns", "outputSchema", "onInterrupt"];
    let misplaced = agent_only.into_iter().find(|k| given(k).is_some());
    if let Some(k) = misplaced.filter(|_| kind != StepKind::Agent) {
        let message = format!("\"{k}\" applies to agent steps, not {} steps", kind.as_str());
        return Err(bad(message));
    }
    let model = text("model")?;
    if model.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(bad("\"model\" must not be empty".into()));
    }
    let max_turns = match given("maxTurns") {
        None => None,
        Some(v) => {
            let turns = v.as_u64().filter(|n| (1..=MAX_TURNS).contains(n));
            let message = format!("\"maxTurns\" must be a whole number from 1 to {MAX_TURNS}, not {v}");
            Some(turns.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad(message))?)
        }
    };
    let on_interrupt = text("onInterrupt")?;
    if let Some(other) = on_interrupt.as_deref().filter(|o| OnInterrupt::parse(o).is_none()) {
        let message = format!("\"onInterrupt\" must be \"restart\" or \"resume\", not {other:?}");
        return Err(bad(message));
    }
    let output_schema = match given("outputSchema") {
        None => None,
        Some(schema @ Value::Object(_)) => {
            if let Err(e) = jsonschema::validator_for(schema) {
                let at = Some(e.instance_path.to_string()).filter(|p| !p.is_empty());
                let at = at.map(|p| format!(" at {p}")).unwrap_or_default();
                return Err(bad(format!("\"outputSchema\" is not a valid JSON Schema{at}: {e}")));
            }
            Some(schema.clone())
        }
        Some(other) => {
            return Err(bad(format!(
                "\"outputSchema\" must be a JSON Schema object, not {other}"
            )))
        }
    };
    Ok(StepConfig {
        id: id.to_string(),
        name: match text("name")? {
            Some(name) => {
                check_name("\"name\"", &name).map_err(bad)?;
                name
            }
            None => id.to_string(),
        },
        phase,
        kind: Some(kind),
        command: text("command")?,
        cwd: text("cwd")?,
        prompt: text("prompt")?,
        agent: text("agent")?,
        permission: text("permission")?,
        model,
        max_turns,
        output_schema,
        on_interrupt,
        env,
        timeout_ms,
        continue_on_error: obj.get("continueOnError").and_then(Value::as_bool).unwrap_or(false),
        location: None,
        secrets: None,
    })
}
