//! Budgets for agent spend, through the real binary with the stand-in claude reporting its
//! cost and usage: a run budget stopping an agent loop before the next agent starts and being
//! raised through the API, a step's `maxTokens` stopping its agent mid-step and the agent
//! resuming its session when the CLI continues it, a run budget from `run --budget` and a
//! cancel while the run waits on its budget, and bad budgets refused where they are written.

use serde_json::{json, Value};

use crate::agents::AgentBox;
use crate::server_util::{run_step, Server};
use crate::util::*;

/// Five agent steps in a loop; each claude session costs $0.0421.
const LOOP_TS: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";

export default defineWorkflow({
  name: "Agent loop",
  phases: ["work"],
  budget: { usd: 0.1 },
  async execute(ctx) {
    for (let i = 1; i <= 5; i++) {
      await ctx.step(`turn-${i}`, { type: "agent", agent: "claude", prompt: `turn ${i}` });
    }
  },
});
"#;

/// An agent that keeps spending (30 turns of 144 tokens, 100 ms apart), and finishes at
/// once when its session is continued.
const SPENDING: [(&str, &str); 3] = [
    ("FAKE_AGENT_TURNS", "30"),
    ("FAKE_AGENT_TURNS_RESUMED", "0"),
    ("FAKE_AGENT_DELAY_MS", "100"),
];

/// A server whose agents are the stand-ins (which may write their records, outside the
/// project).
fn agent_server(abox: AgentBox) -> Server {
    let record = abox.record_dir();
    let cmd = abox.cmd(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--confine-write",
        record.to_str().unwrap(),
    ]);
    Server::spawn(abox.sb, cmd)
}

#[tokio::test]
async fn a_run_budget_stops_an_agent_loop_before_the_next_agent_and_a_raise_continues_it() {
    let abox = AgentBox::new();
    let record = abox.record_dir();
    let s = agent_server(abox);
    let token = s.user("ann@example.com", true);
    let (project, _) = s.project(&token, "loop", &[("loop.ts", LOOP_TS)]).await;
    let def = s.definition_id(&token, &project, "Agent loop").await;
    let (status, body) = s
        .post(
            &token,
            "/workflow-executions",
            json!({"project_id": project, "workflow_definition_id": def}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"]["budget"],
        json!({"usd": 0.1}),
        "the definition's budget: {body}"
    );
    let id = body["data"]["id"].as_str().unwrap().to_string();

    // Three sessions spend $0.1263: the fourth agent step does not start.
    let run = s.wait_status(&token, &id, &["waiting", "completed", "failed"]).await;
    assert_eq!(run["status"], "waiting", "{run}");
    let stop = &run["budget_stop"];
    assert_eq!(stop["limit"], "usd", "{run}");
    assert_eq!(stop["step_key"], "turn-4", "{run}");
    assert_eq!(stop["message"], "usd: $0.1263 spent of $0.1000 (the run's budget)");
    assert!((run["spend"]["usd"].as_f64().unwrap() - 0.1263).abs() < 1e-9, "{run}");
    assert!(run["spend"]["tokens"].as_u64().unwrap() > 0, "{run}");
    let turn4 = run_step(&run, "turn-4");
    assert_eq!(turn4["status"], "failed", "{turn4}");
    assert!(
        turn4["error_message"]
            .as_str()
            .unwrap()
            .starts_with("stopped by the budget: usd:"),
        "{turn4}"
    );
    let claude_runs = || {
        std::fs::read_to_string(record.join("claude.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert_eq!(claude_runs(), 3, "the fourth agent never started");

    // It needs a person: "needs you" lists it, for anyone who may see the run.
    let (_, approvals) = s.get(&token, "/approvals").await;
    let entry = approvals["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["execution_id"] == id.as_str())
        .unwrap_or_else(|| panic!("not in needs-you: {approvals}"));
    assert_eq!(entry["can_decide"], true);
    assert_eq!(entry["budget_stop"]["limit"], "usd");
    assert!(
        entry["title"].as_str().unwrap().starts_with("Budget reached: usd:"),
        "{entry}"
    );

    // A raise still below the spend is refused, saying so; a bad one names the field.
    let path = format!("/workflow-executions/{id}/budget");
    let (status, body) = s.post(&token, &path, json!({"usd": 0.12})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("still reached"),
        "{body}"
    );
    let (status, body) = s.post(&token, &path, json!({"usd": "lots"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("budget: usd:"),
        "{body}"
    );
    let (status, body) = s.post(&token, &path, json!({"dollars": 1})).await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = s.post(&token, &path, json!({"usd": 1})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["budget"]["usd"], 1.0, "{body}");
    assert_eq!(body["data"]["budget_stop"], Value::Null, "{body}");
    let run = s.wait_status(&token, &id, &["completed", "failed"]).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["budget_stop"], Value::Null);
    assert_eq!(claude_runs(), 5, "the first three were not run again");
    assert!(
        (run["spend"]["usd"].as_f64().unwrap() - 5.0 * 0.0421).abs() < 1e-9,
        "{run}"
    );
    let (_, approvals) = s.get(&token, "/approvals").await;
    assert!(
        !approvals["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["execution_id"] == id.as_str()),
        "{approvals}"
    );
    // The list shows spend against budget too.
    let (_, page) = s
        .get(&token, &format!("/workflow-executions?project_id={project}"))
        .await;
    assert_eq!(page["data"][0]["budget"]["usd"], 1.0, "{page}");
    assert!(page["data"][0]["spend"]["usd"].as_f64().unwrap() > 0.2, "{page}");

    // An ended run's budget does not change.
    let (status, body) = s.post(&token, &path, json!({"usd": 2})).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn a_steps_max_tokens_stops_its_agent_mid_step_and_the_agent_resumes_its_session() {
    let abox = AgentBox::new();
    let file = abox.one_step("capped", "claude", "fix the bug", "maxTokens: 500");
    let out = abox.run_file(&file, &SPENDING);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(5), "left waiting: {text}{}", stderr(&out));
    assert!(
        text.contains("stopped by its budget: tokens: 576 spent of 500 (step \"ask\"'s maxTokens)"),
        "{text}"
    );
    assert!(text.contains("workflow-engine budget "), "says how to continue: {text}");
    let id = run_id(&out);
    let store = abox.sb.store().await;
    let run = run_row(&store, &id).await;
    assert_eq!(run.status.as_str(), "waiting");
    assert!(run.budget_stop.is_some());
    let rows = steps(&store, &id).await;
    assert_eq!(rows[0].status, "failed");
    assert!(
        rows[0]
            .error_message
            .as_deref()
            .unwrap()
            .starts_with("stopped by the budget: tokens: 576"),
        "{:?}",
        rows[0].error_message
    );
    // Stopped mid-step, like a pause-now: interrupted first so that it saves its session.
    let signals = std::fs::read_to_string(abox.record_dir().join("claude.signals")).unwrap_or_default();
    assert!(signals.starts_with("SIGINT"), "{signals}");
    let first = abox.records("claude");
    assert_eq!(first.len(), 1);

    // A step's own limit: continuing without a new limit gives the step its allowance again.
    let cont = abox.cmd(&["budget", &id]).envs(SPENDING).output().unwrap();
    assert_eq!(cont.status.code(), Some(0), "{}{}", stdout(&cont), stderr(&cont));
    let rows = steps(&store, &id).await;
    assert_eq!(rows[0].status, "completed", "{rows:?}");
    let records = abox.records("claude");
    assert_eq!(records.len(), 2);
    let argv: Vec<&str> = records[1]["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let session = abox_session(&store, &id).await;
    let at = argv.iter().position(|a| *a == "--resume").expect("resumed its session");
    assert_eq!(Some(argv[at + 1]), session.session_id.as_deref());
    // The session's tokens are both goes': 576 streamed before the stop, then the result's.
    assert_eq!(
        session.input_tokens.unwrap() + session.output_tokens.unwrap(),
        576 + 112 + 512,
        "{session:?}"
    );
}

async fn abox_session(
    store: &workflow_engine::store::Store,
    run_id: &str,
) -> workflow_engine::store::agent_sessions::AgentSessionRow {
    let id: (String,) = db(store)
        .await
        .one(
            "SELECT agent_session_id FROM workflow_run_steps WHERE workflow_run_id = ?",
            &[run_id.into()],
        )
        .await;
    workflow_engine::store::agent_sessions::AgentSessionRow::get(store, &id.0)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn run_budget_from_the_cli_stops_mid_step_and_a_cancel_ends_the_waiting_run() {
    let abox = AgentBox::new();
    let file = abox.one_step("loop", "claude", "work", "");
    let bad = abox.run(&["run", file.to_str().unwrap(), "--budget", "usd=-1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("--budget: usd: must be a positive number of US dollars, not -1"),
        "{}",
        stderr(&bad)
    );
    let mut cmd = abox.cmd(&["run", file.to_str().unwrap(), "--budget", "tokens=400,duration=1h"]);
    let out = cmd.envs(SPENDING).output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(5), "{text}{}", stderr(&out));
    assert!(text.contains("tokens: 432 spent of 400 (the run's budget)"), "{text}");
    let id = run_id(&out);

    let show = abox.run(&["show", &id]);
    let shown = stdout(&show);
    assert!(shown.contains("400 tokens, 60m 00s"), "{shown}");
    assert!(
        shown.contains(&format!(
            "tokens: 432 spent of 400 (the run's budget) (raise: workflow-engine budget {id})"
        )),
        "{shown}"
    );
    let json: Value = serde_json::from_str(&stdout(&abox.run(&["show", &id, "--json"]))).unwrap();
    assert_eq!(json["spend"]["tokens"], 432, "{json}");
    assert_eq!(json["budget_stop"]["limit"], "tokens", "{json}");

    let cancelled = abox.run(&["cancel", &id]);
    assert!(cancelled.status.success(), "{}", stderr(&cancelled));
    let store = abox.sb.store().await;
    assert_eq!(run_row(&store, &id).await.status.as_str(), "cancelled");
    // A cancelled run's budget cannot be raised.
    let late = abox.run(&["budget", &id, "--usd", "5"]);
    assert_eq!(late.status.code(), Some(2), "{}", stdout(&late));
    assert!(stderr(&late).contains("the run is cancelled"), "{}", stderr(&late));
}

#[tokio::test]
async fn bad_budgets_are_refused_where_they_are_written() {
    let sb = Sandbox::new();
    let yaml = sb.write(
        "b.yaml",
        "name: B\nphases: [p]\nbudget:\n  usd: 5\n  tokens: -3\nsteps:\n  - {id: a, phase: p, type: script, command: \"true\"}\n",
    );
    let text = sb.refused_by_validate(&yaml);
    assert!(
        text.contains("b.yaml:5:11: 'budget': tokens: must be a positive whole number of tokens, not -3"),
        "{text}"
    );
    let step = sb.write(
        "s.yaml",
        "name: S\nphases: [p]\nsteps:\n  - {id: a, phase: p, type: agent, agent: claude, prompt: x, maxCostUsd: 0}\n  - {id: b, phase: p, type: script, command: \"true\", maxTokens: 5}\n",
    );
    let text = sb.refused_by_validate(&step);
    assert!(text.contains("maxCostUsd"), "{text}");
    assert!(text.contains("must be a positive number of US dollars"), "{text}");
    assert!(text.contains("'maxTokens'"), "a script step has no maxTokens: {text}");

    let ts = sb.write(
        "t.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "T", phases: ["p"],
  async execute(ctx) { await ctx.step("fix", { type: "agent", agent: "claude", prompt: "x", maxTokens: 1.5 }); },
});
"#,
    );
    let out = sb.run(&["run", ts.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("ctx.step(\"fix\")") && all.contains("maxTokens"), "{all}");
    let ts_budget = sb.write(
        "u.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "U", phases: ["p"], budget: { usd: 1, minutes: 5 },
  async execute(ctx) {},
});
"#,
    );
    let out = sb.run(&["validate", ts_budget.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("budget: unknown key 'minutes'"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn a_duration_budget_stops_a_running_agent_when_the_time_is_up() {
    let abox = AgentBox::new();
    let file = abox.one_step("slow", "claude", "work", "");
    let started = std::time::Instant::now();
    let mut cmd = abox.cmd(&["run", file.to_str().unwrap(), "--budget", "duration=1500ms"]);
    // 100 turns of 100 ms: the agent would work for 10 s.
    let out = cmd.envs(SPENDING).env("FAKE_AGENT_TURNS", "100").output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(5), "{text}{}", stderr(&out));
    assert!(text.contains("stopped by its budget: duration: "), "{text}");
    assert!(text.contains(" spent of 1.5s (the run's budget)"), "{text}");
    // Stopped at its time, not after the agent's 10 s of turns (the bound leaves room for a
    // loaded machine: the process's start, the worker's, the agent's).
    assert!(
        started.elapsed() < std::time::Duration::from_millis(6000),
        "{:?}",
        started.elapsed()
    );
    let store = abox.sb.store().await;
    let rows = steps(&store, &run_id(&out)).await;
    assert!(
        rows[0]
            .error_message
            .as_deref()
            .unwrap()
            .starts_with("stopped by the budget: duration:"),
        "{:?}",
        rows[0].error_message
    );
}
