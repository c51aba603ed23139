//! The peer: B1/B2 on DBOS Transact for Python (`bench/dbos/bench_dbos.py`), run by this
//! suite right after ours, in a virtualenv `bench/run.sh` prepared.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::report::Peer;
use crate::Ctx;

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

fn once(ctx: &Ctx, python: &Path, store: &str) -> Result<Value> {
    crate::progress(&format!(
        "DBOS ({store} SQLite settings): {} reps of B1 and B2",
        ctx.reps
    ));
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
