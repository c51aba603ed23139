//! A real `workflow-engine serve` on a free port, real users, a real HTTP client.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::{json, Value};

use crate::util::*;

/// The password `Server::user` gives every user (the minimum is 12 characters).
pub const PASSWORD: &str = "password1234";

pub struct Server {
    pub sb: Sandbox,
    pub child: Child,
    pub base: String,
    pub http: reqwest::Client,
}

impl Server {
    pub async fn start() -> Server {
        Self::start_in(Sandbox::new()).await
    }

    /// Starts (or restarts) a server on the sandbox's data directory.
    pub async fn start_in(sb: Sandbox) -> Server {
        Self::start_with(sb, &[]).await
    }

    pub async fn start_with(sb: Sandbox, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let cmd = sb.cmd(&args);
        Self::spawn(sb, cmd)
    }

    /// Starts `cmd` (a `serve` command line on `sb`'s data directory).
    pub fn spawn(sb: Sandbox, mut cmd: std::process::Command) -> Server {
        // The server's log, for a failing test to be read by hand (`server.log` beside the
        // data directory, in the sandbox's temporary folder).
        let log = std::fs::File::create(sb.data.path().join("server.log")).expect("server log");
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the server");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .expect("read the address");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        Server {
            sb,
            child,
            base,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the server (SIGKILL) and hands back its sandbox for a restart.
    pub fn kill(mut self) -> Sandbox {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.sb, Sandbox::new())
    }

    pub fn user(&self, email: &str, admin: bool) -> String {
        let mut args = vec!["user", "create", "--email", email, "--password", PASSWORD];
        if admin {
            args.push("--admin");
        }
        let out = self.sb.run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let token = self.sb.run(&["token", "--email", email]);
        stdout(&token).trim().to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, token, path, body).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, token, path, body).await
    }

    /// A JSON request; the status and the JSON answer (null when there is none).
    async fn send(&self, method: reqwest::Method, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// A project folder holding the given definition files; returns (project id, dir).
    pub async fn project(&self, token: &str, name: &str, files: &[(&str, &str)]) -> (String, std::path::PathBuf) {
        let dir = self.sb.dir.path().join(name);
        let defs = dir.join(".agent/workflows/definitions");
        std::fs::create_dir_all(&defs).unwrap();
        for (file, text) in files {
            std::fs::write(defs.join(file), text).unwrap();
        }
        let (status, body) = self
            .post(token, "/projects", json!({ "name": name, "path": dir }))
            .await;
        assert_eq!(status, 201, "{body}");
        (body["data"]["id"].as_str().unwrap().to_string(), dir)
    }

    pub async fn definition_id(&self, token: &str, project: &str, name: &str) -> String {
        let (_, body) = self
            .get(token, &format!("/workflow-definitions?project_id={project}"))
            .await;
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{body}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Polls a run until its status is one of `statuses`.
    pub async fn wait_status(&self, token: &str, run: &str, statuses: &[&str]) -> Value {
        let what = format!("reached {statuses:?}");
        self.wait_run(token, run, &what, |r| statuses.iter().any(|s| r["status"] == *s))
            .await
    }

    /// Polls a run (as `GET /workflow-executions/{id}` shows it) until `cond` holds; panics
    /// saying it never `what` after 30 s.
    pub async fn wait_run(&self, token: &str, run: &str, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..600 {
            let (_, body) = self.get(token, &format!("/workflow-executions/{run}")).await;
            if cond(&body["data"]) {
                return body["data"].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let (_, last) = self.get(token, &format!("/workflow-executions/{run}")).await;
        panic!("run {run} never {what}: {last}");
    }

    /// Starts a run of definition `def` through the API; its id.
    pub async fn start_run(&self, token: &str, project: &str, def: &str, args: Value) -> String {
        let (status, body) = self
            .post(
                token,
                "/workflow-executions",
                json!({ "project_id": project, "workflow_definition_id": def, "args": args }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["data"]["id"].as_str().unwrap().to_string()
    }

    /// Decides the wait of step `step` of `run` (`POST .../approvals/{step}`).
    pub async fn decide(&self, token: &str, run: &str, step: &str, body: Value) -> (u16, Value) {
        self.post(token, &format!("/workflow-executions/{run}/approvals/{step}"), body)
            .await
    }
}

/// The step `key` of a run as the API shows it, if it has one.
pub fn find_run_step<'a>(run: &'a Value, key: &str) -> Option<&'a Value> {
    run["steps"].as_array()?.iter().find(|s| s["step_id"] == key)
}

/// The step `key` of a run as the API shows it; panics, showing the run, without one.
pub fn run_step<'a>(run: &'a Value, key: &str) -> &'a Value {
    find_run_step(run, key).unwrap_or_else(|| panic!("no step {key} in {run}"))
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.sb.data.path().join("server.log")).unwrap_or_default();
            eprintln!("--- the server's log ---\n{log}--- end of the server's log ---");
        }
    }
}

pub const QUICK_YAML: &str = "name: Quick\nphases: [build, test]\nargsSchema:\n  type: object\n  properties:\n    who: { type: string }\n  required: [who]\nsteps:\n  - id: hello\n    phase: build\n    type: script\n    command: echo hello {{ args.who }}\n  - id: check\n    phase: test\n    type: script\n    command: \"true\"\n";

pub const SLOW_YAML: &str = "name: Slow\nphases: [a, b]\nsteps:\n  - id: first\n    phase: a\n    type: script\n    command: sleep 1; echo first >> side.txt\n  - id: second\n    phase: b\n    type: script\n    command: sleep 1; echo second >> side.txt\n";

/// True, after saying why on stderr, when the suite runs on PostgreSQL and the calling test
/// is SQLite's only (`reason`); the test then returns at once.
pub fn skip_on_pg(reason: &str) -> bool {
    let on_pg = workflow_engine::testing::pg::enabled();
    if on_pg {
        eprintln!("skipped on PostgreSQL: {reason}");
    }
    on_pg
}
