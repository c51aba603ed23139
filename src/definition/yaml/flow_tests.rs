//! YAML parser tests of `if:` conditions, filters, placeholders in quotes and data paths:
//! each error at the line and column of the word it is about.

use super::*;

/// Every problem in `src` as (line, column, message).
fn errors(src: &str) -> Vec<(usize, usize, String)> {
    let errors = parse_yaml(Path::new("wf.yaml"), src).expect_err("should not parse");
    let locate = |e: DefinitionError| {
        let l = e.location.expect("every error is located");
        (l.line, l.column, e.message)
    };
    errors.into_iter().map(locate).collect()
}

#[track_caller]
fn assert_error(src: &str, line: usize, col: usize, text: &str) {
    let found = errors(src);
    assert_eq!(found.len(), 1, "{src}\n{found:#?}");
    let (l, c, message) = &found[0];
    assert!(message.contains(text), "{message:?} lacks {text:?}\n{src}");
    assert_eq!((*l, *c), (line, col), "{message}\n{}", numbered(src));
}

/// A workflow whose step `a` (a script) is on lines 5-7, then `extra` as the second step
/// from line 8.
fn with_step(extra: &str) -> String {
    format!(
        "name: t\nargsSchema: {{properties: {{env: {{}}}}}}\nphases: [p]\nsteps:\n\
         - id: a\n  type: script\n  command: make\n\
         - id: b\n  type: script\n{extra}\n"
    )
}

#[test]
fn a_condition_is_kept_and_its_step_may_name_earlier_steps() {
    let src = with_step("  command: echo ok\n  if: steps.a.status == 'completed' && args.env != null");
    let definition = parse_yaml(Path::new("wf.yaml"), &src).unwrap();
    let b = &definition.steps[1];
    assert_eq!(
        b.condition.as_deref(),
        Some("steps.a.status == 'completed' && args.env != null")
    );
    assert_eq!(definition.steps[0].condition, None);
    // Quoted because it starts with `!`, which YAML reads as a tag.
    let src = with_step("  command: echo ok\n  if: \"!(steps.a.data.exitCode == 0)\"");
    assert!(parse_yaml(Path::new("wf.yaml"), &src).is_ok());
    // A YAML boolean is the condition it reads as.
    let src = with_step("  command: echo ok\n  if: false");
    assert_eq!(
        parse_yaml(Path::new("wf.yaml"), &src).unwrap().steps[1]
            .condition
            .as_deref(),
        Some("false")
    );
}

#[test]
fn condition_errors_are_placed_at_the_word() {
    let at = |cond: &str| with_step(&format!("  command: echo ok\n  if: {cond}"));
    // `  if: ` is 6 characters: the condition starts at column 7 of line 11.
    assert_error(
        &at("steps.a.status = 'failed'"),
        11,
        22,
        "'if': '=' alone does not compare: write ==",
    );
    assert_error(&at("steps.a.data.stdot == ''"), 11, 7, "not 'stdot'");
    assert_error(
        &at("args.env == 'x' && steps.b.status == 'x'"),
        11,
        26,
        "refers to step 'b', which does not run before",
    );
    assert_error(&at("args.target == 1"), 11, 7, "unknown argument 'target'");
    assert_error(&at("'(args.env == 1'"), 11, 8, "this '(' is not closed");
    assert_error(&at("steps.a.status == completed"), 11, 25, "'completed' is not a value");
    assert_error(&at("''"), 11, 7, "'if': the condition is empty");
    // A condition that names a later step: the later step is not known yet.
    let src = "name: t\nphases: [p]\nsteps:\n- {id: a, type: script, command: x, if: steps.c.status == 'x'}\n\
               - {id: c, type: script, command: y}\n";
    assert_error(src, 4, 41, "refers to step 'c'");
}

#[test]
fn a_placeholder_in_quotes_in_a_command_is_an_error_with_a_hint() {
    let src = with_step("  command: echo \"Hello, {{ args.env }}!\"");
    assert_error(
        &src,
        10,
        25,
        "{{ args.env }} is inside \"double\" quotes in the command",
    );
    let src = with_step("  command: |\n    set -e\n    grep -q '{{ args.env }}' f");
    assert_error(&src, 12, 14, "'single' quotes");
    // Outside quotes, or in an env value read by a quoted variable, is right.
    let ok = with_step("  command: echo \"Hello, \"{{ args.env }} \"$X\"\n  env: {X: '{{ steps.a.data.stdout }}'}");
    assert!(parse_yaml(Path::new("wf.yaml"), &ok).is_ok());
}

#[test]
fn a_data_path_the_step_cannot_have_is_an_error() {
    let src = with_step("  command: echo {{ steps.a.data.stdot }}");
    assert_error(
        &src,
        10,
        17,
        "the data of a script step has exitCode, stdout, stderr, not 'stdot'",
    );
    let agent = "name: t\nphases: [p]\nsteps:\n- {id: a, type: agent, agent: claude, prompt: hi}\n\
                 - {id: b, type: script, command: 'echo {{ steps.a.data.output.title }}'}\n";
    assert_error(agent, 5, 40, "step 'a' has no outputSchema, so its data has no output");
    let ok = "name: t\nphases: [p]\nsteps:\n\
              - {id: a, type: agent, agent: claude, prompt: hi, outputSchema: {type: object}}\n\
              - {id: b, type: script, command: 'echo {{ steps.a.data.output.title | default(none) }}'}\n";
    assert_error(ok, 5, 40, "default takes one value");
    let ok = ok.replace("default(none)", "default(\"none\")");
    assert!(parse_yaml(Path::new("wf.yaml"), &ok).is_ok(), "{ok}");
}

fn numbered(src: &str) -> String {
    let lines = src.lines().enumerate().map(|(i, l)| format!("{:>2}| {l}", i + 1));
    lines.collect::<Vec<_>>().join("\n")
}
