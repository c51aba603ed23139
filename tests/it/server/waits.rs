//! Runs that wait for people, time and signals, through a real server: gates decided from
//! the API (approvers, forms, concurrent decisions, timeouts), request changes → re-plan in
//! TypeScript, durable sleeps and signals across a `kill -9`, and a waiting run holding no
//! process.

use serde_json::{json, Value};

use super::queue::workers_of;
use crate::server_util::*;
use crate::util::*;

const GATE_YAML: &str = r#"name: Gate
phases: [plan, build]
argsSchema:
  type: object
  properties:
    what: { type: string }
steps:
  - id: plan
    phase: plan
    type: script
    command: echo plan for {{ args.what }}
  - id: approve-plan
    phase: plan
    type: approval
    title: "Approve the plan for {{ args.what }}"
    description: "The plan: {{ steps.plan.data.stdout }}"
  - id: build
    phase: build
    type: script
    command: echo built
"#;

/// Plans, asks, re-plans with the reviewer's comment until approved.
const LOOP_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Loop",
  phases: ["plan", "implement"],
  async execute(ctx) {
    let feedback = "";
    for (let round = 1; round <= 5; round++) {
      const plan = await ctx.step(`plan-${round}`, {
        type: "script",
        phase: "plan",
        command: `echo "plan round ${round} ${feedback}"`,
      });
      const gate = await ctx.approval(`approve-plan-${round}`, {
        phase: "plan",
        title: `Approve plan ${round}`,
        description: plan.data.stdout,
      });
      if (gate.data.decision === "approved") break;
      feedback = gate.data.comment ?? "";
    }
    await ctx.step("implement", { type: "script", phase: "implement", command: "echo done" });
  },
});
"#;

#[tokio::test]
async fn a_gate_decided_from_the_api_lets_the_run_go_on() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "gated", &[("gate.yaml", GATE_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Gate").await;
    let run = s.start_run(&ann, &project, &def, json!({ "what": "search" })).await;

    let waiting = s.wait_status(&ann, &run, &["waiting"]).await;
    let wait = &waiting["waiting_for"][0];
    assert_eq!(wait["kind"], "approval", "{waiting}");
    assert_eq!(wait["step_key"], "approve-plan");
    assert_eq!(wait["title"], "Approve the plan for search");
    assert_eq!(waiting["current_phase"], "plan");
    let gate = run_step(&waiting, "approve-plan");
    assert_eq!(gate["status"], "waiting");
    assert_eq!(gate["type"], "approval");
    assert_eq!(gate["wait"]["description"], "The plan: plan for search\n");
    assert_eq!(gate["wait"]["can_decide"], true);
    let started: Vec<&Value> = waiting["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["step_id"])
        .collect();
    assert_eq!(started, ["plan", "approve-plan"], "build has not started");

    let (_, approvals) = s.get(&ann, "/approvals").await;
    let listed = approvals["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{approvals}");
    assert_eq!(listed[0]["execution_id"], run.as_str());
    assert_eq!(listed[0]["title"], "Approve the plan for search");
    assert_eq!(listed[0]["project_name"], "gated");
    assert_eq!(listed[0]["workflow_name"], "Gate");
    assert_eq!(listed[0]["can_decide"], true);

    let (status, decided) = s
        .decide(
            &ann,
            &run,
            "approve-plan",
            json!({ "decision": "approve", "comment": "ship it" }),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["data"]["status"], "completed");
    assert_eq!(decided["data"]["result"]["data"]["decision"], "approved");
    assert_eq!(decided["data"]["result"]["data"]["by"], "ann@example.com");
    assert_eq!(decided["data"]["result"]["data"]["comment"], "ship it");

    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(run_step(&done, "build")["status"], "completed");
    assert_eq!(done["waiting_for"], json!([]));
    let comments = done["comments"].as_array().unwrap();
    assert!(
        comments
            .iter()
            .any(|c| c["text"] == "Approved: ship it" && c["workflow_run_step_id"] == decided["data"]["id"]),
        "the decision's comment is on the gate: {comments:?}"
    );
    let (_, approvals) = s.get(&ann, "/approvals").await;
    assert_eq!(approvals["data"], json!([]));

    // Decided once: a second decision is refused and says by whom.
    let (status, again) = s
        .decide(&ann, &run, "approve-plan", json!({ "decision": "reject" }))
        .await;
    assert_eq!(status, 409, "{again}");
    let message = again["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("already decided") && message.contains("ann@example.com"),
        "{message}"
    );
    assert_eq!(again["error"]["current_status"], "completed", "{again}");
}

#[tokio::test]
async fn a_waiting_typescript_run_holds_no_worker_and_request_changes_loops() {
    let s = Server::start_with(Sandbox::new(), &["--warm-workers", "0"]).await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "loop", &[("loop.ts", LOOP_TS)]).await;
    let def = s.definition_id(&ann, &project, "Loop").await;
    let run = s.start_run(&ann, &project, &def, json!({})).await;

    let waiting = s.wait_status(&ann, &run, &["waiting"]).await;
    assert_eq!(waiting["waiting_for"][0]["step_key"], "approve-plan-1", "{waiting}");
    wait_until(10, "the worker exits", || workers_of(s.child.id()) == 0);

    // Asking for changes needs a comment.
    let (status, body) = s
        .decide(&ann, &run, "approve-plan-1", json!({ "decision": "request_changes" }))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("comment:"),
        "{body}"
    );
    let (status, body) = s
        .decide(
            &ann,
            &run,
            "approve-plan-1",
            json!({ "decision": "request_changes", "comment": "add tests" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["result"]["data"]["decision"], "changes_requested");

    // The workflow re-plans with the comment and asks again.
    let mut again = Value::Null;
    for _ in 0..200 {
        again = s.wait_status(&ann, &run, &["waiting", "failed", "completed"]).await;
        if again["waiting_for"][0]["step_key"] == "approve-plan-2" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(again["waiting_for"][0]["step_key"], "approve-plan-2", "{again}");
    let plan2 = run_step(&again, "plan-2");
    assert_eq!(plan2["result"]["data"]["stdout"], "plan round 2 add tests\n");
    assert_eq!(
        run_step(&again, "plan-1")["attempt"],
        1,
        "plan-1 was replayed, not run again"
    );
    wait_until(10, "the worker exits again", || workers_of(s.child.id()) == 0);

    let (status, body) = s
        .decide(&ann, &run, "approve-plan-2", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(run_step(&done, "implement")["status"], "completed");
}

#[tokio::test]
async fn approvers_forms_and_visibility_are_enforced() {
    let yaml = r#"name: Guarded
phases: [review]
steps:
  - id: sign-off
    phase: review
    type: approval
    title: Sign off
    approvers: [Lead@Example.com]
    form:
      type: object
      required: [budget]
      properties:
        budget: { type: number }
"#;
    let s = Server::start().await;
    let lead = s.user("lead@example.com", false);
    let (project, _) = s.project(&lead, "guarded", &[("g.yaml", yaml)]).await;
    let def = s.definition_id(&lead, &project, "Guarded").await;
    let run = s.start_run(&lead, &project, &def, json!({})).await;
    s.wait_status(&lead, &run, &["waiting"]).await;

    // Someone who cannot see the project: not found, nothing decided.
    let stranger = s.user("stranger@example.com", false);
    let (status, _) = s
        .decide(&stranger, &run, "sign-off", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 404);
    // An admin sees it but is not among the approvers.
    let admin = s.user("admin@example.com", true);
    let (status, body) = s
        .decide(
            &admin,
            &run,
            "sign-off",
            json!({ "decision": "approve", "input": { "budget": 1 } }),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("lead@example.com"),
        "{body}"
    );
    let (_, list) = s.get(&admin, "/approvals").await;
    assert_eq!(list["data"][0]["can_decide"], false, "{list}");
    // The form is checked, naming the field.
    let (status, body) = s
        .decide(
            &lead,
            &run,
            "sign-off",
            json!({ "decision": "approve", "input": { "budget": "lots" } }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_input");
    assert!(
        body["error"]["details"][0]
            .as_str()
            .unwrap()
            .starts_with("input.budget: "),
        "{body}"
    );
    // A bad body names its field; an unknown gate is not found.
    let (status, body) = s.decide(&lead, &run, "sign-off", json!({ "decision": "maybe" })).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("decision"),
        "{body}"
    );
    let (status, _) = s
        .decide(&lead, &run, "no-such-gate", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 404);
    let (status, _) = s
        .decide(&lead, "no-such-run", "sign-off", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 404);
    // Still waiting after all that.
    let (_, still) = s.get(&lead, &format!("/workflow-executions/{run}")).await;
    assert_eq!(still["data"]["status"], "waiting");

    let (status, body) = s
        .decide(
            &lead,
            &run,
            "sign-off",
            json!({ "decision": "approve", "input": { "budget": 3 } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["result"]["data"]["input"], json!({ "budget": 3 }));
    let done = s.wait_status(&lead, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
}

#[tokio::test]
async fn of_concurrent_decisions_exactly_one_wins() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "race", &[("gate.yaml", GATE_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Gate").await;
    let run = s.start_run(&ann, &project, &def, json!({ "what": "x" })).await;
    s.wait_status(&ann, &run, &["waiting"]).await;

    let decisions = (0..12).map(|i| {
        let body = if i % 2 == 0 {
            json!({ "decision": "approve" })
        } else {
            json!({ "decision": "reject", "comment": format!("no {i}") })
        };
        s.decide(&ann, &run, "approve-plan", body)
    });
    let answers = futures_util::future::join_all(decisions).await;
    let won: Vec<&(u16, Value)> = answers.iter().filter(|(status, _)| *status == 200).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(
        answers.iter().all(|(status, _)| *status == 200 || *status == 409),
        "{answers:?}"
    );
    let decision = won[0].1["data"]["result"]["data"]["decision"]
        .as_str()
        .unwrap()
        .to_string();
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    let expected = if decision == "approved" { "completed" } else { "failed" };
    assert_eq!(done["status"], expected, "{done}");
    // One decision event, one decision comment at most.
    let decided_comments = done["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["text"].as_str().unwrap_or("").starts_with("Rejected:"))
        .count();
    assert!(decided_comments <= 1, "{done}");
}

#[tokio::test]
async fn a_timeout_decides_as_on_timeout_says() {
    let gate = |on_timeout: &str| {
        format!(
            "name: T-{on_timeout}\nphases: [p]\nsteps:\n  - id: gate\n    phase: p\n    type: approval\n    title: Decide\n    timeout: 1s\n{}  - id: after\n    phase: p\n    type: script\n    command: echo after\n",
            if on_timeout == "default" { String::new() } else { format!("    onTimeout: {on_timeout}\n") }
        )
    };
    let signal = "name: T-signal\nphases: [p]\nsteps:\n  - id: wait\n    phase: p\n    type: signal\n    signal: go\n    timeout: 1s\n";
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let files = [
        ("d.yaml", gate("default")),
        ("a.yaml", gate("approve")),
        ("f.yaml", gate("fail")),
        ("s.yaml", signal.to_string()),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let (project, _) = s.project(&ann, "timeouts", &files).await;
    let mut runs = Vec::new();
    for name in ["T-default", "T-approve", "T-fail", "T-signal"] {
        let def = s.definition_id(&ann, &project, name).await;
        runs.push((name, s.start_run(&ann, &project, &def, json!({})).await));
    }
    for (name, run) in &runs {
        let done = s.wait_status(&ann, run, &["completed", "failed"]).await;
        match *name {
            "T-default" => {
                assert_eq!(done["status"], "failed", "{done}");
                let gate = run_step(&done, "gate");
                assert_eq!(gate["result"]["data"]["decision"], "rejected");
                assert_eq!(gate["result"]["data"]["by"], "timeout");
                assert!(
                    done["error_message"].as_str().unwrap().contains("nobody decided it"),
                    "{done}"
                );
            }
            "T-approve" => {
                assert_eq!(done["status"], "completed", "{done}");
                assert_eq!(run_step(&done, "gate")["result"]["data"]["decision"], "approved");
                assert_eq!(run_step(&done, "after")["status"], "completed");
            }
            "T-fail" => {
                assert_eq!(done["status"], "failed", "{done}");
                assert_eq!(run_step(&done, "gate")["result"]["data"]["timedOut"], true);
            }
            _ => {
                assert_eq!(done["status"], "failed", "{done}");
                assert!(
                    done["error_message"].as_str().unwrap().contains("no signal \"go\""),
                    "{done}"
                );
            }
        }
    }
}

#[tokio::test]
async fn sleeps_and_signals_survive_a_kill_9_of_the_server() {
    let ts = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Durable",
  phases: ["wait", "go"],
  async execute(ctx) {
    await ctx.step("first", { type: "script", phase: "wait", command: "echo first" });
    await ctx.sleep("nap", "2s");
    const early = await ctx.waitForSignal("early", { name: "early" });
    const go = await ctx.waitForSignal("go", { name: "go" });
    await ctx.step("last", { type: "script", phase: "go", command: `echo ${early.n} ${go.n}` });
  },
});
"#;
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "durable", &[("d.ts", ts)]).await;
    let def = s.definition_id(&ann, &project, "Durable").await;
    let run = s.start_run(&ann, &project, &def, json!({})).await;
    let waiting = s.wait_status(&ann, &run, &["waiting"]).await;
    assert_eq!(waiting["waiting_for"][0]["kind"], "sleep", "{waiting}");
    assert!(waiting["waiting_for"][0]["deadline"].is_string());
    // Sent before anything waits for it: kept.
    let (status, body) = s
        .post(
            &ann,
            &format!("/workflow-executions/{run}/signals/early"),
            json!({ "payload": { "n": 1 } }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["delivered_to"], Value::Null);

    // The server dies while the run sleeps; the timer fires after the restart.
    let sb = s.kill();
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let s = Server::start_in(sb).await;
    let mut at_go = Value::Null;
    for _ in 0..200 {
        at_go = s.wait_status(&ann, &run, &["waiting", "failed", "completed"]).await;
        if at_go["waiting_for"][0]["signal_name"] == "go" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(at_go["waiting_for"][0]["signal_name"], "go", "{at_go}");
    assert_eq!(run_step(&at_go, "nap")["status"], "completed");
    assert_eq!(
        run_step(&at_go, "early")["result"]["data"]["payload"],
        json!({ "n": 1 })
    );

    // Idempotent by key: the second send records nothing.
    let path = format!("/workflow-executions/{run}/signals/go");
    let body = json!({ "payload": { "n": 2 }, "idempotency_key": "k1" });
    let (status, first) = s.post(&ann, &path, body.clone()).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["data"]["duplicate"], false);
    assert!(first["data"]["delivered_to"].is_string(), "{first}");
    let (_, second) = s
        .post(&ann, &path, json!({ "payload": { "n": 3 }, "idempotency_key": "k1" }))
        .await;
    assert_eq!(second["data"]["duplicate"], true, "{second}");
    assert_eq!(second["data"]["id"], first["data"]["id"]);

    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(run_step(&done, "last")["result"]["data"]["stdout"], "1 2\n");
    assert_eq!(run_step(&done, "first")["attempt"], 1);
    // Signals to an ended run are refused.
    let (status, _) = s.post(&ann, &path, json!({})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_decision_survives_a_kill_9_right_after_it_is_recorded() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "crash", &[("gate.yaml", GATE_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Gate").await;
    let run = s.start_run(&ann, &project, &def, json!({ "what": "x" })).await;
    s.wait_status(&ann, &run, &["waiting"]).await;
    let (status, body) = s
        .decide(&ann, &run, "approve-plan", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let sb = s.kill();
    let s = Server::start_in(sb).await;
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(run_step(&done, "build")["attempt"], 1);
}

#[tokio::test]
async fn a_waiting_run_can_be_paused_resumed_and_cancelled() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "steer", &[("gate.yaml", GATE_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Gate").await;
    let run = s.start_run(&ann, &project, &def, json!({ "what": "x" })).await;
    s.wait_status(&ann, &run, &["waiting"]).await;

    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{run}/pause"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "paused");
    // Decided while paused: recorded, delivered once resumed.
    let (status, body) = s
        .decide(&ann, &run, "approve-plan", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, still) = s.get(&ann, &format!("/workflow-executions/{run}")).await;
    assert_eq!(still["data"]["status"], "paused");
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{run}/resume"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");

    // Cancel while waiting: the gate fails with the run, and takes no decision after.
    let run = s.start_run(&ann, &project, &def, json!({ "what": "y" })).await;
    s.wait_status(&ann, &run, &["waiting"]).await;
    let (status, body) = s
        .post(&ann, &format!("/workflow-executions/{run}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "cancelled");
    let (_, cancelled) = s.get(&ann, &format!("/workflow-executions/{run}")).await;
    assert_eq!(
        run_step(&cancelled["data"], "approve-plan")["status"],
        "failed",
        "{cancelled}"
    );
    let (status, _) = s
        .decide(&ann, &run, "approve-plan", json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 409);
    let (_, approvals) = s.get(&ann, "/approvals").await;
    assert_eq!(approvals["data"], json!([]), "a cancelled run's gate needs nobody");
}

/// A sleep "until" a time computed from the clock is zero long when replayed after that
/// time (found by B11: the replay failed the run with "must be greater than zero").
#[tokio::test]
async fn a_sleep_of_nothing_returns_at_once_also_on_replay() {
    let ts = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Until",
  phases: ["p"],
  async execute(ctx) {
    await ctx.sleep("now", 0);
    await ctx.sleep("also-now", "0ms");
    await ctx.sleep("until", `${Math.max(0, ctx.args.at - Date.now())}ms`);
    await ctx.step("after", { type: "script", command: "echo after" });
  },
});
"#;
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "until", &[("u.ts", ts)]).await;
    let def = s.definition_id(&ann, &project, "Until").await;
    let at = chrono::Utc::now().timestamp_millis() + 1500;
    let run = s.start_run(&ann, &project, &def, json!({ "at": at })).await;
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    for key in ["now", "also-now", "until", "after"] {
        assert_eq!(run_step(&done, key)["status"], "completed", "{key}: {done}");
        assert_eq!(run_step(&done, key)["attempt"], 1, "{key}");
    }
}

/// `kill -9` while decisions are being applied: each gate is either decided (and its run goes
/// on after the restart) or still waiting (and can be decided then); none is lost half-way.
#[tokio::test]
async fn a_kill_9_while_decisions_are_applied_loses_none_half_way() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "crash-many", &[("gate.yaml", GATE_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Gate").await;
    let mut runs = Vec::new();
    for i in 0..16 {
        runs.push(
            s.start_run(&ann, &project, &def, json!({ "what": format!("r{i}") }))
                .await,
        );
    }
    for run in &runs {
        s.wait_status(&ann, run, &["waiting"]).await;
    }
    let url = |run: &str| s.url(&format!("/workflow-executions/{run}/approvals/approve-plan"));
    let sends: Vec<_> = runs
        .iter()
        .map(|run| {
            s.http
                .post(url(run))
                .bearer_auth(&ann)
                .json(&json!({ "decision": "approve" }))
                .send()
        })
        .collect();
    let all = futures_util::future::join_all(sends);
    // Kill the server while the decisions are in flight.
    let pid = s.child.id().to_string();
    let killer = async {
        tokio::time::sleep(std::time::Duration::from_millis(8)).await;
        let killed = std::process::Command::new("kill").args(["-9", &pid]).status().unwrap();
        assert!(killed.success());
    };
    let (answers, ()) = tokio::join!(all, killer);
    let sb = s.kill();
    let s = Server::start_in(sb).await;
    let mut decided_before = 0;
    for (run, answer) in runs.iter().zip(answers) {
        let (_, now) = s.get(&ann, &format!("/workflow-executions/{run}")).await;
        let gate = run_step(&now["data"], "approve-plan").clone();
        if answer.is_ok_and(|r| r.status() == 200) {
            assert_eq!(gate["status"], "completed", "an answered decision was kept: {now}");
        }
        if gate["status"] == "completed" {
            decided_before += 1;
        } else {
            assert_eq!(gate["status"], "waiting", "{now}");
            let (status, body) = s
                .decide(&ann, run, "approve-plan", json!({ "decision": "approve" }))
                .await;
            assert_eq!(status, 200, "{body}");
        }
        let done = s.wait_status(&ann, run, &["completed", "failed"]).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(run_step(&done, "build")["attempt"], 1);
    }
    eprintln!(
        "{decided_before} of {} decisions were recorded before the kill",
        runs.len()
    );
}
