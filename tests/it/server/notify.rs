//! Webhook notifications through the real binary: a receiver of the test's own records each
//! POST (headers and body), answers as told, and checks the signature with the secret.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::server_util::*;
use crate::util::*;

const SECRET: &str = "test-webhook-secret";

/// How the receiver answers a request.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Status(u16),
    /// Reads the request and never answers (the connection stays open).
    Never,
}

#[derive(Clone, Debug)]
struct Received {
    /// Header names in lower case.
    headers: HashMap<String, String>,
    body: Vec<u8>,
    at: Instant,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }

    /// Checks `X-Workflow-Engine-Signature` as a receiver would: the HMAC-SHA256 of the bytes
    /// received, compared in constant time.
    fn signed_with(&self, secret: &str) -> bool {
        let Some(hex) = self.header("x-workflow-engine-signature").strip_prefix("sha256=") else {
            return false;
        };
        let Some(tag) = from_hex(hex) else { return false };
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        ring::hmac::verify(&key, &self.body, &tag).is_ok()
    }
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A webhook receiver on a free port: the n-th request gets `answers[n]`, later ones 200.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(answers: &[Answer]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/we", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let (answers, recorded) = (answers.to_vec(), got.clone());
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let answer = answers.get(n).copied().unwrap_or(Answer::Status(200));
                n += 1;
                tokio::spawn(serve_one(socket, answer, recorded.clone()));
            }
        });
        Receiver { url, got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests came; all of them.
    async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} webhook requests after {secs}s",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Reads one request (headers, then `Content-Length` bytes), records it, answers it.
async fn serve_one(mut socket: TcpStream, answer: Answer, got: Arc<Mutex<Vec<Received>>>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.insert(":request".into(), request_line);
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    while data.len() < head_end + length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    got.lock().unwrap().push(Received {
        headers,
        body: data[head_end..head_end + length].to_vec(),
        at: Instant::now(),
    });
    match answer {
        Answer::Status(code) => {
            let reply = format!("HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = socket.write_all(reply.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
        Answer::Never => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(socket);
        }
    }
}

/// A server whose notifications go to `receiver`, with `vars` set.
fn server_for(receiver: &Receiver, vars: &[(&str, &str)]) -> Server {
    let sb = Sandbox::new();
    let mut cmd = sb.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.env("WORKFLOW_ENGINE_WEBHOOK_URL", &receiver.url)
        .env("WORKFLOW_ENGINE_WEBHOOK_SECRET", SECRET);
    cmd.envs(vars.iter().copied());
    Server::spawn(sb, cmd)
}

const FAILING_YAML: &str = "name: Breaks\nphases: [build]\nsteps:\n  - id: compile\n    name: Compile\n    phase: build\n    type: script\n    command: echo broken >&2; exit 3\n";

/// A project with the quick and the failing workflow; (token, project id).
async fn project(s: &Server) -> (String, String) {
    let ann = s.user("ann@example.com", false);
    let files = [("quick.yaml", QUICK_YAML), ("fail.yaml", FAILING_YAML)];
    let (project, _) = s.project(&ann, "alpha", &files).await;
    (ann, project)
}

/// Starts a run of `workflow` and waits for it to end; its id.
async fn run(s: &Server, token: &str, project: &str, workflow: &str, end: &str) -> String {
    let definition = s.definition_id(token, project, workflow).await;
    let body = json!({ "project_id": project, "workflow_definition_id": definition, "args": { "who": "x" }, "name": "Nightly" });
    let (status, created) = s.post(token, "/workflow-executions", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_string();
    s.wait_status(token, &id, &[end]).await;
    id
}

#[tokio::test]
async fn a_completed_run_is_posted_once_signed_with_its_link() {
    let receiver = Receiver::start(&[]).await;
    let s = server_for(&receiver, &[]);
    let (ann, project) = project(&s).await;
    let id = run(&s, &ann, &project, "Quick", "completed").await;
    let got = receiver.wait_for(1, 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "one notification: {got:?}");
    let post = &got[0];
    assert_eq!(post.header(":request"), "POST /hooks/we HTTP/1.1");
    assert_eq!(post.header("content-type"), "application/json");
    assert_eq!(post.header("x-workflow-engine-event"), "run.completed");
    assert_eq!(post.header("x-workflow-engine-delivery").len(), 36, "a uuid: {post:?}");
    assert!(post.signed_with(SECRET), "{post:?}");
    assert!(!post.signed_with("another secret"));
    let body = post.json();
    assert_eq!(body["event"], "run.completed");
    assert_eq!(
        body["run"],
        json!({ "id": id, "name": "Nightly", "status": "completed", "workflow": "Quick",
                "project_id": project, "project": "alpha" })
    );
    assert!(body.get("step").is_none(), "{body}");
    assert_eq!(body["title"], "Run Nightly completed");
    // No publicUrl: the server's own address.
    assert_eq!(body["url"], format!("{}/p/{project}/runs/{id}", s.base));
    let at = body["at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
}

const GATED_YAML: &str = "name: Gated\nphases: [plan, build]\nsteps:\n  - id: draft\n    phase: plan\n    type: script\n    command: echo plan\n  - id: approve-plan\n    name: Approve plan\n    phase: plan\n    type: approval\n    title: Approve the plan\n  - id: build\n    phase: build\n    type: script\n    command: \"true\"\n";

#[tokio::test]
async fn a_run_waiting_for_an_approval_is_posted_with_its_gate() {
    let receiver = Receiver::start(&[]).await;
    let s = server_for(&receiver, &[("WORKFLOW_ENGINE_PUBLIC_URL", "http://board.test")]);
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("gated.yaml", GATED_YAML)]).await;
    let id = run(&s, &ann, &project, "Gated", "waiting").await;
    let got = receiver.wait_for(1, 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "only the gate: {got:?}");
    let post = &got[0];
    assert!(post.signed_with(SECRET), "{post:?}");
    assert_eq!(post.header("x-workflow-engine-event"), "run.waiting");
    let body = post.json();
    assert_eq!(body["event"], "run.waiting");
    assert_eq!(body["run"]["id"], id.as_str());
    assert_eq!(body["run"]["status"], "waiting");
    assert_eq!(body["run"]["workflow"], "Gated");
    assert_eq!(body["step"]["key"], "approve-plan", "{body}");
    assert_eq!(body["step"]["name"], "Approve plan", "{body}");
    assert_eq!(body["step"]["title"], "Approve the plan", "{body}");
    let (_, view) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
    let gate = view["data"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["step_id"] == "approve-plan")
        .unwrap_or_else(|| panic!("{view}"))
        .clone();
    assert_eq!(body["step"]["id"], gate["id"], "the step row's id");
    assert_eq!(body["title"], "Approve the plan — run Nightly");
    assert_eq!(body["url"], format!("http://board.test/p/{project}/runs/{id}"));

    // Approved: the run goes on and completes, which is the next notification.
    let path = format!("/workflow-executions/{id}/approvals/approve-plan");
    let (status, decided) = s.post(&ann, &path, json!({ "decision": "approve" })).await;
    assert_eq!(status, 200, "{decided}");
    s.wait_status(&ann, &id, &["completed"]).await;
    let got = receiver.wait_for(2, 20).await;
    let done = got[1].json();
    assert_eq!(
        (done["event"].as_str(), done["run"]["id"].as_str()),
        (Some("run.completed"), Some(id.as_str()))
    );
    assert_ne!(
        got[1].header("x-workflow-engine-delivery"),
        got[0].header("x-workflow-engine-delivery"),
        "another notification, another delivery id"
    );
}

#[tokio::test]
async fn a_failed_run_is_posted_with_its_error_and_step() {
    let receiver = Receiver::start(&[]).await;
    // The file names the receiver and the board; the variables are not set.
    let sb = Sandbox::new();
    let config = sb.write(
        "engine.yaml",
        &format!(
            "publicUrl: https://board.example.com/\nnotifications:\n  url: {}\n  secret: {SECRET}\n",
            receiver.url
        ),
    );
    let mut cmd = sb.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.env("WORKFLOW_ENGINE_CONFIG", &config);
    let s = Server::spawn(sb, cmd);
    let (ann, project) = project(&s).await;
    let id = run(&s, &ann, &project, "Breaks", "failed").await;
    let got = receiver.wait_for(1, 20).await;
    let post = &got[0];
    assert!(post.signed_with(SECRET), "{post:?}");
    assert_eq!(post.header("x-workflow-engine-event"), "run.failed");
    let body = post.json();
    assert_eq!(body["event"], "run.failed");
    assert_eq!(body["run"]["status"], "failed");
    assert_eq!(body["run"]["workflow"], "Breaks");
    let error = body["run"]["error"].as_str().unwrap_or_else(|| panic!("{body}"));
    assert!(!error.is_empty(), "{body}");
    assert_eq!(body["step"]["key"], "compile", "{body}");
    assert_eq!(body["step"]["name"], "Compile", "{body}");
    assert!(body["step"]["id"].is_string(), "{body}");
    assert!(
        body["title"].as_str().unwrap().starts_with("Run Nightly failed: "),
        "{body}"
    );
    assert_eq!(body["url"], format!("https://board.example.com/p/{project}/runs/{id}"));
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_same_delivery_a_third_time() {
    let receiver = Receiver::start(&[Answer::Status(500), Answer::Status(503)]).await;
    let s = server_for(&receiver, &[]);
    let (ann, project) = project(&s).await;
    run(&s, &ann, &project, "Quick", "completed").await;
    let got = receiver.wait_for(3, 30).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "delivered on the third attempt, then no more"
    );
    let delivery = got[0].header("x-workflow-engine-delivery");
    for post in &got {
        assert_eq!(post.header("x-workflow-engine-delivery"), delivery);
        assert_eq!(post.body, got[0].body, "the same body each time");
        assert!(post.signed_with(SECRET));
    }
    // Backoff: 1 s, then 2 s.
    let first = got[1].at - got[0].at;
    let second = got[2].at - got[1].at;
    assert!(first >= Duration::from_millis(900), "{first:?}");
    assert!(second >= Duration::from_millis(1900), "{second:?}");
}

#[tokio::test]
async fn a_receiver_that_refuses_is_not_retried() {
    let receiver = Receiver::start(&[Answer::Status(400)]).await;
    let s = server_for(&receiver, &[]);
    let (ann, project) = project(&s).await;
    run(&s, &ann, &project, "Quick", "completed").await;
    receiver.wait_for(1, 20).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.received().len(), 1, "a 400 is final");
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_delay_runs() {
    let receiver = Receiver::start(&[Answer::Never; 8]).await;
    let s = server_for(&receiver, &[]);
    let (ann, project) = project(&s).await;
    let started = Instant::now();
    run(&s, &ann, &project, "Quick", "completed").await;
    receiver.wait_for(1, 10).await;
    // The first notification hangs (up to its 10 s timeout); the next runs do not wait for it.
    run(&s, &ann, &project, "Quick", "completed").await;
    run(&s, &ann, &project, "Breaks", "failed").await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(8), "three runs took {took:?}");
    let got = receiver.wait_for(3, 5).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "each is sent at once, none waits for another"
    );
    let mut events: Vec<String> = got
        .iter()
        .map(|r| r.json()["event"].as_str().unwrap().to_string())
        .collect();
    events.sort();
    assert_eq!(events, ["run.completed", "run.completed", "run.failed"]);
}

#[test]
fn the_terminal_run_notifies_too() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let receiver = rt.block_on(Receiver::start(&[]));
    let sb = Sandbox::new();
    let file = sb.write("quick.yaml", QUICK_YAML);
    let out = sb
        .cmd(&["run", file.to_str().unwrap(), "--arg", "who=me"])
        .env("WORKFLOW_ENGINE_WEBHOOK_URL", &receiver.url)
        .env("WORKFLOW_ENGINE_WEBHOOK_SECRET", SECRET)
        .env("WORKFLOW_ENGINE_PUBLIC_URL", "http://we.internal:4820")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = run_id(&out);
    // Sent before the command exited.
    let got = receiver.received();
    assert_eq!(got.len(), 1, "{}", stderr(&out));
    assert!(got[0].signed_with(SECRET));
    let body = got[0].json();
    assert_eq!(body["event"], "run.completed");
    assert_eq!(body["run"]["id"], id.as_str());
    let project = body["run"]["project_id"].as_str().unwrap();
    assert_eq!(body["url"], format!("http://we.internal:4820/p/{project}/runs/{id}"));
}

/// What `serve` says and its exit code, with `vars` and an optional configuration file.
fn refused_start(file: Option<&str>, vars: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let sb = Sandbox::new();
    let config = file.map(|text| sb.write("engine.yaml", text));
    let mut cmd = sb.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    if let Some(config) = &config {
        cmd.env("WORKFLOW_ENGINE_CONFIG", config);
    }
    cmd.envs(vars.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    wait_until(20, "serve to refuse to start", || child.try_wait().unwrap().is_some());
    let out = child.wait_with_output().unwrap();
    let path = config.map(|c| c.display().to_string()).unwrap_or_default();
    (out.status.code(), stderr(&out), path)
}

#[test]
fn a_bad_webhook_configuration_stops_the_start_naming_the_field() {
    let (code, err, file) = refused_start(Some("notifications:\n  url: http://hooks.example.com/x\n"), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "error: {file}: notifications.secret: required when a webhook URL is set"
        )),
        "{err}"
    );
    let (code, err, file) = refused_start(Some("notifications:\n  url: hooks.example.com\n  secret: s\n"), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "error: {file}: notifications.url: 'hooks.example.com' is not an http:// URL"
        )),
        "{err}"
    );
    let (code, err, _) = refused_start(
        None,
        &[
            ("WORKFLOW_ENGINE_WEBHOOK_URL", "https://hooks.slack.com/services/x"),
            ("WORKFLOW_ENGINE_WEBHOOK_SECRET", "s"),
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "error: WORKFLOW_ENGINE_WEBHOOK_URL: 'https://hooks.slack.com/services/x': https is not supported"
        ),
        "{err}"
    );
}
