//! Unit tests of template checking and rendering.

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
fn secrets_are_checked_kept_and_found() {
    assert_eq!(check("curl -H {{ secrets.API_TOKEN }}", None, |_: &str| false), Ok(()));
    assert!(check("x {{ secrets.bad-name }}", None, |_: &str| false)
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
