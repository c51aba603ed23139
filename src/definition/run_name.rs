//! A run's default name: the definition's `runName` (a YAML `runName: "Fix #{{ args.issue }}"`,
//! or a TypeScript `runName` string in the same template language, or a TypeScript function of
//! the arguments, which only the JS worker can call) made into a name people read.
//!
//! The template is checked with the file (only `args.<name>` may be named); it is rendered
//! leniently (an argument not given is empty text unless `| default('…')` says otherwise).
//! Whatever the template or function produced is then tidied rather than refused, since it
//! comes from arguments a person typed: control and invisible characters become spaces or go,
//! runs of spaces become one, and the name is cut to `MAX_CHARS`. An empty result falls back
//! to the workflow's name.

use serde_json::{Map, Value};

use super::names::name_problem;
use super::template::{self, Quote};
use super::WorkflowDefinition;

/// The longest generated name, in characters (a card shows one or two lines of it).
pub const MAX_CHARS: usize = 120;

/// The definition's marker for a TypeScript `runName` function (`__wfDescribe` sends it).
pub const FUNCTION_MARKER: &str = "[function]";

/// How a definition names its runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunNameRule<'a> {
    /// No `runName`: the workflow's name.
    WorkflowName,
    /// A template over the arguments.
    Template(&'a str),
    /// A TypeScript function of the arguments, called by the JS worker.
    Function,
}

impl WorkflowDefinition {
    /// How this definition names its runs.
    pub fn run_name_rule(&self) -> RunNameRule<'_> {
        match self.run_name.as_deref() {
            None => RunNameRule::WorkflowName,
            Some(FUNCTION_MARKER) => RunNameRule::Function,
            Some(t) => RunNameRule::Template(t),
        }
    }
}

/// The template rendered over `args`, tidied; `Err` names what went wrong (a filter that
/// failed on the value, for one). Empty text gives the workflow's name.
pub fn render(definition: &WorkflowDefinition, template: &str, args: &Value) -> Result<String, String> {
    let text =
        template::render_lenient(template, args, &Map::new(), Quote::None).map_err(|e| format!("runName: {e}"))?;
    Ok(tidy(&text).unwrap_or_else(|| definition.name.clone()))
}

/// `text` as a name: invisible and control characters out (line breaks and tabs become
/// spaces), whitespace collapsed, at most `MAX_CHARS` characters (cut with `…`). `None` when
/// nothing readable is left.
pub fn tidy(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 4));
    for c in text.chars() {
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else if name_problem(c.encode_utf8(&mut [0; 4])).is_some() {
            continue;
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_end();
    if out.is_empty() {
        return None;
    }
    if out.chars().count() <= MAX_CHARS {
        return Some(out.to_string());
    }
    let cut: String = out.chars().take(MAX_CHARS - 1).collect();
    Some(format!("{}…", cut.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(run_name: Option<&str>) -> WorkflowDefinition {
        WorkflowDefinition {
            name: "Agent bug fix".into(),
            description: None,
            kind: crate::domain::DefinitionKind::Yaml,
            path: "w.yaml".into(),
            phases: vec!["a".into()],
            args_schema: None,
            run_name: run_name.map(str::to_string),
            timeout_ms: None,
            budget: None,
            concurrency: None,
            workspace: None,
            steps: Vec::new(),
            sources: Vec::new(),
        }
    }

    #[test]
    fn a_template_is_filled_from_the_arguments() {
        let d = def(Some("Fix #{{ args.issue }}"));
        let RunNameRule::Template(t) = d.run_name_rule() else {
            panic!()
        };
        assert_eq!(render(&d, t, &json!({"issue": 42})).unwrap(), "Fix #42");
    }

    #[test]
    fn a_missing_argument_is_empty_or_its_default_and_empty_falls_back() {
        let d = def(None);
        assert_eq!(render(&d, "Fix {{ args.issue }}", &json!({})).unwrap(), "Fix");
        let t = "Fix {{ args.issue | default('(no issue)') }}";
        assert_eq!(render(&d, t, &json!({})).unwrap(), "Fix (no issue)");
        assert_eq!(render(&d, "{{ args.x }}", &json!({})).unwrap(), "Agent bug fix");
        assert_eq!(d.run_name_rule(), RunNameRule::WorkflowName);
        assert_eq!(def(Some(FUNCTION_MARKER)).run_name_rule(), RunNameRule::Function);
    }

    #[test]
    fn names_are_tidied_not_refused() {
        assert_eq!(
            tidy("  fix\n\tthe\u{202E}  bug \u{200B} ").as_deref(),
            Some("fix the bug")
        );
        assert_eq!(tidy(" \n "), None);
        let long = tidy(&"x".repeat(500)).unwrap();
        assert_eq!(long.chars().count(), MAX_CHARS);
        assert!(long.ends_with('…'));
    }

    fn yaml(run_name: &str) -> Result<WorkflowDefinition, Vec<crate::definition::DefinitionError>> {
        let text = format!(
            "name: fix\nrunName: {run_name}\nargsSchema:\n  type: object\n  properties:\n    issue: {{ type: integer }}\nphases: [a]\nsteps:\n  - id: s\n    type: script\n    command: echo\n"
        );
        crate::definition::yaml::parse_yaml(std::path::Path::new("w.yaml"), &text)
    }

    #[test]
    fn yaml_run_name_is_read_and_checked_where_it_is_written() {
        let d = yaml(r#""Fix #{{ args.issue }}""#).unwrap();
        assert_eq!(d.run_name.as_deref(), Some("Fix #{{ args.issue }}"));
        let e = yaml(r#""Fix {{ args.isue }}""#).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "w.yaml:2:15: 'runName': unknown argument 'isue' in {{ args.isue }}: the argsSchema declares issue"
        );
        for (bad, says) in [
            (r#""{{ steps.s.data }}""#, "may use only args"),
            (r#""{{ secrets.TOKEN }}""#, "may use only args"),
            (r#""Fix {{ args.issue""#, "unclosed"),
            ("[1, 2]", "runName"),
        ] {
            let e = yaml(bad).unwrap_err();
            let text = e[0].to_string();
            assert!(text.starts_with("w.yaml:2:") && text.contains(says), "{bad}: {text}");
        }
    }
}
