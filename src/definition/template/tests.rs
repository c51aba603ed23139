//! Unit tests of template checking and rendering.

use std::collections::HashMap;

use super::*;
use crate::definition::step_data::Produced;
use crate::definition::StepKind;
use serde_json::json;

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// What `check` may name: the declared arguments and the steps before (script steps unless
/// given).
#[derive(Default)]
struct Known {
    args: Option<Vec<String>>,
    steps: HashMap<String, Produced>,
}

impl Scope for Known {
    fn known_args(&self) -> Option<&[String]> {
        self.args.as_deref()
    }

    fn step(&self, id: &str) -> Option<&Produced> {
        self.steps.get(id)
    }
}

/// Earlier steps of unknown kind: their data is not checked.
fn known(list: &[&str]) -> Known {
    let steps = list.iter().map(|id| (id.to_string(), Produced::default())).collect();
    Known { args: None, steps }
}

fn with_args(args: &[&str], steps: &[&str]) -> Known {
    Known {
        args: Some(ids(args)),
        ..known(steps)
    }
}

fn none() -> Known {
    Known::default()
}

/// `check`'s message, without where.
fn check(template: &str, scope: &Known) -> Result<(), String> {
    super::check(template, scope).map_err(|(_, e)| e)
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
    let scope = with_args(&["env", "tag"], &["build", "lint.v2"]);
    let t = "deploy {{args.env}} {{ steps.build.data.files.0 }} {{ steps.lint.v2.status }}";
    assert_eq!(check(t, &scope), Ok(()));
    assert_eq!(check("{{ args.anything }}", &none()), Ok(()));
    assert_eq!(check("no placeholders }} here", &none()), Ok(()));
}

#[test]
fn check_rejects_unknown_root() {
    assert_eq!(
        check("x {{ env.HOME }}", &none()),
        Err(format!("unknown name 'env' in {{{{ env.HOME }}}}: {ROOTS_HINT}"))
    );
}

#[test]
fn check_rejects_unknown_argument() {
    assert_eq!(
        check("{{ args.x }}", &with_args(&["a", "b"], &[])),
        Err("unknown argument 'x' in {{ args.x }}: the argsSchema declares a, b".into())
    );
    assert_eq!(
        check("{{args.x}}", &with_args(&[], &[])),
        Err("unknown argument 'x' in {{args.x}}: the argsSchema declares no arguments".into())
    );
}

#[test]
fn check_rejects_later_or_unknown_step() {
    let earlier = known(&["build"]);
    assert_eq!(
        check("{{ steps.x.data }}", &earlier),
        Err("{{ steps.x.data }} refers to step 'x', which does not run before this step".into())
    );
    assert_eq!(
        check("{{ steps.a.b.error }}", &earlier),
        Err("{{ steps.a.b.error }} refers to step 'a.b', which does not run before this step".into())
    );
}

#[test]
fn check_rejects_bad_fields() {
    let earlier = known(&["build"]);
    assert_eq!(
        check("{{ steps.build }}", &earlier),
        Err(
            "{{ steps.build }} must name a field: steps.build.data, steps.build.status or \
             steps.build.error"
                .into()
        )
    );
    assert_eq!(
        check("{{ steps.build.status.x }}", &earlier),
        Err("{{ steps.build.status.x }}: only data has fields; status is a string".into())
    );
}

#[test]
fn check_rejects_malformed_placeholders() {
    assert_eq!(
        check("echo {{ args.x", &none()),
        Err("unclosed {{ at '{{ args.x': end the placeholder with }}".into())
    );
    assert!(check("{{ }}", &none())
        .unwrap_err()
        .starts_with("empty placeholder {{ }}"));
    assert!(check("{{ args.a b }}", &none())
        .unwrap_err()
        .starts_with("invalid placeholder"));
    assert!(check("{{ args..a }}", &none())
        .unwrap_err()
        .starts_with("invalid placeholder"));
}

#[test]
fn secrets_are_checked_kept_and_found() {
    assert_eq!(check("curl -H {{ secrets.API_TOKEN }}", &none()), Ok(()));
    assert!(check("x {{ secrets.bad-name }}", &none())
        .unwrap_err()
        .contains("invalid secret name 'bad-name'"));
    let t = "a {{secrets.A}} b {{ args.x }}";
    let out = render(
        t,
        &serde_json::json!({ "x": "{{ secrets.B }}" }),
        &Map::new(),
        Quote::Shell,
    )
    .unwrap();
    assert_eq!(out, "a {{ secrets.A }} b '{{ secrets.B }}'");
    assert_eq!(
        secret_names("{{ secrets.A }} {{.Id}} {{ secrets.B@t1 }} {{ secrets.1x }}"),
        ["A", "B"]
    );
    assert_eq!(
        replace_secrets("x={{ secrets.A }} {{.Id}}", |r| format!("<{}>", r.name)),
        "x=<A> {{.Id}}"
    );
    assert_eq!(secret_refs("{{ secrets.B@t1 }}")[0].tag.as_deref(), Some("t1"));
    assert!(secret_refs("{{ secrets.B@ }} {{ secrets.B@a-b }}").is_empty());
}

#[test]
fn literal_escape() {
    let t = "docker inspect -f '{{ '{{.State}}' }}' {{ args.c }}";
    assert_eq!(check(t, &with_args(&["c"], &[])), Ok(()));
    let out = render(t, &json!({"c": "web"}), &Map::new(), Quote::Shell);
    assert_eq!(out, Ok("docker inspect -f '{{.State}}' web".into()));
}

#[test]
fn renders_values_as_text() {
    let args = json!({"s": "hi", "n": 3, "b": true, "nil": null, "o": {"k": [1, 2]}});
    let t = "{{args.s}}|{{ args.n }}|{{ args.b }}|{{ args.nil }}|{{ args.o }}";
    assert_eq!(
        render(t, &args, &Map::new(), Quote::None),
        Ok(r#"hi|3|true||{"k":[1,2]}"#.into())
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

#[test]
fn a_path_the_run_does_not_have_is_an_error_not_empty_text() {
    let args = json!({"given": "x", "o": {"k": 1}, "list": [1]});
    let missing = |t: &str| render(t, &args, &results(), Quote::None).unwrap_err();
    assert_eq!(
        missing("{{ args.tag }}"),
        "{{ args.tag }}: the run has no argument 'tag' (add | default('') to the placeholder if it may be missing)"
    );
    assert!(missing("{{ args.o.j }}").starts_with("{{ args.o.j }}: args.o has no 'j' (it has k)"));
    assert!(missing("{{ args.list.3 }}").contains("args.list has no item 3 (it has 1)"));
    assert!(missing("{{ args.given.x }}").contains("args.given is text, which has no 'x'"));
    assert!(missing("{{ steps.build.data.nope }}").contains("steps.build.data has no 'nope' (it has files, count)"));
    assert!(missing("{{ steps.lint.v2.data.x }}").contains("step 'lint.v2' has no data (it failed)"));
    // A value that is there but null, and a step's error when it has none, are empty text.
    assert_eq!(
        render("[{{ steps.build.error }}]", &args, &results(), Quote::None),
        Ok("[]".into())
    );
    // Measuring a command before the steps it names have run inserts nothing for them.
    assert_eq!(
        render_lenient("a{{ args.tag }}b", &args, &results(), Quote::None),
        Ok("ab".into())
    );
}

#[test]
fn filters_apply_left_to_right() {
    let args = json!({"s": "  padded \n", "o": {"a": [1, "x"]}, "empty": "", "nil": null, "q": "it's"});
    let r = |t: &str, q| render(t, &args, &Map::new(), q);
    assert_eq!(r("[{{ args.s | trim }}]", Quote::None), Ok("[padded]".into()));
    assert_eq!(r("{{ args.o | json }}", Quote::None), Ok(r#"{"a":[1,"x"]}"#.into()));
    assert_eq!(r("{{ args.s | trim | json }}", Quote::None), Ok(r#""padded""#.into()));
    assert_eq!(r("{{ args.tag | default('none') }}", Quote::None), Ok("none".into()));
    assert_eq!(r(r#"{{ args.empty | default("e") }}"#, Quote::None), Ok("e".into()));
    assert_eq!(r("{{ args.nil | default(3) }}", Quote::None), Ok("3".into()));
    assert_eq!(
        r("{{ args.s | trim | default('x') }}", Quote::None),
        Ok("padded".into())
    );
    assert_eq!(r("{{ args.tag | default('a}}b') }}", Quote::None), Ok("a}}b".into()));
    // `quote` quotes where nothing else would; in a command it is the quoting there is.
    let once = shell_quote("it's");
    assert_eq!(r("{{ args.q | quote }}", Quote::None), Ok(once.clone()));
    assert_eq!(r("{{ args.q | quote }}", Quote::Shell), Ok(once.clone()));
    assert_eq!(r("{{ args.q }}", Quote::Shell), Ok(once.clone()));
    // A filter after `quote` may wrap the quotes: the value is quoted again in a command.
    let wrapped = shell_quote(&json!(once).to_string());
    assert_eq!(r("{{ args.q | quote | json }}", Quote::Shell), Ok(wrapped));
    // A filter does not hide a missing value; only default does.
    assert!(r("{{ args.tag | trim }}", Quote::None)
        .unwrap_err()
        .contains("no argument 'tag'"));
}

#[test]
fn filters_are_checked_as_the_file_is_parsed() {
    let bad = |t: &str| check(t, &none()).unwrap_err();
    let all = "{{ args.a | trim | json | quote | default('x') | default(1) }}";
    assert_eq!(check(all, &none()), Ok(()));
    assert!(bad("{{ args.a | upper }}")
        .contains("unknown filter 'upper': the filters are trim, json, default('x') and quote"));
    assert!(bad("{{ args.a | default }}").contains("default needs a value"));
    assert!(bad("{{ args.a | default(args.b) }}").contains("default takes one value"));
    assert!(bad("{{ args.a | trim(1) }}").contains("filter 'trim' takes no value"));
    assert!(bad("{{ args.a | }}").contains("nothing after '|'"));
    assert!(bad("{{ args.a | default('x' }}").contains("has no closing ')'"));
    assert!(bad("{{ secrets.TOKEN | trim }}").contains("a secret takes no filters"));
}

#[test]
fn a_path_the_step_cannot_have_is_refused_where_it_is() {
    let mut scope = known(&[]);
    let script = Produced {
        kind: Some(StepKind::Script),
        ..Produced::default()
    };
    scope.steps.insert("a".into(), script);
    let t = "echo {{ steps.a.data.stdout }} {{ steps.a.data.stdot }}";
    let (at, message) = super::check(t, &scope).unwrap_err();
    assert_eq!(at, t.rfind("{{").unwrap());
    assert_eq!(
        message,
        "{{ steps.a.data.stdot }}: the data of a script step has exitCode, stdout, stderr, not 'stdot'"
    );
}

#[test]
fn a_placeholder_inside_quotes_in_a_command_is_refused() {
    let scope = with_args(&["x"], &[]);
    let quoted = |t: &str| super::check_command(t, &scope).err();
    for ok in [
        "echo {{ args.x }}",
        r#"echo "Hello, "{{ args.x }}"#,
        r#"echo 'a' {{ args.x }} "b""#,
        r#"echo "$(cat {{ args.x }})""#,
        "echo `cat {{ args.x }}`",
        r"echo it\'s {{ args.x }}",
        "echo hi # it's a comment\necho {{ args.x }}",
        "docker inspect -f '{{ '{{.State}}' }}' {{ args.x }}",
    ] {
        assert_eq!(quoted(ok), None, "{ok}");
    }
    let (at, message) = quoted(r#"echo "Hello, {{ args.x }}!""#).unwrap();
    assert_eq!(at, 13);
    assert!(
        message.starts_with(r#"{{ args.x }} is inside "double" quotes in the command"#),
        "{message}"
    );
    assert!(message.contains("Remove the quotes"), "{message}");
    let (at, message) = quoted("grep -q 'v{{ args.x }}' f").unwrap();
    assert_eq!(at, 10);
    assert!(message.contains("'single' quotes"), "{message}");
    assert!(quoted(r#"echo "$(echo "{{ args.x }}")""#).is_some());
    // Only commands are shell text: a prompt may quote what it likes.
    assert_eq!(super::check(r#"say "{{ args.x }}""#, &scope), Ok(()));
}
