//! An agent step's controls through the real binary and the stand-in CLIs: each mapped to the
//! CLI's own flag (the stand-ins refuse flags the real CLIs do not take), refused at load where
//! a CLI has none; `stallTimeout` and the `stalled` class; warnings for denied tool calls.

use serde_json::Value;

use super::{read_pid, report, AgentBox};
use crate::util::{stderr, stdout};

fn argv(record: &Value) -> Vec<String> {
    record["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// Whether `want` appears in `argv` as consecutive arguments.
fn has(argv: &[String], want: &[&str]) -> bool {
    argv.windows(want.len())
        .any(|w| w.iter().zip(want).all(|(a, b)| a == b))
}

#[tokio::test]
async fn each_control_reaches_each_cli_as_its_own_flag() {
    let abox = AgentBox::new();
    std::fs::create_dir_all(abox.sb.project().join("docs")).unwrap();
    let yaml = r#"name: controls
phases: [p]
steps:
  - id: claude
    phase: p
    type: agent
    agent: claude
    prompt: hi
    allowedTools: ["Bash(git diff:*)", Edit]
    disallowedTools: [WebFetch]
    appendSystemPrompt: "-Be brief."
    mcpConfig: { mcpServers: { docs: { command: docs-server, args: [--stdio] } } }
    addDirs: [docs]
    extraArgs: [--fallback-model, "opus 4"]
  - id: codex
    phase: p
    type: agent
    agent: codex
    prompt: hi
    addDirs: [docs]
    extraArgs: [-c, 'model_reasoning_effort="low"']
  - id: gemini
    phase: p
    type: agent
    agent: gemini
    prompt: hi
    allowedTools: [read_file]
    addDirs: [docs]
    extraArgs: [--policy, my policy.toml]
"#;
    let file = abox.sb.write("controls.yaml", yaml);
    let out = abox.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = crate::util::run_id(&out);
    let docs = abox.sb.project().join("docs");
    let docs = docs.to_str().unwrap();

    let claude = argv(&abox.records("claude")[0]);
    let mcp = abox.sb.run_dir(&id).join("logs/claude/mcp-config.json");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&mcp).unwrap()).unwrap();
    assert_eq!(written["mcpServers"]["docs"]["command"], "docs-server");
    for want in [
        vec!["--allowedTools=Bash(git diff:*)", "--allowedTools=Edit"],
        vec!["--disallowedTools=WebFetch"],
        vec!["--append-system-prompt=-Be brief."],
        vec![&format!("--mcp-config={}", mcp.display())],
        vec![&format!("--add-dir={docs}")],
        vec!["--fallback-model", "opus 4"],
    ] {
        assert!(has(&claude, &want), "{want:?} not in {claude:?}");
    }
    assert!(has(&claude, &["--disallowedTools=AskUserQuestion"]), "{claude:?}");

    let codex = argv(&abox.records("codex")[0]);
    assert!(
        has(
            &codex,
            &["--add-dir", docs, "-c", r#"model_reasoning_effort="low""#, "-"]
        ),
        "{codex:?}"
    );
    let gemini = argv(&abox.records("gemini")[0]);
    for want in [
        vec!["--allowed-tools=read_file"],
        vec![&format!("--include-directories={docs}")],
        vec!["--policy", "my policy.toml"],
    ] {
        assert!(has(&gemini, &want), "{want:?} not in {gemini:?}");
    }
}

#[tokio::test]
async fn a_control_the_cli_has_no_flag_for_is_refused_as_the_definition_loads() {
    let abox = AgentBox::new();
    let cases = [
        (
            "codex",
            "mcpConfig: mcp.json",
            "'mcpConfig' is not supported by codex: the codex CLI has no flag for it",
        ),
        (
            "codex",
            "allowedTools: [Read]",
            "'allowedTools' is not supported by codex",
        ),
        (
            "gemini",
            "appendSystemPrompt: be brief",
            "'appendSystemPrompt' is not supported by gemini",
        ),
        (
            "gemini",
            "disallowedTools: [shell]",
            "'disallowedTools' is not supported by gemini",
        ),
        (
            "claude",
            "extraArgs: [--output-format, json]",
            "'extraArgs' must not set --output-format: the engine passes it to claude itself",
        ),
        ("claude", "extraArgs: --bare", "'extraArgs' must be a list of strings"),
        // Flags that would override the step's permission, sandbox, model or turn limit.
        (
            "claude",
            "extraArgs: [--dangerously-skip-permissions]",
            "'extraArgs' must not set --dangerously-skip-permissions: it would override",
        ),
        ("claude", "extraArgs: [--model=opus]", "must not set --model"),
        ("claude", "extraArgs: [--max-turns, '99']", "must not set --max-turns"),
        ("claude", "extraArgs: [--settings, s.json]", "must not set --settings"),
        (
            "claude",
            "extraArgs: [--permission-mode=bypassPermissions]",
            "must not set --permission-mode",
        ),
        ("codex", "extraArgs: [--full-auto]", "must not set --full-auto"),
        ("codex", "extraArgs: [-sdanger-full-access]", "must not set -s"),
        (
            "codex",
            "extraArgs: [--sandbox=danger-full-access]",
            "must not set --sandbox",
        ),
        (
            "codex",
            "extraArgs: [--dangerously-bypass-approvals-and-sandbox]",
            "must not set --dangerously-bypass",
        ),
        ("codex", "extraArgs: [-C, /]", "must not set -C"),
        ("codex", "extraArgs: [-a, never]", "must not set -a"),
        (
            "codex",
            "extraArgs: [-c, sandbox_mode=danger-full-access]",
            "must not set -c sandbox_mode",
        ),
        (
            "codex",
            "extraArgs: ['--config=approval_policy=never']",
            "must not set --config approval_policy",
        ),
        (
            "gemini",
            "extraArgs: [--yolo]",
            "must not set --yolo: the engine passes it",
        ),
        ("gemini", "extraArgs: [-m, flash]", "must not set -m"),
        (
            "gemini",
            "extraArgs: ['--approval-mode=yolo']",
            "must not set --approval-mode",
        ),
        ("gemini", "extraArgs: [--sandbox]", "must not set --sandbox"),
        // Paths stay in the workdir, whether or not the file is there.
        (
            "claude",
            "mcpConfig: /etc/passwd",
            "mcpConfig: \"/etc/passwd\" must be relative to the workdir",
        ),
        ("claude", "mcpConfig: ../../secret.json", "climbs out of the workdir"),
        (
            "claude",
            "addDirs: [docs, ../..]",
            "addDirs: \"../..\" climbs out of the workdir",
        ),
        ("gemini", "addDirs: [/home]", "addDirs: \"/home\" must be relative"),
        ("claude", "stallTimeout: soon", "stallTimeout"),
        (
            "claude",
            "mcpConfig: { servers: {} }",
            "must have an \"mcpServers\" object",
        ),
    ];
    for (agent, line, expected) in cases {
        let file = abox.one_step("refused", agent, "hi", line);
        let out = abox.run(&["validate", file.to_str().unwrap()]);
        let err = format!("{}{}", stderr(&out), stdout(&out));
        assert!(!out.status.success(), "{line}: accepted");
        // `one_step` writes the control on line 9 (after id, phase, type, agent and prompt).
        let at = format!("{}:9:", file.display());
        assert!(err.contains(&at), "{line}: not located at {at}: {err}");
        assert!(err.contains(expected), "{line}: {err}");
    }
    assert!(abox.records("codex").is_empty(), "nothing ran");
}

#[tokio::test]
async fn an_mcp_file_leading_out_of_the_workdir_fails_as_a_missing_one_does() {
    let abox = AgentBox::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), "{}").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.json"), abox.sb.project().join("link.json")).unwrap();
    let mut said = Vec::new();
    for (name, file) in [("linked", "link.json"), ("missing", "missing.json")] {
        let def = abox.one_step(name, "claude", "hi", &format!("mcpConfig: {file}"));
        let out = abox.run(&["run", def.to_str().unwrap()]);
        assert!(!out.status.success(), "{file}: ran");
        let err = format!("{}{}", stderr(&out), stdout(&out));
        assert!(
            err.contains(&format!("mcpConfig: \"{file}\" is not a file in the workdir")),
            "{file}: {err}"
        );
        said.push(err.contains("secret"));
    }
    assert_eq!(said, [false, false], "nothing is said of what is outside");
    assert!(abox.records("claude").is_empty(), "the agent never started");
}

#[tokio::test]
async fn a_typescript_step_is_refused_at_the_field() {
    let abox = AgentBox::new();
    let file = abox.sb.write(
        "ts-refused.ts",
        r#"
import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "ts-refused",
  phases: ["p"],
  async execute(ctx) {
    await ctx.step("ask", { phase: "p", type: "agent", agent: "codex", prompt: "hi", appendSystemPrompt: "be brief" });
  },
});
"#,
    );
    let out = abox.run(&["run", file.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = format!("{}{}", stderr(&out), stdout(&out));
    assert!(
        err.contains("\"appendSystemPrompt\" is not supported by codex: the codex CLI has no flag for it"),
        "{err}"
    );
    assert!(abox.records("codex").is_empty(), "codex never started");
}

#[tokio::test]
async fn a_silent_agent_is_stopped_as_stalled_with_its_process_group() {
    let abox = AgentBox::new();
    let file = abox.one_step("stall", "claude", "[scenario:hang] think", "stallTimeout: 2s");
    let started = std::time::Instant::now();
    let out = abox.run_file(&file, &[("WORKFLOW_ENGINE_AGENT_ATTEMPTS", "1")]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(took < std::time::Duration::from_secs(20), "stopped after {took:?}");
    assert!(took >= std::time::Duration::from_secs(2), "stopped after {took:?}");
    let r = report(&abox, &out).await;
    assert_eq!(r.status, "failed");
    assert_eq!(r.result["data"]["errorKind"], "stalled", "{}", r.result);
    let error = r.error.unwrap();
    assert!(
        error.contains("claude stalled: it printed nothing for 2.0s (the step's stallTimeout)"),
        "{error}"
    );
    // The whole group was stopped, as a cancel stops it.
    let grandchild = read_pid(&abox.record_dir().join("claude.grandchild.pid"));
    assert!(!super::alive(grandchild), "the grandchild outlived the stall");
    let json: Value = serde_json::from_str(&stdout(&abox.run(&["show", &r.run_id, "--json"]))).unwrap();
    let step = &json["steps"][0];
    assert!(step["last_output_at"].as_str().is_some(), "{step}");
    assert_eq!(step["warnings"], serde_json::json!([]), "{step}");
}

#[tokio::test]
async fn a_stalled_try_is_retried_by_default() {
    let abox = AgentBox::new();
    let file = abox.one_step("stall-retry", "codex", "[scenario:flaky] work", "stallTimeout: 1500ms");
    let out = abox.run_file(
        &file,
        &[("FAKE_AGENT_FLAKY_AS", "hang"), ("FAKE_AGENT_FLAKY_FAILS", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&abox, &out).await;
    assert_eq!(r.result["data"]["attempts"], 2, "{}", r.result);
    let lines = super::event_lines(&abox, &r.run_id);
    let retry = lines.iter().find(|l| l["type"] == "retry").expect("a retry line");
    assert!(retry["reason"].as_str().unwrap().contains("codex stalled"), "{retry}");
}

#[tokio::test]
async fn denied_tool_calls_leave_a_warning_on_a_completed_step() {
    let abox = AgentBox::new();
    let file = abox.one_step("denied", "claude", "[scenario:permission_denied] tidy", "");
    let out = abox.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&abox, &out).await;
    assert_eq!(r.status, "completed");
    let warning = "2 tool calls were denied: Write(x), Bash(rm -rf build)";
    let json: Value = serde_json::from_str(&stdout(&abox.run(&["show", &r.run_id, "--json"]))).unwrap();
    assert_eq!(json["steps"][0]["warnings"], serde_json::json!([warning]), "{json}");
    // The board hears it with the step's end.
    let store = abox.sb.store().await;
    let (data,): (String,) = crate::util::db(&store)
        .await
        .one(
            "SELECT data FROM workflow_events WHERE execution_id = ? AND type = 'workflow.step.completed'",
            &[(&r.run_id).into()],
        )
        .await;
    let data: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["warnings"], serde_json::json!([warning]), "{data}");
    // A step without denials has none, and its event says nothing of them.
    let clean = abox.one_step("clean", "claude", "tidy", "");
    let out = abox.run(&["run", clean.to_str().unwrap()]);
    let r = report(&abox, &out).await;
    let json: Value = serde_json::from_str(&stdout(&abox.run(&["show", &r.run_id, "--json"]))).unwrap();
    assert_eq!(json["steps"][0]["warnings"], serde_json::json!([]));
}
