//! B1 and B2: one engine in this process (as `tests/it/many_runs.rs` drives it), a
//! TypeScript run of 40 steps, the worker already started by `Engine::prepare`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::json;
use workflow_engine::domain::RunStatus;
use workflow_engine::engine::{Engine, EngineConfig, RunControl};
use workflow_engine::store::Store;

use crate::report::{Figure, Goal};
use crate::stats::{num, Samples};
use crate::Ctx;

pub const STEPS: usize = 40;

/// The B1 workflow (`function` steps) or the B2 one (`script` steps running `true`).
pub fn workflow_ts(script: bool) -> String {
    let step = if script {
        r#"{ type: "script", command: "true" }"#
    } else {
        r#"{ type: "function", fn: async () => ({ i, ok: true, note: "small" }) }"#
    };
    format!(
        r#"import {{ defineWorkflow }} from "@repo/workflow-engine";
export default defineWorkflow({{
  name: "Bench {}",
  phases: ["work"],
  async execute(ctx) {{
    for (let i = 0; i < {STEPS}; i++) {{
      await ctx.step(`s${{i}}`, {step});
    }}
  }},
}});
"#,
        if script { "script steps" } else { "function steps" }
    )
}

struct Rig {
    engine: Engine,
    project: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn new(ctx: &Ctx, name: &str) -> Result<Rig> {
        let dir = ctx.dir("inproc-")?;
        let url = crate::database_url(ctx, name)?;
        let store = Store::open_with(&dir.path().join("data"), url.as_deref()).await?;
        let project = dir.path().join("project");
        std::fs::create_dir_all(&project)?;
        Ok(Rig {
            engine: Engine::new(store, EngineConfig::new(ctx.bin.clone())),
            project,
            _dir: dir,
        })
    }

    /// Prepares (worker start, not timed), creates the run (not timed), times `execute`;
    /// returns the wall time, the run id and this process's CPU time meanwhile (ms).
    async fn timed_run(&self, file: &Path) -> Result<(Duration, String, (f64, f64))> {
        let prepared = self.engine.prepare(file, &self.project).await?;
        let definition = prepared.definition.clone();
        let run = self
            .engine
            .create_run(&definition, &self.project, json!({}), None, None, None)
            .await?;
        let (t, cpu0) = (Instant::now(), cpu_ms());
        let outcome = self
            .engine
            .execute(&run.id, Some(prepared), RunControl::default())
            .await?;
        let (elapsed, cpu1) = (t.elapsed(), cpu_ms());
        let cpu = (cpu1.0 - cpu0.0, cpu1.1 - cpu0.1);
        ensure!(outcome.status == RunStatus::Completed, "the run ended {outcome:?}");
        self.verify(&run.id).await?;
        Ok((elapsed, run.id, cpu))
    }

    /// The run really wrote what a durable run writes: 40 step rows, their files, the last
    /// checkpoint, 40 `workflow.step.completed` events in the journal.
    async fn verify(&self, run_id: &str) -> Result<()> {
        let db = crate::CheckDb::of(self.engine.store()).await?;
        let rows = db
            .count(
                "SELECT COUNT(*) FROM workflow_run_steps WHERE workflow_run_id = ? AND status = 'completed' AND result IS NOT NULL",
                run_id,
            )
            .await?;
        ensure!(rows == STEPS as i64, "{rows} completed step rows, not {STEPS}");
        let root = self.project.join(".agent/workflows/executions").join(run_id);
        for i in 0..STEPS {
            let out = root.join(format!("logs/s{i}/output.json"));
            ensure!(out.is_file(), "missing {}", out.display());
        }
        let last = root.join(format!("checkpoints/step-{}.json", STEPS - 1));
        let checkpoint: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&last).with_context(|| last.display().to_string())?)?;
        ensure!(
            checkpoint["completed_step_ids"].as_array().map(Vec::len) == Some(STEPS),
            "the last checkpoint lists {} steps",
            checkpoint["completed_step_ids"]
        );
        self.engine.events().flush().await;
        let events = db
            .count(
                "SELECT COUNT(*) FROM workflow_events WHERE execution_id = ? AND type = 'workflow.step.completed'",
                run_id,
            )
            .await?;
        ensure!(events == STEPS as i64, "{events} step.completed events, not {STEPS}");
        Ok(())
    }

    /// Milliseconds from the run's start to its first step's start, and summed inside steps
    /// (started_at → completed_at), from the rows' timestamps (millisecond resolution).
    async fn breakdown(&self, run_id: &str) -> Result<(f64, f64)> {
        let db = crate::CheckDb::of(self.engine.store()).await?;
        let started = db
            .pairs("SELECT started_at, id FROM workflow_runs WHERE id = ?", run_id)
            .await?
            .pop()
            .context("no run row")?
            .0;
        let steps = db
            .pairs(
                "SELECT started_at, completed_at FROM workflow_run_steps WHERE workflow_run_id = ? ORDER BY step_index",
                run_id,
            )
            .await?;
        let ms = |a: &str, b: &str| -> f64 {
            let p = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|d| d.timestamp_micros());
            match (p(a), p(b)) {
                (Ok(a), Ok(b)) => (b - a) as f64 / 1000.0,
                _ => f64::NAN,
            }
        };
        let first = steps.first().map(|s| ms(&started, &s.0)).unwrap_or(f64::NAN);
        let inside: f64 = steps.iter().map(|(s, c)| ms(s, c)).sum();
        Ok((first, inside))
    }
}

/// CPU time of this process so far (user, system), in ms: the engine's, as it runs here.
fn cpu_ms() -> (f64, f64) {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let ms = |tv: libc::timeval| tv.tv_sec as f64 * 1000.0 + tv.tv_usec as f64 / 1000.0;
    (ms(u.ru_utime), ms(u.ru_stime))
}

/// Engine CPU per step (user, system) and the cost of creating a file next to the runs.
struct CpuNotes {
    user: Samples,
    system: Samples,
    create_us: f64,
}

impl CpuNotes {
    fn new(rig: &Rig) -> CpuNotes {
        CpuNotes {
            user: Samples::default(),
            system: Samples::default(),
            create_us: crate::machine::create_cost(&rig.project),
        }
    }

    fn push(&mut self, (user, system): (f64, f64)) {
        self.user.push(user / STEPS as f64);
        self.system.push(system / STEPS as f64);
    }

    fn text(&self) -> String {
        format!(
            "CPU time of the engine (this process, all threads) during `execute`, per step: {} ms user + {} ms \
             system (medians); creating a small file in the project just before the runs took {} µs (median; \
             each step creates 5 files or directories, a script step 6)",
            num(self.user.median()),
            num(self.system.median()),
            num(self.create_us)
        )
    }
}

fn per_step_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0 / STEPS as f64
}

/// B1: per-step time of a 40-function-step run, nothing subtracted.
pub async fn b1(ctx: &Ctx) -> Result<Vec<Figure>> {
    let rig = Rig::new(ctx, "b1").await?;
    let file = rig.project.join("b1.ts");
    std::fs::write(&file, workflow_ts(false))?;
    rig.timed_run(&file).await.context("warm-up run")?;
    if let Some(pg) = &ctx.pg {
        pg.reset_statements();
    }
    let [mut per_step, mut first, mut inside] = std::array::from_fn::<Samples, 3, _>(|_| Samples::default());
    let mut cpu = CpuNotes::new(&rig);
    for rep in 0..ctx.reps {
        let (d, run, c) = rig.timed_run(&file).await?;
        let (f, i) = rig.breakdown(&run).await?;
        per_step.push(per_step_ms(d));
        cpu.push(c);
        first.push(f);
        inside.push(i / STEPS as f64);
        let theirs = crate::dbos::paired_rep(ctx, "b1")
            .and_then(|v| v["b1_ms_per_step"].as_f64())
            .map(|t| format!("; DBOS {} ms/step ({}x)", num(t), num(t / per_step_ms(d))))
            .unwrap_or_default();
        crate::progress(&format!("B1 rep {}: {} ms/step{theirs}", rep + 1, num(per_step_ms(d))));
    }
    let mut fig = Figure::median(
        "B1",
        "TS, 40 `function` steps: engine time per step (in-process, worker start excluded)",
        "ms",
        per_step,
        Some(Goal::AtMost(0.5)),
    );
    fig.durability = format!("{}; per step: a row insert, a row update, input.json, output.json, summary.md, a checkpoint file, events journaled", crate::durability(ctx));
    fig.how = format!(
        "`Engine::execute` of a {STEPS}-step run, from call to return, / {STEPS}; `Engine::prepare` \
         (worker start) and `create_run` happen before the clock starts. One warm-up run first. \
         Every run is checked: {STEPS} completed rows, their output.json files, the last checkpoint, \
         {STEPS} step.completed events in the journal."
    );
    fig.extra.push(format!(
        "from the rows' timestamps (ms resolution), median per run: {} ms from the run's start to its \
         first step's start; {} ms per step between a step's started_at and completed_at (the rest of \
         the per-step time is between steps: worker round trips, the next step's begin)",
        num(first.median()),
        num(inside.median())
    ));
    fig.extra.push(cpu.text());
    if let Some(pg) = &ctx.pg {
        fig.extra.extend(pg.profile("b1", (ctx.reps * STEPS) as f64));
        fig.extra.push(
            "(the statement counts include the benchmark's own checks after each run: 4 queries per run, 0.1 per step)"
                .into(),
        );
    }
    Ok(vec![fig])
}

/// B2: per-step time of a 40-`true`-step run, minus a bare spawn of `true` measured alongside.
pub async fn b2(ctx: &Ctx) -> Result<Vec<Figure>> {
    let rig = Rig::new(ctx, "b2").await?;
    let file = rig.project.join("b2.ts");
    std::fs::write(&file, workflow_ts(true))?;
    rig.timed_run(&file).await.context("warm-up run")?;
    if let Some(pg) = &ctx.pg {
        pg.reset_statements();
        crate::dbos::paired_counts_reset(ctx);
    }
    let [mut raw, mut bare, mut net, mut engine_style] = std::array::from_fn::<Samples, 4, _>(|_| Samples::default());
    let mut cpu = CpuNotes::new(&rig);
    for rep in 0..ctx.reps {
        let (d, _, c) = rig.timed_run(&file).await?;
        cpu.push(c);
        let b = tokio::task::spawn_blocking(bare_true).await??;
        let e = engine_style_spawn(&rig.project).await?;
        raw.push(per_step_ms(d));
        bare.push(b);
        net.push(per_step_ms(d) - b);
        engine_style.push(e);
        let theirs = crate::dbos::paired_rep(ctx, "b2")
            .and_then(|v| v["b2_net_ms_per_step"].as_f64())
            .map(|t| format!("; DBOS net {} ms/step ({}x)", num(t), num(t / (per_step_ms(d) - b))))
            .unwrap_or_default();
        crate::progress(&format!(
            "B2 rep {}: {} ms/step raw, bare true {} ms{theirs}",
            rep + 1,
            num(per_step_ms(d)),
            num(b)
        ));
    }
    let durability = format!(
        "{}; as B1, plus each step's stdout/stderr pumped to events.jsonl",
        crate::durability(ctx)
    );
    let mut fig = Figure::median(
        "B2",
        "TS, 40 `script` steps running `true`: time per step minus a bare spawn of `true`",
        "ms",
        net,
        Some(Goal::AtMost(1.0)),
    );
    fig.durability = durability.clone();
    fig.how = format!(
        "as B1 with `{{ type: \"script\", command: \"true\" }}` steps (the engine runs `sh -c true`); after each \
         run, {STEPS} bare spawn+wait of `true` (`std::process::Command`, posix_spawn) are timed in \
         this process, and their mean is subtracted from that run's per-step time."
    );
    fig.extra.push(format!(
        "per step before the subtraction: {} ms (median); bare spawn+wait of `true`: {} ms (median)",
        num(raw.median()),
        num(bare.median())
    ));
    fig.extra.push(format!(
        "for reference, `sh -c true` run by the engine's script runner alone, no step around it (confinement, \
         private TMPDIR, a `clone(CLONE_VM | CLONE_VFORK)` spawn in its own process group, output pipes, \
         the wait): {} ms",
        num(engine_style.median())
    ));
    fig.extra.push(cpu.text());
    if let Some(pg) = &ctx.pg {
        fig.extra.extend(pg.profile("b2", (ctx.reps * STEPS) as f64));
    }
    let mut raw_fig = Figure::median(
        "B2 raw",
        "TS, 40 `script` steps running `true`: time per step, nothing subtracted",
        "ms",
        raw,
        None,
    );
    raw_fig.durability = durability;
    raw_fig.how = "B2's per-step time before subtracting the bare spawn (for the side-by-side with DBOS)".into();
    Ok(vec![fig, raw_fig])
}

/// Mean time of a spawn+wait of `true` (posix_spawn: no pre_exec hook), over 40.
fn bare_true() -> Result<f64> {
    let t = Instant::now();
    for _ in 0..STEPS {
        let status = std::process::Command::new("true").status()?;
        ensure!(status.success());
    }
    Ok(per_step_ms(t.elapsed()))
}

/// Mean time of `sh -c true` run by the engine's own script runner (its confinement, temp
/// folder, spawn, output pumps and wait), without a step around it, over 40.
async fn engine_style_spawn(project: &Path) -> Result<f64> {
    use workflow_engine::subprocess::script::{run, ScriptSpec};
    let t = Instant::now();
    for _ in 0..STEPS {
        let spec = ScriptSpec {
            command: "true".into(),
            cwd: project.to_path_buf(),
            project: project.to_path_buf(),
            git: None,
            env: Default::default(),
            timeout: None,
        };
        let (lines, _unread) = tokio::sync::mpsc::unbounded_channel();
        let out = run(spec, lines, std::future::pending::<()>()).await?;
        ensure!(out.exit_code == Some(0), "sh -c true ended {out:?}");
    }
    Ok(per_step_ms(t.elapsed()))
}
