//! Each driver on each scripted stream, the permission mapping, structured output, retries.

use serde_json::{json, Value};

use super::{event_lines, report, AgentBox, AGENTS};
use crate::util::stderr;

/// (scenario, agents it applies to, failure kind or None for success, words the error has).
type Script = (
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    &'static [&'static str],
);

const SCRIPTS: &[Script] = &[
    ("success", &AGENTS, None, &[]),
    ("torture", &AGENTS, None, &[]),
    ("error_result", &AGENTS, Some("error"), &["boom"]),
    ("api_error", &["claude"], Some("error"), &["API Error: 500"]),
    ("auth", &["claude"], Some("auth"), &["Invalid API key"]),
    ("auth", &["codex"], Some("auth"), &["401 Unauthorized"]),
    ("auth", &["gemini"], Some("auth"), &["exited with code 41"]),
    ("rate_limit", &AGENTS, Some("rate_limit"), &["429"]),
    ("overloaded", &AGENTS, Some("overloaded"), &["overloaded"]),
    (
        "max_turns",
        &["claude"],
        Some("max_turns"),
        &["Reached maximum number of turns"],
    ),
    (
        "max_turns",
        &["gemini"],
        Some("max_turns"),
        &["Maximum session turns exceeded"],
    ),
    (
        "crash",
        &["claude", "codex"],
        Some("crashed"),
        &[
            "exited with code 1 without a final result",
            "fatal: something went wrong",
        ],
    ),
    ("crash", &["gemini"], Some("crashed"), &["was killed by signal 6"]),
    // Words that merely mention a failure kind name nothing: a crash is a crash, a tool's
    // error an error.
    (
        "crash_mentioning",
        &AGENTS,
        Some("crashed"),
        &["exited with code 99 without a final result", "rate_limit_event"],
    ),
    (
        "error_mentioning",
        &AGENTS,
        Some("error"),
        &["rate_limit|quota|api_key"],
    ),
    (
        "exit0_without_result",
        &AGENTS,
        Some("crashed"),
        &["exited with code 0 without a final result"],
    ),
    (
        "no_output",
        &AGENTS,
        Some("crashed"),
        &["exited with code 2", "Error: failed to start"],
    ),
];

#[tokio::test]
async fn every_driver_on_every_script() {
    for &(scenario, agents, failure, words) in SCRIPTS {
        for &agent in agents {
            let abox = AgentBox::new();
            let file = abox.one_step("s", agent, &format!("[scenario:{scenario}] do the thing"), "");
            let out = abox
                .cmd(&["run", file.to_str().unwrap()])
                .env("WORKFLOW_ENGINE_AGENT_ATTEMPTS", "2")
                .output()
                .unwrap();
            let what = format!("{agent} on {scenario}: {}", stderr(&out));
            let r = report(&abox, &out).await;
            let data = &r.result["data"];
            assert_eq!(data["agent"], agent, "{what}");
            match failure {
                None => {
                    assert_eq!(out.status.code(), Some(0), "{what}");
                    assert_eq!(r.status, "completed", "{what}");
                    assert_eq!(data["text"], "done: do the thing", "{what}");
                    assert_eq!(data["attempts"], 1, "{what}");
                    let session = r.session.as_ref().expect("a session row");
                    assert_eq!(session.status.as_str(), "completed", "{what}");
                    assert!(session.resumable, "{what}: the CLI wrote its transcript");
                    let transcript = session.session_file_path.as_deref().expect("the transcript is found");
                    assert!(
                        transcript.starts_with(abox.home().to_str().unwrap()),
                        "{what}: {transcript}"
                    );
                    assert!(std::path::Path::new(transcript).is_file(), "{what}");
                    assert_eq!(data["sessionId"].as_str(), session.session_id.as_deref(), "{what}");
                    assert!(
                        session.input_tokens.unwrap_or(0) > 0 && session.output_tokens.unwrap_or(0) > 0,
                        "{what}"
                    );
                    assert_eq!(
                        session.cost_usd.is_some(),
                        agent == "claude",
                        "{what}: only Claude reports cost"
                    );
                    let summary =
                        std::fs::read_to_string(abox.sb.run_dir(&r.run_id).join("logs/ask/summary.md")).unwrap();
                    assert!(summary.contains("## Answer\n\ndone: do the thing"), "{what}: {summary}");
                }
                Some(kind) => {
                    assert_eq!(out.status.code(), Some(1), "{what}");
                    assert_eq!(r.status, "failed", "{what}");
                    assert_eq!(data["errorKind"], kind, "{what}");
                    let error = r.error.clone().unwrap_or_default();
                    assert!(
                        error.starts_with(&format!("{agent} failed ({kind})")),
                        "{what}: {error}"
                    );
                    for w in words {
                        assert!(error.contains(w), "{what}: '{w}' not in: {error}");
                    }
                    let tries = if matches!(kind, "rate_limit" | "overloaded") {
                        2
                    } else {
                        1
                    };
                    assert_eq!(data["attempts"], tries, "{what}");
                    assert_eq!(abox.records(agent).len(), tries as usize, "{what}: invocations");
                    if let Some(session) = &r.session {
                        assert_eq!(session.status.as_str(), "failed", "{what}");
                        assert_eq!(session.error_kind.as_deref(), Some(kind), "{what}");
                    }
                }
            }
            let lines = event_lines(&abox, &r.run_id);
            let stdout: Vec<&str> = lines
                .iter()
                .filter(|l| l["type"] == "stdout")
                .map(|l| l["text"].as_str().unwrap())
                .collect();
            for text in &stdout {
                let whole = text.is_empty()
                    || *text == "Loaded cached credentials."
                    || serde_json::from_str::<Value>(text).is_ok();
                assert!(whole, "{what}: a stdout line was not kept whole: {:.200}", text);
            }
            if scenario == "torture" {
                assert!(
                    stdout.iter().any(|t| t.len() > 1024 * 1024),
                    "{what}: the huge line is kept"
                );
                assert!(stdout.contains(&"Loaded cached credentials."), "{what}");
                assert!(stdout.iter().any(|t| t.contains("future_event_kind")), "{what}");
                assert!(
                    lines.iter().any(|l| l["type"] == "stderr"),
                    "{what}: stderr noise is kept"
                );
            }
        }
    }
}

#[tokio::test]
async fn permissions_map_to_each_cli_s_flags_and_environment() {
    let abox = AgentBox::new();
    let mut yaml = String::from("name: perms\nphases: [p]\nsteps:\n");
    for agent in AGENTS {
        for perm in ["default", "plan", "acceptEdits", "bypassPermissions"] {
            yaml.push_str(&format!(
                "  - id: {agent}-{perm}\n    phase: p\n    type: agent\n    agent: {agent}\n    permission: {perm}\n    prompt: \"-{perm} starts with a dash\"\n"
            ));
        }
    }
    let file = abox.sb.write("perms.yaml", &yaml);
    let out = abox.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let root = unsafe { libc::geteuid() } == 0;
    let expect: &[(&str, &[&[&str]])] = &[
        (
            "claude",
            &[
                &["--permission-mode", "default"],
                &["--permission-mode", "plan"],
                &["--permission-mode", "acceptEdits"],
                &["--permission-mode", "bypassPermissions"],
            ],
        ),
        (
            "codex",
            &[
                &["--sandbox", "read-only"],
                &["--sandbox", "read-only"],
                &["--sandbox", "workspace-write"],
                &["--dangerously-bypass-approvals-and-sandbox"],
            ],
        ),
        (
            "gemini",
            &[
                &["--approval-mode", "default"],
                &["--approval-mode", "plan"],
                &["--approval-mode", "auto_edit"],
                &["--approval-mode", "yolo"],
            ],
        ),
    ];
    for (agent, flags) in expect {
        let records = abox.records(agent);
        assert_eq!(records.len(), 4, "{agent}");
        for (i, (record, flags)) in records.iter().zip(flags.iter()).enumerate() {
            let argv: Vec<&str> = record["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let found = argv.windows(flags.len()).any(|w| w == *flags);
            assert!(found, "{agent} permission #{i}: {flags:?} not in {argv:?}");
            let prompt = record["prompt"].as_str().unwrap();
            assert!(prompt.starts_with('-'), "{agent}: the prompt arrives whole: {prompt}");
            match *agent {
                "claude" => {
                    assert_eq!(record["env"]["CLAUDECODE"], Value::Null, "CLAUDECODE is removed");
                    assert!(argv.contains(&"--disallowedTools=AskUserQuestion"), "{argv:?}");
                    assert_eq!(record["stdinWasPipe"], true, "the prompt goes on stdin");
                    let sandbox = (i == 3 && root).then_some("1");
                    assert_eq!(
                        record["env"]["IS_SANDBOX"].as_str(),
                        sandbox,
                        "claude #{i} as root={root}"
                    );
                }
                "codex" => {
                    assert!(argv.contains(&"--skip-git-repo-check"), "{argv:?}");
                    assert_eq!(argv.last(), Some(&"-"), "the prompt is read from stdin");
                    if i == 1 {
                        assert!(
                            prompt.contains("do not modify any files"),
                            "plan mode asks for a plan only"
                        );
                    }
                }
                _ => {
                    assert_eq!(record["env"]["GEMINI_CLI_TRUST_WORKSPACE"], "true");
                    assert_eq!(record["stdinWasPipe"], false, "gemini gets /dev/null");
                    assert!(!argv.contains(&"-y"), "{argv:?}");
                }
            }
        }
    }
}

#[tokio::test]
async fn structured_output_is_validated_and_returned_parsed() {
    let schema = "outputSchema:\n  type: object\n  properties:\n    files: { type: array, items: { type: string } }\n  required: [files]";
    for agent in AGENTS {
        let abox = AgentBox::new();
        let file = abox.one_step("j", agent, "[scenario:structured] list files", schema);
        let out = abox
            .cmd(&["run", file.to_str().unwrap()])
            .env("FAKE_AGENT_RESULT", r#"{"files": ["a.rs", "b.rs"]}"#)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{agent}: {}", stderr(&out));
        let r = report(&abox, &out).await;
        assert_eq!(
            r.result["data"]["output"],
            json!({"files": ["a.rs", "b.rs"]}),
            "{agent}"
        );
        let argv = abox.records(agent)[0]["argv"].to_string();
        match agent {
            "claude" => assert!(argv.contains("--json-schema"), "{argv}"),
            "codex" => assert!(argv.contains("--output-schema"), "{argv}"),
            _ => assert!(abox.records(agent)[0]["prompt"]
                .as_str()
                .unwrap()
                .contains("JSON Schema")),
        }

        let out = abox
            .cmd(&["run", file.to_str().unwrap()])
            .env("FAKE_AGENT_RESULT", r#"{"files": "a.rs"}"#)
            .output()
            .unwrap();
        let r = report(&abox, &out).await;
        assert_eq!(out.status.code(), Some(1), "{agent}");
        let error = r.error.unwrap_or_default();
        if agent == "claude" {
            // Claude itself refuses an answer that does not match `--json-schema`, in its own
            // words; the answer stays the step's text, not its error.
            assert_eq!(
                error,
                "claude failed (invalid_output): Failed to provide valid structured output after 5 attempts"
            );
            assert_eq!(r.result["data"]["text"], r#"{"files": "a.rs"}"#);
            assert_eq!(r.result["data"]["errorKind"], "invalid_output");
        } else {
            assert!(
                error.contains("does not match the step's outputSchema: /files"),
                "{agent}: {error}"
            );
            assert_eq!(r.result["data"]["errorKind"], "invalid_output");
        }
    }
}

#[tokio::test]
async fn rate_limits_are_retried_with_backoff_and_auth_failures_are_not() {
    let abox = AgentBox::new();
    let file = abox.one_step("flaky", "claude", "[scenario:flaky] go", "");
    let out = abox
        .cmd(&["run", file.to_str().unwrap()])
        .env("WORKFLOW_ENGINE_AGENT_ATTEMPTS", "3")
        .env("FAKE_AGENT_FLAKY_FAILS", "2")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = report(&abox, &out).await;
    assert_eq!(r.result["data"]["attempts"], 3);
    let retries: Vec<Value> = event_lines(&abox, &r.run_id)
        .into_iter()
        .filter(|l| l["type"] == "retry")
        .collect();
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert_eq!(
        (retries[0]["delayMs"].as_u64(), retries[1]["delayMs"].as_u64()),
        (Some(50), Some(100))
    );
    assert!(retries[0]["reason"].as_str().unwrap().contains("rate_limit"));
    let store = abox.sb.store().await;
    let sessions: Vec<(String, Option<String>)> = crate::util::db(&store)
        .await
        .all("SELECT status, error_kind FROM agent_sessions ORDER BY created_at", &[])
        .await;
    let rate_limited = (String::from("failed"), Some(String::from("rate_limit")));
    assert_eq!(
        sessions,
        [rate_limited.clone(), rate_limited, (String::from("completed"), None)],
        "each try's session ends with how it ended"
    );
    assert_eq!(
        r.session.unwrap().status.as_str(),
        "completed",
        "the step links the last session"
    );

    let abox = AgentBox::new();
    let file = abox.one_step("auth", "codex", "[scenario:auth] go", "");
    let out = abox
        .cmd(&["run", file.to_str().unwrap()])
        .env("WORKFLOW_ENGINE_AGENT_ATTEMPTS", "5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(abox.records("codex").len(), 1, "an auth failure is not retried");
}

#[tokio::test]
async fn a_missing_cli_says_how_to_point_at_it() {
    let abox = AgentBox::new();
    let file = abox.one_step("missing", "gemini", "hi", "");
    let out = abox
        .cmd(&["run", file.to_str().unwrap()])
        .env("WORKFLOW_ENGINE_GEMINI_COMMAND", "/nonexistent/gemini-cli")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = report(&abox, &out).await;
    let error = r.error.unwrap_or_default();
    assert!(
        error.contains("`/nonexistent/gemini-cli` was not found") && error.contains("WORKFLOW_ENGINE_GEMINI_COMMAND"),
        "{error}"
    );
}
