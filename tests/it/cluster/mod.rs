//! Many `serve` nodes on one PostgreSQL: the `Cluster` helper (N real `workflow-engine serve`
//! processes sharing a fresh database and `JWT_SECRET`, each with its own data directory and
//! port), and the multi-node tests that use it. Always on PostgreSQL: the tests' own cluster
//! is started whether `WORKFLOW_ENGINE_TEST_PG` is set or not.
//!
//! The API other test modules may rely on (kept stable):
//! - `Cluster::start(n)` / `Cluster::start_with(n, &NodeSpec)`: n nodes, an admin user.
//! - `add_node(&spec)` -> index; `kill(i)` (SIGKILL), `restart(i)` (same data dir, same spec,
//!   new port), `stop(i)` (SIGTERM, waits), `is_running(i)`, `pid(i)`.
//! - `base(i)` ("http://127.0.0.1:port"), `url(i, "/path")` (…/api/path), `node_id(i)`.
//! - `admin_token()`, `get/post/put(i, token, path, body)`.
//! - `project(name, files)` -> (project id, dir), registered through node 0, files present
//!   on every node (a shared folder, or each node's own folder for isolated nodes).
//! - `cli(args)`: a `workflow-engine` command on the cluster's database (data dir of its own).
//! - `NodeSpec { args, isolated, via_proxy, env, new_hostname }`: extra `serve` flags (and
//!   environment); `new_hostname` starts it with a new host name each time; `isolated` gives the node
//!   a mount namespace where `projects_dir()` is its own folder (`node_projects(i)`);
//!   `via_proxy` connects it to PostgreSQL through a `DbProxy` the test can cut.

mod proxy;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

pub use proxy::DbProxy;

use crate::util::{stderr, stdout, BIN};

/// The password of the cluster's users.
pub const PASSWORD: &str = "password1234";
/// The admin `Cluster::start` makes.
pub const ADMIN: &str = "admin@example.com";

/// How one node is started.
#[derive(Clone, Default)]
pub struct NodeSpec {
    /// Extra `serve` flags (`--lease-secs 2`, `--node-labels gpu`, …).
    pub args: Vec<String>,
    /// A mount namespace of its own: `Cluster::projects_dir()` is the node's own folder there.
    pub isolated: bool,
    /// Reaches PostgreSQL through a proxy the test can cut (`Cluster::proxy(i)`).
    pub via_proxy: bool,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// A UTS namespace whose host name is new at each (re)start (`node<i>-start<n>`), as a
    /// container made again gets: the node's earlier processes are then not recognisably
    /// this machine's.
    pub new_hostname: bool,
}

impl NodeSpec {
    pub fn args(args: &[&str]) -> NodeSpec {
        NodeSpec {
            args: args.iter().map(|a| a.to_string()).collect(),
            ..NodeSpec::default()
        }
    }

    /// A node in a mount namespace of its own (`isolated`), with no extra flags.
    pub fn isolated() -> NodeSpec {
        NodeSpec {
            isolated: true,
            ..NodeSpec::default()
        }
    }
}

pub struct Node {
    pub spec: NodeSpec,
    pub data: PathBuf,
    pub child: Option<Child>,
    pub base: String,
    pub proxy: Option<DbProxy>,
    /// How many times it was started.
    pub starts: usize,
}

pub struct Cluster {
    pub database_url: String,
    pub secret: String,
    pub root: tempfile::TempDir,
    pub nodes: Vec<Node>,
    pub http: reqwest::Client,
    admin: String,
    /// A project a test registered, for helpers that need one.
    pub project_id: Option<String>,
}

impl Cluster {
    /// `n` nodes with no extra flags.
    pub async fn start(n: usize) -> Cluster {
        Self::start_with(n, &NodeSpec::default()).await
    }

    /// `n` nodes started with `spec`, an admin user, on a fresh database.
    pub async fn start_with(n: usize, spec: &NodeSpec) -> Cluster {
        let database_url = workflow_engine::testing::pg::fresh_database_url();
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("projects")).unwrap();
        let mut cluster = Cluster {
            database_url,
            secret: format!("cluster-secret-{}", workflow_engine::store::new_id()),
            root,
            nodes: Vec::new(),
            http: reqwest::Client::new(),
            admin: String::new(),
            project_id: None,
        };
        // Migrated once, by the CLI, before nodes race to do it.
        let out = cluster.cli(&["user", "create", "--email", ADMIN, "--password", PASSWORD, "--admin"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = cluster.cli(&["token", "--email", ADMIN]);
        assert!(out.status.success(), "{}", stderr(&out));
        cluster.admin = stdout(&out).trim().to_string();
        for _ in 0..n {
            cluster.add_node(spec).await;
        }
        cluster
    }

    /// Where projects live (the same path on every node).
    pub fn projects_dir(&self) -> PathBuf {
        self.root.path().join("projects")
    }

    /// The folder an isolated node sees at `projects_dir()`.
    pub fn node_projects(&self, i: usize) -> PathBuf {
        self.root.path().join(format!("node{i}-projects"))
    }

    /// Starts one more node; its index.
    pub async fn add_node(&mut self, spec: &NodeSpec) -> usize {
        let i = self.nodes.len();
        let data = self.root.path().join(format!("node{i}-data"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(self.node_projects(i)).unwrap();
        let proxy = if spec.via_proxy {
            Some(DbProxy::start(workflow_engine::testing::pg::cluster().port).await)
        } else {
            None
        };
        self.nodes.push(Node {
            spec: spec.clone(),
            data,
            child: None,
            base: String::new(),
            proxy,
            starts: 0,
        });
        self.launch(i);
        i
    }

    /// The database URL node `i` uses (through its proxy, if it has one).
    fn node_database_url(&self, i: usize) -> String {
        match &self.nodes[i].proxy {
            Some(p) => {
                let port = workflow_engine::testing::pg::cluster().port;
                self.database_url
                    .replace(&format!(":{port}/"), &format!(":{}/", p.port()))
            }
            None => self.database_url.clone(),
        }
    }

    fn launch(&mut self, i: usize) {
        let node = &self.nodes[i];
        let mut serve: Vec<String> = vec!["serve".into(), "--bind".into(), "127.0.0.1:0".into()];
        serve.extend(node.spec.args.iter().cloned());
        let mut cmd = if node.spec.isolated || node.spec.new_hostname {
            let mut script = String::new();
            if node.spec.new_hostname {
                script += &format!("echo node{i}-start{} > /proc/sys/kernel/hostname && ", node.starts + 1);
            }
            if node.spec.isolated {
                script += &format!(
                    "mount --bind '{}' '{}' && ",
                    self.node_projects(i).display(),
                    self.projects_dir().display()
                );
            }
            script += "exec \"$0\" \"$@\"";
            let mut c = Command::new("unshare");
            c.args(["--mount", "--uts", "--propagation", "private", "sh", "-c", &script, BIN]);
            c.args(&serve);
            c
        } else {
            let mut c = Command::new(BIN);
            c.args(&serve);
            c
        };
        cmd.current_dir(self.root.path())
            .env("WORKFLOW_ENGINE_DATA_DIR", &node.data)
            .env("DATABASE_URL", self.node_database_url(i))
            .env("JWT_SECRET", &self.secret)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
            .envs(node.spec.env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file(&node.data)));
        let mut child = cmd.spawn().expect("start a node");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .expect("read the address");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("node {i}: unexpected first line {line:?}; log: {}", self.log_of(i)))
            .to_string();
        let node = &mut self.nodes[i];
        node.starts += 1;
        node.base = base;
        node.child = Some(child);
    }

    /// Node `i`'s log (stderr) so far.
    pub fn log_of(&self, i: usize) -> String {
        std::fs::read_to_string(self.nodes[i].data.join("node.log")).unwrap_or_default()
    }

    /// Kills node `i` with SIGKILL (its runs are left `running` under its lease).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops node `i` with SIGTERM and waits for it to exit.
    pub fn stop(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
    }

    /// Starts node `i` again (killed or stopped): same data dir and flags, a new port.
    #[allow(dead_code)]
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.launch(i);
    }

    pub fn is_running(&mut self, i: usize) -> bool {
        self.nodes[i]
            .child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    #[allow(dead_code)]
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.nodes[i].child.as_ref().map(|c| c.id())
    }

    /// Node `i`'s database proxy (nodes started `via_proxy`).
    pub fn proxy(&self, i: usize) -> &DbProxy {
        self.nodes[i].proxy.as_ref().expect("node started via_proxy")
    }

    pub fn base(&self, i: usize) -> &str {
        &self.nodes[i].base
    }

    pub fn url(&self, i: usize, path: &str) -> String {
        format!("{}/api{path}", self.nodes[i].base)
    }

    pub fn admin_token(&self) -> &str {
        &self.admin
    }

    /// The id node `i` registered under (`GET /api/nodes` matched by address).
    pub async fn node_id(&self, i: usize) -> String {
        let (status, body) = self.get(i, &self.admin, "/nodes").await;
        assert_eq!(status, 200, "{body}");
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["address"] == self.nodes[i].base.as_str())
            .unwrap_or_else(|| panic!("node {i} not in {body}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A `workflow-engine` command on the cluster's database, with a data dir of its own.
    pub fn cli_cmd(&self, args: &[&str]) -> Command {
        let data = self.root.path().join("cli-data");
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.root.path())
            .env("WORKFLOW_ENGINE_DATA_DIR", data)
            .env("DATABASE_URL", &self.database_url)
            .env("JWT_SECRET", &self.secret);
        c
    }

    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_cmd(args).output().expect("run workflow-engine")
    }

    /// A user (admin or not) and its token.
    pub fn user(&self, email: &str, admin: bool) -> String {
        let mut args = vec!["user", "create", "--email", email, "--password", PASSWORD];
        if admin {
            args.push("--admin");
        }
        let out = self.cli(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&self.cli(&["token", "--email", email])).trim().to_string()
    }

    pub async fn get(&self, i: usize, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(i, path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, i: usize, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(i, path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn patch(&self, i: usize, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .patch(self.url(i, path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Resumes `run` through node `i`, which must accept it (200).
    pub async fn resume(&self, i: usize, run: &str) {
        let (status, body) = self
            .post(i, &self.admin, &format!("/workflow-executions/{run}/resume"), json!({}))
            .await;
        assert_eq!(status, 200, "{body}\nnode {i}: {}", self.log_of(i));
    }

    /// Writes a project's definition files on every node (the shared folder, and each
    /// isolated node's own) and registers it through node `via`; (project id, its path).
    pub async fn project_on(&self, via: usize, name: &str, files: &[(&str, &str)], on: &[usize]) -> (String, PathBuf) {
        let mut roots = vec![self.projects_dir()];
        roots.extend(on.iter().map(|&i| self.node_projects(i)));
        for root in roots {
            write_definitions(&root.join(name), files);
        }
        let dir = self.projects_dir().join(name);
        let (status, body) = self
            .post(via, &self.admin, "/projects", json!({ "name": name, "path": dir }))
            .await;
        assert_eq!(status, 201, "{body}");
        (body["data"]["id"].as_str().unwrap().to_string(), dir)
    }

    /// A project whose folder only the isolated nodes `on` have: registered through node
    /// `via`, then the shared folder removed; (project id, its path).
    pub async fn project_only_on(
        &self,
        via: usize,
        name: &str,
        files: &[(&str, &str)],
        on: &[usize],
    ) -> (String, PathBuf) {
        let (project, shared) = self.project_on(via, name, files, on).await;
        std::fs::remove_dir_all(&shared).unwrap();
        (project, shared)
    }

    /// A project present on every node.
    pub async fn project(&self, name: &str, files: &[(&str, &str)]) -> (String, PathBuf) {
        let all: Vec<usize> = (0..self.nodes.len()).collect();
        self.project_on(0, name, files, &all).await
    }

    /// The id of definition `name` of `project`.
    pub async fn definition_id(&self, i: usize, project: &str, name: &str) -> String {
        let path = format!("/workflow-definitions?project_id={project}");
        for _ in 0..100 {
            let (_, body) = self.get(i, &self.admin, &path).await;
            if let Some(d) = body["data"]
                .as_array()
                .and_then(|a| a.iter().find(|d| d["name"] == name))
            {
                return d["id"].as_str().unwrap().to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no definition {name} in project {project}");
    }

    /// Starts a run through node `i`; its id.
    pub async fn start_run(&self, i: usize, project: &str, def: &str, args: Value) -> String {
        let body = json!({ "project_id": project, "workflow_definition_id": def, "args": args });
        let (status, body) = self.post(i, &self.admin, "/workflow-executions", body).await;
        assert_eq!(status, 201, "{body}");
        body["data"]["id"].as_str().unwrap().to_string()
    }

    /// Polls run `run` through node `i` until its status is one of `statuses` (`secs` at most).
    pub async fn wait_status(&self, i: usize, run: &str, statuses: &[&str], secs: u64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let (_, body) = self.get(i, &self.admin, &format!("/workflow-executions/{run}")).await;
            if statuses.iter().any(|s| body["data"]["status"] == *s) {
                return body["data"].clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "run {run} never reached {statuses:?}: {body}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

fn write_definitions(dir: &Path, files: &[(&str, &str)]) {
    let defs = dir.join(".agent/workflows/definitions");
    std::fs::create_dir_all(&defs).unwrap();
    for (file, text) in files {
        std::fs::write(defs.join(file), text).unwrap();
    }
}

fn log_file(data: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("node.log"))
        .expect("node log")
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

mod claims;
mod control;
mod events;
mod files;
mod forwarding;
mod registry;
mod restart;
mod takeover;
mod waits;
