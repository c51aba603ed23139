//! The peer: B1/B2 on DBOS Transact for Python (`bench/dbos/bench_dbos.py`), run by this
//! suite right after ours, in a virtualenv `bench/run.sh` prepared.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::report::Peer;
use crate::Ctx;

pub fn run(ctx: &Ctx, pg: Option<&crate::pg::Pg>, python: Option<&Path>, unavailable: Option<&str>) -> Peer {
    if let Some(why) = unavailable {
        return Peer::Unavailable(why.to_string());
    }
    let Some(python) = python else {
        return Peer::Unavailable("no Python with `dbos` was given (`--dbos-python`); run `bench/run.sh`".into());
    };
    if let Some(pg) = pg {
        // DBOS's system database on the same server our B1/B2 just ran on.
        let url = match pg.database("dbos_bench") {
            Ok(u) => u,
            Err(e) => return Peer::Unavailable(format!("cannot make DBOS's database: {e:#}")),
        };
        pg.reset_statements();
        return match once(ctx, python, "postgres", Some(&url)) {
            Ok(v) => {
                let steps = ((ctx.reps + 1) * 2 * crate::inproc::STEPS) as f64;
                Peer::Pg {
                    result: v,
                    profile: pg.profile("dbos_bench", steps),
                }
            }
            Err(e) => Peer::Unavailable(format!("the DBOS benchmark on PostgreSQL failed: {e:#}")),
        };
    }
    let default = match once(ctx, python, "default", None) {
        Ok(v) => v,
        Err(e) => return Peer::Unavailable(format!("the DBOS benchmark failed: {e:#}")),
    };
    let wal = once(ctx, python, "wal-normal", None)
        .map_err(|e| crate::progress(&format!("DBOS with WAL/NORMAL failed: {e:#}")))
        .ok();
    Peer::Ran { default, wal }
}

fn once(ctx: &Ctx, python: &Path, store: &str, url: Option<&str>) -> Result<Value> {
    crate::progress(&format!("DBOS ({store} store): {} reps of B1 and B2", ctx.reps));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/dbos/bench_dbos.py");
    let scratch = ctx.scratch.join(format!("dbos-{store}"));
    let out = Command::new(python)
        .arg(&script)
        .arg("--dir")
        .arg(&scratch)
        .args(["--reps", &ctx.reps.to_string(), "--store", store])
        .args(url.map(|u| ["--database-url", u]).into_iter().flatten())
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
