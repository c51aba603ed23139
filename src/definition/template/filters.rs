//! The filters a placeholder may apply to its value, left to right:
//! `{{ steps.a.data.stdout | trim | quote }}`.
//!
//! - `trim`: the value as text, without leading and trailing whitespace.
//! - `json`: the value as JSON (`"text"` keeps its quotes, a mapping is `{"k":1}`).
//! - `default(x)`: `x` (a quoted string, a number, `true`, `false` or `null`) when the value
//!   is not there, is null or is empty text; otherwise the value.
//! - `quote`: the value shell-quoted here. In a `command` every value is inserted
//!   shell-quoted already, so there `quote` only says so; in a prompt or an `env` value it
//!   quotes what would otherwise be inserted as it is.

use serde_json::Value;

use super::shell::shell_quote;
use super::to_text;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    Trim,
    Json,
    Quote,
    Default(Value),
}

const NAMES: &str = "trim, json, default('x') and quote";

/// The filters written after the path (each part between `|`s, trimmed).
pub(super) fn parse(source: &str, parts: &[&str]) -> Result<Vec<Filter>, String> {
    parts.iter().map(|part| filter(source, part)).collect()
}

fn filter(source: &str, part: &str) -> Result<Filter, String> {
    let (name, arg) = match part.split_once('(') {
        Some((name, rest)) => {
            let Some(arg) = rest.trim_end().strip_suffix(')') else {
                return Err(format!("{source}: filter '{part}' has no closing ')'"));
            };
            (name.trim(), Some(arg.trim()))
        }
        None => (part, None),
    };
    match (name, arg) {
        ("", _) => Err(format!("{source}: nothing after '|': name a filter ({NAMES})")),
        ("trim", None) => Ok(Filter::Trim),
        ("json", None) => Ok(Filter::Json),
        ("quote", None) => Ok(Filter::Quote),
        ("default", Some(arg)) => literal(arg).map(Filter::Default).ok_or_else(|| {
            format!("{source}: default takes one value: a quoted string, a number, true, false or null, found '{arg}'")
        }),
        ("default", None) => Err(format!("{source}: default needs a value: default('none')")),
        ("trim" | "json" | "quote", Some(_)) => Err(format!("{source}: filter '{name}' takes no value")),
        _ => Err(format!("{source}: unknown filter '{name}': the filters are {NAMES}")),
    }
}

/// A literal filter argument: `'text'`, `"text"`, a number, `true`, `false` or `null`.
fn literal(arg: &str) -> Option<Value> {
    for q in ['\'', '"'] {
        if let Some(body) = arg.strip_prefix(q).and_then(|a| a.strip_suffix(q)) {
            return (!body.contains(q)).then(|| Value::String(body.to_string()));
        }
    }
    match arg {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => serde_json::from_str::<serde_json::Number>(arg).ok().map(Value::Number),
    }
}

/// What a placeholder inserts: its text, and whether `quote` (the last filter) already
/// shell-quoted it.
pub(super) struct Inserted {
    pub text: String,
    pub quoted: bool,
}

/// Applies `filters` to `value` (an error when the path is not there), in order. A value
/// still missing after them is the error.
pub(super) fn apply(mut value: Result<Value, String>, filters: &[Filter]) -> Result<Inserted, String> {
    for f in filters {
        value = match (f, value) {
            (Filter::Default(x), Err(_)) => Ok(x.clone()),
            (Filter::Default(x), Ok(v)) if v.is_null() || v.as_str() == Some("") => Ok(x.clone()),
            (_, Err(e)) => Err(e),
            (Filter::Default(_), Ok(v)) => Ok(v),
            (Filter::Trim, Ok(v)) => Ok(Value::String(to_text(&v).trim().to_string())),
            (Filter::Json, Ok(v)) => Ok(Value::String(v.to_string())),
            (Filter::Quote, Ok(v)) => Ok(Value::String(shell_quote(&to_text(&v)))),
        };
    }
    // Only a value quoted last is safe to insert as it is: a filter after `quote` (`json`)
    // may have wrapped the quotes in others, so it is quoted again.
    let quoted = filters.last() == Some(&Filter::Quote);
    Ok(Inserted {
        text: to_text(&value?),
        quoted,
    })
}
