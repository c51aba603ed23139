//! A run's spending limits (`budget: { usd?, tokens?, duration? }`) as a workflow file, the
//! API or the CLI (`--budget usd=5,tokens=200000,duration=30m`) write them, and an agent
//! step's own (`maxCostUsd`, `maxTokens`). Pure rules; the engine enforces them
//! (`engine::budget`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::duration::duration_from_json;

/// A run's limits; a limit left out is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Budget {
    /// Most US dollars the run's agents may spend, as their CLIs report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd: Option<f64>,
    /// Most tokens (input + output, cache reads not counted) the run's agents may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Most wall-clock time since the run first started, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// The keys a budget object takes.
pub const BUDGET_KEYS: &[&str] = &["usd", "tokens", "duration"];

impl Budget {
    pub fn is_empty(&self) -> bool {
        self.usd.is_none() && self.tokens.is_none() && self.duration_ms.is_none()
    }

    /// `{ usd?, tokens?, duration? }` as a definition or the API writes it. The error names
    /// the key (`usd: must be a positive number`), and the key is returned with it so that a
    /// YAML error can point at it.
    pub fn from_json(v: &Value) -> Result<Budget, (Option<&'static str>, String)> {
        let Value::Object(map) = v else {
            return Err((
                None,
                "must be an object like { usd: 5, tokens: 200000, duration: \"30m\" }".into(),
            ));
        };
        if let Some(k) = map.keys().find(|k| !BUDGET_KEYS.contains(&k.as_str())) {
            return Err((
                None,
                format!("unknown key '{k}' (expected one of: usd, tokens, duration)"),
            ));
        }
        let field = |key: &'static str| map.get(key).filter(|v| !v.is_null()).map(|v| (key, v));
        let mut budget = Budget::default();
        if let Some((key, v)) = field("usd") {
            budget.usd = Some(usd(v).map_err(|e| (Some(key), format!("{key}: {e}")))?);
        }
        if let Some((key, v)) = field("tokens") {
            budget.tokens = Some(tokens(v).map_err(|e| (Some(key), format!("{key}: {e}")))?);
        }
        if let Some((key, v)) = field("duration") {
            let ms = duration_from_json(v).and_then(positive_ms);
            budget.duration_ms = Some(ms.map_err(|e| (Some(key), format!("{key}: {e}")))?);
        }
        Ok(budget)
    }

    /// `usd=5,tokens=200000,duration=30m` (the CLI's `--budget`).
    pub fn parse_flag(text: &str) -> Result<Budget, String> {
        let mut map = Map::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not KEY=VALUE (keys: usd, tokens, duration)"))?;
            let value = match key.trim() {
                "duration" => Value::String(value.trim().to_string()),
                _ => {
                    let v = value.trim();
                    let number = match v.parse::<u64>() {
                        Ok(n) => Some(serde_json::Number::from(n)),
                        Err(_) => v.parse::<f64>().ok().and_then(serde_json::Number::from_f64),
                    };
                    Value::Number(number.ok_or_else(|| format!("{}: '{v}' is not a number", key.trim()))?)
                }
            };
            map.insert(key.trim().to_string(), value);
        }
        if map.is_empty() {
            return Err("give at least one of usd=, tokens=, duration= (e.g. usd=5,tokens=200000,duration=30m)".into());
        }
        Budget::from_json(&Value::Object(map)).map_err(|(_, e)| e)
    }

    /// This budget with the limits `raise` sets replaced; the others kept.
    pub fn raised(self, raise: Budget) -> Budget {
        Budget {
            usd: raise.usd.or(self.usd),
            tokens: raise.tokens.or(self.tokens),
            duration_ms: raise.duration_ms.or(self.duration_ms),
        }
    }

    /// `5 USD, 200000 tokens, 30m 00s`, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(usd) = self.usd {
            parts.push(format!("${usd:.2}"));
        }
        if let Some(t) = self.tokens {
            parts.push(format!("{t} tokens"));
        }
        if let Some(ms) = self.duration_ms {
            parts.push(super::format_ms(ms));
        }
        if parts.is_empty() {
            "no limit".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A positive amount of dollars.
pub fn usd(v: &Value) -> Result<f64, String> {
    match v.as_f64() {
        Some(n) if n > 0.0 && n.is_finite() => Ok(n),
        _ => Err(format!("must be a positive number of US dollars, not {v}")),
    }
}

/// A positive whole number of tokens.
pub fn tokens(v: &Value) -> Result<u64, String> {
    match v.as_u64() {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!("must be a positive whole number of tokens, not {v}")),
    }
}

fn positive_ms(ms: u64) -> Result<u64, String> {
    if ms == 0 {
        return Err("must be longer than 0".into());
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_budget_is_read_from_json_and_from_the_flag() {
        let b = Budget::from_json(&json!({"usd": 5, "tokens": 200000, "duration": "30m"})).unwrap();
        assert_eq!(
            b,
            Budget {
                usd: Some(5.0),
                tokens: Some(200_000),
                duration_ms: Some(1_800_000)
            }
        );
        assert_eq!(Budget::parse_flag("usd=5,tokens=200000,duration=30m").unwrap(), b);
        assert_eq!(Budget::parse_flag("usd=0.5").unwrap().usd, Some(0.5));
    }

    #[test]
    fn a_wrong_budget_says_which_key() {
        let err = |v: Value| Budget::from_json(&v).unwrap_err();
        assert_eq!(err(json!({"usd": -1})).0, Some("usd"));
        assert!(err(json!({"usd": -1})).1.starts_with("usd: must be a positive number"));
        assert!(err(json!({"tokens": 1.5}))
            .1
            .starts_with("tokens: must be a positive whole number"));
        assert!(err(json!({"duration": "soon"}))
            .1
            .starts_with("duration: invalid duration"));
        assert!(err(json!({"dollars": 1})).1.contains("unknown key 'dollars'"));
        assert!(err(json!(5)).1.contains("must be an object"));
        assert!(Budget::parse_flag("usd").unwrap_err().contains("KEY=VALUE"));
        assert!(Budget::parse_flag("usd=lots").unwrap_err().contains("not a number"));
        assert!(Budget::parse_flag("").is_err());
    }

    #[test]
    fn raising_keeps_the_limits_not_given() {
        let b = Budget {
            usd: Some(1.0),
            tokens: Some(10),
            duration_ms: None,
        };
        let r = b.raised(Budget {
            usd: Some(3.0),
            ..Default::default()
        });
        assert_eq!((r.usd, r.tokens), (Some(3.0), Some(10)));
    }
}
