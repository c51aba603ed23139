//! Timeouts that stop the whole process group, and resume after a crash: a fresh start, or
//! the agent's own session continued with `onInterrupt: resume`.

use std::time::{Duration, Instant};

use super::{alive, read_pid, report, AgentBox, AGENTS};
use crate::util::{run_id, stderr, wait_until};

#[tokio::test]
async fn a_timeout_stops_the_agent_and_everything_it_started() {
    for agent in AGENTS {
        let abox = AgentBox::new();
        let file = abox.one_step("hang", agent, "[scenario:hang] wait", "timeout: 1s");
        let started = Instant::now();
        let out = abox.run(&["run", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{agent}: {}", stderr(&out));
        let r = report(&abox, &out).await;
        assert_eq!(r.result["data"]["errorKind"], "timed_out", "{agent}");
        assert_eq!(
            r.error.as_deref(),
            Some(format!("{agent} timed out after 1.0s").as_str())
        );
        let grandchild = read_pid(&abox.record_dir().join(format!("{agent}.grandchild.pid")));
        let pid = read_pid(&abox.record_dir().join(format!("{agent}.pid")));
        assert!(!alive(grandchild), "{agent}: the agent's child survived");
        assert!(!alive(pid), "{agent}: the agent survived");
        let signals = std::fs::read_to_string(abox.record_dir().join(format!("{agent}.signals"))).unwrap_or_default();
        if agent != "gemini" {
            // Gemini has no handler: SIGINT ends it before it can write anything.
            assert_eq!(signals.trim(), "SIGINT", "{agent}: interrupted first, like Ctrl-C");
        }
        assert!(started.elapsed() < Duration::from_secs(4), "{agent}: SIGINT was enough");
        let session = r.session.expect("the session was recorded before the hang");
        assert_eq!(session.error_kind.as_deref(), Some("timed_out"));
    }
}

#[tokio::test]
async fn an_agent_that_ignores_interrupt_and_terminate_is_killed() {
    let abox = AgentBox::new();
    let file = abox.one_step("stubborn", "claude", "[scenario:hang_stubborn] wait", "timeout: 500ms");
    let out = abox.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let signals = std::fs::read_to_string(abox.record_dir().join("claude.signals")).unwrap();
    assert_eq!(signals.split_whitespace().collect::<Vec<_>>(), ["SIGINT", "SIGTERM"]);
    assert!(!alive(read_pid(&abox.record_dir().join("claude.pid"))));
    assert!(!alive(read_pid(&abox.record_dir().join("claude.grandchild.pid"))));
}

/// Runs a gated agent step, kills the engine once the session is resumable, then resumes.
async fn crash_and_resume(
    agent: &str,
    on_interrupt: Option<&str>,
    before_resume: impl FnOnce(&AgentBox),
) -> (AgentBox, super::StepReport) {
    let abox = AgentBox::new();
    let gate = abox.sb.project().join("gate");
    let extra = on_interrupt.map(|o| format!("onInterrupt: {o}")).unwrap_or_default();
    let file = abox.one_step("gated", agent, "[scenario:gate] build it", &extra);
    let mut child = abox
        .cmd(&["run", file.to_str().unwrap()])
        .env("FAKE_AGENT_GATE", &gate)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let store = abox.sb.store().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row: Option<(bool,)> = crate::util::db(&store)
            .await
            .optional("SELECT resumable FROM agent_sessions", &[])
            .await;
        if row.is_some_and(|r| r.0) {
            break;
        }
        assert!(Instant::now() < deadline, "{agent}: the session never became resumable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let id = run_id(&out);
    let first = abox.records(agent)[0]["pid"].as_i64().unwrap() as i32;
    wait_until(10, "the agent to die with the engine", || !alive(first));
    std::fs::write(&gate, "").unwrap();
    before_resume(&abox);
    let out = abox
        .cmd(&["resume", &id])
        .env("FAKE_AGENT_GATE", &gate)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{agent}: {}", stderr(&out));
    let r = report(&abox, &out).await;
    (abox, r)
}

#[tokio::test]
async fn on_interrupt_resume_continues_the_agent_s_own_session() {
    for agent in AGENTS {
        let (abox, r) = crash_and_resume(agent, Some("resume"), |_| {}).await;
        let records = abox.records(agent);
        assert_eq!(records.len(), 2, "{agent}");
        let session_id = r.session.as_ref().unwrap().session_id.clone().unwrap();
        let argv: Vec<String> = records[1]["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let flag = if agent == "codex" { "resume" } else { "--resume" };
        assert!(
            argv.windows(2).any(|w| w[0] == flag && w[1] == session_id),
            "{agent}: {argv:?} does not continue {session_id}"
        );
        let prompt = records[1]["prompt"].as_str().unwrap();
        assert!(
            prompt.starts_with("Your previous session on this task was interrupted"),
            "{prompt}"
        );
        assert!(prompt.contains("build it"), "{prompt}");
        let data = &r.result["data"];
        assert_eq!(
            (data["resumed"].as_bool(), data["sessionId"].as_str()),
            (Some(true), Some(session_id.as_str()))
        );
        let store = abox.sb.store().await;
        let sessions = crate::util::db(&store)
            .await
            .count("SELECT COUNT(*) FROM agent_sessions", &[])
            .await;
        assert_eq!(sessions, 1, "{agent}: the same session row, continued");
        assert_eq!(r.session.unwrap().status.as_str(), "completed");
    }
}

#[tokio::test]
async fn by_default_an_interrupted_agent_step_starts_over() {
    let (abox, r) = crash_and_resume("claude", None, |_| {}).await;
    let records = abox.records("claude");
    assert_eq!(records.len(), 2);
    let argv = records[1]["argv"].to_string();
    assert!(!argv.contains("--resume"), "{argv}");
    assert_eq!(records[1]["prompt"], "[scenario:gate] build it");
    assert_eq!(r.result["data"]["resumed"], false);
    assert_ne!(
        records[0]["pid"], records[1]["pid"],
        "a second process ran the step again"
    );
}

#[tokio::test]
async fn a_session_the_cli_cannot_resume_starts_over() {
    let (abox, r) = crash_and_resume("claude", Some("resume"), |abox| {
        std::fs::remove_dir_all(abox.home().join(".claude/projects")).unwrap();
    })
    .await;
    let records = abox.records("claude");
    assert_eq!(records.len(), 3, "the crashed run, the refused resume, the fresh start");
    assert!(records[1]["argv"].to_string().contains("--resume"));
    assert!(!records[2]["argv"].to_string().contains("--resume"));
    assert_eq!(records[2]["prompt"], "[scenario:gate] build it");
    assert_eq!(r.status, "completed");
    assert_eq!(r.result["data"]["resumed"], false);
    let store = abox.sb.store().await;
    let statuses: Vec<(String,)> = crate::util::db(&store)
        .await
        .all("SELECT status FROM agent_sessions ORDER BY created_at", &[])
        .await;
    let statuses: Vec<&str> = statuses.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        statuses,
        ["failed", "completed"],
        "the old session is closed, the new one linked"
    );
}

#[tokio::test]
async fn a_timeout_bounds_the_retries_and_their_waits() {
    // Always 429, with waits of 0.4, 0.8, 1.6, 3.2 and 6.4 s between six tries: a wait that
    // would pass the 2 s timeout is not started, and the step ends as timed out.
    let abox = AgentBox::new();
    let file = abox.one_step("limited", "claude", "[scenario:rate_limit] go", "timeout: 2s");
    let started = Instant::now();
    let out = abox.run_file(
        &file,
        &[
            ("WORKFLOW_ENGINE_AGENT_ATTEMPTS", "6"),
            ("WORKFLOW_ENGINE_AGENT_RETRY_DELAY", "400ms"),
        ],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = report(&abox, &out).await;
    assert_eq!(r.result["data"]["errorKind"], "timed_out", "{:?}", r.error);
    let error = r.error.unwrap_or_default();
    assert!(error.starts_with("claude timed out"), "{error}");
    let tries = r.result["data"]["attempts"].as_u64().unwrap();
    assert!(tries < 6, "{tries} tries: the waits went past the timeout");
    // A try the deadline stops while node is still starting leaves no record.
    let recorded = abox.records("claude").len() as u64;
    assert!(
        recorded == tries || recorded + 1 == tries,
        "{recorded} recorded, {tries} tries"
    );
    if !error.starts_with("claude timed out after") {
        // No time left to wait: the message says so, and why the last try failed.
        assert!(
            error.contains("2.0s timeout") && error.contains("rate_limit"),
            "{error}"
        );
    }
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

#[tokio::test]
async fn a_try_after_a_retry_wait_gets_only_the_time_left() {
    // One 429, a 1 s wait, then an agent that hangs: it is stopped 2 s after the step began,
    // not 2 s after its own start.
    let abox = AgentBox::new();
    let file = abox.one_step("late", "claude", "[scenario:flaky] go", "timeout: 2s");
    let out = abox.run_file(
        &file,
        &[
            ("WORKFLOW_ENGINE_AGENT_RETRY_DELAY", "1s"),
            ("FAKE_AGENT_FLAKY_FAILS", "1"),
            ("FAKE_AGENT_FLAKY_THEN", "hang"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = report(&abox, &out).await;
    assert_eq!(r.result["data"]["errorKind"], "timed_out");
    assert_eq!(r.error.as_deref(), Some("claude timed out after 2.0s"));
    assert_eq!(r.result["data"]["attempts"], 2);
    let store = abox.sb.store().await;
    let (started, completed): (String, String) = crate::util::db(&store)
        .await
        .one(
            "SELECT started_at, completed_at FROM workflow_run_steps WHERE workflow_run_id = ?",
            &[(&r.run_id).into()],
        )
        .await;
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let took = (at(&completed) - at(&started)).to_std().unwrap();
    // Without the bound: the first try, the 1 s wait, then 2 s more.
    assert!(took < Duration::from_millis(2900), "the step took {took:?}");
    assert!(!alive(read_pid(&abox.record_dir().join("claude.grandchild.pid"))));
}
