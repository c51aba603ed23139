//! Every example that needs no agent runs, and leaves the spec's files, rows and checkpoints.

use serde_json::json;

use crate::util::*;

#[tokio::test]
async fn function_and_script_pipeline_leaves_files_rows_and_checkpoints() {
    let sb = Sandbox::new();
    let file = examples_dir().join("function-script-pipeline.ts");
    let out = sb.run(&["run", file.to_str().unwrap(), "--arg", "topic=durability"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let store = sb.store().await;
    let run = run_row(&store, &id).await;
    assert_eq!(run.status.as_str(), "completed");
    assert_eq!(run.current_phase.as_deref(), Some("report"));
    assert_eq!(run.current_step_index, 4);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&run.args).unwrap(),
        json!({ "topic": "durability", "lines": 3 })
    );
    let steps = steps(&store, &id).await;
    let ids: Vec<_> = steps
        .iter()
        .map(|s| (s.step_id.as_str(), s.status.as_str(), s.step_index))
        .collect();
    assert_eq!(
        ids,
        [
            ("plan", "completed", 0),
            ("write-report", "completed", 1),
            ("count-lines", "completed", 2),
            ("summarise", "completed", 3)
        ]
    );
    let dir = sb.run_dir(&id);
    assert_eq!(
        sb.read_json(&dir.join("args.json")),
        json!({ "topic": "durability", "lines": 3 })
    );
    let def = sb.read_json(&dir.join("definition.json"));
    assert_eq!(def["name"], "Function and script pipeline");
    assert_eq!(def["argsSchema"]["properties"]["lines"]["type"], "integer");
    let last = sb.read_json(&dir.join("checkpoints/step-3.json"));
    assert_eq!(last["execution_id"], id.as_str());
    assert_eq!(last["current_phase"], "report");
    assert_eq!(last["current_step_index"], 4);
    assert_eq!(
        last["completed_step_ids"],
        json!(["plan", "write-report", "count-lines", "summarise"])
    );
    assert_eq!(
        last["step_results"]["summarise"],
        json!({ "stepId": "summarise", "status": "completed", "data": { "topic": "durability", "lines": 3 } })
    );
    // Each checkpoint holds every result so far: the newest replaces the ones before it.
    let kept: Vec<_> = std::fs::read_dir(dir.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(kept, ["step-3.json"]);
    let output = sb.read_json(&dir.join("logs/count-lines/output.json"));
    assert_eq!(output["data"]["stdout"], "3\n");
    assert_eq!(output["data"]["exitCode"], 0);
    let input = sb.read_json(&dir.join("logs/count-lines/input.json"));
    assert_eq!(input["type"], "script");
    let events = std::fs::read_to_string(dir.join("logs/count-lines/events.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert_eq!(
        (line["type"].as_str(), line["text"].as_str()),
        (Some("stdout"), Some("3"))
    );
    let summary = std::fs::read_to_string(dir.join("logs/summarise/summary.md")).unwrap();
    assert!(summary.contains("Status: completed"), "{summary}");
    let report = std::fs::read_to_string(sb.project().join(format!("report-{id}.txt"))).unwrap();
    assert_eq!(report.lines().count(), 3);
    let log = std::fs::read_to_string(dir.join("run.log")).unwrap();
    assert!(log.contains("[info] report has 3 lines"), "{log}");
    let comments: Vec<(String, String)> = crate::util::db(&store)
        .await
        .all(
            "SELECT text, comment_type FROM workflow_comments WHERE workflow_run_id = ?",
            &[(&id).into()],
        )
        .await;
    assert_eq!(
        comments,
        [(
            format!("Report on durability written to report-{id}.txt"),
            "system".to_string()
        )]
    );
}

#[tokio::test]
async fn parallel_steps_run_at_the_same_time() {
    let sb = Sandbox::new();
    let file = examples_dir().join("parallel-steps.ts");
    let started = std::time::Instant::now();
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let store = sb.store().await;
    let steps = steps(&store, &run_id(&out)).await;
    let checks: Vec<_> = steps.iter().filter(|s| s.step_id.starts_with("check-")).collect();
    assert_eq!(checks.len(), 3);
    // Every check started before any of them finished: they overlapped.
    let last_start = checks.iter().map(|s| s.started_at.clone().unwrap()).max().unwrap();
    let first_end = checks.iter().map(|s| s.completed_at.clone().unwrap()).min().unwrap();
    assert!(last_start < first_end, "steps did not overlap: {checks:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(2800),
        "three 1s steps took {:?}",
        started.elapsed()
    );
    let verdict = steps.iter().find(|s| s.step_id == "verdict").unwrap();
    let result: serde_json::Value = serde_json::from_str(verdict.result.as_deref().unwrap()).unwrap();
    assert_eq!(result["data"]["passed"], true);
}

#[tokio::test]
async fn continue_on_error_hands_back_the_failed_result() {
    let sb = Sandbox::new();
    let file = examples_dir().join("continue-on-error.ts");
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let store = sb.store().await;
    let id = run_id(&out);
    assert_eq!(run_row(&store, &id).await.status.as_str(), "completed");
    let steps = steps(&store, &id).await;
    assert_eq!(steps[0].status, "failed");
    let error = steps[0].error_message.as_deref().unwrap();
    assert!(
        error.contains("exited with code 3") && error.contains("service unreachable"),
        "{error}"
    );
    let report: serde_json::Value = serde_json::from_str(steps[1].result.as_deref().unwrap()).unwrap();
    assert_eq!(report["data"]["flakyStatus"], "failed");
    // The failed-but-tolerated step is in the checkpoint's results, not its completed ids.
    let cp = sb.read_json(&sb.run_dir(&id).join("checkpoints/step-1.json"));
    assert_eq!(cp["completed_step_ids"], json!(["report"]));
    assert_eq!(cp["step_results"]["flaky-check"]["status"], "failed");
}

#[tokio::test]
async fn yaml_pipeline_renders_args_and_earlier_results() {
    let sb = Sandbox::new();
    let file = examples_dir().join("greet-pipeline.yaml");
    let out = sb.run(&[
        "run",
        file.to_str().unwrap(),
        "--arg",
        "name=Ada; touch injected",
        "--arg",
        "times=3",
        "-v",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let greeting = std::fs::read_to_string(sb.project().join("greeting.txt")).unwrap();
    // The argument went in shell-quoted: no injection, exactly three lines.
    assert_eq!(greeting, "Hello, Ada; touch injected\n".repeat(3));
    assert!(
        !sb.project().join("injected").exists(),
        "the argument was run as a command"
    );
    assert!(stdout(&out).contains("greeting.txt has 3 lines"), "{}", stdout(&out));
    let id = run_id(&out);
    let args = sb.read_json(&sb.run_dir(&id).join("args.json"));
    assert_eq!(args["times"], 3, "--arg times=3 must be a number for an integer field");
}

#[tokio::test]
async fn the_spec_examples_validate() {
    let sb = Sandbox::new();
    let ts = examples_dir().join("implement-feature.ts");
    let yaml = examples_dir().join("simple-pipeline.yaml");
    let out = sb.run(&["validate", ts.to_str().unwrap(), yaml.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("\"Implement Feature\" (phases: research, plan, implement, test)"),
        "{text}"
    );
    assert!(
        text.contains("\"Simple Build Pipeline\" (phases: build, test, deploy, 4 steps)"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_arguments_are_rejected_before_a_run_exists() {
    let sb = Sandbox::new();
    let yaml = examples_dir().join("simple-pipeline.yaml");
    let out = sb.run(&["run", yaml.to_str().unwrap(), "--arg", "environment=moon"]);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("args.environment"), "{}", stderr(&out));
    let out = sb.run(&["run", yaml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("environment"), "{}", stderr(&out));
    let ts = examples_dir().join("function-script-pipeline.ts");
    let out = sb.run(&["run", ts.to_str().unwrap(), "--arg", "topic=x", "--arg", "lines=many"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--arg lines: \"many\" is not an integer"),
        "{}",
        stderr(&out)
    );
    let runs = crate::util::db(&sb.store().await)
        .await
        .count("SELECT COUNT(*) FROM workflow_runs", &[])
        .await;
    assert_eq!(runs, 0, "no run is created for bad input");
}
