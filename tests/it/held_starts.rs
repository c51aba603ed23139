//! Function steps whose start is held back (`engine::step_defer`): one that ends at once is
//! recorded by one write that also advances its run; one that runs longer is on record as
//! running while it runs; a comment on a running one finds its row.

use std::time::{Duration, Instant};

use crate::util::*;

#[tokio::test]
async fn quick_function_steps_are_recorded_whole_and_advance_their_run() {
    let sb = Sandbox::new();
    let file = sb.write(
        "quick.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Quick", phases: ["plan", "build"], async execute(ctx) {
  await ctx.step("one", { type: "function", phase: "plan", fn: async () => ({ n: 1 }) });
  await ctx.step("two", { type: "function", phase: "build", fn: async () => {
    await ctx.comment("on the step while it runs", "two");
    return { n: 2 };
  } });
  await ctx.step("three", { type: "function", phase: "build", fn: async () => ({ n: 3 }) });
} });"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let run = run_id(&out);
    let store = sb.store().await;
    let rows = steps(&store, &run).await;
    let seen: Vec<(&str, &str, i64, i64)> = rows
        .iter()
        .map(|r| (r.step_id.as_str(), r.status.as_str(), r.step_index, r.attempt))
        .collect();
    assert_eq!(
        seen,
        [
            ("one", "completed", 0, 1),
            ("two", "completed", 1, 1),
            ("three", "completed", 2, 1)
        ]
    );
    for r in &rows {
        let (started, ended) = (r.started_at.as_deref().unwrap(), r.completed_at.as_deref().unwrap());
        assert!(started <= ended, "{} started {started}, ended {ended}", r.step_id);
    }
    let row = run_row(&store, &run).await;
    assert_eq!(
        (row.current_step_index, row.current_phase.as_deref()),
        (3, Some("build"))
    );
    // The comment sits on the step's row (written when the comment needed it).
    let on_step = db(&store)
        .await
        .count(
            "SELECT COUNT(*) FROM workflow_comments c JOIN workflow_run_steps s ON s.id = c.workflow_run_step_id
             WHERE c.workflow_run_id = ? AND s.step_id = 'two' AND c.text = 'on the step while it runs'",
            &[run.as_str().into()],
        )
        .await;
    assert_eq!(on_step, 1);
}

#[tokio::test]
async fn a_long_function_step_is_on_record_as_running_while_it_runs() {
    let sb = Sandbox::new();
    let file = sb.write(
        "slow.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Slow", phases: ["p"], async execute(ctx) {
  await ctx.step("slow", { type: "function", fn: async () => {
    while ((await ctx.exec("test -e go && echo go || echo wait")).stdout.trim() !== "go") {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { waited: true };
  } });
} });"#,
    );
    let mut child = sb.cmd(&["run", file.to_str().unwrap()]).spawn().unwrap();
    let store = sb.store().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let running_id: String = loop {
        let found: Option<(String,)> = db(&store)
            .await
            .optional(
                "SELECT id FROM workflow_run_steps WHERE step_id = 'slow' AND status = 'running'",
                &[],
            )
            .await;
        if let Some((id,)) = found {
            break id;
        }
        assert!(Instant::now() < deadline, "the running step never had a row");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    sb.write("go", "");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let (id, status, index): (String, String, i64) = db(&store)
        .await
        .one(
            "SELECT id, status, step_index FROM workflow_run_steps WHERE step_id = 'slow'",
            &[],
        )
        .await;
    assert_eq!(
        (id, status.as_str(), index),
        (running_id, "completed", 0),
        "the row its start wrote, ended"
    );
}

/// A start written late (the hold, 2 s here) records when the step started, not when the
/// start was written: the step's duration on record is the time its `fn` ran.
#[tokio::test]
async fn a_held_start_written_late_keeps_the_time_the_step_started() {
    let sb = Sandbox::new();
    let file = sb.write(
        "late.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Late", phases: ["p"], async execute(ctx) {
  await ctx.step("nap", { type: "function", fn: async () => {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return { napped: true };
  } });
} });"#,
    );
    let out = sb
        .cmd(&["run", file.to_str().unwrap()])
        .env("WORKFLOW_ENGINE_HOLD_START_MS", "2000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let store = sb.store().await;
    let rows = steps(&store, &run_id(&out)).await;
    let ms = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis();
    let took = ms(rows[0].completed_at.as_deref().unwrap()) - ms(rows[0].started_at.as_deref().unwrap());
    assert!(took >= 2500, "the step ran 3 s, its row says {took} ms");
}
