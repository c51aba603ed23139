//! Unit tests of `if:` conditions: every form, how values compare, and the parse errors
//! with where they are.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::*;
use crate::definition::step_data::Produced;
use crate::definition::StepKind;

struct Known(HashMap<String, Produced>, Option<Vec<String>>);

impl Scope for Known {
    fn known_args(&self) -> Option<&[String]> {
        self.1.as_deref()
    }

    fn step(&self, id: &str) -> Option<&Produced> {
        self.0.get(id)
    }
}

fn scope() -> Known {
    let of = |kind| Produced {
        kind: Some(kind),
        ..Produced::default()
    };
    let steps = [
        ("build", of(StepKind::Script)),
        ("lint.v2", of(StepKind::Script)),
        ("review", of(StepKind::Agent)),
    ];
    let steps = steps.into_iter().map(|(id, p)| (id.to_string(), p)).collect();
    let args = ["env", "count", "flags", "tag"].map(String::from).to_vec();
    Known(steps, Some(args))
}

fn results() -> Map<String, Value> {
    let mut steps = Map::new();
    steps.insert(
        "build".into(),
        json!({"stepId": "build", "status": "completed", "data": {"stdout": " 3\n", "stderr": "", "exitCode": 0}}),
    );
    steps.insert(
        "lint.v2".into(),
        json!({"stepId": "lint.v2", "status": "failed", "error": "2 warnings"}),
    );
    steps.insert(
        "review".into(),
        json!({"stepId": "review", "status": "skipped", "error": "the condition \"false\" was false"}),
    );
    steps
}

fn eval(text: &str) -> Result<bool, String> {
    check(text, &scope()).map_err(|(at, e)| format!("{at}: {e}"))?;
    let args = json!({"env": "prod", "count": 2, "flags": ["fast", "x"], "nothing": null});
    evaluate(text, &args, &results())
}

#[test]
fn every_form_evaluates() {
    let cases = [
        ("true", true),
        ("false", false),
        ("null", false),
        ("args.env == 'prod'", true),
        ("args.env == \"prod\"", true),
        ("args.env != 'prod'", false),
        ("args.count > 1", true),
        ("args.count >= 2 && args.count <= 2", true),
        ("args.count < 2", false),
        ("args.count == 2.0", true),
        ("'abc' < 'abd'", true),
        ("steps.build.status == 'completed'", true),
        ("steps.build.data.exitCode == 0", true),
        ("steps.build.data.stdout > 2", true),
        ("steps.build.data.stdout == 3", true),
        (
            "steps.lint.v2.status == 'failed' && steps.lint.v2.error contains 'warning'",
            true,
        ),
        ("steps.review.status == 'skipped'", true),
        ("args.flags contains 'fast'", true),
        ("args.flags contains 'slow'", false),
        ("args.env contains 'ro'", true),
        ("!(args.env == 'dev')", true),
        ("!args.tag", true),
        ("args.tag == null", true),
        ("args.tag != null || args.count == 2", true),
        ("args.env == 'dev' || args.env == 'prod' && args.count == 3", false),
        ("(args.env == 'dev' || args.env == 'prod') && args.count == 2", true),
        ("args.flags", true),
        ("-1 < 0", true),
        ("steps.build.data.stderr", false),
        ("steps.build.error == null", true),
        ("steps.review.data == null", true),
    ];
    for (text, expected) in cases {
        assert_eq!(eval(text), Ok(expected), "{text}");
    }
}

#[test]
fn values_that_do_not_compare_fail_the_step() {
    let e = eval("args.flags > 1").unwrap_err();
    assert_eq!(e, "the condition cannot tell whether a list > the number 1");
    let e = eval("args.env < 3").unwrap_err();
    assert_eq!(e, "the condition cannot tell whether text \"prod\" < the number 3");
    assert!(eval("args.count contains 'x'")
        .unwrap_err()
        .contains("the number 2 contains"));
}

#[track_caller]
fn parse_error(text: &str, at: usize, fragment: &str) {
    let (found_at, message) = check(text, &scope()).expect_err(text);
    assert!(message.contains(fragment), "{text}: {message:?} lacks {fragment:?}");
    assert_eq!(found_at, at, "{text}: {message}");
}

#[test]
fn parse_errors_say_what_and_where() {
    parse_error("", 0, "the condition is empty");
    parse_error("args.env = 'prod'", 9, "'=' alone does not compare: write ==");
    parse_error("args.env == 'prod' & true", 19, "write && for and");
    parse_error(
        "args.env == 'prod' and true",
        19,
        "'and' is not an operator here: write &&",
    );
    parse_error("args.env == prod", 12, "'prod' is not a value: quote text ('prod')");
    parse_error("args.env == 'prod", 12, "this string has no closing '");
    parse_error("(args.env == 'prod'", 0, "this '(' is not closed");
    parse_error("args.env == 'prod')", 18, "')' closes no '('");
    parse_error("args.env ==", 11, "the condition ends after '=='");
    parse_error("args.env == && true", 12, "expected a value after '==', found '&&'");
    parse_error("args.count > 1 > 0", 15, "comparisons do not chain");
    parse_error("args.env 'prod'", 9, "expected && or || before \"prod\"");
    parse_error("args.nope == 1", 0, "unknown argument 'nope'");
    parse_error(
        "true && steps.deploy.status == 'x'",
        8,
        "refers to step 'deploy', which does not run before this step",
    );
    parse_error(
        "steps.build.data.stdot == ''",
        0,
        "the data of a script step has exitCode, stdout, stderr, not 'stdot'",
    );
    parse_error("steps.build.state == ''", 0, "unknown field 'state'");
    parse_error("secrets.TOKEN == 'x'", 0, "a condition cannot use secrets");
    parse_error("env.HOME == 'x'", 0, "unknown name 'env'");
    parse_error("args..env", 0, "is not a path");
    parse_error("args.env == 1.2.3", 12, "'1.2.3' is not a number");
    parse_error("args.env ~ 1", 9, "unexpected '~'");
}
