//! What a step's `data` can hold, by step type, so that a YAML placeholder or condition that
//! names a path the step cannot have (`steps.build.data.stdot` of a script step) is refused
//! as the file is parsed, with the fields there are. The shapes follow what the engine
//! writes: a script's `{exitCode, stdout, stderr}` (`engine::script_step`), an agent's
//! `AgentStepData` (`engine::agent_result`, `runtime-js/workflow-engine.d.ts`), and the
//! waits' data (`engine::waits`). What a step's author shapes (an agent's `output`, an
//! approval's `input`, a signal's `payload`) is checked only as far as its schema closes it.

use serde_json::Value;

use super::StepKind;

/// What an earlier step can produce, as the checker keeps it.
#[derive(Debug, Clone, Default)]
pub struct Produced {
    pub kind: Option<StepKind>,
    /// Agent steps: the outputSchema their `output` follows.
    pub output_schema: Option<Value>,
    /// Approval steps: the form their `input` follows.
    pub form: Option<Value>,
    /// A person may skip the step with a value of their own (`retry.onExhausted: "wait"`):
    /// its data can then be anything.
    pub skippable: bool,
}

/// What a value in a step's data is.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Text,
    Number,
    Bool,
    /// Anything (a list the CLI reports, a value written by a person or a program).
    Any,
    Fields(&'static [(&'static str, Shape)]),
    /// Shaped by the step's own schema (`output`, `input`).
    Schema(Schema),
}

#[derive(Debug, Clone, Copy)]
enum Schema {
    Output,
    Form,
}

use Shape::{Any, Bool, Fields, Number, Text};

const SCRIPT: &[(&str, Shape)] = &[("exitCode", Number), ("stdout", Text), ("stderr", Text)];
const USAGE: &[(&str, Shape)] = &[
    ("inputTokens", Number),
    ("outputTokens", Number),
    ("cachedTokens", Number),
];
const AGENT: &[(&str, Shape)] = &[
    ("agent", Text),
    ("text", Text),
    ("output", Shape::Schema(Schema::Output)),
    ("sessionId", Text),
    ("sessionFile", Text),
    ("resumed", Bool),
    ("errorKind", Text),
    ("model", Text),
    ("usage", Fields(USAGE)),
    ("costUsd", Number),
    ("numTurns", Number),
    ("attempts", Number),
    ("permissionDenials", Any),
];
const APPROVAL: &[(&str, Shape)] = &[
    ("decision", Text),
    ("by", Text),
    ("at", Text),
    ("comment", Text),
    ("input", Shape::Schema(Schema::Form)),
    ("timedOut", Bool),
];
const SLEEP: &[(&str, Shape)] = &[("wokeAt", Text)];
const SIGNAL: &[(&str, Shape)] = &[
    ("name", Text),
    ("payload", Any),
    ("signalId", Text),
    ("at", Text),
    ("timedOut", Bool),
];

fn data_shape(kind: StepKind) -> Shape {
    match kind {
        StepKind::Script => Fields(SCRIPT),
        StepKind::Agent => Fields(AGENT),
        StepKind::Approval => Fields(APPROVAL),
        StepKind::Sleep => Fields(SLEEP),
        StepKind::Signal => Fields(SIGNAL),
        StepKind::Function => Any,
    }
}

/// Why step `id` (which `produced` describes) can never have `data.<rest>`, if so.
pub fn path_problem(produced: &Produced, id: &str, rest: &[&str]) -> Option<String> {
    let kind = produced.kind?;
    if produced.skippable {
        return None;
    }
    let mut shape = data_shape(kind);
    let mut path = format!("steps.{id}.data");
    for (i, seg) in rest.iter().enumerate() {
        shape = match shape {
            Any => return None,
            Fields(fields) => match fields.iter().find(|(name, _)| name == seg) {
                Some((_, inner)) => *inner,
                None => {
                    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                    let owner = match i {
                        0 => format!("the data of {} step", article(kind)),
                        _ => path.clone(),
                    };
                    return Some(format!("{owner} has {}, not '{seg}'", names.join(", ")));
                }
            },
            Text | Number | Bool => {
                let what = match shape {
                    Text => "text",
                    Number => "a number",
                    _ => "true or false",
                };
                return Some(format!("{path} is {what}, which has no '{seg}'"));
            }
            Shape::Schema(Schema::Output) => {
                let Some(schema) = &produced.output_schema else {
                    return Some(format!(
                        "step '{id}' has no outputSchema, so its data has no output (its answer is in data.text)"
                    ));
                };
                return schema_problem(schema, &path, &rest[i..]);
            }
            Shape::Schema(Schema::Form) => {
                let Some(form) = &produced.form else {
                    return Some(format!("step '{id}' has no form, so its data has no input"));
                };
                return schema_problem(form, &path, &rest[i..]);
            }
        };
        path = format!("{path}.{seg}");
    }
    None
}

/// Why a value following `schema` (at `path`) can never have `rest`: a property a closed
/// object (`additionalProperties: false`) does not declare, or a field of a scalar type.
fn schema_problem(schema: &Value, path: &str, rest: &[&str]) -> Option<String> {
    let (seg, tail) = rest.split_first()?;
    let kind = schema.get("type").and_then(Value::as_str);
    if let Some(scalar @ ("string" | "number" | "integer" | "boolean" | "null")) = kind {
        return Some(format!(
            "{path} is a {scalar} (its schema says so), which has no '{seg}'"
        ));
    }
    let inner = format!("{path}.{seg}");
    if kind == Some("array") {
        if seg.parse::<usize>().is_err() {
            return Some(format!(
                "{path} is a list (its schema says so): '{seg}' is not an index"
            ));
        }
        return schema
            .get("items")
            .and_then(|items| schema_problem(items, &inner, tail));
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    match properties.and_then(|p| p.get(*seg)) {
        Some(property) => schema_problem(property, &inner, tail),
        None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
            let names: Vec<&str> = properties
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            Some(format!(
                "{path} has {} (its schema allows no other), not '{seg}'",
                if names.is_empty() {
                    "no properties".to_string()
                } else {
                    names.join(", ")
                }
            ))
        }
        None => None,
    }
}

fn article(kind: StepKind) -> String {
    match kind {
        StepKind::Agent | StepKind::Approval => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problem(produced: &Produced, path: &str) -> Option<String> {
        let rest: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
        path_problem(produced, "a", &rest)
    }

    fn of(kind: StepKind) -> Produced {
        Produced {
            kind: Some(kind),
            ..Produced::default()
        }
    }

    #[test]
    fn a_script_step_has_stdout_stderr_and_exit_code() {
        let script = of(StepKind::Script);
        assert_eq!(problem(&script, ""), None);
        assert_eq!(problem(&script, "stdout"), None);
        assert_eq!(problem(&script, "exitCode"), None);
        assert_eq!(
            problem(&script, "stdot").unwrap(),
            "the data of a script step has exitCode, stdout, stderr, not 'stdot'"
        );
        assert_eq!(
            problem(&script, "stdout.x").unwrap(),
            "steps.a.data.stdout is text, which has no 'x'"
        );
        // A person may skip a step that waits when its tries run out, with any value.
        let skippable = Produced {
            skippable: true,
            ..script
        };
        assert_eq!(problem(&skippable, "url"), None);
    }

    #[test]
    fn an_agent_step_has_its_data_and_output_only_with_a_schema() {
        let agent = of(StepKind::Agent);
        assert_eq!(problem(&agent, "text"), None);
        assert_eq!(problem(&agent, "usage.inputTokens"), None);
        assert!(problem(&agent, "usage.tokens")
            .unwrap()
            .starts_with("steps.a.data.usage has inputTokens"));
        assert!(problem(&agent, "output.title").unwrap().contains("has no outputSchema"));
        let open = Produced {
            output_schema: Some(json!({"type": "object", "properties": {"title": {"type": "string"}}})),
            ..agent.clone()
        };
        assert_eq!(problem(&open, "output.title"), None);
        assert_eq!(problem(&open, "output.other"), None, "an open schema allows more");
        assert!(problem(&open, "output.title.x").unwrap().contains("is a string"));
        let closed = Produced {
            output_schema: Some(json!({"type": "object", "additionalProperties": false,
                                       "properties": {"items": {"type": "array", "items": {"type": "number"}}}})),
            ..agent
        };
        assert_eq!(problem(&closed, "output.items.0"), None);
        assert!(problem(&closed, "output.itms").unwrap().contains("allows no other"));
        assert!(problem(&closed, "output.items.first").unwrap().contains("not an index"));
        assert!(problem(&closed, "output.items.0.x").unwrap().contains("is a number"));
    }

    #[test]
    fn waits_have_their_own_data() {
        assert_eq!(problem(&of(StepKind::Signal), "payload.anything.at.all"), None);
        assert_eq!(problem(&of(StepKind::Sleep), "wokeAt"), None);
        assert!(problem(&of(StepKind::Approval), "input.budget")
            .unwrap()
            .contains("has no form"));
        assert!(problem(&of(StepKind::Approval), "decison")
            .unwrap()
            .contains("has decision"));
        assert_eq!(
            problem(&Produced::default(), "whatever"),
            None,
            "an unknown kind checks nothing"
        );
    }
}
