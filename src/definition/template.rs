//! `{{ args.x }}` / `{{ steps.<id>.data }}` placeholders in YAML step fields: checking them when
//! the file is parsed, and filling them in just before a step runs.
//!
//! A placeholder is a dotted path, nothing more: no filters or defaults, so a workflow file stays
//! readable and every reference can be checked up front. `{{ '...' }}` inserts the quoted text
//! verbatim, which is how a command spells a literal `{{` (e.g. `docker inspect -f`).

use serde_json::{Map, Value};

/// How inserted values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// Inserted as-is (prompts, environment values).
    None,
    /// POSIX single-quoted unless harmless, so arguments cannot inject shell syntax into a
    /// `command:`. Placeholders are therefore written bare: `--env {{ args.env }}`.
    Shell,
}

const STEP_FIELDS: [&str; 3] = ["data", "status", "error"];
const ROOTS_HINT: &str = "templates can refer to args.<name> and steps.<id>.data, .status or .error";

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
        "steps" => {
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
                .find(|(_, tail)| tail.first().is_some_and(|f| STEP_FIELDS.contains(f)));
            let (id, tail) = match (chosen, candidates.first()) {
                (Some(found), _) => found,
                (None, Some(longest)) => (longest.to_string(), split(longest.len())),
                (None, None) => {
                    let segments: Vec<&str> = after_root.split('.').collect();
                    let at = segments.iter().position(|s| STEP_FIELDS.contains(s));
                    let at = at.unwrap_or(segments.len());
                    (segments[..at].join("."), segments[at..].to_vec())
                }
            };
            if id.is_empty() {
                return Err(format!("{source} names no step: write steps.<id>.data"));
            }
            let Some((&field, rest)) = tail.split_first() else {
                return Err(format!(
                    "{source} must name a field: steps.{id}.data, steps.{id}.status or \
                     steps.{id}.error"
                ));
            };
            if !STEP_FIELDS.contains(&field) {
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
        _ => Err(format!("unknown name '{root}' in {source}: {ROOTS_HINT}")),
    }
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
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// Step ids as `check` asks about them.
    fn known(list: &[&str]) -> impl Fn(&str) -> bool {
        let ids = ids(list);
        move |id| ids.iter().any(|known| known == id)
    }

    fn results() -> Map<String, Value> {
        let mut steps = Map::new();
        steps.insert(
            "build".into(),
            json!({"stepId": "build", "status": "completed",
                   "data": {"files": ["a.txt", "b c.txt"], "count": 2}}),
        );
        steps.insert(
            "lint.v2".into(),
            json!({"stepId": "lint.v2", "status": "failed", "error": "boom"}),
        );
        steps
    }

    #[test]
    fn check_accepts_known_references() {
        let args = ids(&["env", "tag"]);
        let earlier = known(&["build", "lint.v2"]);
        let t = "deploy {{args.env}} {{ steps.build.data.files.0 }} {{ steps.lint.v2.status }}";
        assert_eq!(check(t, Some(&args), &earlier), Ok(()));
        assert_eq!(check("{{ args.anything }}", None, |_: &str| false), Ok(()));
        assert_eq!(check("no placeholders }} here", None, |_: &str| false), Ok(()));
    }

    #[test]
    fn check_rejects_unknown_root() {
        assert_eq!(
            check("x {{ env.HOME }}", None, |_: &str| false),
            Err(format!("unknown name 'env' in {{{{ env.HOME }}}}: {ROOTS_HINT}"))
        );
    }

    #[test]
    fn check_rejects_unknown_argument() {
        let args = ids(&["a", "b"]);
        assert_eq!(
            check("{{ args.x }}", Some(&args), |_: &str| false),
            Err("unknown argument 'x' in {{ args.x }}: the argsSchema declares a, b".into())
        );
        assert_eq!(
            check("{{args.x}}", Some(&[]), |_: &str| false),
            Err("unknown argument 'x' in {{args.x}}: the argsSchema declares no arguments".into())
        );
    }

    #[test]
    fn check_rejects_later_or_unknown_step() {
        let earlier = known(&["build"]);
        assert_eq!(
            check("{{ steps.x.data }}", None, &earlier),
            Err("{{ steps.x.data }} refers to step 'x', which does not run before this step".into())
        );
        assert_eq!(
            check("{{ steps.a.b.error }}", None, &earlier),
            Err("{{ steps.a.b.error }} refers to step 'a.b', which does not run before this step".into())
        );
    }

    #[test]
    fn check_rejects_bad_fields() {
        let earlier = known(&["build"]);
        assert_eq!(
            check("{{ steps.build }}", None, &earlier),
            Err(
                "{{ steps.build }} must name a field: steps.build.data, steps.build.status or \
                 steps.build.error"
                    .into()
            )
        );
        assert_eq!(
            check("{{ steps.build.status.x }}", None, &earlier),
            Err("{{ steps.build.status.x }}: only data has fields; status is a string".into())
        );
    }

    #[test]
    fn check_rejects_malformed_placeholders() {
        assert_eq!(
            check("echo {{ args.x", None, |_: &str| false),
            Err("unclosed {{ at '{{ args.x': end the placeholder with }}".into())
        );
        assert!(check("{{ }}", None, |_: &str| false)
            .unwrap_err()
            .starts_with("empty placeholder {{ }}"));
        assert!(check("{{ args.a b }}", None, |_: &str| false)
            .unwrap_err()
            .starts_with("invalid placeholder"));
        assert!(check("{{ args..a }}", None, |_: &str| false)
            .unwrap_err()
            .starts_with("invalid placeholder"));
    }

    #[test]
    fn literal_escape() {
        let t = "docker inspect -f '{{ '{{.State}}' }}' {{ args.c }}";
        assert_eq!(check(t, Some(&ids(&["c"])), |_: &str| false), Ok(()));
        let out = render(t, &json!({"c": "web"}), &Map::new(), Quote::Shell);
        assert_eq!(out, Ok("docker inspect -f '{{.State}}' web".into()));
    }

    #[test]
    fn renders_values_as_text() {
        let args = json!({"s": "hi", "n": 3, "b": true, "nil": null, "o": {"k": [1, 2]}});
        let t = "{{args.s}}|{{ args.n }}|{{ args.b }}|{{ args.nil }}|{{ args.missing }}|{{ args.o }}";
        assert_eq!(
            render(t, &args, &Map::new(), Quote::None),
            Ok(r#"hi|3|true|||{"k":[1,2]}"#.into())
        );
    }

    #[test]
    fn renders_step_results() {
        let steps = results();
        let t = "{{ steps.build.data.files.1 }} {{ steps.build.data.count }} \
                 {{ steps.lint.v2.status }}: {{ steps.lint.v2.error }} [{{ steps.build.error }}]";
        assert_eq!(
            render(t, &json!({}), &steps, Quote::None),
            Ok("b c.txt 2 failed: boom []".into())
        );
    }

    #[test]
    fn render_rejects_step_that_has_not_run() {
        assert_eq!(
            render("{{ steps.deploy.data }}", &json!({}), &results(), Quote::None),
            Err("{{ steps.deploy.data }} refers to step 'deploy', which has not run".into())
        );
    }

    #[test]
    fn shell_quoting_blocks_injection() {
        let args = json!({"safe": "v1.2_x:y@z%+,-=/a", "evil": "x; rm -rf / #", "q": "it's",
                          "empty": ""});
        let t = "run {{ args.safe }} {{ args.evil }} {{ args.q }} {{ args.empty }}";
        assert_eq!(
            render(t, &args, &Map::new(), Quote::Shell),
            Ok(r#"run v1.2_x:y@z%+,-=/a 'x; rm -rf / #' 'it'\''s' ''"#.into())
        );
        assert_eq!(
            render("{{ args.o }}", &json!({"o": {"a": "b"}}), &Map::new(), Quote::Shell),
            Ok(r#"'{"a":"b"}'"#.into())
        );
    }
}
