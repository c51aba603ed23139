//! YAML parser tests: every error with its line and column.
use super::*;
use crate::definition::StepKind;

/// Every problem in `src` as (line, column, message).
fn errors(src: &str) -> Vec<(usize, usize, String)> {
    let errors = parse_yaml(Path::new("wf.yaml"), src).expect_err("should not parse");
    let locate = |e: DefinitionError| {
        let l = e.location.expect("every error is located");
        assert_eq!(l.file, Path::new("wf.yaml"));
        (l.line, l.column, e.message)
    };
    errors.into_iter().map(locate).collect()
}

/// Asserts that `src` has exactly one problem, at `line`:`col`, whose message has `text`.
#[track_caller]
fn assert_error(src: &str, line: usize, col: usize, text: &str) {
    let found = errors(src);
    assert_eq!(found.len(), 1, "{src}\n{found:#?}");
    let (l, c, message) = &found[0];
    assert_eq!((*l, *c), (line, col), "{message}\n{src}");
    assert!(message.contains(text), "{message:?} lacks {text:?}\n{src}");
}

/// A valid workflow of four lines; step `a` is on line 4.
const HEAD: &str = "name: t\nphases: [build, test]\nsteps:\n\
                        - {id: a, phase: build, type: script, command: make}\n";

/// Checks rows of `line:col | source | message fragment`, where `\n` in the source is a
/// newline and a leading `$` stands for `HEAD`.
#[track_caller]
fn assert_errors(table: &str) {
    for row in table.lines().map(str::trim).filter(|row| !row.is_empty()) {
        let [at, src, text] = row.splitn(3, " | ").collect::<Vec<_>>()[..] else {
            panic!("bad row {row}")
        };
        let (line, col) = at.split_once(':').expect("line:col");
        let src = src.replace("\\n", "\n");
        let src = src
            .strip_prefix('$')
            .map_or(src.clone(), |rest| format!("{HEAD}{rest}"));
        assert_error(&src, line.parse().unwrap(), col.parse().unwrap(), text);
    }
}

const SPEC_EXAMPLE: &str = r#"# .agent/workflows/definitions/simple-pipeline.yaml
name: Simple Build Pipeline
description: Build, test, and deploy

argsSchema:
  type: object
  properties:
    environment:
      type: string
      enum: [dev, staging, production]
  required: [environment]

phases:
  - build
  - test
  - deploy

steps:
  - id: install-deps
    name: Install Dependencies
    phase: build
    type: script
    command: pnpm install

  - id: build-app
    name: Build Application
    phase: build
    type: script
    command: pnpm build

  - id: run-tests
    name: Run Tests
    phase: test
    type: script
    command: pnpm test

  - id: deploy
    name: Deploy
    phase: deploy
    type: script
    command: pnpm deploy --env {{ args.environment }}
"#;

#[test]
fn parses_the_spec_example() {
    let path = Path::new("defs/simple-pipeline.yaml");
    let def = parse_yaml(path, SPEC_EXAMPLE).unwrap();
    assert_eq!(def.name, "Simple Build Pipeline");
    assert_eq!(def.description.as_deref(), Some("Build, test, and deploy"));
    assert_eq!((def.kind, def.path.as_path()), (DefinitionKind::Yaml, path));
    assert_eq!(def.phases, ["build", "test", "deploy"]);
    let environment = serde_json::json!({"type": "string", "enum": ["dev", "staging", "production"]});
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"environment": environment},
        "required": ["environment"],
    });
    assert_eq!(def.args_schema, Some(schema));
    let ids: Vec<_> = def.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["install-deps", "build-app", "run-tests", "deploy"]);
    let expected = StepConfig {
        id: "deploy".into(),
        name: "Deploy".into(),
        phase: "deploy".into(),
        kind: Some(StepKind::Script),
        command: Some("pnpm deploy --env {{ args.environment }}".into()),
        location: Some(Location {
            file: path.into(),
            line: 37,
            column: 5,
        }),
        ..StepConfig::default()
    };
    assert_eq!(def.steps[3], expected);
    assert_eq!(def.steps[0].location.as_ref().map(|l| l.line), Some(19));
}

#[test]
fn parses_agent_step_with_env_timeout_and_continue_on_error() {
    let src = r#"name: review
timeout: 1h30m
phases: [build, review]
steps:
  - id: build
    phase: build
    type: script
    command: true
    cwd: "{{ args.dir }}"
    env: {CI: true, JOBS: 4, LABEL: "run {{ args.dir }}", EMPTY: ''}
    timeout: 90
    continueOnError: true
  - id: review.1
    phase: review
    type: agent
    agent: claude
    permission: plan
    timeout: 2.5s
    prompt: |
      Review the build: {{ steps.build.status }}
"#;
    let def = parse_yaml(Path::new("r.yaml"), src).unwrap();
    assert_eq!(def.timeout_ms, Some(5_400_000));
    let build = &def.steps[0];
    assert_eq!((build.name.as_str(), build.command.as_deref()), ("build", Some("true")));
    assert_eq!(build.cwd.as_deref(), Some("{{ args.dir }}"));
    let env: Vec<_> = build.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let label = ("LABEL", "run {{ args.dir }}");
    assert_eq!(env, [("CI", "true"), ("EMPTY", ""), ("JOBS", "4"), label]);
    assert_eq!((build.timeout_ms, build.continue_on_error), (Some(90_000), true));
    let review = &def.steps[1];
    assert_eq!(review.kind, Some(StepKind::Agent));
    assert_eq!(review.agent.as_deref(), Some("claude"));
    assert_eq!(review.permission.as_deref(), Some("plan"));
    assert_eq!(review.timeout_ms, Some(2_500));
    let prompt = "Review the build: {{ steps.build.status }}\n";
    assert_eq!(review.prompt.as_deref(), Some(prompt));
    assert_eq!((review.command.as_ref(), review.continue_on_error), (None, false));
}

#[test]
fn top_level_errors() {
    let keys = "unknown key 'stepz': did you mean 'steps'? (expected one of: name, description, argsSchema, runName, \
                    phases, steps, timeout, budget, concurrency, workspace)";
    assert_error(&format!("{HEAD}stepz: 1\n"), 5, 1, keys);
    assert_errors(
        r"
            3:6 | name: t\nphases: [a\nsteps: x | YAML syntax error: 
            1:1 | - a | a workflow file must be a mapping, found a list
            1:1 | # no content | the file is empty
            5:1 | $name: u | duplicate key 'name' (first at line 1)
            5:10 | $timeout: 5x | 'timeout': invalid duration '5x'
            5:13 | $argsSchema: [a] | 'argsSchema' (a JSON Schema of type object) must be a
            6:9 | $argsSchema:\n  type: string | argsSchema type must be 'object'
            3:8 | name: t\nphases: [a]\nsteps: [] | non-empty list of steps, found an empty list
            3:1 | name: t\nphases: [a]\nsteps: | 'steps' must be a non-empty list of steps
            6:9 | $workspace:\n  keep: sometimes | 'workspace': keep: must be one of
            7:11 | $workspace:\n  isolation: worktree\n  branch: wf/{{ args.x }} | 'workspace': branch: 'wf/{{ args.x }}': unknown placeholder 'args.x'
            5:12 | $workspace: worktree | 'workspace': must be an object
            6:3 | $workspace:\n  folder: x | 'workspace': unknown key 'folder'
            ",
    );
    let no_name = HEAD.replace("name: t\n", "");
    assert_error(&no_name, 1, 1, "the workflow is missing required key 'name'");
    let list_name = HEAD.replace("name: t", "name: [t]");
    assert_error(&list_name, 1, 7, "'name' must be a string, found a list");
    let phases = |list: &str| HEAD.replace("[build, test]", list);
    let not_list = "'phases' must be a non-empty list of names, found";
    assert_error(&phases("build"), 2, 9, &format!("{not_list} 'build'"));
    assert_error(&phases("[]"), 2, 9, &format!("{not_list} an empty list"));
    let twice = "duplicate phase 'build' (first at line 2)";
    assert_error(&phases("[build, test, build]"), 2, 23, twice);
}

#[test]
fn step_errors() {
    let keys = "unknown key 'comand' in step 'b': did you mean 'command'? (expected one of: id, name, phase, type, \
                    command, cwd, prompt, agent, permission, model, maxTurns, outputSchema, \
                    onInterrupt, maxCostUsd, maxTokens, allowedTools, disallowedTools, appendSystemPrompt, mcpConfig, \
                    addDirs, extraArgs, stallTimeout, env, timeout, continueOnError, if, retry, title, description, approvers, onTimeout, \
                    form, duration, signal)";
    let src = "- {id: b, phase: build, type: script, command: x, comand: y}";
    assert_error(&format!("{HEAD}{src}"), 5, 51, keys);
    // Each step is `- {...}` on line 5, so its `{` is column 3.
    assert_errors(
        r"
            5:3 | $- {id: b, phase: build} | step 'b' is missing required key 'type'
            5:3 | $- {phase: build, type: script, command: x} | step 2 is missing required key 'id'
            5:3 | $- {id: b, phase: build, type: script} | missing required key 'command'
            5:3 | $- {id: b, phase: build, type: agent, agent: codex} | required key 'prompt'
            5:3 | $- {id: b, phase: build, type: agent, prompt: p} | missing required key 'agent'
            5:3 | $- just text | step 2 must be a mapping, found 'just text'
            5:8 | $- {id: b c, phase: build, type: script, command: x} | step id 'b c' contains ' '
            5:8 | $- {id: a, phase: build, type: script, command: x} | duplicate step id 'a' (first
            5:8 | $- {id: 7, phase: build, type: script, command: x} | 'id' must be a string, found
            5:18 | $- {id: b, phase: deploy, type: script, command: x} | uses phase 'deploy'
            5:31 | $- {id: b, phase: build, type: function} | function steps need a TypeScript
            5:31 | $- {id: b, phase: build, type: shell} | unknown step type 'shell' (expected
            5:48 | $- {id: b, phase: build, type: script, command: [x]} | 'command' must be a string
            5:51 | $- {id: b, phase: build, type: script, command: x, prompt: p} | 'prompt' applies
            5:56 | $- {id: b, phase: build, type: agent, prompt: p, agent: gpt} | agent 'gpt' is not
            ",
    );
    let agent = "$- {id: b, phase: build, type: agent, prompt: p, agent: codex";
    let script = "$- {id: b, phase: build, type: script, command: x";
    let cases = [
        format!("5:63 | {agent}, command: x}} | 'command' applies to script steps, but step 'b' is"),
        format!("5:75 | {agent}, permission: all}} | permission 'all' is not one of default, p"),
        format!("5:56 | {script}, env: [A]}} | 'env' (names to values) must be a mapping, found"),
        format!("5:60 | {script}, env: {{A: [1]}}}} | 'env A' must be a string, found a list"),
        format!("5:57 | {script}, env: {{1A: x}}}} | invalid env name '1A'"),
        format!("5:60 | {script}, timeout: 0}} | 'timeout': invalid duration '0': must be gre"),
        format!("5:68 | {script}, continueOnError: yes}} | 'continueOnError' must be true or"),
        format!("5:51 | {script}, prompt: p}} | but step 'b' is a script step"),
    ];
    assert_errors(&cases.join("\n"));
}

#[test]
fn template_errors_are_located_at_the_placeholder() {
    let src = |step: &str| {
        let schema = "argsSchema: {properties: {env: {}}}\n";
        format!("{schema}{HEAD}- id: b\n  phase: test\n  type: script\n  {step}\n")
    };
    let arg = "unknown argument 'target' in {{ args.target }}: the argsSchema declares env";
    assert_error(&src("command: deploy {{ args.target }}"), 9, 19, arg);
    let later = "{{ steps.c.data }} refers to step 'c', which does not run before this step";
    assert_error(&src("command: x\n  cwd: '{{ steps.c.data }}'"), 10, 9, later);
    let root = "unknown name 'env' in {{ env.HOME }}";
    assert_error(&src("command: x\n  env: {A: '{{ env.HOME }}'}"), 10, 13, root);
    assert_error(&src("command: |\n    echo {{ args.env"), 10, 10, "unclosed {{");
    let prompt = "- {id: c, phase: test, type: agent, agent: codex, prompt: '{{ steps.b.data }}'}";
    assert_error(&format!("{HEAD}{prompt}\n"), 5, 60, "refers to step 'b'");
}

#[test]
fn reports_every_problem_in_order() {
    let src = "name: t\nphases: [build]\nextra: 1\nsteps:\n- id: a\n  phase: nope\n  type: x\n";
    let found: Vec<_> = errors(src).into_iter().map(|(l, c, _)| (l, c)).collect();
    assert_eq!(found, [(3, 1), (6, 10), (7, 9)]);
}

#[test]
fn parses_agent_options() {
    let src = r#"name: agents
argsSchema: {properties: {pkg: {}}}
phases: [review]
steps:
  - id: review
    phase: review
    type: agent
    agent: claude
    prompt: Review it
    cwd: "packages/{{ args.pkg }}"
    model: claude-sonnet-4-5
    maxTurns: 25
    onInterrupt: resume
    outputSchema:
      type: object
      properties:
        approved: {type: boolean}
        notes: {type: array, items: {type: string}}
      required: [approved]
  - {id: plain, phase: review, type: agent, agent: codex, prompt: p, onInterrupt: restart, maxTurns: 10000}
"#;
    let def = parse_yaml(Path::new("a.yaml"), src).unwrap();
    let review = &def.steps[0];
    assert_eq!(review.cwd.as_deref(), Some("packages/{{ args.pkg }}"));
    assert_eq!(review.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(review.max_turns, Some(25));
    assert_eq!(review.on_interrupt.as_deref(), Some("resume"));
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "approved": {"type": "boolean"},
            "notes": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["approved"],
    });
    assert_eq!(review.output_schema, Some(schema));
    let plain = &def.steps[1];
    assert_eq!(
        (plain.model.as_ref(), plain.cwd.as_ref(), plain.output_schema.as_ref()),
        (None, None, None)
    );
    assert_eq!(
        (plain.max_turns, plain.on_interrupt.as_deref()),
        (Some(10_000), Some("restart"))
    );
    // Empty values count as absent, like every other optional key.
    let empty = "- {id: b, phase: build, type: agent, agent: codex, prompt: p, model: ~, outputSchema: ~}";
    let def = parse_yaml(Path::new("a.yaml"), &format!("{HEAD}{empty}\n")).unwrap();
    assert_eq!(
        (def.steps[1].model.as_ref(), def.steps[1].output_schema.as_ref()),
        (None, None)
    );
}

#[test]
fn agent_option_errors() {
    // Keys after the agent prefix start at column 63; a value at 63 + key length + 2.
    let agent = "$- {id: b, phase: build, type: agent, prompt: p, agent: codex";
    let script = "$- {id: b, phase: build, type: script, command: x";
    let turns = "'maxTurns' must be a whole number from 1 to 10000, found";
    let not_schema = "'outputSchema' is not a valid JSON Schema";
    let cases = [
        format!("5:70 | {agent}, model: ''}} | 'model' must not be empty: name a model"),
        format!("5:70 | {agent}, model: ' '}} | 'model' must not be empty"),
        format!("5:70 | {agent}, model: [a]}} | 'model' must be a string, found a list"),
        format!("5:70 | {agent}, model: 4}} | 'model' must be a string, found 4 (quote it"),
        format!("5:70 | {agent}, model: '{{{{ args.m }}}}'}} | 'model' is passed to the agent as written"),
        format!("5:73 | {agent}, maxTurns: 0}} | {turns} 0"),
        format!("5:73 | {agent}, maxTurns: -3}} | {turns} -3"),
        format!("5:73 | {agent}, maxTurns: 10001}} | {turns} 10001"),
        format!("5:73 | {agent}, maxTurns: 2.5}} | {turns} 2.5"),
        format!("5:73 | {agent}, maxTurns: '5'}} | {turns} '5'"),
        format!("5:73 | {agent}, maxTurns: [5]}} | {turns} a list"),
        format!("5:76 | {agent}, onInterrupt: later}} | onInterrupt 'later' is not one of restart, resume"),
        format!("5:76 | {agent}, onInterrupt: true}} | 'onInterrupt' must be a string, found true"),
        format!("5:77 | {agent}, outputSchema: x}} | 'outputSchema' (a JSON Schema) must be a mapping, found 'x'"),
        format!("5:77 | {agent}, outputSchema: [a]}} | 'outputSchema' (a JSON Schema) must be a mapping, found a list"),
        format!("5:63 | {agent}, outputSchema: {{type: strin}}}} | {not_schema} at /type: "),
        format!("5:63 | {agent}, outputSchema: {{required: 3}}}} | {not_schema} at /required: "),
        format!("5:63 | {agent}, outputSchema: {{pattern: '['}}}} | {not_schema}"),
        format!("5:69 | {agent}, cwd: '{{{{ steps.z.data }}}}'}} | refers to step 'z', which does not run"),
    ];
    assert_errors(&cases.join("\n"));
    for key in [
        "model: m",
        "maxTurns: 3",
        "outputSchema: {}",
        "onInterrupt: resume",
        "permission: plan",
    ] {
        let name = key.split(':').next().unwrap();
        let message = format!("'{name}' applies to agent steps, but step 'b' is a script step");
        assert_error(&format!("{HEAD}{}, {key}}}\n", &script[1..]), 5, 51, &message);
    }
}

#[test]
fn a_step_without_phase_takes_the_phase_before_else_the_first() {
    let src = "name: t\nphases: [build, test]\nsteps:\n\
               - {id: a, type: script, command: x}\n\
               - {id: b, phase: test, type: script, command: x}\n\
               - {id: c, type: script, command: x}\n";
    let def = parse_yaml(Path::new("wf.yaml"), src).unwrap();
    let phases: Vec<_> = def.steps.iter().map(|s| s.phase.as_str()).collect();
    assert_eq!(phases, ["build", "test", "test"]);
    // A phase that is written must still be declared.
    let undeclared = "$- {id: b, phase: deploy, type: script, command: x}";
    assert_errors(&format!(
        "5:18 | {undeclared} | uses phase 'deploy', which is not declared"
    ));
}

#[test]
fn keys_from_other_ci_systems_are_named_with_their_counterpart() {
    let found = errors(&format!("{HEAD}- {{id: b, type: script, run: make}}\n"));
    let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(messages[0].contains("step 'b' is missing required key 'command' ('run' is written instead)"));
    assert!(messages[1].starts_with("unknown key 'run' in step 'b': did you mean 'command'?"));
    let needs = "$- {id: b, type: script, command: x, needs: a} | there is no 'needs': steps run one after";
    let jobs = "4:1 | name: t\\nphases: [a]\\nsteps: [{id: a, command: x, type: script}]\\njobs: {} | \
                unknown key 'jobs': did you mean 'steps'?";
    assert_errors(&format!("5:37 | {needs}\n{jobs}"));
}

#[test]
fn nesting_is_limited_with_a_located_error() {
    let deep = format!("{HEAD}argsSchema:\n{}x\n", "- ".repeat(5_000));
    let found = errors(&deep);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].0, found[0].1), (6, 127));
    assert!(found[0].2.contains("nested more than 64 levels deep"), "{found:#?}");
    let mut maps = String::from("argsSchema:\n");
    for level in 0..2_500 {
        maps += &format!("{}k{level}:\n", " ".repeat(level + 1));
    }
    let found = errors(&format!("{HEAD}{maps}"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, 6 + 63, "{found:#?}");
    let flow = errors(&format!("{HEAD}argsSchema: {}{}\n", "[".repeat(300), "]".repeat(300)));
    assert!(flow[0].2.contains("nested more than 64 levels deep"), "{flow:#?}");
    // An alias cannot carry a tree past the limit either.
    let half = format!("a: &a {}{}\n", "[".repeat(40), "]".repeat(40));
    let found = errors(&format!(
        "{half}b: [[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]\n"
    ));
    assert!(found[0].2.contains("nested more than 64 levels deep"), "{found:#?}");
}

#[test]
fn a_file_with_thousands_of_problems_reports_the_first_fifty_and_a_count() {
    let steps: String = (0..1_000)
        .map(|i| format!("- {{id: s{i}, type: script, run: x}}\n"))
        .collect();
    let found = errors(&format!("name: t\nphases: [a]\nsteps:\n{steps}"));
    assert_eq!(found.len(), 51);
    assert_eq!(found[50].0, 4 + 25);
    assert_eq!(found[50].2, "and 1950 more problems after this line (fix these first)");
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let comment = format!("# {}\n", "x".repeat(1_000));
    std::fs::write(&path, format!("{HEAD}{}", comment.repeat(MAX_FILE_BYTES / 1_000))).unwrap();
    let errors = read_yaml(&path).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        "the file is bigger than 16 MB, the limit for a workflow file"
    );
    std::fs::write(&path, HEAD).unwrap();
    assert_eq!(read_yaml(&path).unwrap().steps.len(), 1);
}
