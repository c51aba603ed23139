//! `{{ args.x }}` / `{{ steps.<id>.data }}` placeholders in YAML step fields: checking them when
//! the file is parsed, and filling them in just before a step runs.
//!
//! A placeholder is a dotted path, nothing more: no filters or defaults, so a workflow file stays
//! readable and every reference can be checked up front. `{{ '...' }}` inserts the quoted text
//! verbatim, which is how a command spells a literal `{{` (e.g. `docker inspect -f`).

use serde_json::{Map, Value};

use super::names::{is_secret_name, secret_name_error};

/// How inserted values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// Inserted as-is (prompts, environment values).
    None,
    /// POSIX single-quoted unless harmless, so arguments cannot inject shell syntax into a
    /// `command:`. Placeholders are therefore written bare: `--env {{ args.env }}`.
    Shell,
}

/// The fields of a step's result a template may name (`steps.<id>.data`).
const RESULT_FIELDS: [&str; 3] = ["data", "status", "error"];
const ROOTS_HINT: &str = "templates can refer to args.<name>, steps.<id>.data, .status or .error, and secrets.<NAME>";

/// Checks every placeholder in `template` before anything runs. `known_args` is the argsSchema's
/// property names when it declares them; `earlier_steps` are the ids of steps that finish before
/// this one. Returns the first problem.
pub fn check(
    template: &str,
    known_args: Option<&[String]>,
    earlier_steps: impl Fn(&str) -> bool,
) -> Result<(), String> {
    for piece in pieces(template)? {
        let Piece::Expr { source, path } = piece else {
            continue;
        };
        match parse_ref(source, path, &earlier_steps)? {
            Ref::Args(segments) => {
                let (Some(name), Some(known)) = (segments.first(), known_args) else {
                    continue;
                };
                if !known.iter().any(|k| k == name) {
                    let declared = if known.is_empty() {
                        "no arguments".to_string()
                    } else {
                        known.join(", ")
                    };
                    return Err(format!(
                        "unknown argument '{name}' in {source}: the argsSchema declares {declared}"
                    ));
                }
            }
            Ref::Secret(_) => {}
            Ref::Step { id, .. } => {
                if !earlier_steps(&id) {
                    return Err(format!(
                        "{source} refers to step '{id}', which does not run before this step"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Fills in `template`. `steps` maps step id to its StepResult JSON
/// (`{"stepId","status","data","error"}`); referring to a step that is not there is an error,
/// while a missing argument or data field renders as an empty string.
pub fn render(template: &str, args: &Value, steps: &Map<String, Value>, quote: Quote) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template)? {
        match piece {
            Piece::Text(text) | Piece::Literal(text) => out.push_str(text),
            Piece::Expr { source, path } => {
                let value = match parse_ref(source, path, |id| steps.contains_key(id))? {
                    // Resolved by the step host as the process starts (`engine::secrets`).
                    Ref::Secret(name) => {
                        out.push_str(&format!("{{{{ secrets.{name} }}}}"));
                        continue;
                    }
                    Ref::Args(segments) => lookup(args, &segments),
                    Ref::Step { id, field, rest } => {
                        let result = steps
                            .get(&id)
                            .ok_or_else(|| format!("{source} refers to step '{id}', which has not run"))?;
                        lookup(result.get(field).unwrap_or(&Value::Null), &rest)
                    }
                };
                let text = to_text(value);
                match quote {
                    Quote::None => out.push_str(&text),
                    Quote::Shell => out.push_str(&shell_quote(&text)),
                }
            }
        }
    }
    Ok(out)
}

enum Piece<'a> {
    Text(&'a str),
    /// The body of `{{ '...' }}`.
    Literal(&'a str),
    /// `source` is the whole `{{ ... }}` as written, for messages; `path` is the trimmed inside.
    Expr {
        source: &'a str,
        path: &'a str,
    },
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after_open = &rest[open + 2..];
        let unclosed = || {
            let shown: String = rest[open..].chars().take(40).collect();
            format!("unclosed {{{{ at '{shown}': end the placeholder with }}}}")
        };
        let inner = after_open.trim_start();
        // A quoted literal may itself contain `}}`, so its end is the closing quote.
        let (piece, consumed) = if let Some(body) = inner.strip_prefix('\'') {
            let end = body.find('\'').ok_or_else(unclosed)?;
            let tail = body[end + 1..].trim_start();
            let tail = tail.strip_prefix("}}").ok_or_else(unclosed)?;
            (Piece::Literal(&body[..end]), after_open.len() - tail.len())
        } else {
            let close = after_open.find("}}").ok_or_else(unclosed)?;
            let source = &rest[open..open + 2 + close + 2];
            (
                Piece::Expr {
                    source,
                    path: after_open[..close].trim(),
                },
                close + 2,
            )
        };
        if let Piece::Expr { source, path } = piece {
            validate_path(source, path)?;
        }
        pieces.push(piece);
        rest = &after_open[consumed..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn validate_path(source: &str, path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err(format!("empty placeholder {source}: {ROOTS_HINT}"));
    }
    if path.chars().any(char::is_whitespace) || path.split('.').any(str::is_empty) {
        return Err(format!(
            "invalid placeholder {source}: expected a dotted path such as args.name or \
             steps.build.data"
        ));
    }
    Ok(())
}

enum Ref<'a> {
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

/// Splits a path into what it refers to. Step ids may contain dots, so `steps.<id>` takes the
/// longest of `step_ids` that is followed by a field; an id not among them ends at the first field
/// name.
/// `is_step` tells which ids exist; ids may hold dots, so each dotted prefix of the path is
/// asked about (a lookup each, not a pass over every step, which made big files quadratic).
fn parse_ref<'a>(source: &str, path: &'a str, is_step: impl Fn(&str) -> bool) -> Result<Ref<'a>, String> {
    let (root, after_root) = path.split_once('.').unwrap_or((path, ""));
    match root {
        "args" => Ok(Ref::Args(after_root.split('.').filter(|s| !s.is_empty()).collect())),
        "secrets" if is_secret_name(after_root) => Ok(Ref::Secret(after_root)),
        "secrets" => Err(format!("{source}: {}", secret_name_error(after_root))),
        "steps" => step_ref(source, after_root, is_step),
        _ => Err(format!("unknown name '{root}' in {source}: {ROOTS_HINT}")),
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

/// A reference to a secret: `{{ secrets.NAME }}` (YAML), or `{{ secrets.NAME@TAG }}` as
/// TypeScript's `ctx.secrets.NAME` writes it, TAG being the run's (see `engine::secrets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub tag: Option<String>,
}

/// The secret names `text` refers to, in order, repeats included.
pub fn secret_names(text: &str) -> Vec<String> {
    secret_refs(text).into_iter().map(|r| r.name).collect()
}

/// The references in `text`, in order. Lenient: other `{{ ... }}` text (a TypeScript
/// command's own braces) is left alone.
pub fn secret_refs(text: &str) -> Vec<SecretRef> {
    let mut refs = Vec::new();
    replace_secrets(text, |r| {
        refs.push(r.clone());
        String::new()
    });
    refs
}

fn parse_secret_ref(inner: &str) -> Option<SecretRef> {
    let body = inner.trim().strip_prefix("secrets.")?;
    let (name, tag) = match body.split_once('@') {
        Some((name, tag)) => (name, Some(tag)),
        None => (body, None),
    };
    let tag_ok = tag.is_none_or(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()));
    (tag_ok && is_secret_name(name)).then(|| SecretRef {
        name: name.to_string(),
        tag: tag.map(str::to_string),
    })
}

/// `text` with each reference replaced by `with(reference)`; nothing else changes.
pub fn replace_secrets(text: &str, mut with: impl FnMut(&SecretRef) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        match parse_secret_ref(&after[..close]) {
            Some(r) => {
                out.push_str(&rest[..open]);
                out.push_str(&with(&r));
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[..open + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Walks `segments` into `value`; numeric segments index arrays. Anything absent is null.
fn lookup<'v>(value: &'v Value, segments: &[&str]) -> &'v Value {
    segments
        .iter()
        .try_fold(value, |v, seg| match v {
            Value::Object(map) => map.get(*seg),
            Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
        .unwrap_or(&Value::Null)
}

fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    // Empty stays quoted so that it is still passed as an argument.
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests;
