//! Agent steps from TypeScript: a prompt computed from `ctx`, a zod `outputSchema`, and the
//! parsed answer handed back to the workflow.

use super::{report, AgentBox};
use crate::util::stderr;
use serde_json::Value;

const WORKFLOW: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";

export default defineWorkflow({
  name: "Review",
  phases: ["review", "report"],
  argsSchema: z.object({ area: z.string() }),
  async execute(ctx) {
    const review = await ctx.step("ask", {
      phase: "review",
      type: "agent",
      agent: "codex",
      permission: "plan",
      prompt: (c) => `[scenario:structured] review ${c.args.area}`,
      outputSchema: z.object({ issues: z.array(z.string()), severity: z.enum(["low", "high"]) }),
    });
    const { issues, severity } = review.data!.output;
    await ctx.step("report", {
      phase: "report",
      type: "function",
      fn: async () => ({ count: issues.length, severity, session: review.data!.sessionId }),
    });
  },
});
"#;

/// `run ARGS` with every agent answering `answer`; asserts the run completed.
fn run_answering(abox: &AgentBox, args: &[&str], answer: &str) -> std::process::Output {
    let out = abox
        .cmd(&[&["run"], args].concat())
        .env("FAKE_AGENT_RESULT", answer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out
}

#[tokio::test]
async fn a_typescript_agent_step_gets_a_computed_prompt_and_a_parsed_answer() {
    let abox = AgentBox::new();
    let file = abox.sb.write("review.ts", WORKFLOW);
    let out = run_answering(
        &abox,
        &[file.to_str().unwrap(), "--arg", "area=parser"],
        r#"{"issues": ["a", "b"], "severity": "high"}"#,
    );
    let record = &abox.records("codex")[0];
    assert!(record["prompt"]
        .as_str()
        .unwrap()
        .starts_with("[scenario:structured] review parser"));
    let schema_file = record["argv"]
        .as_array()
        .unwrap()
        .windows(2)
        .find(|w| w[0] == "--output-schema")
        .map(|w| w[1].as_str().unwrap().to_string())
        .expect("codex gets the schema as a file");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_file).unwrap()).unwrap();
    assert_eq!(
        schema["properties"]["severity"]["enum"],
        serde_json::json!(["low", "high"])
    );
    let r = report(&abox, &out).await;
    let store = abox.sb.store().await;
    let steps = crate::util::steps(&store, &r.run_id).await;
    let last: serde_json::Value = serde_json::from_str(steps[1].result.as_deref().unwrap()).unwrap();
    assert_eq!(last["data"]["count"], 2);
    assert_eq!(last["data"]["severity"], "high");
    assert_eq!(last["data"]["session"], r.result["data"]["sessionId"]);
}

#[tokio::test]
async fn the_spec_s_implement_feature_example_runs_end_to_end() {
    let abox = AgentBox::new();
    // `pnpm` stands in for the project's build tool, as the fakes stand in for the agents.
    let bin = abox.sb.project().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let pnpm = bin.join("pnpm");
    std::fs::write(&pnpm, "#!/bin/sh\necho \"pnpm $*: ok\"\n").unwrap();
    std::fs::set_permissions(&pnpm, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let file = crate::util::examples_dir().join("implement-feature.ts");
    let out = abox
        .cmd(&[
            "run",
            file.to_str().unwrap(),
            "--project",
            abox.sb.project().to_str().unwrap(),
            "--arg",
            "featureName=dark mode",
            "--arg",
            "requirements=follow the OS setting",
        ])
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = abox.records("claude");
    let modes: Vec<String> = records
        .iter()
        .map(|r| {
            let argv = r["argv"].as_array().unwrap();
            let i = argv.iter().position(|a| a == "--permission-mode").unwrap();
            argv[i + 1].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(modes, ["plan", "acceptEdits", "acceptEdits"]);
    assert!(records[0]["prompt"].as_str().unwrap().contains("dark mode"));
    let store = abox.sb.store().await;
    let id = crate::util::run_id(&out);
    let sessions = crate::util::db(&store)
        .await
        .count(
            "SELECT COUNT(DISTINCT agent_session_id) FROM workflow_run_steps WHERE workflow_run_id = ? AND type = 'agent'",
            &[(&id).into()],
        )
        .await;
    assert_eq!(sessions, 3, "each agent step links its own session");
}

const DEFAULTED: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";
import { z } from "zod";

export default defineWorkflow({
  name: "Defaulted",
  phases: ["review"],
  async execute(ctx) {
    const review = await ctx.step("ask", {
      type: "agent",
      agent: "claude",
      prompt: "[scenario:structured] review",
      outputSchema: z.object({ ok: z.boolean(), draft: z.boolean().default(false), tags: z.array(z.string()).default([]) }),
    });
    const { ok, draft, tags } = review.data.output;
    await ctx.step("seen", { type: "function", fn: async () => ({ ok, draft, tags }) });
  },
});
"#;

#[tokio::test]
async fn a_zod_output_schema_s_defaults_fill_the_parsed_answer() {
    let abox = AgentBox::new();
    let file = abox.sb.write("defaulted.ts", DEFAULTED);
    let out = run_answering(&abox, &[file.to_str().unwrap()], r#"{"ok": true}"#);
    let store = abox.sb.store().await;
    let steps = crate::util::steps(&store, &crate::util::run_id(&out)).await;
    let seen: serde_json::Value = serde_json::from_str(steps[1].result.as_deref().unwrap()).unwrap();
    assert_eq!(
        seen["data"],
        serde_json::json!({ "ok": true, "draft": false, "tags": [] })
    );
}

/// The shipped gate example, through a server: the agent plans, a person asks for changes,
/// the agent plans again with the comment, the person approves, the agent implements.
#[tokio::test]
async fn the_plan_review_implement_example_replans_on_requested_changes() {
    use crate::server_util::Server;
    let abox = AgentBox::new();
    // Inside the project: agents are confined to it.
    let record = abox.sb.dir.path().join("prd/record");
    std::fs::create_dir_all(&record).unwrap();
    let mut cmd = abox.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.env("FAKE_AGENT_RECORD", &record);
    let s = Server::spawn(abox.sb, cmd);
    let ann = s.user("ann@example.com", false);
    let text = std::fs::read_to_string(crate::util::examples_dir().join("plan-review-implement.ts")).unwrap();
    let (project, _) = s.project(&ann, "prd", &[("plan-review-implement.ts", &text)]).await;
    let def = s.definition_id(&ann, &project, "Plan, review, implement").await;
    let (status, body) = s
        .post(
            &ann,
            "/workflow-executions",
            serde_json::json!({ "project_id": project, "workflow_definition_id": def, "args": { "task": "dark mode" } }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let gate_of = |run: &Value| run["waiting_for"][0]["step_key"].as_str().map(str::to_string);

    let waiting = s.wait_status(&ann, &run, &["waiting", "failed", "completed"]).await;
    assert_eq!(gate_of(&waiting).as_deref(), Some("approve-plan-1"), "{waiting}");
    assert_eq!(
        waiting["current_phase"], "review",
        "the card waits in the gate's column"
    );
    let path = |gate: &str| format!("/workflow-executions/{run}/approvals/{gate}");
    let changes = serde_json::json!({ "decision": "request_changes", "comment": "cover the settings page" });
    let (status, body) = s.post(&ann, &path("approve-plan-1"), changes).await;
    assert_eq!(status, 200, "{body}");

    let mut again = Value::Null;
    for _ in 0..400 {
        again = s.wait_status(&ann, &run, &["waiting", "failed", "completed"]).await;
        if gate_of(&again).as_deref() == Some("approve-plan-2") || again["status"] != "waiting" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(gate_of(&again).as_deref(), Some("approve-plan-2"), "{again}");
    let (status, body) = s
        .post(
            &ann,
            &path("approve-plan-2"),
            serde_json::json!({ "decision": "approve" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");

    let prompts: Vec<String> = std::fs::read_to_string(record.join("claude.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["prompt"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(prompts.len(), 3, "plan, plan again, implement: {prompts:?}");
    assert!(prompts[0].contains("dark mode") && !prompts[0].contains("settings page"));
    assert!(prompts[1].contains("cover the settings page"), "{}", prompts[1]);
    assert!(prompts[2].starts_with("Implement this approved plan"), "{}", prompts[2]);
}
