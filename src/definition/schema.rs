//! Arguments: typed from the command line by the args schema, defaults applied, and
//! validated with `jsonschema` before a run starts. Every violation is reported by path.

use serde_json::{Map, Value};

/// Fills top-level defaults, then validates; returns the arguments the run will see.
pub fn validate_args(schema: Option<&Value>, args: Value) -> Result<Value, Vec<String>> {
    let Some(schema) = schema else { return Ok(args) };
    let mut args = args;
    if let (Value::Object(map), Some(Value::Object(props))) = (&mut args, schema.get("properties")) {
        for (name, prop) in props {
            if let (false, Some(default)) = (map.contains_key(name), prop.get("default")) {
                map.insert(name.clone(), default.clone());
            }
        }
    }
    let validator =
        jsonschema::validator_for(schema).map_err(|e| vec![format!("the args schema itself is invalid: {e}")])?;
    let errors: Vec<String> = validator
        .iter_errors(&args)
        .map(|e| {
            let path = e.instance_path.to_string();
            let at = if path.is_empty() {
                "args".to_string()
            } else {
                format!("args{}", path.replace('/', "."))
            };
            format!("{at}: {e}")
        })
        .collect();
    if errors.is_empty() {
        Ok(args)
    } else {
        Err(errors)
    }
}

/// Builds the arguments object from `--args JSON` and `--arg key=value` pairs; a value is
/// typed by its property's schema (`count=3` is a number when `count` is a number).
pub fn args_from_cli(schema: Option<&Value>, json: Option<&str>, pairs: &[String]) -> Result<Value, Vec<String>> {
    let mut map = match json {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(vec!["--args must be a JSON object".into()]),
            Err(e) => return Err(vec![format!("--args is not valid JSON: {e}")]),
        },
    };
    let mut errors = Vec::new();
    for pair in pairs {
        let Some((key, raw)) = pair.split_once('=') else {
            errors.push(format!("--arg {pair}: expected key=value"));
            continue;
        };
        let prop = schema.and_then(|s| s.get("properties")).and_then(|p| p.get(key));
        match typed_value(prop, raw) {
            Ok(v) => {
                map.insert(key.to_string(), v);
            }
            Err(e) => errors.push(format!("--arg {key}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(map))
    } else {
        Err(errors)
    }
}

fn typed_value(prop: Option<&Value>, raw: &str) -> Result<Value, String> {
    let types: Vec<&str> = match prop.and_then(|p| p.get("type")) {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let wants = |t: &str| types.contains(&t);
    if types.is_empty() {
        // No declared type (or anyOf/enum): JSON when it parses as a non-string, else text.
        return Ok(match serde_json::from_str::<Value>(raw) {
            Ok(v) if prop.is_some() && !v.is_string() => v,
            _ => Value::String(raw.to_string()),
        });
    }
    if wants("integer") || wants("number") {
        if let Ok(v @ Value::Number(_)) = serde_json::from_str::<Value>(raw) {
            return Ok(v);
        }
    }
    if wants("boolean") {
        match raw {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            _ => {}
        }
    }
    if wants("array") || wants("object") {
        if let Ok(v @ (Value::Array(_) | Value::Object(_))) = serde_json::from_str::<Value>(raw) {
            return Ok(v);
        }
    }
    if wants("null") && raw == "null" {
        return Ok(Value::Null);
    }
    if wants("string") {
        return Ok(Value::String(raw.to_string()));
    }
    let article = if types[0].starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    Err(format!("\"{raw}\" is not {article} {}", types.join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer", "minimum": 1 },
                "name": { "type": "string" },
                "dry": { "type": "boolean", "default": false },
                "env": { "type": "string", "enum": ["dev", "prod"] }
            },
            "required": ["count", "name"]
        })
    }

    #[test]
    fn cli_values_are_typed_by_the_schema() {
        let args = args_from_cli(
            Some(&schema()),
            None,
            &["count=3".into(), "name=42".into(), "dry=true".into()],
        )
        .unwrap();
        assert_eq!(args, json!({ "count": 3, "name": "42", "dry": true }));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_reported_with_its_key() {
        let errors = args_from_cli(Some(&schema()), None, &["count=many".into(), "bad".into()]).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "--arg count: \"many\" is not an integer",
                "--arg bad: expected key=value"
            ]
        );
    }

    #[test]
    fn every_violation_is_reported_by_path() {
        let errors = validate_args(Some(&schema()), json!({ "count": 0, "env": "staging" })).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("args.count:")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("args.env:")), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.starts_with("args:") && e.contains("name")),
            "{errors:?}"
        );
    }

    #[test]
    fn defaults_are_applied_before_validation() {
        let args = validate_args(Some(&schema()), json!({ "count": 2, "name": "x" })).unwrap();
        assert_eq!(args["dry"], json!(false));
    }
}
