//! The peer: B1/B2 on DBOS Transact for Python (`bench/dbos/bench_dbos.py`), in a virtualenv
//! `bench/run.sh` prepared. On SQLite it runs right after our B1/B2; on PostgreSQL its reps
//! alternate with ours (`Paired`), so that a burst of load on the machine slows both sides
//! of a pair rather than one side's whole series.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::report::Peer;
use crate::Ctx;

/// DBOS on SQLite (its default store, then WAL/NORMAL as ours), right after our B1/B2.
pub fn run(ctx: &Ctx, python: Option<&Path>, unavailable: Option<&str>) -> Peer {
    if let Some(why) = unavailable {
        return Peer::Unavailable(why.to_string());
    }
    let Some(python) = python else {
        return Peer::Unavailable("no Python with `dbos` was given (`--dbos-python`); run `bench/run.sh`".into());
    };
    let default = match once(ctx, python, "default") {
        Ok(v) => v,
        Err(e) => return Peer::Unavailable(format!("the DBOS benchmark failed: {e:#}")),
    };
    let wal = once(ctx, python, "wal-normal")
        .map_err(|e| crate::progress(&format!("DBOS with WAL/NORMAL failed: {e:#}")))
        .ok();
    Peer::Ran { default, wal }
}

/// DBOS's side of the PostgreSQL side-by-side, started before our B1 and driven one rep at a
/// time (`bench_dbos.py --paired`): after each rep of ours, one of theirs.
pub struct Paired {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// DBOS steps run since the suite last reset the server's statement counts.
    steps_since_reset: usize,
    /// Why a rep failed; no rep is asked for after that.
    failed: Option<String>,
}

impl Paired {
    /// Starts DBOS on its own database of the suite's server and waits for its warm-up.
    pub fn start(ctx: &Ctx, pg: &crate::pg::Pg, python: &Path) -> Result<Paired> {
        let url = pg.database("dbos_bench").context("make DBOS's database")?;
        crate::progress("DBOS (postgres store): starting, its reps alternate with ours");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/dbos/bench_dbos.py");
        let mut child = Command::new(python)
            .arg(&script)
            .arg("--dir")
            .arg(ctx.scratch.join("dbos-postgres"))
            .args(["--store", "postgres", "--paired", "--database-url", &url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("run {}", python.display()))?;
        let stdin = child.stdin.take().context("piped")?;
        let stdout = BufReader::new(child.stdout.take().context("piped")?);
        let mut paired = Paired {
            child,
            stdin,
            stdout,
            steps_since_reset: 0,
            failed: None,
        };
        let ready = paired.line().context("DBOS's warm-up")?;
        if ready["ready"] != true {
            bail!("DBOS answered {ready} instead of ready");
        }
        Ok(paired)
    }

    /// The next JSON line it prints (anything else it prints is passed on as progress).
    fn line(&mut self) -> Result<Value> {
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line)? == 0 {
                let status = self.child.wait()?;
                bail!("{} exited with {status}", "bench_dbos.py");
            }
            match serde_json::from_str::<Value>(line.trim()) {
                Ok(v) if v.is_object() => return Ok(v),
                _ => crate::progress(&format!("DBOS: {}", line.trim_end())),
            }
        }
    }

    /// One timed rep of `b1` or `b2`: its figures.
    pub fn rep(&mut self, what: &str) -> Result<Value> {
        if let Err(e) = writeln!(self.stdin, "{what}").and_then(|()| self.stdin.flush()) {
            let status = self.child.wait()?;
            bail!("bench_dbos.py exited with {status} (writing to it: {e})");
        }
        let v = self.line()?;
        if let Some(e) = v.get("error") {
            bail!("DBOS: {e}");
        }
        self.steps_since_reset += crate::inproc::STEPS;
        Ok(v)
    }

    /// The suite reset the server's statement counts (as our B2 starts).
    pub fn counts_reset(&mut self) {
        self.steps_since_reset = 0;
    }

    /// Ends it: its summary, with its statements per step since the last reset.
    pub fn finish(mut self, pg: &crate::pg::Pg) -> Peer {
        if let Some(why) = self.failed.take() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return Peer::Unavailable(format!("the DBOS benchmark on PostgreSQL failed: {why}"));
        }
        let summary = writeln!(self.stdin, "end")
            .map_err(anyhow::Error::from)
            .and_then(|()| self.line());
        let _ = self.child.wait();
        match summary {
            Ok(result) => Peer::Pg {
                profile: pg.profile("dbos_bench", self.steps_since_reset.max(1) as f64),
                result,
            },
            Err(e) => Peer::Unavailable(format!("the DBOS benchmark on PostgreSQL failed: {e:#}")),
        }
    }
}

/// After a rep of ours, one of DBOS's when it runs paired (`what`: `b1` or `b2`): its
/// figures; None when it does not, or once a rep of its failed (the side-by-side then says
/// why).
pub fn paired_rep(ctx: &Ctx, what: &str) -> Option<Value> {
    let mut guard = ctx.peer.lock().expect("peer lock");
    let paired = guard.as_mut()?;
    if paired.failed.is_some() {
        return None;
    }
    match tokio::task::block_in_place(|| paired.rep(what)) {
        Ok(v) => Some(v),
        Err(e) => {
            crate::progress(&format!("DBOS's {what} rep failed: {e:#}"));
            paired.failed = Some(format!("{e:#}"));
            None
        }
    }
}

/// Our B2 reset the server's statement counts: DBOS's profile counts its steps from here.
pub fn paired_counts_reset(ctx: &Ctx) {
    if let Some(paired) = ctx.peer.lock().expect("peer lock").as_mut() {
        paired.counts_reset();
    }
}

fn once(ctx: &Ctx, python: &Path, store: &str) -> Result<Value> {
    crate::progress(&format!("DBOS ({store} store): {} reps of B1 and B2", ctx.reps));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/dbos/bench_dbos.py");
    let scratch = ctx.scratch.join(format!("dbos-{store}"));
    let out = Command::new(python)
        .arg(&script)
        .arg("--dir")
        .arg(&scratch)
        .args(["--reps", &ctx.reps.to_string(), "--store", store])
        .output()
        .with_context(|| format!("run {}", python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        bail!(
            "{} exited with {}: {}",
            script.display(),
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        );
    }
    let line = stdout.lines().last().context("no output")?;
    let v: Value = serde_json::from_str(line).context("its output is not JSON")?;
    // Kept until the suite ends, as every scenario's scratch: deleting many files makes
    // creating files slow for the next minute on this machine's filesystem.
    Ok(v)
}
