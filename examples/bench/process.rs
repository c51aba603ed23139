//! Whole-process scenarios: B3 (`workflow-engine run` start to exit) and B8 (memory).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::json;

use crate::inproc::{workflow_ts, STEPS};
use crate::report::{Figure, Goal, DURABILITY_OURS};
use crate::server::{Server, Watcher};
use crate::stats::{num, Samples};
use crate::Ctx;

/// Times `workflow-engine run file` from spawn to exit.
async fn timed_cli_run(ctx: &Ctx, file: &Path, project: &Path, data_dir: &Path) -> Result<f64> {
    let t = Instant::now();
    let out = tokio::process::Command::new(&ctx.bin)
        .arg("run")
        .arg(file)
        .env("WORKFLOW_ENGINE_DATA_DIR", data_dir)
        .env_remove("RUST_LOG")
        .current_dir(project)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    ensure!(
        out.status.success(),
        "workflow-engine run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(ms)
}

/// B3: `workflow-engine run b1.ts`, a whole process, on an existing data directory.
pub async fn b3(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b3-")?;
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project)?;
    let file = project.join("b1.ts");
    std::fs::write(&file, workflow_ts(false))?;
    let data = dir.path().join("data");
    let cold = timed_cli_run(ctx, &file, &project, &data).await.context("first run")?;
    let mut s = Samples::default();
    for rep in 0..ctx.reps {
        let ms = timed_cli_run(ctx, &file, &project, &data).await?;
        crate::progress(&format!("B3 rep {}: {} ms", rep + 1, num(ms)));
        s.push(ms);
    }
    let (runs,): (i64,) = {
        let store = workflow_engine::store::Store::open(&data).await?;
        let db = crate::db(store.data_dir()).await?;
        sqlx::query_as("SELECT COUNT(*) FROM workflow_runs WHERE status = 'completed'")
            .fetch_one(&db)
            .await?
    };
    ensure!(runs == ctx.reps as i64 + 1, "{runs} completed runs in the database");
    let mut fig = Figure::median(
        "B3",
        "`workflow-engine run` of B1's workflow: a whole process, start to exit",
        "ms",
        s,
        Some(Goal::AtMost(150.0)),
    );
    fig.durability = DURABILITY_OURS.into();
    fig.how = format!(
        "wall time from spawning `target/release/workflow-engine run b1.ts` ({STEPS} function steps; stdout \
         to /dev/null, not a terminal) to its exit with code 0, on a data directory that already holds \
         the database (the first run, not counted, created it)."
    );
    fig.extra.push(format!(
        "the first run, creating and migrating the database: {} ms",
        num(cold)
    ));
    Ok(vec![fig])
}

const HOLD_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "B8 Hold",
  phases: ["hold"],
  async execute(ctx) {
    await ctx.step("hold", { type: "function", fn: async () => {
      await new Promise((resolve) => setTimeout(resolve, 120000));
      return { held: true };
    } });
  },
});
"#;

/// Runs held at once for B8.
const HELD_RUNS: usize = 10;

/// kB of `field` (`VmRSS:`) in /proc/<pid>/status, or `Pss:` in smaps_rollup.
fn proc_kb(pid: u32, file: &str, field: &str) -> Result<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}"))?;
    let line = text
        .lines()
        .find(|l| l.starts_with(field))
        .with_context(|| format!("no {field} in /proc/{pid}/{file}"))?;
    Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
}

/// Children of `parent` (from /proc/*/stat).
fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.to_string()))
                .and_then(|rest| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                == Some(parent)
        })
        .collect()
}

/// The `__worker` children of the server.
pub fn workers_of(pid: u32) -> Vec<u32> {
    children(pid)
        .into_iter()
        .filter(|c| {
            std::fs::read(format!("/proc/{c}/cmdline"))
                .map(|b| String::from_utf8_lossy(&b).contains("__worker"))
                .unwrap_or(false)
        })
        .collect()
}

fn mb(kb: f64) -> f64 {
    kb / 1024.0
}

/// B8: idle server RSS; RSS per active TS run (server growth plus the run's worker).
pub async fn b8(ctx: &Ctx) -> Result<Vec<Figure>> {
    let [mut idle, mut per_run, mut idle_pss, mut per_run_pss, mut worker_rss, mut server_growth] =
        std::array::from_fn::<Samples, 6, _>(|_| Samples::default());
    let mut notes = Vec::new();
    for rep in 0..ctx.heavy_reps {
        let (i, p, ip, pp, w, count, warm, growth) = b8_once(ctx).await?;
        server_growth.push(growth);
        if count != HELD_RUNS + warm {
            notes.push(format!(
                "repetition {}: {count} workers were alive for {HELD_RUNS} runs and {warm} warm (all counted)",
                rep + 1
            ));
        }
        crate::progress(&format!(
            "B8 rep {}: idle {} MB, per run {} MB",
            rep + 1,
            num(i),
            num(p)
        ));
        idle.push(i);
        per_run.push(p);
        idle_pss.push(ip);
        per_run_pss.push(pp);
        worker_rss.push(w);
    }
    let mut a = Figure::median(
        "B8 idle",
        "memory: idle server RSS, its warm JS worker included",
        "MB",
        idle,
        Some(Goal::AtMost(40.0)),
    );
    a.durability = "n/a (memory)".into();
    a.how = "VmRSS of `workflow-engine serve` one second after start, with one project registered and \
        no run, no WebSocket client, plus the VmRSS of the JS worker it keeps started for the next \
        TypeScript run (`--warm-workers`, default 1)."
        .into();
    a.extra.push(format!(
        "PSS (shared pages split among the processes sharing them): {} MB",
        num(idle_pss.median())
    ));
    let mut b = Figure::median(
        "B8 per run",
        "memory: RSS per active TS run, its worker included",
        "MB",
        per_run,
        Some(Goal::AtMost(15.0)),
    );
    b.durability = "n/a (memory)".into();
    b.how = format!(
        "{HELD_RUNS} TypeScript runs started through the API, each holding in a function step that awaits a \
         120 s setTimeout; once every one has sent workflow.step.started: (VmRSS of the server + VmRSS of \
         each `__worker` child − the idle figure, warm worker included) / {HELD_RUNS}."
    );
    b.extra.push(format!(
        "one worker's own VmRSS: {} MB (median); the server's own growth: {} MB per run; the same per-run \
         figure in PSS: {} MB",
        num(worker_rss.median()),
        num(server_growth.median()),
        num(per_run_pss.median())
    ));
    b.extra.extend(notes);
    Ok(vec![a, b])
}

/// Idle MB, MB per run, the same two in PSS, one worker's MB, workers alive, warm workers,
/// the server's own growth per run (MB).
type B8Once = (f64, f64, f64, f64, f64, usize, usize, f64);

async fn b8_once(ctx: &Ctx) -> Result<B8Once> {
    let dir = ctx.dir("b8-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b8@bench.local")?;
    let server = Server::start(ctx, dir.path(), &["--max-concurrent-runs", "32"])?;
    let project = server.project(&token, "b8", &[("hold.ts", HOLD_TS)]).await?;
    let def = server.definition_id(&token, &project, "B8 Hold").await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = server.pid();
    let (mut idle, mut idle_pss) = (proc_kb(pid, "status", "VmRSS:")?, proc_kb(pid, "smaps_rollup", "Pss:")?);
    let server_idle = idle;
    // The worker the server keeps ready for the next TypeScript run is part of its idle cost.
    let warm = workers_of(pid);
    for w in &warm {
        idle += proc_kb(*w, "status", "VmRSS:")?;
        idle_pss += proc_kb(*w, "smaps_rollup", "Pss:")?;
    }
    let watcher = Watcher::connect(&server, &token).await?;
    let mut runs = Vec::new();
    for _ in 0..HELD_RUNS {
        runs.push(server.start_run(&token, &project, &def, json!({})).await?);
    }
    for run in &runs {
        watcher
            .wait_for(run, "workflow.step.started", None, Duration::from_secs(30))
            .await?;
    }
    // A worker that loaded the file for discovery may still be exiting: wait for exactly one per run.
    let deadline = Instant::now() + Duration::from_secs(5);
    let workers = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let workers = workers_of(pid);
        if workers.len() == HELD_RUNS + warm.len() || Instant::now() > deadline {
            break workers;
        }
    };
    ensure!(
        workers.len() >= HELD_RUNS,
        "{} workers for {HELD_RUNS} held runs",
        workers.len()
    );
    let (mut rss, mut pss) = (proc_kb(pid, "status", "VmRSS:")?, proc_kb(pid, "smaps_rollup", "Pss:")?);
    let server_growth = mb(rss - server_idle) / HELD_RUNS as f64;
    let mut one_worker = Samples::default();
    for w in &workers {
        let r = proc_kb(*w, "status", "VmRSS:")?;
        one_worker.push(mb(r));
        rss += r;
        pss += proc_kb(*w, "smaps_rollup", "Pss:")?;
    }
    for run in &runs {
        let _ = server
            .post(&token, &format!("/workflow-executions/{run}/cancel"), json!({}))
            .await;
    }
    server.kill();
    let n = HELD_RUNS as f64;
    Ok((
        mb(idle),
        mb(rss - idle) / n,
        mb(idle_pss),
        mb(pss - idle_pss) / n,
        one_worker.median(),
        workers.len(),
        warm.len(),
        server_growth,
    ))
}
