//! Chaos, on PostgreSQL always (`workflow_engine::testing::pg`): three `serve` nodes on one
//! database drive 300 runs (a TS and a YAML workflow, three steps each, every step appending
//! to a ledger and taking half a second) while a random node is killed -9 and restarted
//! every few seconds, 20 times. Then `ledger::check`: every run completed, no completed step
//! ran again, every repeat is a step in flight on a node that was killed, and the run folders
//! hold what the database says completed. The nodes share this machine's filesystem.
//! Bounded: fails past `LIMIT` with where it stood. `CHAOS_SEED=n` replays a kill sequence.

mod ledger;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::server_util::PASSWORD;
use crate::util::BIN;

const LIMIT: Duration = Duration::from_secs(360);
const NODES: usize = 3;
const RUNS: usize = 300;
const KILLS: usize = 20;
const SECRET: &str = "chaos-test-secret-0123456789abcdef";

fn unix_ns() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as i128
}

/// A tiny xorshift: the kill sequence, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One node: a `serve` process on its own data directory, restartable.
struct Node {
    data: PathBuf,
    child: Child,
    base: String,
}

impl Node {
    fn start(data: &Path, url: &str) -> Node {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--max-concurrent-runs",
                "6",
                "--lease-secs",
                "3",
            ])
            .env("WORKFLOW_ENGINE_DATA_DIR", data)
            .env("DATABASE_URL", url)
            .env("JWT_SECRET", SECRET)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a node");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .expect("read the address");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("a node's first line: {line:?}"))
            .to_string();
        Node {
            data: data.to_path_buf(),
            child,
            base,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn cli(data: &Path, url: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("WORKFLOW_ENGINE_DATA_DIR", data)
        .env("DATABASE_URL", url)
        .env("JWT_SECRET", SECRET)
        .output()
        .expect("run the cli");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn post(http: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Result<Value, String> {
    let r = http
        .post(format!("{base}/api{path}"))
        .bearer_auth(token)
        .json(&body)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("POST {path}: {status} {body}"));
    }
    Ok(body)
}

fn workflows(ledger: &Path) -> [(&'static str, String); 2] {
    let cmd = serde_json::to_string(&ledger::step_command(ledger)).unwrap();
    let ts = format!(
        "import {{ defineWorkflow }} from \"@repo/workflow-engine\";\nexport default defineWorkflow({{\n  name: \"Chaos TS\",\n  phases: [\"work\"],\n  async execute(ctx) {{\n    for (const id of [\"a\", \"b\", \"c\"]) {{\n      await ctx.step(id, {{ type: \"script\", command: {cmd} }});\n    }}\n  }},\n}});\n"
    );
    let mut yaml = "name: Chaos YAML\nphases: [work]\nsteps:\n".to_string();
    for id in ["a", "b", "c"] {
        yaml.push_str(&format!(
            "  - id: {id}\n    phase: work\n    type: script\n    command: {cmd}\n"
        ));
    }
    [("chaos.ts", ts), ("chaos.yaml", yaml)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_survive_twenty_kills() {
    let t0 = Instant::now();
    let url = workflow_engine::testing::pg::fresh_database_url();
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("project");
    let defs = project.join(".agent/workflows/definitions");
    std::fs::create_dir_all(&defs).unwrap();
    let ledger_path = project.join("ledger.txt");
    for (file, text) in workflows(&ledger_path) {
        std::fs::write(defs.join(file), text).unwrap();
    }
    let datas: Vec<PathBuf> = (0..NODES).map(|i| root.path().join(format!("node{i}"))).collect();
    cli(
        &datas[0],
        &url,
        &[
            "user",
            "create",
            "--email",
            "chaos@test.local",
            "--password",
            PASSWORD,
            "--admin",
        ],
    );
    let token = cli(&datas[0], &url, &["token", "--email", "chaos@test.local"]);
    let mut nodes: Vec<Node> = datas.iter().map(|d| Node::start(d, &url)).collect();
    let mut pids: HashMap<u32, Option<i128>> = nodes.iter().map(|n| (n.pid(), None)).collect();
    let http = reqwest::Client::new();
    let body = post(
        &http,
        &nodes[0].base,
        &token,
        "/projects",
        json!({ "name": "chaos", "path": project }),
    )
    .await
    .unwrap();
    let project_id = body["data"]["id"].as_str().unwrap().to_string();
    let r = http
        .get(format!(
            "{}/api/workflow-definitions?project_id={project_id}",
            nodes[0].base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let defs: Value = r.json().await.unwrap();
    let def_ids: Vec<String> = ["Chaos TS", "Chaos YAML"]
        .iter()
        .map(|name| {
            let d = defs["data"].as_array().unwrap().iter().find(|d| d["name"] == *name);
            let d = d.unwrap_or_else(|| panic!("no definition {name}: {defs}"));
            assert!(d["load_error"].is_null(), "{name} does not load: {}", d["load_error"]);
            d["id"].as_str().unwrap().to_string()
        })
        .collect();

    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_as::<_, (i64,)>(sql).fetch_one(&db).await.unwrap().0 }
    };
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| (unix_ns() as u64) | 1);
    println!("chaos seed {seed} (CHAOS_SEED={seed} replays the kill sequence)");
    let mut rng = Rng(seed);

    // The runs go in round-robin over the nodes while the killing starts; a POST cut by a
    // kill is sent again to the next node (the database, not our list, says what exists).
    let mut posted = 0;
    let mut kills = 0;
    let mut next_kill = Instant::now() + Duration::from_millis(1500);
    let mut target = 0;
    let done = loop {
        assert!(
            t0.elapsed() < LIMIT,
            "chaos: past {LIMIT:?} with {posted} of {RUNS} runs posted, {kills} of {KILLS} kills made, {} runs completed",
            count("SELECT COUNT(*) FROM workflow_runs WHERE status = 'completed'").await
        );
        if posted < RUNS {
            let node = &nodes[target % NODES];
            target += 1;
            let def = &def_ids[posted % 2];
            let body = json!({ "project_id": project_id, "workflow_definition_id": def, "args": {} });
            if post(&http, &node.base, &token, "/workflow-executions", body)
                .await
                .is_ok()
            {
                posted += 1;
            }
        } else if kills == KILLS {
            let ended =
                count("SELECT COUNT(*) FROM workflow_runs WHERE status IN ('completed', 'failed', 'cancelled')").await;
            if ended as usize >= RUNS {
                break t0.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        } else if Instant::now() < next_kill {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if kills < KILLS && Instant::now() >= next_kill {
            let victim = rng.next(NODES as u64) as usize;
            let pid = nodes[victim].pid();
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            pids.insert(pid, Some(unix_ns()));
            nodes[victim].kill();
            kills += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let data = nodes[victim].data.clone();
            nodes[victim] = Node::start(&data, &url);
            pids.insert(nodes[victim].pid(), None);
            next_kill = Instant::now() + Duration::from_millis(2000 + rng.next(2000));
        }
    };
    let total = count("SELECT COUNT(*) FROM workflow_runs").await as usize;
    assert!(total >= RUNS, "only {total} runs exist after {RUNS} accepted POSTs");
    drop(nodes);

    let runs: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, status, error_message FROM workflow_runs ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT workflow_run_id, step_id, completed_at FROM workflow_run_steps WHERE status = 'completed'",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let steps: Vec<ledger::DbStep> = rows
        .into_iter()
        .map(|(run, step, at)| ledger::DbStep {
            run,
            step,
            completed_ns: chrono::DateTime::parse_from_rfc3339(&at)
                .unwrap_or_else(|e| panic!("completed_at {at:?}: {e}"))
                .timestamp_nanos_opt()
                .unwrap() as i128,
        })
        .collect();
    let executions = ledger::read(&ledger_path);
    let (bad, repeats) = ledger::check(&ledger::Evidence {
        executions: &executions,
        nodes: &pids,
        steps: &steps,
        steps_per_run: 3,
        runs: &runs,
        project: &project,
    });
    println!(
        "chaos: {total} runs, {} step executions ({repeats} repeats after kills), {kills} kills, all ended after {:.1} s",
        executions.values().map(Vec::len).sum::<usize>(),
        done.as_secs_f64()
    );
    assert!(
        bad.is_empty(),
        "chaos (seed {seed}): {} breach(es):\n{}",
        bad.len(),
        bad.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
