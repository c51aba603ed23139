//! Several engine nodes on one PostgreSQL (`--pg`): B5N (B5's 1,000 runs with 1, 2 and 3
//! `serve` nodes) and B14 (a node driving 100 runs is killed -9: how long until each run's
//! next step starts on another node).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use serde_json::json;

use crate::report::{Figure, Goal};
use crate::server::Server;
use crate::stats::{num, Samples};
use crate::Ctx;

const SECRET: &str = "bench-cluster-secret-0123456789abcdef";

/// The lease a B14 node takes on a run, in seconds (`serve --lease-secs`).
pub const B14_LEASE_SECS: u64 = 2;

/// `n` serve nodes on database `url`, each with its own data directory under `dir`, all with
/// the same `JWT_SECRET`; and a token every node accepts.
fn start_nodes(ctx: &Ctx, dir: &Path, url: &str, n: usize, extra: &[&str]) -> Result<(Vec<Server>, String)> {
    let env = [("DATABASE_URL", url), ("JWT_SECRET", SECRET)];
    let token = crate::server::cli_user_env(&ctx.bin, &dir.join("node0/data"), "nodes@bench.local", &env)?;
    let mut nodes = Vec::new();
    for i in 0..n {
        nodes.push(Server::start_env(ctx, &dir.join(format!("node{i}")), extra, &env)?);
    }
    Ok((nodes, token))
}

/// Registers the project at `path` (shared by the nodes) holding `files`; its id.
async fn project(node: &Server, token: &str, path: &Path, files: &[(&str, &str)]) -> Result<String> {
    let defs = path.join(".agent/workflows/definitions");
    std::fs::create_dir_all(&defs)?;
    for (file, text) in files {
        std::fs::write(defs.join(file), text)?;
    }
    let body = node
        .post(token, "/projects", json!({ "name": "nodes", "path": path }))
        .await?;
    Ok(body["data"]["id"].as_str().context("project id")?.to_string())
}

async fn count(db: &sqlx::PgPool, sql: &str) -> Result<i64> {
    Ok(sqlx::query_as::<_, (i64,)>(sql).fetch_one(db).await?.0)
}

/// B5N: B5's 1,000 runs (3 script steps) from 50 clients spread over 1, 2 and 3 nodes.
pub async fn b5n(ctx: &Ctx) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    for n in 1..=3 {
        let mut rates = Samples::default();
        let mut notes = Vec::new();
        for rep in 0..ctx.heavy_reps {
            let (rate, note) = b5n_once(ctx, n, rep).await?;
            crate::progress(&format!("B5N {n} node(s) rep {}: {} runs/s", rep + 1, num(rate)));
            rates.push(rate);
            notes.push(note);
        }
        let mut fig = Figure::median(
            &format!("B5N {n}"),
            &format!(
                "1,000 runs of a 3-step YAML workflow from 50 API clients, {n} node(s) on one PostgreSQL: throughput"
            ),
            "runs/s",
            rates,
            None,
        );
        fig.durability = crate::durability(ctx);
        fig.how = format!(
            "{n} `serve --max-concurrent-runs 64` node(s) on one fresh database (same `DATABASE_URL` and \
             `JWT_SECRET`, a data directory each, one shared project folder); 50 tokio tasks each POST 20 runs \
             one after the other, client c to node c mod {n}; the clock runs from the first POST until the \
             database counts 1,000 ended runs (polled every 10 ms); runs/s = 1000 / that time. Every run is \
             checked `completed` with 3 completed steps afterwards. All nodes share this machine's 2 cores \
             with PostgreSQL and the clients."
        );
        fig.extra.extend(notes);
        figures.push(fig);
    }
    Ok(figures)
}

async fn b5n_once(ctx: &Ctx, n: usize, rep: usize) -> Result<(f64, String)> {
    let pg = ctx.pg.as_ref().context("B5N needs --pg")?;
    let dir = ctx.dir("b5n-")?;
    let url = pg.database(&format!("b5n_{n}_{rep}"))?;
    let (nodes, token) = start_nodes(ctx, dir.path(), &url, n, &["--max-concurrent-runs", "64"])?;
    let nodes: Vec<Arc<Server>> = nodes.into_iter().map(Arc::new).collect();
    let proj = project(
        &nodes[0],
        &token,
        &dir.path().join("project"),
        &[("three.yaml", crate::api::THREE_STEP_YAML)],
    )
    .await?;
    let def = nodes[0].definition_id(&token, &proj, "B5 Three steps").await?;
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..50usize {
        let (node, token, proj, def) = (nodes[c % n].clone(), token.clone(), proj.clone(), def.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..20 {
                ids.push(node.start_run(&token, &proj, &def, json!({ "n": c * 20 + i })).await?);
            }
            anyhow::Ok(ids)
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.extend(t.await??);
    }
    let posted = t0.elapsed();
    ensure!(ids.len() == 1000, "{} distinct runs created", ids.len());
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let ended = count(
            &db,
            "SELECT COUNT(*) FROM workflow_runs WHERE status IN ('completed', 'failed', 'cancelled')",
        )
        .await?;
        if ended >= 1000 {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "only {ended} of 1000 runs ended in 300 s on {n} node(s)"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let wall = t0.elapsed();
    let completed = count(&db, "SELECT COUNT(*) FROM workflow_runs WHERE status = 'completed'").await?;
    let steps = count(
        &db,
        "SELECT COUNT(*) FROM workflow_run_steps WHERE status = 'completed'",
    )
    .await?;
    ensure!(completed == 1000, "{completed} of 1000 runs completed on {n} node(s)");
    ensure!(steps == 3000, "{steps} completed steps for 1000 runs");
    let per_node: Vec<(Option<String>, i64)> =
        sqlx::query_as("SELECT node_id, COUNT(*) FROM workflow_runs GROUP BY node_id ORDER BY 2 DESC")
            .fetch_all(&db)
            .await
            .unwrap_or_default();
    let spread = per_node
        .iter()
        .map(|(node, c)| format!("{c}{}", if node.is_none() { " (no node_id)" } else { "" }))
        .collect::<Vec<_>>()
        .join(" / ");
    drop(nodes);
    Ok((
        1000.0 / wall.as_secs_f64(),
        format!(
            "{n} node(s), rep {}: the 1,000 POSTs answered after {} ms, all runs ended after {} ms; runs per node (`workflow_runs.node_id`): {spread}",
            rep + 1,
            num(posted.as_secs_f64() * 1000.0),
            num(wall.as_secs_f64() * 1000.0)
        ),
    ))
}

/// A step that writes when it started, on which node, to the ledger; then sleeps `secs`
/// unless `release` exists.
fn ledger_step(ledger: &Path, release: &Path, secs: u32) -> String {
    format!(
        "echo \"$WORKFLOW_RUN_ID $WORKFLOW_STEP_ID $PPID $(date +%s%N)\" >> {}; \
         i=0; while [ $i -lt {} ] && [ ! -e {} ]; do sleep 0.5; i=$((i+1)); done",
        ledger.display(),
        secs * 2,
        release.display()
    )
}

/// B14: node A drives 100 runs, each in a long step; A is killed -9; the clock runs from the
/// kill to the moment the last of the 100 runs has its step started again on node B.
pub async fn b14(ctx: &Ctx) -> Result<Vec<Figure>> {
    let pg = ctx.pg.as_ref().context("B14 needs --pg")?;
    let mut samples = Samples::default();
    let mut notes = Vec::new();
    for rep in 0..ctx.heavy_reps {
        let dir = ctx.dir("b14-")?;
        let url = pg.database(&format!("b14_{rep}"))?;
        let (s, note) = b14_once(ctx, dir.path(), &url)
            .await
            .with_context(|| format!("B14 rep {}", rep + 1))?;
        crate::progress(&format!(
            "B14 rep {}: the last run's step restarted {} s after the kill",
            rep + 1,
            num(s)
        ));
        samples.push(s);
        notes.push(note);
    }
    let limit = B14_LEASE_SECS as f64 + 1.0;
    let mut fig = Figure::median(
        "B14",
        &format!("takeover: a node driving 100 runs is killed -9; until every run's step starts again on another node (lease {B14_LEASE_SECS} s)"),
        "s",
        samples,
        Some(Goal::AtMost(limit)),
    );
    fig.durability = crate::durability(ctx);
    fig.how = format!(
        "two `serve --lease-secs {B14_LEASE_SECS} --max-concurrent-runs 128` nodes on one fresh database; \
         100 runs of a one-step YAML workflow are posted to node A while B is not yet started (so A drives \
         all of them); each step appends `run step node-pid time` to a ledger file and waits; once the \
         ledger shows all 100 steps started on A, node B starts, A is killed with SIGKILL, and the clock \
         stops when the ledger shows the last of the 100 steps started by B (times from the ledger lines, \
         in the steps' own clock, against the kill's). Every run is checked completed afterwards."
    );
    fig.extra.extend(notes);
    Ok(vec![fig])
}

const B14_YAML: &str = "name: B14 Long step\nphases: [work]\nsteps:\n  - id: long\n    phase: work\n    type: script\n    command: LEDGER_STEP\n";

fn unix_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Ledger lines: (run, node pid, ns).
fn ledger(path: &Path) -> Vec<(String, u32, i128)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((f.first()?.to_string(), f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))
        })
        .collect()
}

async fn b14_once(ctx: &Ctx, dir: &Path, url: &str) -> Result<(f64, String)> {
    let lease = B14_LEASE_SECS.to_string();
    let args = ["--lease-secs", &lease, "--max-concurrent-runs", "128"];
    let (mut nodes, token) = start_nodes(ctx, dir, url, 1, &args)?;
    let a = nodes.remove(0);
    let a_pid = a.pid();
    let proj_dir = dir.join("project");
    let (led, release) = (proj_dir.join("ledger.txt"), proj_dir.join("release"));
    let yaml = B14_YAML.replace(
        "LEDGER_STEP",
        &serde_json::to_string(&ledger_step(&led, &release, 120))?,
    );
    let proj = project(&a, &token, &proj_dir, &[("long.yaml", &yaml)]).await?;
    let def = a.definition_id(&token, &proj, "B14 Long step").await?;
    let mut ids = HashSet::new();
    for _ in 0..100 {
        ids.insert(a.start_run(&token, &proj, &def, json!({})).await?);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while ledger(&led).iter().filter(|l| l.1 == a_pid).count() < 100 {
        ensure!(
            Instant::now() < deadline,
            "node A started only {} of 100 steps in 120 s",
            ledger(&led).len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let env = [("DATABASE_URL", url), ("JWT_SECRET", SECRET)];
    let b = Server::start_env(ctx, &dir.join("node1"), &args, &env)?;
    let b_pid = b.pid();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_at = unix_ns();
    a.kill();
    let deadline = Instant::now() + Duration::from_secs(B14_LEASE_SECS * 5 + 30);
    let last = loop {
        let lines = ledger(&led);
        let restarted: HashSet<&String> = lines.iter().filter(|l| l.1 == b_pid).map(|l| &l.0).collect();
        if ids.iter().all(|id| restarted.contains(id)) {
            break lines
                .iter()
                .filter(|l| l.1 == b_pid)
                .map(|l| l.2)
                .max()
                .unwrap_or(killed_at);
        }
        if Instant::now() > deadline {
            bail!(
                "{} of 100 runs had their step started again on node B within {} s of the kill (lease {B14_LEASE_SECS} s)",
                restarted.len(),
                (Instant::now() - deadline).as_secs() + B14_LEASE_SECS * 5 + 30
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let secs = (last - killed_at) as f64 / 1e9;
    let first = ledger(&led)
        .iter()
        .filter(|l| l.1 == b_pid)
        .map(|l| l.2)
        .min()
        .unwrap_or(last);
    std::fs::write(&release, "")?;
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = count(&db, "SELECT COUNT(*) FROM workflow_runs WHERE status = 'completed'").await?;
        if done == 100 {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "only {done} of 100 runs completed on node B after the takeover"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(b);
    Ok((
        secs,
        format!(
            "the first run's step started on B {} s after the kill, the last {} s after",
            num((first - killed_at) as f64 / 1e9),
            num(secs)
        ),
    ))
}
