//! A definition's `concurrency: { key, limit }`: runs whose key (a template over the
//! arguments, rendered when the run is created: `repo:{{ args.repo }}`) is the same run at
//! most `limit` at a time; the others wait as `pending` (`store::concurrency`,
//! `engine::scheduler`, `cli::key_wait`).
//!
//! The shape is checked here for YAML (`yaml.rs` places a problem at its key) and TypeScript
//! (`typescript.rs`, at the field path); the key's template names only `args.*`, like `runName`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::refs::Scope;
use super::template::{self, Located, Quote};

/// The longest key a run keeps, in characters (longer ones are cut).
pub const MAX_KEY_CHARS: usize = 200;
/// The largest `limit` (more is no limit worth keying).
pub const MAX_LIMIT: u64 = 10_000;

/// `concurrency:` as the definition writes it (the key still a template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concurrency {
    /// A template over `args.*`, e.g. `repo:{{ args.repo }}`.
    pub key: String,
    /// How many runs with the same key may run at once (at least 1; 1 when left out).
    pub limit: u32,
}

impl Concurrency {
    /// `{ key, limit? }` checked for its shape; the error names the field (`limit: must be an
    /// integer >= 1, got 0`) and returns it so a YAML error can point at it. The key's
    /// template is checked by `check`.
    pub fn from_json(v: &Value) -> Result<Concurrency, (Option<&'static str>, String)> {
        let Value::Object(map) = v else {
            return Err((
                None,
                format!(
                    "must be an object like {{ key: \"repo:{{{{ args.repo }}}}\", limit: 1 }}, got {}",
                    describe(v)
                ),
            ));
        };
        if let Some(k) = map.keys().find(|k| !["key", "limit"].contains(&k.as_str())) {
            return Err((None, format!("unknown key '{k}' (expected one of: key, limit)")));
        }
        let key = match map.get("key") {
            Some(Value::String(k)) if !k.trim().is_empty() => k.clone(),
            None | Some(Value::Null) => return Err((None, "missing required key 'key'".into())),
            Some(other) => {
                return Err((
                    Some("key"),
                    format!("key: must be a non-empty string template, got {}", describe(other)),
                ))
            }
        };
        let limit = match map.get("limit") {
            None | Some(Value::Null) => 1,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=MAX_LIMIT).contains(&n) => n as u32,
                _ => {
                    return Err((
                        Some("limit"),
                        format!("limit: must be an integer from 1 to {MAX_LIMIT}, got {}", describe(v)),
                    ))
                }
            },
        };
        Ok(Concurrency { key, limit })
    }

    /// The key's template checked: placeholders naming only the declared arguments.
    pub fn check(&self, scope: &dyn Scope) -> Result<(), Located> {
        template::check_args_only_as(&self.key, scope, "a concurrency key")
    }

    /// The run's key: the template rendered over `args` (an argument not given is empty
    /// text), control characters out, trimmed, cut to `MAX_KEY_CHARS`. `None` when nothing
    /// is left: such a run has no key and is not limited.
    pub fn render(&self, args: &Value) -> Result<Option<String>, String> {
        let text = template::render_lenient(&self.key, args, &Map::new(), Quote::None)
            .map_err(|e| format!("concurrency.key: {e}"))?;
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        let clean = clean.trim();
        if clean.is_empty() {
            return Ok(None);
        }
        Ok(Some(clean.chars().take(MAX_KEY_CHARS).collect()))
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_shape_is_checked_and_the_field_named() {
        let c = Concurrency::from_json(&json!({"key": "repo:{{ args.repo }}", "limit": 2})).unwrap();
        assert_eq!((c.key.as_str(), c.limit), ("repo:{{ args.repo }}", 2));
        assert_eq!(Concurrency::from_json(&json!({"key": "k"})).unwrap().limit, 1);
        for (bad, field, says) in [
            (json!("k"), None, "must be an object"),
            (json!({"key": "k", "limti": 1}), None, "unknown key 'limti'"),
            (json!({"limit": 1}), None, "missing required key 'key'"),
            (json!({"key": ""}), Some("key"), "non-empty string"),
            (json!({"key": 5}), Some("key"), "got 5"),
            (json!({"key": "k", "limit": 0}), Some("limit"), "got 0"),
            (json!({"key": "k", "limit": 1.5}), Some("limit"), "integer"),
            (json!({"key": "k", "limit": "2"}), Some("limit"), "integer"),
        ] {
            let (f, e) = Concurrency::from_json(&bad).unwrap_err();
            assert_eq!(f, field, "{bad}");
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_key_is_rendered_from_the_arguments() {
        let c = Concurrency {
            key: "repo:{{ args.repo }}".into(),
            limit: 1,
        };
        assert_eq!(c.render(&json!({"repo": "x"})).unwrap().as_deref(), Some("repo:x"));
        assert_eq!(c.render(&json!({})).unwrap().as_deref(), Some("repo:"));
        let empty = Concurrency {
            key: "{{ args.repo }}".into(),
            limit: 1,
        };
        assert_eq!(empty.render(&json!({})).unwrap(), None);
        let long = empty.render(&json!({"repo": "y".repeat(500)})).unwrap().unwrap();
        assert_eq!(long.chars().count(), MAX_KEY_CHARS);
        assert_eq!(empty.render(&json!({"repo": " a\nb "})).unwrap().as_deref(), Some("ab"));
    }
}

#[cfg(test)]
mod yaml_tests {
    use crate::definition::yaml::parse_yaml;
    use crate::definition::{DefinitionError, WorkflowDefinition};

    fn yaml(concurrency: &str) -> Result<WorkflowDefinition, Vec<DefinitionError>> {
        let text = format!(
            "name: fix\nargsSchema:\n  type: object\n  properties:\n    repo: {{ type: string }}\nconcurrency:\n{concurrency}\nphases: [a]\nsteps:\n  - id: s\n    type: script\n    command: echo\n"
        );
        parse_yaml(std::path::Path::new("w.yaml"), &text)
    }

    #[test]
    fn yaml_concurrency_is_read_and_checked_where_it_is_written() {
        let d = yaml("  key: \"repo:{{ args.repo }}\"\n  limit: 2").unwrap();
        let c = d.concurrency.unwrap();
        assert_eq!((c.key.as_str(), c.limit), ("repo:{{ args.repo }}", 2));
        for (bad, says) in [
            (
                "  key: \"repo:{{ args.rpo }}\"",
                "w.yaml:7:14: 'concurrency.key': unknown argument 'rpo' in {{ args.rpo }}: the argsSchema declares repo",
            ),
            (
                "  key: \"x{{ steps.s.data }}\"",
                "w.yaml:7:10: 'concurrency.key': {{ steps.s.data }}: a concurrency key may use only args.<name>",
            ),
            ("  key: k\n  limit: 0", "w.yaml:8:10: 'concurrency': limit: must be an integer from 1 to 10000, got 0"),
            ("  key: k\n  limit: two", "w.yaml:8:10: 'concurrency': limit: must be an integer"),
            ("  key: [a]", "w.yaml:7:8: 'concurrency': key: must be a non-empty string template, got a list"),
            ("  limit: 1", "w.yaml:7:3: 'concurrency': missing required key 'key'"),
            ("  key: k\n  limt: 1", "w.yaml:7:3: 'concurrency': unknown key 'limt'"),
            ("  - k", "w.yaml:7:3: 'concurrency': must be an object"),
        ] {
            let e = yaml(bad).unwrap_err();
            let text = e[0].to_string();
            assert!(text.starts_with(says), "{bad}:\n  got  {text}\n  want {says}");
        }
    }
}
