//! Definition files that once took the process or the API down: nesting that overflowed the
//! stack, a module that never finishes loading, a file big enough to show quadratic parsing.
//! Each must fail (or load) on its own, located, while everything else keeps working.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::server_util::*;
use crate::util::*;

/// `argsSchema:` then 5,000 nested `- `: 10 KB that overflowed the stack.
fn nested_lists() -> String {
    format!(
        "name: Deep\nphases: [a]\nsteps: [{{id: s, phase: a, type: script, command: x}}]\nargsSchema:\n{}x\n",
        "- ".repeat(5_000)
    )
}

/// Mappings nested 2,500 deep.
fn nested_mappings() -> String {
    let mut text =
        String::from("name: Deeper\nphases: [a]\nsteps: [{id: s, phase: a, type: script, command: x}]\nargsSchema:\n");
    for level in 0..2_500 {
        text += &format!("{}k{level}:\n", " ".repeat(level + 1));
    }
    text
}

/// A module whose top-level code never ends.
const LOOP_TS: &str = "while (true) {}\nexport default {};\n";

/// Runs `cmd`, failing the test (not hanging it) if it takes longer than `limit`.
pub fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Starts `serve` with `env`, failing the test if it does not listen within `limit`.
fn serve_within(sb: Sandbox, env: &[(&str, &str)], limit: Duration) -> Server {
    let mut cmd = sb.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("start the server");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let Ok(line) = rx.recv_timeout(limit) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not listen within {limit:?}");
    };
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"));
    Server {
        sb,
        child,
        base: base.to_string(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    }
}

async fn definitions(s: &Server, token: &str, project: &str) -> Vec<Value> {
    let (status, body) = s
        .get(token, &format!("/workflow-definitions?project_id={project}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// The definition named `name`, once discovery has recorded it (`ready` says when).
async fn definition_when(s: &Server, token: &str, project: &str, name: &str, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let found = definitions(s, token, project)
            .await
            .into_iter()
            .find(|d| d["name"] == name);
        if let Some(d) = found.filter(|d| ready(d)) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "definition {name} never ready: {:?}",
        definitions(s, token, project).await
    );
}

#[test]
fn validate_reports_deep_nesting_at_its_line_instead_of_crashing() {
    let sb = Sandbox::new();
    for (file, text, at) in [
        ("lists.yaml", nested_lists(), "lists.yaml:5:127:"),
        ("maps.yaml", nested_mappings(), "maps.yaml:68:"),
    ] {
        let text = sb.refused_by_validate(&sb.write(file, &text));
        assert!(text.contains(at), "{text}");
        assert!(text.contains("nested more than 64 levels deep"), "{text}");
    }
}

#[tokio::test]
async fn the_server_survives_deeply_nested_files_and_lists_the_rest() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let files = [("quick.yaml", QUICK_YAML), ("deep.yaml", &nested_lists()[..])];
    let (project, dir) = s.project(&ann, "alpha", &files).await;
    let deep = definition_when(&s, &ann, &project, "deep", |_| true).await;
    let error = &deep["load_error"]["errors"][0];
    assert_eq!(
        (&error["location"]["line"], &error["location"]["column"]),
        (&json!(5), &json!(127))
    );
    definition_when(&s, &ann, &project, "Quick", |d| d["load_error"].is_null()).await;
    // The watcher reads a file added later the same way.
    std::fs::write(dir.join(".agent/workflows/definitions/deeper.yaml"), nested_mappings()).unwrap();
    let deeper = definition_when(&s, &ann, &project, "deeper", |_| true).await;
    assert!(deeper["load_error"]["message"]
        .as_str()
        .unwrap()
        .contains("nested more than 64"));
    let (status, _) = s.get(&ann, "/projects").await;
    assert_eq!(status, 200);
}

#[test]
fn validate_stops_a_module_that_never_finishes_loading() {
    let sb = Sandbox::new();
    let file = sb.write("loop.ts", LOOP_TS);
    let mut cmd = sb.cmd(&["validate", file.to_str().unwrap()]);
    cmd.env("WORKFLOW_ENGINE_LOAD_TIMEOUT", "1s");
    let out = output_within(cmd, Duration::from_secs(20));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    let expected = format!("{}:1:1: loading the workflow took longer than 1s", file.display());
    assert!(text.contains(&expected), "{text}");
    let bad = sb.run(&["validate", "--load-timeout", "soon", file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("invalid duration 'soon'"), "{}", stderr(&bad));
}

#[tokio::test]
async fn a_module_that_never_loads_does_not_hold_up_the_server() {
    let s = serve_within(
        Sandbox::new(),
        &[("WORKFLOW_ENGINE_LOAD_TIMEOUT", "1s")],
        Duration::from_secs(20),
    );
    let ann = s.user("ann@example.com", false);
    let started = Instant::now();
    let (project, _) = s
        .project(&ann, "alpha", &[("loop.ts", LOOP_TS), ("quick.yaml", QUICK_YAML)])
        .await;
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let looping = definition_when(&s, &ann, &project, "loop", |_| true).await;
    let message = looping["load_error"]["message"].as_str().unwrap();
    assert!(message.contains("took longer than 1s"), "{message}");
    assert_eq!(looping["load_error"]["errors"][0]["location"]["line"], 1);
    // Restarted with a limit longer than the test, the server listens and answers at once
    // while the module is being loaded again in the background.
    let sb = s.kill();
    let s = serve_within(sb, &[("WORKFLOW_ENGINE_LOAD_TIMEOUT", "10m")], Duration::from_secs(10));
    let (beta, _) = s.project(&ann, "beta", &[("quick.yaml", QUICK_YAML)]).await;
    definition_when(&s, &ann, &beta, "Quick", |d| d["load_error"].is_null()).await;
    assert_eq!(definitions(&s, &ann, &project).await.len(), 2);
}

/// A valid YAML workflow of `steps` script steps, each referring to the step before.
fn many_steps(steps: usize) -> String {
    let mut text = String::from("name: Big\nphases: [a, b]\nsteps:\n");
    text += "  - id: s0\n    phase: a\n    type: script\n    command: echo start\n";
    for i in 1..steps {
        let command = format!("echo {{{{ steps.s{}.status }}}}", i - 1);
        text += &format!("  - id: s{i}\n    phase: b\n    type: script\n    command: {command}\n");
    }
    text
}

fn time_validate(sb: &Sandbox, steps: usize) -> Duration {
    let file = sb.write(&format!("big{steps}.yaml"), &many_steps(steps));
    let started = Instant::now();
    let out = output_within(sb.cmd(&["validate", file.to_str().unwrap()]), Duration::from_secs(120));
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("{steps} steps")), "{}", stdout(&out));
    elapsed
}

#[test]
fn parsing_grows_linearly_with_the_number_of_steps() {
    let sb = Sandbox::new();
    let small = time_validate(&sb, 2_000);
    let big = time_validate(&sb, 20_000);
    // Ten times the steps: linear is about ten times (less, with the process start); the
    // quadratic parser took a hundred times.
    assert!(
        big < small * 30 + Duration::from_secs(1),
        "2,000 steps: {small:?}, 20,000: {big:?}"
    );
}

#[tokio::test]
async fn a_big_file_is_read_off_the_request_path() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
    std::fs::write(dir.join(".agent/workflows/definitions/big.yaml"), many_steps(20_000)).unwrap();
    // While the watcher reads it, every request answers promptly.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let asked = Instant::now();
        let (status, _) = s.get(&ann, "/projects").await;
        assert_eq!(status, 200);
        assert!(asked.elapsed() < Duration::from_secs(1), "{:?}", asked.elapsed());
    }
    let big = definition_when(&s, &ann, &project, "Big", |_| true).await;
    assert!(big["load_error"].is_null(), "{big}");
    let (_, detail) = s
        .get(&ann, &format!("/workflow-definitions/{}", big["id"].as_str().unwrap()))
        .await;
    assert_eq!(detail["data"]["steps"].as_array().unwrap().len(), 20_000);
}
