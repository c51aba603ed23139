//! Runs that go wrong fail with a clear message and leave the database consistent.

use std::process::Stdio;

use crate::util::*;

async fn assert_consistent_failure(sb: &Sandbox, id: &str) -> String {
    let store = sb.store().await;
    let run = run_row(&store, id).await;
    assert_eq!(run.status.as_str(), "failed");
    assert!(run.completed_at.is_some() && run.lease_owner.is_none());
    let db = crate::util::db(&store).await;
    let running = db
        .count(
            "SELECT COUNT(*) FROM workflow_run_steps WHERE workflow_run_id = ? AND status = 'running'",
            &[id.into()],
        )
        .await;
    assert_eq!(running, 0, "no step is left running");
    let comment: (String,) = db
        .one(
            "SELECT text FROM workflow_comments WHERE workflow_run_id = ? AND comment_type = 'system'",
            &[id.into()],
        )
        .await;
    assert!(comment.0.starts_with("Run failed: "), "{}", comment.0);
    run.error_message.unwrap()
}

#[tokio::test]
async fn a_workflow_that_throws_fails_with_its_message_and_ts_line() {
    let sb = Sandbox::new();
    let file = sb.write("throws.ts", "import { defineWorkflow } from \"@repo/workflow-engine\";\ntype T = { a: number };\nexport default defineWorkflow({\n  name: \"Throws\", phases: [\"p\"],\n  async execute(ctx) {\n    const t: T = { a: 1 };\n    await ctx.step(\"ok\", { type: \"function\", fn: async () => t });\n    throw new Error(\"the tests are red\");\n  },\n});\n");
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let error = assert_consistent_failure(&sb, &run_id(&out)).await;
    assert!(error.starts_with("Error: the tests are red"), "{error}");
    assert!(
        error.contains("throws.ts:8:11"),
        "the error points at the .ts line: {error}"
    );
    assert!(
        stdout(&out).contains("failed: Error: the tests are red"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn a_workflow_that_loops_forever_is_killed_by_its_timeout() {
    let sb = Sandbox::new();
    let file = sb.write(
        "loop.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Loop", phases: ["p"], timeout: "30m", async execute(ctx) {
  await ctx.step("before", { type: "script", command: "true" });
  while (true) {}
} });"#,
    );
    let started = std::time::Instant::now();
    let out = sb.run(&["run", file.to_str().unwrap(), "--timeout", "1s"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let error = assert_consistent_failure(&sb, &run_id(&out)).await;
    assert_eq!(error, "the run timed out after 1.0s");
}

#[tokio::test]
async fn the_definition_timeout_applies_without_the_flag() {
    let sb = Sandbox::new();
    let file = sb.write("slow.yaml", "name: Slow\ntimeout: 1s\nphases: [p]\nsteps:\n  - id: wait\n    phase: p\n    type: script\n    command: sleep 30\n");
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let id = run_id(&out);
    assert_eq!(
        assert_consistent_failure(&sb, &id).await,
        "the run timed out after 1.0s"
    );
    let steps = steps(&sb.store().await, &id).await;
    assert_eq!(
        (steps[0].status.as_str(), steps[0].error_message.as_deref()),
        ("failed", Some("stopped because the run timed out after 1.0s"))
    );
}

#[tokio::test]
async fn a_crashing_worker_fails_the_run() {
    let sb = Sandbox::new();
    let file = sb.write(
        "hang.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Hang", phases: ["p"], async execute(ctx) {
  await ctx.step("spin", { type: "function", fn: async () => { while (true) {} } });
} });"#,
    );
    let child = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let engine_pid = child.id();
    let mut worker = None;
    wait_until(30, "the worker to start the step", || {
        worker = worker_of(engine_pid);
        worker.is_some()
            && sb
                .project()
                .join(".agent/workflows/executions")
                .read_dir()
                .map(|mut d| d.next().is_some())
                .unwrap_or(false)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: killing the worker we found.
    unsafe { libc::kill(worker.unwrap() as i32, libc::SIGKILL) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let error = assert_consistent_failure(&sb, &run_id(&out)).await;
    assert!(
        error.contains("JS worker crashed") && error.contains("signal 9"),
        "{error}"
    );
}

/// The `__worker` child of the engine process.
fn worker_of(parent: u32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == Some(parent) && cmd.contains("__worker") {
            return Some(pid);
        }
    }
    None
}

#[tokio::test]
async fn a_step_id_used_twice_fails_the_run_naming_it() {
    let sb = Sandbox::new();
    let file = sb.write(
        "dup.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Dup", phases: ["p"], async execute(ctx) {
  for (let i = 0; i < 2; i++) await ctx.step("test", { type: "script", command: "true" });
} });"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let error = assert_consistent_failure(&sb, &run_id(&out)).await;
    assert!(error.contains("\"test\"") && error.contains("used twice"), "{error}");
}

#[tokio::test]
async fn a_failing_script_fails_the_run_with_exit_code_and_stderr() {
    let sb = Sandbox::new();
    let file = sb.write("fail.yaml", "name: Fail\nphases: [p]\nsteps:\n  - id: broken\n    phase: p\n    type: script\n    command: \"echo compiling; echo 'error: missing semicolon' >&2; exit 2\"\n  - id: never\n    phase: p\n    type: script\n    command: touch never\n");
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let error = assert_consistent_failure(&sb, &run_id(&out)).await;
    assert_eq!(
        error,
        "step \"broken\" failed: command exited with code 2: error: missing semicolon"
    );
    assert!(!sb.project().join("never").exists());
}
