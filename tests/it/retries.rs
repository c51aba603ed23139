//! Retry policies through the real binary (issue 15): a flaky script retried to success with
//! the delays observed, exit codes that are not retried, function errors marked
//! non-retryable, a timeout that bounds the tries and the waits (agent and script), each try
//! recorded with its own logs and listed by the API, and a `Promise.all` fan-out whose other
//! steps finish and are recorded when one fails.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::agents::{report, AgentBox};
use crate::server_util::Server;
use crate::util::{run_id, stderr, stdout, Sandbox};

/// A try as `workflow_step_attempts` keeps it: (number, outcome, started, ended, error, log dir).
type Try = (i64, String, String, Option<String>, Option<String>, Option<String>);

async fn tries(sb: &Sandbox, run: &str, step: &str) -> Vec<Try> {
    let store = sb.store().await;
    crate::util::db(&store)
        .await
        .all(
            "SELECT a.attempt, a.outcome, a.started_at, a.ended_at, a.error, a.log_dir
               FROM workflow_step_attempts a JOIN workflow_run_steps s ON s.id = a.step_row_id
              WHERE s.workflow_run_id = ? AND s.step_id = ? ORDER BY a.attempt",
            &[run.into(), step.into()],
        )
        .await
}

fn at(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

fn ms_between(from: &str, to: &str) -> i64 {
    (at(to) - at(from)).num_milliseconds()
}

/// A script that fails until its `n`th run, counting in `file`.
fn flaky(file: &str, n: u32) -> String {
    format!("'c=$(cat {file} 2>/dev/null || echo 0); c=$((c+1)); echo $c > {file}; echo try $c; [ $c -ge {n} ]'")
}

const FLAKY_YAML: &str = "name: flaky\nphases: [work]\nsteps:\n  - id: flaky\n    phase: work\n    type: script\n    command: CMD\n    retry: { attempts: 4, initialDelay: 200ms, backoff: 2 }\n  - id: after\n    phase: work\n    type: script\n    command: echo after\n";

#[tokio::test]
async fn a_flaky_script_is_retried_to_success_with_the_delays_observed() {
    let sb = Sandbox::new();
    let file = sb.write("flaky.yaml", &FLAKY_YAML.replace("CMD", &flaky("count", 3)));
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let run = run_id(&out);
    let rows = tries(&sb, &run, "flaky").await;
    let outcomes: Vec<(i64, &str)> = rows.iter().map(|t| (t.0, t.1.as_str())).collect();
    assert_eq!(outcomes, [(1, "failed"), (2, "failed"), (3, "completed")]);
    assert_eq!(rows[0].4.as_deref(), Some("command exited with code 1"));
    // Waits of 200 ms, then 400 ms (backoff 2), between a try's end and the next's start.
    let waits: Vec<i64> = rows
        .windows(2)
        .map(|w| ms_between(w[0].3.as_deref().unwrap(), &w[1].2))
        .collect();
    assert!(
        (200..1200).contains(&waits[0]) && (400..1400).contains(&waits[1]),
        "{waits:?}"
    );
    // Each try's output in its own folder; the first keeps the step's own.
    let logs = sb.run_dir(&run).join("logs/flaky");
    let read = |p: &str| std::fs::read_to_string(logs.join(p)).unwrap();
    assert!(read("events.jsonl").contains("try 1") && !read("events.jsonl").contains("try 2"));
    assert!(read("attempt-2/events.jsonl").contains("try 2"));
    assert!(read("attempt-3/events.jsonl").contains("try 3"));
    assert!(
        rows[2].5.as_deref().unwrap().ends_with("logs/flaky/attempt-3"),
        "{rows:?}"
    );
    let retry: Value = read("events.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["type"] == "retry")
        .unwrap();
    assert_eq!(
        (retry["attempt"].as_i64(), retry["delayMs"].as_i64()),
        (Some(2), Some(200))
    );
    let output = sb.read_json(&logs.join("output.json"));
    assert_eq!(output["data"]["stdout"], "try 3\n");
    // The terminal says each retry as it comes, without -v.
    let printed = stdout(&out);
    assert!(
        printed.contains("↻ flaky  command exited with code 1; try 2 in 200ms")
            && printed.contains("↻ flaky  command exited with code 1; try 3 in 400ms"),
        "{printed}"
    );
    // The step's attempt is the try it ended on.
    let show = sb.run(&["show", &run, "--json"]);
    let shown: Value = serde_json::from_str(&stdout(&show)).unwrap();
    let step = shown["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step_id"] == "flaky")
        .unwrap();
    assert_eq!(step["attempt"], 3, "{step}");
    // A step that ran once records no tries.
    assert!(tries(&sb, &run, "after").await.is_empty());
}

#[tokio::test]
async fn used_up_tries_and_exit_codes_not_listed_fail_the_step() {
    let sb = Sandbox::new();
    let yaml = "name: codes\nphases: [work]\nsteps:\n  - id: three\n    phase: work\n    type: script\n    command: 'echo x >> tries; exit 3'\n    retry: { attempts: 3, initialDelay: 10ms, retryOn: [2, 75] }\n";
    let out = sb.run(&["run", sb.write("codes.yaml", yaml).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(sb.project().join("tries")).unwrap(),
        "x\n",
        "exit 3 is not retried"
    );
    assert!(tries(&sb, &run_id(&out), "three").await.is_empty());

    let yaml = "name: used\nphases: [work]\nsteps:\n  - id: two\n    phase: work\n    type: script\n    command: 'echo x >> tries2; exit 2'\n    retry: { attempts: 3, initialDelay: 10ms, retryOn: [2] }\n";
    let out = sb.run(&["run", sb.write("used.yaml", yaml).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(sb.project().join("tries2")).unwrap(),
        "x\nx\nx\n"
    );
    let rows = tries(&sb, &run_id(&out), "two").await;
    let outcomes: Vec<&str> = rows.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(outcomes, ["failed", "failed", "failed"]);
}

#[test]
fn a_bad_retry_policy_is_refused_with_its_place() {
    let sb = Sandbox::new();
    let yaml = "name: bad\nphases: [work]\nsteps:\n  - id: s\n    phase: work\n    type: script\n    command: 'true'\n    retry: { attempts: 0 }\n  - id: t\n    phase: work\n    type: approval\n    title: ok\n    retry: { attempts: 2 }\n";
    let text = sb.refused_by_validate(&sb.write("bad.yaml", yaml));
    assert!(
        text.contains("bad.yaml:8:12") && text.contains("attempts must be a whole number from 1 to 100"),
        "{text}"
    );
    assert!(text.contains("bad.yaml:13:5") && text.contains("retry"), "{text}");
    let ts = "import { defineWorkflow } from \"workflow-engine\";\nexport default defineWorkflow({ name: \"b\", phases: [\"p\"], async execute(ctx) {\n  await ctx.step(\"s\", { type: \"script\", command: \"true\", retry: { attempts: 2, retryOn: [\"x\"] } });\n}});\n";
    let out = sb.run(&["run", sb.write("bad.ts", ts).to_str().unwrap()]);
    let text = stderr(&out) + stdout(&out).as_str();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("ctx.step(\"s\")") && text.contains("is wrong: retryOn of a script step lists exit codes"),
        "{text}"
    );
}

const FUNCTIONS_TS: &str = r#"import { defineWorkflow, NonRetryableError } from "workflow-engine";
let n = 0;
let m = 0;
export default defineWorkflow({
  name: "functions",
  phases: ["work"],
  async execute(ctx) {
    const flaky = await ctx.step("flaky", {
      type: "function",
      retry: { attempts: 3, initialDelay: "5s" },
      fn: async () => {
        n += 1;
        console.log(`flaky try ${n}`);
        if (n < 3) throw Object.assign(new Error(`boom ${n}`), { retryAfter: n === 1 ? 100 : "300ms" });
        return { tries: n };
      },
    });
    console.log(`flaky gave ${JSON.stringify(flaky.data)}`);
    const marked = await ctx.step("marked", {
      type: "function",
      continueOnError: true,
      retry: { attempts: 3, initialDelay: "10ms" },
      fn: async () => {
        m += 1;
        throw Object.assign(new Error("marked by a flag"), { nonRetryable: true });
      },
    });
    console.log(`marked ran ${m} time(s): ${marked.status}`);
    await ctx.step("fatal", {
      type: "function",
      retry: { attempts: 3, initialDelay: "10ms" },
      fn: async () => {
        throw new NonRetryableError("the input is wrong");
      },
    });
  },
});
"#;

#[tokio::test]
async fn function_errors_are_retried_unless_marked_non_retryable() {
    let sb = Sandbox::new();
    let out = sb.run(&["run", sb.write("functions.ts", FUNCTIONS_TS).to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("flaky gave {\"tries\":3}"), "{text}");
    assert!(text.contains("marked ran 1 time(s): failed"), "{text}");
    assert!(
        stderr(&out).contains("step \"fatal\" failed: NonRetryableError: the input is wrong")
            || text.contains("the input is wrong"),
        "{text}{}",
        stderr(&out)
    );
    let run = run_id(&out);
    let rows = tries(&sb, &run, "flaky").await;
    let outcomes: Vec<&str> = rows.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(outcomes, ["failed", "failed", "completed"]);
    assert!(rows[0].4.as_deref().unwrap().contains("boom 1"));
    // `retryAfter` (100, then "300ms") replaced the policy's 5 s waits.
    let waits: Vec<i64> = rows
        .windows(2)
        .map(|w| ms_between(w[0].3.as_deref().unwrap(), &w[1].2))
        .collect();
    assert!(
        (100..1500).contains(&waits[0]) && (300..1700).contains(&waits[1]),
        "{waits:?}"
    );
    // Console lines go to the log of the try that printed them.
    let logs = sb.run_dir(&run).join("logs/flaky");
    assert!(std::fs::read_to_string(logs.join("attempt-2/events.jsonl"))
        .unwrap()
        .contains("flaky try 2"));
    assert!(tries(&sb, &run, "marked").await.is_empty());
    assert!(tries(&sb, &run, "fatal").await.is_empty());
}

#[tokio::test]
async fn a_timeout_bounds_a_scripts_tries_and_waits() {
    let sb = Sandbox::new();
    let yaml = "name: slow\nphases: [work]\nsteps:\n  - id: slow\n    phase: work\n    type: script\n    command: 'sleep 0.3; exit 1'\n    timeout: 1s\n    retry: { attempts: 20, initialDelay: 200ms, backoff: fixed }\n";
    let started = Instant::now();
    let out = sb.run(&["run", sb.write("slow.yaml", yaml).to_str().unwrap()]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    let store = sb.store().await;
    let run = run_id(&out);
    let step = &crate::util::steps(&store, &run).await[0];
    let error = step.error_message.clone().unwrap();
    assert!(
        error.contains("1.0s timeout leaves no time to wait 200ms") || error.contains("timed out after"),
        "{error}"
    );
    let rows = tries(&sb, &run, "slow").await;
    assert!((2..=3).contains(&rows.len()), "{rows:?}");
}

#[tokio::test]
async fn an_agent_step_timeout_bounds_its_rate_limit_retries() {
    // The defect: a `timeout: 3s` agent step ran 15.5 s of rate-limit retries (the default
    // agentRetry: 3 tries, 5 s then 10 s). Fixed by e729e49 for the default policy; here with
    // the default policy and with a step's own.
    let abox = AgentBox::new();
    for (name, extra) in [
        ("default", "timeout: 3s"),
        (
            "own",
            "timeout: 3s\nretry: { attempts: 5, initialDelay: 1s, retryOn: [rate_limit] }",
        ),
    ] {
        let file = abox.one_step(name, "claude", "[scenario:rate_limit] go", extra);
        let started = Instant::now();
        let out = abox.run_file(&file, &[("WORKFLOW_ENGINE_AGENT_RETRY_DELAY", "5s")]);
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(took < Duration::from_millis(3500), "{name}: took {took:?}");
        let r = report(&abox, &out).await;
        assert_eq!(r.result["data"]["errorKind"], "timed_out", "{name}: {:?}", r.error);
        assert!(r.error.unwrap().contains("3.0s timeout leaves no time"), "{name}");
    }
}

#[tokio::test]
async fn an_agent_steps_own_policy_retries_its_classes_and_records_each_try() {
    let abox = AgentBox::new();
    let file = abox.one_step(
        "own",
        "claude",
        "[scenario:flaky] go",
        "retry: { attempts: 3, initialDelay: 50ms, retryOn: [rate_limit] }",
    );
    let out = abox.run_file(
        &file,
        &[("FAKE_AGENT_FLAKY_FAILS", "2"), ("WORKFLOW_ENGINE_AGENT_ATTEMPTS", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run = run_id(&out);
    let rows = tries(&abox.sb, &run, "ask").await;
    let outcomes: Vec<&str> = rows.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(outcomes, ["failed", "failed", "completed"]);
    assert!(rows[0].4.as_deref().unwrap().contains("rate_limit"));
    let logs = abox.sb.run_dir(&run).join("logs/ask");
    assert!(std::fs::read_to_string(logs.join("attempt-3/events.jsonl"))
        .unwrap()
        .contains("done: go"));

    // A class the policy does not list is not retried, though the default would retry it.
    let file = abox.one_step(
        "other",
        "claude",
        "[scenario:rate_limit] go",
        "retry: { attempts: 3, initialDelay: 10ms, retryOn: [crashed] }",
    );
    let out = abox.run_file(&file, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = report(&abox, &out).await;
    assert_eq!(r.result["data"]["attempts"], 1);
}

#[tokio::test]
async fn the_api_lists_each_try_and_serves_its_logs() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let yaml = FLAKY_YAML.replace("CMD", &flaky("count", 2));
    let (project, _) = s.project(&ann, "tries", &[("flaky.yaml", &yaml)]).await;
    let def = s.definition_id(&ann, &project, "flaky").await;
    let (status, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    let steps = done["steps"].as_array().unwrap();
    let flaky = steps.iter().find(|s| s["step_id"] == "flaky").unwrap();
    let attempts = flaky["attempts"].as_array().unwrap();
    let list: Vec<(i64, &str)> = attempts
        .iter()
        .map(|a| (a["attempt"].as_i64().unwrap(), a["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(list, [(1, "failed"), (2, "completed")], "{flaky}");
    assert_eq!(attempts[0]["error"], "command exited with code 1");
    assert!(attempts[1]["log_dir"]
        .as_str()
        .unwrap()
        .ends_with("logs/flaky/attempt-2"));
    // A step that ran once has one try, from its row.
    let after = steps.iter().find(|s| s["step_id"] == "after").unwrap();
    assert_eq!(after["attempts"][0]["outcome"], "completed", "{after}");
    assert_eq!(after["attempts"].as_array().unwrap().len(), 1);
    let id = flaky["id"].as_str().unwrap();
    let (status, log) = s
        .get(&ann, &format!("/workflow-steps/{id}/logs/events?attempt=2"))
        .await;
    assert_eq!(status, 200, "{log}");
    assert!(log["data"]["content"].as_str().unwrap().contains("try 2"), "{log}");
    let (_, first) = s.get(&ann, &format!("/workflow-steps/{id}/logs/events")).await;
    assert!(!first["data"]["content"].as_str().unwrap().contains("try 2"));
    let (status, _) = s
        .get(&ann, &format!("/workflow-steps/{id}/logs/events?attempt=0"))
        .await;
    assert_eq!(status, 400);
    let (_, detail) = s.get(&ann, &format!("/workflow-steps/{id}")).await;
    assert_eq!(detail["data"]["attempts"].as_array().unwrap().len(), 2, "{detail}");
}

const FAN_OUT_TS: &str = r#"import { defineWorkflow } from "workflow-engine";
export default defineWorkflow({
  name: "fan-out",
  phases: ["work"],
  async execute(ctx) {
    await Promise.all([
      ctx.step("fails", { type: "script", command: "sleep 0.2; echo nope >&2; exit 4" }),
      ctx.step("slow-script", { type: "script", command: "sleep 1; echo kept" }),
      ctx.step("slow-fn", {
        type: "function",
        fn: async () => {
          await new Promise((resolve) => setTimeout(resolve, 800));
          return "also kept";
        },
      }),
      (async () => {
        await ctx.step("first", { type: "script", command: "sleep 0.6" });
        // Starts after the failure: not run.
        await ctx.step("second", { type: "script", command: "echo never" });
      })(),
    ]);
    await ctx.step("after", { type: "script", command: "echo never" });
  },
});
"#;

#[tokio::test]
async fn a_fan_out_keeps_the_work_of_the_steps_already_running() {
    let sb = Sandbox::new();
    let out = sb.run(&["run", sb.write("fan.ts", FAN_OUT_TS).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("failed: StepFailedError: step \"fails\" failed"),
        "{}",
        stdout(&out)
    );
    let store = sb.store().await;
    let rows = crate::util::steps(&store, &run_id(&out)).await;
    let by_id = |id: &str| rows.iter().find(|r| r.step_id == id);
    assert_eq!(by_id("fails").unwrap().status, "failed");
    let slow = by_id("slow-script").unwrap();
    assert_eq!(slow.status, "completed", "{slow:?}");
    assert!(slow.result.as_deref().unwrap().contains("kept"));
    let slow_fn = by_id("slow-fn").unwrap();
    assert_eq!(slow_fn.status, "completed", "{slow_fn:?}");
    assert!(slow_fn.result.as_deref().unwrap().contains("also kept"));
    assert_eq!(by_id("first").unwrap().status, "completed");
    assert!(by_id("second").is_none() && by_id("after").is_none(), "{rows:?}");
}

/// An engine killed during a retried step's second try: on resume that try is recorded as
/// interrupted and the step goes on as try 3 of its own, instead of the second try staying
/// `running` and the third one's end being written onto it.
#[tokio::test]
async fn a_try_cut_off_by_a_crash_is_interrupted_and_the_next_is_its_own() {
    let sb = Sandbox::new();
    // Try 1 fails; try 2 says it started and hangs; from try 3 on it succeeds.
    let cmd = "'c=$(cat count 2>/dev/null || echo 0); c=$((c+1)); echo $c > count; echo try $c; \
               [ $c -eq 1 ] && exit 1; [ $c -eq 2 ] && { touch second.started; sleep 60; }; true'";
    let file = sb.write("crashy.yaml", &FLAKY_YAML.replace("CMD", cmd));
    let mut child = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    crate::util::wait_until(30, "the second try to start", || {
        sb.project().join("second.started").exists()
    });
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let run = run_id(&out);
    let before: Vec<(i64, String)> = tries(&sb, &run, "flaky")
        .await
        .into_iter()
        .map(|t| (t.0, t.1))
        .collect();
    assert_eq!(before, [(1, "failed".to_string()), (2, "running".to_string())]);

    let resumed = sb.run(&["resume", &run]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    let rows = tries(&sb, &run, "flaky").await;
    let outcomes: Vec<(i64, &str)> = rows.iter().map(|t| (t.0, t.1.as_str())).collect();
    // The third try is the step's row itself (a try of its own drive, described by the row).
    assert_eq!(outcomes, [(1, "failed"), (2, "interrupted")], "{rows:?}");
    assert!(rows[1].3.is_some(), "the cut-off try has an end: {rows:?}");
    let show = stdout(&sb.run(&["show", &run]));
    let step = show.lines().find(|l| l.starts_with("flaky ")).unwrap_or_default();
    let cols: Vec<&str> = step.split_whitespace().collect();
    assert_eq!(cols.get(3..5), Some(&["completed", "3"][..]), "{show}");
}
