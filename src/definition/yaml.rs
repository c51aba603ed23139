//! The YAML front-end: a pipeline file becomes a `WorkflowDefinition`, or every problem in it
//! with its `file:line:col`.
//!
//! `tree` turns the text into positioned nodes; this module checks them against the workflow
//! schema. Checking goes on past the first problem so that one run reports them all.

mod locate;
mod suggest;
mod tree;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde_json::Value;

use self::tree::{Kind, Node, Pos};
use super::duration::duration_from_json;
use super::refs::Scope;
use super::step_build;
use super::step_data::Produced;
use super::step_rules::{self, Front};
use super::{expr, template, validate_step_id, DefinitionError, DefinitionKind, Location};
use super::{StepConfig, WorkflowDefinition};

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "argsSchema",
    "runName",
    "phases",
    "steps",
    "timeout",
    "budget",
    "concurrency",
    "workspace",
];
/// The keys a YAML step may have, in the order messages list them.
static STEP_KEYS: LazyLock<Vec<&str>> = LazyLock::new(|| step_rules::fields_in(Front::Yaml).map(|f| f.key).collect());
/// The biggest YAML workflow file read: ten times one of 20,000 steps.
pub const MAX_FILE_BYTES: usize = 16 << 20;
/// The most problems reported for one file.
const MAX_ERRORS: usize = 50;
const NO_FUNCTION_STEPS: &str = "function steps need a TypeScript workflow (.ts); YAML steps are script or agent";

/// Reads and parses the YAML workflow at `path`, which must not be bigger than
/// `MAX_FILE_BYTES`: the whole file is held in memory, several times over while it is checked.
pub fn read_yaml(path: &Path) -> Result<WorkflowDefinition, Vec<DefinitionError>> {
    use std::io::Read;
    let cannot_read = |e: std::io::Error| {
        vec![DefinitionError::at(
            None,
            format!("cannot read {}: {e}", path.display()),
        )]
    };
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut source = String::new();
    let limit = MAX_FILE_BYTES as u64 + 1;
    file.take(limit).read_to_string(&mut source).map_err(cannot_read)?;
    if source.len() > MAX_FILE_BYTES {
        let message = format!(
            "the file is bigger than {} MB, the limit for a workflow file",
            MAX_FILE_BYTES >> 20
        );
        return Err(vec![DefinitionError::in_file(path, message)]);
    }
    parse_yaml(path, &source)
}

/// Parses a YAML workflow. `path` is recorded in the definition and in every error as given.
pub fn parse_yaml(path: &Path, source: &str) -> Result<WorkflowDefinition, Vec<DefinitionError>> {
    let mut c = Checker::new(path, source);
    let (root, problems) = match tree::parse(source) {
        Ok(parsed) => parsed,
        Err((pos, message)) => {
            c.err(pos, message);
            return Err(c.errors);
        }
    };
    for (pos, message) in problems {
        c.err(pos, message);
    }
    let definition = match &root {
        Some(root) if !root.is_null() => c.workflow(root),
        _ => {
            let message = "the file is empty: a workflow needs name, phases and steps";
            c.err(Pos(1, 1), message.into());
            None
        }
    };
    match definition {
        Some(definition) if c.errors.is_empty() => Ok(definition),
        _ => {
            c.errors
                .sort_by_key(|e| e.location.as_ref().map(|l| (l.line, l.column)));
            Err(first_errors(c.errors))
        }
    }
}

/// The first `MAX_ERRORS` problems and a count of the rest: a big broken file would otherwise
/// give thousands, stored with the definition and sent with every list of them.
fn first_errors(mut errors: Vec<DefinitionError>) -> Vec<DefinitionError> {
    if errors.len() > MAX_ERRORS {
        let more = errors.len() - MAX_ERRORS;
        let location = errors[MAX_ERRORS].location.clone();
        errors.truncate(MAX_ERRORS);
        let message = format!("and {more} more problems after this line (fix these first)");
        errors.push(DefinitionError::at(location, message));
    }
    errors
}

fn duration(node: &Node, key: &str) -> Result<u64, String> {
    duration_from_json(&node.json()).map_err(|e| format!("'{key}': {e}"))
}

/// A name people read: a string without invisible characters (`names`).
fn readable(node: &Node, key: &str) -> Result<String, String> {
    let name = node.string(key)?;
    super::names::check_name(&format!("'{key}'"), &name)?;
    Ok(name)
}

fn step_id(node: &Node, earlier: &HashMap<String, (usize, Produced)>) -> Result<String, String> {
    let id = node.string("id")?;
    validate_step_id(&id)?;
    match earlier.get(&id) {
        Some((line, _)) => Err(format!("duplicate step id '{id}' (first at line {line})")),
        None => Ok(id),
    }
}

/// `phases` is `None` when the declared phases could not be read, so there is nothing to check;
/// `declared` holds the same names, to look one up.
fn phase_of(node: &Node, label: &str, phases: Option<&[String]>, declared: &HashSet<String>) -> Result<String, String> {
    let phase = node.string("phase")?;
    match phases {
        Some(phases) if !declared.contains(&phase) => Err(format!(
            "{label} uses phase '{phase}', which is not declared in phases ({})",
            phases.join(", ")
        )),
        _ => Ok(phase),
    }
}

/// Names the key of `node` that was probably meant as `key` (`run:` for `command:`), which is
/// reported as unknown too, so that the two messages are read together.
fn written_instead(node: &Node, key: &str) -> String {
    let Kind::Map(pairs) = &node.kind else {
        return String::new();
    };
    let written = pairs.iter().filter_map(|(k, _)| k.raw());
    let instead = written.into_iter().find(|k| suggest::meant(k, &[key]).is_some());
    instead
        .map(|k| format!(" ('{k}' is written instead)"))
        .unwrap_or_default()
}

#[derive(Default)]
struct Checker {
    file: PathBuf,
    /// The file's text, to place a problem inside a value (`locate`).
    source: locate::Source,
    errors: Vec<DefinitionError>,
    known_args: Option<Vec<String>>,
    phases: Option<Vec<String>>,
    declared_phases: HashSet<String>,
    /// Ids of the steps checked so far, with the line each id is on and what its data can
    /// hold. Looked up, never scanned or copied per step: a file of 20,000 steps must not
    /// take 20,000² steps.
    earlier: HashMap<String, (usize, Produced)>,
    /// The phase of the step before, which a step without `phase` takes.
    last_phase: Option<String>,
}

impl Checker {
    fn new(file: &Path, source: &str) -> Self {
        Checker {
            file: file.to_path_buf(),
            source: locate::Source::new(source),
            ..Checker::default()
        }
    }

    fn location(&self, pos: Pos) -> Location {
        Location {
            file: self.file.clone(),
            line: pos.0,
            column: pos.1,
        }
    }

    fn err(&mut self, pos: Pos, message: String) {
        let location = self.location(pos);
        self.errors.push(DefinitionError::at(Some(location), message));
    }

    /// Runs `rule` on `node` if it is there, recording a failure at the node.
    fn check<T>(&mut self, node: Option<&Node>, rule: impl Fn(&Node) -> Result<T, String>) -> Option<T> {
        let node = node?;
        self.record(node, rule(node))
    }

    /// The value, or `None` with the failure recorded at `node`.
    fn record<T>(&mut self, node: &Node, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.err(node.pos, message)).ok()
    }

    /// Reports keys of the mapping `node` that are not in `allowed`, with the key probably
    /// meant.
    fn allow(&mut self, node: &Node, allowed: &[&str], context: &str) {
        let Kind::Map(pairs) = &node.kind else { return };
        for key in pairs.iter().map(|(k, _)| k) {
            let raw = key.raw().unwrap_or_default();
            if !allowed.contains(&raw) {
                let hint = suggest::hint(raw, allowed)
                    .map(|h| format!(": {h}"))
                    .unwrap_or_default();
                let list = allowed.join(", ");
                let message = format!("unknown key '{raw}'{context}{hint} (expected one of: {list})");
                self.err(key.pos, message);
            }
        }
    }

    fn mapping(&mut self, node: &Node, what: &str) -> bool {
        let is_map = matches!(node.kind, Kind::Map(_));
        if !is_map {
            let message = format!("{what} must be a mapping, found {}", node.describe());
            self.err(node.pos, message);
        }
        is_map
    }

    fn required<'n>(&mut self, node: &'n Node, key: &str, owner: &str) -> Option<&'n Node> {
        let value = node.get(key);
        if value.is_none() {
            let instead = written_instead(node, key);
            let message = format!("{owner} is missing required key '{key}'{instead}");
            self.err(node.pos, message);
        }
        value
    }

    /// A string whose `{{ }}` placeholders may use the arguments and earlier steps (and, in a
    /// `command`, stand outside quotes). A problem is placed at its placeholder.
    fn text(&mut self, node: Option<&Node>, key: &str) -> Option<String> {
        let node = node?;
        let text = self.record(node, node.text(key))?;
        let checked = match key {
            "command" => template::check_command(&text, self),
            _ => template::check(&text, self),
        };
        self.placed(node, &text, checked.map(|_| text.clone()))
    }

    /// `runName`: a template naming only the arguments (`template::check_args_only`).
    fn run_name(&mut self, node: &Node) -> Option<String> {
        let text = self.record(node, node.text("runName"))?;
        let checked = template::check_args_only(&text, self).map(|_| text.clone());
        let checked = checked.map_err(|(at, e)| (at, format!("'runName': {e}")));
        self.placed(node, &text, checked)
    }

    /// `concurrency: { key, limit }`: a problem placed at the key it is about, or where it is
    /// in the key's template.
    fn concurrency(&mut self, node: &Node) -> Option<super::concurrency::Concurrency> {
        let c = match super::concurrency::Concurrency::from_json(&node.json()) {
            Ok(c) => c,
            Err((key, message)) => {
                let at = key.and_then(|k| node.get(k)).unwrap_or(node);
                self.err(at.pos, format!("'concurrency': {message}"));
                return None;
            }
        };
        let key_node = node.get("key")?;
        let checked = c.check(self).map(|_| c.clone());
        let checked = checked.map_err(|(at, e)| (at, format!("'concurrency.key': {e}")));
        self.placed(key_node, &c.key, checked)
    }

    /// The step's `if:` condition, parsed and its paths checked; a problem is placed where it
    /// is in the condition.
    fn condition(&mut self, node: &Node) -> Option<String> {
        let text = self.record(node, node.text("if"))?;
        let checked = expr::check(&text, self).map(|_| text.clone());
        let checked = checked.map_err(|(at, e)| (at, format!("'if': {e}")));
        self.placed(node, &text, checked)
    }

    /// The value, or `None` with the failure recorded at byte `at` of `text`, the value of
    /// `node` (at the node itself when the file does not hold the text as it is).
    fn placed<T>(&mut self, node: &Node, text: &str, result: Result<T, (usize, String)>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err((at, message)) => {
                let pos = self.source.locate(node.pos, text, at);
                self.err(pos, message);
                None
            }
        }
    }

    fn workflow(&mut self, root: &Node) -> Option<WorkflowDefinition> {
        if !self.mapping(root, "a workflow file") {
            return None;
        }
        self.allow(root, TOP_KEYS, "");
        let name = self.required(root, "name", "the workflow");
        let name = self.check(name, |n| readable(n, "name"));
        let description = self.check(root.opt("description"), |n| n.string("description"));
        let timeout_ms = self.check(root.opt("timeout"), |n| duration(n, "timeout"));
        let budget = root.opt("budget").and_then(|n| self.budget(n));
        let workspace = root.opt("workspace").and_then(|n| self.workspace(n));
        let args_schema = root.opt("argsSchema").map(|n| self.args_schema(n));
        let properties = args_schema.as_ref().and_then(|s| s.get("properties")?.as_object());
        self.known_args = properties.map(|p| p.keys().cloned().collect());
        let run_name = root.opt("runName").and_then(|n| self.run_name(n));
        let concurrency = root.opt("concurrency").and_then(|n| self.concurrency(n));
        let phases = self.required(root, "phases", "the workflow");
        self.phases = phases.and_then(|n| self.phase_list(n));
        self.declared_phases = self.phases.iter().flatten().cloned().collect();
        let mut steps = Vec::new();
        let list = self.required(root, "steps", "the workflow");
        match list.map(|n| &n.kind) {
            Some(Kind::Seq(items)) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    steps.extend(self.step(item, i + 1));
                }
            }
            Some(_) => {
                let found = list.map(Node::describe).unwrap_or_default();
                let message = format!("'steps' must be a non-empty list of steps, found {found}");
                self.err(list?.pos, message);
            }
            None => {}
        }
        Some(WorkflowDefinition {
            name: name?,
            description,
            kind: DefinitionKind::Yaml,
            path: self.file.clone(),
            phases: self.phases.clone()?,
            args_schema,
            run_name,
            timeout_ms,
            budget,
            concurrency,
            workspace,
            steps,
            sources: Vec::new(),
        })
    }

    /// `budget: { usd?, tokens?, duration? }`, a problem reported at the key it is about.
    fn budget(&mut self, node: &Node) -> Option<super::budget::Budget> {
        match super::budget::Budget::from_json(&node.json()) {
            Ok(b) => Some(b),
            Err((key, message)) => {
                let at = key.and_then(|k| node.get(k)).unwrap_or(node);
                self.err(at.pos, format!("'budget': {message}"));
                None
            }
        }
    }

    /// `workspace: { isolation?, base?, branch?, keep?, deleteBranch? }`, a problem reported
    /// at the key it is about.
    fn workspace(&mut self, node: &Node) -> Option<super::workspace::WorkspaceSpec> {
        match super::workspace::WorkspaceSpec::from_json(&node.json()) {
            Ok(w) => Some(w),
            Err((key, message)) => {
                let at = key.and_then(|k| node.get(k)).unwrap_or(node);
                self.err(at.pos, format!("'workspace': {message}"));
                None
            }
        }
    }

    fn args_schema(&mut self, node: &Node) -> Value {
        if self.mapping(node, "'argsSchema' (a JSON Schema of type object)") {
            if let Some(kind) = node.get("type").filter(|t| t.raw() != Some("object")) {
                let found = kind.describe();
                let message = format!("argsSchema type must be 'object' (named arguments), found {found}");
                self.err(kind.pos, message);
            }
        }
        node.json()
    }

    fn phase_list(&mut self, node: &Node) -> Option<Vec<String>> {
        let items = match &node.kind {
            Kind::Seq(items) if !items.is_empty() => items,
            _ => {
                let found = node.describe();
                let message = format!("'phases' must be a non-empty list of names, found {found}");
                self.err(node.pos, message);
                return None;
            }
        };
        let (mut phases, mut lines) = (Vec::new(), HashMap::new());
        for item in items {
            let Some(phase) = self.check(Some(item), |n| readable(n, "phases[]")) else {
                continue;
            };
            match lines.get(&phase) {
                Some(line) => {
                    let message = format!("duplicate phase '{phase}' (first at line {line})");
                    self.err(item.pos, message);
                }
                None => {
                    lines.insert(phase.clone(), item.pos.0);
                    phases.push(phase);
                }
            }
        }
        Some(phases)
    }

    fn step(&mut self, node: &Node, number: usize) -> Option<StepConfig> {
        let label = match node.get("id").map(|id| &id.kind) {
            Some(Kind::Scalar(Value::String(id), _)) => format!("step '{id}'"),
            _ => format!("step {number}"),
        };
        let mut reader = YamlStep {
            checker: self,
            node,
            label,
            phase: None,
        };
        let step = step_build::build(&mut reader, node);
        let phase = reader.phase.take();
        let condition = node.opt("if").and_then(|n| self.condition(n));
        let step = step?;
        // Only now: a step's own placeholders may not name it.
        let produced = Produced {
            kind: step.kind,
            output_schema: step.output_schema.clone(),
            form: step.form.clone(),
            skippable: step.retry.as_ref().is_some_and(|r| r.on_exhausted == "wait"),
        };
        self.earlier
            .insert(step.id.clone(), (node.get_key("id")?.pos.0, produced));
        let location = Some(self.location(node.pos));
        Some(StepConfig {
            phase: phase?,
            location,
            condition,
            ..step
        })
    }

    /// The step's `phase`; without one, the phase of the step before (the first phase for the
    /// first step), as in TypeScript.
    fn phase(&mut self, node: &Node, label: &str) -> Option<String> {
        let phase = match node.opt("phase") {
            Some(n) => self.record(n, phase_of(n, label, self.phases.as_deref(), &self.declared_phases))?,
            None => self
                .last_phase
                .clone()
                .or_else(|| self.phases.as_ref()?.first().cloned())?,
        };
        self.last_phase = Some(phase.clone());
        Some(phase)
    }
}

impl Scope for Checker {
    fn known_args(&self) -> Option<&[String]> {
        self.known_args.as_deref()
    }

    fn step(&self, id: &str) -> Option<&Produced> {
        self.earlier.get(id).map(|(_, produced)| produced)
    }
}

mod step_reader;
use step_reader::YamlStep;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod flow_tests;
