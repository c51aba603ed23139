//! The benchmark suite (B1–B13 and the DBOS side-by-side). Run it with `bench/run.sh`, which
//! builds in release mode and prepares the DBOS virtualenv; see BENCHMARKS.md for the output.
//!
//! ```text
//! bench [--only B1,B4] [--reps N] [--heavy-reps N] [--samples N] [--out FILE] [--bin PATH]
//!       [--scratch DIR] [--keep] [--dbos-python PATH | --dbos-unavailable REASON] [--no-dbos]
//!       [--pg [--pg-sync on|off]]
//! ```
//!
//! `--pg` runs on a PostgreSQL of the suite's own (durable: fsync on; `synchronous_commit`
//! from `--pg-sync`, default `on`): B1, B2 (DBOS on the same server), B5N (1, 2, 3 nodes)
//! and B14 (takeover); its figures go to the PostgreSQL section of BENCHMARKS.md.

mod api;
mod board;
mod dbos;
mod fanout;
mod inproc;
mod machine;
mod nodes;
mod pg;
mod process;
mod report;
mod report_pg;
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
    /// The suite's PostgreSQL (`--pg`): scenarios keep their runs there instead of SQLite.
    pub pg: Option<pg::Pg>,
    /// DBOS on the suite's PostgreSQL, its reps alternating with our B1/B2 reps.
    pub peer: std::sync::Mutex<Option<dbos::Paired>>,
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

/// Where a scenario's runs are recorded: a fresh PostgreSQL database under `--pg` (its URL),
/// else None (SQLite in the data directory).
pub fn database_url(ctx: &Ctx, name: &str) -> Result<Option<String>> {
    ctx.pg.as_ref().map(|pg| pg.database(name)).transpose()
}

/// The durability every figure of this run has.
pub fn durability(ctx: &Ctx) -> String {
    ctx.pg
        .as_ref()
        .map(|p| p.durability())
        .unwrap_or_else(|| report::DURABILITY_OURS.to_string())
}

/// A connection for the checks a scenario makes on the database a store uses (SQLite read
/// only, or PostgreSQL); SQL in SQLite's dialect with one `?`.
pub enum CheckDb {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl CheckDb {
    pub async fn of(store: &workflow_engine::store::Store) -> Result<CheckDb> {
        Ok(match store.database_url() {
            Some(url) => CheckDb::Pg(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(url)
                    .await?,
            ),
            None => CheckDb::Lite(db(store.data_dir()).await?),
        })
    }

    pub async fn count(&self, sql: &str, arg: &str) -> Result<i64> {
        Ok(match self {
            CheckDb::Lite(p) => sqlx::query_as::<_, (i64,)>(sql).bind(arg).fetch_one(p).await?.0,
            CheckDb::Pg(p) => {
                sqlx::query_as::<_, (i64,)>(&sql.replace('?', "$1"))
                    .bind(arg)
                    .fetch_one(p)
                    .await?
                    .0
            }
        })
    }

    pub async fn pairs(&self, sql: &str, arg: &str) -> Result<Vec<(String, String)>> {
        Ok(match self {
            CheckDb::Lite(p) => sqlx::query_as(sql).bind(arg).fetch_all(p).await?,
            CheckDb::Pg(p) => sqlx::query_as(&sql.replace('?', "$1")).bind(arg).fetch_all(p).await?,
        })
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
    ("B5N", |c| Box::pin(nodes::b5n(c))),
    ("B14", |c| Box::pin(nodes::b14(c))),
];

/// What `--pg` runs when `--only` does not say.
const PG_SCENARIOS: &[&str] = &["B1", "B2", "B5N", "B14"];
/// Scenarios that need `--pg` (several nodes on one database).
const PG_ONLY: &[&str] = &["B5N", "B14"];

struct Args {
    only: Option<Vec<String>>,
    out: Option<PathBuf>,
    dbos_python: Option<PathBuf>,
    dbos_unavailable: Option<String>,
    no_dbos: bool,
    keep: bool,
    command: String,
    pg_sync: Option<String>,
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
        pg_sync: None,
        ctx: Ctx {
            bin: release.join("workflow-engine"),
            // Outside the build tree: a build keeps creating and deleting files there, which
            // makes creating files slow in its part of the filesystem (see settle_filesystem).
            scratch: std::env::temp_dir().join("workflow-engine-bench"),
            reps: 7,
            heavy_reps: 3,
            samples: 30,
            pg: None,
            peer: Default::default(),
        },
    };
    let mut pg = false;
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
            "--pg" => pg = true,
            "--pg-sync" => {
                let v = value()?;
                if v != "on" && v != "off" {
                    bail!("--pg-sync takes on or off, not {v}");
                }
                a.pg_sync = Some(v);
            }
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
            bail!("unknown scenario {bad} (B1..B14, B5N)");
        }
    }
    if pg {
        a.pg_sync.get_or_insert_with(|| "on".into());
        a.only
            .get_or_insert_with(|| PG_SCENARIOS.iter().map(|s| s.to_string()).collect());
    } else if a.pg_sync.is_some() {
        bail!("--pg-sync needs --pg");
    } else if let Some(o) = a
        .only
        .as_ref()
        .and_then(|o| o.iter().find(|o| PG_ONLY.contains(&o.as_str())))
    {
        bail!("{o} runs several nodes on one PostgreSQL: add --pg");
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
    let mut args = parse_args()?;
    std::fs::create_dir_all(&args.ctx.scratch)?;
    // Steps run confined as under `serve` (its default, best-effort): the scenarios that run
    // the engine in this process measure what a server's steps cost.
    if let Some(warning) = workflow_engine::subprocess::confine::init(workflow_engine::subprocess::confine::Settings {
        mode: workflow_engine::subprocess::confine::Mode::BestEffort,
        data_dir: args.ctx.scratch.clone(),
        read: Vec::new(),
        write: Vec::new(),
    })? {
        progress(warning);
    }
    if let Some(sync) = &args.pg_sync {
        progress(&format!(
            "starting the suite's PostgreSQL (fsync on, synchronous_commit={sync})"
        ));
        args.ctx.pg = Some(pg::Pg::start(&args.ctx.scratch, sync)?);
    }
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
    let selected = |id: &str| {
        args.only.as_ref().is_none_or(|o| o.iter().any(|x| x == id))
            && (args.ctx.pg.is_some() || !PG_ONLY.contains(&id))
    };
    // On PostgreSQL, DBOS starts before our B1 and its reps alternate with ours.
    let mut peer_unavailable = None;
    if let Some(pg) = &args.ctx.pg {
        if !args.no_dbos && (selected("B1") || selected("B2")) {
            match (&args.dbos_unavailable, &args.dbos_python) {
                (Some(why), _) => peer_unavailable = Some(why.clone()),
                (None, None) => {
                    peer_unavailable =
                        Some("no Python with `dbos` was given (`--dbos-python`); run `bench/run.sh`".to_string())
                }
                (None, Some(python)) => match dbos::Paired::start(&args.ctx, pg, python) {
                    Ok(paired) => *args.ctx.peer.lock().expect("peer lock") = Some(paired),
                    Err(e) => peer_unavailable = Some(format!("the DBOS benchmark on PostgreSQL failed: {e:#}")),
                },
            }
        }
    }
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
        // After our B2: on PostgreSQL the paired peer ends and gives its summary; on SQLite it
        // runs now, right after our B1/B2 in the same suite run.
        if *id == "B2" && !args.no_dbos && (selected("B1") || selected("B2")) {
            if let Some(pg) = &args.ctx.pg {
                let paired = args.ctx.peer.lock().expect("peer lock").take();
                report.peer = Some(match (paired, peer_unavailable.take()) {
                    (Some(paired), _) => paired.finish(pg),
                    (None, why) => report::Peer::Unavailable(why.unwrap_or_else(|| "it did not start".into())),
                });
                continue;
            }
            report.peer = Some(dbos::run(
                &args.ctx,
                args.dbos_python.as_deref(),
                args.dbos_unavailable.as_deref(),
            ));
        }
    }
    drop(rt);
    report.durability = durability(&args.ctx);
    let pg_run = args.ctx.pg.is_some();
    drop(args.ctx.pg.take());
    if args.keep {
        progress(&format!("scratch data kept in {}", args.ctx.scratch.display()));
    } else {
        remove_scratch(&args.ctx.scratch);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = args.out.clone().unwrap_or_else(|| match (&args.only, pg_run) {
        (None, _) | (_, true) => root.join("BENCHMARKS.md"),
        (Some(_), false) => root.join("target/bench/last-run.md"),
    });
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // The PostgreSQL section and the SQLite suite are measured by separate commands: each
    // rewrites its own part of the file and keeps the other.
    let old = std::fs::read_to_string(&out).unwrap_or_default();
    let text = if pg_run {
        let key = format!(
            "{}, synchronous_commit={}",
            args.only.as_deref().unwrap_or_default().join(", "),
            args.pg_sync.as_deref().unwrap_or("on")
        );
        report_pg::splice_pg(&old, &report.markdown_pg(&machine, &args.command, &key))
    } else {
        report_pg::keep_pg(&report.markdown(&machine, &args.command), &old)
    };
    std::fs::write(&out, text)?;
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
