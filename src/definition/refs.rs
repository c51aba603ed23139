//! The run's values that YAML `{{ }}` placeholders and `if:` conditions name: `args.<name>…`,
//! `steps.<id>.data…` (also `.status`, `.error`) and `secrets.NAME`. A dotted path becomes a
//! `Ref`; it is checked when the file is parsed (`Scope`: the declared arguments and the
//! steps before, with what each step's data can hold, `step_data`) and looked up when the
//! step is about to run (`resolve`), where a value that is not there is an error the caller
//! words (a template fails its step, a condition reads it as null).

use serde_json::{Map, Value};

use super::names::{is_secret_name, secret_name_error};
use super::step_data::{self, Produced};

/// The fields of a step's result a path may name (`steps.<id>.data`).
pub const RESULT_FIELDS: [&str; 3] = ["data", "status", "error"];
pub const ROOTS_HINT: &str =
    "templates can refer to args.<name>, steps.<id>.data, .status or .error, and secrets.<NAME>";

/// What a path may name when the file is parsed.
pub trait Scope {
    /// The argsSchema's property names, when it declares them.
    fn known_args(&self) -> Option<&[String]>;
    /// A step that runs before the one being checked, with what its data can hold.
    fn step(&self, id: &str) -> Option<&Produced>;
}

pub enum Ref<'a> {
    /// `secrets.NAME`.
    Secret(&'a str),
    /// Path segments after `args`.
    Args(Vec<&'a str>),
    Step {
        id: String,
        field: &'a str,
        rest: Vec<&'a str>,
    },
}

/// Splits a path into what it refers to. `source` is the text as written, for messages.
/// `is_step` tells which ids exist; ids may hold dots, so each dotted prefix of the path is
/// asked about (a lookup each, not a pass over every step, which made big files quadratic).
pub fn parse_ref<'a>(source: &str, path: &'a str, is_step: impl Fn(&str) -> bool) -> Result<Ref<'a>, String> {
    let (root, after_root) = path.split_once('.').unwrap_or((path, ""));
    match root {
        "args" => Ok(Ref::Args(after_root.split('.').filter(|s| !s.is_empty()).collect())),
        "secrets" if is_secret_name(after_root) => Ok(Ref::Secret(after_root)),
        "secrets" => Err(format!("{source}: {}", secret_name_error(after_root))),
        "steps" => step_ref(source, after_root, is_step),
        _ => Err(format!("unknown name '{root}' in {source}: {ROOTS_HINT}")),
    }
}

/// Checks a parsed reference against `scope`: a declared argument, a step that runs before,
/// a data path that step can have.
pub fn check_ref(source: &str, r: &Ref<'_>, scope: &dyn Scope) -> Result<(), String> {
    match r {
        Ref::Args(segments) => {
            let (Some(name), Some(known)) = (segments.first(), scope.known_args()) else {
                return Ok(());
            };
            if known.iter().any(|k| k == name) {
                return Ok(());
            }
            let declared = if known.is_empty() {
                "no arguments".to_string()
            } else {
                known.join(", ")
            };
            Err(format!(
                "unknown argument '{name}' in {source}: the argsSchema declares {declared}"
            ))
        }
        Ref::Secret(_) => Ok(()),
        Ref::Step { id, field, rest } => {
            let Some(produced) = scope.step(id) else {
                return Err(format!(
                    "{source} refers to step '{id}', which does not run before this step"
                ));
            };
            match *field {
                "data" => step_data::path_problem(produced, id, rest).map_or(Ok(()), |p| Err(format!("{source}: {p}"))),
                _ => Ok(()),
            }
        }
    }
}

/// `steps.<id>.<field>...`, `after_root` being what follows `steps.`.
fn step_ref<'a>(source: &str, after_root: &'a str, is_step: impl Fn(&str) -> bool) -> Result<Ref<'a>, String> {
    let (id, tail) = split_step_path(after_root, is_step);
    if id.is_empty() {
        return Err(format!("{source} names no step: write steps.<id>.data"));
    }
    let Some((&field, rest)) = tail.split_first() else {
        return Err(format!(
            "{source} must name a field: steps.{id}.data, steps.{id}.status or \
             steps.{id}.error"
        ));
    };
    if !RESULT_FIELDS.contains(&field) {
        return Err(format!(
            "unknown field '{field}' in {source}: a step has data, status and error"
        ));
    }
    if field != "data" && !rest.is_empty() {
        return Err(format!("{source}: only data has fields; {field} is a string"));
    }
    Ok(Ref::Step {
        id,
        field,
        rest: rest.to_vec(),
    })
}

/// The step id and the segments after it: the longest id that exists and is followed by a
/// step field, else the longest that exists, else everything before the first step field.
fn split_step_path<'a>(after_root: &'a str, is_step: impl Fn(&str) -> bool) -> (String, Vec<&'a str>) {
    let prefixes = after_root.match_indices('.').map(|(i, _)| &after_root[..i]);
    let mut candidates: Vec<&str> = prefixes
        .chain([after_root])
        .filter(|id| !id.is_empty() && is_step(id))
        .collect();
    candidates.sort_by_key(|id| std::cmp::Reverse(id.len()));
    let split = |id_len: usize| -> Vec<&'a str> {
        after_root
            .get(id_len + 1..)
            .map(|r| r.split('.').collect())
            .unwrap_or_default()
    };
    let chosen = candidates
        .iter()
        .map(|id| (id.to_string(), split(id.len())))
        .find(|(_, tail)| tail.first().is_some_and(|f| RESULT_FIELDS.contains(f)));
    match (chosen, candidates.first()) {
        (Some(found), _) => found,
        (None, Some(longest)) => (longest.to_string(), split(longest.len())),
        (None, None) => {
            let segments: Vec<&str> = after_root.split('.').collect();
            let at = segments.iter().position(|s| RESULT_FIELDS.contains(s));
            let at = at.unwrap_or(segments.len());
            (segments[..at].join("."), segments[at..].to_vec())
        }
    }
}

/// The value `r` names in a run: `args` and the results of the steps so far (step id to its
/// StepResult JSON, `{"stepId","status","data"?,"error"?}`). A step that has not run is an
/// error (`Err(Absent::NoStep)`); a path that is not there is `Err(Absent::NoValue)`, which
/// the caller decides about. Secrets are resolved elsewhere (`engine::secrets`), never here.
pub fn resolve<'v>(r: &Ref<'_>, args: &'v Value, steps: &'v Map<String, Value>) -> Result<&'v Value, Absent> {
    match r {
        Ref::Secret(name) => Err(Absent::NoValue(format!("secrets.{name} is not a value here"))),
        Ref::Args(segments) => walk(args, "args", segments).map_err(Absent::NoValue),
        Ref::Step { id, field, rest } => {
            let result = steps.get(id).ok_or_else(|| Absent::NoStep(id.clone()))?;
            let value = result.get(*field).unwrap_or(&NULL);
            if *field != "data" || rest.is_empty() {
                return Ok(value);
            }
            if value.is_null() {
                let status = result.get("status").and_then(Value::as_str).unwrap_or("unknown");
                let why = match status {
                    "skipped" => " (it was skipped)".to_string(),
                    "failed" => " (it failed)".to_string(),
                    _ => String::new(),
                };
                return Err(Absent::NoValue(format!("step '{id}' has no data{why}")));
            }
            walk(value, &format!("steps.{id}.data"), rest).map_err(Absent::NoValue)
        }
    }
}

static NULL: Value = Value::Null;

/// Why a reference has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Absent {
    /// The step with this id has not run (a hand-edited snapshot: the parser refuses it).
    NoStep(String),
    /// The path is not in the value: what is missing, as people read it.
    NoValue(String),
}

/// Walks `segments` into `value` (named `shown` in messages); numeric segments index arrays.
fn walk<'v>(value: &'v Value, shown: &str, segments: &[&str]) -> Result<&'v Value, String> {
    let mut at = value;
    let mut path = shown.to_string();
    for seg in segments {
        at = match at {
            Value::Object(map) => map.get(*seg).ok_or_else(|| match path.as_str() {
                "args" => format!("the run has no argument '{seg}'"),
                _ => format!("{path} has no '{seg}'{}", keys_hint(map)),
            })?,
            Value::Array(items) => match seg.parse::<usize>() {
                Ok(i) => items
                    .get(i)
                    .ok_or_else(|| format!("{path} has no item {i} (it has {})", items.len()))?,
                Err(_) => return Err(format!("{path} is a list: '{seg}' is not an index")),
            },
            Value::Null => return Err(format!("{path} is null, which has no '{seg}'")),
            Value::String(_) => return Err(format!("{path} is text, which has no '{seg}'")),
            Value::Number(_) | Value::Bool(_) => return Err(format!("{path} is {at}, which has no '{seg}'")),
        };
        path = format!("{path}.{seg}");
    }
    Ok(at)
}

/// ` (it has a, b, c)` for a small mapping; nothing for an empty or large one.
fn keys_hint(map: &Map<String, Value>) -> String {
    if map.is_empty() || map.len() > 12 {
        return String::new();
    }
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    format!(" (it has {})", keys.join(", "))
}
