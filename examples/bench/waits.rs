//! B9–B11: runs that wait. B9: 10,000 runs waiting at a gate cost no process and little
//! memory, and the board stays fast. B10: a decision to the next step's start, through a
//! replay of 20 memoized steps. B11: 1,000 sleeping runs whose timers come due in the same
//! second all wake, none twice.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::json;

use crate::report::{Figure, Goal, DURABILITY_OURS};
use crate::server::{time_gets, Server, Watcher};
use crate::stats::{num, Samples};
use crate::Ctx;

const GATE_YAML: &str = "name: B9 Gate\nphases: [review, ship]\nsteps:\n  - id: approve\n    phase: review\n    type: approval\n    title: \"Approve {{ args.n }}\"\n  - id: ship\n    phase: ship\n    type: script\n    command: \"true\"\n";
const GATE_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "B9 Gate TS",
  phases: ["review", "ship"],
  async execute(ctx) {
    await ctx.step("prepare", { type: "function", phase: "review", fn: async () => ctx.args.n });
    await ctx.approval("approve", { phase: "review", title: `Approve ${ctx.args.n}` });
    await ctx.step("ship", { type: "script", phase: "ship", command: "true" });
  },
});
"#;
const WAITING_RUNS: usize = 10_000;
/// Of them, TypeScript runs (each had a JS worker until it reached the gate).
const WAITING_TS: usize = 200;
const CLIENTS: usize = 50;

/// Creates `n` runs of `def` from `CLIENTS` concurrent API clients; returns their ids.
async fn create_runs(server: &Arc<Server>, token: &str, project: &str, def: &str, n: usize) -> Result<Vec<String>> {
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (server, token, project, def) = (server.clone(), token.to_string(), project.to_string(), def.to_string());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut i = c;
            while i < n {
                ids.push(server.start_run(&token, &project, &def, json!({ "n": i })).await?);
                i += CLIENTS;
            }
            anyhow::Ok(ids)
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await??);
    }
    Ok(ids)
}

/// Polls the database until `n` runs have `status`.
async fn wait_count(server: &Server, status: &str, n: usize, limit: Duration) -> Result<()> {
    let db = crate::db(&server.data_dir).await?;
    let deadline = Instant::now() + limit;
    loop {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM workflow_runs WHERE status = ?")
            .bind(status)
            .fetch_one(&db)
            .await?;
        if count as usize >= n {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "only {count} of {n} runs are {status} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A figure's single measurement.
fn one(v: f64) -> Samples {
    let mut s = Samples::default();
    s.push(v);
    s
}

fn rss_mb(pid: u32) -> Result<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:")).context("VmRSS")?;
    Ok(line.split_whitespace().nth(1).unwrap_or("0").parse::<f64>()? / 1024.0)
}

pub async fn b9(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b9-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b9@bench.local")?;
    let server = Arc::new(Server::start(
        ctx,
        dir.path(),
        &["--max-concurrent-runs", "64", "--warm-workers", "0"],
    )?);
    let project = server
        .project(&token, "b9", &[("gate.yaml", GATE_YAML), ("gate.ts", GATE_TS)])
        .await?;
    let yaml = server.definition_id(&token, &project, "B9 Gate").await?;
    let ts = server.definition_id(&token, &project, "B9 Gate TS").await?;
    let t = Instant::now();
    let mut ids = create_runs(&server, &token, &project, &ts, WAITING_TS).await?;
    ids.extend(create_runs(&server, &token, &project, &yaml, WAITING_RUNS - WAITING_TS).await?);
    ensure!(
        ids.iter().collect::<HashSet<_>>().len() == WAITING_RUNS,
        "distinct runs"
    );
    wait_count(&server, "waiting", WAITING_RUNS, Duration::from_secs(600)).await?;
    crate::progress(&format!(
        "B9: {WAITING_RUNS} runs waiting at their gate after {} s",
        num(t.elapsed().as_secs_f64())
    ));
    // Let the last workers exit and the allocator give back what the burst used.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let workers = crate::process::workers_of(server.pid()).len();
    ensure!(workers == 0, "{workers} JS workers alive while every run waits");
    let rss = rss_mb(server.pid())?;

    let path = format!("/workflow-executions?project_id={project}&limit=50");
    let list = time_gets(&server, &token, &path, 20, ctx.samples * 10, |body| {
        let page = body["data"].as_array().context("a page of runs")?;
        ensure!(page.len() == 50, "{} runs on the first page", page.len());
        ensure!(
            page.iter()
                .all(|r| r["status"] == "waiting" && r["waiting_for"][0]["kind"] == "approval"),
            "every run of the page waits at its gate"
        );
        Ok(())
    })
    .await?;
    let approvals = time_gets(&server, &token, "/approvals", 2, ctx.samples, |body| {
        let listed = body["data"].as_array().map(Vec::len);
        ensure!(listed == Some(500), "/approvals lists 500 gates, not {listed:?}");
        Ok(())
    })
    .await?;
    let rss_after = rss_mb(server.pid())?;
    crate::progress(&format!(
        "B9: RSS {} MB, list p95 {} ms, /approvals median {} ms",
        num(rss),
        num(list.pct(95.0)),
        num(approvals.median())
    ));
    let how = format!(
        "one server (`--max-concurrent-runs 64 --warm-workers 0`); {CLIENTS} API clients create {WAITING_RUNS} runs \
         ({WAITING_TS} TypeScript: a function step then `ctx.approval`; the rest YAML: an approval step first), \
         each of which reaches its gate and goes `waiting`; 3 s after the last one"
    );
    let mut mem = Figure::median(
        "B9 memory",
        "10,000 runs waiting at a gate: the server's resident memory (0 JS workers alive)",
        "MB",
        one(rss),
        Some(Goal::AtMost(60.0)),
    );
    mem.durability = DURABILITY_OURS.into();
    mem.how = format!("{how}, VmRSS of `serve` and the count of its `__worker` children (0: checked).");
    mem.extra.push(format!(
        "JS workers alive: {workers}; VmRSS after the list queries below: {} MB",
        num(rss_after)
    ));
    let mut board = Figure::median(
        "B9 board",
        "10,000 runs waiting at a gate: the board's `GET /api/workflow-executions?project_id=..&limit=50`",
        "ms",
        list,
        Some(Goal::AtMost(20.0)),
    );
    board.stat = "p95";
    board.value = board.samples.pct(95.0);
    board.durability = DURABILITY_OURS.into();
    board.how = format!(
        "{how}, 20 warm-up GETs and {} timed GETs one after the other (client-side time to the whole JSON \
         body, each run with its steps and `waiting_for`); the goal is B6's. Then `GET /api/approvals`, 2 \
         warm-up and {} timed.",
        ctx.samples * 10,
        ctx.samples
    );
    board.extra.push(format!(
        "median {} ms; `GET /api/approvals` (500 gates): median {} ms, max {} ms",
        num(board.samples.median()),
        num(approvals.median()),
        num(approvals.max())
    ));
    Ok(vec![mem, board])
}

/// Twenty function steps, a gate, and the step after it.
const REPLAY_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "B10 Replay",
  phases: ["work", "review", "ship"],
  async execute(ctx) {
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const r = await ctx.step(`s${i}`, { type: "function", phase: "work", fn: async () => i });
      total += r.data;
    }
    await ctx.approval("approve", { phase: "review", title: `Ship ${total}?` });
    await ctx.step("after", { type: "script", phase: "ship", command: "true" });
  },
});
"#;

pub async fn b10(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b10-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b10@bench.local")?;
    let server = Server::start(ctx, dir.path(), &[])?;
    let project = server.project(&token, "b10", &[("replay.ts", REPLAY_TS)]).await?;
    let def = server.definition_id(&token, &project, "B10 Replay").await?;
    let watcher = Watcher::connect(&server, &token).await?;
    let mut lat = Samples::default();
    for i in 0..(3 + ctx.samples) {
        let run = server.start_run(&token, &project, &def, json!({})).await?;
        watcher
            .wait_for(
                &run,
                "workflow.execution.status_changed",
                Some("waiting"),
                Duration::from_secs(30),
            )
            .await?;
        // The warm worker the next run takes is started again meanwhile, as on a server at rest.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t0 = Instant::now();
        server
            .post(
                &token,
                &format!("/workflow-executions/{run}/approvals/approve"),
                json!({ "decision": "approve" }),
            )
            .await?;
        let started = watcher
            .wait_after(&run, "workflow.step.started", t0, Duration::from_secs(30))
            .await?;
        if i >= 3 {
            lat.push(started.saturating_duration_since(t0).as_secs_f64() * 1000.0);
        }
        let done = crate::server::wait_done(&server, &token, &run, Duration::from_secs(30)).await?;
        ensure!(done == "completed", "run {run} ended {done}");
        let body = server.get(&token, &format!("/workflow-executions/{run}")).await?;
        let steps = body["data"]["steps"].as_array().context("steps")?;
        ensure!(steps.len() == 22, "{} steps", steps.len());
        ensure!(
            steps.iter().all(|s| s["attempt"] == 1),
            "a memoized step ran again: {body}"
        );
    }
    crate::progress(&format!("B10: median {} ms", num(lat.median())));
    let mut fig = Figure::median(
        "B10",
        "a decision → the next step's `workflow.step.started` on the WebSocket, TS run with 20 memoized steps before the gate",
        "ms",
        lat,
        Some(Goal::AtMost(50.0)),
    );
    fig.durability = DURABILITY_OURS.into();
    fig.how = format!(
        "one server (default settings: one warm JS worker); per sample a new run of a TypeScript workflow (20 \
         function steps, `ctx.approval`, a script step) is created and reaches its gate (`waiting`, its worker \
         gone); 300 ms later the clock starts, the approval is POSTed, and it stops when a WebSocket client \
         receives the run's next `workflow.step.started` (the script step after the gate): the waker takes the \
         run, a worker loads the module and replays the 20 steps from the memo. 3 warm-up samples, then {}; \
         every step checked at attempt 1.",
        ctx.samples
    );
    fig.extra.push(format!(
        "p95 {} ms, max {} ms",
        num(fig.samples.pct(95.0)),
        num(fig.samples.max())
    ));
    Ok(vec![fig])
}

/// Sleeps until the time it is given, then one step.
const SLEEP_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "B11 Sleep",
  phases: ["sleep", "after"],
  async execute(ctx) {
    await ctx.sleep("nap", `${Math.max(0, ctx.args.wakeAt - Date.now())}ms`, { phase: "sleep" });
    await ctx.step("after", { type: "script", phase: "after", command: "true" });
  },
});
"#;
const SLEEPERS: usize = 1_000;

pub async fn b11(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b11-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b11@bench.local")?;
    let server = Arc::new(Server::start(ctx, dir.path(), &["--max-concurrent-runs", "64"])?);
    let project = server.project(&token, "b11", &[("sleep.ts", SLEEP_TS)]).await?;
    let def = server.definition_id(&token, &project, "B11 Sleep").await?;
    // Far enough ahead for every run to be created and asleep first.
    let wake_at = chrono::Utc::now() + chrono::Duration::seconds(90);
    let wake_ms = wake_at.timestamp_millis();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (server, token, project, def) = (server.clone(), token.clone(), project.clone(), def.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut i = c;
            while i < SLEEPERS {
                ids.push(
                    server
                        .start_run(&token, &project, &def, json!({ "wakeAt": wake_ms }))
                        .await?,
                );
                i += CLIENTS;
            }
            anyhow::Ok(ids)
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await??);
    }
    wait_count(&server, "waiting", SLEEPERS, Duration::from_secs(85)).await?;
    let db = crate::db(&server.data_dir).await?;
    let (first, last): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT MIN(deadline), MAX(deadline) FROM workflow_waits WHERE kind = 'sleep'")
            .fetch_one(&db)
            .await?;
    crate::progress(&format!(
        "B11: {SLEEPERS} runs asleep, timers due from {} to {}",
        first.as_deref().unwrap_or("?"),
        last.as_deref().unwrap_or("?")
    ));
    let until_due = (wake_at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_due).await;
    let due = Instant::now();
    wait_count(&server, "completed", SLEEPERS, Duration::from_secs(300)).await?;
    let all_done = due.elapsed();
    // None twice: each run's step after the sleep started once, and ran at attempt 1.
    let (twice,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT execution_id FROM workflow_events
           WHERE type = 'workflow.step.started' AND data LIKE '%\"step_key\":\"after\"%'
           GROUP BY execution_id HAVING COUNT(*) <> 1)",
    )
    .fetch_one(&db)
    .await?;
    let (started,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT execution_id) FROM workflow_events
          WHERE type = 'workflow.step.started' AND data LIKE '%\"step_key\":\"after\"%'",
    )
    .fetch_one(&db)
    .await?;
    let (reruns,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM workflow_run_steps WHERE attempt <> 1")
        .fetch_one(&db)
        .await?;
    ensure!(
        started as usize == SLEEPERS,
        "{started} runs started their step after the sleep"
    );
    ensure!(
        twice == 0 && reruns == 0,
        "{twice} runs woke twice, {reruns} steps ran again"
    );
    crate::progress(&format!(
        "B11: all {SLEEPERS} woke and completed {} s after their timers came due",
        num(all_done.as_secs_f64())
    ));
    let mut fig = Figure::median(
        "B11",
        "1,000 sleeping TS runs whose timers come due in the same second: all resumed, none twice",
        "s",
        one(all_done.as_secs_f64()),
        None,
    );
    fig.durability = DURABILITY_OURS.into();
    fig.how = format!(
        "one server (`--max-concurrent-runs 64`); {CLIENTS} API clients create {SLEEPERS} runs of a TypeScript \
         workflow that sleeps until the same instant 90 s ahead (`ctx.sleep` for `wakeAt - Date.now()`), then \
         runs one script step; every run is `waiting` with its worker gone before the instant. Timed: from the \
         instant to the last run `completed` (polling the database every 100 ms): each wake is a replay in a \
         new JS worker, 64 at a time. Checked: all {SLEEPERS} runs started the step after the sleep exactly \
         once (the event journal) and no step ran twice (attempt 1)."
    );
    fig.extra.push(format!(
        "timers due from {} to {} (the deadlines are computed by each run as it starts)",
        first.unwrap_or_default(),
        last.unwrap_or_default()
    ));
    Ok(vec![fig])
}
