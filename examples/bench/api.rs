//! B4 (POST to the first step.started on the WebSocket) and B5 (1,000 runs from 50 clients).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use serde_json::json;

use crate::report::{Figure, Goal, DURABILITY_OURS};
use crate::server::{wait_done, Server, Watcher};
use crate::stats::{num, Samples};
use crate::Ctx;

/// How long B4's client waits between runs, for the "at rest" series: long enough for the
/// server's next warm JS worker to finish starting.
const REST: Duration = Duration::from_millis(300);

const ONE_STEP_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "B4 TS",
  phases: ["work"],
  async execute(ctx) {
    await ctx.step("one", { type: "function", fn: async () => ({ ok: true }) });
  },
});
"#;

const ONE_STEP_YAML: &str =
    "name: B4 YAML\nphases: [work]\nsteps:\n  - id: one\n    phase: work\n    type: script\n    command: \"true\"\n";

pub const THREE_STEP_YAML: &str = "name: B5 Three steps
phases: [build, test]
argsSchema:
  type: object
  properties:
    n: { type: integer }
  required: [n]
steps:
  - id: hello
    phase: build
    type: script
    command: echo hello {{ args.n }}
  - id: check
    phase: test
    type: script
    command: \"true\"
  - id: done
    phase: test
    type: script
    command: echo done
";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// B4: POST /api/workflow-executions → the run's first workflow.step.started on a WebSocket
/// connected beforehand; TS and YAML.
pub async fn b4(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b4-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b4@bench.local")?;
    let server = Server::start(ctx, dir.path(), &[])?;
    let files = [("one.ts", ONE_STEP_TS), ("one.yaml", ONE_STEP_YAML)];
    let project = server.project(&token, "b4", &files).await?;
    let watcher = Watcher::connect(&server, &token).await?;
    let mut figures = Vec::new();
    let series = [
        ("TS", "B4 TS", Some(50.0), REST),
        ("TS back-to-back", "B4 TS", None, Duration::ZERO),
        ("YAML", "B4 YAML", Some(10.0), REST),
    ];
    for (label, name, goal, rest) in series {
        let def = server.definition_id(&token, &project, name).await?;
        let (mut started, mut posted) = (Samples::default(), Samples::default());
        for i in 0..(3 + ctx.samples) {
            tokio::time::sleep(rest).await;
            let t0 = Instant::now();
            let run = server.start_run(&token, &project, &def, json!({})).await?;
            let answered = t0.elapsed();
            let at = watcher
                .wait_for(&run, "workflow.step.started", None, Duration::from_secs(30))
                .await?;
            watcher
                .wait_for(
                    &run,
                    "workflow.execution.status_changed",
                    Some("completed"),
                    Duration::from_secs(60),
                )
                .await?;
            if i >= 3 {
                started.push(ms(at - t0));
                posted.push(ms(answered));
            }
        }
        crate::progress(&format!("B4 {label}: median {} ms", num(started.median())));
        let mut fig = Figure::median(
            &format!("B4 {label}"),
            &format!("API: POST a {label} run → its first `workflow.step.started` on the WebSocket"),
            "ms",
            started,
            goal.map(Goal::AtMost),
        );
        fig.durability = format!("{DURABILITY_OURS}; events reach the WebSocket through the journal table");
        fig.how = format!(
            "a WebSocket client (`/api/ws?token=`) connected first; the clock starts before the POST is \
             sent and stops when the client receives the run's first workflow.step.started; each run (one \
             {} step) is waited to completion before the next{}; 3 warm-up runs, then {} samples, one at a time.",
            if label == "YAML" { "`true` script" } else { "function" },
            if rest.is_zero() {
                ", and the next is posted at once: the JS worker the server keeps ready for the next run \
                 (`--warm-workers 1`) is still starting, so this is the latency of a TS run that has to wait \
                 for a worker"
                    .to_string()
            } else {
                format!(
                    ", then the client waits {} ms (a server at rest between runs)",
                    REST.as_millis()
                )
            },
            ctx.samples
        );
        fig.extra.push(format!(
            "of which the POST's own response time: {} ms (median){}",
            num(posted.median()),
            if label == "YAML" {
                ""
            } else {
                "; the handler has a JS worker load the TS file before it answers"
            }
        ));
        figures.push(fig);
    }
    Ok(figures)
}

/// B5: 1,000 runs of a 3-step YAML workflow from 50 concurrent API clients.
pub async fn b5(ctx: &Ctx) -> Result<Vec<Figure>> {
    let mut rates = Samples::default();
    let mut notes = Vec::new();
    let mut posts = Samples::default();
    for rep in 0..ctx.heavy_reps {
        let (rate, posted, note) = b5_once(ctx).await?;
        crate::progress(&format!("B5 rep {}: {} runs/s", rep + 1, num(rate)));
        rates.push(rate);
        posts.push(posted);
        notes.extend(note);
    }
    notes.push(format!(
        "the 1,000 POSTs alone were all answered after {} ms (median), i.e. {} runs created per second",
        num(posts.median()),
        num(1000.0 * 1000.0 / posts.median())
    ));
    let mut fig = Figure::median(
        "B5",
        "1,000 runs of a 3-step YAML workflow from 50 concurrent API clients: throughput",
        "runs/s",
        rates,
        Some(Goal::AtLeast(150.0)),
    );
    fig.durability = DURABILITY_OURS.into();
    fig.how = format!(
        "a fresh server per repetition (`serve --max-concurrent-runs {B5_MAX_RUNS}`); 50 tokio tasks each POST \
         20 runs one after the other (3 script steps: `echo`, `true`, `echo`); the clock runs from the first \
         POST to the last run's `status_changed: completed` on a WebSocket; runs/s = 1000 / that time. Every \
         run is checked `completed` in the database afterwards."
    );
    fig.extra.extend(notes);
    Ok(vec![fig])
}

const B5_MAX_RUNS: usize = 64;
const B5_CLIENTS: usize = 50;
const B5_PER_CLIENT: usize = 20;

/// Runs per second, when the last POST was answered (ms), and a note if the end time came
/// from polling.
async fn b5_once(ctx: &Ctx) -> Result<(f64, f64, Option<String>)> {
    let dir = ctx.dir("b5-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b5@bench.local")?;
    let max = B5_MAX_RUNS.to_string();
    let server = std::sync::Arc::new(Server::start(ctx, dir.path(), &["--max-concurrent-runs", &max])?);
    let project = server.project(&token, "b5", &[("three.yaml", THREE_STEP_YAML)]).await?;
    let def = server.definition_id(&token, &project, "B5 Three steps").await?;
    let watcher = Watcher::connect(&server, &token).await?;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..B5_CLIENTS {
        let (server, token, project, def) = (server.clone(), token.clone(), project.clone(), def.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..B5_PER_CLIENT {
                let n = c * B5_PER_CLIENT + i;
                ids.push(server.start_run(&token, &project, &def, json!({ "n": n })).await?);
            }
            anyhow::Ok(ids)
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.extend(t.await??);
    }
    let posted = t0.elapsed();
    let total = B5_CLIENTS * B5_PER_CLIENT;
    ensure!(ids.len() == total, "{} distinct runs created", ids.len());
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut note = None;
    let end = loop {
        let (done, last, lagged) = {
            let seen = watcher.seen.lock().expect("seen");
            let mut last = t0;
            let mut done = 0;
            for id in &ids {
                let fin = seen.by_run.get(id).and_then(|ev| {
                    ev.iter()
                        .find(|(k, st, _)| k == "workflow.execution.status_changed" && st.as_deref() != Some("running"))
                });
                if let Some((_, _, at)) = fin {
                    done += 1;
                    last = last.max(*at);
                }
            }
            (done, last, seen.lagged)
        };
        if done == total {
            break last;
        }
        if lagged {
            // The WebSocket fell behind: the database tells when the last run ended.
            let store = workflow_engine::store::Store::open(&server.data_dir).await?;
            let db = crate::db(store.data_dir()).await?;
            loop {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM workflow_runs WHERE status IN ('completed', 'failed', 'cancelled')",
                )
                .fetch_one(&db)
                .await?;
                if n as usize >= total {
                    break;
                }
                ensure!(Instant::now() < deadline, "only {n} of {total} runs ended in time");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            note = Some(
                "a repetition's WebSocket client lagged; its end time came from polling the database every 10 ms"
                    .into(),
            );
            break Instant::now();
        }
        ensure!(Instant::now() < deadline, "only {done} of {total} runs ended in time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let wall = end - t0;
    let store = workflow_engine::store::Store::open(&server.data_dir).await?;
    let db = crate::db(store.data_dir()).await?;
    let (completed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM workflow_runs WHERE status = 'completed'")
        .fetch_one(&db)
        .await?;
    let (steps,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM workflow_run_steps WHERE status = 'completed'")
        .fetch_one(&db)
        .await?;
    ensure!(completed as usize == total, "{completed} of {total} runs completed");
    ensure!(steps as usize == 3 * total, "{steps} completed steps for {total} runs");
    crate::progress(&format!(
        "B5: all {total} POSTs answered after {} ms, all runs done after {} ms",
        num(ms(posted)),
        num(ms(wall))
    ));
    let one = wait_done(
        &server,
        &token,
        ids.iter().next().expect("runs"),
        Duration::from_secs(5),
    )
    .await?;
    ensure!(one == "completed");
    Ok((total as f64 / wall.as_secs_f64(), ms(posted), note))
}
