//! `retry.onExhausted: "wait"` through the real binary: a step whose tries ran out waits for a
//! person, who retries it (fresh tries, numbered on), skips it with a value, or fails it,
//! from the CLI (`approve --retry/--skip/--fail`) and from the API; wrong decisions refused.

use serde_json::json;

use crate::server_util::{find_run_step, run_step, Server};
use crate::util::{run_id, stderr, stdout, Sandbox};

/// A script that fails until its `n`th run (counted in `file`), then a step using its output.
fn yaml(n: u32) -> String {
    format!(
        "name: parked\nphases: [work]\nsteps:\n  - id: flaky\n    phase: work\n    type: script\n    command: 'c=$(cat cnt 2>/dev/null || echo 0); c=$((c+1)); echo $c > cnt; echo try $c; [ $c -ge {n} ]'\n    retry: {{ attempts: 2, initialDelay: 10ms, onExhausted: wait }}\n  - id: after\n    phase: work\n    type: script\n    command: echo after {{{{ steps.flaky.data.stdout }}}}\n"
    )
}

async fn step_row(sb: &Sandbox, run: &str, key: &str) -> Option<crate::util::StepInfo> {
    let store = sb.store().await;
    crate::util::steps(&store, run)
        .await
        .into_iter()
        .find(|s| s.step_id == key)
}

fn approve(sb: &Sandbox, run: &str, step: &str, flags: &[&str]) -> std::process::Output {
    let mut args = vec!["approve", run, step];
    args.extend_from_slice(flags);
    sb.cmd(&args).stdin(std::process::Stdio::null()).output().unwrap()
}

#[tokio::test]
async fn a_person_retries_a_step_whose_tries_ran_out() {
    let sb = Sandbox::new();
    let file = sb.write("parked.yaml", &yaml(3));
    let out = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "waiting: {}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("workflow-engine approve") && stdout(&out).contains("flaky --retry"),
        "{}",
        stdout(&out)
    );
    let run = run_id(&out);
    let flaky = step_row(&sb, &run, "flaky").await.unwrap();
    assert_eq!(flaky.status, "waiting");
    assert_eq!(flaky.error_message.as_deref(), Some("command exited with code 1"));
    assert!(
        step_row(&sb, &run, "after").await.is_none(),
        "the run stopped at the step"
    );
    let shown = stdout(&sb.run(&["show", &run]));
    assert!(
        shown.contains("tries:") && shown.contains("flaky  #2  failed"),
        "{shown}"
    );
    // A gate's decision does not decide it.
    let wrong = approve(&sb, &run, "flaky", &[]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("decide retry, skip or fail"),
        "{}",
        stderr(&wrong)
    );

    let out = approve(&sb, &run, "flaky", &["--retry"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("retried \"flaky\""), "{}", stdout(&out));
    let after = step_row(&sb, &run, "after").await.unwrap();
    assert!(after.result.unwrap().contains("after try 3"));
    // Tries 1-2 before the decision, 3 after it, each with its own log.
    let store = sb.store().await;
    let tries: Vec<(i64, String)> = crate::util::db(&store)
        .await
        .all(
            "SELECT a.attempt, a.outcome FROM workflow_step_attempts a JOIN workflow_run_steps s ON s.id = a.step_row_id
              WHERE s.workflow_run_id = ? AND s.step_id = 'flaky' ORDER BY a.attempt",
            &[(&run).into()],
        )
        .await;
    assert_eq!(
        tries,
        [(1, "failed".into()), (2, "failed".into())],
        "the try after the decision ran once, so only the earlier ones are rows"
    );
    let log = std::fs::read_to_string(sb.run_dir(&run).join("logs/flaky/attempt-3/events.jsonl")).unwrap();
    assert!(log.contains("try 3"), "{log}");
}

#[tokio::test]
async fn a_person_skips_or_fails_a_step_from_the_cli() {
    let sb = Sandbox::new();
    let file = sb.write("parked.yaml", &yaml(99));
    let out = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let run = run_id(&out);
    let bad = approve(&sb, &run, "flaky", &["--skip", "--value", "{nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--value is not JSON"), "{}", stderr(&bad));
    let out = approve(&sb, &run, "flaky", &["--skip", "--value", r#"{"stdout":"by hand"}"#]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let flaky = step_row(&sb, &run, "flaky").await.unwrap();
    assert_eq!(flaky.status, "completed");
    let after = step_row(&sb, &run, "after").await.unwrap();
    assert!(
        after.result.unwrap().contains("after by hand"),
        "the workflow got the value"
    );

    let sb = Sandbox::new();
    let file = sb.write("parked.yaml", &yaml(99));
    let out = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let run = run_id(&out);
    let out = approve(&sb, &run, "flaky", &["--fail", "-m", "not today"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the run fails: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("step \"flaky\" failed: command exited with code 1 [its tries ran out; cli:")
            && text.contains("failed \"flaky\" (not today)]"),
        "{text}"
    );
    let flaky = step_row(&sb, &run, "flaky").await.unwrap();
    assert_eq!(flaky.status, "failed");
    assert!(step_row(&sb, &run, "after").await.is_none());
    // The failure is memoized: deciding again is refused, and the step did not run again.
    assert_eq!(std::fs::read_to_string(sb.project().join("cnt")).unwrap().trim(), "2");
    let again = approve(&sb, &run, "flaky", &["--retry"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
}

const PARKED_TS: &str = r#"import { defineWorkflow } from "@repo/workflow-engine";
let n = 0;
export default defineWorkflow({
  name: "Parked",
  phases: ["work"],
  async execute(ctx) {
    const fetched = await ctx.step("fetch", {
      type: "function",
      retry: { attempts: 2, initialDelay: "10ms", onExhausted: "wait" },
      fn: async () => {
        n += 1;
        throw new Error(`fetch broke (${n})`);
      },
    });
    await ctx.step("use", { type: "script", command: `echo 'got ${JSON.stringify(fetched.data)}'` });
    try {
      await ctx.step("deploy", { type: "script", command: "exit 7", retry: { attempts: 1, onExhausted: "wait" } });
    } catch (e) {
      await ctx.step("caught", { type: "script", command: `echo caught ${e.name}` });
    }
  },
});
"#;

#[tokio::test]
async fn a_person_decides_from_the_api_each_way() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "parked", &[("parked.ts", PARKED_TS)]).await;
    let def = s.definition_id(&ann, &project, "Parked").await;
    let run = s.start_run(&ann, &project, &def, json!({})).await;
    let waiting = s.wait_status(&ann, &run, &["waiting", "failed"]).await;
    assert_eq!(waiting["status"], "waiting", "{waiting}");
    let fetch = run_step(&waiting, "fetch");
    assert_eq!(fetch["status"], "waiting");
    assert_eq!(fetch["wait"]["kind"], "retry", "{fetch}");
    assert_eq!(fetch["wait"]["can_decide"], true);
    assert!(fetch["wait"]["title"]
        .as_str()
        .unwrap()
        .contains("failed after 2 tries"));
    assert_eq!(fetch["attempts"].as_array().unwrap().len(), 2, "{fetch}");
    // In "needs you".
    let (_, gates) = s.get(&ann, "/approvals").await;
    assert!(
        gates["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["step_key"] == "fetch"),
        "{gates}"
    );

    let (status, body) = s.decide(&ann, &run, "fetch", json!({ "decision": "approve" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_body")),
        "{body}"
    );
    let (status, body) = s
        .decide(&ann, &run, "fetch", json!({ "decision": "retry", "value": 1 }))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("value: only a skip"),
        "{body}"
    );
    let (status, body) = s.decide(&ann, &run, "fetch", json!({ "decision": "retry" })).await;
    assert_eq!(status, 200, "{body}");
    // Retried: two more tries fail, and it waits again.
    s.wait_run(&ann, &run, "waited again after the retried tries", |r| {
        r["status"] == "waiting"
            && run_step(r, "fetch")["status"] == "waiting"
            && run_step(r, "fetch")["attempts"].as_array().unwrap().len() == 4
    })
    .await;
    let (status, body) = s
        .decide(
            &ann,
            &run,
            "fetch",
            json!({ "decision": "skip", "value": { "rows": 3 } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let parked = s
        .wait_run(&ann, &run, "parked at deploy", |r| {
            r["status"] == "waiting" && find_run_step(r, "deploy").is_some_and(|d| d["status"] == "waiting")
        })
        .await;
    assert!(run_step(&parked, "use")["result"]["data"]["stdout"]
        .as_str()
        .unwrap()
        .contains(r#"got {"rows":3}"#));
    let (status, body) = s
        .decide(&ann, &run, "deploy", json!({ "decision": "fail", "comment": "broken" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "the workflow caught the failure: {done}");
    assert!(run_step(&done, "caught")["result"]["data"]["stdout"]
        .as_str()
        .unwrap()
        .contains("caught StepFailedError"));
    assert_eq!(run_step(&done, "deploy")["status"], "failed");
}

#[test]
fn a_failure_the_policy_does_not_retry_fails_without_waiting() {
    let sb = Sandbox::new();
    let ts = r#"import { defineWorkflow, NonRetryableError } from "workflow-engine";
export default defineWorkflow({
  name: "no-wait",
  phases: ["work"],
  async execute(ctx) {
    await ctx.step("other-code", {
      type: "script",
      command: "exit 3",
      continueOnError: true,
      retry: { attempts: 3, initialDelay: "10ms", retryOn: [2], onExhausted: "wait" },
    });
    await ctx.step("refused", {
      type: "function",
      retry: { attempts: 3, initialDelay: "10ms", onExhausted: "wait" },
      fn: async () => {
        throw new NonRetryableError("bad input");
      },
    });
  },
});
"#;
    let out = sb
        .cmd(&["run", sb.write("nowait.ts", ts).to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "failed, not waiting: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("step \"refused\" failed: bad input"),
        "{}",
        stdout(&out)
    );
}
