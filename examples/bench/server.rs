//! A real `workflow-engine serve` (the release binary) on a free port, its users, projects,
//! and WebSocket clients.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

use crate::Ctx;

pub const PASSWORD: &str = "bench-password-123";

pub struct Server {
    pub child: Child,
    pub base: String,
    pub http: reqwest::Client,
    pub data_dir: PathBuf,
    pub root: PathBuf,
}

impl Server {
    /// Starts `serve` on `root/data` (created if needed), working directory `root`.
    pub fn start(ctx: &Ctx, root: &Path, extra: &[&str]) -> Result<Server> {
        Self::start_env(ctx, root, extra, &[])
    }

    /// As `start`, with these environment variables (a node: `DATABASE_URL`, `JWT_SECRET`).
    pub fn start_env(ctx: &Ctx, root: &Path, extra: &[&str], env: &[(&str, &str)]) -> Result<Server> {
        let data_dir = root.join("data");
        std::fs::create_dir_all(&data_dir)?;
        let mut child = Command::new(&ctx.bin)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().copied())
            .env("WORKFLOW_ENGINE_DATA_DIR", &data_dir)
            .env_remove("RUST_LOG")
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("start the server")?;
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped")).read_line(&mut line)?;
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow!("unexpected first line from serve: {line:?}"))?
            .to_string();
        Ok(Server {
            child,
            base,
            http: reqwest::Client::new(),
            data_dir,
            root: root.to_path_buf(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> Result<Value> {
        let r = self.http.get(self.url(path)).bearer_auth(token).send().await?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        ensure!(status.is_success(), "GET {path}: {status} {body}");
        Ok(body)
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Result<Value> {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }

    /// Registers `root/<name>` holding the given definition files; returns the project id.
    pub async fn project(&self, token: &str, name: &str, files: &[(&str, &str)]) -> Result<String> {
        let dir = self.root.join(name);
        let defs = dir.join(".agent/workflows/definitions");
        std::fs::create_dir_all(&defs)?;
        for (file, text) in files {
            std::fs::write(defs.join(file), text)?;
        }
        let body = self
            .post(token, "/projects", json!({ "name": name, "path": dir }))
            .await?;
        Ok(body["data"]["id"].as_str().context("project id")?.to_string())
    }

    pub async fn definition_id(&self, token: &str, project: &str, name: &str) -> Result<String> {
        let body = self
            .get(token, &format!("/workflow-definitions?project_id={project}"))
            .await?;
        let defs = body["data"].as_array().context("definitions")?;
        let def = defs
            .iter()
            .find(|d| d["name"] == name)
            .ok_or_else(|| anyhow!("no definition {name}: {body}"))?;
        if !def["load_error"].is_null() {
            bail!("definition {name} does not load: {}", def["load_error"]);
        }
        Ok(def["id"].as_str().context("definition id")?.to_string())
    }

    /// Starts a run through the API; returns its id.
    pub async fn start_run(&self, token: &str, project: &str, definition: &str, args: Value) -> Result<String> {
        let body = self
            .post(
                token,
                "/workflow-executions",
                json!({ "project_id": project, "workflow_definition_id": definition, "args": args }),
            )
            .await?;
        Ok(body["data"]["id"].as_str().context("run id")?.to_string())
    }

    pub fn ws_url(&self, token: &str) -> String {
        format!("{}/api/ws?token={token}", self.base.replacen("http://", "ws://", 1))
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `workflow-engine user create` + `token` on a data directory.
pub fn cli_user(bin: &Path, data_dir: &Path, email: &str) -> Result<String> {
    cli_user_env(bin, data_dir, email, &[])
}

/// As `cli_user`, with these environment variables (`DATABASE_URL`, `JWT_SECRET`).
pub fn cli_user_env(bin: &Path, data_dir: &Path, email: &str, env: &[(&str, &str)]) -> Result<String> {
    let out = Command::new(bin)
        .args(["user", "create", "--email", email, "--password", PASSWORD])
        .envs(env.iter().copied())
        .env("WORKFLOW_ENGINE_DATA_DIR", data_dir)
        .output()?;
    ensure!(
        out.status.success(),
        "user create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(bin)
        .args(["token", "--email", email])
        .envs(env.iter().copied())
        .env("WORKFLOW_ENGINE_DATA_DIR", data_dir)
        .output()?;
    ensure!(out.status.success(), "token: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Events seen on one WebSocket, by execution id: (type, status, when received).
#[derive(Default)]
pub struct Seen {
    pub by_run: HashMap<String, Vec<(String, Option<String>, Instant)>>,
    pub lagged: bool,
    pub closed: bool,
}

/// One WebSocket client recording every run event it receives.
#[derive(Clone)]
pub struct Watcher {
    pub seen: Arc<Mutex<Seen>>,
    pub changed: Arc<Notify>,
}

impl Watcher {
    pub async fn connect(server: &Server, token: &str) -> Result<Watcher> {
        let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url(token)).await?;
        let w = Watcher {
            seen: Arc::default(),
            changed: Arc::new(Notify::new()),
        };
        let (seen, changed) = (w.seen.clone(), w.changed.clone());
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(text) = msg else { continue };
                let at = Instant::now();
                let v: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                let kind = v["type"].as_str().unwrap_or_default().to_string();
                let mut s = seen.lock().expect("seen");
                if kind == "stream.lagged" {
                    s.lagged = true;
                } else if let Some(run) = v["data"]["execution_id"].as_str() {
                    let status = v["data"]["status"].as_str().map(str::to_string);
                    s.by_run.entry(run.to_string()).or_default().push((kind, status, at));
                }
                drop(s);
                changed.notify_waiters();
            }
            seen.lock().expect("seen").closed = true;
            changed.notify_waiters();
        });
        // The server subscribes once the upgrade is done; give it a moment.
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(w)
    }

    /// When the run's first event of `kind` (with `status`, if given) arrived; waits for it.
    pub async fn wait_for(&self, run: &str, kind: &str, status: Option<&str>, limit: Duration) -> Result<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            {
                let s = self.seen.lock().expect("seen");
                let hit = s.by_run.get(run).and_then(|events| {
                    events
                        .iter()
                        .find(|(k, st, _)| k == kind && (status.is_none() || st.as_deref() == status))
                });
                if let Some((_, _, at)) = hit {
                    return Ok(*at);
                }
                if s.closed {
                    bail!("the WebSocket closed while waiting for {kind} of {run}");
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("no {kind} event for run {run} within {limit:?}");
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), notified).await;
        }
    }
}

impl Watcher {
    /// When the run's first event of `kind` received after `since` arrived; waits for it.
    pub async fn wait_after(&self, run: &str, kind: &str, since: Instant, limit: Duration) -> Result<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            {
                let s = self.seen.lock().expect("seen");
                let hit = s
                    .by_run
                    .get(run)
                    .and_then(|events| events.iter().find(|(k, _, at)| k == kind && *at >= since));
                if let Some((_, _, at)) = hit {
                    return Ok(*at);
                }
                if s.closed {
                    bail!("the WebSocket closed while waiting for {kind} of {run}");
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("no {kind} event for run {run} within {limit:?}");
            }
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), notified).await;
        }
    }
}

/// Times `n` GETs of `path` one after the other, after `warmup` untimed ones: client-side
/// milliseconds to the whole JSON body. `check` looks at the first answer.
pub async fn time_gets(
    server: &Server,
    token: &str,
    path: &str,
    warmup: usize,
    n: usize,
    check: impl Fn(&Value) -> Result<()>,
) -> Result<crate::stats::Samples> {
    let mut samples = crate::stats::Samples::default();
    for i in 0..warmup + n {
        let t = Instant::now();
        let body = server.get(token, path).await?;
        let elapsed = t.elapsed().as_secs_f64() * 1000.0;
        if i == 0 {
            check(&body)?;
        }
        if i >= warmup {
            samples.push(elapsed);
        }
    }
    Ok(samples)
}

/// Polls a run through the API until it reaches a final status.
pub async fn wait_done(server: &Server, token: &str, run: &str, limit: Duration) -> Result<String> {
    let deadline = Instant::now() + limit;
    loop {
        let body = server.get(token, &format!("/workflow-executions/{run}")).await?;
        let status = body["data"]["status"].as_str().unwrap_or_default().to_string();
        if ["completed", "failed", "cancelled"].contains(&status.as_str()) {
            return Ok(status);
        }
        ensure!(Instant::now() < deadline, "run {run} still {status} after {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
