//! YAML control flow through the binary: `if:` conditions (a false one records the step
//! `skipped`, memoized on resume), template filters, a path the run does not have failing
//! its step instead of inserting "", and the parse errors of all of it with file:line:col.

use serde_json::Value;
use workflow_engine::store::Store;

use crate::util::*;

fn text(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

fn step<'a>(steps: &'a [StepInfo], id: &str) -> &'a StepInfo {
    steps
        .iter()
        .find(|s| s.step_id == id)
        .unwrap_or_else(|| panic!("no step {id} in {steps:#?}"))
}

/// The journal's events of `run` for step key `key`: (type, data).
async fn step_events(store: &Store, run: &str, key: &str) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> = db(store)
        .await
        .all(
            "SELECT type, data FROM workflow_events WHERE execution_id = ? ORDER BY seq",
            &[run.into()],
        )
        .await;
    rows.into_iter()
        .map(|(t, d)| (t, serde_json::from_str::<Value>(&d).unwrap()))
        .filter(|(_, d)| d["step_key"] == key)
        .collect()
}

const OPTIONAL_TAG: &str = "name: Tag\nargsSchema:\n  type: object\n  properties:\n    tag: { type: string }\n\
                            phases: [p]\nsteps:\n  - id: write\n    type: script\n    command: echo tag={{ args.tag }} > tag.txt\n";

/// The defect: `{{ args.tag }}` of a run not given `tag` ran `echo tag='' > tag.txt` and the
/// run completed. It fails the step, naming the path, and runs nothing.
#[tokio::test]
async fn a_path_the_run_does_not_have_fails_its_step_instead_of_inserting_nothing() {
    let sb = Sandbox::new();
    let file = sb.write("tag.yaml", OPTIONAL_TAG);
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!sb.project().join("tag.txt").exists(), "the command must not run");
    let id = run_id(&out);
    let store = sb.store().await;
    let run = run_row(&store, &id).await;
    let expected =
        "{{ args.tag }}: the run has no argument 'tag' (add | default('') to the placeholder if it may be missing)";
    assert_eq!(run.status.as_str(), "failed");
    assert_eq!(
        run.error_message.as_deref(),
        Some(format!("step \"write\" failed: {expected}").as_str())
    );
    let steps = steps(&store, &id).await;
    let write = step(&steps, "write");
    assert_eq!(
        (write.status.as_str(), write.error_message.as_deref()),
        ("failed", Some(expected))
    );
    assert!(text(&out).contains("✗ write"), "{}", text(&out));
    // The step has its events and files like any step.
    let events: Vec<String> = step_events(&store, &id, "write")
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(events, ["workflow.step.started", "workflow.step.completed"]);
    let summary = std::fs::read_to_string(sb.run_dir(&id).join("logs/write/summary.md")).unwrap();
    assert!(summary.contains(expected), "{summary}");

    // Given the argument, or a default, it runs.
    let out = sb.run(&["run", file.to_str().unwrap(), "--arg", "tag=v1"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(sb.project().join("tag.txt")).unwrap(),
        "tag=v1\n"
    );
    let with_default = OPTIONAL_TAG.replace("{{ args.tag }}", "{{ args.tag | default('none') }}");
    let out = sb.run(&["run", sb.write("default.yaml", &with_default).to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(sb.project().join("tag.txt")).unwrap(),
        "tag=none\n"
    );
}

/// A key missing in an earlier step's data (a signal's payload here) fails the step that
/// names it; with `continueOnError` the run goes on.
#[tokio::test]
async fn a_key_missing_in_a_steps_data_fails_the_step_that_names_it() {
    let sb = Sandbox::new();
    let yaml = r#"name: Sig
phases: [p]
steps:
  - id: go
    type: signal
    signal: go
  - id: use
    type: script
    command: echo {{ steps.go.data.payload.version }}
    continueOnError: true
  - id: after
    type: script
    command: echo [{{ steps.use.error }}]
"#;
    let file = sb.write("sig.yaml", yaml);
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "left waiting: {}", text(&out));
    let id = run_id(&out);
    let out = sb.run(&["signal", &id, "go", "--payload", r#"{"name":"x"}"#, "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let store = sb.store().await;
    let steps = steps(&store, &id).await;
    let used = step(&steps, "use");
    let missing = "{{ steps.go.data.payload.version }}: steps.go.data.payload has no 'version' (it has name)";
    assert_eq!(used.status, "failed");
    assert!(used.error_message.as_deref().unwrap().starts_with(missing), "{used:?}");
    let after: Value = serde_json::from_str(step(&steps, "after").result.as_deref().unwrap()).unwrap();
    assert!(
        after["data"]["stdout"].as_str().unwrap().contains("has no 'version'"),
        "{after}"
    );
    assert_eq!(run_row(&store, &id).await.status.as_str(), "completed");
}

const FLOW: &str = r#"name: Flow
argsSchema:
  type: object
  properties:
    env: { type: string }
    count: { type: integer, default: 2 }
phases: [check, ship]
steps:
  - id: probe
    phase: check
    type: script
    command: echo "  3 files "; exit 3
    continueOnError: true
  - id: recover
    if: steps.probe.status == 'failed' && steps.probe.data.exitCode == 3
    type: script
    command: echo {{ steps.probe.data.stdout | trim | quote }} > recovered.txt
  - id: deploy
    phase: ship
    if: args.env == "prod" || (args.env == 'staging' && args.count >= 3)
    type: script
    command: echo deployed > deployed.txt
  - id: note
    if: "!(steps.deploy.status == 'completed') && steps.probe.data.stdout contains 'files'"
    type: script
    command: echo {{ steps.deploy.status }}/{{ steps.deploy.data.stdout | default('nothing') }} > note.txt
  - id: flaky
    type: script
    command: test -f flaky.marker || { touch flaky.marker; exit 1; }
"#;

/// `if:` in its forms, a skipped step and what later steps see of it, and a resume that
/// hands back the skipped step from the memo without asking its condition again.
#[tokio::test]
async fn a_false_condition_skips_its_step_and_a_resume_keeps_it_skipped() {
    let sb = Sandbox::new();
    let file = sb.write("flow.yaml", FLOW);
    let out = sb.run(&["run", file.to_str().unwrap(), "--arg", "env=staging"]);
    assert_eq!(out.status.code(), Some(1), "flaky fails the first time: {}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("↷ deploy"), "{printed}");
    assert!(printed.contains("skipped: the condition"), "{printed}");
    let id = run_id(&out);
    let store = sb.store().await;
    let first = steps(&store, &id).await;
    let statuses: Vec<(&str, &str)> = first.iter().map(|s| (s.step_id.as_str(), s.status.as_str())).collect();
    assert_eq!(
        statuses,
        [
            ("probe", "failed"),
            ("recover", "completed"),
            ("deploy", "skipped"),
            ("note", "completed"),
            ("flaky", "failed")
        ]
    );
    let reason = r#"the condition `args.env == "prod" || (args.env == 'staging' && args.count >= 3)` was false"#;
    let deploy = step(&first, "deploy");
    assert_eq!(deploy.error_message.as_deref(), Some(reason));
    let result: Value = serde_json::from_str(deploy.result.as_deref().unwrap()).unwrap();
    assert_eq!(result["status"], "skipped");
    assert_eq!(result["error"], reason);
    assert!(!sb.project().join("deployed.txt").exists());
    let read = |f: &str| std::fs::read_to_string(sb.project().join(f)).unwrap();
    assert_eq!(read("recovered.txt"), "3 files\n");
    assert_eq!(read("note.txt"), "skipped/nothing\n");
    let output = sb.read_json(&sb.run_dir(&id).join("logs/deploy/output.json"));
    assert_eq!(output["status"], "skipped");
    let events = step_events(&store, &id, "deploy").await;
    let completed: Vec<&Value> = events
        .iter()
        .filter(|(t, _)| t == "workflow.step.completed")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        (&completed[0]["status"], &completed[0]["error"]),
        (&"skipped".into(), &reason.into())
    );

    // The resume replays: the skipped step is the memo's, not decided again.
    let out = sb.run(&["resume", &id]);
    assert!(out.status.success(), "{}", text(&out));
    let second = steps(&store, &id).await;
    let again = step(&second, "deploy");
    assert_eq!((again.status.as_str(), again.attempt), ("skipped", 1));
    assert_eq!(again.started_at, deploy.started_at);
    assert_eq!(
        step_events(&store, &id, "deploy").await.len(),
        2,
        "no new events for the skipped step"
    );
    assert_eq!(step(&second, "flaky").status, "completed");
    assert_eq!(run_row(&store, &id).await.status.as_str(), "completed");

    // The same workflow for prod deploys.
    let out = sb.run(&["run", file.to_str().unwrap(), "--arg", "env=prod"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read("deployed.txt"), "deployed\n");
    let prod = steps(&store, &run_id(&out)).await;
    assert_eq!(step(&prod, "note").status, "skipped");
}

/// A condition that cannot be decided (text compared with a number by `<`) fails its step.
#[tokio::test]
async fn a_condition_that_cannot_be_decided_fails_its_step() {
    let sb = Sandbox::new();
    let yaml = r#"name: Cmp
phases: [p]
steps:
  - id: list
    type: script
    command: echo a b
  - id: cmp
    if: steps.list.data.stdout < 3
    type: script
    command: echo never > never.txt
"#;
    let out = sb.run(&["run", sb.write("cmp.yaml", yaml).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let store = sb.store().await;
    let steps = steps(&store, &run_id(&out)).await;
    let cmp = step(&steps, "cmp");
    assert_eq!(cmp.status, "failed");
    assert_eq!(
        cmp.error_message.as_deref(),
        Some(
            r#"its condition `steps.list.data.stdout < 3` could not be decided: the condition cannot tell whether text "a b\n" < the number 3"#
        )
    );
    assert!(!sb.project().join("never.txt").exists());
}

/// Every new definition error, as `validate` and `run` print it: file:line:col and a hint.
#[test]
fn conditions_quotes_and_paths_are_checked_before_anything_runs() {
    let sb = Sandbox::new();
    let yaml = r#"name: Bad
phases: [p]
steps:
  - id: a
    type: script
    command: echo "Hello, {{ args.name }}"
  - id: b
    type: script
    command: echo {{ steps.a.data.stdot }}
  - id: c
    if: steps.a.status = 'failed'
    type: script
    command: echo {{ args.x | upper }}
  - id: d
    if: steps.e.status == 'completed'
    type: script
    command: 'true'
  - id: e
    type: script
    command: 'true'
"#;
    let file = sb.write("bad.yaml", yaml);
    let printed = sb.refused_by_validate(&file);
    let at = file.display();
    for expected in [
        format!("{at}:6:27: {{{{ args.name }}}} is inside \"double\" quotes in the command"),
        format!("{at}:9:19: {{{{ steps.a.data.stdot }}}}: the data of a script step has exitCode, stdout, stderr, not 'stdot'"),
        format!("{at}:11:24: 'if': '=' alone does not compare: write =="),
        format!("{at}:13:19: {{{{ args.x | upper }}}}: unknown filter 'upper'"),
        format!("{at}:15:9: 'if': steps.e.status refers to step 'e', which does not run before this step"),
    ] {
        assert!(printed.contains(&expected), "{expected}\nnot in:\n{printed}");
    }
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(":11:24: 'if'"), "{}", text(&out));
}

/// The workflows shipped in `workflows/` still validate.
#[test]
fn the_example_workflows_still_validate() {
    let sb = Sandbox::new();
    for name in ["greet-pipeline.yaml", "simple-pipeline.yaml"] {
        let file = examples_dir().join(name);
        let out = sb.run(&["validate", file.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
}

/// The README's YAML workflow (its first ```yaml block) validates and runs as it says: the
/// `if:` of its last step is false for two greetings and true for three.
#[tokio::test]
async fn the_readme_yaml_workflow_runs_as_documented() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let workflows: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.starts_with("name:"))
        .collect();
    assert!(!workflows.is_empty(), "the README has a YAML workflow");
    let sb = Sandbox::new();
    let file = sb.write("greet.yaml", workflows[0]);
    let out = sb.run(&["validate", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let store = sb.store().await;
    for (times, celebrated) in [("2", false), ("3", true)] {
        let out = sb.run(&[
            "run",
            file.to_str().unwrap(),
            "--arg",
            "name=Ann O'Neil",
            "--arg",
            &format!("times={times}"),
        ]);
        assert!(out.status.success(), "{}", text(&out));
        let steps = steps(&store, &run_id(&out)).await;
        let celebrate = step(&steps, "celebrate");
        let show: Value = serde_json::from_str(step(&steps, "show").result.as_deref().unwrap()).unwrap();
        assert_eq!(show["data"]["stdout"], format!("greeting.txt has {times} lines\n"));
        if celebrated {
            assert_eq!(celebrate.status, "completed");
            let result: Value = serde_json::from_str(celebrate.result.as_deref().unwrap()).unwrap();
            assert_eq!(result["data"]["stdout"], "Ann O'Neil got 3 greetings\n");
        } else {
            assert_eq!(celebrate.status, "skipped", "{celebrate:?}");
        }
    }
}
