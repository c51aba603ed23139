//! Kill the engine mid-step, resume, and prove with side effects that completed steps ran
//! exactly once and the interrupted one ran again. Pause and resume with Ctrl-C.

use std::process::Stdio;

use crate::util::*;

const CRASHY: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Crashy", phases: ["first", "second"],
  async execute(ctx) {
    await ctx.step("one", { phase: "first", type: "script", command: "echo one >> side.txt" });
    const f = await ctx.step("compute", { phase: "first", type: "function", fn: async () => {
      await ctx.exec("echo compute >> side.txt");
      return { t: 7 };
    } });
    await ctx.step("two", { phase: "second", type: "script",
      command: "echo two-start >> side.txt; touch two.started; sleep 5; echo two-end >> side.txt" });
    await ctx.step("three", { phase: "second", type: "script", command: `echo three-${f.data.t} >> side.txt` });
  },
});
"#;

#[tokio::test]
async fn completed_steps_are_not_rerun_after_a_kill_and_resume() {
    let sb = Sandbox::new();
    let file = sb.write("crashy.ts", CRASHY);
    let mut child = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(30, "step two to start", || sb.project().join("two.started").exists());
    // A script step's start row is written while its process starts: killed before that
    // commit, the step's first try would leave no row. Killed once the row says it runs.
    let store = sb.store().await;
    let executions = sb.project().join(".agent/workflows/executions");
    let running = std::fs::read_dir(&executions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let running = running.to_string_lossy();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !steps(&store, &running).await.iter().any(|s| s.step_id == "two") {
        assert!(std::time::Instant::now() < deadline, "step two's row never appeared");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // SIGKILL: no chance to clean up.
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let id = run_id(&out);
    assert_eq!(id, running);
    assert_eq!(
        run_row(&store, &id).await.status.as_str(),
        "running",
        "a killed engine leaves the run running"
    );

    let resumed = sb.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    let side = std::fs::read_to_string(sb.project().join("side.txt")).unwrap();
    // one and compute ran once; two started twice (killed, then again) and ended once.
    assert_eq!(
        side, "one\ncompute\ntwo-start\ntwo-start\ntwo-end\nthree-7\n",
        "side effects: {side}"
    );
    let steps = steps(&store, &id).await;
    let summary: Vec<_> = steps
        .iter()
        .map(|s| (s.step_id.as_str(), s.status.as_str(), s.attempt))
        .collect();
    assert_eq!(
        summary,
        [
            ("one", "completed", 1),
            ("compute", "completed", 1),
            ("two", "completed", 2),
            ("three", "completed", 1)
        ]
    );
    let run = run_row(&store, &id).await;
    assert_eq!((run.status.as_str(), run.current_step_index), ("completed", 4));
    assert!(run.lease_owner.is_none());
    let cp = sb.read_json(&sb.run_dir(&id).join("checkpoints/step-3.json"));
    assert_eq!(
        cp["completed_step_ids"],
        serde_json::json!(["one", "compute", "two", "three"])
    );
}

#[tokio::test]
async fn a_completed_run_cannot_be_resumed_and_an_unknown_one_is_reported() {
    let sb = Sandbox::new();
    let file = sb.write(
        "ok.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Ok", phases: ["p"], async execute(ctx) {
  await ctx.step("a", { type: "script", command: "true" }); } });"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success());
    let again = sb.run(&["resume", &run_id(&out)]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("is completed and cannot be resumed"),
        "{}",
        stderr(&again)
    );
    let unknown = sb.run(&["resume", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no run nope"), "{}", stderr(&unknown));
}

#[tokio::test]
async fn ctrl_c_pauses_after_the_step_in_flight_and_resume_finishes() {
    let sb = Sandbox::new();
    let file = sb.write("pausable.yaml", "name: Pausable\nphases: [p]\nsteps:\n  - id: slow\n    phase: p\n    type: script\n    command: touch slow.started; sleep 1; echo slow >> side.txt\n  - id: next\n    phase: p\n    type: script\n    command: echo next >> side.txt\n");
    let child = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(30, "the slow step to start", || {
        sb.project().join("slow.started").exists()
    });
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stdout(&out));
    let id = run_id(&out);
    let store = sb.store().await;
    let run = run_row(&store, &id).await;
    assert_eq!(run.status.as_str(), "paused");
    assert!(run.paused_at.is_some());
    assert_eq!(
        std::fs::read_to_string(sb.project().join("side.txt")).unwrap(),
        "slow\n",
        "the step in flight finished"
    );
    let resumed = sb.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    assert_eq!(
        std::fs::read_to_string(sb.project().join("side.txt")).unwrap(),
        "slow\nnext\n"
    );
}

#[tokio::test]
async fn a_second_ctrl_c_cancels_and_kills_the_step_process_group() {
    let sb = Sandbox::new();
    let file = sb.write(
        "long.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Long", phases: ["p"], async execute(ctx) {
  await ctx.step("long", { type: "script", command: "sh -c 'echo $$ > child.pid; sleep 60' & wait" });
  await ctx.step("never", { type: "script", command: "touch never" });
} });"#,
    );
    let child = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = sb.project().join("child.pid");
    wait_until(30, "the grandchild to start", || {
        std::fs::read_to_string(&pid_file)
            .map(|s| !s.is_empty())
            .unwrap_or(false)
    });
    let grandchild: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    for _ in 0..2 {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stdout(&out));
    let id = run_id(&out);
    let store = sb.store().await;
    let run = run_row(&store, &id).await;
    assert_eq!(run.status.as_str(), "cancelled");
    assert!(run.cancelled_at.is_some());
    let steps = steps(&store, &id).await;
    assert_eq!(steps.len(), 1);
    assert_eq!(
        (steps[0].status.as_str(), steps[0].error_message.as_deref()),
        ("failed", Some("stopped because the run was cancelled"))
    );
    // Gone, or a zombie waiting for a reaper: either way no longer running.
    let stat = std::fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("gone");
    assert!(
        state == "gone" || state == "Z",
        "the step's grandchild survived the cancel (state {state})"
    );
    assert!(!sb.project().join("never").exists());
    let again = sb.run(&["resume", &id]);
    assert_eq!(again.status.code(), Some(2), "a cancelled run cannot be resumed");
}

#[tokio::test]
async fn runs_lists_recent_runs_with_status_and_phase_from_the_chosen_data_dir() {
    let sb = Sandbox::new();
    let file = sb.write("two.yaml", "name: Two phases\nphases: [build, ship]\nsteps:\n  - id: a\n    phase: build\n    type: script\n    command: \"true\"\n  - id: b\n    phase: ship\n    type: script\n    command: \"false\"\n");
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let id = run_id(&out);
    let list = sb.run(&["runs"]);
    assert!(list.status.success());
    let text = stdout(&list);
    let row = text
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("failed") && row.contains("ship") && row.contains("Two phases"),
        "{row}"
    );
    let elsewhere = sb.dir.path().join("other-data");
    let mut cmd = sb.cmd(&["--data-dir", elsewhere.to_str().unwrap(), "runs"]);
    if sb.on_pg() {
        // On PostgreSQL the database is DATABASE_URL's, not the data directory's: another one.
        cmd.env("DATABASE_URL", workflow_engine::testing::pg::fresh_database_url());
    }
    let empty = cmd.output().unwrap();
    assert_eq!(stdout(&empty).trim(), "no runs yet");
}

#[tokio::test]
async fn a_resumed_run_rewrites_the_files_of_its_completed_steps_from_the_rows() {
    let sb = Sandbox::new();
    let file = sb.write(
        "flaky.yaml",
        "name: Flaky\nphases: [p]\nsteps:\n  - id: one\n    phase: p\n    type: script\n    command: echo first\n  - id: two\n    phase: p\n    type: script\n    command: test -f go\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let dir = sb.run_dir(&id);
    let written = std::fs::read_to_string(dir.join("logs/one/output.json")).unwrap();
    // As if the engine had died between committing step one and writing its files.
    std::fs::remove_file(dir.join("logs/one/output.json")).unwrap();
    std::fs::remove_file(dir.join("logs/one/summary.md")).unwrap();
    std::fs::remove_file(dir.join("checkpoints/step-0.json")).unwrap();
    // Step two fails again: no new checkpoint replaces the rewritten one.
    let again = sb.run(&["resume", &id]);
    assert_eq!(again.status.code(), Some(1), "{}{}", stdout(&again), stderr(&again));
    let rewritten = std::fs::read_to_string(dir.join("logs/one/output.json")).unwrap();
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&written).unwrap(),
        serde_json::from_str(&rewritten).unwrap(),
    );
    assert_eq!(a, b, "output.json comes back as it was");
    assert_eq!(a["data"]["stdout"], "first\n");
    let summary = std::fs::read_to_string(dir.join("logs/one/summary.md")).unwrap();
    assert!(summary.contains("- Status: completed"), "{summary}");
    assert_eq!(
        sb.read_json(&dir.join("checkpoints/step-0.json"))["completed_step_ids"],
        serde_json::json!(["one"])
    );
    assert_checkpoint_fields_in_order(&sb, &dir.join("checkpoints/step-0.json"), &id);
    std::fs::write(sb.project().join("go"), "").unwrap();
    let resumed = sb.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    assert_eq!(
        sb.read_json(&dir.join("checkpoints/step-1.json"))["completed_step_ids"],
        serde_json::json!(["one", "two"])
    );
    assert!(
        !dir.join("checkpoints/step-0.json").exists(),
        "the newest checkpoint replaces it"
    );
    assert_checkpoint_fields_in_order(&sb, &dir.join("checkpoints/step-1.json"), &id);
}

/// Checkpoints, rewritten or written live, keep the spec's field order.
fn assert_checkpoint_fields_in_order(sb: &Sandbox, path: &std::path::Path, id: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let at = |key: &str| {
        text.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    let order = [
        "execution_id",
        "timestamp",
        "current_phase",
        "current_step_index",
        "completed_step_ids",
        "step_results",
    ]
    .map(at);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(sb.read_json(path)["execution_id"], id);
}

#[tokio::test]
async fn script_steps_start_like_a_shell_would_start_them() {
    let sb = Sandbox::new();
    // Default signal handling (SIGPIPE ends `yes`, which the engine itself ignores), stdin at
    // EOF, the step's env and cwd, its own process group, a signal reported as such.
    let file = sb.write(
        "shellish.yaml",
        "name: Shellish\nphases: [p]\nsteps:\n  - id: pipe\n    phase: p\n    type: script\n    command: (yes; echo yes ended $? >&2) | head -n 2\n  - id: stdin\n    phase: p\n    type: script\n    command: cat; echo \"eof $WORKFLOW_STEP_ID $GREETING\"\n    env:\n      GREETING: hi there\n  - id: where\n    phase: p\n    type: script\n    cwd: sub\n    command: pwd; cut -d' ' -f5 /proc/$$/stat; echo $$\n  - id: killed\n    phase: p\n    type: script\n    command: kill -9 $$\n    continueOnError: true\n  - id: nowhere\n    phase: p\n    type: script\n    cwd: missing\n    command: \"true\"\n",
    );
    std::fs::create_dir(sb.project().join("sub")).unwrap();
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let store = sb.store().await;
    let id = run_id(&out);
    let steps = steps(&store, &id).await;
    let result = |i: usize| -> serde_json::Value { serde_json::from_str(steps[i].result.as_deref().unwrap()).unwrap() };
    assert_eq!(result(0)["data"]["stdout"], "y\ny\n");
    assert_eq!(
        result(0)["data"]["stderr"],
        "yes ended 141\n",
        "yes died of SIGPIPE (128 + 13)"
    );
    assert_eq!(result(0)["status"], "completed");
    assert_eq!(result(1)["data"]["stdout"], "eof stdin hi there\n");
    let lines: Vec<String> = result(2)["data"]["stdout"]
        .as_str()
        .unwrap()
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    assert_eq!(
        lines[0],
        sb.project().join("sub").canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(lines[1], lines[2], "the step leads its own process group");
    assert_eq!(result(3)["status"], "failed");
    assert_eq!(result(3)["error"], "command was killed by signal 9");
    let nowhere = &steps[4];
    assert_eq!(nowhere.status, "failed");
    let error = nowhere.error_message.as_deref().unwrap();
    assert!(
        error.contains("cannot start sh in") && error.contains("missing") && error.contains("No such file"),
        "{error}"
    );
}

/// A new function step starts in the worker without waiting for the engine; a pause still
/// lets only the step in flight finish, and resume runs each remaining step once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_stops_a_run_of_function_steps_after_the_one_in_flight() {
    use workflow_engine::engine::{Engine, EngineConfig, RunControl};
    let sb = Sandbox::new();
    let file = sb.write(
        "loop.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Loop", phases: ["p"], async execute(ctx) {
  for (let i = 0; i < 10; i++) {
    await ctx.step(`s${i}`, { type: "function", fn: async () => {
      await ctx.exec(`echo s${i} >> side.txt`);
      if (i === 3) {
        await ctx.exec("touch s3.started");
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      return { i };
    } });
  }
} });"#,
    );
    let engine = Engine::new(sb.store().await, EngineConfig::new(BIN.into()));
    let prepared = engine.prepare(&file, &sb.project()).await.unwrap();
    let run = engine
        .create_run(
            &prepared.definition.clone(),
            &sb.project(),
            serde_json::json!({}),
            None,
            None,
            None,
        )
        .await
        .unwrap();
    let control = RunControl::default();
    let (pauser, started) = (control.clone(), sb.project().join("s3.started"));
    tokio::spawn(async move {
        while !started.exists() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        pauser.pause();
    });
    let outcome = engine.execute(&run.id, Some(prepared), control).await.unwrap();
    assert_eq!(outcome.status.as_str(), "paused", "{outcome:?}");
    let side = || std::fs::read_to_string(sb.project().join("side.txt")).unwrap();
    assert_eq!(
        side(),
        "s0\ns1\ns2\ns3\n",
        "the step in flight finished, the next did not start"
    );
    let rows = steps(engine.store(), &run.id).await;
    let statuses: Vec<(&str, &str)> = rows.iter().map(|r| (r.step_id.as_str(), r.status.as_str())).collect();
    assert_eq!(
        statuses,
        [
            ("s0", "completed"),
            ("s1", "completed"),
            ("s2", "completed"),
            ("s3", "completed")
        ]
    );
    let resumed = engine.execute(&run.id, None, RunControl::default()).await.unwrap();
    assert_eq!(resumed.status.as_str(), "completed", "{resumed:?}");
    let expected: String = (0..10).map(|i| format!("s{i}\n")).collect();
    assert_eq!(side(), expected, "each step ran once");
    assert_eq!(steps(engine.store(), &run.id).await.len(), 10);
}

/// The worker refuses a step id the engine would refuse before the step's function runs.
#[test]
fn a_bad_step_id_fails_the_run_before_its_function_runs() {
    let sb = Sandbox::new();
    let file = sb.write(
        "bad-id.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Bad id", phases: ["p"], async execute(ctx) {
  await ctx.step("ok", { type: "function", fn: async () => 1 });
  await ctx.step("a/b", { type: "function", fn: async () => { await ctx.exec("touch ran"); } });
} });"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("step id 'a/b' contains '/'"), "{text}");
    assert!(!sb.project().join("ran").exists(), "the function did not run");
}
