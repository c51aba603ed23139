//! Pause now (`POST .../pause` with `{ "now": true }`, `workflow-engine pause RUN --now`): the
//! steps in flight are stopped (an agent interrupted first, so that it keeps its session),
//! recorded as interrupted, and run again on resume; the run ends `paused`. A pending pause
//! is overtaken by a pause-now and by a cancel; a bad pause body is a 400.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::agents::{alive, read_pid, report, AgentBox};
use crate::server_util::*;
use crate::util::*;

/// A long first step (60 s on its first attempt, at once on the next, which finds `runs.txt`
/// with two lines) that writes its pid, then a short second one.
fn long_then_short(name: &str) -> String {
    let long = "echo run >> runs.txt; if [ \"$(wc -l < runs.txt)\" -lt 2 ]; then echo $$ > long.pid; exec sleep 60; fi";
    format!(
        "name: {name}\nphases: [a]\nsteps:\n  - id: long\n    phase: a\n    type: script\n    command: {}\n  - id: after\n    phase: a\n    type: script\n    command: echo after >> side.txt\n",
        serde_json::to_string(long).unwrap()
    )
}

/// Starts a run of `def` through the API and waits until its long step has started.
async fn start_long(s: &Server, token: &str, project: &str, def: &str, dir: &std::path::Path) -> String {
    let _ = std::fs::remove_file(dir.join("long.pid"));
    let (status, body) = s
        .post(
            token,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let pid = dir.join("long.pid");
    wait_until(20, "the long step to start", || {
        std::fs::read_to_string(&pid).is_ok_and(|p| p.ends_with('\n'))
    });
    id
}

#[tokio::test]
async fn pause_now_through_the_api_stops_the_script_in_flight_and_resume_runs_it_again() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s
        .project(&ann, "alpha", &[("long.yaml", &long_then_short("Long"))])
        .await;
    let def = s.definition_id(&ann, &project, "Long").await;
    let id = start_long(&s, &ann, &project, &def, &dir).await;
    let pid = read_pid(&dir.join("long.pid"));

    let started = Instant::now();
    let (status, body) = s
        .post(
            &ann,
            &format!("/workflow-executions/{id}/pause"),
            json!({ "now": true }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "paused", "{body}");
    assert!(body["data"]["paused_at"].is_string(), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "paused in {:?}, well before the step would end",
        started.elapsed()
    );
    wait_until(5, "the script's process to die", || !alive(pid));

    let (_, run) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
    let run = &run["data"];
    assert_eq!(run["status"], "paused", "{run}");
    assert!(run["error_message"].is_null(), "a pause is not a failure: {run}");
    assert_eq!(run["steps"].as_array().unwrap().len(), 1, "the next step did not start");
    let long = run_step(run, "long");
    assert_eq!(
        (long["status"].as_str(), long["error_message"].as_str()),
        (Some("failed"), Some("interrupted by pause now")),
        "{long}"
    );
    assert!(!dir.join("side.txt").exists());

    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let done = s.wait_status(&ann, &id, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(std::fs::read_to_string(dir.join("runs.txt")).unwrap(), "run\nrun\n");
    assert_eq!(std::fs::read_to_string(dir.join("side.txt")).unwrap(), "after\n");
    let rows = steps(&s.sb.store().await, &id).await;
    let long = rows.iter().find(|r| r.step_id == "long").unwrap();
    assert_eq!((long.status.as_str(), long.attempt), ("completed", 2), "{long:?}");
}

#[tokio::test]
async fn a_pending_pause_is_overtaken_by_cancel_and_by_pause_now() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s
        .project(&ann, "alpha", &[("long.yaml", &long_then_short("Long"))])
        .await;
    let def = s.definition_id(&ann, &project, "Long").await;

    // A drain pause waits for the long step; a cancel does not wait with it.
    let id = start_long(&s, &ann, &project, &def, &dir).await;
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/pause"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["data"]["status"].as_str(),
            body["data"]["pause_requested"].as_bool()
        ),
        (Some("running"), Some(true)),
        "{body}"
    );
    let started = Instant::now();
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "cancelled", "{body}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let rows = steps(&s.sb.store().await, &id).await;
    assert_eq!(rows[0].status, "failed");
    assert_ne!(rows[0].error_message.as_deref(), Some("interrupted by pause now"));

    // A drain pause waits for the long step; a pause-now stops it.
    std::fs::remove_file(dir.join("runs.txt")).unwrap();
    let id = start_long(&s, &ann, &project, &def, &dir).await;
    let (_, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/pause"), json!({}))
        .await;
    assert_eq!(body["data"]["pause_requested"], true, "{body}");
    let (_, run) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
    assert_eq!(run["data"]["pause_requested"], true, "{run}");
    let started = Instant::now();
    let (status, body) = s
        .post(
            &ann,
            &format!("/workflow-executions/{id}/pause"),
            json!({ "now": true }),
        )
        .await;
    assert_eq!(
        (status, body["data"]["status"].as_str()),
        (200, Some("paused")),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let rows = steps(&s.sb.store().await, &id).await;
    assert_eq!(rows[0].error_message.as_deref(), Some("interrupted by pause now"));
    // A paused run is cancelled directly.
    let (_, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/cancel"), json!({}))
        .await;
    assert_eq!(body["data"]["status"], "cancelled", "{body}");
}

#[tokio::test]
async fn a_bad_pause_body_is_a_400_naming_the_field_and_no_body_is_the_usual_pause() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, dir) = s
        .project(&ann, "alpha", &[("long.yaml", &long_then_short("Long"))])
        .await;
    let def = s.definition_id(&ann, &project, "Long").await;
    let id = start_long(&s, &ann, &project, &def, &dir).await;
    let path = format!("/workflow-executions/{id}/pause");
    for (bad, names) in [
        (json!({ "now": "yes" }), "now"),
        (json!({ "now": true, "later": 1 }), "later"),
        (json!("now"), "expected struct PauseBody"),
    ] {
        let (status, body) = s.post(&ann, &path, bad.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_body")),
            "{bad}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{bad}: {message}");
    }
    let garbage = s
        .http
        .post(s.url(&path))
        .bearer_auth(&ann)
        .header("content-type", "application/json")
        .body("{now")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    let (_, run) = s.get(&ann, &format!("/workflow-executions/{id}")).await;
    assert_eq!(
        (run["data"]["status"].as_str(), run["data"]["pause_requested"].as_bool()),
        (Some("running"), Some(false)),
        "a refused body asked for nothing: {run}"
    );
    // No body at all: the pause that waits for the step in flight.
    let r = s.http.post(s.url(&path)).bearer_auth(&ann).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["pause_requested"], true, "{body}");
    let (_, body) = s
        .post(&ann, &format!("/workflow-executions/{id}/cancel"), json!({}))
        .await;
    assert_eq!(body["data"]["status"], "cancelled", "{body}");
}

/// `workflow-engine run <file>` in a process group of its own, and the run id it prints first.
fn run_in_background(mut cmd: std::process::Command) -> (Child, String) {
    use std::os::unix::process::CommandExt;
    let mut child = cmd.stdout(Stdio::piped()).process_group(0).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let id = first
        .trim()
        .strip_prefix("run ")
        .unwrap_or_else(|| panic!("not a run id: {first}"))
        .to_string();
    (child, id)
}

/// Kills what a failed test left running.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // SAFETY: our child, not yet reaped, leads its own process group.
            unsafe { libc::killpg(self.0.id() as i32, libc::SIGKILL) };
            let _ = self.0.wait();
        }
    }
}

#[tokio::test]
async fn cli_pause_now_stops_the_step_in_flight_and_resume_says_it_runs_again() {
    let sb = Sandbox::new();
    let file = sb.write("long.yaml", &long_then_short("Long"));
    let (child, id) = run_in_background(sb.cmd(&["run", file.to_str().unwrap()]));
    let mut driven = Reaped(child);
    let pid_file = sb.project().join("long.pid");
    wait_until(20, "the long step to start", || {
        std::fs::read_to_string(&pid_file).is_ok_and(|p| p.ends_with('\n'))
    });
    let pid = read_pid(&pid_file);

    // A drain pause first: it waits for the step, and says so.
    let pending = sb.run(&["pause", &id]);
    assert!(pending.status.success(), "{}", stderr(&pending));
    assert_eq!(
        stdout(&pending),
        format!("run {id}: pause requested; it pauses when the steps in flight finish\n")
    );
    // Pause now overtakes it.
    let started = Instant::now();
    let paused = sb.run(&["pause", &id, "--now"]);
    assert!(paused.status.success(), "{}", stderr(&paused));
    assert_eq!(stdout(&paused), format!("run {id} paused\n"));
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert_eq!(driven.0.wait().unwrap().code(), Some(130));
    assert!(!alive(pid), "the script was stopped");
    let rows = steps(&sb.store().await, &id).await;
    assert_eq!(rows.len(), 1, "the next step did not start");
    assert_eq!(
        (rows[0].status.as_str(), rows[0].error_message.as_deref()),
        ("failed", Some("interrupted by pause now"))
    );

    let resumed = sb.run(&["resume", &id]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    let out = stdout(&resumed);
    assert!(
        out.contains("step \"long\" was interrupted; it runs again (attempt 2)"),
        "{out}"
    );
    assert_eq!(run_row(&sb.store().await, &id).await.status.as_str(), "completed");
    assert_eq!(
        std::fs::read_to_string(sb.project().join("side.txt")).unwrap(),
        "after\n"
    );
}

#[tokio::test]
async fn cli_cancel_overtakes_a_pending_pause() {
    let sb = Sandbox::new();
    let file = sb.write("long.yaml", &long_then_short("Long"));
    let (child, id) = run_in_background(sb.cmd(&["run", file.to_str().unwrap()]));
    let mut driven = Reaped(child);
    let pid_file = sb.project().join("long.pid");
    wait_until(20, "the long step to start", || {
        std::fs::read_to_string(&pid_file).is_ok_and(|p| p.ends_with('\n'))
    });
    let pending = sb.run(&["pause", &id, "--json"]);
    let pending: Value = serde_json::from_str(&stdout(&pending)).unwrap();
    assert_eq!(pending["pause_requested"], true, "{pending}");
    let started = Instant::now();
    let cancelled = sb.run(&["cancel", &id]);
    assert_eq!(
        stdout(&cancelled),
        format!("run {id} cancelled\n"),
        "{}",
        stderr(&cancelled)
    );
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert_eq!(driven.0.wait().unwrap().code(), Some(130));
    assert!(!sb.project().join("side.txt").exists());
}

#[tokio::test]
async fn pause_now_interrupts_an_agent_and_resume_continues_its_session() {
    let abox = AgentBox::new();
    let gate = abox.sb.project().join("gate");
    let file = abox.one_step("gated", "claude", "[scenario:gate] build it", "onInterrupt: resume");
    let mut cmd = abox.cmd(&["run", file.to_str().unwrap()]);
    cmd.env("FAKE_AGENT_GATE", &gate);
    let (child, id) = run_in_background(cmd);
    let mut driven = Reaped(child);
    let store = abox.sb.store().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row: Option<(bool,)> = db(&store)
            .await
            .optional("SELECT resumable FROM agent_sessions", &[])
            .await;
        if row.is_some_and(|r| r.0) {
            break;
        }
        assert!(Instant::now() < deadline, "the session never became resumable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let paused = abox.run(&["pause", &id, "--now"]);
    assert_eq!(stdout(&paused), format!("run {id} paused\n"), "{}", stderr(&paused));
    assert_eq!(driven.0.wait().unwrap().code(), Some(130));
    let signals = std::fs::read_to_string(abox.record_dir().join("claude.signals")).unwrap_or_default();
    assert_eq!(signals.trim(), "SIGINT", "interrupted like Ctrl-C, and that was enough");
    let first = abox.records("claude")[0]["pid"].as_i64().unwrap() as i32;
    assert!(!alive(first));
    let rows = steps(&store, &id).await;
    assert_eq!(
        (rows[0].status.as_str(), rows[0].error_message.as_deref()),
        ("failed", Some("interrupted by pause now"))
    );

    std::fs::write(&gate, "").unwrap();
    let out = abox
        .cmd(&["resume", &id])
        .env("FAKE_AGENT_GATE", &gate)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("step \"ask\" was interrupted; it runs again (attempt 2)"),
        "{}",
        stdout(&out)
    );
    let r = report(&abox, &out).await;
    assert_eq!(r.status, "completed");
    let session_id = r.session.as_ref().unwrap().session_id.clone().unwrap();
    let records = abox.records("claude");
    assert_eq!(records.len(), 2);
    let argv: Vec<&str> = records[1]["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        argv.windows(2).any(|w| w == ["--resume", session_id.as_str()]),
        "{argv:?} does not continue {session_id}"
    );
    let prompt = records[1]["prompt"].as_str().unwrap();
    assert!(
        prompt.starts_with("Your previous session on this task was interrupted"),
        "{prompt}"
    );
    assert_eq!(r.result["data"]["resumed"], true);
    let sessions = db(&store).await.count("SELECT COUNT(*) FROM agent_sessions", &[]).await;
    assert_eq!(sessions, 1, "the same session row, continued");
}

#[tokio::test]
async fn pause_now_of_a_typescript_run_stops_its_function_and_script_steps_and_resume_runs_both_again() {
    use workflow_engine::engine::{Engine, EngineConfig, RunControl};
    let sb = Sandbox::new();
    let file = sb.write(
        "both.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Both", phases: ["p"], async execute(ctx) {
  const wait = "while [ ! -e go ]; do sleep 0.05; done";
  await Promise.all([
    ctx.step("think", { type: "function", fn: async () => {
      await ctx.exec("echo think >> started.txt");
      const r = await ctx.exec("test -e go && echo go || echo wait");
      if (r.stdout.trim() !== "go") await new Promise((resolve) => setTimeout(resolve, 60000));
      return { thought: true };
    } }),
    ctx.step("build", { type: "script", continueOnError: true,
      command: `echo build >> started.txt; ${wait}; echo built` }),
  ]);
  await ctx.step("after", { type: "script", command: "echo after >> side.txt" });
} });"#,
    );
    let engine = Engine::new(sb.store().await, EngineConfig::new(BIN.into()));
    let prepared = engine.prepare(&file, &sb.project()).await.unwrap();
    let definition = prepared.definition.clone();
    let run = engine
        .create_run(&definition, &sb.project(), json!({}), None, None, None)
        .await
        .unwrap();
    let control = RunControl::default();
    let (pauser, started) = (control.clone(), sb.project().join("started.txt"));
    tokio::spawn(async move {
        while std::fs::read_to_string(&started).map_or(0, |s| s.lines().count()) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        pauser.pause_now();
    });
    let begun = Instant::now();
    let outcome = engine.execute(&run.id, Some(prepared), control).await.unwrap();
    assert_eq!((outcome.status.as_str(), outcome.error), ("paused", None));
    assert!(begun.elapsed() < Duration::from_secs(20), "{:?}", begun.elapsed());
    let rows = steps(engine.store(), &run.id).await;
    let seen: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.step_id.as_str(), r.status.as_str(), r.error_message.as_deref()))
        .collect();
    let interrupted = Some("interrupted by pause now");
    assert_eq!(
        seen,
        [("think", "failed", interrupted), ("build", "failed", interrupted)],
        "both stopped, the next step not started"
    );
    let kept = db(engine.store())
        .await
        .count(
            "SELECT COUNT(*) FROM workflow_run_steps WHERE continue_on_error = TRUE",
            &[],
        )
        .await;
    assert_eq!(
        kept, 0,
        "a stopped step is not accepted by continueOnError: it runs again"
    );

    sb.write("go", "");
    let resumed = engine.execute(&run.id, None, RunControl::default()).await.unwrap();
    assert_eq!(resumed.status.as_str(), "completed", "{resumed:?}");
    let rows = steps(engine.store(), &run.id).await;
    let seen: Vec<(&str, &str, i64)> = rows
        .iter()
        .map(|r| (r.step_id.as_str(), r.status.as_str(), r.attempt))
        .collect();
    assert_eq!(
        seen,
        [
            ("think", "completed", 2),
            ("build", "completed", 2),
            ("after", "completed", 1)
        ]
    );
    assert_eq!(
        std::fs::read_to_string(sb.project().join("side.txt")).unwrap(),
        "after\n"
    );
}
