//! The benchmark suite (B1–B13 and the DBOS side-by-side). Run it with `bench/run.sh`, which
//! builds in release mode and prepares the DBOS virtualenv; see BENCHMARKS.md for the output.
//!
//! ```text
//! bench [--only B1,B4] [--reps N] [--heavy-reps N] [--samples N] [--out FILE] [--bin PATH]
//!       [--scratch DIR] [--keep] [--dbos-python PATH | --dbos-unavailable REASON] [--no-dbos]
//! ```

mod api;
mod board;
mod dbos;
mod fanout;
mod inproc;
mod machine;
mod process;
mod report;
mod reruns;
mod server;
mod stats;
mod waits;
mod workspaces;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use anyhow::{bail, Context, Result};

use report::{Figure, Report};

/// What every scenario gets.
pub struct Ctx {
    /// The release `workflow-engine` binary.
    pub bin: PathBuf,
    /// Where scenarios make their temporary data directories and projects.
    pub scratch: PathBuf,
    /// Repetitions of the quick scenarios (B1–B3, DBOS).
    pub reps: usize,
    /// Repetitions of the heavy ones (B5, B8).
    pub heavy_reps: usize,
    /// Latency samples (B4; B6 takes ten times as many).
    pub samples: usize,
}

impl Ctx {
    /// A scratch directory for one scenario; it outlives the scenario (deleting thousands of
    /// files right before the next one measures would slow that one's file creation on some
    /// filesystems) and goes with the whole scratch tree when the suite ends.
    pub fn dir(&self, prefix: &str) -> Result<tempfile::TempDir> {
        Ok(tempfile::Builder::new()
            .prefix(prefix)
            .disable_cleanup(true)
            .tempdir_in(&self.scratch)?)
    }
}

/// A read-only connection on the database in `data_dir`, for the checks a scenario makes
/// (the store keeps its own connections to itself).
pub async fn db(data_dir: &Path) -> Result<sqlx::SqlitePool> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data_dir.join(workflow_engine::store::DB_FILE))
        .read_only(true);
    Ok(sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?)
}

pub fn progress(msg: &str) {
    eprintln!("[bench] {msg}");
}

type Scenario = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = Result<Vec<Figure>>> + 'a>>;

const SCENARIOS: &[(&str, Scenario)] = &[
    ("B1", |c| Box::pin(inproc::b1(c))),
    ("B2", |c| Box::pin(inproc::b2(c))),
    ("B3", |c| Box::pin(process::b3(c))),
    ("B4", |c| Box::pin(api::b4(c))),
    ("B5", |c| Box::pin(api::b5(c))),
    ("B6", |c| Box::pin(board::b6(c))),
    ("B7", |c| Box::pin(fanout::b7(c))),
    ("B8", |c| Box::pin(process::b8(c))),
    ("B9", |c| Box::pin(waits::b9(c))),
    ("B10", |c| Box::pin(waits::b10(c))),
    ("B11", |c| Box::pin(waits::b11(c))),
    ("B12", |c| Box::pin(reruns::b12(c))),
    ("B13", |c| Box::pin(workspaces::b13(c))),
];

struct Args {
    only: Option<Vec<String>>,
    out: Option<PathBuf>,
    dbos_python: Option<PathBuf>,
    dbos_unavailable: Option<String>,
    no_dbos: bool,
    keep: bool,
    command: String,
    ctx: Ctx,
}

fn parse_args() -> Result<Args> {
    let exe = std::env::current_exe()?;
    let release = exe
        .parent()
        .and_then(Path::parent)
        .context("the driver is not in target/<profile>/examples")?;
    let mut a = Args {
        only: None,
        out: None,
        dbos_python: None,
        dbos_unavailable: None,
        no_dbos: false,
        keep: false,
        command: "bench/run.sh".into(),
        ctx: Ctx {
            bin: release.join("workflow-engine"),
            // Outside the build tree: a build keeps creating and deleting files there, which
            // makes creating files slow in its part of the filesystem (see settle_filesystem).
            scratch: std::env::temp_dir().join("workflow-engine-bench"),
            reps: 7,
            heavy_reps: 3,
            samples: 30,
        },
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--only" => {
                let v = value()?;
                a.only = Some(v.split(',').map(|s| s.trim().to_uppercase()).collect());
            }
            "--reps" => a.ctx.reps = value()?.parse()?,
            "--heavy-reps" => a.ctx.heavy_reps = value()?.parse()?,
            "--samples" => a.ctx.samples = value()?.parse()?,
            "--out" => a.out = Some(value()?.into()),
            "--bin" => a.ctx.bin = value()?.into(),
            "--scratch" => a.ctx.scratch = value()?.into(),
            "--dbos-python" => a.dbos_python = Some(value()?.into()),
            "--dbos-unavailable" => a.dbos_unavailable = Some(value()?),
            "--no-dbos" => a.no_dbos = true,
            "--keep" => a.keep = true,
            "--command" => a.command = value()?,
            "-h" | "--help" => {
                println!(
                    "{}",
                    include_str!("main.rs").lines().take(7).collect::<Vec<_>>().join("\n")
                );
                std::process::exit(0);
            }
            other => bail!("unknown flag {other} (see --help)"),
        }
    }
    if let Some(only) = &a.only {
        if let Some(bad) = only.iter().find(|o| !SCENARIOS.iter().any(|(id, _)| id == o)) {
            bail!("unknown scenario {bad} (B1..B13)");
        }
    }
    a.ctx.scratch = a.ctx.scratch.join(format!("run-{}", std::process::id()));
    if !a.ctx.bin.is_file() {
        bail!(
            "{} does not exist: build it with `cargo build --release`",
            a.ctx.bin.display()
        );
    }
    Ok(a)
}

/// Removes this run's scratch directory and those left by interrupted runs (`run-*` beside it).
fn remove_scratch(scratch: &Path) {
    let Some(base) = scratch.parent() else { return };
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with("run-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// On ext4 without a journal (this machine's), creating a file is slow for about a minute
/// after many were deleted (a previous suite run's scratch, a build, a test run): the kernel
/// skips each recently freed inode. Waits that out once, so that the figures show the engine
/// rather than the harness's own clean-up.
fn settle_filesystem(scratch: &Path) {
    const SLOW_CREATE_US: f64 = 40.0;
    let cost = machine::create_cost(scratch);
    if cost > SLOW_CREATE_US {
        progress(&format!(
            "creating a file takes {} µs (many files were deleted recently): waiting 65 s for the filesystem to settle",
            stats::num(cost)
        ));
        std::thread::sleep(std::time::Duration::from_secs(65));
    }
}

fn main() -> Result<()> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.ctx.scratch)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let machine = machine::Machine::probe(&args.ctx.scratch);
    let load1: f64 = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    if load1 > 1.0 {
        progress(&format!(
            "warning: the load average is {load1} before the suite starts; other work on this machine \
             will show in the figures (each scenario records the load it started under)"
        ));
    }
    settle_filesystem(&args.ctx.scratch);
    let mut report = Report::default();
    let selected = |id: &str| args.only.as_ref().is_none_or(|o| o.iter().any(|x| x == id));
    for (id, scenario) in SCENARIOS {
        if selected(id) {
            let load = std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            progress(&format!("{id} … (load average {load})"));
            match rt.block_on(scenario(&args.ctx)) {
                Ok(mut figures) => {
                    for f in &mut figures {
                        f.extra
                            .push(format!("load average (1, 5, 15 min) when the scenario started: {load}"));
                    }
                    report.figures.extend(figures)
                }
                Err(e) => {
                    progress(&format!("{id} FAILED: {e:#}"));
                    report.errors.push((id.to_string(), format!("{e:#}")));
                }
            }
        }
        // The peer runs right after our B1/B2, in the same suite run.
        if *id == "B2" && !args.no_dbos && (selected("B1") || selected("B2")) {
            report.peer = Some(dbos::run(
                &args.ctx,
                args.dbos_python.as_deref(),
                args.dbos_unavailable.as_deref(),
            ));
        }
    }
    drop(rt);
    if args.keep {
        progress(&format!("scratch data kept in {}", args.ctx.scratch.display()));
    } else {
        remove_scratch(&args.ctx.scratch);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = args.out.clone().unwrap_or_else(|| match args.only {
        None => root.join("BENCHMARKS.md"),
        Some(_) => root.join("target/bench/last-run.md"),
    });
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, report.markdown(&machine, &args.command))?;
    println!();
    for f in &report.figures {
        println!(
            "{:<11} {:>9} {:<6} {:<6} {}",
            f.id,
            stats::num(f.value),
            f.unit,
            f.stat,
            f.verdict().trim_matches('*')
        );
    }
    for (id, e) in &report.errors {
        println!("{id:<11} ERROR: {e}");
    }
    println!("\nwrote {}", out.display());
    if !report.errors.is_empty() {
        bail!("{} scenario(s) failed", report.errors.len());
    }
    Ok(())
}
