//! Durations as workflow files write them (`"30s"`, `"1h30m"`, `90`), turned into milliseconds.

use serde_json::Value;

const UNITS_HINT: &str = "use a number with ms, s, m, h or d (e.g. 30s, 5m, 1h 30m)";

/// Parses `500ms`, `30s`, `5m`, `1h`, `1h30m` or `1.5s` into milliseconds. A bare number means
/// seconds, matching what a JSON number means in `duration_from_json`.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let invalid = || format!("invalid duration '{s}': {UNITS_HINT}");
    let text = s.trim();
    if text.is_empty() {
        return Err(invalid());
    }
    let mut total_ms = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let (number, after) = split_number(rest).ok_or_else(invalid)?;
        let unit_len = after.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let unit_ms = match unit {
            // A lone number is only seconds when it is the whole string; "1h30" is ambiguous.
            "" if rest.len() == text.len() => 1_000.0,
            "ms" => 1.0,
            "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
            "d" | "day" | "days" => 86_400_000.0,
            _ => return Err(invalid()),
        };
        total_ms += number * unit_ms;
        rest = after;
    }
    from_millis(s, total_ms)
}

/// A JSON number is seconds (fractions allowed); a string is parsed by `parse_duration`.
pub fn duration_from_json(v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => {
            let secs = n.as_f64().ok_or_else(|| format!("invalid duration {n}"))?;
            from_millis(&n.to_string(), secs * 1_000.0)
        }
        Value::String(s) => parse_duration(s),
        other => Err(format!(
            "expected a duration such as \"30s\" or a number of seconds, found {}",
            describe(other)
        )),
    }
}

/// Splits a leading unsigned decimal (`12`, `1.5`, `.5`) off `s`.
fn split_number(s: &str) -> Option<(f64, &str)> {
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let digits = &s[..end];
    let valid = digits.chars().filter(|&c| c == '.').count() <= 1 && digits.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    digits.parse().ok().map(|n| (n, &s[end..]))
}

fn from_millis(original: &str, ms: f64) -> Result<u64, String> {
    if ms.is_nan() || ms < 0.0 {
        return Err(format!("invalid duration '{original}': {UNITS_HINT}"));
    }
    let rounded = ms.round();
    if rounded < 1.0 {
        return Err(format!("invalid duration '{original}': must be greater than zero"));
    }
    // Beyond 2^53 ms (~285,000 years) f64 loses whole milliseconds; nobody means that.
    if rounded > 9_007_199_254_740_992.0 {
        return Err(format!("invalid duration '{original}': too large"));
    }
    Ok(rounded as u64)
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1m30s250ms"), Ok(90_250));
        assert_eq!(parse_duration(" 2s "), Ok(2_000));
    }

    #[test]
    fn parses_fractions_and_bare_seconds() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500));
        assert_eq!(parse_duration(".5m"), Ok(30_000));
        assert_eq!(parse_duration("30"), Ok(30_000));
        assert_eq!(parse_duration("0.25"), Ok(250));
    }

    #[test]
    fn rejects_bad_input() {
        let hint = "use a number with ms, s, m, h or d (e.g. 30s, 5m, 1h 30m)";
        for bad in ["5x", "", "s", "1.2.3s", "-5s", "1h30", "5 m", "1w", "abc"] {
            assert_eq!(parse_duration(bad), Err(format!("invalid duration '{bad}': {hint}")));
        }
    }

    #[test]
    fn rejects_zero() {
        let msg = |s: &str| Err(format!("invalid duration '{s}': must be greater than zero"));
        assert_eq!(parse_duration("0"), msg("0"));
        assert_eq!(parse_duration("0s"), msg("0s"));
        assert_eq!(parse_duration("0.1ms"), msg("0.1ms"));
    }

    #[test]
    fn rejects_huge() {
        assert!(parse_duration("99999999999999999h").unwrap_err().ends_with("too large"));
    }

    #[test]
    fn from_json() {
        assert_eq!(duration_from_json(&json!(30)), Ok(30_000));
        assert_eq!(duration_from_json(&json!(1.5)), Ok(1_500));
        assert_eq!(duration_from_json(&json!("5m")), Ok(300_000));
        assert_eq!(
            duration_from_json(&json!(0)),
            Err("invalid duration '0': must be greater than zero".into())
        );
        assert!(duration_from_json(&json!(-3)).is_err());
        assert_eq!(
            duration_from_json(&json!(true)),
            Err("expected a duration such as \"30s\" or a number of seconds, found a boolean".into())
        );
    }

    #[test]
    fn spaced_parts_days_and_long_unit_names_match_the_js_runtime() {
        assert_eq!(parse_duration("1h 30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1d"), Ok(86_400_000));
        assert_eq!(
            parse_duration("2 minutes").ok(),
            None,
            "a space between number and unit is not accepted"
        );
        assert_eq!(parse_duration("2minutes"), Ok(120_000));
    }
}
