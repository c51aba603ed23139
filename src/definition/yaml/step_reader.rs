//! The YAML side of the step builder (`definition::step_build`): a step's problems placed at
//! their `line:col` and worded for a YAML file, text checked for its `{{ }}` placeholders, and
//! the step's `id` and `phase`, which need the file around the step.

use serde_json::Value;

use super::tree::{Kind, Node, Pos};
use super::{step_id, suggest, written_instead, Checker, NO_FUNCTION_STEPS, STEP_KEYS};
use crate::definition::step_build::{At, Problem, Reader, Written};
use crate::definition::step_rules::{Front, ModelProblem, MAX_TURNS};
use crate::definition::StepKind;

impl Written for Node {
    fn get(&self, key: &str) -> Option<&Node> {
        Node::get(self, key)
    }

    fn is_null(&self) -> bool {
        Node::is_null(self)
    }

    fn entries(&self) -> Option<Vec<(&str, &Node)>> {
        let Kind::Map(pairs) = &self.kind else {
            return None;
        };
        Some(pairs.iter().map(|(k, v)| (k.raw().unwrap_or_default(), v)).collect())
    }

    fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(Value::String(s), _) => Some(s),
            _ => None,
        }
    }

    fn json(&self) -> Value {
        Node::json(self)
    }
}

/// One step being read: `label` names it in messages (`step 'build'`, `step 3`).
pub(super) struct YamlStep<'c> {
    pub(super) checker: &'c mut Checker,
    pub(super) node: &'c Node,
    pub(super) label: String,
    pub(super) phase: Option<String>,
}

impl Reader for YamlStep<'_> {
    type W = Node;
    const FRONT: Front = Front::Yaml;

    fn problem(&mut self, at: At<'_, Node>, field: &[&str], problem: Problem) {
        let pos = self.position(&at);
        let message = self.message(at, field, problem);
        self.checker.err(pos, message);
    }

    fn text(&mut self, value: &Node, field: &[&str]) -> Option<String> {
        self.checker.text(Some(value), &field.join(" "))
    }

    fn own_fields(&mut self, node: &Node) -> Option<String> {
        let id = self.checker.required(node, "id", &self.label);
        let id = id.and_then(|n| self.checker.record(n, step_id(n, &self.checker.earlier)));
        self.phase = self.checker.phase(node, &self.label);
        id
    }
}

impl YamlStep<'_> {
    fn position(&self, at: &At<'_, Node>) -> Pos {
        match at {
            At::Step => self.node.pos,
            At::Key(map, key) => map.get_key(key).map_or(map.pos, |k| k.pos),
            At::Entry(map, i) => match &map.kind {
                Kind::Map(pairs) => pairs.get(*i).map_or(map.pos, |(k, _)| k.pos),
                _ => map.pos,
            },
            At::Value(value) => value.pos,
        }
    }

    fn message(&self, at: At<'_, Node>, field: &[&str], problem: Problem) -> String {
        let label = &self.label;
        let key = field.first().copied().unwrap_or_default();
        let value = match at {
            At::Value(value) => value,
            _ => self.node,
        };
        let found = value.describe();
        match problem {
            Problem::NotAMapping => {
                let what = match key {
                    "env" => "'env' (names to values)",
                    "outputSchema" => "'outputSchema' (a JSON Schema)",
                    _ => label,
                };
                format!("{what} must be a mapping, found {found}")
            }
            Problem::UnknownField => {
                let hint = suggest::hint(key, &STEP_KEYS).map(|h| format!(": {h}"));
                let (hint, list) = (hint.unwrap_or_default(), STEP_KEYS.join(", "));
                format!("unknown key '{key}' in {label}{hint} (expected one of: {list})")
            }
            Problem::Missing => {
                let instead = written_instead(self.node, key);
                format!("{label} is missing required key '{key}'{instead}")
            }
            Problem::Foreign { belongs_to, kind } => {
                let own = match kind {
                    StepKind::Agent | StepKind::Approval => format!("an {kind}"),
                    _ => format!("a {kind}"),
                };
                let belongs_to = belongs_to.as_str();
                format!("'{key}' applies to {belongs_to} steps, but {label} is {own} step")
            }
            Problem::EnvName => {
                let name = field.get(1).copied().unwrap_or_default();
                format!("invalid env name '{name}': use letters, digits and '_'")
            }
            problem => value_message(value, key, problem),
        }
    }
}

/// A value that is not what its field must be.
fn value_message(value: &Node, key: &str, problem: Problem) -> String {
    let found = value.describe();
    match problem {
        Problem::NotAString => format!("'{key}' must be a string, found {found}"),
        Problem::NotABool => format!("'{key}' must be true or false, found {found}"),
        Problem::NotOneOf(allowed) => {
            let text = value.as_str().unwrap_or_default();
            format!("{key} '{text}' is not one of {}", allowed.join(", "))
        }
        Problem::BadType => match value.as_str().unwrap_or_default() {
            "function" => NO_FUNCTION_STEPS.into(),
            other => format!("unknown step type '{other}' (expected script, agent, approval, sleep or signal)"),
        },
        Problem::Model(ModelProblem::Empty) => {
            "'model' must not be empty: name a model, e.g. 'sonnet', or leave the key out".into()
        }
        Problem::Model(ModelProblem::Placeholder) => format!(
            "'model' is passed to the agent as written: {{{{ }}}} is not allowed, found '{}'",
            value.as_str().unwrap_or_default()
        ),
        Problem::MaxTurns => {
            let found = match &value.kind {
                Kind::Scalar(Value::Number(_), raw) => raw.clone(),
                _ => found,
            };
            format!("'maxTurns' must be a whole number from 1 to {MAX_TURNS}, found {found}")
        }
        Problem::Schema(problem) => format!("'outputSchema' is not a valid JSON Schema{problem}"),
        Problem::Duration(e) => format!("'{key}': {e}"),
        Problem::Name(problem) => format!("'{key}': {problem}"),
        Problem::Invalid(problem) => format!("'{key}' {problem}"),
        // The structural problems are worded by `YamlStep::message`.
        other => format!("'{key}': {other:?}"),
    }
}
