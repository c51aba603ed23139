//! What a resumed run does again and what it must not: comments and console output are not
//! repeated, files are repaired, checkpoints stay linear, siblings say why they stopped.

use serde_json::Value;

use crate::util::*;

const APPROVAL: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Approval", phases: ["work"],
  async execute(ctx) {
    await ctx.step("prepare", { type: "script", command: "echo prepared" });
    console.log("prepared, asking for approval");
    await ctx.comment("awaiting approval");
    await ctx.comment("awaiting approval");
    await ctx.step("gate", { type: "script", command: "test -f approved" });
    console.log("approved");
    await ctx.comment("awaiting approval");
  },
});
"#;

#[tokio::test]
async fn a_replay_writes_no_comment_twice_and_marks_its_console_output() {
    let sb = Sandbox::new();
    let file = sb.write("approval.ts", APPROVAL);
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    std::fs::write(sb.project().join("approved"), "").unwrap();
    let resumed = sb.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    assert!(
        !stdout(&resumed).contains("prepared, asking"),
        "the replay does not print it again: {}",
        stdout(&resumed)
    );
    assert!(stdout(&resumed).contains("approved"), "{}", stdout(&resumed));

    let store = sb.store().await;
    let texts: Vec<(String,)> = crate::util::db(&store)
        .await
        .all(
            "SELECT text FROM workflow_comments WHERE workflow_run_id = ? AND text = 'awaiting approval'",
            &[(&id).into()],
        )
        .await;
    // Two before the gate (written once, not again on replay) and one after it.
    assert_eq!(texts.len(), 3, "{texts:?}");
    let log = std::fs::read_to_string(sb.run_dir(&id).join("run.log")).unwrap();
    let asking: Vec<&str> = log.lines().filter(|l| l.contains("prepared, asking")).collect();
    assert_eq!(asking.len(), 2, "{log}");
    assert!(
        !asking[0].contains("(replay)") && asking[1].contains("(replay)"),
        "{log}"
    );
    assert!(
        log.lines().any(|l| l.contains("approved") && !l.contains("(replay)")),
        "{log}"
    );
}

#[tokio::test]
async fn checkpoints_grow_with_the_results_not_with_their_square() {
    let sb = Sandbox::new();
    let file = sb.write(
        "big.ts",
        r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Big", phases: ["work"],
  async execute(ctx) {
    await ctx.step("big", { type: "function", fn: async () => ({ blob: "x".repeat(2_000_000) }) });
    for (let i = 0; i < 4; i++) {
      await ctx.step(`small-${i}`, { type: "function", fn: async () => ({ i }) });
    }
  },
});
"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let dir = sb.run_dir(&run_id(&out));
    let checkpoints: Vec<_> = std::fs::read_dir(dir.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let total: u64 = checkpoints.iter().map(|p| p.metadata().unwrap().len()).sum();
    assert!(total < 16 * 1024, "{} checkpoint bytes in {checkpoints:?}", total);
    let last = sb.read_json(&dir.join("checkpoints/step-4.json"));
    assert_eq!(last["completed_step_ids"].as_array().unwrap().len(), 5);
    assert_eq!(
        last["step_results"]["big"],
        serde_json::json!({ "stepId": "big", "status": "completed", "output_file": "logs/big/output.json" })
    );
    assert_eq!(
        last["step_results"]["small-3"]["data"]["i"], 3,
        "small results stay inline"
    );
    let full = sb.read_json(&dir.join("logs/big/output.json"));
    assert_eq!(full["data"]["blob"].as_str().unwrap().len(), 2_000_000);
    let summary = std::fs::metadata(dir.join("logs/big/summary.md")).unwrap().len();
    assert!(summary <= 40 * 1024, "summary.md is {summary} bytes");
}

#[tokio::test]
async fn a_resume_rewrites_the_snapshots_an_early_kill_left_out() {
    let sb = Sandbox::new();
    let file = sb.write(
        "flaky.yaml",
        "name: Flaky\nphases: [p]\nargsSchema:\n  type: object\n  properties:\n    who: { type: string }\nsteps:\n  - id: one\n    phase: p\n    type: script\n    command: test -f go\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap(), "--arg", "who=ann"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    let dir = sb.run_dir(&id);
    // As after a kill between creating the run and writing its snapshots.
    std::fs::remove_file(dir.join("definition.json")).unwrap();
    std::fs::remove_file(dir.join("args.json")).unwrap();
    std::fs::write(sb.project().join("go"), "").unwrap();
    let resumed = sb.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    assert_eq!(
        sb.read_json(&dir.join("args.json")),
        serde_json::json!({ "who": "ann" })
    );
    assert_eq!(sb.read_json(&dir.join("definition.json"))["name"], "Flaky");
}

#[tokio::test]
async fn parallel_siblings_of_a_failed_step_finish_and_the_run_names_the_failure() {
    // `Promise.all`: the steps already running when one fails finish and are recorded (issue
    // 15; they used to be stopped "because step lint failed"), and the run fails with the
    // first failure.
    let sb = Sandbox::new();
    let file = sb.write(
        "parallel.ts",
        r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Parallel", phases: ["test"],
  async execute(ctx) {
    await Promise.all([
      ctx.step("lint", { type: "script", command: "sleep 0.3; echo 'bad style' >&2; exit 3" }),
      ctx.step("slow-tests", { type: "script", command: "sleep 1; echo passed" }),
    ]);
  },
});
"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("step \"lint\" failed: command exited with code 3"),
        "{}",
        stdout(&out)
    );
    let store = sb.store().await;
    let steps = steps(&store, &run_id(&out)).await;
    let slow = steps.iter().find(|s| s.step_id == "slow-tests").unwrap();
    assert_eq!(slow.status, "completed", "{slow:?}");
    assert!(
        slow.result.as_deref().unwrap_or_default().contains("passed"),
        "{slow:?}"
    );
}

#[tokio::test]
async fn the_created_event_carries_the_definition_and_the_first_phase() {
    let sb = Sandbox::new();
    let file = sb.write(
        "two.yaml",
        "name: Two\nphases: [plan, build]\nsteps:\n  - id: one\n    phase: plan\n    type: script\n    command: \"true\"\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let store = sb.store().await;
    let (data,): (String,) = crate::util::db(&store)
        .await
        .one(
            "SELECT data FROM workflow_events WHERE type = 'workflow.execution.created'",
            &[],
        )
        .await;
    let data: Value = serde_json::from_str(&data).unwrap();
    let run = run_row(&store, &run_id(&out)).await;
    assert_eq!(data["workflow_definition_id"], run.workflow_definition_id.as_str());
    assert_eq!(data["workflow_name"], "Two");
    assert_eq!(data["phases"], serde_json::json!(["plan", "build"]));
    assert_eq!(data["current_phase"], "plan");
}

#[tokio::test]
async fn huge_values_stay_in_the_step_files_not_in_rows_and_events() {
    let sb = Sandbox::new();
    let file = sb.write(
        "huge.ts",
        r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Huge", phases: ["work"],
  async execute(ctx) {
    const big = await ctx.step("big", { type: "function", fn: async () => ({ blob: "y".repeat(3_000_000) }) });
    await ctx.step("line", { type: "script", command: "head -c 3000000 /dev/zero | tr '\\0' z; echo" });
    await ctx.step("gate", { type: "script", command: "test -f go" });
    await ctx.step("use", { type: "function", fn: async () => ({ n: big.data.blob.length }) });
  },
});
"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let id = run_id(&out);
    let store = sb.store().await;
    for step in steps(&store, &id).await {
        let len = step.result.as_deref().map_or(0, str::len);
        assert!(len <= 256 * 1024, "step {} stores {len} bytes in its row", step.step_id);
    }
    let big = steps(&store, &id)
        .await
        .into_iter()
        .find(|s| s.step_id == "big")
        .unwrap();
    let stored: Value = serde_json::from_str(big.result.as_deref().unwrap()).unwrap();
    assert_eq!(stored["output_file"], "logs/big/output.json");
    let dir = sb.run_dir(&id);
    let full = sb.read_json(&dir.join("logs/big/output.json"));
    assert_eq!(full["data"]["blob"].as_str().unwrap().len(), 3_000_000);
    let events = std::fs::read_to_string(dir.join("logs/line/events.jsonl")).unwrap();
    assert!(events.len() > 3_000_000, "the step's own file keeps the whole line");
    let journal: Vec<(String, String)> = crate::util::db(&store)
        .await
        .all("SELECT type, data FROM workflow_events", &[])
        .await;
    for (kind, data) in &journal {
        assert!(data.len() <= 16 * 1024, "a {kind} event of {} bytes", data.len());
    }
    assert!(
        journal.iter().any(|(_, d)| d.contains("bytes more in the run's files")),
        "the long line's event says it was cut"
    );

    std::fs::write(sb.project().join("go"), "").unwrap();
    let resumed = sb.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    let used = steps(&store, &id)
        .await
        .into_iter()
        .find(|s| s.step_id == "use")
        .unwrap();
    let used: Value = serde_json::from_str(used.result.as_deref().unwrap()).unwrap();
    assert_eq!(used["data"]["n"], 3_000_000, "the replayed result is read back whole");
}

#[tokio::test]
async fn a_function_step_keeps_what_it_printed_in_its_events_file() {
    let sb = Sandbox::new();
    let file = sb.write(
        "chatty.ts",
        r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Chatty", phases: ["work"],
  async execute(ctx) {
    console.log("before any step");
    await ctx.step("think", { type: "function", fn: async () => {
      console.log("thinking hard");
      await new Promise((r) => setTimeout(r, 10));
      console.warn("still thinking");
      return { ok: true };
    } });
    await ctx.step("quiet", { type: "script", command: "true" });
  },
});
"#,
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let dir = sb.run_dir(&run_id(&out));
    let events = std::fs::read_to_string(dir.join("logs/think/events.jsonl")).unwrap();
    let lines: Vec<Value> = events.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let texts: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["level"].as_str().unwrap(), l["text"].as_str().unwrap()))
        .collect();
    assert_eq!(texts, [("info", "thinking hard"), ("warn", "still thinking")]);
    assert!(lines.iter().all(|l| l["type"] == "console"));
    for step in ["think", "quiet"] {
        for f in ["input.json", "output.json", "events.jsonl", "summary.md"] {
            assert!(dir.join("logs").join(step).join(f).is_file(), "{step}/{f}");
        }
    }
}
