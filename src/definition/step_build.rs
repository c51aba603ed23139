//! The one step-config builder: a written step (a YAML node or the JSON a JS worker sends)
//! checked against `step_rules` and turned into a `StepConfig`.
//!
//! What differs between the front-ends stays with them, behind `Reader`: where a problem is
//! (YAML: `file:line:col`; TypeScript: the step id and field), how it is worded, how text is
//! read (YAML takes `command: 1.50` as written and checks its `{{ }}` placeholders) and where
//! the id and phase come from. The builder reports every problem it finds; the TypeScript
//! reader keeps the first.

use std::collections::BTreeMap;

use serde_json::Value;

use super::names::name_problem;
use super::step_rules::{self, Front, ModelProblem, Refused, AGENTS, ON_INTERRUPT, ON_TIMEOUT, PERMISSIONS};
use super::{duration, StepConfig, StepKind};

/// A written value: a YAML node or JSON.
pub trait Written: Sized {
    /// The value of `key` if this is a mapping that has it (`null` included for YAML, where
    /// `key:` is written but empty; JSON's `null` counts as absent).
    fn get(&self, key: &str) -> Option<&Self>;
    fn is_null(&self) -> bool;
    /// The keys and values, if this is a mapping.
    fn entries(&self) -> Option<Vec<(&str, &Self)>>;
    fn as_str(&self) -> Option<&str>;
    fn json(&self) -> Value;

    /// The value of `key` unless it is absent or empty, as suits optional fields.
    fn opt(&self, key: &str) -> Option<&Self> {
        self.get(key).filter(|v| !v.is_null())
    }
}

/// Where a problem is.
pub enum At<'a, W> {
    /// The step as a whole (a required field missing).
    Step,
    /// The key `key` of the mapping `map` (its first, if written twice).
    Key(&'a W, &'a str),
    /// The key of the `index`th entry of the mapping `map`.
    Entry(&'a W, usize),
    /// A value.
    Value(&'a W),
}

/// What is wrong with a step's field; the reader words it.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The step, its `env` or its `outputSchema` is not a mapping.
    NotAMapping,
    UnknownField,
    Missing,
    NotAString,
    NotABool,
    /// Not one of these words.
    NotOneOf(&'static [&'static str]),
    /// `type` names no step type, or one the front-end cannot run (YAML function steps).
    BadType,
    /// The field belongs to steps of type `belongs_to`, not `kind`.
    Foreign {
        belongs_to: StepKind,
        kind: StepKind,
    },
    Model(ModelProblem),
    MaxTurns,
    /// The schema does not compile: ` at /path: problem`.
    Schema(String),
    Duration(String),
    /// A name with invisible characters: what `names` says of it.
    Name(String),
    EnvName,
    /// Any other wrong value: what is wrong, after the field's name.
    Invalid(String),
}

/// One front-end's side of the builder.
pub trait Reader {
    type W: Written;
    const FRONT: Front;
    /// Records a problem with `field` (for an `env` entry, `env` and the variable's name).
    fn problem(&mut self, at: At<'_, Self::W>, field: &[&str], problem: Problem);
    /// A text field's value (`command`, `cwd`, `prompt`, an `env` value).
    fn text(&mut self, value: &Self::W, field: &[&str]) -> Option<String>;
    /// Reads the fields the reader owns (YAML: `id` and `phase`; TypeScript: `phase`), after
    /// the unknown keys and before `type`; the step's id, if it is usable.
    fn own_fields(&mut self, node: &Self::W) -> Option<String>;
}

/// The step `node` as a `StepConfig` without its phase (which the reader owns). With no
/// usable id (the reader reported why), the name is not checked either.
pub fn build<R: Reader>(r: &mut R, node: &R::W) -> Option<StepConfig> {
    let Some(entries) = node.entries() else {
        r.problem(At::Step, &[], Problem::NotAMapping);
        return None;
    };
    for (i, (key, _)) in entries.iter().enumerate() {
        if !step_rules::fields_read(R::FRONT).any(|f| f.key == *key) {
            r.problem(At::Entry(node, i), &[key], Problem::UnknownField);
        }
    }
    let id = r.own_fields(node);
    let kind = step_type(r, node);
    let mut step = StepConfig {
        kind,
        ..StepConfig::default()
    };
    if let Some(kind) = kind {
        kind_fields(r, node, kind, &mut step);
    }
    step.env = node.opt("env").map(|n| env(r, n)).unwrap_or_default();
    step.timeout_ms = node.opt("timeout").and_then(|n| timeout(r, n));
    step.continue_on_error = node.opt("continueOnError").and_then(|n| continue_on_error(r, n)) == Some(true);
    if let (Some(kind), Some(n)) = (kind.filter(|k| k.wait().is_none()), node.opt("retry")) {
        step.retry = super::retry::parse(&n.json(), kind)
            .map_err(|e| r.problem(At::Value(n), &["retry"], Problem::Invalid(e)))
            .ok();
    }
    let id = id?;
    step.name = name(r, node).unwrap_or_else(|| id.clone());
    step.id = id;
    Some(step)
}

/// A required field's value, or the problem that it is missing.
fn required<'n, R: Reader>(r: &mut R, node: &'n R::W, key: &str) -> Option<&'n R::W> {
    let value = node.get(key);
    if value.is_none() {
        r.problem(At::Step, &[key], Problem::Missing);
    }
    value
}

fn string<R: Reader>(r: &mut R, value: &R::W, key: &str) -> Option<String> {
    let text = value.as_str().map(str::to_string);
    if text.is_none() {
        r.problem(At::Value(value), &[key], Problem::NotAString);
    }
    text
}

fn step_type<R: Reader>(r: &mut R, node: &R::W) -> Option<StepKind> {
    let Some(value) = node.get("type") else {
        // A TypeScript config without a type is told which there are.
        let problem = match R::FRONT {
            Front::TypeScript => Problem::BadType,
            _ => Problem::Missing,
        };
        r.problem(At::Step, &["type"], problem);
        return None;
    };
    let kind = match StepKind::parse(&string(r, value, "type")?) {
        Some(StepKind::Function) if R::FRONT == Front::Yaml => None,
        kind => kind,
    };
    if kind.is_none() {
        r.problem(At::Value(value), &["type"], Problem::BadType);
    }
    kind
}

/// The fields of a step of `kind`, and a problem for each that belongs to another type.
/// YAML reads a field only on the step type it belongs to (it refused the others); a
/// TypeScript config may carry `command`, `prompt`, `agent` and `permission` on any step.
fn kind_fields<R: Reader>(r: &mut R, node: &R::W, kind: StepKind, step: &mut StepConfig) {
    let yaml = R::FRONT == Front::Yaml;
    let refuser = if yaml { Refused::InYaml } else { Refused::Everywhere };
    for rule in step_rules::foreign_fields(kind, refuser) {
        if node.get(rule.key).is_some() {
            let belongs_to = rule.types[0];
            r.problem(
                At::Key(node, rule.key),
                &[rule.key],
                Problem::Foreign { belongs_to, kind },
            );
        }
    }
    let text = |r: &mut R, key: &str| node.opt(key).and_then(|n| r.text(n, &[key]));
    if kind == StepKind::Script {
        let command = required(r, node, "command");
        step.command = command.and_then(|n| r.text(n, &["command"]));
    } else if !yaml {
        step.command = text(r, "command");
    }
    if kind == StepKind::Agent && yaml {
        let prompt = required(r, node, "prompt");
        step.prompt = prompt.and_then(|n| r.text(n, &["prompt"]));
        let agent = required(r, node, "agent");
        step.agent = agent.and_then(|n| one_of(r, n, "agent", AGENTS));
        step.permission = node
            .opt("permission")
            .and_then(|n| one_of(r, n, "permission", PERMISSIONS));
    } else if !yaml {
        step.prompt = text(r, "prompt");
        step.agent = node.opt("agent").and_then(|n| string(r, n, "agent"));
        step.permission = node.opt("permission").and_then(|n| string(r, n, "permission"));
    }
    step.cwd = text(r, "cwd");
    if kind == StepKind::Agent {
        agent_options(r, node, step);
    }
    match kind {
        StepKind::Approval => approval_fields(r, node, step),
        StepKind::Sleep => {
            let duration = required(r, node, "duration");
            // A sleep may be zero long (a workflow that sleeps "until" a time already past).
            step.duration_ms = duration.and_then(|n| {
                let ms = duration::duration_from_json(&n.json()).or_else(|e| zero_duration(&n.json()).ok_or(e));
                ms.map_err(|e| r.problem(At::Value(n), &["duration"], Problem::Duration(e)))
                    .ok()
            });
        }
        StepKind::Signal => {
            let signal = required(r, node, "signal");
            step.signal = signal.and_then(|n| string(r, n, "signal")).and_then(|name| {
                match step_rules::signal_name_problem(&name) {
                    Some(problem) => {
                        r.problem(At::Value(signal?), &["signal"], Problem::Invalid(problem));
                        None
                    }
                    None => Some(name),
                }
            });
        }
        StepKind::Script | StepKind::Agent | StepKind::Function => {}
    }
}

/// `0`, `"0"`, `"0ms"`, `"0s 0ms"`: a duration of nothing.
fn zero_duration(value: &Value) -> Option<u64> {
    let zero = match value {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.chars().any(|c| c.is_ascii_digit()) && s.chars().all(|c| !c.is_ascii_digit() || c == '0'),
        _ => false,
    };
    zero.then_some(0)
}

/// An approval's `title` (required), `description`, `approvers`, `onTimeout` and `form`.
fn approval_fields<R: Reader>(r: &mut R, node: &R::W, step: &mut StepConfig) {
    let title = required(r, node, "title");
    step.title = title.and_then(|n| r.text(n, &["title"]));
    if step.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        r.problem(
            At::Value(title.expect("read")),
            &["title"],
            Problem::Invalid("must not be empty".into()),
        );
    }
    step.description = node.opt("description").and_then(|n| r.text(n, &["description"]));
    step.on_timeout = node
        .opt("onTimeout")
        .and_then(|n| one_of(r, n, "onTimeout", ON_TIMEOUT));
    if let Some(list) = node.opt("approvers") {
        match list.json() {
            Value::Array(items) => {
                for item in items {
                    match item.as_str().map(|a| (a, step_rules::approver_problem(a))) {
                        Some((approver, None)) => step.approvers.push(approver.trim().to_lowercase()),
                        Some((_, Some(problem))) => {
                            r.problem(At::Value(list), &["approvers"], Problem::Invalid(problem))
                        }
                        None => r.problem(
                            At::Value(list),
                            &["approvers"],
                            Problem::Invalid(format!("must be a list of emails, found {item}")),
                        ),
                    }
                }
            }
            other => r.problem(
                At::Value(list),
                &["approvers"],
                Problem::Invalid(format!("must be a list of emails, found {other}")),
            ),
        }
    }
    if let Some(form) = node.opt("form") {
        let schema = form.json();
        let problem = if !schema.is_object() {
            Some(": it must be a JSON Schema object".to_string())
        } else {
            step_rules::output_schema_problem(&schema)
        };
        match problem {
            Some(problem) => r.problem(
                At::Value(form),
                &["form"],
                Problem::Invalid(format!("is not a valid JSON Schema{problem}")),
            ),
            None => step.form = Some(schema),
        }
    }
}

/// `model`, `maxTurns`, `onInterrupt`, `outputSchema`, `maxCostUsd`, `maxTokens`, and the
/// controls (`agent_controls`).
fn agent_options<R: Reader>(r: &mut R, node: &R::W, step: &mut StepConfig) {
    step.model = node.opt("model").and_then(|n| model(r, n));
    step.max_turns = node.opt("maxTurns").and_then(|n| {
        let turns = step_rules::max_turns(&n.json());
        if turns.is_none() {
            r.problem(At::Value(n), &["maxTurns"], Problem::MaxTurns);
        }
        turns
    });
    step.on_interrupt = node
        .opt("onInterrupt")
        .and_then(|n| one_of(r, n, "onInterrupt", ON_INTERRUPT));
    step.output_schema = node.opt("outputSchema").and_then(|n| output_schema(r, node, n));
    step.max_cost_usd = node.opt("maxCostUsd").and_then(|n| {
        let usd = super::budget::usd(&n.json());
        usd.map_err(|e| r.problem(At::Value(n), &["maxCostUsd"], Problem::Invalid(e)))
            .ok()
    });
    step.max_tokens = node.opt("maxTokens").and_then(|n| {
        let tokens = super::budget::tokens(&n.json());
        tokens
            .map_err(|e| r.problem(At::Value(n), &["maxTokens"], Problem::Invalid(e)))
            .ok()
    });
    super::agent_controls::read(r, node, step);
}

fn one_of<R: Reader>(r: &mut R, value: &R::W, key: &str, allowed: &'static [&'static str]) -> Option<String> {
    let text = string(r, value, key)?;
    if allowed.contains(&text.as_str()) {
        return Some(text);
    }
    r.problem(At::Value(value), &[key], Problem::NotOneOf(allowed));
    None
}

/// The model is passed to the agent CLI as written. Only YAML refuses `{{` in it: there it
/// is a placeholder left unrendered, while a TypeScript template literal is already filled in.
fn model<R: Reader>(r: &mut R, value: &R::W) -> Option<String> {
    let model = string(r, value, "model")?;
    match step_rules::model_problem(&model) {
        Some(ModelProblem::Placeholder) if R::FRONT == Front::TypeScript => Some(model),
        Some(problem) => {
            r.problem(At::Value(value), &["model"], Problem::Model(problem));
            None
        }
        None => Some(model),
    }
}

/// A JSON Schema object that `jsonschema` compiles; one that does not is reported at its key.
fn output_schema<R: Reader>(r: &mut R, step: &R::W, value: &R::W) -> Option<Value> {
    if value.entries().is_none() {
        r.problem(At::Value(value), &["outputSchema"], Problem::NotAMapping);
        return None;
    }
    let schema = value.json();
    if let Some(problem) = step_rules::output_schema_problem(&schema) {
        r.problem(
            At::Key(step, "outputSchema"),
            &["outputSchema"],
            Problem::Schema(problem),
        );
        return None;
    }
    Some(schema)
}

fn env<R: Reader>(r: &mut R, node: &R::W) -> BTreeMap<String, String> {
    let Some(entries) = node.entries() else {
        r.problem(At::Value(node), &["env"], Problem::NotAMapping);
        return BTreeMap::new();
    };
    let mut env = BTreeMap::new();
    for (i, (name, value)) in entries.into_iter().enumerate() {
        // TypeScript leaves the names to the worker's checks and the process's environment.
        if R::FRONT == Front::Yaml && !step_rules::is_env_name(name) {
            r.problem(At::Entry(node, i), &["env", name], Problem::EnvName);
        }
        let text = r.text(value, &["env", name]);
        env.insert(name.to_string(), text.unwrap_or_default());
    }
    env
}

fn timeout<R: Reader>(r: &mut R, value: &R::W) -> Option<u64> {
    let ms = duration::duration_from_json(&value.json());
    ms.map_err(|e| r.problem(At::Value(value), &["timeout"], Problem::Duration(e)))
        .ok()
}

/// `true` or `false`; TypeScript's worker refused anything else before the engine saw it.
fn continue_on_error<R: Reader>(r: &mut R, value: &R::W) -> Option<bool> {
    let flag = value.json().as_bool();
    if flag.is_none() && R::FRONT == Front::Yaml {
        r.problem(At::Value(value), &["continueOnError"], Problem::NotABool);
    }
    flag
}

/// The step's `name`, if written and usable: a name people read, so without invisible
/// characters.
fn name<R: Reader>(r: &mut R, node: &R::W) -> Option<String> {
    let value = node.opt("name")?;
    let name = string(r, value, "name")?;
    match name_problem(&name) {
        Some(problem) => {
            r.problem(At::Value(value), &["name"], Problem::Name(problem));
            None
        }
        None => Some(name),
    }
}
