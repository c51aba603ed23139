//! Run again, rerun from a step, a TypeScript run whose source changed under it, and
//! `resume --rerun`: through the real binary (CLI and server).

use serde_json::{json, Value};

use crate::server_util::*;
use crate::util::*;

/// Six script steps; each appends its name to `ran.txt`; step 3 uses step 2's output.
const SIX: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Six", phases: ["work"],
  async execute(ctx) {
    await ctx.step("s1", { type: "script", command: "echo s1 >> ran.txt; echo one" });
    const two = await ctx.step("s2", { type: "script", command: "echo s2 >> ran.txt; echo two-$RANDOM" });
    await ctx.step("s3", { type: "script", command: `echo s3 >> ran.txt; echo got ${two.data.stdout.trim()}` });
    for (const id of ["s4", "s5", "s6"]) {
      await ctx.step(id, { type: "script", command: `echo ${id} >> ran.txt` });
    }
  },
});
"#;

fn ran(sb: &Sandbox) -> Vec<String> {
    std::fs::read_to_string(sb.project().join("ran.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn ok_run(o: &std::process::Output) {
    assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
}

#[tokio::test]
async fn a_rerun_from_step_3_of_6_reuses_1_and_2_and_runs_3_to_6() {
    let sb = Sandbox::new();
    let file = sb.write("six.ts", SIX);
    let first = sb.run(&["run", file.to_str().unwrap()]);
    ok_run(&first);
    let parent = run_id(&first);
    assert_eq!(ran(&sb), ["s1", "s2", "s3", "s4", "s5", "s6"]);

    let again = sb.run(&["rerun", &parent, "--from", "s3"]);
    ok_run(&again);
    let text = stdout(&again);
    let child = run_id(&again);
    assert!(text.contains(&format!("rerun of {parent} from step \"s3\"")), "{text}");
    assert!(text.contains("reusing the results of 2 step(s): s1, s2"), "{text}");
    assert!(!text.contains("note:"), "the workflow did not change: {text}");
    assert_eq!(
        ran(&sb),
        ["s1", "s2", "s3", "s4", "s5", "s6", "s3", "s4", "s5", "s6"],
        "1-2 reused, 3-6 run"
    );

    let store = sb.store().await;
    let (p, c) = (steps(&store, &parent).await, steps(&store, &child).await);
    assert_eq!(c.len(), 6);
    assert!(c.iter().all(|s| s.status == "completed"), "{c:?}");
    for i in 0..2 {
        assert_eq!(c[i].result, p[i].result, "step {} reused as it was", c[i].step_id);
        assert_eq!(c[i].started_at, p[i].started_at);
    }
    assert_ne!(c[2].started_at, p[2].started_at, "s3 ran again");
    // s3 was handed s2's memoized output, not a new one.
    let s2_out = serde_json::from_str::<Value>(p[1].result.as_deref().unwrap()).unwrap()["data"]["stdout"]
        .as_str()
        .unwrap()
        .trim()
        .to_string();
    let s3: Value = serde_json::from_str(c[2].result.as_deref().unwrap()).unwrap();
    assert_eq!(s3["data"]["stdout"].as_str().unwrap().trim(), format!("got {s2_out}"));
    let row = run_row(&store, &child).await;
    assert_eq!(row.parent_run_id.as_deref(), Some(parent.as_str()));
    assert_eq!(row.forked_from_step.as_deref(), Some("s3"));
    assert!(row.warnings.is_none(), "{:?}", row.warnings);
    // The reused steps' folders came along; the source was recorded for the new run too.
    assert!(sb.run_dir(&child).join("logs/s1/output.json").is_file());
    assert!(sb.run_dir(&child).join("source/manifest.json").is_file());

    // Run again: every step runs.
    let whole = sb.run(&["rerun", &parent]);
    ok_run(&whole);
    assert!(
        stdout(&whole).contains(&format!("run again of {parent}")),
        "{}",
        stdout(&whole)
    );
    assert_eq!(ran(&sb).len(), 16);
    let again_row = run_row(&store, &run_id(&whole)).await;
    assert_eq!(again_row.parent_run_id.as_deref(), Some(parent.as_str()));
    assert_eq!(again_row.forked_from_step, None);
}

#[tokio::test]
async fn a_rerun_names_a_missing_step_and_bad_arguments() {
    let sb = Sandbox::new();
    let file = sb.write("six.ts", SIX);
    let first = sb.run(&["run", file.to_str().unwrap()]);
    ok_run(&first);
    let parent = run_id(&first);
    let out = sb.run(&["rerun", &parent, "--from", "s9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--from: run") && stderr(&out).contains("has no step \"s9\" (its steps: s1, s2, s3"),
        "{}",
        stderr(&out)
    );
    let out = sb.run(&["rerun", "no-such-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = sb.run(&["rerun", &parent, "--args", "[1]"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--args must be a JSON object"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ran(&sb).len(), 6, "nothing ran");
}

/// A result too large for its row is kept in `output.json`: a rerun that reuses it reads
/// it from the copy in its own folder.
#[tokio::test]
async fn a_reused_large_result_is_read_from_the_rerun_s_own_folder() {
    let sb = Sandbox::new();
    let file = sb.write(
        "big.ts",
        r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Big", phases: ["work"],
  async execute(ctx) {
    const big = await ctx.step("big", { type: "function", fn: async () => "x".repeat(300_000) });
    await ctx.step("len", { type: "function", fn: async () => big.data.length });
  },
});
"#,
    );
    let first = sb.run(&["run", file.to_str().unwrap()]);
    ok_run(&first);
    let parent = run_id(&first);
    let again = sb.run(&["rerun", &parent, "--from", "len"]);
    ok_run(&again);
    let child = run_id(&again);
    let store = sb.store().await;
    let c = steps(&store, &child).await;
    assert!(
        c[0].result.as_deref().unwrap().contains("output_file"),
        "kept by reference"
    );
    let len: Value = serde_json::from_str(c[1].result.as_deref().unwrap()).unwrap();
    assert_eq!(len["data"], 300_000);
    // Removing the parent's folder does not matter to the rerun.
    std::fs::remove_dir_all(sb.run_dir(&parent)).unwrap();
    assert!(sb.run_dir(&child).join("logs/big/output.json").is_file());
}

const EDITED_V1: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";
import { shape } from "./helper.ts";
export default defineWorkflow({
  name: "Edited", phases: ["work"],
  async execute(ctx) {
    const a = await ctx.step("a", { type: "function", fn: async () => shape(2) });
    await ctx.step("gate", { type: "script", command: "test -f ok" });
    await ctx.step("use", { type: "function", fn: async () => a.data.total.toFixed(1) });
  },
});
"#;

#[tokio::test]
async fn an_edited_typescript_import_is_detected_on_resume_with_each_choice() {
    let sb = Sandbox::new();
    // v1 returns `{ count }`, so `use` would fail on `total` when it is reached.
    sb.write(
        "helper.ts",
        "export function shape(n: number) { return { count: n }; }\n",
    );
    let file = sb.write("edited.ts", EDITED_V1);
    let first = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(1), "{}{}", stdout(&first), stderr(&first));
    let id = run_id(&first);
    let manifest = sb.read_json(&sb.run_dir(&id).join("source/manifest.json"));
    let recorded: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(recorded.len(), 2, "the file and its local import: {manifest}");
    assert!(recorded[0].ends_with("edited.ts") && recorded[1].ends_with("helper.ts"));
    assert!(sb.run_dir(&id).join("source/v1/helper.ts").is_file());

    // The fix: helper now returns `{ total }`. The memo of `a` still holds `{ count }`.
    sb.write(
        "helper.ts",
        "export function shape(n: number) { return { total: n }; }\n",
    );
    std::fs::write(sb.project().join("ok"), "").unwrap();

    // Resumed as before the fix, the old memo reached the new code: an unexplained TypeError.
    let refused = sb.run(&["resume", &id]);
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{}{err}", stdout(&refused));
    assert!(
        err.contains("source changed since run") && err.contains("helper.ts (changed)"),
        "{err}"
    );
    assert!(!err.contains("edited.ts (changed)"), "{err}");
    assert!(err.contains(&format!("resume {id} --use-current")), "{err}");
    assert!(err.contains(&format!("rerun {id} --from STEP")), "{err}");
    assert!(stdout(&refused).is_empty(), "nothing announced: {}", stdout(&refused));
    let store = sb.store().await;
    assert_eq!(run_row(&store, &id).await.status.as_str(), "failed", "left as it was");

    // Choice 1: a new run from `a`, with the current code.
    let fork = sb.run(&["rerun", &id, "--from", "a"]);
    ok_run(&fork);
    let text = stdout(&fork);
    assert!(
        text.contains(&format!("note: the workflow changed since run {id} ran it"))
            && text.contains("helper.ts (changed)")
            && text.contains("this run uses the current version"),
        "{text}"
    );
    let fork_row = run_row(&store, &run_id(&fork)).await;
    assert!(fork_row.warnings.as_deref().unwrap_or_default().contains("helper.ts"));
    let shown = stdout(&sb.run(&["show", &fork_row.id]));
    assert!(shown.contains(&format!("rerun of  {id} from step \"a\"")), "{shown}");
    assert!(shown.contains("warning: the workflow changed since run"), "{shown}");

    // Choice 2: the current code against the old memo, knowingly: `a` stays `{ count }`, so
    // `use` fails as it would have, and the run says why it ran that way.
    let current = sb.run(&["resume", &id, "--use-current"]);
    let out = stdout(&current);
    assert_eq!(current.status.code(), Some(1), "{out}{}", stderr(&current));
    assert!(out.contains("note: resumed with the workflow's current code"), "{out}");
    let row = run_row(&store, &id).await;
    let warnings = row.warning_list();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("helper.ts (changed)"), "{warnings:?}");
    let manifest = sb.read_json(&sb.run_dir(&id).join("source/manifest.json"));
    assert_eq!(manifest["version"], 2);
    assert!(sb.run_dir(&id).join("source/manifest-v1.json").is_file());
    assert!(std::fs::read_to_string(sb.run_dir(&id).join("source/v1/helper.ts"))
        .unwrap()
        .contains("count"));
    // Accepted once: the next resume is not refused again.
    let next = sb.run(&["resume", &id, "--rerun", "a"]);
    ok_run(&next);
    assert!(
        stdout(&next).contains("forgot the results of 3 step(s) from \"a\" on (a, gate, use)"),
        "{}",
        stdout(&next)
    );
}

#[tokio::test]
async fn resume_rerun_forgets_the_step_and_those_after_it() {
    let sb = Sandbox::new();
    let file = sb.write(
        "fix.yaml",
        "name: Fix\nphases: [work]\nsteps:\n  - id: one\n    phase: work\n    type: script\n    command: echo one >> ran.txt\n  - id: two\n    phase: work\n    type: script\n    command: echo two >> ran.txt\n  - id: three\n    phase: work\n    type: script\n    command: test -f ok\n",
    );
    let first = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(1));
    let id = run_id(&first);
    let bad = sb.run(&["resume", &id, "--rerun", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains(&format!("--rerun: run {id} has no step \"nope\"")),
        "{}",
        stderr(&bad)
    );
    std::fs::write(sb.project().join("ok"), "").unwrap();
    let again = sb.run(&["resume", &id, "--rerun", "two"]);
    ok_run(&again);
    let out = stdout(&again);
    assert!(
        out.contains("note: run") && out.contains("YAML workflow: it resumes with the definition it started with"),
        "{out}"
    );
    assert!(
        out.contains("forgot the results of 2 step(s) from \"two\" on (two, three)"),
        "{out}"
    );
    assert_eq!(ran(&sb), ["one", "two", "two"], "one is reused, two runs again");
    let store = sb.store().await;
    let s = steps(&store, &id).await;
    assert_eq!(
        s.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
        ["completed"; 3]
    );
    assert!(!sb.run_dir(&id).join("checkpoints/step-1.json").exists() || s[1].attempt == 1);
}

#[tokio::test]
async fn the_api_reruns_resumes_with_use_current_and_links_parent_and_reruns() {
    let server = Server::start().await;
    let token = server.user("rerun@example.com", true);
    let (project, dir) = server.project(&token, "p", &[("quick.yaml", QUICK_YAML)]).await;
    let def = server.definition_id(&token, &project, "Quick").await;
    let (status, body) = server
        .post(
            &token,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "args": { "who": "ann" } }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let parent = body["data"]["id"].as_str().unwrap().to_string();
    server.wait_status(&token, &parent, &["completed"]).await;

    let path = format!("/workflow-executions/{parent}/rerun");
    let (status, body) = server.post(&token, &path, json!({ "from_step_id": "zzz" })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_body");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("from_step_id:"),
        "{body}"
    );
    let (status, body) = server.post(&token, &path, json!({ "args": { "who": 3 } })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_args");
    let (status, body) = server.post(&token, &path, json!({ "args": [1] })).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("args: must be an object"))
    );
    let (status, _) = server.post(&token, "/workflow-executions/nope/rerun", json!({})).await;
    assert_eq!(status, 404);

    let (status, body) = server
        .post(
            &token,
            &path,
            json!({ "from_step_id": "check", "args": { "who": "bob" } }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let child = body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["parent_run_id"], parent.as_str());
    assert_eq!(body["data"]["forked_from_step"], "check");
    assert_eq!(body["data"]["args"], json!({ "who": "bob" }));
    let done = server.wait_status(&token, &child, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, got) = server.get(&token, &format!("/workflow-executions/{child}")).await;
    let steps = got["data"]["steps"].as_array().unwrap();
    // `hello` reused as the parent ran it (with ann), `check` run.
    assert_eq!(steps.len(), 2);
    assert!(steps[0]["result"].to_string().contains("hello ann"), "{}", steps[0]);
    let (_, got) = server.get(&token, &format!("/workflow-executions/{parent}")).await;
    let reruns = got["data"]["reruns"].as_array().unwrap();
    assert_eq!(reruns.len(), 1, "{got}");
    assert_eq!(reruns[0]["id"], child.as_str());
    assert_eq!(reruns[0]["forked_from_step"], "check");
    // In the list too.
    let (_, list) = server
        .get(&token, &format!("/workflow-executions?project_id={project}"))
        .await;
    let listed = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == parent.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["reruns"][0]["id"], child.as_str());

    // A TypeScript run whose file changes while it is paused at a failure: 409 naming it.
    let ts = dir.join(".agent/workflows/definitions/gate.ts");
    std::fs::write(&ts, GATE_TS.replace("VERSION", "1")).unwrap();
    let gate = ts_definition(&server, &token, &project).await;
    let (status, body) = server
        .post(
            &token,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": gate }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let run = body["data"]["id"].as_str().unwrap().to_string();
    server.wait_status(&token, &run, &["failed"]).await;
    std::fs::write(&ts, GATE_TS.replace("VERSION", "2")).unwrap();
    std::fs::write(dir.join("ok"), "").unwrap();
    let resume = format!("/workflow-executions/{run}/resume");
    let (status, body) = server.post(&token, &resume, json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "source_changed");
    assert_eq!(body["error"]["current_status"], "failed");
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 1);
    assert!(details[0].as_str().unwrap().ends_with("gate.ts (changed)"), "{body}");
    let (status, body) = server.post(&token, &resume, json!({ "use_current": "yes" })).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("use_current"),
        "{body}"
    );
    let (status, body) = server.post(&token, &resume, json!({ "rerun_step": "nope" })).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server.post(&token, &resume, json!({ "use_current": true })).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["notes"][0].as_str().unwrap().contains("current code"),
        "{body}"
    );
    let done = server.wait_status(&token, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["warnings"].as_array().unwrap().len(), 1, "{done}");
    // The step that completed before the edit was not run again: it still says version 1.
    let (_, got) = server.get(&token, &format!("/workflow-executions/{run}")).await;
    assert!(got["data"]["steps"][0]["result"].to_string().contains("v1"), "{got}");

    let _ = server.kill();
}

const GATE_TS: &str = r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Gate", phases: ["work"],
  async execute(ctx) {
    await ctx.step("first", { type: "function", fn: async () => "vVERSION" });
    await ctx.step("gate", { type: "script", command: "test -f ok" });
  },
});
"#;

async fn ts_definition(server: &Server, token: &str, project: &str) -> String {
    for _ in 0..100 {
        let (_, body) = server
            .get(token, &format!("/workflow-definitions?project_id={project}"))
            .await;
        if let Some(d) = body["data"].as_array().unwrap().iter().find(|d| d["name"] == "Gate") {
            return d["id"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the Gate definition was never discovered");
}

/// A waiting run is driven again by whoever decides its gate: after an edit, that drive
/// does not hand the old memo to the new code either; the run fails saying why.
#[tokio::test]
async fn a_run_woken_after_its_source_changed_fails_saying_why() {
    let sb = Sandbox::new();
    let source = r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Wake", phases: ["work"],
  async execute(ctx) {
    await ctx.step("before", { type: "function", fn: async () => "VERSION" });
    await ctx.approval("gate", { title: "Go?" });
    await ctx.step("after", { type: "script", command: "echo after >> ran.txt" });
  },
});
"#;
    let file = sb.write("wake.ts", &source.replace("VERSION", "v1"));
    let first = sb
        .cmd(&["run", file.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        first.status.code(),
        Some(5),
        "left waiting: {}{}",
        stdout(&first),
        stderr(&first)
    );
    let id = run_id(&first);
    sb.write("wake.ts", &source.replace("VERSION", "v2"));
    let decided = sb
        .cmd(&["approve", &id, "gate"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = stderr(&decided);
    assert_eq!(decided.status.code(), Some(2), "{}{err}", stdout(&decided));
    assert!(
        err.contains("wake.ts (changed)") && err.contains("--use-current"),
        "{err}"
    );
    assert!(ran(&sb).is_empty(), "nothing after the gate ran");
    let store = sb.store().await;
    let row = run_row(&store, &id).await;
    assert_eq!(row.status.as_str(), "failed");
    assert!(row.error_message.unwrap_or_default().contains("source changed"));
    // The person's choice: the current code, knowingly.
    let resumed = sb.run(&["resume", &id, "--use-current"]);
    ok_run(&resumed);
    assert_eq!(ran(&sb), ["after"]);
}

#[tokio::test]
async fn the_api_resume_says_a_yaml_run_replays_its_snapshot_and_forgets_a_step() {
    let server = Server::start().await;
    let token = server.user("yaml@example.com", true);
    let yaml = "name: Flaky\nphases: [work]\nsteps:\n  - id: one\n    phase: work\n    type: script\n    command: echo one >> ran.txt\n  - id: two\n    phase: work\n    type: script\n    command: test -f ok\n";
    let (project, dir) = server.project(&token, "y", &[("flaky.yaml", yaml)]).await;
    let def = server.definition_id(&token, &project, "Flaky").await;
    let (_, body) = server
        .post(
            &token,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
        .await;
    let run = body["data"]["id"].as_str().unwrap().to_string();
    server.wait_status(&token, &run, &["failed"]).await;
    // The file changes; the run keeps the definition it started with.
    let file = dir.join(".agent/workflows/definitions/flaky.yaml");
    std::fs::write(&file, yaml.replace("echo one", "echo ONE")).unwrap();
    std::fs::write(dir.join("ok"), "").unwrap();
    let resume = format!("/workflow-executions/{run}/resume");
    let (status, body) = server.post(&token, &resume, json!({ "rerun_step": "one" })).await;
    assert_eq!(status, 200, "{body}");
    let notes: Vec<&str> = body["data"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("YAML workflow: it resumes with the definition it started with"),
        "{notes:?}"
    );
    assert!(notes[0].contains("the file has changed since"), "{notes:?}");
    assert!(
        notes[1].contains("forgot the results of 2 step(s) from \"one\" on (one, two)"),
        "{notes:?}"
    );
    let done = server.wait_status(&token, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    let ran = std::fs::read_to_string(dir.join("ran.txt")).unwrap();
    assert_eq!(ran, "one\none\n", "one ran again, from the snapshot (not `ONE`)");
    assert!(done["warnings"].as_array().unwrap().is_empty());
    let _ = server.kill();
}
