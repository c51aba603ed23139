//! B12: rerun from step 50 of a 100-step run: from the `POST .../rerun` to the new run's
//! first `workflow.step.started` (step 50, the first that runs for real) on the WebSocket.
//! The 49 steps before it are reused: their rows and folders copied in the request.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::json;

use crate::report::{Figure, Goal, DURABILITY_OURS};
use crate::server::{Server, Watcher};
use crate::stats::{num, Samples};
use crate::Ctx;

/// A hundred function steps, each handed the one before it.
const HUNDRED_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "B12 Hundred",
  phases: ["work"],
  async execute(ctx) {
    let last = 0;
    for (let i = 0; i < 100; i++) {
      const r = await ctx.step(`s${i}`, { type: "function", fn: async () => last + i });
      last = r.data;
    }
  },
});
"#;

pub async fn b12(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b12-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b12@bench.local")?;
    let server = Server::start(ctx, dir.path(), &[])?;
    let project = server.project(&token, "b12", &[("hundred.ts", HUNDRED_TS)]).await?;
    let def = server.definition_id(&token, &project, "B12 Hundred").await?;
    let watcher = Watcher::connect(&server, &token).await?;
    let parent = server.start_run(&token, &project, &def, json!({})).await?;
    let done = crate::server::wait_done(&server, &token, &parent, Duration::from_secs(60)).await?;
    ensure!(done == "completed", "run {parent} ended {done}");
    let original = server.get(&token, &format!("/workflow-executions/{parent}")).await?;
    let original = original["data"]["steps"].as_array().context("steps")?.clone();
    ensure!(original.len() == 100, "{} steps", original.len());
    let mut lat = Samples::default();
    for i in 0..(3 + ctx.samples) {
        // The warm worker the rerun takes is started again meanwhile, as on a server at rest.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t0 = Instant::now();
        let body = server
            .post(
                &token,
                &format!("/workflow-executions/{parent}/rerun"),
                json!({ "from_step_id": "s49" }),
            )
            .await?;
        let run = body["data"]["id"].as_str().context("the rerun's id")?.to_string();
        let started = watcher
            .wait_after(&run, "workflow.step.started", t0, Duration::from_secs(30))
            .await?;
        if i >= 3 {
            lat.push(started.saturating_duration_since(t0).as_secs_f64() * 1000.0);
        }
        let done = crate::server::wait_done(&server, &token, &run, Duration::from_secs(60)).await?;
        ensure!(done == "completed", "rerun {run} ended {done}");
        let body = server.get(&token, &format!("/workflow-executions/{run}")).await?;
        let steps = body["data"]["steps"].as_array().context("steps")?;
        ensure!(steps.len() == 100, "{} steps", steps.len());
        for (k, (now, then)) in steps.iter().zip(&original).enumerate() {
            ensure!(now["step_id"] == then["step_id"], "step order: {now} vs {then}");
            let reused = now["started_at"] == then["started_at"];
            ensure!(reused == (k < 49), "step {k} reused: {reused} (expected {})", k < 49);
            ensure!(now["result"] == then["result"], "step {k}: a different result");
        }
        ensure!(body["data"]["parent_run_id"] == parent.as_str(), "{body}");
    }
    crate::progress(&format!("B12: median {} ms", num(lat.median())));
    let mut fig = Figure::median(
        "B12",
        "rerun from step 50 of a 100-step TS run → the new run's first `workflow.step.started` on the WebSocket",
        "ms",
        lat,
        Some(Goal::AtMost(100.0)),
    );
    fig.durability = DURABILITY_OURS.into();
    fig.how = format!(
        "one server (default settings: one warm JS worker); a TypeScript workflow of 100 function steps (each \
         handed the one before) runs once; per sample, 300 ms after the previous rerun ended, the clock starts, \
         `POST /api/workflow-executions/{{id}}/rerun` with `from_step_id: \"s49\"` is sent, and it stops when a \
         WebSocket client receives the new run's first `workflow.step.started` (step 50): the request loads the \
         module, checks the arguments, records the run and copies the 49 steps before it (rows and folders), \
         then a worker replays them from the memo. 3 warm-up samples, then {}; every rerun checked: 100 steps, \
         the first 49 reused as they were (same start time and result), the rest run again with the same results.",
        ctx.samples
    );
    fig.extra.push(format!(
        "p95 {} ms, max {} ms",
        num(fig.samples.pct(95.0)),
        num(fig.samples.max())
    ));
    Ok(vec![fig])
}
