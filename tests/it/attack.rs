//! Issue 12's attack, end to end through `serve`: Alice and Bob each have a project; a
//! script step in Bob's project goes for the JWT secret, the database and its WAL, Alice's
//! project and her run's files, lists the data directory, looks for descriptors left open on
//! them, hunts for tokens (its environment, every process's environment and command line),
//! forges what it can, and calls the API on 127.0.0.1 with all of it. Every attempt fails,
//! and no secret shows anywhere Bob can read.

use serde_json::{json, Value};

use crate::server_util::Server;
use crate::util::*;

const PASSWORD: &str = "attack-test-password";
const ALICE_PRIVATE: &str = "alice-private-7d3e";
const ALICE_YAML: &str = "name: Notes\nphases: [p]\nsteps:\n  - id: note\n    phase: p\n    type: script\n    command: echo alice-private-7d3e > notes.txt; echo alice-private-7d3e\n";

/// The attacker, in Node (which the agent stand-ins need anyway): prints one `REPORT {json}`.
const ATTACK_MJS: &str = r#"import fs from "node:fs";
import crypto from "node:crypto";
const env = process.env;
const report = { read: {}, list: {}, secrets: 0, api: [] };
const read = (p) => { try { return fs.readFileSync(p, "latin1"); } catch (e) { return "ERR " + e.code; } };
for (const p of env.TARGETS.split("|")) report.read[p] = read(p).startsWith("ERR") ? read(p) : "READ";
for (const d of env.DIRS.split("|")) {
  try { fs.readdirSync(d); report.list[d] = "LISTED"; } catch (e) { report.list[d] = "ERR " + e.code; }
}
// A descriptor the engine left open would bypass every path rule.
report.fds = fs.readdirSync("/proc/self/fd")
  .map((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return ""; } })
  .filter((link) => env.DIRS.split("|").some((d) => link.startsWith(d)));
let hay = JSON.stringify(env);
for (const pid of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x)))
  for (const f of ["environ", "cmdline"]) { const t = read(`/proc/${pid}/${f}`); if (!t.startsWith("ERR")) hay += t; }
const found = hay.match(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? [];
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const forge = (secret) => {
  const now = Math.floor(Date.now() / 1000);
  const body = b64({ alg: "HS256", typ: "JWT" }) + "." + b64({ sub: env.ALICE_ID, email: env.ALICE_EMAIL, iat: now, exp: now + 3600 });
  return body + "." + crypto.createHmac("sha256", secret).update(body).digest("base64url");
};
const secrets = Object.entries(env).filter(([k]) => /SECRET|KEY|TOKEN/i.test(k)).map(([, v]) => v);
const file = read(env.JWT_FILE);
if (!file.startsWith("ERR")) secrets.push(file.trim());
report.secrets = secrets.length;
const none = b64({ alg: "none", typ: "JWT" }) + "." + b64({ sub: env.ALICE_ID, email: env.ALICE_EMAIL, exp: 4e9 }) + ".";
const tokens = [...found, ...secrets.map(forge), forge(""), forge("secret"), none];
for (const t of tokens) {
  const r = await fetch(`${env.API}/workflow-executions/${env.ALICE_RUN}`, { headers: { authorization: `Bearer ${t}` } });
  report.api.push(r.status);
}
console.log("REPORT " + JSON.stringify(report));
"#;

fn create_user(s: &Server, email: &str) {
    let out = s.sb.run(&["user", "create", "--email", email, "--password", PASSWORD]);
    assert!(out.status.success(), "{}", stderr(&out));
}

async fn login(s: &Server, email: &str) -> String {
    let r = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }));
    let body: Value = r.send().await.unwrap().json().await.unwrap();
    body["data"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}

/// The claims of a token (its middle part), as the attacker would need them.
fn claims(token: &str) -> Value {
    use std::io::Read;
    let part = token.split('.').nth(1).unwrap().replace('-', "+").replace('_', "/");
    let mut child = std::process::Command::new("base64")
        .args(["-d", "-i"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let padded = format!("{part}{}", "=".repeat((4 - part.len() % 4) % 4));
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), padded.as_bytes()).unwrap();
    drop(child.stdin.take());
    let mut text = String::new();
    child.stdout.take().unwrap().read_to_string(&mut text).unwrap();
    child.wait().unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn run_to_end(s: &Server, token: &str, project: &str, name: &str) -> Value {
    let def = s.definition_id(token, project, name).await;
    let body = json!({ "project_id": project, "workflow_definition_id": def });
    let (status, created) = s.post(token, "/workflow-executions", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    s.wait_status(token, &id, &["completed", "failed"]).await
}

/// Runs the attack on a server started with `server_env`, checks that nothing Bob can read
/// (the step's output, the run, every file of his run) holds a secret; the attacker's report.
async fn attack(server_env: &[(&str, &str)]) -> Value {
    let sb = Sandbox::new();
    let mut cmd = sb.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.envs(server_env.iter().copied());
    let s = Server::spawn(sb, cmd);
    create_user(&s, "alice@example.com");
    create_user(&s, "bob@example.com");
    let (alice, bob) = (login(&s, "alice@example.com").await, login(&s, "bob@example.com").await);
    let (alice_project, alice_dir) = s.project(&alice, "alice", &[("notes.yaml", ALICE_YAML)]).await;
    let alice_run = run_to_end(&s, &alice, &alice_project, "Notes").await;
    assert_eq!(alice_run["status"], "completed", "{alice_run}");

    let data = s.sb.data_dir();
    let alice_files = alice_dir.join(".agent/workflows/executions");
    let alice_run_id = alice_run["id"].as_str().unwrap();
    let targets = [
        data.join("jwt-secret"),
        data.join("workflow-engine.db"),
        data.join("workflow-engine.db-wal"),
        alice_dir.join("notes.txt"),
        alice_files.join(alice_run_id).join("logs/note/events.jsonl"),
    ];
    let targets: Vec<String> = targets.iter().map(|p| p.display().to_string()).collect();
    let dirs = [data.display().to_string(), alice_dir.display().to_string()];
    let alice_claims = claims(&alice);
    let step_env = json!({
        "API": s.url(""), "TARGETS": targets.join("|"), "DIRS": dirs.join("|"),
        "JWT_FILE": targets[0], "ALICE_ID": alice_claims["sub"], "ALICE_EMAIL": "alice@example.com",
        "ALICE_RUN": alice_run_id,
    });
    let yaml = format!(
        "name: Attack\nphases: [p]\nsteps:\n  - id: attack\n    phase: p\n    type: script\n    command: node attack.mjs\n    env: {step_env}\n"
    );
    let (bob_project, bob_dir) = s.project(&bob, "bob", &[("attack.yaml", &yaml)]).await;
    std::fs::write(bob_dir.join("attack.mjs"), ATTACK_MJS).unwrap();
    let run = run_to_end(&s, &bob, &bob_project, "Attack").await;
    assert_eq!(run["status"], "completed", "{run}");
    let step = run["steps"][0]["id"].as_str().unwrap();
    let (_, log) = s.get(&bob, &format!("/workflow-steps/{step}/logs/events")).await;
    let output = log["data"]["content"].as_str().unwrap_or_default().to_string();
    let report: Value = serde_json::from_str(&report_of(&output)).unwrap_or_else(|e| panic!("{e}: {output}"));
    let mut readable = vec![output, run.to_string()];
    readable.extend(files_under(&bob_dir.join(".agent/workflows/executions")));
    // What must never show: the secrets, and Alice's data and token.
    let mut secrets = vec![ALICE_PRIVATE.to_string(), alice.clone()];
    secrets.push(
        std::fs::read_to_string(data.join("jwt-secret"))
            .unwrap_or_default()
            .trim()
            .to_string(),
    );
    secrets.extend(server_env.iter().map(|(_, v)| v.to_string()));
    for text in &readable {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(!text.contains(secret.as_str()), "a secret shows to Bob: {text}");
        }
    }
    report
}

/// The attacker's report: `events.jsonl` keeps each output line as a record's `text`.
fn report_of(output: &str) -> String {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .find_map(|t| t.strip_prefix("REPORT ").map(str::to_string))
        .unwrap_or_default()
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned());
        }
    }
    out
}

fn assert_every_attempt_failed(report: &Value) {
    assert_eq!(report["fds"], json!([]), "{report}");
    for (path, result) in report["read"].as_object().unwrap() {
        assert!(result.as_str().unwrap().starts_with("ERR"), "{path} was read: {report}");
    }
    for (path, result) in report["list"].as_object().unwrap() {
        assert_eq!(result, "ERR EACCES", "{path}: {report}");
    }
    let statuses = report["api"].as_array().unwrap();
    assert!(statuses.len() >= 3, "{report}");
    assert!(statuses.iter().all(|s| s == 401), "a token worked: {report}");
}

#[tokio::test]
async fn a_step_in_bob_s_project_cannot_reach_the_secret_the_database_or_alice_s_files() {
    let report = attack(&[]).await;
    assert_every_attempt_failed(&report);
    let read = report["read"].as_object().unwrap();
    let refused = read.values().filter(|r| *r == "ERR EACCES").count();
    // The secret, the database, Alice's note and her run's log exist: refused, not missing
    // (on PostgreSQL the database is no file in the data directory).
    let exist = if workflow_engine::testing::pg::enabled() { 3 } else { 4 };
    assert!(refused >= exist, "{report}");
    assert_eq!(report["secrets"], 0, "{report}");
}

/// The same attack with `JWT_SECRET` in the server's environment. Steps must not inherit
/// it: that is the step environment's part of issue 12 (engineer A), enabled once merged.
#[tokio::test]
async fn the_attack_finds_no_secret_in_the_environment_either() {
    let secret = "server-env-secret-for-the-attack-test";
    let report = attack(&[("JWT_SECRET", secret)]).await;
    assert_every_attempt_failed(&report);
    assert_eq!(report["secrets"], 0, "{report}");
}
