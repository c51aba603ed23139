//! `{{ args.x }}` / `{{ steps.<id>.data… }}` placeholders in YAML step fields: checking them
//! when the file is parsed, and filling them in just before a step runs.
//!
//! A placeholder is a dotted path (`refs`) and filters applied left to right
//! (`{{ steps.a.data.stdout | trim | default('none') }}`: `trim`, `json`, `default(x)`,
//! `quote`; `filters`). A path the run does not have fails the step as it is rendered, unless
//! a `default` says what to insert instead. `{{ '...' }}` inserts the quoted text verbatim,
//! which is how a command spells a literal `{{` (e.g. `docker inspect -f`). In a `command`
//! every value is inserted shell-quoted, so a placeholder inside quotes is refused (`shell`).

mod filters;
mod secret_refs;
mod shell;

pub use secret_refs::{replace_secrets, secret_names, secret_refs, SecretRef};
pub use shell::shell_quote;

use serde_json::{Map, Value};

use self::filters::Filter;
use super::refs::{self, check_ref, parse_ref, Absent, Ref, Scope, ROOTS_HINT};

/// A problem and the byte offset in the text where it is.
pub type Located = (usize, String);

/// How inserted values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// Inserted as-is (prompts, environment values), unless a placeholder asks for `quote`.
    None,
    /// POSIX single-quoted unless harmless, so arguments cannot inject shell syntax into a
    /// `command:`. Placeholders are therefore written bare: `--env {{ args.env }}`.
    Shell,
}

/// Checks every placeholder in `template` before anything runs: its path against `scope`
/// (declared arguments, steps that run before, what their data can hold) and its filters.
/// Returns the first problem and where it is.
pub fn check(template: &str, scope: &dyn Scope) -> Result<(), Located> {
    for piece in pieces(template)? {
        let Piece::Expr {
            source,
            at,
            path,
            filters,
        } = piece
        else {
            continue;
        };
        let r = parse_ref(source, path, |id| scope.step(id).is_some()).map_err(|e| (at, e))?;
        if matches!(r, Ref::Secret(_)) && !filters.is_empty() {
            return Err((at, format!("{source}: a secret takes no filters")));
        }
        check_ref(source, &r, scope).map_err(|e| (at, e))?;
    }
    Ok(())
}

/// Checks a run-name template (`runName`): placeholders as `check`, but naming only the
/// arguments, since a run is named before any step runs and its name is shown to everyone.
pub fn check_args_only(template: &str, scope: &dyn Scope) -> Result<(), Located> {
    check_args_only_as(template, scope, "a run name")
}

/// `check_args_only` for another template rendered when a run is created (`what` names it in
/// the message: "a concurrency key").
pub fn check_args_only_as(template: &str, scope: &dyn Scope, what: &str) -> Result<(), Located> {
    for piece in pieces(template)? {
        let Piece::Expr { source, at, path, .. } = piece else {
            continue;
        };
        if !(path == "args" || path.starts_with("args.")) {
            return Err((
                at,
                format!("{source}: {what} may use only args.<name> (no steps have run, and secrets are never shown)"),
            ));
        }
    }
    check(template, scope)
}

/// Checks a `command`: its placeholders (`check`), none of them inside quotes.
pub fn check_command(template: &str, scope: &dyn Scope) -> Result<(), Located> {
    check(template, scope)?;
    shell::unquoted(&pieces(template)?)
}

/// Fills in `template`. `steps` maps step id to its StepResult JSON
/// (`{"stepId","status","data","error"}`). A path that is not there (an argument not given,
/// a key an agent's answer lacks) is an error naming it, unless a `default` filter covers it.
pub fn render(template: &str, args: &Value, steps: &Map<String, Value>, quote: Quote) -> Result<String, String> {
    render_with(template, args, steps, quote, false)
}

/// Like `render`, but what is not there is inserted as empty text: for measuring a command
/// before the steps it names have run (`subprocess::argv`).
pub fn render_lenient(
    template: &str,
    args: &Value,
    steps: &Map<String, Value>,
    quote: Quote,
) -> Result<String, String> {
    render_with(template, args, steps, quote, true)
}

fn render_with(
    template: &str,
    args: &Value,
    steps: &Map<String, Value>,
    quote: Quote,
    lenient: bool,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template).map_err(|(_, e)| e)? {
        match piece {
            Piece::Text(text) | Piece::Literal(text) => out.push_str(text),
            Piece::Expr {
                source, path, filters, ..
            } => {
                let r = parse_ref(source, path, |id| steps.contains_key(id))?;
                if let Ref::Secret(name) = r {
                    // Resolved by the step host as the process starts (`engine::secrets`).
                    out.push_str(&format!("{{{{ secrets.{name} }}}}"));
                    continue;
                }
                let value = match refs::resolve(&r, args, steps) {
                    Ok(v) => Ok(v.clone()),
                    Err(Absent::NoStep(id)) => {
                        return Err(format!("{source} refers to step '{id}', which has not run"))
                    }
                    Err(Absent::NoValue(_)) if lenient => Ok(Value::Null),
                    Err(Absent::NoValue(e)) => Err(e),
                };
                let inserted = filters::apply(value, &filters).map_err(|e| {
                    format!("{source}: {e} (add | default('') to the placeholder if it may be missing)")
                })?;
                match (quote, inserted.quoted) {
                    (Quote::Shell, false) => out.push_str(&shell_quote(&inserted.text)),
                    _ => out.push_str(&inserted.text),
                }
            }
        }
    }
    Ok(out)
}

/// A part of a template.
pub(crate) enum Piece<'a> {
    Text(&'a str),
    /// The body of `{{ '...' }}`.
    Literal(&'a str),
    /// `source` is the whole `{{ ... }}` as written, for messages, at byte `at`; `path` the
    /// trimmed path.
    Expr {
        source: &'a str,
        at: usize,
        path: &'a str,
        filters: Vec<Filter>,
    },
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, Located> {
    let mut pieces = Vec::new();
    let mut pos = 0;
    while let Some(found) = template[pos..].find("{{") {
        let open = pos + found;
        if open > pos {
            pieces.push(Piece::Text(&template[pos..open]));
        }
        let after_open = &template[open + 2..];
        let unclosed = || {
            let shown: String = template[open..].chars().take(40).collect();
            (
                open,
                format!("unclosed {{{{ at '{shown}': end the placeholder with }}}}"),
            )
        };
        let inner = after_open.trim_start();
        // A quoted literal may itself contain `}}`, so its end is the closing quote.
        let (piece, consumed) = if let Some(body) = inner.strip_prefix('\'') {
            let end = body.find('\'').ok_or_else(unclosed)?;
            let tail = body[end + 1..].trim_start();
            let tail = tail.strip_prefix("}}").ok_or_else(unclosed)?;
            (Piece::Literal(&body[..end]), after_open.len() - tail.len())
        } else {
            let close = closing(after_open).ok_or_else(unclosed)?;
            let source = &template[open..open + 2 + close + 2];
            let (path, filters) = split_filters(&after_open[..close]);
            validate_path(source, path).map_err(|e| (open, e))?;
            let filters = filters::parse(source, &filters).map_err(|e| (open, e))?;
            let piece = Piece::Expr {
                source,
                at: open,
                path,
                filters,
            };
            (piece, close + 2)
        };
        pieces.push(piece);
        pos = open + 2 + consumed;
    }
    if pos < template.len() {
        pieces.push(Piece::Text(&template[pos..]));
    }
    Ok(pieces)
}

/// Where the `}}` that closes a placeholder is in `after_open`: the first one outside a
/// filter's quoted argument (`default('}}')`).
fn closing(after_open: &str) -> Option<usize> {
    let (mut quote, mut parens) = (None, 0usize);
    for (i, c) in after_open.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') if parens > 0 => quote = Some(c),
            (None, '(') => parens += 1,
            (None, ')') => parens = parens.saturating_sub(1),
            (None, '}') if after_open[i..].starts_with("}}") => return Some(i),
            _ => {}
        }
    }
    None
}

/// The path and the filters after it, split at each `|` outside quotes.
fn split_filters(inner: &str) -> (&str, Vec<&str>) {
    let mut parts = Vec::new();
    let (mut quote, mut start) = (None, 0);
    for (i, c) in inner.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '|') => {
                parts.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(inner[start..].trim());
    let path = parts.remove(0);
    (path, parts)
}

fn validate_path(source: &str, path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err(format!("empty placeholder {source}: {ROOTS_HINT}"));
    }
    if path.chars().any(char::is_whitespace) || path.split('.').any(str::is_empty) {
        return Err(format!(
            "invalid placeholder {source}: expected a dotted path such as args.name or \
             steps.build.data, then filters after | (trim, json, default('x'), quote)"
        ));
    }
    Ok(())
}

/// A value as text: strings as they are, null as nothing, anything else as JSON.
fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
